/**
 * Reading a join key from a row: the record's Kafka key by default, or a field of its value (a dotted path into a
 * nested record, e.g. `card.id`), or a function. Keys match as values, as Kafka Streams matches serialized keys:
 * the text 'c1' matches 'c1', the number 42 does not match the text '42' (sessions check the two sides' key types
 * before a join starts, so that never passes silently).
 */
import { fieldReader, flatRow, isStreamRecord, isWindowResult, type RecordKey } from '../record';
import { StreamlabError } from '../errors';

export type KeyOption = string | ((row: unknown) => unknown);

/** The option value that names the record's own Kafka key. */
export const RECORD_KEY = '@key';

export interface KeyReader {
  /** The key of an item, undefined when it has none (a null key, a missing field). */
  read(item: unknown): unknown;
  /** For messages: "the record key", "field 'cardId'", "a key function". */
  describe: string;
  /** The field read, when the key is a field. */
  field: string | undefined;
}

export function keyReader(option: KeyOption | undefined): KeyReader {
  if (option === undefined || option === RECORD_KEY) {
    return { read: recordKeyOf, describe: 'the record key', field: undefined };
  }
  if (typeof option === 'function') return { read: (item) => option(item), describe: 'a key function', field: undefined };
  if (typeof option !== 'string' || option.trim() === '') {
    throw new StreamlabError(`a join key must be a field name, '${RECORD_KEY}' or a function, got ${JSON.stringify(option)}`, `name the field that holds the key, e.g. key: 'cardId'`);
  }
  const read = fieldReader(option);
  return {
    read: (item) => {
      const fields = valueFields(item);
      return fields === undefined ? undefined : read(fields);
    },
    describe: `field '${option}'`,
    field: option,
  };
}

function recordKeyOf(item: unknown): unknown {
  if (isStreamRecord(item)) return item.key ?? undefined;
  // A plain row (a DataFrame's, a CSV's) has no Kafka key: its `key` field stands in for it.
  const fields = valueFields(item);
  return fields?.key ?? undefined;
}

/** The object a key field is read from: a record's value, or the row itself. */
export function valueFields(item: unknown): Record<string, unknown> | undefined {
  // A window's result joins by its flat fields (key fields, bounds, aggregates), as charts and scorers read it.
  if (isWindowResult(item)) return flatRow(item);
  const value = isStreamRecord(item) ? item.value : item;
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * A Map key that is equal for equal keys: text and numbers as themselves (no string building per record), bytes
 * and objects as tagged text (two equal objects are one key). undefined for no key.
 */
export function keyId(key: unknown): unknown {
  if (key === undefined || key === null) return undefined;
  if (typeof key === 'string' || typeof key === 'number' || typeof key === 'boolean' || typeof key === 'bigint') return key;
  if (Buffer.isBuffer(key)) return `\u0000bytes:${key.toString('hex')}`;
  return `\u0000json:${canonicalJson(key)}`;
}

/** A key as a record key of the join's output: text as it is, bytes unchanged, anything else as its JSON text. */
export function outputKey(key: unknown): RecordKey {
  if (key === undefined || key === null) return null;
  if (typeof key === 'string' || Buffer.isBuffer(key)) return key;
  if (typeof key === 'number' || typeof key === 'boolean' || typeof key === 'bigint') return String(key);
  return canonicalJson(key);
}

/** The kind of a key for the type check: 'text', 'number', 'bytes', 'boolean', 'object'. */
export function keyKind(key: unknown): string {
  if (typeof key === 'string') return 'text';
  if (typeof key === 'number' || typeof key === 'bigint') return 'number';
  if (Buffer.isBuffer(key)) return 'bytes';
  return typeof key;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
