/** Bad window specs fail at once with one clear line (a StreamlabError), with a suggestion where one fits. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamlabError } from '../src/errors';
import { Reducer, WindowedOptions, hopping, parseDuration, rolling, sessionWindow, sliding, tumbling, windowed } from '../src/window';

/** Asserts that fn throws a one-line StreamlabError matching every pattern. */
function fails(fn: () => unknown, ...patterns: RegExp[]): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof StreamlabError, `expected a StreamlabError, got ${error === undefined ? 'no error' : String(error)}`);
  assert.ok(!error.message.includes('\n'), `one line: ${error.message}`);
  for (const p of patterns) assert.match(error.message, p);
}

const base: WindowedOptions = { window: tumbling('10s'), keyBy: 'sensor', aggregates: { value: ['mean'] } };
const record = { sensor: 's1', time: 1_767_225_600_000, value: 1.5, status: 'ok' };

describe('window sizes and durations', () => {
  test('negative, zero and malformed sizes', () => {
    fails(() => tumbling(-5), /tumbling window size must not be negative, got -5/);
    fails(() => tumbling('-5s'), /must not be negative/);
    fails(() => tumbling(0), /tumbling window size must be positive/);
    fails(() => sessionWindow('0s'), /session inactivity gap must be positive/);
    fails(() => sliding('10 parsecs'), /bad duration '10 parsecs' for sliding window size/, /'10s'/);
    fails(() => tumbling(1.5), /whole number of milliseconds/);
    fails(() => windowed({ ...base, grace: '-1s' }), /grace must not be negative/);
  });
  test('hopping advance larger than the size', () => {
    fails(() => hopping('10s', '20s'), /hopping window advance 20s is larger than its size 10s/);
    fails(() => hopping('10s', 0), /hopping window advance must be positive/);
  });
  test('durations in every unit parse to milliseconds', () => {
    assert.deepEqual(['500ms', '10s', '1m', '2h', '1d', '1.5s', 250].map((d) => parseDuration(d, 'x')), [500, 10_000, 60_000, 7_200_000, 86_400_000, 1500, 250]);
    assert.deepEqual(hopping('1m', '1m'), tumbling('1m'), 'advance = size is a tumbling window');
  });
  test('unknown or missing window kinds', () => {
    fails(() => windowed({ ...base, window: { kind: 'tumblng', sizeMs: 1000 } as never }), /unknown window kind 'tumblng'/, /did you mean 'tumbling'/);
    fails(() => windowed({ ...base, window: undefined as never }), /window is missing/);
  });
});

describe('aggregates', () => {
  test('unknown aggregate names suggest the closest one', () => {
    fails(() => windowed({ ...base, aggregates: { value: ['mena'] } }), /unknown aggregate 'mena'/, /did you mean 'mean'/);
    fails(() => windowed({ ...base, aggregates: ['stdev(value)'] }), /unknown aggregate 'stdev'/, /did you mean 'stddev'/);
    fails(() => windowed({ ...base, aggregates: ['frobnicate(value)'] }), /unknown aggregate 'frobnicate'/, /use count, sum, mean/);
  });
  test('malformed aggregates', () => {
    fails(() => windowed({ ...base, aggregates: ['mean'] }), /aggregate 'mean' needs a field/, /'mean\(value\)'/);
    fails(() => windowed({ ...base, aggregates: ['sum(*)'] }), /sum needs a field, not '\*'/);
    fails(() => windowed({ ...base, aggregates: ['p101(value)'] }), /quantile 'p101' is out of range/);
    fails(() => windowed({ ...base, aggregates: ['mean(value'] }), /cannot read aggregate 'mean\(value'/);
    fails(() => windowed({ ...base, aggregates: [] }), /no aggregates given/);
    fails(() => windowed({ ...base, aggregates: 'mean' as never }), /aggregates must be an object or a list/);
  });
  test('reducers must be complete, and mergeable for session windows', () => {
    const noMerge: Reducer<number, number> = { name: 'total', init: () => 0, add: (s, v) => s + (v as number), result: (s) => s };
    fails(() => windowed({ ...base, aggregates: { value: [{ name: 'half' } as never] } }), /reducer 'half' is incomplete: no init, add, result/);
    fails(() => windowed({ ...base, window: sessionWindow('1m'), aggregates: { value: [noMerge] } }), /reducer 'total' has no merge\(a, b\), which session windows need/);
    assert.ok(windowed({ ...base, aggregates: { value: [noMerge] } }), 'tumbling windows never merge, so merge is optional there');
  });
  test('output columns must not clash', () => {
    fails(() => windowed({ ...base, keyBy: 'count', aggregates: ['count'] }), /column 'count' would appear twice/);
  });
});

describe('fields', () => {
  test('declared fields are checked when the spec is made', () => {
    fails(() => windowed({ ...base, keyBy: 'sensr', fields: ['sensor', 'time', 'value'] }), /unknown field 'sensr' in keyBy/, /did you mean 'sensor'/);
    fails(() => windowed({ ...base, aggregates: ['max(vaule)'], fields: ['sensor', 'time', 'value'] }), /unknown field 'vaule' in aggregates/, /did you mean 'value'/);
    fails(() => windowed({ ...base, aggregates: ['mean(status)'], fields: { sensor: 'string', status: 'string', value: 'number' } }), /mean_status needs numbers, but 'status' is declared string/);
  });
  test('otherwise the first records are watched: a field none of them has is one warning, never a failure', () => {
    const watch = (options: WindowedOptions, records: object[]) => {
      const w = windowed(options);
      const warnings: string[] = [];
      w.onWarning((m) => warnings.push(m));
      for (const r of records) w.add(r);
      w.flush();
      for (const m of warnings) assert.ok(!m.includes('\n'), `one line: ${m}`);
      return { w, warnings };
    };
    const hundred = Array.from({ length: 100 }, (_, i) => ({ ...record, time: record.time + i }));
    const typo = watch({ ...base, keyBy: 'sensr' }, hundred);
    assert.deepEqual(typo.warnings, ["no record so far (100) has the field 'sensr' (keyBy): they have sensor, time, value, status; did you mean 'sensor'?"]);
    assert.equal(typo.w.metrics().records, 100, 'the records still count');
    assert.match(watch({ ...base, aggregates: ['mean(status)', 'p99(status)'] }, hundred).warnings.join(), /mean_status, p99_status need numbers, but no record so far \(100\) has a number in 'status'/);
    assert.match(watch({ ...base, time: 'ts' }, hundred).warnings.join(), /has the field 'ts' \(time\)/);
    assert.match(watch(base, [{ sensor: 's1', value: 2 }]).warnings.join(), /no record so far \(1\) has a 'time' field for event time/, 'flush ends the watch early');
    assert.deepEqual(watch(base, [{ sensor: 's1', value: 'x', time: 1 }, ...hundred]).warnings, [], 'a bad first record is no reason to warn');
    // Dotted paths into nested values are watched as what they name, not as top-level names.
    const nested = hundred.map((r) => ({ ...r, site: { hall: 'h1', floor: 2 } }));
    assert.deepEqual(watch({ ...base, keyBy: 'site.hall', aggregates: ['max(site.floor)'] }, nested).warnings, []);
    assert.deepEqual(watch({ ...base, keyBy: 'site.hal' }, nested).warnings, ["no record so far (100) has the field 'site.hal' (keyBy): they have sensor, time, value, status, site; check the field name"]);
    assert.match(watch({ ...base, aggregates: ['mean(site.hall)'] }, nested).warnings.join(), /mean_site\.hall needs numbers, but no record so far \(100\) has a number in 'site\.hall'/);
  });
  test('first, last, distinct and count take any values', () => {
    const w = windowed({ ...base, aggregates: { status: ['first', 'last', 'distinct', 'count'] } });
    w.add(record).flush();
    assert.deepEqual(w.closedRows().map((r) => [r.first_status, r.last_status, r.distinct_status, r.count_status]), [['ok', 'ok', 1, 1]]);
  });
});

describe('a window that joins a stream under way', () => {
  test('knows where its partial first windows end, and only then', () => {
    const mid = windowed({ window: tumbling('10s'), aggregates: ['count'] });
    mid.startsMidStream = true;
    for (let t = 5000; t < 25_000; t += 1000) mid.add({ time: t, value: 1 });
    mid.flush();
    assert.equal(mid.partialBefore, 5000);
    assert.deepEqual(mid.closedRows().map((r) => [r.windowStart, r.count, (r.windowStart as number) < mid.partialBefore!]), [[0, 5, true], [10_000, 10, false], [20_000, 5, false]]);
    const whole = windowed({ window: tumbling('10s'), aggregates: ['count'] });
    for (let t = 5000; t < 25_000; t += 1000) whole.add({ time: t, value: 1 });
    assert.equal(whole.partialBefore, undefined, 'a window over a whole topic has no partial windows');
  });
});

describe('other options', () => {
  test('unknown options and bad values', () => {
    fails(() => windowed({ ...base, keyby: 'sensor' } as never), /unknown option 'keyby' for windowed\(\)/, /did you mean 'keyBy'/);
    fails(() => windowed({ ...base, emit: 'finl' as never }), /unknown emit mode 'finl'/, /did you mean 'final'/);
    fails(() => windowed({ ...base, retain: { windows: 0 } }), /retain windows must be a positive whole number/);
    fails(() => windowed({ ...base, keyBy: ['sensor', 'sensor'] }), /keyBy names a field twice/);
    fails(() => windowed({ ...base, time: 42 as never }), /time must be a field name, a function or 'processing'/);
    fails(() => windowed({ ...base, quantileAccuracy: 2 }), /quantileAccuracy must be between 0 and 1/);
    fails(() => windowed(base).microBatches(0, () => undefined), /micro-batch interval must be positive/);
    fails(() => windowed(base).advanceTo(Number.NaN), /advanceTo needs a time in epoch ms/);
    fails(() => rolling({ last: '0s' }), /rolling span must be positive/);
    fails(() => rolling({ last: '10s', keyby: 'x' } as never), /unknown option 'keyby' for rolling\(\)/);
  });
});
