/**
 * What a magic is, as data: its arguments, options, help and how it expands to TypeScript. Parsing, help,
 * completion and inspection are all driven by these specs, so a new magic (window, plot, train, score) is one
 * spec file plus one line in registry.ts.
 */

/** Where completion finds candidates for a value. */
export type CompletionKind = 'topic' | 'stream' | 'magic' | 'none';

/** How a raw argument becomes a value. parse() throws ValueError (from values.ts) with the reason. */
export interface ValueType<T> {
  /** Placeholder in usage lines: N, NAME, FILE, json|string. */
  metavar: string;
  parse(raw: string): T;
  /** Offered by completion as they are (a value type may accept more, e.g. --from offset:N). */
  choices?: readonly string[];
  complete?: CompletionKind;
}

export interface OptionSpec<T = unknown> {
  help: string;
  /** One-letter short form, without the dash. */
  alias?: string;
  /** Absent: a boolean flag. */
  value?: ValueType<T>;
  /** Only valid in this form of a magic that has both (e.g. %produce --from, which %%produce takes from its body). */
  form?: Form;
  required?: boolean;
}

export type Options = Record<string, OptionSpec<unknown>>;

/** Parsed option values, keyed like the spec's options (flags are `true`). */
export type OptionValues<O extends Options> = { [K in keyof O]?: O[K] extends OptionSpec<infer T> ? T : never };

export interface PositionalSpec {
  /** Placeholder in usage lines: TOPIC, NAME. */
  name: string;
  help: string;
  required: boolean;
  value: ValueType<string>;
}

export type Form = 'line' | 'cell';

export interface MagicArgs<O extends Options> {
  form: Form;
  positionals: string[];
  options: OptionValues<O>;
}

/** What a cell magic puts around its body: `open` replaces the %% line, `close` ends the body's last line. */
export interface CellExpansion {
  open: string;
  close: string;
}

export interface MagicSpec<O extends Options = Options> {
  name: string;
  /** One line for the %help list. */
  summary: string;
  /** A few sentences for %NAME?: what it does and what it binds. */
  description: string;
  positionals: PositionalSpec[];
  options: O;
  examples: string[];
  /** Options deliberately not accepted, with the reason (e.g. a password, which would be saved in the notebook). */
  refused?: Record<string, string>;
  /** Rules that span several options (e.g. --commit needs --group); returns what is wrong, if anything. */
  validate?(args: MagicArgs<O>): string | undefined;
  /** The line form: one line of TypeScript. Absent when the magic is cell-only. */
  line?(args: MagicArgs<O>): string;
  /** The cell form: what the body (a TypeScript expression) is, and the code around it. */
  cell?: { body: string; expand(args: MagicArgs<O>): CellExpansion };
}

/** The registry's view of a spec: option value types erased. */
export type AnyMagicSpec = MagicSpec<Options>;

/**
 * Keeps each spec's option types for its own expand/validate functions while letting the registry hold them all.
 * The cast is sound because the parser only ever builds option values from the spec's own value types.
 */
export function defineMagic<O extends Options>(spec: MagicSpec<O>): AnyMagicSpec {
  return spec as unknown as AnyMagicSpec;
}

export function flag(help: string): OptionSpec<true> {
  return { help };
}

export function option<T>(value: ValueType<T>, help: string, extra: Omit<OptionSpec<T>, 'help' | 'value'> = {}): OptionSpec<T> {
  return { help, value, ...extra };
}

/** Every magic takes --explain; the parser adds it rather than each spec. */
export const EXPLAIN_OPTION = 'explain';
export const EXPLAIN_HELP = 'show the TypeScript this magic runs, instead of running it';
