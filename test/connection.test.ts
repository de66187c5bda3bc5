import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { clientLog, describeConnection, resolveConnection, TopicSource, TopicSink } from '../src/kafka';
import { startBroker, TestBroker } from './support/broker';

const PASSWORD = 'hunter2-very-secret';
let broker: TestBroker;
let tmp: string;

before(async () => {
  ({ broker } = await startBroker());
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-conn-'));
});
after(async () => {
  await broker.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('explicit options beat the environment, which beats the config file', () => {
  const file = path.join(tmp, 'config.json');
  fs.writeFileSync(file, JSON.stringify({ brokers: 'file:9092', clientId: 'from-file' }));
  const env = { STREAMLAB_CONFIG: file, STREAMLAB_BROKERS: 'env1:9092,env2:9092' };
  const fromEnv = resolveConnection({}, env);
  assert.deepEqual(fromEnv.brokers, ['env1:9092', 'env2:9092']);
  assert.equal(fromEnv.origin, 'environment');
  assert.equal(fromEnv.clientId, 'from-file');
  const explicit = resolveConnection({ brokers: ['opt:9092'] }, env);
  assert.deepEqual(explicit.brokers, ['opt:9092']);
  assert.equal(explicit.origin, 'options');
  assert.equal(resolveConnection({}, { STREAMLAB_CONFIG: file }).origin, 'config file');
});

test('SASL and SSL settings come from the environment; the password never renders', () => {
  const s = resolveConnection({}, {
    STREAMLAB_BROKERS: 'k1:9093',
    STREAMLAB_SASL_MECHANISM: 'SCRAM-SHA-512',
    STREAMLAB_SASL_USERNAME: 'analyst',
    STREAMLAB_SASL_PASSWORD: PASSWORD,
    STREAMLAB_SSL: 'true',
  });
  assert.equal(s.sasl?.mechanism, 'scram-sha-512');
  assert.equal(s.sasl?.password.reveal(), PASSWORD);
  assert.equal(s.ssl?.rejectUnauthorized, true);
  for (const rendering of [JSON.stringify(s), inspect(s, { depth: 10 }), String(s.sasl?.password), describeConnection(s), `${s.sasl?.password}`]) {
    assert.ok(!rendering.includes(PASSWORD), rendering);
  }
  assert.equal(describeConnection(s), 'brokers k1:9093 (from environment), SSL, SASL scram-sha-512 as analyst');
});

test('a config file can name the environment variable holding the password', () => {
  const file = path.join(tmp, 'sasl.json');
  fs.writeFileSync(file, JSON.stringify({ brokers: ['k:9092'], sasl: { mechanism: 'plain', username: 'u', passwordEnv: 'MY_KAFKA_PW' } }));
  const s = resolveConnection({ configFile: file }, { MY_KAFKA_PW: PASSWORD });
  assert.equal(s.sasl?.password.reveal(), PASSWORD);
  assert.throws(() => resolveConnection({ configFile: file }, {}), /^StreamlabError: config file .*sasl.json: sasl has no password: set the environment variable MY_KAFKA_PW$/);
});

test('bad settings fail with one line', () => {
  assert.throws(() => resolveConnection({ brokers: 'localhost' }, {}), /bad broker address 'localhost': write brokers as host:port/);
  assert.throws(
    () => resolveConnection({ brokers: 'k:1', sasl: { mechanism: 'kerberos', username: 'u', password: 'p' } }, {}),
    /unknown SASL mechanism 'kerberos': use one of plain, scram-sha-256, scram-sha-512/,
  );
  assert.throws(() => resolveConnection({ brokers: 'k:1', ssl: { caFile: '/nope/ca.pem' } }, {}), /SSL caFile \/nope\/ca.pem does not exist/);
  const broken = path.join(tmp, 'broken.json');
  fs.writeFileSync(broken, '{ brokers: ');
  assert.throws(() => resolveConnection({ configFile: broken }, {}), /config file .*broken.json is not valid JSON/);
});

test('a failed SASL connection reports itself without the password, in errors and in the client log', async () => {
  clientLog.clear();
  const connection = { brokers: broker.bootstrapServers, sasl: { mechanism: 'plain', username: 'analyst', password: PASSWORD } };
  const source = new TopicSource({ topic: 'anything', connection });
  const error = await source.start().then(() => undefined, (e: Error) => e);
  assert.ok(error, 'the mock broker has no SASL, so the connection must fail');
  assert.ok(!error.message.includes('\n'), error.message);
  assert.match(error.message, /^consuming 'anything': the broker at .* does not accept SASL on this listener: check the port/);
  const everything = [error.message, inspect(error, { depth: 10 }), JSON.stringify(source.metrics()), JSON.stringify(clientLog.entries())].join('\n');
  assert.ok(!everything.includes(PASSWORD));
  await assert.rejects(TopicSink.open({ topic: 'anything', connection }), (e: Error) => !e.message.includes(PASSWORD));
});
