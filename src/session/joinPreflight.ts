/**
 * Before a join starts, its first records are looked at, so that the two ways a join silently gives nothing fail
 * the cell in one line instead: a key field no record has (a typo), and keys of different kinds on the two sides
 * (the number 42 never equals the text '42', as Kafka's serialized keys never do).
 */
import { didYouMean } from '../errors';
import { keyKind, keyReader, type KeyOption } from '../join';
import { valueFieldsOf } from './joinSamples';

export interface KeySide {
  /** The side's name in messages: a topic, a stream or a table. */
  name: string;
  key: KeyOption | undefined;
  /** Raw items (records or rows) the side delivered first; empty when none came in time. */
  sample: readonly unknown[];
  /** Keys already known (a table's), when there is no sample of rows. */
  keys?: readonly unknown[];
}

/** The one-line problem with a side's key field, or undefined. */
export function keyFieldProblem(side: KeySide): string | undefined {
  if (typeof side.key !== 'string' || side.key === '@key' || side.sample.length === 0) return undefined;
  const reader = keyReader(side.key);
  if (side.sample.some((item) => reader.read(item) !== undefined)) return undefined;
  const seen = new Set<string>();
  for (const item of side.sample) for (const k of Object.keys(valueFieldsOf(item))) if (seen.size < 64) seen.add(k);
  const guess = didYouMean(side.key, [...seen]);
  const of = side.sample.length === 1 ? 'the record looked at' : `the ${side.sample.length} records looked at`;
  return `no record of '${side.name}' has the key field '${side.key}' among ${of}; fields seen: ${[...seen].slice(0, 12).join(', ') || 'none'}${guess ? `; did you mean '${guess}'?` : ''}`;
}

/** The one-line problem when the two sides' keys are of different kinds (and so can never match), or undefined. */
export function keyTypeProblem(left: KeySide, right: KeySide): string | undefined {
  const a = kindsOf(left);
  const b = kindsOf(right);
  if (a.kinds.size === 0 || b.kinds.size === 0) return undefined;
  for (const k of a.kinds) if (b.kinds.has(k)) return undefined;
  return `the keys of '${left.name}' (${keyReader(left.key).describe}) are ${[...a.kinds].join('/')}, e.g. ${show(a.example)}, but those of '${right.name}' (${keyReader(right.key).describe}) are ${[...b.kinds].join('/')}, e.g. ${show(b.example)}: they never match`;
}

function kindsOf(side: KeySide): { kinds: Set<string>; example: unknown } {
  const reader = keyReader(side.key);
  const keys = side.keys ?? side.sample.map((item) => reader.read(item));
  const kinds = new Set<string>();
  let example: unknown;
  for (const k of keys) {
    if (k === undefined || k === null) continue;
    kinds.add(keyKind(k));
    example ??= k;
  }
  return { kinds, example };
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 24 ? `${v.slice(0, 24)}...` : v).replace(/^"|"$/g, "'");
  if (Buffer.isBuffer(v)) return `0x${v.toString('hex').slice(0, 16)}`;
  return String(v);
}
