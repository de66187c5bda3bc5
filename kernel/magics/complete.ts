/** Completion and inspection on magic lines: magic names, option names, option values, topics and streams. */
import { Token, allOptions, isOptionToken, optionByAlias, tokenize } from './args';
import { classifyLines, parseHead, position, splitLines } from './cell';
import { helpFor, magicHelp } from './help';
import { HELP, MAGICS, findMagic, writtenNames } from './registry';
import { AnyMagicSpec, OptionSpec, ValueType } from './spec';

export interface MagicCompletion {
  matches: string[];
  cursorStart: number;
  cursorEnd: number;
}

export interface CompletionContext {
  topics(): Promise<string[]>;
  streams(): string[];
}

interface MagicLineAt {
  text: string;
  column: number;
  /** Offset of the line in the cell. */
  lineStart: number;
  cellMagic: boolean;
}

function magicLineAt(cell: string, cursor: number): MagicLineAt | undefined {
  const lines = splitLines(cell);
  const { line, column } = position(cell, cursor);
  const kind = classifyLines(lines)[line];
  if (kind !== 'magic' && kind !== 'cell-magic') return undefined;
  return { text: lines[line]!.replace(/\r$/, ''), column, lineStart: cursor - column, cellMagic: line === 0 };
}

/** undefined when the cursor is not on a magic line (the kernel then asks TypeScript). */
export async function completeMagic(cell: string, cursor: number, ctx: CompletionContext): Promise<MagicCompletion | undefined> {
  const at = magicLineAt(cell, cursor);
  if (!at) return undefined;
  const { text, column, lineStart } = at;
  const head = parseHead(text);
  const result = (matches: string[], start: number, end: number): MagicCompletion => ({
    matches,
    cursorStart: lineStart + start,
    cursorEnd: lineStart + end,
  });
  if (column < head.start) return result([], column, column);
  if (column <= head.end) {
    const typed = text.slice(head.start, column);
    // Cell forms only where they are valid: the first line of the cell.
    const names = at.cellMagic ? writtenNames() : writtenNames('line');
    return result(names.filter((n) => n.startsWith(typed)), head.start, head.end);
  }
  const spec = findMagic(head.name);
  if (!spec || head.question) return result([], column, column);

  const tokens = tokenize(text.slice(head.argsStart), head.argsStart, true);
  const current = tokens.find((t) => t.start <= column && column <= t.end) ?? { value: '', start: column, end: column, quoted: false };
  const before = tokens.filter((t) => t.end < current.start);
  const typed = tokenize(text.slice(current.start, column), 0, true)[0]?.value ?? '';
  const context = argumentContext(spec, before);

  if (context.pending?.value) return result(await values(context.pending.value, typed, ctx, current.quoted), current.start, current.end);
  if (!current.quoted && !context.onlyPositionals && typed.startsWith('-')) {
    const eq = typed.indexOf('=');
    if (eq >= 0) {
      const opt = optionNamed(spec, typed.slice(0, eq));
      const start = current.start + eq + 1;
      return result(opt?.value ? await values(opt.value, typed.slice(eq + 1), ctx, false) : [], start, current.end);
    }
    return result(optionNames(spec, before, typed), current.start, current.end);
  }
  const positional = spec.positionals[context.positionals];
  const offered = positional ? await values(positional.value, typed, ctx, current.quoted) : [];
  if (offered.length > 0 || (positional && hasCandidates(positional.value)) || typed !== '' || context.onlyPositionals) {
    return result(offered, current.start, current.end);
  }
  // Nothing to offer for this argument: the options are the useful next step.
  return result(optionNames(spec, before, ''), current.start, current.end);
}

/** Help text of the magic under the cursor (for `%help NAME`, NAME's). */
export function inspectMagic(cell: string, cursor: number): string | undefined {
  const at = magicLineAt(cell, cursor);
  if (!at) return undefined;
  const head = parseHead(at.text);
  const spec = findMagic(head.name);
  if (!spec) return undefined;
  if (spec === HELP) {
    const topic = tokenize(at.text.slice(head.argsStart), 0, true)[0]?.value;
    if (topic && findMagic(topic.replace(/^%{1,2}/, ''))) return helpFor(topic);
  }
  return magicHelp(spec);
}

interface ArgumentContext {
  positionals: number;
  /** The option whose value is being typed (`--from |`). */
  pending?: OptionSpec;
  onlyPositionals: boolean;
}

/** Walks the arguments before the cursor the way the parser would, without failing on mistakes. */
function argumentContext(spec: AnyMagicSpec, before: Token[]): ArgumentContext {
  const ctx: ArgumentContext = { positionals: 0, onlyPositionals: false };
  for (const t of before) {
    if (ctx.pending) {
      ctx.pending = undefined;
    } else if (!ctx.onlyPositionals && !t.quoted && t.value === '--') {
      ctx.onlyPositionals = true;
    } else if (!ctx.onlyPositionals && isOptionToken(t)) {
      const opt = optionNamed(spec, t.value);
      if (opt?.value && !t.value.includes('=')) ctx.pending = opt;
    } else {
      ctx.positionals++;
    }
  }
  return ctx;
}

function optionNamed(spec: AnyMagicSpec, written: string): OptionSpec | undefined {
  const options = allOptions(spec);
  const name = written.startsWith('--') ? written.slice(2) : optionByAlias(spec, written.slice(1));
  return name !== undefined && Object.hasOwn(options, name) ? options[name] : undefined;
}

function optionNames(spec: AnyMagicSpec, before: Token[], typed: string): string[] {
  const used = new Set(before.filter(isOptionToken).map((t) => t.value.split('=')[0]!));
  return Object.entries(allOptions(spec))
    .filter(([name, o]) => !used.has(`--${name}`) && !(o.alias && used.has(`-${o.alias}`)))
    .map(([name]) => `--${name}`)
    .filter((n) => n.startsWith(typed));
}

function hasCandidates(value: ValueType<unknown>): boolean {
  return (value.choices?.length ?? 0) > 0 || (value.complete ?? 'none') !== 'none';
}

async function values(value: ValueType<unknown>, typed: string, ctx: CompletionContext, quoted: boolean): Promise<string[]> {
  let found: string[] = [];
  if (value.complete === 'topic') {
    // Completion must never fail the request: no broker simply means no topic names.
    found = await ctx.topics().then((names) => [...names].sort(), () => []);
  } else if (value.complete === 'stream') {
    found = ctx.streams();
  } else if (value.complete === 'magic') {
    found = MAGICS.map((m) => m.name);
  }
  const all = [...new Set([...found, ...(value.choices ?? [])])];
  return all.filter((c) => c.startsWith(typed)).map((c) => (quoted || /[\s'"\\]/.test(c) ? JSON.stringify(c) : c));
}
