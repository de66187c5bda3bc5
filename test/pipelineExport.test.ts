/**
 * A notebook window exported as a pipeline file (on the embedded broker: nothing here needs transactions), read back
 * as `streamlab worker` reads it; what a file cannot carry or a worker cannot run exactly is refused in one line.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Session } from '../src/session';
import { checkPipeline, readPipelineFile } from '../src/pipeline';
import { hopping, sessionWindow, tumbling } from '../src/window';
import { StreamlabError } from '../src/errors';
import { TestBroker, startBroker } from './support/broker';

let broker: TestBroker;
let session: Session;
let dir: string;

before(async () => {
  ({ broker } = await startBroker());
  await broker.createTopic('readings', 2);
  session = new Session();
  await session.connect({ ...broker.connection, embeddedFallback: false });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-export-'));
});
after(async () => {
  await session?.close();
  await broker?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function oneLine(pattern: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof StreamlabError, String(e));
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'));
    return true;
  };
}

test('a window of the session becomes a pipeline file that reads back the same', async () => {
  const stream = await session.consume({ topic: 'readings', name: 'live', from: 'earliest', timeField: 'time' });
  await session.window('live', { name: 'per-sensor', window: hopping('10s', '5s'), grace: '2s', keyBy: 'sensor', aggregates: ['count', 'mean(value)', 'p99(value)'] });
  const file = path.join(dir, 'pipeline.json');
  const exported = session.exportPipeline(file, 'per-sensor', { output: { topic: 'per-sensor-windows', partitions: 6 }, group: 'ops' });
  const read = readPipelineFile(file);
  assert.deepEqual(read, exported);
  assert.deepEqual(read.definition, {
    name: 'per-sensor',
    input: { topic: 'readings', timeField: 'time' },
    window: { kind: 'hopping', size: 10_000, advance: 5000, grace: 2000, keyBy: ['sensor'], aggregates: ['count', 'mean(value)', 'p99(value)'] },
    output: { topic: 'per-sensor-windows', partitions: 6 },
    group: 'ops',
  });
  assert.equal(read.kind, 'window');
  assert.deepEqual(read.kind === 'window' && read.window, { kind: 'hopping', sizeMs: 10_000, advanceMs: 5000 });
  assert.equal(read.group, 'ops');
  await stream.stop();
});

test('what a file cannot carry, or a worker cannot run exactly, is refused naming it', async () => {
  const file = path.join(dir, 'refused.json');
  await session.window('readings', { name: 'sessions', window: sessionWindow('1m'), consume: { from: 'earliest' } });
  assert.throws(() => session.exportPipeline(file, 'sessions', { output: { topic: 'o' } }), oneLine(/exporting window 'sessions': session windows cannot run as workers yet/));
  const reducer = { name: 'range', init: () => [Infinity, -Infinity], add: (s: number[], v: unknown) => [Math.min(s[0]!, v as number), Math.max(s[1]!, v as number)], result: (s: number[]) => s[1]! - s[0]! };
  await session.window('readings', { name: 'custom', window: tumbling('10s'), aggregates: { value: [reducer] }, consume: { from: 'earliest' } });
  assert.throws(() => session.exportPipeline(file, 'custom', { output: { topic: 'o' } }), oneLine(/custom reducer, which a pipeline file cannot carry/));
  await session.window('readings', { name: 'clock', window: tumbling('10s'), time: 'processing', consume: { from: 'earliest' } });
  assert.throws(() => session.exportPipeline(file, 'clock', { output: { topic: 'o' } }), oneLine(/its time is processing time/));
  assert.throws(() => session.exportPipeline(file, 'nothing', { output: { topic: 'o' } }), oneLine(/'nothing' is not a window of this session/));
  assert.equal(fs.existsSync(file), false, 'nothing written');
});

test('a pipeline file is checked whole: the field that is wrong, by name', () => {
  const base = { name: 'p', input: { topic: 'in' }, window: { kind: 'tumbling', size: '10s' }, output: { topic: 'out' } };
  assert.equal(checkPipeline(base).group, 'p', 'the group defaults to the name');
  assert.throws(() => checkPipeline({ ...base, windwo: {} }), oneLine(/unknown field 'windwo': did you mean 'window'\?/));
  assert.throws(() => checkPipeline({ ...base, window: { kind: 'sliding', size: '10s' } }), oneLine(/window.kind 'sliding' cannot run as workers/));
  assert.throws(() => checkPipeline({ ...base, window: { kind: 'tumbling', size: 'ten' } }), oneLine(/tumbling window size/));
  assert.throws(() => checkPipeline({ ...base, output: { topic: 'in' } }), oneLine(/output.topic is the input topic/));
  assert.throws(() => checkPipeline({ ...base, window: { kind: 'tumbling', size: '1s', aggregates: ['mode(x)'] } }), StreamlabError);
  assert.throws(() => readPipelineFile(path.join(dir, 'missing.json')), oneLine(/cannot read the pipeline file .*missing.json \(ENOENT\)/));
});
