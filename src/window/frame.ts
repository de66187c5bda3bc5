/**
 * Window tables as DataFrames through streamlab's shared lazy Danfo loader, so the engine never pays Danfo's
 * load time unless a table is asked for.
 */
import { DataFrame, frameFromColumns } from '../frames/danfo';

export type { DataFrame };

/** A DataFrame with `names` as its columns, in that order; an empty frame keeps the column names. */
export function toDataFrame(names: readonly string[], columns: Record<string, ArrayLike<unknown>>): DataFrame {
  const ordered: Record<string, unknown[]> = {};
  for (const name of names) ordered[name] = Array.from(columns[name] ?? []);
  return frameFromColumns(ordered);
}
