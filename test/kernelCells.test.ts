/**
 * What a cell shows, over ZeroMQ with the real kernel: a status line that appears, updates and ends; a ticking
 * table that keeps to its rate and row limit; caughtUp() / until() that resolve and time out with one line; times as
 * ISO-8601 dates in HTML and text; empty results that say why; %streams counts that match the streams' own metrics.
 * (Stack traces citing the cell are in kernel.test.ts.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { KernelProcess, JupyterMessage } from './support/kernelClient';
import { startStreamlabKernel, messagesOfType, errorOf, resultData } from './support/streamlabKernel';
import { produceRaw, sleep, startBroker, TestBroker, uniqueTopic } from './support/broker';
import type { ConnectionOptions } from '../src';

const TABLE_MIME = 'application/vnd.streamlab.table+json';
const ISO = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z/;
const EPOCH_MS = /\b1[6-9]\d{11}\b/;
const T0 = Date.parse('2026-03-01T08:00:00Z');

let broker: TestBroker;
let connection: ConnectionOptions;
let kernel: KernelProcess;

before(async () => {
  ({ broker, connection } = await startBroker({ writeState: true }));
  kernel = await startStreamlabKernel();
  assert.equal((await kernel.execute('%connect')).reply.content.status, 'ok');
});
after(async () => {
  if (!kernel.hasExited) await kernel.shutdown();
  await broker.stop();
});

function readings(n: number, from = 0): { key: string; value: string; timestamp: number }[] {
  return Array.from({ length: n }, (_, i) => {
    const t = T0 + (from + i) * 100;
    return { key: `s${(from + i) % 3}`, value: JSON.stringify({ sensor: `s${(from + i) % 3}`, value: from + i, time: t }), timestamp: t };
  });
}

/** Every display the kernel sends from now on (display_data and update_display_data), by display id. */
function watchDisplays(k: KernelProcess) {
  const byId = new Map<string, { type: string; data: Record<string, unknown>; at: number }[]>();
  const off = k.on('iopub', (m: JupyterMessage) => {
    const type = m.header.msg_type;
    if (type !== 'display_data' && type !== 'update_display_data') return;
    const id = String((m.content.transient as { display_id?: string } | undefined)?.display_id ?? '');
    if (!id) return;
    const list = byId.get(id) ?? [];
    list.push({ type, data: m.content.data as Record<string, unknown>, at: Date.now() });
    byId.set(id, list);
  });
  return {
    byId,
    /** The display whose first text matches. */
    find(text: RegExp) {
      for (const [id, list] of byId) if (text.test(String(list[0]!.data['text/plain'] ?? ''))) return { id, list };
      return undefined;
    },
    stop: off,
  };
}

async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await sleep(100);
  }
}

function ok(r: { reply: JupyterMessage; iopub: JupyterMessage[] }): typeof r {
  const errors = messagesOfType(r.iopub, 'error').map((m) => String(m.content.evalue));
  assert.equal(r.reply.content.status, 'ok', errors.join('\n'));
  return r;
}

test('a stream\'s status line appears, updates in place as records arrive, and ends with its final state', async () => {
  const topic = uniqueTopic('status');
  await broker.createTopic(topic, 1);
  await produceRaw(connection, topic, readings(50));
  const displays = watchDisplays(kernel);
  try {
    ok(await kernel.execute(`%consume ${topic} --as statusStream --from earliest --time-field time`));
    const line = await waitFor('the status line', () => displays.find(/^. statusStream/));
    assert.match(String(line.list[0]!.data['text/plain']), new RegExp(`^[●○] statusStream( \\[starting\\])?: consuming '${topic}' from its first record \\(earliest\\)`));
    assert.match(String(line.list[0]!.data['text/html']), /class="streamlab-status"/);
    await produceRaw(connection, topic, readings(100, 50));
    await waitFor('an update that counts all 150 records', () => line.list.some((u) => u.type === 'update_display_data' && /· 150 records ·/.test(String(u.data['text/plain']))));
    const updates = line.list.filter((u) => u.type === 'update_display_data');
    assert.ok(updates.every((u) => /^● statusStream: /.test(String(u.data['text/plain'])) || /^○/.test(String(u.data['text/plain']))), 'running updates');
    ok(await kernel.execute('%stop statusStream'));
    await waitFor('the final state', () => /^■ statusStream \[stopped\]: .*· 150 records/.test(String(line.list[line.list.length - 1]!.data['text/plain'])));
    const count = line.list.length;
    await sleep(2500);
    assert.equal(line.list.length, count, 'no update after it ended');
  } finally {
    displays.stop();
  }
});

test('a ticking table keeps to its row limit and its rate, newest first, with dates as ISO-8601', async () => {
  const topic = uniqueTopic('ticking');
  await broker.createTopic(topic, 1);
  const displays = watchDisplays(kernel);
  try {
    ok(await kernel.execute(`%consume ${topic} --as ticking --time-field time`));
    ok(await kernel.execute('ticking.show({ rows: 5, everyMs: 500 })'));
    const table = await waitFor('the table', () => {
      for (const [id, list] of displays.byId) if (list[0]!.data[TABLE_MIME]) return { id, list };
      return undefined;
    });
    const empty = table.list[0]!.data;
    assert.match(String(empty['text/plain']), /caught up: it started at the end of/, 'an empty table says why');
    const started = Date.now();
    for (let i = 0; i < 6; i++) {
      await produceRaw(connection, topic, readings(40, i * 40));
      await sleep(300);
    }
    await waitFor('the last records in the table', () => {
      const t = table.list[table.list.length - 1]!.data[TABLE_MIME] as { rows: unknown[][]; columns: string[] };
      return t.rows.length === 5 && JSON.stringify(t.rows[0]).includes('239') ? t : undefined;
    }).catch((e: Error) => {
      throw new Error(`${e.message}: the table last showed ${JSON.stringify(table.list[table.list.length - 1]!.data[TABLE_MIME]).slice(0, 600)}`);
    });
    const elapsed = Date.now() - started;
    const updates = table.list.filter((u) => u.type === 'update_display_data');
    assert.ok(updates.length >= 2, `it ticked (${updates.length} updates)`);
    assert.ok(updates.length <= Math.ceil(elapsed / 500) + 1, `at most one update per 500 ms: ${updates.length} in ${elapsed} ms`);
    for (const u of updates) assert.ok((u.data[TABLE_MIME] as { rows: unknown[] }).rows.length <= 5, 'never more rows than asked');
    const last = table.list[table.list.length - 1]!.data;
    const json = last[TABLE_MIME] as { columns: string[]; rows: unknown[][]; timeColumns: string[] };
    assert.ok(json.timeColumns.includes('time'), `time is a time column: ${json.timeColumns}`);
    assert.match(String(last['text/html']), ISO);
    assert.match(String(last['text/plain']), ISO);
    assert.doesNotMatch(String(last['text/html']), EPOCH_MS, 'no epoch numbers in the HTML');
    ok(await kernel.execute('%stop ticking'));
  } finally {
    displays.stop();
  }
});

test('caughtUp() resolves once the stream has read what the topic held, and until(n) once it has n records', async () => {
  const topic = uniqueTopic('caught');
  await broker.createTopic(topic, 2);
  await produceRaw(connection, topic, readings(300));
  ok(await kernel.execute(`%consume ${topic} --as caught --from earliest --time-field time`));
  const r = ok(await kernel.execute('const m = await caught.caughtUp({ timeoutMs: 30_000 });\nm.records'));
  assert.equal(resultData(r)['text/plain'], '300');
  await produceRaw(connection, topic, readings(20, 300));
  assert.equal(resultData(ok(await kernel.execute('(await caught.until(320, { timeoutMs: 30_000 })).records')))['text/plain'], '320');
  ok(await kernel.execute('%stop caught'));
});

test('caughtUp() on a stream that cannot catch up times out with one line that says what to do', async () => {
  const topic = uniqueTopic('stalled');
  await broker.createTopic(topic, 1);
  ok(await kernel.execute(`%consume ${topic} --as stalled`));
  ok(await kernel.execute('await stalled.caughtUp({ timeoutMs: 20_000 }); await stalled.pause();'));
  await produceRaw(connection, topic, readings(30));
  const e = errorOf(await kernel.execute('await stalled.caughtUp({ timeoutMs: 1500 })'));
  assert.match(e.evalue, new RegExp(`^the stream on '${topic}' has not caught up after 1\\.5 s: 30 of the records the topic held are still to read \\(paused\\)`));
  assert.match(e.evalue, /wait longer \(caughtUp\(\{ timeoutMs: 600_000 \}\)\), or look at %streams/);
  assert.ok(!e.evalue.includes('\n'), 'one line');
  assert.ok(e.traceback.every((l) => !/node:internal|dist\/src/.test(l)), `no library frames: ${e.traceback.join(' | ')}`);
  ok(await kernel.execute('%stop stalled'));
});

test('window bounds, record times and watermarks read as dates; metrics are a table without undefined', async () => {
  const topic = uniqueTopic('dates');
  await broker.createTopic(topic, 1);
  await produceRaw(connection, topic, readings(200));
  ok(await kernel.execute(`%window ${topic} --from earliest --time-field time --tumbling 5s --by sensor --agg mean(value),stddev(value),count --as dated`));
  ok(await kernel.execute('await dated.caughtUp({ timeoutMs: 30_000 });'));
  const closed = resultData(ok(await kernel.execute('dated.closed()')));
  assert.match(String(closed['text/html']), /<td>2026-03-01T08:00:00Z<\/td>/, 'windowStart as a date');
  assert.doesNotMatch(String(closed['text/html']), EPOCH_MS);
  assert.match(String(closed['text/plain']), /2026-03-01T08:00:05Z/);
  assert.equal(resultData(ok(await kernel.execute('typeof dated.closedRows()[0].windowStart')))['text/plain'], "'number'", 'code still gets epoch milliseconds');
  const metrics = resultData(ok(await kernel.execute('dated.metrics()')));
  assert.match(String(metrics['text/html']), /<table/);
  assert.match(String(metrics['text/plain']), /watermark\s+2026-03-01T08:00:19\.9Z|watermark\s+2026-03-01T08:00:19\.900Z/);
  assert.doesNotMatch(String(metrics['text/plain']) + String(metrics['text/html']), /undefined|NaN/);
  const peek = resultData(ok(await kernel.execute(`%peek ${topic} -n 3`)));
  assert.match(String(peek['text/html']), ISO);
  assert.doesNotMatch(String(peek['text/html']), EPOCH_MS, 'a record time inside the value reads as a date too');
  ok(await kernel.execute('%stop dated'));
});

test('empty results say why and what to do', async () => {
  const topic = uniqueTopic('empty');
  await broker.createTopic(topic, 1);
  const peek = resultData(ok(await kernel.execute(`%peek ${topic}`)));
  assert.match(String(peek['text/plain']), new RegExp(`'${topic}' is empty`));
  await produceRaw(connection, topic, readings(20));
  ok(await kernel.execute(`%consume ${topic} --as later --time-field time`));
  ok(await kernel.execute('await later.caughtUp({ timeoutMs: 20_000 });'));
  ok(await kernel.execute('%window later --tumbling 1s --agg count --as fromNow'));
  const closed = resultData(ok(await kernel.execute('fromNow.closed()')));
  assert.match(String(closed['text/plain']), /no records yet: it windows the records stream 'later' reads from now on \(to window what the topic holds: %window .* --from earliest/);
  ok(await kernel.execute('%stop fromNow'));
  ok(await kernel.execute('%stop later'));
});

test('%streams counts match each stream\'s own metrics, one row per name', async () => {
  const topic = uniqueTopic('counts');
  await broker.createTopic(topic, 2);
  await produceRaw(connection, topic, readings(400));
  ok(await kernel.execute(`%consume ${topic} --as counted --from earliest --time-field time`));
  ok(await kernel.execute('%window counted --tumbling 1s --agg count --as countedWindows'));
  ok(await kernel.execute('await counted.caughtUp({ timeoutMs: 30_000 });'));
  const rows = JSON.parse(String(resultData(ok(await kernel.execute('JSON.stringify(streamlab.session.streams().map((s) => [s.name, s.kind, s.records]))')))['text/plain']).slice(1, -1)) as [string, string, number][];
  const own = JSON.parse(String(resultData(ok(await kernel.execute('JSON.stringify([counted.metrics().records, countedWindows.metrics().received])')))['text/plain']).slice(1, -1)) as number[];
  assert.deepEqual(rows.filter((r) => r[0].startsWith('counted')), [['counted', 'consume', own[0]], ['countedWindows', 'window', own[1]]]);
  assert.equal(own[0], 400);
  const shown = ok(await kernel.execute('%streams'));
  const data = messagesOfType(shown.iopub, 'execute_result').concat(messagesOfType(shown.iopub, 'display_data')).map((m) => String((m.content.data as Record<string, unknown>)['text/plain'])).join('\n');
  assert.match(data, /counted\s+consume/);
  assert.match(data, /countedWindows\s+window/);
  assert.doesNotMatch(data, /undefined/);
  ok(await kernel.execute('%stop countedWindows'));
  ok(await kernel.execute('%stop counted'));
});

test('a shorthand property names an earlier cell\'s variable (tslab alone says "not defined")', async () => {
  ok(await kernel.execute('const shorthandCount = 7;\nlet shorthandName = "a";'));
  assert.equal(resultData(ok(await kernel.execute('const made = { shorthandCount, shorthandName };\nJSON.stringify(made)')))['text/plain'], `'{"shorthandCount":7,"shorthandName":"a"}'`);
  assert.equal(resultData(ok(await kernel.execute('({ shorthandName } = { shorthandName: "b" });\nshorthandName')))['text/plain'], "'b'");
});

test('a window\'s ticking table ends when the window is stopped', async () => {
  const topic = uniqueTopic('winshow');
  await broker.createTopic(topic, 1);
  const displays = watchDisplays(kernel);
  try {
    ok(await kernel.execute(`%window ${topic} --time-field time --tumbling 1s --agg count --as shownWindows --show`));
    const table = await waitFor('the window table', () => {
      for (const [id, list] of displays.byId) if (list[0]!.data[TABLE_MIME] && /tumbling 1s/.test(String(list[0]!.data['text/plain']))) return { id, list };
      return undefined;
    });
    await produceRaw(connection, topic, readings(30, 0).map((r) => ({ ...r, timestamp: Date.now() })));
    ok(await kernel.execute('%stop shownWindows'));
    await waitFor('the last refresh, saying stopped', () => /· stopped$/m.test(String(table.list[table.list.length - 1]!.data['text/plain']).split('\n')[0]!));
    const count = table.list.length;
    await produceRaw(connection, topic, readings(30, 30));
    await sleep(2500);
    assert.equal(table.list.length, count, 'no refresh after the stop');
  } finally {
    displays.stop();
  }
});
