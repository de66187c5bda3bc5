/**
 * Every example notebook runs from top to bottom with the headless runner (`streamlab run`, the real kernel over
 * ZeroMQ) without a failing cell, opens with a markdown cell saying what it shows, waits without polling loops, and
 * every code cell shows something (or is a magic that binds a name).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startBroker, TestBroker } from './support/broker';

const NOTEBOOKS = path.join(__dirname, '..', '..', 'notebooks');
const CLI = path.join(__dirname, '..', 'cli', 'main.js');

interface Notebook {
  cells: { cell_type: string; source: string | string[]; execution_count?: number | null; outputs?: unknown[]; metadata: { tags?: string[] } }[];
  metadata: { kernelspec?: { name?: string } };
}

let broker: TestBroker;
let out: string;
before(async () => {
  ({ broker } = await startBroker({ writeState: true }));
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-notebooks-'));
});
after(async () => {
  await broker.stop();
  fs.rmSync(out, { recursive: true, force: true });
});

const files = fs.readdirSync(NOTEBOOKS).filter((f) => f.endsWith('.ipynb')).sort();
const source = (c: Notebook['cells'][number]) => (Array.isArray(c.source) ? c.source.join('') : c.source);

function run(file: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'run', path.join(NOTEBOOKS, file), '--out', out, '--timeout', '300'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 900_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

test('there are example notebooks', () => {
  assert.ok(files.length >= 2, files.join(', '));
});

for (const file of files) {
  test(`${file} runs from top to bottom with streamlab run`, async () => {
    const notebook = JSON.parse(fs.readFileSync(path.join(NOTEBOOKS, file), 'utf8')) as Notebook;
    assert.equal(notebook.metadata.kernelspec?.name, 'streamlab');
    assert.equal(notebook.cells[0]?.cell_type, 'markdown', 'it opens with what it shows');
    for (const [i, c] of notebook.cells.entries()) {
      // Waiting is caughtUp() / until(), never a hand-written polling loop.
      if (c.cell_type === 'code') assert.doesNotMatch(source(c), /\b(for|while)\s*\(.*\n?.*setTimeout/, `cell ${i + 1} of ${file} waits with a polling loop`);
    }
    const r = await run(file);
    assert.equal(r.code, 0, `${file}:\n${r.stderr}`);
    const executed = JSON.parse(fs.readFileSync(path.join(out, file), 'utf8')) as Notebook;
    for (const [i, c] of executed.cells.filter((x) => x.cell_type === 'code').entries()) {
      const code = source(c);
      assert.ok(typeof c.execution_count === 'number', `code cell ${i + 1} of ${file} ran`);
      // Quiet is fine for a cell that binds names (a magic with --as, declarations ending in ';' or '}'); a cell
      // ending in an expression must show its value.
      const lastLine = code.trimEnd().split('\n').pop() ?? '';
      const quiet = /^\s*%(connect|stop)\b|^\s*%\w+ .*--as \w+|^%%produce/m.test(code) || /[;}]$/.test(lastLine) || (c.metadata.tags ?? []).some((t) => t === 'parameters' || t === 'injected-parameters');
      assert.ok((c.outputs ?? []).length > 0 || quiet, `code cell ${i + 1} of ${file} shows something:\n${code}`);
      // An example shows no warning or error the reader did not ask for (one it demonstrates is tagged so).
      if (!(c.metadata.tags ?? []).includes('shows-warning')) {
        const warnings = ((c.outputs ?? []) as { name?: string; output_type?: string }[]).filter((o) => o.name === 'stderr' || o.output_type === 'error');
        assert.deepEqual(warnings.map((o) => JSON.stringify(o).slice(0, 300)), [], `code cell ${i + 1} of ${file} warns:\n${code}`);
      }
    }
  });
}
