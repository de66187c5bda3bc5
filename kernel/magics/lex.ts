/**
 * Just enough of a TypeScript lexer to know, line by line, whether a line starts in code or inside a template
 * literal or block comment. A line like `%d items` inside a multi-line template string is text, not a magic.
 * It also finds where a line comment starts and the last significant character, so a cell magic can close its
 * body without the closing parenthesis landing inside a `// comment`.
 */

type Frame = { kind: 'code'; depth: number } | { kind: 'template' } | { kind: 'block' } | { kind: 'string'; quote: string };

export interface LineScan {
  /** The line began in code (not inside a template literal, block comment or continued string). */
  startsInCode: boolean;
  /** Column where a `//` comment starts on this line. */
  commentAt?: number;
}

/** Position of the last significant character seen so far. */
export interface Significant {
  line: number;
  column: number;
  char: string;
  /** The character was code (not inside a string or template). */
  code: boolean;
}

// After these words a `/` starts a regular expression, not a division.
const BEFORE_EXPRESSION = new Set(['return', 'typeof', 'case', 'do', 'else', 'in', 'of', 'new', 'delete', 'void', 'throw', 'instanceof', 'yield', 'await']);

export class CodeScanner {
  private readonly stack: Frame[] = [{ kind: 'code', depth: 0 }];
  private regexAllowed = true;
  private lineNumber = -1;
  /** Bracket depth of the outermost code, its lowest point, and whether a `;` appeared at depth 0. */
  minDepth = 0;
  topLevelSemicolon = false;
  /** A quoted string ran to the end of its line. */
  unterminatedString = false;
  last: Significant | undefined;

  get inCode(): boolean {
    return this.top.kind === 'code';
  }

  get depth(): number {
    return (this.stack[0] as { depth: number }).depth;
  }

  private get top(): Frame {
    return this.stack[this.stack.length - 1]!;
  }

  scanLine(line: string): LineScan {
    this.lineNumber++;
    const result: LineScan = { startsInCode: this.inCode };
    let i = 0;
    const mark = (column: number, code: boolean) => (this.last = { line: this.lineNumber, column, char: line[column]!, code });
    while (i < line.length) {
      const frame = this.top;
      if (frame.kind === 'block') {
        const end = line.indexOf('*/', i);
        if (end < 0) return result;
        this.stack.pop();
        i = end + 2;
        continue;
      }
      if (frame.kind === 'string') {
        const c = line[i]!;
        if (c === '\\') {
          i += 2;
          continue;
        }
        mark(i, false);
        if (c === frame.quote) {
          this.stack.pop();
          this.regexAllowed = false;
        }
        i++;
        continue;
      }
      if (frame.kind === 'template') {
        const c = line[i]!;
        if (c === '\\') {
          i += 2;
          continue;
        }
        mark(i, false);
        if (c === '`') {
          this.stack.pop();
          this.regexAllowed = false;
          i++;
        } else if (c === '$' && line[i + 1] === '{') {
          this.stack.push({ kind: 'code', depth: 0 });
          this.regexAllowed = true;
          i += 2;
        } else {
          i++;
        }
        continue;
      }
      i = this.scanCode(line, i, frame, result, mark);
    }
    // A quoted string ends with its line unless the line ends in a backslash continuation.
    const top = this.top;
    if (top.kind === 'string' && !/(^|[^\\])(\\\\)*\\$/.test(line)) {
      this.stack.pop();
      this.unterminatedString = true;
    }
    return result;
  }

  /** Scans one token of code starting at i; returns where the next one starts. */
  private scanCode(
    line: string,
    i: number,
    frame: { kind: 'code'; depth: number },
    result: LineScan,
    mark: (column: number, code: boolean) => void,
  ): number {
    const c = line[i]!;
    const outermost = this.stack.length === 1;
    if (/\s/.test(c)) return i + 1;
    if (c === '/' && line[i + 1] === '/') {
      result.commentAt = i;
      return line.length;
    }
    if (c === '/' && line[i + 1] === '*') {
      this.stack.push({ kind: 'block' });
      return i + 2;
    }
    mark(i, true);
    if (c === '/' && this.regexAllowed) {
      const end = regexEnd(line, i);
      if (end > 0) {
        let j = end + 1;
        while (j < line.length && /[A-Za-z]/.test(line[j]!)) j++;
        mark(j - 1, true);
        this.regexAllowed = false;
        return j;
      }
    }
    if (c === '"' || c === "'") {
      this.stack.push({ kind: 'string', quote: c });
      return i + 1;
    }
    if (c === '`') {
      this.stack.push({ kind: 'template' });
      return i + 1;
    }
    if (/[\p{ID_Start}$_\d]/u.test(c)) {
      // A word or a number (numbers may hold dots: 1.5).
      const part = /\d/.test(c) ? /[\w.]/ : /[\p{ID_Continue}$\u200c\u200d]/u;
      let j = i + 1;
      while (j < line.length && part.test(line[j]!)) j++;
      mark(j - 1, true);
      this.regexAllowed = BEFORE_EXPRESSION.has(line.slice(i, j));
      return j;
    }
    if (c === '}' && frame.depth === 0 && !outermost) {
      // The end of a `${...}` substitution: back into the template literal.
      this.stack.pop();
      return i + 1;
    }
    if (c === '(' || c === '[' || c === '{') frame.depth++;
    if (c === ')' || c === ']' || c === '}') {
      frame.depth--;
      if (outermost) this.minDepth = Math.min(this.minDepth, frame.depth);
    }
    if (c === ';' && outermost && frame.depth === 0) this.topLevelSemicolon = true;
    this.regexAllowed = !(c === ')' || c === ']' || c === '}');
    return i + 1;
  }
}

/** Index of the `/` closing a regular expression literal that opens at `start`, or -1 when there is none on the line. */
function regexEnd(line: string, start: number): number {
  let inClass = false;
  for (let i = start + 1; i < line.length; i++) {
    const c = line[i];
    if (c === '\\') i++;
    else if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    else if (c === '/' && !inClass) return i;
  }
  return -1;
}
