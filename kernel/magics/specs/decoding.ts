/** Options shared by the magics that read records: how values are decoded and where event time comes from. */
import { TIME_UNITS, TimeUnit, formatNames, recordFormat } from '../../../src';
import { lit, litIf } from '../codegen';
import { option } from '../spec';
import { choice, commaList, text } from '../values';

/** The record formats of the library's registry: a new format is a choice here with nothing else to change. */
export const DECODERS: readonly string[] = formatNames();

export const decodingOptions = {
  decoder: option(choice(DECODERS), 'how record values are decoded (default json; auto when a Schema Registry is configured)'),
  columns: option(commaList('A,B'), 'column names for --decoder csv (the records carry no header)'),
  'time-field': option(text('FIELD'), 'field holding event time (an epoch number or ISO-8601); records without a usable one are dead-lettered'),
  'time-unit': option(choice(TIME_UNITS), 'unit of epoch numbers in --time-field (default ms; never guessed)'),
  'key-decoder': option(choice(['string', 'bytes', 'avro', 'protobuf', 'jsonschema', 'auto'] as const), 'how record keys are decoded (default string: text, or bytes when not UTF-8)'),
};

interface Decoding {
  decoder?: string;
  columns?: string[];
  'time-field'?: string;
  'time-unit'?: TimeUnit;
  'key-decoder'?: string;
}

export function checkDecoding(o: Decoding): string | undefined {
  if (o.decoder === 'csv' && o.columns === undefined) return '--decoder csv needs --columns (CSV records carry no header)';
  if (o.columns !== undefined && o.decoder !== 'csv') return '--columns is only used with --decoder csv';
  if (o['time-unit'] !== undefined && o['time-field'] === undefined) return '--time-unit needs --time-field (Kafka timestamps are always ms)';
  return undefined;
}

export function decodingFields(o: Decoding): Record<string, string | undefined> {
  return { decoder: litIf(o.decoder), keyDecoder: litIf(o['key-decoder']), columns: o.columns && lit(o.columns), timeField: litIf(o['time-field']), timeUnit: litIf(o['time-unit']) };
}

/** The record value type a decoder produces; formats of objects give the library's default (JsonValue). */
export function valueTypeOf(decoder: Decoding['decoder']): string | undefined {
  if (decoder === undefined) return undefined;
  const type = recordFormat(decoder).valueType;
  return type === 'JsonValue' ? undefined : type;
}
