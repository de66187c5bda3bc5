/**
 * Runs TypeScript cells with tslab's executor (transpile, type-check against earlier cells, run in this
 * process). tslab prints a cell's last value and its errors through the console it is given; the runner hands
 * it a capturing console instead, so the kernel can send the value as a rich execute_result and errors as one
 * clean error output, which tslab's own kernel cannot.
 */
import { format } from 'node:util';
import { createExecutor, Executor } from 'tslab/dist/executor';
import { createConverter, isCompleteCode, Converter } from 'tslab/dist/converter';
import { printQuickInfo } from 'tslab/dist/inspect';
import * as ts from '@tslab/typescript-for-tslab';
import { cellTraceback } from './cellTrace';

export interface CellError {
  ename: string;
  evalue: string;
  traceback: string[];
}

export type CellOutcome = { ok: true; hasValue: boolean; value?: unknown } | { ok: false; error: CellError };

export type Completeness = { status: 'complete' | 'invalid' } | { status: 'incomplete'; indent: string };

const DIAGNOSTIC_FORMAT = '%s%d:%d - %s';
const INTERRUPTED = 'Interrupted asynchronously';

export class TypeScriptRunner {
  private readonly converter: Converter;
  private readonly executor: Executor;
  private captured: { value?: unknown; hasValue: boolean; diagnostics: string[]; error?: unknown; hasError: boolean } = fresh();
  /** The JavaScript tslab ran for the current cell, and the length of its wrapper on line 1 (see cellTrace.ts). */
  private ran: { js?: string; prefix: number } = { prefix: 0 };

  constructor(rootDir: string) {
    this.converter = createConverter({ isJS: false, isBrowser: false });
    const converter = this.converter;
    const ran = this.ran;
    // The converter as tslab's executor sees it, keeping each cell's emitted JavaScript for error positions.
    const node: Converter = Object.create(converter) as Converter;
    node.convert = (prevDecl, src) => {
      const out = converter.convert(prevDecl, expandShorthandProperties(src));
      ran.js = out.output;
      // tslab's executor wraps the output as `(async function(exports, require) { ` + output (or without async).
      ran.prefix = (out.hasToplevelAwait ? '(async function(exports, require) { ' : '(function(exports, require) { ').length;
      return out;
    };
    const convs = {
      node,
      // Browser-mode cells (`//%browser`) are not supported; tslab only asks for this converter on such cells.
      get browser(): Converter {
        throw new Error('browser cells are not supported by the streamlab kernel');
      },
      close: () => converter.close(),
    };
    this.executor = createExecutor(rootDir, convs, {
      log: (value?: unknown) => {
        this.captured.value = value;
        this.captured.hasValue = true;
      },
      error: (first?: unknown, ...rest: unknown[]) => {
        if (first === DIAGNOSTIC_FORMAT) this.captured.diagnostics.push(format(DIAGNOSTIC_FORMAT, ...rest).trim());
        else if (!this.captured.hasError) {
          this.captured.error = first;
          this.captured.hasError = true;
        }
      },
    });
  }

  /** Runs a cell; `written` is the cell as the user wrote it (magics unexpanded), for error positions. */
  async run(code: string, written = code): Promise<CellOutcome> {
    this.captured = fresh();
    this.ran.js = undefined;
    let ok: boolean;
    try {
      ok = await this.executor.execute(code);
    } catch (e) {
      ok = false;
      if (!this.captured.hasError) this.captured = { ...this.captured, error: e, hasError: true };
    }
    const c = this.captured;
    this.captured = fresh();
    if (ok) return { ok: true, hasValue: c.hasValue, value: c.value };
    if (c.diagnostics.length > 0) {
      return { ok: false, error: { ename: 'TypeScriptError', evalue: c.diagnostics[0]!, traceback: c.diagnostics } };
    }
    return { ok: false, error: describeThrown(c.error, (stack) => cellTraceback(stack, this.ran.js, this.ran.prefix, code, written), /^\s*%/m.test(written)) };
  }

  /** Stops a cell awaiting something; a cell in a synchronous loop is stopped by SIGINT itself (breakOnSigint). */
  interrupt(): void {
    this.executor.interrupt();
  }

  complete(code: string, cursor: number): { matches: string[]; start: number; end: number } {
    const info = this.executor.complete(code, cursor);
    return { matches: info.candidates, start: info.start, end: info.end };
  }

  inspect(code: string, cursor: number): string | undefined {
    const info = this.executor.inspect(code, cursor);
    return info ? printQuickInfo(info) : undefined;
  }

  isComplete(code: string): Completeness {
    const tslab = isCompleteCode(code);
    if (!tslab.completed) return { status: 'incomplete', indent: tslab.indent ?? '' };
    const parsed = ts.createSourceFile('cell.ts', code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS) as ts.SourceFile & {
      parseDiagnostics?: ts.Diagnostic[];
    };
    return { status: parsed.parseDiagnostics?.length ? 'invalid' : 'complete' };
  }

  /** Variables cells have defined, for tests and user_expressions. */
  get locals(): Record<string, unknown> {
    return this.executor.locals;
  }

  close(): void {
    this.executor.close();
  }
}

function fresh() {
  return { hasValue: false, diagnostics: [] as string[], hasError: false } as TypeScriptRunner['captured'];
}

/**
 * A thrown value as one error output: a StreamlabError is its one line; other errors say where in the cell they
 * happened (`where` maps the stack; by default only the frames of cell code are kept).
 */
export function describeThrown(thrown: unknown, where: (stack: string | undefined) => string[] = userFrames, magic = false): CellError {
  if (thrown instanceof Error || (typeof thrown === 'object' && thrown !== null && 'message' in thrown)) {
    const e = thrown as Error;
    const ename = e.name || 'Error';
    // A cell written with magics gets the hint in magic syntax, where the error has one.
    const magicLine = (thrown as { magicLine?: unknown }).magicLine;
    const evalue = magic && ename === 'StreamlabError' && typeof magicLine === 'string' ? magicLine : String(e.message ?? '');
    if (evalue === INTERRUPTED) {
      return { ename: 'Interrupted', evalue: 'the cell was interrupted (background streams keep running)', traceback: ['Interrupted: the cell was interrupted (background streams keep running)'] };
    }
    if (ename === 'StreamlabError') return { ename, evalue, traceback: [`${ename}: ${evalue}`] };
    if (/Script execution was interrupted/.test(evalue)) {
      return { ename: 'Interrupted', evalue: 'the cell was interrupted (background streams keep running)', traceback: ['Interrupted: the cell was interrupted (background streams keep running)'] };
    }
    return { ename, evalue, traceback: [`${ename}: ${evalue}`, ...where(e.stack)] };
  }
  const text = typeof thrown === 'string' ? thrown : format('%o', thrown);
  return { ename: 'Error', evalue: `a cell threw ${text}`, traceback: [`Error: a cell threw ${text}`] };
}

/** Stack frames of cell code only: the kernel's, tslab's and Node's own frames are noise to a notebook user. */
function userFrames(stack: string | undefined): string[] {
  if (!stack) return [];
  return stack
    .split('\n')
    .filter((l) => /^\s+at /.test(l))
    .filter((l) => /evalmachine|<anonymous>/.test(l) && !/node:internal|tslab|streamlab\/dist\/kernel/.test(l));
}

/**
 * `{ count }` as `{ count: count }`. tslab 1.0.22 leaves a shorthand property naming an earlier cell's variable
 * unrewritten, so `{ count }` fails with "count is not defined" where `{ n: count }` works; the expanded form means
 * the same in every position a shorthand may stand (object literals and destructuring assignments).
 */
export function expandShorthandProperties(src: string): string {
  if (!/[{,]\s*[A-Za-z_$][\w$]*\s*[,}=]/.test(src)) return src;
  const file = ts.createSourceFile('cell.ts', src, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const at: { pos: number; name: string }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isShorthandPropertyAssignment(node)) at.push({ pos: node.name.getEnd(), name: node.name.text });
    ts.forEachChild(node, visit);
  };
  visit(file);
  let out = src;
  for (const { pos, name } of at.sort((a, b) => b.pos - a.pos)) out = `${out.slice(0, pos)}: ${name}${out.slice(pos)}`;
  return out;
}
