/**
 * What to compute per window, parsed from the forms users write:
 *   { value: ['mean', 'max', 'p99'], '*': ['count'] }   or   ['mean(value)', 'max(value)', 'count']
 * plus user-defined reducers for anything else. Output columns are named `${aggregate}_${field}` (`count` for
 * the record count), and every field with a numeric aggregate gets an `invalid_${field}` column counting the
 * values in the window that were not finite numbers.
 */
import { StreamlabError, didYouMean } from '../errors';

/**
 * A user-defined aggregate. `add` gets the field's value (or the whole record for field '*') and returns the new
 * state; `merge` combines two partial states and is needed by session windows, which merge when a record bridges
 * two sessions. Keep states small: one lives in every open window.
 */
export interface Reducer<S = any, R = unknown> {
  name: string;
  init(): S;
  add(state: S, value: unknown, record: Record<string, unknown>): S;
  merge?(a: S, b: S): S;
  result(state: S): R;
}

/** A reducer in the list form says which field it reads; '*' (the default) hands it the whole record. */
export type FieldReducer<S = any, R = unknown> = Reducer<S, R> & { field?: string };

export type AggregateItem = string | Reducer;
export type AggregatesOption = Record<string, AggregateItem | AggregateItem[]> | (string | FieldReducer)[];

export type AggregateOp =
  | 'count'
  | 'sum'
  | 'mean'
  | 'min'
  | 'max'
  | 'variance'
  | 'stddev'
  | 'first'
  | 'last'
  | 'distinct'
  | 'quantile'
  | 'reducer';

export interface AggregateDef {
  column: string;
  /** Field of the record value, or '*' for the whole record. */
  field: string;
  op: AggregateOp;
  /** For op 'quantile': q in [0, 1]. */
  q?: number;
  reducer?: Reducer;
}

const OPS: Record<string, AggregateOp> = {
  count: 'count',
  sum: 'sum',
  mean: 'mean',
  avg: 'mean',
  min: 'min',
  max: 'max',
  variance: 'variance',
  var: 'variance',
  stddev: 'stddev',
  std: 'stddev',
  first: 'first',
  last: 'last',
  distinct: 'distinct',
  nunique: 'distinct',
};
/** Canonical column prefixes: aliases name their column after the canonical aggregate. */
const CANONICAL: Partial<Record<AggregateOp, string>> = { mean: 'mean', variance: 'variance', stddev: 'stddev', distinct: 'distinct' };
const KNOWN_NAMES = [...Object.keys(OPS), 'median', 'p50', 'p90', 'p95', 'p99', 'p999'];

export const NUMERIC_OPS: ReadonlySet<AggregateOp> = new Set(['sum', 'mean', 'min', 'max', 'variance', 'stddev', 'quantile']);

export function parseAggregates(option: AggregatesOption | undefined): AggregateDef[] {
  const defs: AggregateDef[] = [];
  if (option === undefined) {
    defs.push({ column: 'count', field: '*', op: 'count' });
  } else if (Array.isArray(option)) {
    for (const item of option) {
      if (typeof item === 'string') defs.push(parseCall(item));
      else defs.push(reducerDef(item, item?.field ?? '*'));
    }
  } else if (option !== null && typeof option === 'object') {
    for (const [field, items] of Object.entries(option)) {
      for (const item of Array.isArray(items) ? items : [items]) {
        defs.push(typeof item === 'string' ? named(item.trim(), field, `${item} on '${field}'`) : reducerDef(item, field));
      }
    }
  } else {
    throw new StreamlabError(`aggregates must be an object or a list, got ${typeof option}`, "e.g. { value: ['mean', 'max'], '*': ['count'] } or ['mean(value)', 'count']");
  }
  if (defs.length === 0) throw new StreamlabError('no aggregates given', "ask for at least one, e.g. ['count'] or { value: ['mean'] }");
  const seen = new Set<string>();
  const unique = defs.filter((d) => (seen.has(d.column) ? false : (seen.add(d.column), true)));
  return unique;
}

function parseCall(text: string): AggregateDef {
  const m = /^\s*([A-Za-z_][\w.]*)\s*(?:\(\s*([^()]*?)\s*\))?\s*$/.exec(text);
  if (!m) throw new StreamlabError(`cannot read aggregate '${text}'`, "write it like 'mean(value)', 'p99(latency)' or 'count'");
  const name = m[1]!;
  const field = m[2] === undefined || m[2] === '' ? undefined : m[2];
  if (field === undefined) {
    if (name.toLowerCase() === 'count') return { column: 'count', field: '*', op: 'count' };
    checkName(name, `'${text}'`);
    throw new StreamlabError(`aggregate '${text}' needs a field`, `write it like '${name}(value)'`);
  }
  return named(name, field, `'${text}'`);
}

function named(name: string, field: string, where: string): AggregateDef {
  const lower = name.toLowerCase();
  if (!field) throw new StreamlabError(`empty field name in aggregate ${where}`);
  const op = OPS[lower];
  if (op === undefined) {
    const q = quantileOf(lower, where);
    if (field === '*') throw new StreamlabError(`${name} needs a field, not '*', in ${where}`, `e.g. '${name}(value)'`);
    return { column: `${lower}_${field}`, field, op: 'quantile', q };
  }
  if (field === '*') {
    if (op !== 'count') throw new StreamlabError(`${name} needs a field, not '*', in ${where}`, `e.g. '${name}(value)'`);
    return { column: 'count', field, op };
  }
  return { column: `${CANONICAL[op] ?? lower}_${field}`, field, op };
}

/** median, pNN (0 to 100) and p999 (99.9 %). */
function quantileOf(name: string, where: string): number {
  if (name === 'median') return 0.5;
  if (name === 'p999') return 0.999;
  const m = /^p(\d{1,3})$/.exec(name);
  if (m && Number(m[1]) <= 100) return Number(m[1]) / 100;
  checkName(name, where);
  throw new StreamlabError(`quantile '${name}' is out of range in ${where}`, 'use p0 to p100, median or p999');
}

function checkName(name: string, where: string): void {
  const lower = name.toLowerCase();
  if (OPS[lower] !== undefined || lower === 'median' || /^p\d{1,3}$/.test(lower)) return;
  const guess = didYouMean(lower, KNOWN_NAMES);
  throw new StreamlabError(
    `unknown aggregate '${name}' in ${where}`,
    guess ? `did you mean '${guess}'?` : `use count, sum, mean, min, max, variance, stddev, first, last, distinct, median, pNN, or a reducer`,
  );
}

function reducerDef(r: Reducer | undefined, field: string): AggregateDef {
  if (r === null || typeof r !== 'object') throw new StreamlabError(`an aggregate must be a name or a reducer object, got ${String(r)}`);
  const missing = (['init', 'add', 'result'] as const).filter((k) => typeof r[k] !== 'function');
  if (typeof r.name !== 'string' || r.name === '' || missing.length > 0) {
    throw new StreamlabError(
      `reducer ${typeof r.name === 'string' && r.name ? `'${r.name}'` : '(unnamed)'} is incomplete${missing.length ? `: no ${missing.join(', ')}` : ': no name'}`,
      'a reducer needs name, init(), add(state, value, record) and result(state); merge(a, b) for session windows',
    );
  }
  return { column: field === '*' ? r.name : `${r.name}_${field}`, field, op: 'reducer', reducer: r };
}
