/**
 * %table and %join through the real kernel over ZeroMQ, against a real broker: a table of a topic and a foreign-key
 * join bound to typed variables, the join's ticking table, a window of the join by name, its row in %streams, a
 * stream-stream join, the one-line errors in the magic's own syntax, --explain, help and completion.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { KernelProcess } from './support/kernelClient';
import { startStreamlabKernel, messagesOfType, errorOf, resultData } from './support/streamlabKernel';
import { produceRaw, sleep, startBroker, TestBroker, uniqueTopic } from './support/broker';

let broker: TestBroker;
let kernel: KernelProcess;
let cards: string;
let payments: string;
let declines: string;
const T0 = Date.parse('2026-06-01T00:00:00Z');

before(async () => {
  ({ broker } = await startBroker({ writeState: true }));
  cards = uniqueTopic('cards');
  payments = uniqueTopic('payments');
  declines = uniqueTopic('declines');
  await broker.createTopic(cards, 1);
  await broker.createTopic(payments, 2);
  await broker.createTopic(declines, 2);
  await produceRaw(broker.connection, cards, [
    ...Array.from({ length: 8 }, (_, i) => ({ key: `c${i}`, value: JSON.stringify({ country: i % 2 ? 'NL' : 'DE', limit: 100 * (i + 1) }), timestamp: T0 })),
    { key: 'c7', value: null, timestamp: T0 + 1 },
  ]);
  // Payments keyed by card, on the card's partition; declines likewise, so the two are co-partitioned.
  await produceRaw(
    broker.connection,
    payments,
    Array.from({ length: 40 }, (_, i) => ({ key: `c${i % 8}`, value: JSON.stringify({ card: `c${i % 8}`, amount: i, time: T0 + i * 60_000 }), partition: (i % 8) % 2, timestamp: T0 + i * 60_000 })),
  );
  await produceRaw(
    broker.connection,
    declines,
    [0, 3, 5].map((i) => ({ key: `c${i}`, value: JSON.stringify({ card: `c${i}`, reason: 'limit', time: T0 + i * 60_000 + 30_000 }), partition: i % 2, timestamp: T0 + i * 60_000 + 30_000 })),
  );
  kernel = await startStreamlabKernel();
});
after(async () => {
  if (!kernel.hasExited) await kernel.shutdown();
  await broker.stop();
});

const html = (r: Awaited<ReturnType<KernelProcess['execute']>>) => String(resultData(r)['text/html']);
const displayed = (r: Awaited<ReturnType<KernelProcess['execute']>>) =>
  [...messagesOfType(r.iopub, 'display_data'), ...messagesOfType(r.iopub, 'update_display_data')].map((m) => String((m.content.data as Record<string, unknown>)['text/html'] ?? '')).join('\n');

async function ok(code: string) {
  const r = await kernel.execute(code);
  assert.equal(r.reply.content.status, 'ok', `${code}\n${JSON.stringify(messagesOfType(r.iopub, 'error').map((m) => m.content.evalue))}`);
  return r;
}

async function value(code: string): Promise<string> {
  return String(resultData(await ok(code))['text/plain']);
}

async function eventually(code: string, expected: string, what: string): Promise<void> {
  let last = '';
  for (let i = 0; i < 100; i++) {
    last = await value(code);
    if (last === expected) return;
    await sleep(200);
  }
  assert.fail(`${what}: ${code} gave ${last}, expected ${expected}`);
}

test('%table and a foreign-key %join bind typed variables; the join ticks as a table and is windowed by name', async () => {
  await ok('%connect');
  await ok(`%table ${cards} --as cardTable`);
  assert.equal(await value('cardTable.size'), '7', 'eight cards, one deleted by its tombstone');
  assert.equal(await value("JSON.stringify(cardTable.get('c1'))"), `'{"country":"NL","limit":200}'`);
  const shown = await ok(`%join ${payments} cardTable --left-key card --kind left --from earliest --time-field time --show --as enriched`);
  await eventually('enriched.metrics().records', '40', 'every payment joined');
  assert.equal(await value('(enriched as streamlab.StreamTableJoin).metrics().unmatched'), '5', "the deleted card's five payments found no row");
  // The status line and the ticking table of results are below the cell.
  const below = displayed(shown);
  assert.match(below, /join '.*': the newest results|join of topic/);
  const table = html(await ok('enriched'));
  assert.match(table, /cardTable\.country/, 'the table side is flattened to dotted columns');
  // A typed variable: a wrong use is a type error naming the join's type.
  const e = errorOf(await kernel.execute('const n: number = enriched;'));
  assert.equal(e.ename, 'TypeScriptError');
  // A join is a stream: %window takes its name and groups by a field of the table's side.
  await ok('%window enriched --tumbling 1h --by cardTable.country --agg count,sum(amount) --as byCountry');
  // Windowed in a later cell, it still gets every result the join gave: the join keeps them (keep) and hands them over first.
  await eventually('byCountry.metrics().received', '40', 'the window got the join\'s results from the first');
  const streams = html(await ok('%streams'));
  assert.match(streams, /<td>enriched<\/td><td>join<\/td>/);
  assert.match(streams, /<td>byCountry<\/td><td>window<\/td>/);
  await ok('%stop all');
});

test('a stream-stream %join in event time, and its errors in the magic\'s own words', async () => {
  await ok(`%join ${payments} ${declines} --within 1m --grace 0s --kind left --from earliest --time-field time --as withDeclines`);
  await eventually('withDeclines.metrics().left.records + withDeclines.metrics().right.records', '43', 'both sides read');
  // Each decline is 30 s after a payment of its card: three joined; the other payments come out alone as their windows close.
  assert.equal(await value('(withDeclines as streamlab.StreamStreamJoin).metrics().joined'), '3');
  const noGrace = errorOf(await kernel.execute(`%join ${payments} ${declines} --within 1m --as noGrace`));
  assert.equal(noGrace.ename, 'StreamlabError');
  assert.match(noGrace.evalue, /^a stream-stream join window needs a grace period: .*give grace \(e\.g\. grace: 5000, or --grace 5s; 0 waits for none\)$/);
  const typo = errorOf(await kernel.execute(`%join ${payments} ${declines} --on crd --within 1m --grace 0s --from earliest --as typo`));
  assert.match(typo.evalue, /^join 'typo': no record of '.*' has the key field 'crd' among .*; did you mean 'card'\?: name a field the records have; nothing was started$/);
  const tableFirst = errorOf(await kernel.execute(`%table ${cards} --as t2\n%join t2 ${payments} --as wrongWay`));
  assert.match(tableFirst.evalue, /^'t2' is a table, and a table on the left joins only another table: to enrich a stream with 't2', put the stream first: %join STREAM t2$/);
  for (const e of [noGrace, typo, tableFirst]) assert.ok(!e.evalue.includes('\n'), 'one line');
  assert.doesNotMatch(html(await ok('%streams')), /noGrace|typo|wrongWay/, 'nothing was left running');
  await ok('%stop all');
});

test('%join --explain shows the TypeScript it runs; help and completion know it', async () => {
  const r = await ok(`%join ${payments} cards --left-key card --kind left --as explained --explain`);
  const shown = messagesOfType(r.iopub, 'display_data')[0]!.content.data['text/plain'];
  assert.equal(shown, `const explained = await streamlab.session.join("${payments}", "cards", { name: "explained", kind: "left", leftKey: "card" });`);
  const windowed = messagesOfType((await ok(`%join ${payments} ${declines} --within 1m --grace 5s --as w --explain`)).iopub, 'display_data')[0]!.content.data['text/plain'];
  assert.equal(windowed, `const w = (await streamlab.session.join("${payments}", "${declines}", { name: "w", within: "1m", grace: "5s" })) as streamlab.StreamStreamJoin;`);
  const help = await ok('%help join');
  const page = (help.reply.content.payload as { data: Record<string, string> }[])[0]!.data['text/plain'] ?? '';
  assert.match(page, /^%join LEFT RIGHT --as NAME/);
  assert.match(page, /--within/);
  const code = `%join ${payments} cards --wi`;
  const complete = (await kernel.request('shell', 'complete_request', { code, cursor_pos: code.length })).content;
  assert.ok(complete.matches.includes('--within'), JSON.stringify(complete.matches));
  const kinds = (await kernel.request('shell', 'complete_request', { code: '%join a b --kind ', cursor_pos: '%join a b --kind '.length })).content;
  assert.deepEqual([...kinds.matches].sort(), ['inner', 'left', 'outer']);
});
