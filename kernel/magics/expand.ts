/**
 * Cells to TypeScript. Each magic line becomes exactly one line and a cell magic keeps its body lines where they
 * were, so TypeScript's diagnostics point at the lines the user wrote.
 */
import { TokenizeError, parseArgs, tokenize } from './args';
import { LineKind, classifyLines, parseHead, position, splitLines } from './cell';
import { MagicError } from './errors';
import { helpFor, helpIndex } from './help';
import { CodeScanner } from './lex';
import { HELP, lookupMagic } from './registry';
import { AnyMagicSpec, Form } from './spec';
import { magicError } from './usage';

export interface ExpandedCell {
  /** TypeScript to run. Line i of the cell is line i of code. */
  code: string;
  /** When any magic in the cell has --explain: the TypeScript it expands to, to show instead of running. */
  explain?: string;
  /** When the cell asks for help (%help, %help NAME, %NAME?, %%NAME?): the text to show instead of running; code is then ''. */
  help?: string;
}

interface OutLine {
  text: string;
  /** Column in the cell's line -> column in `text`. */
  map(column: number): number;
}

const identity = (column: number) => column;
const toStart = () => 0;

interface Expansion {
  lines: OutLine[];
  explain: string[];
  help: string[];
  /** First error of a help request, and of anything else: help wins over the latter, not the former. */
  helpError?: MagicError;
  error?: MagicError;
}

export function expandCell(cell: string): ExpandedCell {
  const x = expandLines(cell);
  if (x.helpError) throw x.helpError;
  if (x.help.length > 0) return { code: '', help: x.help.join('\n\n') };
  if (x.error) throw x.error;
  const code = x.lines.map((l) => l.text).join('\n');
  return x.explain.length > 0 ? { code, explain: x.explain.join('\n') } : { code };
}

/**
 * The cell's code for completion and inspection: never throws. A magic line that does not parse (usually the one
 * being typed) becomes an empty line, so TypeScript completion keeps working on the other lines.
 */
export function expandCellForTooling(cell: string): string {
  return expandLines(cell).lines.map((l) => l.text).join('\n');
}

/** A cursor in the cell -> the same place in expandCellForTooling(cell) (and expandCell(cell).code when it expands). */
export function expandedOffset(cell: string, cursor: number): number {
  const { line, column } = position(cell, cursor);
  const lines = expandLines(cell).lines;
  let offset = 0;
  for (let i = 0; i < line; i++) offset += lines[i]!.text.length + 1;
  const out = lines[line]!;
  return offset + Math.min(out.map(column), out.text.length);
}

export function isMagicCell(cell: string): boolean {
  return classifyLines(splitLines(cell)).some((k) => k !== 'code');
}

function expandLines(cell: string): Expansion {
  const source = splitLines(cell);
  const kinds = classifyLines(source);
  const x: Expansion = { lines: [], explain: [], help: [] };
  const multiline = source.length > 1;
  const record = (e: unknown, i: number, kind: LineKind, isHelp: boolean) => {
    if (!(e instanceof MagicError)) throw e;
    // A cell magic's errors are about the whole cell; a line magic's need its line when there are several.
    const error = multiline && kind !== 'cell-magic' ? new MagicError(`line ${i + 1}: ${e.message}`) : e;
    if (isHelp) x.helpError ??= error;
    else x.error ??= error;
  };
  for (let i = 0; i < source.length; i++) {
    const kind: LineKind = kinds[i]!;
    if (kind === 'code') {
      x.lines.push({ text: source[i]!, map: identity });
      continue;
    }
    const line = source[i]!;
    const head = parseHead(line);
    const isHelp = head.question || head.name === HELP.name;
    const before = x.lines.length;
    try {
      if (head.question) {
        x.help.push(helpFor(head.name));
      } else if (kind === 'cell-magic') {
        x.lines.push(...expandCellMagic(line, head.name, head.argsStart, source.slice(1), x));
      } else {
        x.lines.push({ text: expandLineMagic(line, head.form, head.name, head.argsStart, x), map: toStart });
      }
    } catch (e) {
      record(e, i, kind, isHelp);
    }
    // A help request or a broken magic is an empty line, so line numbers and offsets still hold.
    if (x.lines.length === before) x.lines.push({ text: '', map: toStart });
    if (kind === 'cell-magic') {
      if (x.lines.length === 1) x.lines.push(...source.slice(1).map((text) => ({ text, map: identity })));
      break;
    }
  }
  return x;
}

function parse(spec: AnyMagicSpec, form: Form, line: string, argsStart: number) {
  try {
    return parseArgs(spec, form, tokenize(line.slice(argsStart).replace(/\r$/, ''), argsStart));
  } catch (e) {
    if (e instanceof TokenizeError) throw magicError(spec, form, e.message);
    throw e;
  }
}

function expandLineMagic(line: string, form: Form, name: string, argsStart: number, x: Expansion): string {
  if (name === '') throw new MagicError(`a magic needs a name after ${form === 'cell' ? '%%' : '%'}; %help lists the magics`);
  if (form === 'cell') {
    lookupMagic(name, 'cell');
    throw new MagicError(`%%${name} must be the first line of the cell (a cell magic takes the rest of the cell as its body)`);
  }
  const spec = lookupMagic(name, 'line');
  const args = parse(spec, 'line', line, argsStart);
  if (spec === HELP) {
    x.help.push(args.positionals[0] === undefined ? helpIndex() : helpFor(args.positionals[0]));
    return '';
  }
  const code = spec.line!(args);
  if (args.explain) x.explain.push(code);
  // A CRLF cell keeps its line ends; the expansion replaces the line's text, not its terminator.
  return line.endsWith('\r') ? `${code}\r` : code;
}

function expandCellMagic(line: string, name: string, argsStart: number, body: string[], x: Expansion): OutLine[] {
  if (name === '') throw new MagicError('a cell magic needs a name after %%; %help lists the magics');
  const spec = lookupMagic(name, 'cell');
  const args = parse(spec, 'cell', line, argsStart);
  const { open, close } = spec.cell!.expand(args);
  const closed = closeBody(body, close);
  if (!closed) throw magicError(spec, 'cell', `the cell has no body: write ${spec.cell!.body} below the %%${name} line`);
  const out = [{ text: line.endsWith('\r') ? `${open}\r` : open, map: toStart }, ...closed];
  if (args.explain) x.explain.push(out.map((l) => l.text).join('\n'));
  return out;
}

/**
 * The body with `close` added to its last line: before a trailing `// comment` (which would swallow it), and with
 * a final `;` blanked, since the body is put inside parentheses. undefined when the body has no code at all.
 */
function closeBody(body: string[], close: string): OutLine[] | undefined {
  const scanner = new CodeScanner();
  const scans = body.map((line) => scanner.scanLine(line.replace(/\r$/, '')));
  const last = scanner.last;
  if (!last) return undefined;
  const out: OutLine[] = body.map((text) => ({ text, map: identity }));
  if (last.code && last.char === ';') {
    // A space, not nothing: later columns on the line keep their positions.
    const text = body[last.line]!;
    out[last.line]!.text = `${text.slice(0, last.column)} ${text.slice(last.column + 1)}`;
  }
  const end = body.length - 1;
  const text = out[end]!.text;
  const comment = scans[end]!.commentAt;
  const at = comment ?? text.replace(/\r$/, '').length;
  const inserted = comment === undefined ? close : `${close} `;
  out[end] = { text: `${text.slice(0, at)}${inserted}${text.slice(at)}`, map: (column) => (column < at ? column : column + inserted.length) };
  return out;
}
