/** Stream records as a DataFrame: where each record came from, then the fields of its value as columns. */
import { RecordSchema, StreamRecord, headersText } from '../record';
import { DataFrame, frameFromColumns } from './danfo';

/**
 * Columns: partition, offset, key, time (ISO), headers and schema (when any record has them), then one column per
 * top-level value field (first seen first).
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
      column.push(cell === null || typeof cell !== 'object' ? cell ?? null : cell instanceof Date ? cell.toISOString() : JSON.stringify(cell));
    }
    for (const column of fields.values()) if (column.length < row + 1) column.push(null);
  });
  // Headers and writer schemas get a column only when some record has them (most topics have neither).
  const extra: Record<string, (string | null)[]> = {};
  if (records.some((r) => r.headers)) extra.headers = records.map((r) => (r.headers ? headersText(r.headers) : null));
  if (records.some((r) => r.schema)) extra.schema = records.map((r) => (r.schema ? schemaText(r.schema) : null));
  const valueColumns: Record<string, unknown[]> = {};
  for (const [name, column] of fields) valueColumns[meta[name as keyof typeof meta] || extra[name] ? `value.${name}` : name] = column;
  return frameFromColumns({ ...meta, ...extra, ...valueColumns });
}

/** A record's writer schema as a person reads it: "avro 3 (readings-value v2)". */
export function schemaText(s: RecordSchema): string {
  return `${s.format} ${s.id}${s.subject ? ` (${s.subject}${s.version !== undefined ? ` v${s.version}` : ''})` : ''}`;
}
