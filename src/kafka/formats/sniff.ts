/**
 * What a topic holds, guessed from a few of its newest values: the Schema Registry wire format (with the schema's
 * kind and subject when a registry is configured), JSON, numbers, text or binary. For listings (`%topics`, the
 * Streams panel, `streamlab topics`), so a user knows which --decoder to pick before reading anything.
 */
import type { SchemaRegistryClient } from '../registry/schemaRegistryClient';
import { wireSchemaId } from '../registry/wireFormat';

export interface TopicFormat {
  /** avro, protobuf, jsonschema, json, number, text, binary, 'wire format' (schema'd, no registry to ask), or mixed / empty. */
  format: string;
  /** The registry subject(s) of the sampled schema ids, when known. */
  subject?: string;
  /** Schema ids seen in the sample. */
  schemaIds?: number[];
  /** Why the guess is partial, for a tooltip: no registry, an id the registry does not know. */
  note?: string;
}

const KIND_FORMAT = { AVRO: 'avro', PROTOBUF: 'protobuf', JSON: 'jsonschema' } as const;

/** The plain kind of one value: JSON (an object or array), a number, UTF-8 text, or binary. */
export function plainKind(value: Buffer): 'json' | 'number' | 'text' | 'binary' {
  const text = value.toString('utf8');
  // A round trip through UTF-8 that changes the bytes means they were not UTF-8.
  if (!Buffer.from(text, 'utf8').equals(value) || /[\u0000-\u0008\u000e-\u001f]/.test(text)) return 'binary';
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      JSON.parse(trimmed);
      return 'json';
    } catch {
      return 'text';
    }
  }
  return trimmed !== '' && Number.isFinite(Number(trimmed)) ? 'number' : 'text';
}

/**
 * The subjects to name for a topic: one schema id can sit under many subjects (the same schema registered for
 * several topics), so the topic's own (`<topic>-value`, the default naming) win, then any naming the topic; else the
 * first three and how many more.
 */
function subjectsFor(all: readonly string[], topic: string | undefined): string[] {
  if (topic !== undefined) {
    const own = all.filter((s) => s.startsWith(`${topic}-value `));
    if (own.length > 0) return own;
    const naming = all.filter((s) => s.includes(topic));
    if (naming.length > 0) return naming;
  }
  return all.length > 3 ? [...all.slice(0, 3), `and ${all.length - 3} more`] : [...all];
}

/** The format of a topic from sampled values (tombstones are left out by the caller). */
export async function sniffFormat(values: readonly Buffer[], registry?: SchemaRegistryClient, topic?: string): Promise<TopicFormat> {
  if (values.length === 0) return { format: 'empty', note: 'no value to sample' };
  const kinds = new Set<string>();
  const ids = new Set<number>();
  const subjects = new Set<string>();
  const notes = new Set<string>();
  for (const value of values) {
    const id = wireSchemaId(value);
    if (id === undefined) {
      kinds.add(plainKind(value));
      continue;
    }
    ids.add(id);
    if (!registry) {
      kinds.add('wire format');
      notes.add('Schema Registry wire format; configure a registry (schemaRegistry, STREAMLAB_SCHEMA_REGISTRY_URL) to decode it');
      continue;
    }
    try {
      const schema = await registry.schemaById(id);
      kinds.add(KIND_FORMAT[schema.schemaType] ?? 'wire format');
      for (const v of await registry.versionsOf(id).catch(() => [])) subjects.add(`${v.subject} v${v.version}`);
    } catch (e) {
      kinds.add('wire format');
      notes.add(`schema id ${id}: ${(e as Error).message}`);
    }
  }
  const format = kinds.size === 1 ? [...kinds][0]! : `mixed: ${[...kinds].sort().join(', ')}`;
  return {
    format,
    ...(subjects.size > 0 ? { subject: subjectsFor([...subjects].sort(), topic).join(', ') } : {}),
    ...(ids.size > 0 ? { schemaIds: [...ids].sort((a, b) => a - b) } : {}),
    ...(notes.size > 0 ? { note: [...notes].join('; ') } : {}),
  };
}
