/** Value types shared by magic specs: each checks a raw argument and says in a few words what is wrong. */
import { didYouMean } from '../../src';
import { CompletionKind, ValueType } from './spec';

/** A bad value; the parser adds the magic, the option and the usage. */
export class ValueError extends Error {}

export function text(metavar: string, complete: CompletionKind = 'none'): ValueType<string> {
  return {
    metavar,
    complete,
    parse(raw) {
      if (raw.trim() === '') throw new ValueError('must not be empty');
      return raw;
    },
  };
}

export function integer(metavar: string, min: number): ValueType<number> {
  return {
    metavar,
    parse(raw) {
      const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n) || n < min) throw new ValueError(`must be a whole number >= ${min}`);
      return n;
    },
  };
}

export function choice<C extends string>(choices: readonly C[]): ValueType<C> {
  return {
    metavar: choices.join('|'),
    choices,
    parse(raw) {
      if (!(choices as readonly string[]).includes(raw)) {
        const guess = didYouMean(raw, choices);
        throw new ValueError(`use one of ${choices.join(', ')}${guess ? ` (did you mean ${guess}?)` : ''}`);
      }
      return raw as C;
    },
  };
}

export function commaList(metavar: string): ValueType<string[]> {
  return {
    metavar,
    parse(raw) {
      const items = raw.split(',').map((s) => s.trim());
      if (items.some((s) => s === '')) throw new ValueError('must be a comma-separated list with no empty items');
      return items;
    },
  };
}

/** Kafka's own rule for topic names, checked here so a typo fails before a round trip to the broker. */
export function topic(): ValueType<string> {
  return {
    metavar: 'TOPIC',
    complete: 'topic',
    parse(raw) {
      if (!/^[A-Za-z0-9._-]{1,249}$/.test(raw) || raw === '.' || raw === '..') {
        throw new ValueError("not a topic name (letters, digits, '.', '_' and '-')");
      }
      return raw;
    },
  };
}

// Words a `const NAME` cannot use in a TypeScript module (strict mode, top-level await included).
const RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally for ' +
    'function if import in instanceof new null return super switch this throw true try typeof var void while with ' +
    'implements interface let package private protected public static yield await arguments eval undefined NaN Infinity'
  ).split(' '),
);

/**
 * A name to bind with `const`. `streamlab` is refused as well: binding it would hide the library from every later
 * magic in the notebook.
 */
export function identifier(libraryName: string): ValueType<string> {
  return {
    metavar: 'NAME',
    parse(raw) {
      if (!/^[\p{ID_Start}_$][\p{ID_Continue}$\u200c\u200d]*$/u.test(raw)) throw new ValueError('not a TypeScript variable name');
      if (RESERVED.has(raw)) throw new ValueError('a reserved word in TypeScript');
      if (raw === libraryName) throw new ValueError('taken by the streamlab library that magics call');
      return raw;
    },
  };
}

export function envVarName(): ValueType<string> {
  return {
    metavar: 'VAR',
    parse(raw) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(raw)) throw new ValueError('not an environment variable name');
      return raw;
    },
  };
}

/** A finite decimal number within [min, max]. */
export function decimal(metavar: string, min = -Infinity, max = Infinity): ValueType<number> {
  return {
    metavar,
    parse(raw) {
      const n = /^-?(\d+\.?\d*|\.\d+)(e-?\d+)?$/i.test(raw) ? Number(raw) : NaN;
      if (!Number.isFinite(n) || n < min || n > max) throw new ValueError(`must be a number${Number.isFinite(min) ? ` >= ${min}` : ''}${Number.isFinite(max) ? ` and <= ${max}` : ''}`);
      return n;
    },
  };
}
