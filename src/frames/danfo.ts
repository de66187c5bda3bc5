/**
 * Danfo is what users see, never what the engine runs on: it takes about half a second to load, so it is
 * required on first use only, and everything else in streamlab works without paying for it.
 */
import type * as Danfo from 'danfojs-node';

export type DataFrame = Danfo.DataFrame;
type DanfoModule = typeof Danfo;

let danfo: DanfoModule | undefined;

export function loadDanfo(): DanfoModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  danfo ??= require('danfojs-node') as DanfoModule;
  return danfo;
}

/** A DataFrame from named columns of equal length; an empty frame keeps its column names. */
export function frameFromColumns(columns: Record<string, unknown[]>): DataFrame {
  const { DataFrame } = loadDanfo();
  const names = Object.keys(columns);
  const rows = columns[names[0] ?? '']?.length ?? 0;
  if (rows === 0) return new DataFrame([], { columns: names });
  return new DataFrame(columns as Record<string, never[]>);
}

/** Whether a value is a Danfo DataFrame (from any copy of the package, so checked by shape, not instanceof). */
export function isDataFrame(value: unknown): value is DataFrame {
  const v = value as { constructor?: { name?: string }; columns?: unknown; shape?: unknown };
  return typeof value === 'object' && value !== null && v.constructor?.name === 'DataFrame' && Array.isArray(v.columns) && Array.isArray(v.shape);
}
