/** The registry of record formats: one line a format. */
import { StreamlabError, didYouMean } from '../../errors';
import type { BatchAwareDecoder, FormatContext, FormatOptions, RecordFormat } from './format';
import { json } from './json';
import { string } from './string';
import { number } from './number';
import { csv } from './csv';
import { bytes } from './bytes';
import { avro } from './avro';
import { protobuf } from './protobuf';
import { jsonschema } from './jsonschema';
import { auto } from './auto';

export type { BatchAwareDecoder, FormatContext, FormatOptions, RecordFormat } from './format';

const FORMATS: RecordFormat[] = [json, string, number, csv, bytes, avro, protobuf, jsonschema, auto];

export function recordFormats(): readonly RecordFormat[] {
  return FORMATS;
}

export function formatNames(): string[] {
  return FORMATS.map((f) => f.name);
}

export function recordFormat(name: string, where = 'format'): RecordFormat {
  const found = FORMATS.find((f) => f.name === name);
  if (found) return found;
  const names = formatNames();
  const guess = didYouMean(String(name), names);
  throw new StreamlabError(`unknown ${where} '${String(name)}'`, `use one of ${names.join(', ')}${guess ? ` (did you mean '${guess}'?)` : ''}`);
}

/** The decoder of a format by name, its options checked. */
export function formatDecoder(name: string, options: FormatOptions = {}, where = 'format', context: FormatContext = {}): BatchAwareDecoder<unknown> {
  const format = checkFormat(name, options, where);
  if (format.needsRegistry && !context.registry) {
    throw new StreamlabError(`${where} '${name}' reads a Schema Registry, and none is configured`, 'pass schemaRegistry (a URL), set STREAMLAB_SCHEMA_REGISTRY_URL, or start one with `streamlab broker --kafka --registry`');
  }
  return format.decoder(options, context);
}

/** A format by name with its options checked, before anything connects. */
export function checkFormat(name: string, options: FormatOptions = {}, where = 'format'): RecordFormat {
  const format = recordFormat(name, where);
  for (const key of Object.keys(options) as (keyof FormatOptions)[]) {
    if (options[key] !== undefined && !format.options.includes(key)) throw new StreamlabError(`${where} '${name}' takes no ${key}`, `drop ${key}, or use a format that takes it (${FORMATS.filter((f) => f.options.includes(key)).map((f) => f.name).join(', ')})`);
  }
  return format;
}
