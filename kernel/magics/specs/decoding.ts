/** Options shared by the magics that read records: how values are decoded and where event time comes from. */
import { lit, litIf } from '../codegen';
import { option } from '../spec';
import { choice, commaList, text } from '../values';

export const DECODERS = ['json', 'string', 'number', 'csv'] as const;

export const decodingOptions = {
  decoder: option(choice(DECODERS), 'how record values are decoded (default json)'),
  columns: option(commaList('A,B'), 'column names for --decoder csv (the records carry no header)'),
  'time-field': option(text('FIELD'), 'field holding event time (epoch ms or ISO-8601); records without it are dead-lettered'),
};

interface Decoding {
  decoder?: (typeof DECODERS)[number];
  columns?: string[];
  'time-field'?: string;
}

export function checkDecoding(o: Decoding): string | undefined {
  if (o.decoder === 'csv' && o.columns === undefined) return '--decoder csv needs --columns (CSV records carry no header)';
  if (o.columns !== undefined && o.decoder !== 'csv') return '--columns is only used with --decoder csv';
  return undefined;
}

export function decodingFields(o: Decoding): Record<string, string | undefined> {
  return { decoder: litIf(o.decoder), columns: o.columns && lit(o.columns), timeField: litIf(o['time-field']) };
}

/** The record value type a decoder produces; json and csv give the library's default (JsonValue). */
export function valueTypeOf(decoder: Decoding['decoder']): string | undefined {
  return decoder === 'string' || decoder === 'number' ? decoder : undefined;
}
