/** Parsing of the plain options of windowed() and rolling(): each fails with one line naming the option. */
import { StreamlabError, didYouMean } from '../errors';
import { Duration, parseDuration } from './duration';
import { describeValue } from './recordAccess';

/** Rejects option names the function does not know, so that a typo (keyby) fails instead of being ignored. */
export function checkOptionNames(options: object, known: readonly string[], fn: string): void {
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const guess = didYouMean(name, known);
    throw new StreamlabError(`unknown option '${name}' for ${fn}()`, guess ? `did you mean '${guess}'?` : `use ${known.join(', ')}`);
  }
}

export function parseKeyBy(keyBy: string | string[] | undefined): string[] {
  if (keyBy === undefined) return [];
  const list = typeof keyBy === 'string' ? [keyBy] : keyBy;
  if (!Array.isArray(list) || list.some((k) => typeof k !== 'string' || k === '')) {
    throw new StreamlabError(`keyBy must be a field name or a list of field names, got ${describeValue(keyBy)}`, "e.g. keyBy: 'sensor' or keyBy: ['site', 'sensor']");
  }
  if (new Set(list).size !== list.length) throw new StreamlabError(`keyBy names a field twice: ${list.join(', ')}`);
  // A key field becomes a column of every row object, and a property named __proto__ would set the row's prototype.
  if (list.includes('__proto__')) throw new StreamlabError("keyBy cannot be '__proto__': a row's column of that name would be its prototype", 'rename the field (a decoder, or a time function reading it) and key by the new name');
  return [...list];
}

export type EmitOption = 'final' | 'update' | { update: { throttleMs?: Duration } };

/** The update throttle in ms, or undefined for final results only. */
export function parseEmit(emit: EmitOption | undefined): number | undefined {
  if (emit === undefined || emit === 'final') return undefined;
  if (emit === 'update') return 1000;
  if (emit !== null && typeof emit === 'object' && 'update' in emit) {
    return parseDuration(emit.update?.throttleMs ?? 1000, 'update throttle');
  }
  const guess = typeof emit === 'string' ? didYouMean(emit, ['final', 'update']) : undefined;
  throw new StreamlabError(`unknown emit mode ${describeValue(emit)}`, `use 'final', 'update' or { update: { throttleMs } }${guess ? ` (did you mean '${guess}'?)` : ''}`);
}

export interface RetainOption {
  windows?: number;
  span?: Duration;
}

export function parseRetain(retain: RetainOption | undefined): { maxRows: number; spanMs?: number } {
  if (retain === undefined) return { maxRows: 10_000 };
  if (retain === null || typeof retain !== 'object') throw new StreamlabError(`retain must be { windows: N } and/or { span: '1h' }, got ${describeValue(retain)}`);
  const spanMs = retain.span === undefined ? undefined : parseDuration(retain.span, 'retain span');
  // A span alone still gets a row cap, so a burst of keys cannot grow memory without bound.
  const maxRows = positiveInt(retain.windows ?? (spanMs === undefined ? 10_000 : 1_000_000), 'retain windows');
  return { maxRows, spanMs };
}

export function positiveInt(n: number | undefined, what: string): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new StreamlabError(`${what} must be a positive whole number, got ${describeValue(n)}`);
  return n;
}
