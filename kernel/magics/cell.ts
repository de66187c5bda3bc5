/** Which lines of a cell are magics, and the head (`%name`, `%%name`, `%name?`) of a magic line. */
import { CodeScanner } from './lex';
import { Form } from './spec';

export type LineKind = 'code' | 'magic' | 'cell-magic' | 'body';

// `%` then a letter, `%` or nothing: `a\n% b` (a modulo continued on the next line) stays TypeScript.
const MAGIC_LINE = /^\s*%%?(?:[A-Za-z]|\s*$)/;
const CELL_MAGIC = /^\s*%%/;

export function splitLines(cell: string): string[] {
  return cell.split('\n');
}

export function classifyLines(lines: string[]): LineKind[] {
  if (lines.length > 0 && CELL_MAGIC.test(lines[0]!)) return lines.map((_, i) => (i === 0 ? 'cell-magic' : 'body'));
  const scanner = new CodeScanner();
  return lines.map((line) => {
    // A magic line is never fed to the scanner: its quotes are shell quotes, not TypeScript ones.
    if (scanner.inCode && MAGIC_LINE.test(line)) return 'magic';
    scanner.scanLine(line);
    return 'code';
  });
}

export interface MagicHead {
  form: Form;
  /** The name without its percent signs; empty while the user has typed only `%`. */
  name: string;
  /** `%name?`: a help request. */
  question: boolean;
  /** Span of `%name` / `%%name` in the line. */
  start: number;
  end: number;
  /** Where the arguments start (after the name and any `?`). */
  argsStart: number;
}

export function parseHead(line: string): MagicHead {
  const m = /^(\s*)(%%?)([A-Za-z][\w-]*)?(\?)?/.exec(line)!;
  const start = m[1]!.length;
  const end = start + m[2]!.length + (m[3]?.length ?? 0);
  return { form: m[2] === '%%' ? 'cell' : 'line', name: m[3] ?? '', question: m[4] !== undefined, start, end, argsStart: m[0].length };
}

/** The line index and column of a cursor. */
export function position(cell: string, cursor: number): { line: number; column: number } {
  const before = cell.slice(0, Math.max(0, Math.min(cursor, cell.length)));
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length - 1, column: before.length - lineStart };
}
