/**
 * SASL and TLS against a real Kafka: one KRaft node whose client listener is SASL_SSL with PLAIN and SCRAM-SHA-512,
 * with a certificate this test makes with openssl. The right password streams through the library and through
 * the kernel (%connect --sasl-password-env); a wrong one is one line naming the mechanism and the broker; a CA that
 * did not sign the broker's certificate is one line saying which CA to use. The password is then looked for in
 * everything that was shown or written: errors, client log, kernel messages and its own stdout/stderr, the
 * notebook as Jupyter would save it, and the broker's own logs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { KafkaCluster } from '../../src/broker';
import { clientLog, ConnectionOptions, TopicSink, TopicSource } from '../../src/kafka';
import { startStreamlabKernel, messagesOfType, resultData } from '../support/streamlabKernel';
import { JupyterMessage } from '../support/kernelClient';

const PASSWORD = 'Tr0ub4dor-and-3-horses';
const WRONG = 'not-the-Password-9';
const USER = 'analyst';

let cluster: KafkaCluster;
let dir: string;
let ca: string;
let otherCa: string;
const seen: string[] = [];

/** A CA and a broker certificate for 127.0.0.1 signed by it, and a second CA that signed nothing here. */
function makeCertificates(into: string): { certFile: string; keyFile: string; caFile: string; otherCaFile: string } {
  const f = (name: string) => path.join(into, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=test CA', '-keyout', f('ca.key'), '-out', f('ca.pem'));
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=some other CA', '-keyout', f('other.key'), '-out', f('other.pem'));
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', f('broker.key'), '-out', f('broker.csr'));
  fs.writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl('x509', '-req', '-in', f('broker.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('san.ext'), '-out', f('broker.pem'));
  return { certFile: f('broker.pem'), keyFile: f('broker.key'), caFile: f('ca.pem'), otherCaFile: f('other.pem') };
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-security-'));
  const certs = makeCertificates(dir);
  ca = certs.caFile;
  otherCa = certs.otherCaFile;
  cluster = await KafkaCluster.start({
    brokers: 1,
    heapMb: 512,
    tls: certs,
    sasl: { mechanisms: ['plain', 'scram-sha-512'], users: [{ username: USER, password: PASSWORD }] },
  });
  assert.equal(cluster.securityProtocol, 'SASL_SSL');
});
after(async () => {
  await cluster?.stop({ fast: true });
  fs.rmSync(dir, { recursive: true, force: true });
});

const connection = (mechanism: string, password: string, caFile = ca): ConnectionOptions => ({
  brokers: cluster.bootstrapServers,
  ssl: { caFile },
  sasl: { mechanism, username: USER, password },
  connectionTimeoutMs: 5000,
});

async function failure(promise: Promise<unknown>): Promise<Error> {
  const e = await promise.then(() => undefined, (err: Error) => err);
  assert.ok(e instanceof Error, 'it must fail');
  seen.push(e.message, inspect(e, { depth: 10 }), String(e.stack));
  return e;
}

describe('the library', () => {
  for (const mechanism of ['scram-sha-512', 'plain']) {
    test(`${mechanism} over TLS with the right password streams every record`, async () => {
      const topic = `secure-${mechanism}`;
      const sink = await TopicSink.open({ topic, connection: connection(mechanism, PASSWORD), createTopic: { partitions: 2 } });
      await sink.write(Array.from({ length: 500 }, (_, i) => ({ i })));
      await sink.close();
      const source = new TopicSource({ topic, from: 'earliest', untilEnd: true, connection: connection(mechanism, PASSWORD) });
      const reader = source.reader();
      await source.start();
      const got: number[] = [];
      for await (const r of reader) got.push((r.value as { i: number }).i);
      assert.deepEqual(got.sort((a, b) => a - b), Array.from({ length: 500 }, (_, i) => i));
      seen.push(JSON.stringify(source.metrics()), inspect(source, { depth: 6 }), inspect(sink, { depth: 6 }));
    });

    test(`${mechanism} with a wrong password is one line naming the mechanism and the broker`, async () => {
      const e = await failure(new TopicSource({ topic: `secure-${mechanism}`, connection: connection(mechanism, WRONG) }).start());
      assert.equal(e.message.split('\n').length, 1, e.message);
      assert.match(
        e.message,
        new RegExp(`^consuming 'secure-${mechanism}': authentication failed at brokers 127\\.0\\.0\\.1:\\d+ \\(from options\\), SSL, SASL ${mechanism} as ${USER}: check the SASL mechanism, username and password`),
      );
      const sinkError = await failure(TopicSink.open({ topic: `secure-${mechanism}`, connection: connection(mechanism, WRONG) }));
      assert.match(sinkError.message, new RegExp(`^producing to 'secure-${mechanism}': authentication failed at .*SASL ${mechanism} as ${USER}`));
    });
  }

  test('a CA that did not sign the broker certificate fails with one line saying which CA to use', async () => {
    const e = await failure(new TopicSource({ topic: 'secure-plain', connection: connection('scram-sha-512', PASSWORD, otherCa) }).start());
    assert.equal(
      e.message,
      `consuming 'secure-plain': TLS with the broker at brokers ${cluster.bootstrapServers} (from options), SSL, SASL scram-sha-512 as ${USER} failed: ` +
        `its certificate is not signed by a CA this client trusts: point ssl.caFile (STREAMLAB_SSL_CA, %connect --ssl-ca) at the CA certificate that signed the broker's certificate; ${otherCa} did not`,
    );
  });

  test('TLS to a port that does not speak it is one line too', async () => {
    const plainPort = cluster.node(1).internalAddress;
    const e = await failure(new TopicSource({ topic: 'x', connection: { brokers: plainPort, ssl: { caFile: ca }, connectionTimeoutMs: 5000 } }).start());
    assert.equal(e.message.split('\n').length, 1);
    assert.equal(
      e.message,
      `consuming 'x': TLS with the broker at brokers ${plainPort} (from options), SSL failed: the broker closed the connection during the TLS handshake: check that this port is the broker's SSL or SASL_SSL listener, or drop the SSL settings`,
    );
  });
});

describe('the kernel', () => {
  test('%connect --sasl-password-env streams; a wrong password is one line; neither password is in the saved notebook', async () => {
    const kernel = await startStreamlabKernel({ KAFKA_PW: PASSWORD, KAFKA_BAD_PW: WRONG, STREAMLAB_LOG: 'debug' });
    const cells: { source: string; outputs: unknown[] }[] = [];
    const iopub: JupyterMessage[] = [];
    const run = async (source: string) => {
      const r = await kernel.execute(source);
      iopub.push(...r.iopub);
      cells.push({ source, outputs: r.iopub.filter((m) => ['stream', 'execute_result', 'display_data', 'error'].includes(m.header.msg_type)).map((m) => ({ output_type: m.header.msg_type, ...m.content })) });
      return r;
    };
    try {
      const connect = `%connect ${cluster.bootstrapServers} --ssl-ca ${ca} --sasl-mechanism scram-sha-512 --sasl-username ${USER} --sasl-password-env KAFKA_PW`;
      const ok = await run(connect);
      assert.equal(ok.reply.content.status, 'ok', JSON.stringify(messagesOfType(ok.iopub, 'error').map((m) => m.content.evalue)));
      assert.match(String(resultData(ok)['text/plain']), /connected to brokers 127\.0\.0\.1:\d+ \(from options\), SSL, SASL scram-sha-512 as analyst/);
      await run('%consume secure-scram-sha-512 --from earliest --as secured');
      let records = 0;
      for (let i = 0; i < 100 && records < 500; i++) {
        records = Number(resultData(await run('secured.metrics().records'))['text/plain']);
        if (records < 500) await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(records, 500, 'the stream reads the topic over SASL_SSL');
      await run('secured.metrics()');
      await run('streamlab.session.streams()');
      await run("await streamlab.session.stop('all')");

      const bad = await run(connect.replace('KAFKA_PW', 'KAFKA_BAD_PW'));
      assert.equal(bad.reply.content.status, 'error');
      const [error] = messagesOfType(bad.iopub, 'error');
      assert.match(String(error!.content.evalue), /^connecting: authentication failed at brokers 127\.0\.0\.1:\d+ \(from options\), SSL, SASL scram-sha-512 as analyst: check/);
      assert.equal(String(error!.content.evalue).split('\n').length, 1);
      await run('streamlab.clientLog.entries().slice(-50)');
    } finally {
      await kernel.shutdown();
    }
    const notebook = {
      cells: cells.map((c) => ({ cell_type: 'code', source: c.source, outputs: c.outputs, metadata: {}, execution_count: null })),
      metadata: { kernelspec: { name: 'streamlab' } },
      nbformat: 4,
      nbformat_minor: 5,
    };
    const saved = path.join(dir, 'secured.ipynb');
    fs.writeFileSync(saved, JSON.stringify(notebook, null, 1));
    seen.push(fs.readFileSync(saved, 'utf8'), JSON.stringify(iopub), kernel.stdout, kernel.stderr);
  });
});

test('no password appears in any error, output, client log, saved notebook or broker log', () => {
  seen.push(JSON.stringify(clientLog.entries()));
  for (const file of cluster.logFiles()) seen.push(fs.readFileSync(file, 'utf8'));
  const everything = seen.join('\n');
  assert.ok(everything.length > 10_000, `there is plenty to look through (${everything.length} characters)`);
  assert.ok(everything.includes(USER) && everything.includes('scram-sha-512'), 'the scan does see what was shown');
  for (const secret of [PASSWORD, WRONG]) {
    const at = everything.indexOf(secret);
    assert.equal(at, -1, `the password shows up: ...${everything.slice(Math.max(0, at - 200), at + 50)}...`);
  }
});
