/**
 * A value that must never be printed: it renders as *** in strings, JSON, console.log and notebook reprs.
 * Only the Kafka client configuration ever calls reveal().
 */
import { inspect } from 'node:util';

const MASK = '***';

export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  get empty(): boolean {
    return this.#value.length === 0;
  }
  toString(): string {
    return MASK;
  }
  toJSON(): string {
    return MASK;
  }
  [inspect.custom](): string {
    return MASK;
  }
}

/** Replaces every occurrence of the secrets' values in text, for anything that might echo a config back. */
export function redact(text: string, secrets: Iterable<Secret | undefined>): string {
  let out = text;
  for (const s of secrets) {
    if (!s || s.reveal().length < 3) continue;
    out = out.split(s.reveal()).join(MASK);
  }
  return out;
}
