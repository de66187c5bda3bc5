/**
 * Property test of the sink on random rows (numbers including NaN and -0, text, BigInt, Dates valid and invalid,
 * Maps, Sets, Buffers, undefined, nested objects and arrays, circular rows, bad keys), against the embedded broker.
 *
 * The model, independent of the sink's code: a row is good when JSON writes it exactly (JSON.parse of its JSON is
 * the row, Dates read as their ISO text) and its key field, if any, is a string, finite number or boolean. Then
 * with onInvalid 'reject' a call is sent whole when every row is good, and otherwise fails naming the first bad row
 * with nothing sent; with 'dead-letter' the good rows are sent and the bad ones reported, each by its row number.
 * At the end the topic holds exactly the rows the calls reported sent, as they were.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { EmbeddedBroker } from '../src/broker';
import { StreamlabError } from '../src/errors';
import { TopicSink, TopicSource } from '../src/kafka';
import { JsonValue, StreamRecord } from '../src/record';
import { checkProperty, fc } from './support/fuzz';
import { uniqueTopic } from './support/broker';

let broker: EmbeddedBroker;
before(async () => {
  broker = await EmbeddedBroker.start();
});
after(async () => {
  await broker.stop();
});

const leaf = fc.oneof(
  { weight: 6, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 6 }), fc.boolean(), fc.constant(null)) },
  { weight: 1, arbitrary: fc.oneof(fc.constant(undefined), fc.bigInt({ min: -10n, max: 10n }), fc.date({ noInvalidDate: false })) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(new Map([[1, 2]]), new Set([1]), /x/, new Error('e'), Buffer.from('ab'), new Uint8Array(2), -0) },
);
const fieldName = fc.string({ minLength: 1, maxLength: 4 }).filter((k) => k !== '__proto__' && k !== 'k' && !k.startsWith('__'));
const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(fieldName, tie('value'), { maxKeys: 3 })),
}));
const rowArb = fc.tuple(fc.dictionary(fieldName, value, { maxKeys: 4 }), fc.oneof({ weight: 5, arbitrary: fc.oneof(fc.string({ maxLength: 4 }), fc.integer()) }, { weight: 1, arbitrary: leaf }, { weight: 1, arbitrary: fc.constant({ id: 1 }) }), fc.nat(20)).map(
  ([fields, k, circularOdds]) => {
    const row: Record<string, unknown> = { ...fields, k };
    if (circularOdds === 0) row.loop = row;
    return row;
  },
);

/** The row as JSON should give it back: Dates as their text, -0 as 0 (the same JSON number); everything else as is. */
function normalize(v: unknown): unknown {
  if (Object.is(v, -0)) return 0;
  if (v instanceof Date) return Number.isFinite(v.getTime()) ? v.toISOString() : v;
  if (Array.isArray(v)) return v.map(normalize);
  const proto = v !== null && typeof v === 'object' ? Object.getPrototypeOf(v) : undefined;
  if (proto === Object.prototype || proto === null) return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, normalize(x)]));
  return v;
}

function isGood(row: Record<string, unknown>, keyed: boolean): boolean {
  let text: string;
  try {
    text = JSON.stringify(row);
  } catch {
    return false;
  }
  if (!isDeepStrictEqual(JSON.parse(text), normalize(row))) return false;
  if (!keyed) return true;
  const k = row.k;
  return typeof k === 'string' || typeof k === 'boolean' || (typeof k === 'number' && Number.isFinite(k));
}

describe('the sink, on random rows', () => {
  test('a call is sent whole or reported whole, naming the rows; the topic holds exactly what was sent', async () => {
    const topic = uniqueTopic('fuzz-sink');
    const reject = await TopicSink.open({ topic, connection: broker.connection, createTopic: { partitions: 2 }, keyField: 'k', batchSize: 7 });
    const deadLetter = await TopicSink.open({ topic, connection: broker.connection, onInvalid: 'dead-letter', batchSize: 5, rejectedLimit: 100_000 });
    const sent = new Map<string, unknown>();
    let call = 0;
    try {
      await checkProperty(
        'sink on random rows',
        fc.asyncProperty(fc.array(rowArb, { maxLength: 25 }), fc.boolean(), async (rows, keyed) => {
          const id = call++;
          const tagged = rows.map((r, i) => Object.assign(r, { __call: id, __row: i }));
          const good = tagged.map((r) => isGood(r, keyed));
          if (keyed) {
            const firstBad = good.indexOf(false);
            let error: unknown;
            try {
              await reject.write(tagged);
              await reject.flush();
            } catch (e) {
              error = e;
            }
            if (firstBad < 0) {
              assert.equal(error, undefined, `a good call failed: ${String(error)}`);
              for (const r of tagged) sent.set(`${id}/${r.__row}`, normalize(r));
            } else {
              assert.ok(error instanceof StreamlabError, `a call with bad row ${firstBad} did not fail: ${String(error)}`);
              assert.ok(!error.message.includes('\n'), 'one line');
              assert.match(error.message, new RegExp(`^producing to '${topic}': row ${firstBad}: `));
              assert.match(error.message, /nothing of this call was sent/);
            }
          } else {
            const before = deadLetter.rejected.list().length;
            await deadLetter.write(tagged);
            await deadLetter.flush();
            const rejected = deadLetter.rejected.list().slice(before);
            assert.equal(deadLetter.rejected.total, deadLetter.rejected.list().length);
            assert.deepEqual(rejected.map((r) => r.row), good.flatMap((g, i) => (g ? [] : [i])));
            for (const r of rejected) assert.ok(!r.error.includes('\n') && r.error.length > 0, r.error);
            tagged.forEach((r, i) => good[i] && sent.set(`${id}/${i}`, normalize(r)));
          }
        }),
        150,
      );
    } finally {
      await reject.close();
      await deadLetter.close();
    }
    assert.equal(reject.metrics().records + deadLetter.metrics().records, sent.size);
    const source = new TopicSource({ topic, from: 'earliest', connection: broker.connection, untilEnd: true });
    const reader = source.reader(100_000);
    await source.start();
    const got: StreamRecord<JsonValue>[] = [];
    for await (const r of reader) got.push(r);
    assert.equal(source.metrics().deadLetters, 0);
    assert.equal(got.length, sent.size, 'the topic holds exactly the rows reported sent');
    for (const r of got) {
      const expected = sent.get(`${r.value.__call}/${r.value.__row}`);
      assert.deepEqual(r.value, expected, 'as they were');
    }
  });
});
