/**
 * Spec checks that need to know the record fields: every field the spec names exists, and numeric aggregates
 * read numbers. Done up front when fields are declared, otherwise on the first record, so a typo fails at once
 * with one line instead of filling every window with invalid counts.
 */
import { StreamlabError, didYouMean } from '../errors';
import { AggregatePlan, Fields } from './aggregatePlan';
import { NUMERIC_OPS } from './aggregateSpec';
import { TimeOption, describeValue } from './recordAccess';

export type FieldType = 'number' | 'string' | 'boolean' | 'any';

const NUMERIC_HINT = 'aggregate a numeric field, or use count, first, last or distinct on this one';

export class FieldChecks {
  private readonly referenced: string[];

  constructor(
    private readonly keyBy: readonly string[],
    private readonly time: TimeOption | undefined,
    private readonly plan: AggregatePlan,
  ) {
    const timeField = typeof time === 'string' && time !== 'processing' ? [time] : [];
    const aggregateFields = plan.defs.map((d) => d.field).filter((f) => f !== '*');
    this.referenced = [...new Set([...keyBy, ...aggregateFields, ...timeField])];
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

  /** The error the first record reveals, if any. `stream` says whether it came as a StreamRecord. */
  firstRecordError(fields: Fields, stream: boolean): StreamlabError | undefined {
    const names = Object.keys(fields);
    // Plain objects carry their event time in a field; StreamRecords carry it in record.time.
    const defaultTime = this.time === undefined && !stream;
    for (const f of defaultTime ? [...this.referenced, 'time'] : this.referenced) {
      if (f in fields) continue;
      if (f === 'time' && defaultTime) {
        return new StreamlabError(`the first record has no 'time' field for event time (it has ${listFields(names)})`, "pass time: '<field>', a function, or 'processing'");
      }
      const guess = didYouMean(f, names);
      return new StreamlabError(`unknown field '${f}' in ${this.role(f)}: the first record has ${listFields(names)}`, guess ? `did you mean '${guess}'?` : 'check the field name, or declare fields up front');
    }
    for (const f of this.plan.numericFields) {
      const v = fields[f];
      if (v === null || v === undefined || typeof v === 'number') continue;
      return new StreamlabError(`${this.numericUses(f)} numbers, but '${f}' is ${describeValue(v)} in the first record`, NUMERIC_HINT);
    }
    return undefined;
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
