import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { brokerStatePath, readBrokerState } from '../src/config';
import { TopicAdmin, resolveConnection } from '../src/kafka';

const CLI = path.join(__dirname, '..', 'cli', 'main.js');

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

function exitOf(child: ReturnType<typeof run>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d));
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

test('`streamlab broker` records itself, serves topics, and cleans up on SIGTERM', async () => {
  const child = run(['broker', '--topic', 'readings:3', '--topic', 'alerts']);
  const exited = exitOf(child);
  const lines = readline.createInterface({ input: child.stdout! });
  const bootstrap = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      const m = /bootstrap servers: (\S+)/.exec(line);
      if (m) resolve(m[1]!);
    });
    child.once('exit', () => reject(new Error('broker exited early')));
  });
  assert.match(bootstrap, /^127\.0\.0\.1:\d+$/);
  const state = readBrokerState();
  assert.ok(state, `state file at ${brokerStatePath()}`);
  assert.equal(state.bootstrapServers, bootstrap);
  assert.equal(state.pid, child.pid);

  // No configuration: clients find the broker through the state file.
  const settings = resolveConnection({}, {});
  assert.equal(settings.origin, 'embedded broker');
  assert.deepEqual(settings.brokers, [bootstrap]);
  const admin = await TopicAdmin.connect(settings);
  try {
    assert.deepEqual((await admin.summary('readings')).partitions, 3);
    assert.deepEqual((await admin.summary('alerts')).partitions, 4);
    assert.equal(await admin.createTopic('made-later', 2), true, 'created through the control API');
    assert.equal((await admin.summary('made-later')).partitions, 2);
    assert.equal(await admin.createTopic('made-later', 2), false, 'creating twice is a no-op');
  } finally {
    await admin.disconnect();
  }

  child.kill('SIGTERM');
  const { code, stdout } = await exited;
  assert.equal(code, 0);
  assert.match(stdout, /no CreateTopics/, 'the mock limits are stated');
  assert.equal(fs.existsSync(brokerStatePath()), false, 'state file removed');
});

test('a missing librdkafka is one line saying how to install it', async () => {
  const { code, stderr } = await exitOf(run(['broker'], { STREAMLAB_LIBRDKAFKA: '/nonexistent/librdkafka.so.1' }));
  assert.equal(code, 1);
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0]!, /^streamlab: librdkafka not found .*apt-get install librdkafka1.*brew install librdkafka/);
});

test('unknown commands and options answer with a suggestion and usage', async () => {
  const a = await exitOf(run(['brokr']));
  assert.equal(a.code, 1);
  assert.equal(a.stderr.trim(), "streamlab: unknown command 'brokr': did you mean 'broker'?");
  const b = await exitOf(run(['broker', '--partitons', '3']));
  assert.equal(b.code, 1);
  assert.match(b.stderr.trim(), /^streamlab: Unknown option '--partitons'.* \(did you mean --partitions\?\): usage: streamlab broker/);
  assert.equal(b.stderr.trim().split('\n').length, 1);
});

test('without any broker configured, clients say where brokers can come from', () => {
  assert.throws(() => resolveConnection({}, {}), /^StreamlabError: no Kafka brokers configured: pass brokers .*STREAMLAB_BROKERS.*streamlab broker/);
});
