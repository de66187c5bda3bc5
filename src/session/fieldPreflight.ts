/**
 * A cell that names fields is checked against the first records its stream sees before it is announced as running:
 * a field no record has (a typo: 'sensr', 'valu'), or a numeric one that never holds a number ('sensor' plotted as
 * y), fails the cell with one line naming what the records do have, instead of starting a stream that sets every
 * record aside or draws an empty chart.
 */
import { StreamlabError, didYouMean } from '../errors';
import { fieldReader } from '../record';

export interface NamedField {
  name: string;
  /** What the cell uses it for, as the user wrote it: 'by', 'y', 'agg mean', 'time'... */
  role: string;
  /** Must hold numbers (or numeric text). */
  numeric: boolean;
}

/** Records looked at: enough to see past a malformed first one, few enough to be instant. */
export const PREFLIGHT_RECORDS = 200;

/** The one-line problem with the fields, or undefined when the sample is empty or has them all. */
export function fieldProblem(sample: readonly Record<string, unknown>[], fields: readonly NamedField[]): string | undefined {
  if (sample.length === 0) return undefined;
  const seen = new Set<string>();
  for (const row of sample) for (const k of Object.keys(row)) if (seen.size < 64) seen.add(k);
  const shown = [...seen].slice(0, 12).join(', ') || 'none';
  for (const f of fields) {
    const read = fieldReader(f.name);
    let present = 0;
    let numbers = 0;
    let example: unknown;
    for (const row of sample) {
      const v = read(row);
      if (v === undefined) continue;
      present++;
      example ??= v;
      if (typeof v === 'number' || (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)))) numbers++;
    }
    const of = sample.length === 1 ? 'the record looked at' : `the ${sample.length} records looked at`;
    if (present === 0) {
      const guess = didYouMean(f.name, [...seen]);
      return `no record has ${f.numeric ? 'a numeric' : 'the field'} '${f.name}' (${f.role}) among ${of}; fields seen: ${shown}${guess ? `; did you mean '${guess}'?` : ''}`;
    }
    if (f.numeric && numbers === 0) {
      return `no record has a numeric '${f.name}' (${f.role}) among ${of}: it holds ${describe(example)}; fields seen: ${shown}`;
    }
  }
  return undefined;
}

export function checkFields(sample: readonly Record<string, unknown>[], fields: readonly NamedField[], what: string): void {
  const problem = fieldProblem(sample, fields);
  if (problem) throw new StreamlabError(`${what}: ${problem}`, 'name a field the records have');
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `text such as ${JSON.stringify(v.length > 30 ? `${v.slice(0, 30)}...` : v)}`;
  if (v === null) return 'null';
  if (typeof v === 'object') return Array.isArray(v) ? 'lists' : 'objects';
  return `${typeof v} values such as ${String(v)}`;
}
