/** Every code cell of every example notebook runs through the real kernel without an error. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startBroker, TestBroker } from './support/broker';
import { messagesOfType, startStreamlabKernel } from './support/streamlabKernel';

const NOTEBOOKS = path.join(__dirname, '..', '..', 'notebooks');

interface Notebook {
  cells: { cell_type: string; source: string | string[] }[];
  metadata: { kernelspec?: { name?: string } };
}

let broker: TestBroker;
before(async () => {
  ({ broker } = await startBroker({ writeState: true }));
});
after(async () => {
  await broker.stop();
});

const files = fs.readdirSync(NOTEBOOKS).filter((f) => f.endsWith('.ipynb')).sort();

test('there are example notebooks', () => {
  assert.ok(files.length >= 1);
});

for (const file of files) {
  test(`${file} runs from top to bottom`, async () => {
    const notebook = JSON.parse(fs.readFileSync(path.join(NOTEBOOKS, file), 'utf8')) as Notebook;
    assert.equal(notebook.metadata.kernelspec?.name, 'streamlab');
    const kernel = await startStreamlabKernel();
    try {
      const cells = notebook.cells.filter((c) => c.cell_type === 'code').map((c) => (Array.isArray(c.source) ? c.source.join('') : c.source));
      for (const [i, code] of cells.entries()) {
        // Waiting is caughtUp() / until(), never a hand-written polling loop.
        assert.doesNotMatch(code, /\b(for|while)\s*\(.*\n?.*setTimeout/, `code cell ${i + 1} of ${file} waits with a polling loop`);
        const r = await kernel.execute(code, { timeoutMs: 120_000 });
        const errors = messagesOfType(r.iopub, 'error').map((m) => `${m.content.ename}: ${m.content.evalue}`);
        assert.equal(r.reply.content.status, 'ok', `code cell ${i + 1} of ${file}:\n${code}\n${errors.join('\n')}`);
        const shown = messagesOfType(r.iopub, 'execute_result').length + messagesOfType(r.iopub, 'display_data').length + (r.stdout ? 1 : 0);
        assert.ok(shown > 0 || /^\s*%(connect|stop)\b|^\s*%\w+ .*--as \w+|^%%produce/m.test(code), `code cell ${i + 1} of ${file} shows something`);
      }
    } finally {
      await kernel.shutdown();
    }
  });
}
