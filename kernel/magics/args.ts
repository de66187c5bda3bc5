/**
 * Magic arguments: a shell-like tokenizer (quotes, backslash escapes) that keeps each token's position for
 * completion, and a parser that checks tokens against a magic's spec.
 */
import { didYouMean } from '../../src';
import { EXPLAIN_OPTION, Form, MagicArgs, MagicSpec, OptionSpec, Options } from './spec';
import { ValueError } from './values';
import { magicError } from './usage';

export interface Token {
  /** The argument after quotes and escapes are removed. */
  value: string;
  /** Span in the line, quotes included. */
  start: number;
  end: number;
  /** Any part was quoted: a quoted `--x` is an argument, not an option. */
  quoted: boolean;
  /** The line ended inside this token's quotes (only possible with `partial`). */
  open?: boolean;
}

export class TokenizeError extends Error {}

/**
 * Splits `text` (starting at column `offset` of its line) into tokens. With `partial`, an unterminated quote or a
 * trailing backslash ends the last token instead of failing: the user is still typing it.
 */
export function tokenize(text: string, offset = 0, partial = false): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i]!)) {
      i++;
      continue;
    }
    const token: Token = { value: '', start: offset + i, end: 0, quoted: false };
    while (i < text.length && !/\s/.test(text[i]!)) {
      const c = text[i]!;
      if (c === "'" || c === '"') {
        token.quoted = true;
        const close = findClose(text, i + 1, c);
        if (close < 0) {
          if (!partial) throw new TokenizeError(`unterminated ${c} quote`);
          token.value += unescape(text.slice(i + 1), c);
          token.open = true;
          i = text.length;
          break;
        }
        token.value += unescape(text.slice(i + 1, close), c);
        i = close + 1;
      } else if (c === '\\') {
        if (i + 1 >= text.length) {
          if (!partial) throw new TokenizeError('the line ends with a lone backslash');
          i++;
          break;
        }
        token.value += text[i + 1];
        i += 2;
      } else {
        token.value += c;
        i++;
      }
    }
    token.end = offset + i;
    tokens.push(token);
  }
  return tokens;
}

/** Single quotes are literal, as in a shell; inside double quotes a backslash escapes the next character. */
function findClose(text: string, from: number, quote: string): number {
  for (let i = from; i < text.length; i++) {
    if (quote === '"' && text[i] === '\\') i++;
    else if (text[i] === quote) return i;
  }
  return -1;
}

function unescape(inner: string, quote: string): string {
  return quote === '"' ? inner.replace(/\\(.)/g, '$1') : inner;
}

/** A token that names an option: unquoted, `--name` or `-x`. */
export function isOptionToken(t: Token): boolean {
  return !t.quoted && /^(--[A-Za-z]|-[A-Za-z]$|-[A-Za-z]=)/.test(t.value);
}

/** The spec's options plus --explain, which every magic takes. */
export function allOptions(spec: MagicSpec): Options {
  return { ...spec.options, [EXPLAIN_OPTION]: { help: '' } };
}

export function optionByAlias(spec: MagicSpec, alias: string): string | undefined {
  return Object.entries(spec.options).find(([, o]) => o.alias === alias)?.[0];
}

export interface ParsedArgs extends MagicArgs<Options> {
  explain: boolean;
}

export function parseArgs(spec: MagicSpec, form: Form, tokens: Token[]): ParsedArgs {
  const fail = (what: string, guess?: string) => magicError(spec, form, what, guess);
  const options = allOptions(spec);
  const values: Record<string, unknown> = {};
  const positionals: string[] = [];
  let onlyPositionals = false;
  for (let t = 0; t < tokens.length; t++) {
    const token = tokens[t]!;
    if (!onlyPositionals && !token.quoted && token.value === '--') {
      onlyPositionals = true;
      continue;
    }
    if (onlyPositionals || !isOptionToken(token)) {
      const positional = spec.positionals[positionals.length];
      if (!positional) throw fail(`unexpected argument '${token.value}'`);
      positionals.push(parseValue(positional.value.parse, token.value, positional.name, fail));
      continue;
    }
    const eq = token.value.indexOf('=');
    const written = eq < 0 ? token.value : token.value.slice(0, eq);
    const name = written.startsWith('--') ? written.slice(2) : optionByAlias(spec, written.slice(1));
    // Own properties only: `--constructor` must not find Object.prototype.constructor.
    const opt: OptionSpec | undefined = name !== undefined && Object.hasOwn(options, name) ? options[name] : undefined;
    const refusal = name !== undefined && spec.refused && Object.hasOwn(spec.refused, name) ? spec.refused[name] : undefined;
    if (refusal) throw fail(`${written} is not accepted: ${refusal}`);
    if (name === undefined || !opt) {
      // One letter is too little to guess from.
      const guess = written.startsWith('--') ? didYouMean(written.slice(2), Object.keys(options)) : undefined;
      throw fail(`unknown option ${written}`, guess && `--${guess}`);
    }
    // Errors name the option as the user wrote it (-n, not --count).
    const label = written.startsWith('--') ? `--${name}` : written;
    if (opt.form && opt.form !== form) throw fail(`${label} is only for the ${opt.form} form`);
    if (Object.hasOwn(values, name)) throw fail(`${label} is given twice`);
    if (!opt.value) {
      if (eq >= 0) throw fail(`${label} is a flag and takes no value`);
      values[name] = true;
      continue;
    }
    let raw: string;
    if (eq >= 0) {
      raw = token.value.slice(eq + 1);
    } else {
      const next = tokens[t + 1];
      if (!next || isOptionToken(next)) throw fail(`${label} needs a value (${opt.value.metavar})`);
      raw = next.value;
      t++;
    }
    values[name] = parseValue(opt.value.parse, raw, label, fail);
  }
  const missing = spec.positionals.slice(positionals.length).find((p) => p.required);
  if (missing) throw fail(`missing ${missing.name}`);
  for (const [name, opt] of Object.entries(spec.options)) {
    if (opt.required && (!opt.form || opt.form === form) && !Object.hasOwn(values, name)) throw fail(`missing --${name} ${opt.value?.metavar ?? ''}`.trim());
  }
  const explain = values[EXPLAIN_OPTION] === true;
  delete values[EXPLAIN_OPTION];
  const args: ParsedArgs = { form, positionals, options: values, explain };
  const problem = spec.validate?.(args);
  if (problem) throw fail(problem);
  return args;
}

function parseValue<T>(parse: (raw: string) => T, raw: string, label: string, fail: (what: string) => Error): T {
  try {
    return parse(raw);
  } catch (e) {
    if (e instanceof ValueError) throw fail(`bad ${label} '${raw}': ${e.message}`);
    throw e;
  }
}
