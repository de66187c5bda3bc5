/**
 * `streamlab run NOTEBOOK.ipynb [--out DIR] [--html] [--timeout S] [-p NAME=VALUE ...]`: runs a notebook headless
 * on the streamlab kernel and writes it with its outputs (`NAME.executed.ipynb` beside it, or `DIR/NAME.ipynb`),
 * and with --html a standalone page. A failing cell exits 1, naming the cell and the error.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse, intOption } from './args';
import { StreamlabError, formatDuration } from '../src';
import { notebookHtml } from '../kernel/notebookHtml';
import { CellEvent, parseParameter, readNotebook, runNotebook } from '../kernel/notebookRunner';

const USAGE = 'streamlab run NOTEBOOK.ipynb [--out DIR] [--html] [--timeout SECONDS] [-p NAME=VALUE ...]';

export async function runCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { out: { type: 'string' }, html: { type: 'boolean' }, timeout: { type: 'string' }, parameter: { type: 'string', multiple: true, short: 'p' } }, USAGE);
  if (positionals.length !== 1) throw new StreamlabError(positionals.length === 0 ? 'which notebook? none given' : `one notebook at a time, got ${positionals.length}`, `usage: ${USAGE}`);
  const file = positionals[0]!;
  if (!fs.existsSync(file)) throw new StreamlabError(`no notebook at ${file}`, 'give the path of an .ipynb file');
  const notebook = readNotebook(fs.readFileSync(file, 'utf8'), file);
  const parameters = Object.fromEntries(((values.parameter as string[] | undefined) ?? []).map(parseParameter));
  const timeoutSeconds = intOption(values.timeout, 'timeout', 600);
  const name = path.basename(file, '.ipynb');
  const outFile = values.out ? path.join(values.out, `${name}.ipynb`) : path.join(path.dirname(file), `${name}.executed.ipynb`);
  const tty = process.stderr.isTTY;
  const onCell = (e: CellEvent) => {
    const where = `[${e.index}/${e.of}]`;
    if (e.state === 'running') {
      if (tty) process.stderr.write(`${where} … ${e.firstLine.slice(0, 70)}\r`);
      return;
    }
    const mark = e.state === 'ok' ? '✓' : '✗';
    process.stderr.write(`${tty ? '\x1b[2K' : ''}${where} ${mark} ${e.firstLine.slice(0, 70)} (${formatDuration((e.seconds ?? 0) * 1000)}${e.state === 'timed out' ? ', timed out' : ''})\n`);
  };
  process.stderr.write(`running ${file} on the streamlab kernel${Object.keys(parameters).length ? ` with ${Object.entries(parameters).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}` : ''}\n`);
  // Ctrl-C (or SIGTERM) interrupts the running cell and still writes the notebook with its outputs so far; a second
  // one ends the process at once.
  const abort = new AbortController();
  const stop = (signal: NodeJS.Signals) => {
    if (!abort.signal.aborted) return abort.abort();
    process.stderr.write(`streamlab: ${signal} again: stopping at once, nothing written\n`);
    process.exit(130);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const result = await runNotebook(notebook, { timeoutSeconds, parameters, onCell, cwd: path.dirname(path.resolve(file)), signal: abort.signal });
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, `${JSON.stringify(result.notebook, null, 1)}\n`);
  const written = [outFile];
  if (values.html) {
    const htmlFile = outFile.replace(/\.ipynb$/, '.html');
    fs.writeFileSync(htmlFile, notebookHtml(result.notebook, name));
    written.push(htmlFile);
  }
  process.stderr.write(`${result.ok ? 'done' : 'stopped'}: ${result.cellsRun} cell${result.cellsRun === 1 ? '' : 's'} run in ${formatDuration(result.seconds * 1000)}; wrote ${written.join(' and ')}\n`);
  if (!result.ok) throw new StreamlabError(`${file}: ${result.failure}`);
}
