/**
 * Property test of CSV replay on random files: good rows, broken quotes, blank and whitespace lines, wrong field
 * counts, bad times and numbers, quoted fields, CRLF and CR line ends, a BOM. The invariant: every non-blank line
 * after the header is exactly once either a row (with its true line number and its values) or a rejection with
 * its true line; a good line is always a row.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTimeSeriesCsv } from '../src/demo';
import { checkProperty, fc } from './support/fuzz';

const T0 = Date.parse('2014-07-01T00:00:00Z');

type Line = { kind: 'good'; text: string; time: number; value: number } | { kind: 'bad'; text: string } | { kind: 'blank'; text: string };

const good = fc.tuple(fc.integer({ min: 0, max: 1e6 }), fc.double({ min: -1e9, max: 1e9, noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.boolean()).map(([m, raw, iso, quoted]): Line => {
  const value = raw === 0 ? 0 : raw;
  const time = T0 + m * 60_000;
  const t = iso ? new Date(time).toISOString() : new Date(time).toISOString().replace('T', ' ').replace('.000Z', '');
  const v = String(value);
  return { kind: 'good', text: `${quoted ? `"${t}"` : t},${quoted ? `"${v}"` : v}`, time, value };
});
const bad = fc.oneof(
  fc.constantFrom('"2014-07-01 00:10:00,2', '2014-07-01 00:10:00,"2', 'x,1', '2014-07-01 00:00:00,abc', '2014-07-01 00:00:00', '2014-07-01 00:00:00,1,2', '2014-07-01 00:00:00,', ',', '"a"b,1', '5,1x'),
  fc.string({ maxLength: 12 }).filter((s) => s.trim() !== '' && !/[\r\n]/.test(s)).map((s) => `${s},"`),
).map((text): Line => ({ kind: 'bad', text }));
const blank = fc.constantFrom('', ' ', '\t', '   ').map((text): Line => ({ kind: 'blank', text }));
const lineEnd = fc.constantFrom('\n', '\r\n', '\r');

describe('CSV replay, on random files', () => {
  test('every line after the header is a row or a rejection with its true line', async () => {
    await checkProperty(
      'csv on random files',
      fc.property(fc.array(fc.oneof({ weight: 4, arbitrary: good }, { weight: 2, arbitrary: bad }, { weight: 1, arbitrary: blank }), { maxLength: 60 }), fc.array(lineEnd, { minLength: 61, maxLength: 61 }), fc.boolean(), fc.nat(3), (lines, ends, bom, leadingBlanks) => {
        const all: Line[] = [...Array.from({ length: leadingBlanks }, (): Line => ({ kind: 'blank', text: '' })), { kind: 'blank', text: 'timestamp,value' }, ...lines];
        const header = leadingBlanks + 1;
        const text = (bom ? '\ufeff' : '') + all.map((l, i) => l.text + (i < all.length - 1 ? ends[i % ends.length]! : '')).join('');
        // '\r' then '\n' from two lines reads as one CRLF: the model then sees the lines the parser sees.
        const physical = text.replace(/^\ufeff/, '').split(/\r\n|\n|\r/);
        const csv = parseTimeSeriesCsv(text, 'fuzz.csv');
        const seen = new Map<number, 'row' | 'rejected'>();
        for (const r of csv.rows) {
          assert.ok(!seen.has(r.line), `line ${r.line} twice`);
          seen.set(r.line, 'row');
        }
        for (const r of csv.rejected) {
          assert.ok(!seen.has(r.line), `line ${r.line} twice`);
          seen.set(r.line, 'rejected');
          assert.ok(r.error.length > 0 && !/[\r\n]/.test(r.error), r.error);
        }
        const headerLine = physical.findIndex((l) => l.trim() !== '') + 1;
        const expectedLines = physical.flatMap((l, i) => (i + 1 > headerLine && l.trim() !== '' ? [i + 1] : []));
        assert.deepEqual([...seen.keys()].sort((a, b) => a - b), expectedLines, 'every non-blank line after the header, once');
        if (physical.length === all.length) {
          // Line ends did not merge: each generated line is its own physical line, so the model knows each outcome.
          all.forEach((l, i) => {
            if (l.kind !== 'good' || i < header) return;
            const row = csv.rows.find((r) => r.line === i + 1);
            assert.ok(row, `good line ${i + 1} '${l.text}' was rejected: ${csv.rejected.find((r) => r.line === i + 1)?.error}`);
            assert.equal(row.time, l.time);
            assert.equal(row.values.value, l.value);
          });
          for (const r of csv.rejected) assert.notEqual(all[r.line - 1]!.kind, 'good');
        }
      }),
      1000,
    );
  });
});
