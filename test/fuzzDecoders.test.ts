/**
 * Property tests at the decoding boundary: random bytes, random JSON and random time values, through each decoder,
 * the event-time reader and a real TopicSource on the embedded broker. The invariants: a decoder either returns
 * the data unchanged or refuses it with one line (never another kind of failure, never a silent change), and a
 * stream hands out every record exactly once, as a good record or a dead letter with its offset.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { EmbeddedBroker } from '../src/broker';
import { TopicSource, bytesDecoder, csvDecoder, jsonDecoder, numberDecoder, stringDecoder } from '../src/kafka';
import { PLAUSIBLE_MS, StreamRecord, readEventTime } from '../src/record';
import { checkProperty, fc } from './support/fuzz';
import { produceRaw, uniqueTopic } from './support/broker';

const oneLine = (m: string) => !m.includes('\n') && m.length > 0 && m.length < 400;

/** Byte strings that are often almost text: UTF-8 of random strings with bytes flipped, cut or spliced in. */
const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
  fc.string({ unit: 'binary', maxLength: 40 }).map((s) => Buffer.from(s, 'utf8')),
  fc.tuple(fc.json({ maxDepth: 2 }), fc.nat(60), fc.integer({ min: 0, max: 255 })).map(([json, at, b]) => {
    const buf = Buffer.from(json, 'utf8');
    if (buf.length > 0) buf[at % buf.length] = b;
    return buf;
  }),
);

/** Time field values: plausible and implausible numbers in every unit, number strings, ISO strings, junk. */
const timeValue = fc.oneof(
  fc.double(),
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.integer({ min: 1e9, max: 2e9 }),
  fc.integer({ min: 1e11, max: 1e14 - 1 }),
  fc.double({ min: 1e14, max: 1e20, noNaN: true }),
  fc.constantFrom(Infinity, -Infinity, NaN, 0, -5, 1e400, 1767225600, 1767225600000, 1767225600000000, 1767225600000000000),
  fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.integer({ min: 0, max: 2e12 }).map(String),
  fc.string({ maxLength: 12 }),
  fc.constantFrom(null, true, 'now', '-5', '5', '2026-13-45', '2026-01-01 00:00:00', '2026-01-01T00:00:00+01:00', [], {}),
);

describe('decoders, on random bytes', () => {
  test('each decoder returns the data unchanged or refuses it with one line', async () => {
    const csv = csvDecoder(['a', 'b']);
    await checkProperty(
      'decoders on random bytes',
      fc.property(bytes, (buf) => {
        for (const decoder of [jsonDecoder, stringDecoder, numberDecoder, csv, bytesDecoder]) {
          let value: unknown;
          try {
            value = decoder.decode(buf);
          } catch (e) {
            assert.ok(e instanceof Error, `${decoder.name} threw a non-Error`);
            assert.ok(oneLine(e.message), `${decoder.name}: one line: ${e.message}`);
            if (decoder === bytesDecoder) throw e;
            continue;
          }
          if (decoder === bytesDecoder) {
            assert.deepEqual(value, buf);
            continue;
          }
          // Anything read as text was valid UTF-8: nothing became U+FFFD on the way.
          assert.ok(isUtf8(buf), `${decoder.name} accepted bytes that are not UTF-8`);
          if (decoder === stringDecoder) assert.ok(Buffer.from(value as string, 'utf8').equals(buf), 'string: the same bytes back');
          if (decoder === jsonDecoder) {
            assert.deepEqual(value, JSON.parse(buf.toString('utf8')));
            assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value));
          }
          if (decoder === numberDecoder) assert.ok(Number.isFinite(value), 'number: finite');
        }
      }),
      2000,
    );
  });

  test('the JSON decoder takes exactly the JSON objects, and says what anything else is', async () => {
    await checkProperty(
      'json decoder on random JSON',
      fc.property(fc.jsonValue(), (v) => {
        const buf = Buffer.from(JSON.stringify(v), 'utf8');
        const isObject = v !== null && typeof v === 'object' && !Array.isArray(v);
        if (isObject) {
          assert.deepEqual(jsonDecoder.decode(buf), JSON.parse(buf.toString()));
        } else {
          const kind = v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`;
          assert.throws(() => jsonDecoder.decode(buf), (e: Error) => e.message === `expected a JSON object, got ${kind}`);
        }
      }),
      1000,
    );
  });
});

describe('event time, on random values', () => {
  test('a time is plausible epoch ms, or refused with one line naming the field; units convert exactly', async () => {
    await checkProperty(
      'readEventTime on random values',
      fc.property(timeValue, fc.constantFrom('s', 'ms', 'us', 'ns' as const), (raw, unit) => {
        const reading = readEventTime(raw, 'ts', unit);
        if (typeof reading === 'number') {
          assert.ok(Number.isFinite(reading), 'finite');
          const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^[+-]?[\d.]+(e[+-]?\d+)?$/i.test(raw.trim()) ? Number(raw) : undefined;
          if (n !== undefined) {
            const factor = { s: 1000, ms: 1, us: 1e-3, ns: 1e-6 }[unit];
            assert.equal(reading, n * factor);
            assert.ok(reading >= PLAUSIBLE_MS.min && reading < PLAUSIBLE_MS.max, `plausible: ${reading}`);
          } else {
            assert.equal(typeof raw, 'string');
            assert.match(raw as string, /^[+-]?\d{4,6}-\d\d-\d\d/, 'only ISO-8601 text is read as a date');
          }
        } else {
          assert.ok(oneLine(reading.error), reading.error);
          assert.match(reading.error, /'ts'/);
          assert.equal(reading.missing, raw === null || raw === undefined);
          if (typeof raw === 'number' && Number.isFinite(raw) && raw * { s: 1000, ms: 1, us: 1e-3, ns: 1e-6 }[unit] >= PLAUSIBLE_MS.min && raw * { s: 1000, ms: 1, us: 1e-3, ns: 1e-6 }[unit] < PLAUSIBLE_MS.max) {
            assert.fail(`a plausible number was refused: ${raw} ${unit}`);
          }
        }
      }),
      5000,
    );
  });

  test('ISO-8601 text of any date in range reads back to that instant', async () => {
    await checkProperty(
      'ISO round trip',
      fc.property(fc.date({ min: new Date('1000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), (d) => {
        assert.equal(readEventTime(d.toISOString(), 't'), d.getTime());
        assert.equal(readEventTime(d, 't'), d.getTime());
      }),
      1000,
    );
  });
});

describe('a topic source, on random records from the broker', () => {
  let broker: EmbeddedBroker;
  before(async () => {
    broker = await EmbeddedBroker.start();
  });
  after(async () => {
    await broker.stop();
  });

  const record = fc.record({
    key: fc.option(fc.oneof(fc.string({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a))), { nil: null }),
    value: fc.oneof(
      { weight: 3, arbitrary: fc.tuple(timeValue, fc.jsonValue({ maxDepth: 1 })).map(([time, extra]) => JSON.stringify({ time, extra })) },
      { weight: 1, arbitrary: bytes },
      { weight: 1, arbitrary: fc.constantFrom('', 'null', '[1]', '{"time":1e400}', '{"extra":1}') },
    ),
  });

  test('every record is handed out once: unchanged, or a dead letter with its offset and reason', async () => {
    await checkProperty(
      'source on random records',
      fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 150 }), fc.constantFrom('ms', 's' as const), async (records, timeUnit) => {
        const topic = uniqueTopic('fuzz-source');
        await broker.createTopic(topic, 1);
        await produceRaw(broker.connection, topic, records.map((r) => ({ key: r.key, value: r.value })));
        const source = new TopicSource({ topic, from: 'earliest', connection: broker.connection, timeField: 'time', timeUnit, untilEnd: true, deadLetterLimit: 1000 });
        const reader = source.reader(1000);
        await source.start();
        const got: StreamRecord[] = [];
        for await (const r of reader) got.push(r);
        const dead = source.deadLetters.list();
        const offsets = [...got.map((r) => r.offset), ...dead.map((d) => d.offset)].sort((a, b) => a - b);
        assert.deepEqual(offsets, records.map((_, i) => i), 'each offset exactly once');
        assert.equal(source.metrics().deadLetters, dead.length);
        for (const r of got) {
          const sent = records[r.offset]!;
          const text = Buffer.isBuffer(sent.value) ? sent.value : Buffer.from(sent.value, 'utf8');
          const sentValue = JSON.parse(text.toString('utf8')) as { time: unknown };
          assert.deepEqual(r.value, sentValue, 'the value as sent');
          assert.ok(Number.isFinite(r.time));
          // Epoch numbers are held to the plausible range; ISO-8601 text carries its own unit and is not.
          if (typeof sentValue.time === 'number') assert.ok(r.time >= PLAUSIBLE_MS.min && r.time < PLAUSIBLE_MS.max, `plausible time ${r.time}`);
          const key = sent.key === null ? null : Buffer.isBuffer(sent.key) ? sent.key : Buffer.from(sent.key, 'utf8');
          if (key === null) assert.equal(r.key, null);
          else assert.ok(Buffer.from(r.key as string | Buffer).equals(key), 'the key bytes as sent');
        }
        for (const d of dead) {
          assert.ok(['undecodable', 'missing-time', 'bad-time', 'empty-value'].includes(d.reason), d.reason);
          assert.ok(oneLine(d.error), d.error);
        }
      }),
      4,
    );
  });
});
