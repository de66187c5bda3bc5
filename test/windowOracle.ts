/**
 * A brute-force oracle for the window engine: it recomputes every window from the full list of records in arrival
 * order, straight from the definitions, sharing no code with the engine. It is slow (quadratic for sessions) and
 * meant for a few hundred records.
 *
 * Definitions (the engine's documented semantics):
 * - watermark after record i (wm_i, closes windows): max(t_0..t_i) - grace. With lanes (laneWatermarks): each
 *   record has a lane (topic and partition) and arrives with the set of lanes the source then reported unread
 *   data for; the watermark after record i is max(watermark after i - 1, min(max(t_0..t_i), min over those lanes
 *   of the highest time of their records among 0..i, -Infinity for a lane with none) - grace).
 * - lateness bound of record i (b_i, laneBounds): max(wm_i, the highest time of record i's lane among 0..i -
 *   grace); without lanes, b_i = wm_i.
 * - tumbling/hopping: window [s, s + size), s a multiple of advance, takes record i iff s <= t_i < s + size and
 *   s + size > b_i. A record is late if some window of it had closed, dropped if all had.
 * - sliding(d): windows [s, s + d], both ends inclusive. Record j is dropped iff t_j + d < b_j, late iff
 *   t_j < b_j. Window [t_j - d, t_j] exists for every on-time record j; window [t + 1, t + 1 + d] for every
 *   kept record at t, when it takes some record. A window [s, e] takes kept record k iff s <= t_k <= e and e >= b_k.
 * - session(gap): at record i, the sessions of the records taken so far (per key, split where consecutive times
 *   are more than gap apart) are closed iff end + 2 gap < wm_i. Record i is late (dropped) iff it is within the
 *   gap of a closed session, or t_i + gap < b_i. Final sessions are those of all records taken.
 */
import assert from 'node:assert/strict';
import { StreamlabError } from '../src/errors';

export interface TestRecord {
  time: number;
  sensor: string;
  site: string;
  value?: unknown;
  tag?: string | null;
}

export type Kind = { kind: 'tumbling'; size: number } | { kind: 'hopping'; size: number; advance: number } | { kind: 'sliding'; size: number } | { kind: 'session'; gap: number };

export interface OracleWindow {
  key: string[];
  start: number;
  end: number;
  /** Arrival indexes of the records in the window. */
  members: number[];
  /** Watermark at which it closes (it is closed once the watermark is >= this). */
  closesAt: number;
}

export interface OracleResult {
  windows: OracleWindow[];
  late: number;
  /** Arrival indexes of the records no window took. */
  dropped: Set<number>;
  finalWatermark: number;
}

export function watermarks(records: TestRecord[], grace: number): number[] {
  let max = -Infinity;
  return records.map((r) => (max = Math.max(max, r.time)) - grace);
}

/**
 * Watermark after each arrival under per-lane watermarks, by brute force from the definition: `lanes[i]` is the
 * lane of arrival i, `unread[i]` the lanes with unread data when it arrived.
 */
export function laneWatermarks(times: readonly number[], lanes: readonly string[], unread: readonly ReadonlySet<string>[], grace: number): number[] {
  const out: number[] = [];
  let previous = -Infinity;
  for (let i = 0; i < times.length; i++) {
    let global = -Infinity;
    for (let j = 0; j <= i; j++) global = Math.max(global, times[j]!);
    let held = Infinity;
    for (const lane of unread[i]!) {
      let laneMax = -Infinity;
      for (let j = 0; j <= i; j++) if (lanes[j] === lane) laneMax = Math.max(laneMax, times[j]!);
      held = Math.min(held, laneMax);
    }
    previous = Math.max(previous, Math.min(global, held) - grace);
    out.push(previous);
  }
  return out;
}

/** Each record's lateness bound, by the definition: max(wm_i, its lane's highest time so far - grace). */
export function laneBounds(times: readonly number[], lanes: readonly string[], wm: readonly number[], grace: number): number[] {
  return times.map((_, i) => {
    let laneMax = -Infinity;
    for (let j = 0; j <= i; j++) if (lanes[j] === lanes[i]) laneMax = Math.max(laneMax, times[j]!);
    return Math.max(wm[i]!, laneMax - grace);
  });
}

/**
 * `wm`: the watermark after each arrival; the global one (watermarks()) unless given, e.g. from laneWatermarks().
 * `bounds`: each record's lateness bound (laneBounds()); the watermark unless given.
 */
export function oracle(records: TestRecord[], kind: Kind, grace: number, keyBy: (keyof TestRecord)[], wm: number[] = watermarks(records, grace), bounds: number[] = wm): OracleResult {
  const keyOf = (r: TestRecord) => keyBy.map((k) => String(r[k] ?? null));
  const result = (() => {
    switch (kind.kind) {
      case 'tumbling':
        return fixed(records, bounds, kind.size, kind.size, keyOf);
      case 'hopping':
        return fixed(records, bounds, kind.size, kind.advance, keyOf);
      case 'sliding':
        return slidingOracle(records, bounds, kind.size, keyOf);
      case 'session':
        return sessionOracle(records, wm, bounds, kind.gap, keyOf);
    }
  })();
  return { ...result, finalWatermark: wm.length ? wm[wm.length - 1]! : -Infinity };
}

function fixed(records: TestRecord[], wm: number[], size: number, advance: number, keyOf: (r: TestRecord) => string[]) {
  const windows = new Map<string, OracleWindow>();
  let late = 0;
  const dropped = new Set<number>();
  records.forEach((r, i) => {
    let took = 0;
    let missed = 0;
    // Every multiple of advance in (t - size, t].
    const first = Math.ceil((r.time - size + 1) / advance) * advance;
    for (let s = first; s <= r.time; s += advance) {
      if (s + size <= wm[i]!) {
        missed++;
        continue;
      }
      took++;
      const key = keyOf(r);
      const id = JSON.stringify([key, s]);
      if (!windows.has(id)) windows.set(id, { key, start: s, end: s + size, members: [], closesAt: s + size });
      windows.get(id)!.members.push(i);
    }
    if (missed > 0) late++;
    if (took === 0) dropped.add(i);
  });
  return { windows: [...windows.values()], late, dropped };
}

function slidingOracle(records: TestRecord[], wm: number[], d: number, keyOf: (r: TestRecord) => string[]) {
  const kept = records.map((r, j) => r.time + d >= wm[j]!);
  const late = records.filter((r, j) => r.time < wm[j]!).length;
  const dropped = new Set(records.map((_, j) => j).filter((j) => !kept[j]));
  const byKey = new Map<string, number[]>();
  records.forEach((r, j) => {
    if (!kept[j]) return;
    const id = JSON.stringify(keyOf(r));
    if (!byKey.has(id)) byKey.set(id, []);
    byKey.get(id)!.push(j);
  });
  const windows: OracleWindow[] = [];
  for (const [id, idx] of byKey) {
    const starts = new Set<number>();
    for (const j of idx) {
      if (records[j]!.time >= wm[j]!) starts.add(records[j]!.time - d);
      starts.add(records[j]!.time + 1);
    }
    for (const s of starts) {
      const e = s + d;
      const members = idx.filter((k) => records[k]!.time >= s && records[k]!.time <= e && e >= wm[k]!);
      // A left window always holds its own record; a right window exists only when it holds some.
      if (members.length > 0) windows.push({ key: JSON.parse(id), start: s, end: e, members, closesAt: e + 1 });
    }
  }
  return { windows, late, dropped };
}

function sessionOracle(records: TestRecord[], wm: number[], bounds: number[], gap: number, keyOf: (r: TestRecord) => string[]) {
  const taken: number[] = [];
  const dropped = new Set<number>();
  records.forEach((r, i) => {
    const id = JSON.stringify(keyOf(r));
    const mine = taken.filter((k) => JSON.stringify(keyOf(records[k]!)) === id);
    const sessions = sessionsOf(records, mine, gap);
    const closed = sessions.filter((s) => s.end + 2 * gap < wm[i]!);
    const nearClosed = closed.some((s) => r.time >= s.start - gap && r.time <= s.end + gap);
    if (nearClosed || r.time + gap < bounds[i]!) dropped.add(i);
    else taken.push(i);
  });
  const byKey = new Map<string, number[]>();
  for (const k of taken) {
    const id = JSON.stringify(keyOf(records[k]!));
    if (!byKey.has(id)) byKey.set(id, []);
    byKey.get(id)!.push(k);
  }
  const windows: OracleWindow[] = [];
  for (const [id, idx] of byKey) {
    for (const s of sessionsOf(records, idx, gap)) windows.push({ key: JSON.parse(id), start: s.start, end: s.end, members: s.members, closesAt: s.end + 2 * gap + 1 });
  }
  return { windows, late: dropped.size, dropped };
}

function sessionsOf(records: TestRecord[], idx: number[], gap: number): { start: number; end: number; members: number[] }[] {
  const sorted = [...idx].sort((a, b) => records[a]!.time - records[b]!.time);
  const out: { start: number; end: number; members: number[] }[] = [];
  for (const k of sorted) {
    const t = records[k]!.time;
    const last = out[out.length - 1];
    if (last && t - last.end <= gap) {
      last.end = t;
      last.members.push(k);
    } else {
      out.push({ start: t, end: t, members: [k] });
    }
  }
  return out;
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Expected aggregate values of one window, computed from its members by definition. */
export function expectedValues(records: TestRecord[], members: number[], order?: readonly number[]): Record<string, unknown> {
  // The tie-break of first/last among equal times: the engine's order of StreamRecords (offset, then partition;
  // o), then arrival (i), which is all there is for plain records and for records of two topics alike in both.
  const rows = members.map((i) => ({ r: records[i]!, i, o: order ? order[i]! : 0 }));
  type Row = (typeof rows)[number];
  const before = (a: Row, b: Row) => a.r.time < b.r.time || (a.r.time === b.r.time && (a.o < b.o || (a.o === b.o && a.i < b.i)));
  const nums = rows.map(({ r }) => r.value).filter(isNumber);
  const sorted = [...nums].sort((a, b) => a - b);
  const n = nums.length;
  const sum = nums.reduce((a, b) => a + b, 0);
  const mean = n ? sum / n : NaN;
  const variance = n > 1 ? nums.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1) : NaN;
  const q = (p: number) => (n ? sorted[Math.floor(p * (n - 1))]! : NaN);
  const present = (field: 'value' | 'tag') => rows.filter(({ r }) => r[field] !== undefined && r[field] !== null);
  const firstOf = (field: 'value' | 'tag') => {
    const p = present(field);
    if (p.length === 0) return null;
    // Earliest event time; among equal times, earliest arrival.
    return p.reduce((best, x) => (before(x, best) ? x : best)).r[field];
  };
  const lastOf = (field: 'value' | 'tag') => {
    const p = present(field);
    if (p.length === 0) return null;
    return p.reduce((best, x) => (before(best, x) ? x : best)).r[field];
  };
  return {
    count: rows.length,
    count_value: present('value').length,
    sum_value: n ? sum : NaN,
    mean_value: mean,
    min_value: n ? sorted[0] : NaN,
    max_value: n ? sorted[n - 1] : NaN,
    variance_value: variance,
    stddev_value: Math.sqrt(variance),
    first_value: firstOf('value'),
    last_value: lastOf('value'),
    first_tag: firstOf('tag'),
    last_tag: lastOf('tag'),
    distinct_value: new Set(present('value').map(({ r }) => r.value)).size,
    distinct_tag: new Set(present('tag').map(({ r }) => r.tag)).size,
    p50_value: q(0.5),
    p90_value: q(0.9),
    p99_value: q(0.99),
    median_value: q(0.5),
    sumsq_value: nums.reduce((a, v) => a + v * v, 0),
    invalid_value: rows.length - n,
  };
}

/** How a column is compared: exactly, with float rounding, or within the quantile sketch's relative error. */
export function columnTolerance(column: string): 'exact' | 'float' | 'quantile' {
  if (/^(p\d+|median)_/.test(column)) return 'quantile';
  if (/^(sum|mean|variance|stddev|sumsq)_/.test(column)) return 'float';
  return 'exact';
}

export function closeEnough(got: unknown, want: unknown, tolerance: 'exact' | 'float' | 'quantile', relativeAccuracy = 0.01): boolean {
  if (typeof want === 'number' && Number.isNaN(want)) return typeof got === 'number' && Number.isNaN(got);
  if (tolerance === 'exact' || typeof want !== 'number' || typeof got !== 'number') return Object.is(got, want) || got === want;
  const allowed = tolerance === 'float' ? 1e-9 * Math.max(1, Math.abs(want)) : relativeAccuracy * Math.abs(want) * (1 + 1e-9) + 1e-12;
  return Math.abs(got - want) <= allowed;
}

/** Throws if the test data itself would make the engine reject the spec: keeps generator bugs obvious. */
export function assertUsableFirst(records: TestRecord[]): void {
  if (records.length > 0 && !isNumber(records[0]!.value)) throw new StreamlabError('test generator: the first record must hold a number');
}

const rowId = (keys: unknown[], start: number, end: number) => JSON.stringify([...keys.map(String), start, end]);

/** Asserts that engine rows are exactly the oracle's windows (same set, every column within its tolerance). */
export function compareRows(label: string, rows: Record<string, unknown>[], expected: OracleWindow[], records: TestRecord[], keyBy: string[], columns: readonly string[], order?: readonly number[]): void {
  const got = new Map<string, Record<string, unknown>>();
  for (const row of rows) {
    const id = rowId(keyBy.map((k) => row[k]), row.windowStart as number, row.windowEnd as number);
    assert.ok(!got.has(id), `${label}: window ${id} appears twice`);
    got.set(id, row);
  }
  const want = new Map(expected.map((w) => [rowId(w.key, w.start, w.end), w]));
  const missing = [...want.keys()].filter((id) => !got.has(id));
  const extra = [...got.keys()].filter((id) => !want.has(id));
  assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, `${label}: window sets differ`);
  for (const [id, w] of want) {
    const row = got.get(id)!;
    const values = expectedValues(records, w.members, order);
    for (const column of columns) {
      if (keyBy.includes(column) || column === 'windowStart' || column === 'windowEnd') continue;
      assert.ok(column in values, `${label}: the oracle has no column ${column}`);
      const ok = closeEnough(row[column], values[column], columnTolerance(column));
      assert.ok(ok, `${label}: window ${id} column ${column}: got ${String(row[column])}, expected ${String(values[column])} (members ${w.members.join(',')})`);
    }
  }
}
