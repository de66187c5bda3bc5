/** Command-line parsing on node:util parseArgs, with one-line errors that name the command's usage. */
import { parseArgs } from 'node:util';
import { StreamlabError, didYouMean } from '../src';

export interface OptionSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
}
export type Options = Record<string, OptionSpec>;
export interface Parsed<T extends Options> {
  values: { [K in keyof T]?: T[K]['type'] extends 'boolean' ? boolean : T[K]['multiple'] extends true ? string[] : string };
  positionals: string[];
}

/**
 * `--rate -5` as `--rate=-5`: parseArgs takes a value starting with a dash for an option of its own and stops with
 * "argument is ambiguous"; a number is the value, and the option's own check then says what is wrong with it.
 */
function joinNegativeNumbers(argv: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const name = /^--([\w-]+)$/.exec(arg)?.[1] ?? (/^-(\w)$/.test(arg) ? Object.keys(options).find((k) => options[k]!.short === arg[1]) : undefined);
    const next = argv[i + 1];
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d|Infinity)/.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** `--help` or `-h` given to a command: main prints the command's summary and this usage, and exits 0. */
export class HelpRequested extends Error {
  constructor(readonly usage: string) {
    super('help requested');
  }
}

/** Throws HelpRequested when argv asks for help (before a `--` that ends the options). */
export function checkHelp(argv: readonly string[], usage: string): void {
  const end = argv.indexOf('--');
  const options = end < 0 ? argv : argv.slice(0, end);
  if (options.includes('--help') || options.includes('-h')) throw new HelpRequested(usage);
}

export function parse<T extends Options>(argv: string[], options: T, usage: string): Parsed<T> {
  checkHelp(argv, usage);
  try {
    return parseArgs({ args: joinNegativeNumbers(argv, options), options, allowPositionals: true, strict: true }) as unknown as Parsed<T>;
  } catch (e) {
    const message = (e as Error).message.split('\n')[0]!;
    const unknown = /Unknown option '(--?[\w-]+)'/.exec(message)?.[1];
    const guess = unknown ? didYouMean(unknown.replace(/^-+/, ''), Object.keys(options)) : undefined;
    throw new StreamlabError(`${message}${guess ? ` (did you mean --${guess}?)` : ''}`, `usage: ${usage}`);
  }
}

export function intOption(value: unknown, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new StreamlabError(`--${name} must be an integer >= ${min}, got '${String(value)}'`);
  return n;
}

export function numberOption(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = value === 'max' || value === 'inf' ? Infinity : Number(value);
  if (!(n > 0)) throw new StreamlabError(`--${name} must be a positive number, got '${String(value)}'`);
  return n;
}
