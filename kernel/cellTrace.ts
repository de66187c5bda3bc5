/**
 * A runtime error's place in the cell the user wrote. tslab runs a cell as JavaScript that TypeScript emitted (types
 * gone, a few lines of module preamble added, then wrapped in a function), with no source map, so V8's positions
 * ("evalmachine.<anonymous>:3:28") are positions in that JavaScript. The runner keeps the JavaScript of the cell it
 * runs; a frame's JavaScript line is matched to the cell line that reads most like it (TypeScript emit keeps
 * statements in order and almost as written), and the column to the same token there. Frames in library code are
 * counted, not shown.
 */

export interface CellFrame {
  /** 1-based line and column in the cell as written. */
  line: number;
  column: number;
  /** The function the frame is in, when it has a name. */
  fn?: string;
}

const FRAME = /^\s*at (?:(.*?) \()?(?:evalmachine\.<anonymous>|<anonymous>):(\d+):(\d+)\)?$/;

/** Identifier-like tokens of a line, in order: what survives the TypeScript emit. */
function tokens(line: string): string[] {
  return line.match(/[A-Za-z_$][\w$]*|\d+(?:\.\d+)?|"[^"]*"|'[^']*'|`[^`]*`/g) ?? [];
}

function similarity(a: string[], b: string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const t of b) counts.set(t, (counts.get(t) ?? 0) + 1);
  let shared = 0;
  for (const t of a) {
    const n = counts.get(t) ?? 0;
    if (n > 0) {
      shared++;
      counts.set(t, n - 1);
    }
  }
  return (2 * shared) / (a.length + b.length);
}

/**
 * The cell line a JavaScript line came from: the most similar line, ties going to the line whose position in the
 * cell is nearest the JavaScript line's position in the output (emit keeps order). Undefined when nothing is alike.
 */
export function cellLineOf(jsLine: string, jsIndex: number, jsLines: number, cellLines: string[]): number | undefined {
  const want = tokens(jsLine);
  let best: number | undefined;
  let bestScore = 0.34;
  for (let i = 0; i < cellLines.length; i++) {
    const score = similarity(want, tokens(cellLines[i]!));
    const nearness = 1 - Math.abs(i / Math.max(1, cellLines.length - 1) - jsIndex / Math.max(1, jsLines - 1));
    const total = score + nearness * 0.01;
    if (score > 0 && total > bestScore) {
      bestScore = total;
      best = i;
    }
  }
  return best;
}

/** The column in the cell line of the token at `jsColumn` in the JavaScript line (1-based), or the line's start. */
export function cellColumnOf(jsLine: string, jsColumn: number, cellLine: string): number {
  const at = Math.max(0, jsColumn - 1);
  const here = /^[A-Za-z_$][\w$]*|^\S/.exec(jsLine.slice(at))?.[0];
  if (!here) return firstNonSpace(cellLine);
  // The same token after as many earlier occurrences of it as in the JavaScript line.
  const matches = (text: string) => [...text.matchAll(occurrences(here))].map((m) => m.index!);
  const nth = matches(jsLine.slice(0, at)).length;
  const found = matches(cellLine)[nth];
  return found === undefined ? firstNonSpace(cellLine) : found + 1;
}

/** A token as a whole word (identifiers) or as itself (punctuation). */
function occurrences(token: string): RegExp {
  const escaped = token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return /^[A-Za-z_$]/.test(token) ? new RegExp(`(?<![\\w$])${escaped}(?![\\w$])`, 'g') : new RegExp(escaped, 'g');
}

function firstNonSpace(line: string): number {
  const m = /\S/.exec(line);
  return m ? m.index + 1 : 1;
}

/**
 * The traceback lines of an error thrown by cell code: where in the cell (line, column, the line itself with a
 * caret), frames in functions of the cell, and how many frames of libraries were left out.
 */
export function cellTraceback(stack: string | undefined, js: string | undefined, wrapperPrefix: number, cell: string, shown = cell): string[] {
  if (!stack) return [];
  const jsLines = js?.split('\n') ?? [];
  const cellLines = cell.split('\n');
  // `cell` is what ran (magics expanded, one line each); `shown` is what the user wrote, line for line.
  const shownLines = shown.split('\n');
  const frames: CellFrame[] = [];
  let hidden = 0;
  let earlier = 0;
  for (const raw of stack.split('\n').filter((l) => /^\s+at /.test(l))) {
    const m = FRAME.exec(raw);
    if (!m || /node:internal|node_modules|\/dist\/(src|kernel)\//.test(raw)) {
      hidden++;
      continue;
    }
    const jsLineNo = Number(m[2]);
    const jsCol = Number(m[3]) - (jsLineNo === 1 ? wrapperPrefix : 0);
    const jsLine = jsLines[jsLineNo - 1];
    const line = jsLine === undefined ? undefined : cellLineOf(jsLine, jsLineNo - 1, jsLines.length, cellLines);
    if (line === undefined) {
      earlier++;
      continue;
    }
    const fn = m[1] && !/^(?:async )?(?:Object\.)?<anonymous>$|^eval$/.test(m[1]) ? m[1].replace(/^(async |Object\.)/, '') : undefined;
    const written = shownLines[line];
    const column = written !== undefined && written !== cellLines[line] ? firstNonSpace(written) : cellColumnOf(jsLine!, jsCol, cellLines[line]!);
    frames.push({ line: line + 1, column, fn });
  }
  const out: string[] = [];
  for (const [i, f] of frames.entries()) {
    const text = shownLines[f.line - 1] ?? cellLines[f.line - 1] ?? '';
    const gutter = `${f.line} | `;
    out.push(`${i === 0 ? 'at' : 'called from'} cell line ${f.line}, column ${f.column}${f.fn ? ` (in ${f.fn})` : ''}:`);
    out.push(`  ${gutter}${text}`);
    out.push(`  ${' '.repeat(gutter.length - 2)}| ${' '.repeat(Math.max(0, f.column - 1))}^`);
  }
  const notes = [earlier && `${earlier} in code of earlier cells`, hidden && `${hidden} in libraries`].filter(Boolean);
  if (notes.length) out.push(`(${notes.join(', ')}: frames not shown)`);
  return out;
}
