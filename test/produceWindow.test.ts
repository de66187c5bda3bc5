/**
 * A window written to a topic from a notebook (`%produce out --from perSensor`, i.e. session.produce(out, window)),
 * on the embedded broker: each closed window once, as a row of its key fields, bounds and aggregates, the same rows
 * the exactly-once worker writes, and an aggregate of no numbers written as null rather than refused. Started after
 * the window has closed some, it writes those it keeps first, and names those it no longer keeps.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Session, tumbling, type ConnectionOptions } from '../src';
import { produceRaw, startBroker, uniqueTopic, type TestBroker } from './support/broker';

let broker: TestBroker;
let connection: ConnectionOptions;
let session: Session;

before(async () => {
  ({ broker, connection } = await startBroker());
  session = new Session();
  await session.connect({ ...connection, embeddedFallback: false });
});

after(async () => {
  await session.close();
  await broker.stop();
});

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('produce from a window writes each closed window once, as a row; a mean of no numbers is null', async () => {
  const T0 = Date.UTC(2026, 11, 1, 9, 0, 0);
  const input = uniqueTopic('produce-window-in');
  const out = uniqueTopic('produce-window-out');
  await broker.createTopic(input, 1);
  await broker.createTopic(out, 1);
  const w = await session.window(input, {
    window: tumbling('10s'),
    keyBy: ['sensor'],
    aggregates: ['count', 'mean(value)', 'max(value)'],
    name: 'per-sensor',
    consume: { from: 'earliest', timeField: 'time' },
  });
  const forward = await session.produce(out, w, { keyField: 'sensor', name: 'windows-out' });
  assert.equal(forward, 'windows-out');
  const reading = (sensor: string, seconds: number, value: unknown) => ({ key: sensor, value: JSON.stringify({ sensor, time: T0 + seconds * 1000, value }), timestamp: T0 + seconds * 1000 });
  await produceRaw(connection, input, [
    reading('s1', 1, 1.5),
    reading('s1', 4, 2.5),
    // Every value of s2's first window is unreadable as a number: the window counts it, and has no mean.
    reading('s2', 2, 'n/a'),
    reading('s2', 3, 'n/a'),
    // Moves event time past the first windows (grace 0): they close and are written.
    reading('s1', 25, 7),
  ]);
  await until(() => w.metrics().closedWindows === 2, 'two windows closed');
  await until(() => session.streams().find((s) => s.name === 'windows-out')?.records === 2, 'two windows written');
  const written = (await session.peekRecords(out, 10)).map((r) => ({ key: r.key, value: r.value }));
  written.sort((a, b) => String(a.key).localeCompare(String(b.key)));
  assert.deepEqual(written, [
    { key: 's1', value: { sensor: 's1', windowStart: T0, windowEnd: T0 + 10_000, count: 2, mean_value: 2, max_value: 2.5, invalid_value: 0 } },
    { key: 's2', value: { sensor: 's2', windowStart: T0, windowEnd: T0 + 10_000, count: 2, mean_value: null, max_value: null, invalid_value: 2 } },
  ]);
  await session.stop('all');
});

test('produce from a window started late writes the windows it kept first, then the new ones; those it no longer keeps are named', async () => {
  const T0 = Date.UTC(2026, 11, 2, 9, 0, 0);
  const input = uniqueTopic('produce-window-late-in');
  const out = uniqueTopic('produce-window-late-out');
  await broker.createTopic(input, 1);
  await broker.createTopic(out, 1);
  const notices: string[] = [];
  const off = session.onProblem((m) => void notices.push(m));
  // The window keeps its newest 2 closed windows.
  const w = await session.window(input, { window: tumbling('10s'), keyBy: ['sensor'], aggregates: ['count'], retain: { windows: 2 }, name: 'kept', consume: { from: 'earliest', timeField: 'time' } });
  const reading = (seconds: number) => ({ key: 's1', value: JSON.stringify({ sensor: 's1', time: T0 + seconds * 1000, value: 1 }), timestamp: T0 + seconds * 1000 });
  await produceRaw(connection, input, [reading(1), reading(11), reading(12), reading(21), reading(35)]);
  await until(() => w.metrics().closedWindows === 3, 'three windows closed before the produce');
  await session.produce(out, w, { keyField: 'sensor', name: 'late-out' });
  await produceRaw(connection, input, [reading(47)]);
  await until(() => session.streams().find((s) => s.name === 'late-out')?.records === 3, 'the two kept windows and the new one written');
  const written = (await session.peekRecords(out, 10)).map((r) => r.value as { windowStart: number; count: number });
  assert.deepEqual(written.map((v) => [(v.windowStart - T0) / 1000, v.count]), [[10, 2], [20, 1], [30, 1]]);
  assert.ok(notices.some((m) => m === "writing 'kept' to '" + out + "': window 'kept' closed 3 windows before this and keeps the newest 2, so the first one is not written (give the window a larger retain, or start the produce before the records come)"), JSON.stringify(notices));
  off();
  await session.stop('all');
});
