/**
 * Field names a plain object inherits ('constructor', 'toString', '__proto__', 'valueOf'...) are read as the
 * record's own fields only, everywhere a name picks a field: window keys, aggregates and time fields, micro-batch
 * columns, chart fields, model features and event time. The property: any records, with a field under an
 * inherited name, give exactly what the same records give with that field under an ordinary name (present or
 * missing alike). Records are built with JSON.parse, as a decoder makes them, so '__proto__' is a field of its own.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventTimeOf } from '../src/record';
import { WindowSpec, hopping, sessionWindow, tumbling, windowed } from '../src/window';
import { PointReader } from '../src/plot/pointReader';
import { buildFeatures } from '../src/models/features';
import { checkProperty, fc } from './support/fuzz';

const T0 = Date.parse('2026-06-01T00:00:00Z');
const INHERITED = Object.getOwnPropertyNames(Object.prototype);
const PLAIN = 'plainField';

/** Records as JSON text with the field under `name`, parsed as a decoder would. */
function records(raw: { key?: string | number; v?: number | string; t: number }[], name: string, role: 'key' | 'value' | 'time'): Record<string, unknown>[] {
  return raw.map((r) => {
    const fields: [string, unknown][] = [['time', r.t], ['key', r.key ?? null], ['v', r.v ?? null]];
    const at = role === 'key' ? 1 : role === 'value' ? 2 : 0;
    const own = role === 'key' ? r.key : role === 'value' ? r.v : r.t;
    if (own === undefined) fields.splice(at, 1);
    else fields[at] = [name, own];
    return JSON.parse(`{${fields.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`) as Record<string, unknown>;
  });
}

const rawArb = fc.array(
  fc.record(
    {
      key: fc.oneof(fc.constantFrom('a', 'b'), fc.integer({ min: 0, max: 3 })),
      v: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: -100, max: 100 }) }, { weight: 1, arbitrary: fc.constant('x') }),
      t: fc.integer({ min: 0, max: 60_000 }).map((d) => T0 + d),
    },
    { requiredKeys: ['t'] },
  ),
  { maxLength: 60 },
);
const specArb = fc.constantFrom<[string, WindowSpec]>(['tumbling', tumbling('10s')], ['hopping', hopping('10s', '5s')], ['session', sessionWindow('3s')]);

/** Closed windows with the field's name in column names replaced, so both runs read alike. */
function run(spec: WindowSpec, rows: Record<string, unknown>[], name: string, role: 'key' | 'value' | 'time'): { rows: string[]; metrics: string } {
  const w = windowed({
    window: spec,
    keyBy: role === 'key' ? name : 'key',
    time: role === 'time' ? name : 'time',
    aggregates: role === 'value' ? [`sum(${name})`, `first(${name})`, `count(${name})`, 'count'] : ['sum(v)', 'count'],
    futureLimit: false,
  });
  w.addBatch(rows).flush();
  const m = w.metrics();
  return {
    rows: w.closedRows().map((r) => JSON.stringify(Object.entries(r).map(([k, v]) => [k.split(name).join(PLAIN), v]))),
    metrics: JSON.stringify([m.records, m.unusable, m.invalid, m.late]),
  };
}

describe('inherited property names are fields like any other', () => {
  for (const role of ['key', 'value', 'time'] as const) {
    test(`as a window's ${role} field: the same windows as under an ordinary name`, async () => {
      await checkProperty(
        `inherited name as ${role}`,
        // __proto__ cannot be a key column (refused, below); as a value or time field it is read like any other.
        fc.property(specArb, rawArb, fc.constantFrom(...INHERITED.filter((n) => role !== 'key' || n !== '__proto__')), ([, spec], raw, name) => {
          const inherited = run(spec, records(raw, name, role), name, role);
          const plain = run(spec, records(raw, PLAIN, role), PLAIN, role);
          assert.deepEqual(inherited, plain, `${role} '${name}'`);
        }),
        150,
      );
    });
  }

  test("keyBy '__proto__' is refused in one line (a row's column of that name would be its prototype)", () => {
    assert.throws(() => windowed({ window: tumbling('10s'), keyBy: ['site', '__proto__'] }), /^StreamlabError: keyBy cannot be '__proto__'.*: rename the field/);
  });

  test("keyBy 'constructor' on records without it groups them under null, not under Object", () => {
    const w = windowed({ window: tumbling('10s'), keyBy: 'constructor', aggregates: ['count'] });
    w.addBatch([{ time: T0 }, { time: T0 + 1 }, JSON.parse(`{"time": ${T0 + 2}, "constructor": "c"}`)]).flush();
    assert.deepEqual(w.closedRows().map((r) => [r.constructor, r.count]), [[null, 2], ['c', 1]]);
    assert.equal(w.metrics().unusable, 0);
  });

  test('micro-batches of records, chart points, model features and event time read own fields only', async () => {
    const w = windowed({ window: tumbling('10s'), aggregates: ['count'] });
    const frames: Record<string, unknown[]>[] = [];
    const trigger = w.microBatches('1h', (frame) => void frames.push(Object.fromEntries(frame.columns.map((c: string) => [c, frame[c].values as unknown[]]))), { records: true });
    w.addBatch([JSON.parse(`{"time": ${T0}, "toString": 1}`), { time: T0 + 1 }]);
    await trigger.fire();
    await trigger.stop();
    assert.deepEqual(frames[0]!.toString, [1, null], 'a record without the field has null, not Object.prototype.toString');

    const reader = new PointReader({ x: 'valueOf', y: ['constructor'], by: ['hasOwnProperty'], mark: 'isPrototypeOf' });
    const p = reader.read({ time: T0 }, false);
    assert.ok(Number.isNaN(p.x) && Number.isNaN(p.ys[0]!), 'no x and no y, not functions read as numbers');
    assert.equal(p.flag, undefined);

    assert.throws(() => buildFeatures([{ v: 1 }, { v: 2 }], { columns: ['constructor'] }), /constructor/);
    assert.ok(Number.isNaN(eventTimeOf({}, 'valueOf')));
  });
});
