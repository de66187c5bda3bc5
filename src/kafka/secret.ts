/**
 * A value that must never be printed: it renders as *** in strings, JSON, console.log and notebook reprs.
 * Only the Kafka client configuration ever calls reveal().
 */
import { inspect } from 'node:util';
import { StreamlabError } from '../errors';

const MASK = '***';

export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  /**
   * The value of an environment variable, for passwords that must not be written in a notebook (the kernel's
   * %connect --sasl-password-env). Unset or empty fails here, by name, rather than later as a vague auth error.
   */
  static fromEnv(name: string, env: NodeJS.ProcessEnv = process.env): Secret {
    const value = env[name];
    if (!value) {
      throw new StreamlabError(
        `environment variable ${name} is ${value === undefined ? 'not set' : 'empty'}`,
        'set it where Jupyter is started; secrets are read from the environment so they are never saved in a notebook',
      );
    }
    return new Secret(value);
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
