/**
 * Property tests of the windowing engine on random records: random times (finite, non-finite, unreadable, far in
 * the future), random keys (scalars, objects, missing, circular), random values (numbers, NaN, Infinity, text,
 * null, objects), every window kind, small key bounds, given one by one, in batches and between advanceTo calls.
 *
 * The invariant: every record is counted exactly once, as aggregated (in a window), late (reached no window),
 * invalid (no usable time or key), future or refused; each record carries an id, collected by a reducer in the
 * windows and read back from the set-aside lists, so "exactly once" is checked record by record.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Reducer, WindowSpec, hopping, sessionWindow, sliding, tumbling, windowed } from '../src/window';
import { checkProperty, fc } from './support/fuzz';

const T0 = Date.parse('2026-06-01T00:00:00Z');
const NOW = T0 + 3_600_000;

const circular = (): Record<string, unknown> => {
  const o: Record<string, unknown> = { id: 1 };
  o.self = o;
  return o;
};

const timeArb = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 0, max: 120_000 }).map((d) => T0 + d) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 'soon', null, undefined, {}) },
  { weight: 1, arbitrary: fc.integer({ min: 2, max: 1000 }).map((days) => NOW + days * 86_400_000) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 120_000 }).map((d) => new Date(T0 + d).toISOString()) },
);
const keyArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 30 }) },
  { weight: 2, arbitrary: fc.constantFrom('a', 'b', '1', 'null', '') },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 3 }).map((id) => ({ id })) },
  { weight: 1, arbitrary: fc.constantFrom(null, undefined, 1.5, true, [1, 2]) },
  { weight: 1, arbitrary: fc.constant('circular') },
);
const valueArb = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 'x', '5', null, undefined, { v: 1 }, true) },
);
const recordArb = fc.record({ time: timeArb, key: keyArb, value: valueArb, site: fc.constantFrom('n', 's') });

const specArb = fc.oneof(
  fc.integer({ min: 1, max: 20 }).map((s) => ({ name: `tumbling ${s}s`, spec: tumbling(s * 1000), overlapping: false })),
  fc.tuple(fc.integer({ min: 2, max: 20 }), fc.integer({ min: 1, max: 20 })).map(([size, adv]) => {
    const advance = Math.min(adv, size);
    return { name: `hopping ${size}s/${advance}s`, spec: hopping(size * 1000, advance * 1000), overlapping: true };
  }),
  fc.integer({ min: 1, max: 20 }).map((s) => ({ name: `sliding ${s}s`, spec: sliding(s * 1000), overlapping: true })),
  fc.integer({ min: 1, max: 20 }).map((s) => ({ name: `session ${s}s`, spec: sessionWindow(s * 1000), overlapping: false })),
);

/** How the records are given: a plan of add, addBatch and advanceTo steps. */
const planArb = fc.array(fc.oneof(fc.constant({ kind: 'add' as const }), fc.integer({ min: 2, max: 30 }).map((n) => ({ kind: 'batch' as const, n })), fc.integer({ min: 0, max: 60_000 }).map((d) => ({ kind: 'advance' as const, d }))), { maxLength: 40 });

const ids: Reducer<number[], number[]> = {
  name: 'ids',
  init: () => [],
  add: (s, v) => {
    s.push(v as number);
    return s;
  },
  merge: (a, b) => a.concat(b),
  result: (s) => [...s],
};

describe('the window engine, on random records', () => {
  test('every record is counted exactly once: aggregated, late, invalid, future or refused', async () => {
    await checkProperty(
      'window accounting',
      fc.property(
        specArb,
        fc.array(recordArb, { maxLength: 400 }),
        planArb,
        fc.record({ keyBy: fc.constantFrom<string[]>([], ['key'], ['key', 'site']), maxKeys: fc.integer({ min: 1, max: 40 }), grace: fc.integer({ min: 0, max: 10_000 }), futureLimit: fc.constantFrom<number | false>(86_400_000, 3_600_000, false) }),
        (window, raw, plan, o) => {
          const records = raw.map((r, id) => ({ ...r, key: r.key === 'circular' ? circular() : r.key, id }));
          const w = windowed({
            window: window.spec as WindowSpec,
            keyBy: o.keyBy,
            grace: o.grace,
            maxKeys: o.maxKeys,
            futureLimit: o.futureLimit,
            clock: () => NOW,
            aggregates: { id: [ids], value: ['mean', 'max'], '*': ['count'] },
            lateLimit: 10_000,
            invalidLimit: 10_000,
          });
          let at = 0;
          for (const step of plan) {
            if (at >= records.length) break;
            if (step.kind === 'add') w.add(records[at++]);
            else if (step.kind === 'batch') w.addBatch(records.slice(at, (at += step.n)));
            else if (w.watermark > -Infinity) w.advanceTo(w.watermark + o.grace + step.d);
          }
          if (at < records.length) w.addBatch(records.slice(at));
          const before = w.metrics();
          w.flush();
          const m = w.metrics();

          // The counters add up.
          assert.equal(m.received, records.length);
          assert.equal(m.received, m.records + m.unusable + m.future + m.keysRefused);
          assert.equal(before.received, records.length);

          // Record by record: the ids in windows, and those set aside, cover every record exactly once.
          const aggregated = new Map<number, number>();
          let countSum = 0;
          for (const row of w.closedRows()) {
            countSum += row.count as number;
            for (const id of row.ids_id as number[]) aggregated.set(id, (aggregated.get(id) ?? 0) + 1);
          }
          const setAside: number[] = [
            ...w.late.list().filter((l) => l.dropped).map((l) => (l.record as { id: number }).id),
            ...w.invalid.list().filter((i) => i.reason !== 'non-numeric').map((i) => (i.record as { id: number }).id),
            ...w.future.list().map((f) => (f.record as { id: number }).id),
            ...w.refused.list().map((r) => (r.record as { id: number }).id),
          ];
          for (const id of setAside) assert.ok(!aggregated.has(id), `record ${id} is both in a window and set aside`);
          assert.equal(new Set(setAside).size, setAside.length, 'no record is set aside twice');
          // Late records that were not dropped reached open windows; on a sliding window's boundary (t + size at the
          // watermark, its documented rule) such a record is kept for windows that only a close later record makes,
          // and when none comes it stays in no window: it is still counted, as late.
          const lateKept = w.late.list().filter((l) => !l.dropped).map((l) => (l.record as { id: number }).id);
          if (!window.name.startsWith('sliding')) for (const id of lateKept) assert.ok(aggregated.has(id), `late record ${id} said it reached a window`);
          assert.deepEqual([...new Set([...aggregated.keys(), ...setAside, ...lateKept])].sort((a, b) => a - b), records.map((r) => r.id), 'every record is somewhere');
          const keptNowhere = lateKept.filter((id) => !aggregated.has(id)).length;
          assert.equal(aggregated.size + keptNowhere, m.records - m.lateDropped);
          assert.equal(m.lateDropped, w.late.list().filter((l) => l.dropped).length);
          if (!window.overlapping) {
            for (const [id, n] of aggregated) assert.equal(n, 1, `record ${id} is in ${n} windows of a non-overlapping kind`);
            assert.equal(countSum, aggregated.size);
          }

          // Non-numeric values reach their windows and are counted there, once per record.
          const reached = new Set([...aggregated.keys(), ...lateKept]);
          const nonNumeric = records.filter((r) => reached.has(r.id) && !(typeof r.value === 'number' && Number.isFinite(r.value)));
          assert.equal(w.invalid.list().filter((i) => i.reason === 'non-numeric').length, nonNumeric.length);
          if (!window.overlapping) assert.equal(w.closedRows().reduce((n, r) => n + (r.invalid_value as number), 0), nonNumeric.length);

          // What the model knows independently: which records have no usable time, and which are too far ahead.
          const unreadable = records.filter((r) => !(typeof r.time === 'number' ? Number.isFinite(r.time) : typeof r.time === 'string' && /^\d{4}-/.test(r.time)));
          assert.equal(w.invalid.counts().byReason['no-time'] ?? 0, unreadable.length);
          const farAhead = records.filter((r) => typeof r.time === 'number' && Number.isFinite(r.time) && r.time > NOW + 86_400_000);
          if (o.futureLimit === false) assert.equal(m.future, 0);
          else for (const r of farAhead) assert.ok(!aggregated.has(r.id), `record ${r.id} ${new Date(r.time as number).toISOString()} reached a window`);
          for (const f of w.future.list()) assert.ok(f.time > f.bound);
          assert.ok(m.keys <= o.maxKeys);
          assert.ok(Number.isFinite(m.watermark) || m.watermark === Infinity);
        },
      ),
      500,
    );
  });
});
