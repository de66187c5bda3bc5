/** Stream records as a DataFrame: where each record came from, then the fields of its value as columns. */
import { StreamRecord } from '../record';
import { DataFrame, frameFromColumns } from './danfo';

/**
 * Columns: partition, offset, key, time (ISO), then one column per top-level value field (first seen first).
 * Nested values become JSON text, so every cell is a scalar Danfo can hold; missing fields are null.
 */
export function recordsToFrame(records: readonly StreamRecord<unknown>[]): DataFrame {
  const meta = { partition: [] as number[], offset: [] as number[], key: [] as (string | null)[], time: [] as string[] };
  const fields = new Map<string, unknown[]>();
  records.forEach((r, row) => {
    meta.partition.push(r.partition);
    meta.offset.push(r.offset);
    // A binary key (a Buffer) shows as hex: a frame cell holds scalars.
    meta.key.push(r.key === null || typeof r.key === 'string' ? r.key : `0x${r.key.toString('hex')}`);
    meta.time.push(new Date(r.time).toISOString());
    const value = r.value;
    const entries: [string, unknown][] =
      value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value) : [['value', value]];
    for (const [name, cell] of entries) {
      let column = fields.get(name);
      if (!column) fields.set(name, (column = new Array<unknown>(row).fill(null)));
      column.push(cell === null || typeof cell !== 'object' ? cell ?? null : JSON.stringify(cell));
    }
    for (const column of fields.values()) if (column.length < row + 1) column.push(null);
  });
  const valueColumns: Record<string, unknown[]> = {};
  for (const [name, column] of fields) valueColumns[meta[name as keyof typeof meta] ? `value.${name}` : name] = column;
  return frameFromColumns({ ...meta, ...valueColumns });
}
