/**
 * Spec checks that need to know the record fields: every field the spec names exists, and numeric aggregates
 * read numbers. Done up front when fields are declared (a typo fails at once, with one line); otherwise the first
 * records are watched and what they reveal is a warning: a record is data, and a bad first record (a malformed
 * one, a non-number) is counted and set aside like any other instead of stopping the window.
 */
import { StreamlabError, didYouMean } from '../errors';
import { AggregatePlan } from './aggregatePlan';
import { NUMERIC_OPS } from './aggregateSpec';
import { TimeOption } from './recordAccess';
import { fieldReader } from '../record';

export type FieldType = 'number' | 'string' | 'boolean' | 'any';

const NUMERIC_HINT = 'aggregate a numeric field, or use count, first, last or distinct on this one';

export class FieldChecks {
  private readonly referenced: string[];
  /** Named fields that are dotted paths into nested values, with their readers: records are watched for them too. */
  readonly nested: readonly { name: string; read: (record: Record<string, unknown>) => unknown }[];

  constructor(
    private readonly keyBy: readonly string[],
    private readonly time: TimeOption | undefined,
    private readonly plan: AggregatePlan,
  ) {
    const timeField = typeof time === 'string' && time !== 'processing' ? [time] : [];
    const aggregateFields = plan.defs.map((d) => d.field).filter((f) => f !== '*');
    this.referenced = [...new Set([...keyBy, ...aggregateFields, ...timeField])];
    this.nested = this.referenced.filter((f) => f.includes('.')).map((name) => ({ name, read: fieldReader(name) }));
  }

  /** Every field the spec names, with what it is for and whether it must hold numbers (for checks on a sample). */
  named(): { name: string; role: string; numeric: boolean }[] {
    const out = this.keyBy.map((name) => ({ name, role: 'by', numeric: false }));
    const seen = new Set<string>();
    for (const d of this.plan.defs) {
      if (d.field === '*' || seen.has(`${d.op}:${d.field}`)) continue;
      seen.add(`${d.op}:${d.field}`);
      out.push({ name: d.field, role: `${d.op}(${d.field})`, numeric: NUMERIC_OPS.has(d.op) });
    }
    if (typeof this.time === 'string' && this.time !== 'processing') out.push({ name: this.time, role: 'time', numeric: false });
    return out;
  }

  /** Throws when the declared fields (names, or names with types) do not fit the spec. */
  checkDeclared(declared: string[] | Record<string, FieldType>): void {
    const types: Record<string, FieldType> = Array.isArray(declared) ? Object.fromEntries(declared.map((f) => [f, 'any' as FieldType])) : declared;
    const names = Object.keys(types);
    for (const f of this.referenced) {
      if (f in types) continue;
      const guess = didYouMean(f, names);
      throw new StreamlabError(`unknown field '${f}' in ${this.role(f)}: the declared fields are ${listFields(names)}`, guess ? `did you mean '${guess}'?` : 'check the field name');
    }
    for (const f of this.plan.numericFields) {
      const type = types[f];
      if (type !== undefined && type !== 'number' && type !== 'any') throw new StreamlabError(`${this.numericUses(f)} numbers, but '${f}' is declared ${type}`, NUMERIC_HINT);
    }
  }

  /**
   * Warnings about fields after watching the first `records` records: a field the spec names that none of them
   * had (a typo, most likely), and a numeric aggregate's field that never held a number. `names` are the field
   * names the records had; `plain` says whether any came as plain objects (which carry event time in 'time').
   * These are warnings, not errors: a bad record is counted like any other and must not stop the window.
   */
  unseenWarnings(names: ReadonlySet<string>, numbers: ReadonlySet<string>, records: number, plain: boolean): string[] {
    const warnings: string[] = [];
    const had = listFields([...names]);
    const sofar = `no record so far (${records})`;
    const defaultTime = this.time === undefined && plain;
    for (const f of defaultTime ? [...this.referenced, 'time'] : this.referenced) {
      if (names.has(f)) continue;
      if (f === 'time' && defaultTime && !this.referenced.includes('time')) {
        warnings.push(`${sofar} has a 'time' field for event time (they have ${had}): pass time: '<field>', a function, or 'processing'`);
        continue;
      }
      const guess = didYouMean(f, names);
      warnings.push(`${sofar} has the field '${f}' (${this.role(f)}): they have ${had}; ${guess ? `did you mean '${guess}'?` : 'check the field name'}`);
    }
    for (const f of this.plan.numericFields) {
      if (!names.has(f) || numbers.has(f)) continue;
      warnings.push(`${this.numericUses(f)} numbers, but ${sofar} has a number in '${f}' (each is counted in invalid_${f}): ${NUMERIC_HINT}`);
    }
    return warnings;
  }

  private role(field: string): string {
    if (this.keyBy.includes(field)) return 'keyBy';
    if (field === this.time) return 'time';
    return 'aggregates';
  }

  /** "mean_x needs" or "mean_x, p99_x need". */
  private numericUses(field: string): string {
    const columns = this.plan.defs.filter((d) => d.field === field && NUMERIC_OPS.has(d.op)).map((d) => d.column);
    return `${columns.join(', ')} need${columns.length === 1 ? 's' : ''}`;
  }
}

function listFields(names: string[]): string {
  if (names.length === 0) return 'no fields';
  const shown = names.slice(0, 8).join(', ');
  return names.length > 8 ? `${shown}, ... (${names.length} fields)` : shown;
}
