/**
 * Runs a notebook headless on the streamlab kernel, as JupyterLab would (a kernel process over ZeroMQ, one
 * execute_request per code cell, outputs gathered from iopub): no Python needed. Parameters are injected like
 * papermill's, in a cell after the one tagged `parameters`. The first failing cell stops the run (later cells keep no
 * outputs); a cell past its timeout is interrupted and reported. At the end every background stream is stopped, so
 * status lines end and live charts leave their last frame (plotly JSON, SVG and PNG) in the saved outputs.
 */
import path from 'node:path';
import { JupyterMessage, KernelProcess } from './client';
import { kernelSpec } from './install';
import { StreamlabError } from '../src';

export interface NotebookCell {
  cell_type: 'code' | 'markdown' | 'raw';
  source: string | string[];
  metadata: Record<string, unknown> & { tags?: string[] };
  outputs?: NotebookOutputJson[];
  execution_count?: number | null;
  id?: string;
}

export type NotebookOutputJson = Record<string, unknown> & { output_type: string };

export interface NotebookJson {
  cells: NotebookCell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

export interface RunOptions {
  /** Seconds a cell may run before it is interrupted (default 600). */
  timeoutSeconds?: number;
  /** Values for the `parameters` cell, as TypeScript literals are made of them (JSON). */
  parameters?: Record<string, unknown>;
  env?: Record<string, string>;
  cwd?: string;
  /** Told about each cell as it starts and ends (the command prints a line per cell). */
  onCell?: (event: CellEvent) => void;
  /** Aborting interrupts the running cell and ends the run there (what `streamlab run` does on Ctrl-C). */
  signal?: AbortSignal;
}

export interface CellEvent {
  /** 1-based among code cells, as a person counts them. */
  index: number;
  of: number;
  state: 'running' | 'ok' | 'failed' | 'timed out';
  seconds?: number;
  firstLine: string;
}

export interface RunResult {
  notebook: NotebookJson;
  ok: boolean;
  /** One line: which cell failed and why ('' when ok). */
  failure: string;
  cellsRun: number;
  seconds: number;
}

const INJECTED_TAG = 'injected-parameters';
/** Time for the last status-line and chart updates after `%stop all`, before the kernel shuts down. */
const SETTLE_MS = 1500;

export function sourceOf(cell: NotebookCell): string {
  return Array.isArray(cell.source) ? cell.source.join('') : cell.source;
}

/** The cell papermill would inject: one `const` per parameter, after the cell tagged `parameters` (or first). */
export function withParameters(notebook: NotebookJson, parameters: Record<string, unknown>): NotebookJson {
  const names = Object.keys(parameters);
  const cells = notebook.cells.filter((c) => !(c.metadata.tags ?? []).includes(INJECTED_TAG));
  if (names.length === 0) return { ...notebook, cells };
  for (const name of names) {
    if (!/^[A-Za-z_$][\w$]*$/.test(name)) throw new StreamlabError(`parameter '${name}' is not a TypeScript name`, 'use letters, digits and _ (-p count=10)');
  }
  const source = names.map((n) => `const ${n} = ${literal(parameters[n], n)};`).join('\n');
  const injected: NotebookCell = { cell_type: 'code', source, metadata: { tags: [INJECTED_TAG] }, outputs: [], execution_count: null };
  const at = cells.findIndex((c) => (c.metadata.tags ?? []).includes('parameters'));
  const copy = [...cells];
  copy.splice(at + 1, 0, injected);
  return { ...notebook, cells: copy };
}

/**
 * `NAME=VALUE`: VALUE as JSON when it parses (numbers, booleans, quoted strings, arrays, objects), else as a
 * string. A number JSON reads but a JavaScript number cannot hold (1e999, 9007199254740993) is refused in one line
 * rather than injected changed.
 */
export function parseParameter(text: string): [string, unknown] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new StreamlabError(`parameter '${text}' is not NAME=VALUE`, 'write it as -p count=10 or -p topic=sensors');
  const name = text.slice(0, eq);
  const raw = text.slice(eq + 1);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return [name, raw];
  }
  const bad = unholdableNumber(value);
  if (bad !== undefined) {
    throw new StreamlabError(
      `parameter '${name}' holds a number a JavaScript number cannot hold exactly (it would become ${bad})`,
      `pass it as text instead: -p ${name}='"${raw.replace(/'/g, "'\\''")}"' (and convert it in the notebook, e.g. with BigInt)`,
    );
  }
  return [name, value];
}

/** What the first number JSON.parse could not keep as written became (Infinity, or a rounded integer). */
function unholdableNumber(v: unknown): string | undefined {
  if (typeof v === 'number') return !Number.isFinite(v) || (Number.isInteger(v) && !Number.isSafeInteger(v)) ? String(v) : undefined;
  if (Array.isArray(v)) {
    for (const x of v) {
      const bad = unholdableNumber(x);
      if (bad !== undefined) return bad;
    }
  } else if (v !== null && typeof v === 'object') {
    for (const x of Object.values(v)) {
      const bad = unholdableNumber(x);
      if (bad !== undefined) return bad;
    }
  }
  return undefined;
}

/**
 * A parameter value as a TypeScript literal that evaluates to exactly that value. JSON.stringify almost is one,
 * but it leaves U+2028/U+2029 raw in strings (tslab's compiler takes them for line ends), and an object key
 * "__proto__" in a literal sets the prototype instead of making a field: it is written as a computed key.
 */
export function literal(value: unknown, name: string): string {
  if (value === null || typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new StreamlabError(`parameter '${name}' is ${value}, which JSON cannot carry`, 'pass a finite number');
    return Object.is(value, -0) ? '-0' : String(value);
  }
  if (typeof value === 'string') return JSON.stringify(value).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  if (Array.isArray(value)) return `[${value.map((v) => literal(v, name)).join(', ')}]`;
  if (typeof value === 'object') {
    const fields = Object.keys(value as object).map((k) => `${k === '__proto__' ? `["__proto__"]` : literal(k, name)}: ${literal((value as Record<string, unknown>)[k], name)}`);
    return `{ ${fields.join(', ')} }`;
  }
  throw new StreamlabError(`parameter '${name}' is a ${typeof value}, not a JSON value`, 'pass numbers, text, true/false, null, arrays or objects');
}

export function readNotebook(text: string, file: string): NotebookJson {
  let nb: NotebookJson;
  try {
    nb = JSON.parse(text) as NotebookJson;
  } catch (e) {
    throw new StreamlabError(`${file} is not a notebook: ${(e as Error).message}`, 'give an .ipynb file');
  }
  if (!Array.isArray(nb?.cells) || typeof nb.nbformat !== 'number') throw new StreamlabError(`${file} is not a notebook (no cells or nbformat)`, 'give an .ipynb file in nbformat 4');
  if (nb.nbformat !== 4) throw new StreamlabError(`${file} is nbformat ${nb.nbformat}`, 'convert it to nbformat 4 (jupyter nbconvert --to notebook)');
  // Every cell is checked before anything starts: a broken one is named, not met as a TypeError mid-run.
  nb.cells.forEach((c, i) => {
    const where = `cell ${i + 1} of ${file}`;
    if (c === null || typeof c !== 'object' || Array.isArray(c)) throw new StreamlabError(`${where} is ${c === null ? 'null' : Array.isArray(c) ? 'an array' : `a ${typeof c}`}, not a cell`, 'each cell is an object with cell_type and source; fix or delete it in a text editor');
    if (c.cell_type !== 'code' && c.cell_type !== 'markdown' && c.cell_type !== 'raw') throw new StreamlabError(`${where} has cell_type ${JSON.stringify(c.cell_type) ?? 'missing'}`, "use 'code', 'markdown' or 'raw'");
    const source = c.source as unknown;
    const text = typeof source === 'string' || (Array.isArray(source) && source.every((l) => typeof l === 'string'));
    if (!text) throw new StreamlabError(`${where} has ${source === undefined ? 'no source' : `a source that is ${Array.isArray(source) ? 'a list with non-text lines' : source === null ? 'null' : `a ${typeof source}`}`}`, 'a cell\'s source is text or a list of lines of text');
    if (c.metadata !== undefined && (c.metadata === null || typeof c.metadata !== 'object')) throw new StreamlabError(`${where} has metadata that is not an object`, 'make it {} or delete it');
    if (c.metadata?.tags !== undefined && !(Array.isArray(c.metadata.tags) && c.metadata.tags.every((t) => typeof t === 'string'))) throw new StreamlabError(`${where} has tags that are not a list of text`, 'make them a list such as ["parameters"]');
    const count = c.execution_count as unknown;
    if (count !== undefined && count !== null && !(Number.isInteger(count) && (count as number) >= 0)) throw new StreamlabError(`${where} has execution_count ${JSON.stringify(count) ?? String(count)}`, 'make it null or a whole number');
    c.metadata ??= {};
  });
  return nb;
}

/** Collects a cell's outputs the way a frontend shows them: streams merged, displays updated in place by id. */
class OutputCollector {
  private readonly cellOf = new Map<string, NotebookCell>();
  private readonly byDisplayId = new Map<string, NotebookOutputJson[]>();

  attach(msgId: string, cell: NotebookCell): void {
    this.cellOf.set(msgId, cell);
  }

  onMessage(msg: JupyterMessage): void {
    const type = msg.header.msg_type;
    const c = msg.content;
    if (type === 'update_display_data') {
      const id = String(c.transient?.display_id ?? '');
      for (const out of this.byDisplayId.get(id) ?? []) {
        out.data = c.data;
        out.metadata = c.metadata ?? {};
      }
      return;
    }
    const cell = this.cellOf.get(msg.parent_header.msg_id ?? '');
    if (!cell) return;
    const outputs = (cell.outputs ??= []);
    switch (type) {
      case 'stream': {
        const last = outputs[outputs.length - 1];
        if (last?.output_type === 'stream' && last.name === c.name) last.text = String(last.text) + String(c.text);
        else outputs.push({ output_type: 'stream', name: c.name, text: String(c.text) });
        return;
      }
      case 'display_data':
      case 'execute_result': {
        const out: NotebookOutputJson = { output_type: type, data: c.data, metadata: c.metadata ?? {} };
        if (type === 'execute_result') out.execution_count = c.execution_count ?? null;
        outputs.push(out);
        const id = c.transient?.display_id;
        if (id) this.byDisplayId.set(String(id), [...(this.byDisplayId.get(String(id)) ?? []), out]);
        return;
      }
      case 'error':
        outputs.push({ output_type: 'error', ename: c.ename, evalue: c.evalue, traceback: c.traceback ?? [] });
        return;
      case 'clear_output':
        outputs.length = 0;
        return;
    }
  }
}

/** Runs every code cell of `notebook` in a fresh streamlab kernel; returns the executed copy and how it went. */
export async function runNotebook(input: NotebookJson, options: RunOptions = {}): Promise<RunResult> {
  const started = Date.now();
  const notebook = withParameters(structuredClone(input), options.parameters ?? {});
  const timeoutMs = (options.timeoutSeconds ?? 600) * 1000;
  const code = notebook.cells.filter((c) => c.cell_type === 'code');
  for (const c of code) {
    c.outputs = [];
    c.execution_count = null;
  }
  const argv = kernelSpec(path.join(__dirname, 'main.js')).argv;
  const kernel = await KernelProcess.start({ argv, env: options.env, cwd: options.cwd, startTimeoutMs: 60_000, requestTimeoutMs: 60_000 });
  const collector = new OutputCollector();
  const off = kernel.on('iopub', (m) => collector.onMessage(m));
  let failure = '';
  let cellsRun = 0;
  let aborted = false;
  const onAbort = () => {
    aborted = true;
    if (!kernel.hasExited) kernel.interrupt().catch(() => undefined);
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (const [i, cell] of code.entries()) {
      if (aborted || options.signal?.aborted) {
        failure ||= `interrupted before cell ${i + 1} (${clip(sourceOf(cell).trim().split('\n')[0] ?? '')})`;
        break;
      }
      const source = sourceOf(cell);
      const firstLine = source.split('\n').find((l) => l.trim() !== '') ?? '';
      const event = { index: i + 1, of: code.length, firstLine };
      if (firstLine === '') continue;
      options.onCell?.({ ...event, state: 'running' });
      const cellStarted = Date.now();
      const msgId = kernel.send('shell', 'execute_request', { code: source, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true });
      collector.attach(msgId, cell);
      // One wait for the reply (the client's own, bounded beyond ours), raced against the cell's timeout.
      const replied = kernel.waitForReply(msgId, 'execute_request', 'shell', timeoutMs + 90_000);
      replied.catch(() => undefined);
      // A kernel that dies (killed, out of memory, exited) fails the wait: the cell is marked and the run ends
      // with what it has, so the notebook and its outputs so far are still written.
      const reply = await within(replied, timeoutMs).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
      cellsRun++;
      const seconds = (Date.now() - cellStarted) / 1000;
      if (reply instanceof Error) {
        const why = kernel.hasExited ? `the kernel died (${describeKernelExit(kernel)})` : oneLine(reply.message);
        failure = `cell ${i + 1} (${clip(firstLine)}) did not finish: ${why}; the outputs so far are saved`;
        cell.outputs = [...(cell.outputs ?? []), { output_type: 'error', ename: 'KernelDied', evalue: why, traceback: [`KernelDied: ${why}`] }];
        options.onCell?.({ ...event, state: 'failed', seconds });
        break;
      }
      if (aborted && reply !== 'timeout') {
        cell.execution_count = (reply.content.execution_count as number | undefined) ?? null;
        failure = `cell ${i + 1} (${clip(firstLine)}) was interrupted (Ctrl-C); the outputs so far are saved`;
        options.onCell?.({ ...event, state: 'failed', seconds });
        break;
      }
      if (reply === 'timeout') {
        await kernel.interrupt().catch(() => undefined);
        await within(replied, 30_000);
        failure = `cell ${i + 1} (${clip(firstLine)}) ran past its timeout of ${timeoutMs / 1000} s and was interrupted: raise --timeout, or make the cell wait with a timeout (caughtUp({ timeoutMs }))`;
        options.onCell?.({ ...event, state: 'timed out', seconds });
        break;
      }
      cell.execution_count = (reply.content.execution_count as number | undefined) ?? null;
      if (reply.content.status !== 'ok') {
        failure = `cell ${i + 1} (${clip(firstLine)}) failed: ${reply.content.ename ?? 'Error'}: ${String(reply.content.evalue ?? '').split('\n')[0]}`;
        options.onCell?.({ ...event, state: 'failed', seconds });
        break;
      }
      options.onCell?.({ ...event, state: 'ok', seconds });
    }
    // Background streams end with the run: their status lines say so, and charts keep their last frame.
    if (!kernel.hasExited) {
      const stop = kernel.send('shell', 'execute_request', { code: '%stop all', silent: true, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: false });
      await within(kernel.waitForReply(stop, 'execute_request', 'shell', 60_000), 60_000).catch(() => undefined);
      await new Promise((r) => setTimeout(r, SETTLE_MS));
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    off();
    await kernel.shutdown({ timeoutMs: 30_000 }).catch(() => kernel.close());
  }
  return { notebook, ok: failure === '', failure, cellsRun, seconds: (Date.now() - started) / 1000 };
}

async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function describeKernelExit(kernel: KernelProcess): string {
  const signal = kernel.exitSignal;
  if (signal) return `${signal}: killed${signal === 'SIGKILL' ? ', or out of memory' : ''}`;
  return `exit code ${kernel.exitCode}${kernel.exitCode === 134 ? ': out of memory' : ''}`;
}

function oneLine(text: string): string {
  return text.split('\n')[0] ?? '';
}

function clip(line: string): string {
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
}
