/**
 * `streamlab lab` as a user starts it: JupyterLab asks for a token (a random one, printed in the URL, as Jupyter
 * does), and serves a working copy of the example notebooks, so autosave never rewrites the repository's files.
 * Every subcommand answers --help with its usage.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { freeLoopbackPorts } from '../kernel/client';

const CLI = path.join(__dirname, '..', 'cli', 'main.js');
const REPO_NOTEBOOKS = path.join(__dirname, '..', '..', 'notebooks');

test('`streamlab lab` wants a token and serves a working copy of the examples', async () => {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-state-'));
  const [port] = await freeLoopbackPorts(1);
  const child = spawn(process.execPath, [CLI, 'lab', '--no-browser', '--no-demo', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, STREAMLAB_STATE_DIR: state } });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const serving = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('JupyterLab did not start in 90 s')), 90_000);
      readline.createInterface({ input: child.stdout! }).on('line', (line) => {
        if (/^JupyterLab is serving /.test(line)) {
          clearTimeout(timer);
          resolve(line);
        }
      });
      child.once('exit', (code) => reject(new Error(`streamlab lab exited with ${code}`)));
    });
    const m = /^JupyterLab is serving (\S+) \(a working copy of (\S+)\) at (http:\/\/127\.0\.0\.1:\d+\/lab\?token=([0-9a-f]{48}))  /.exec(serving);
    assert.ok(m, serving);
    assert.equal(m[1], path.join(state, 'notebooks'));
    assert.equal(fs.realpathSync(m[2]!), fs.realpathSync(REPO_NOTEBOOKS));
    const token = m[4]!;
    const base = `http://127.0.0.1:${port}`;
    const refused = await fetch(`${base}/api/contents`);
    assert.equal(refused.status, 403, 'no token, no access');
    const listing = (await (await fetch(`${base}/api/contents?token=${token}`)).json()) as { content: { name: string }[] };
    const examples = fs.readdirSync(REPO_NOTEBOOKS).filter((f) => f.endsWith('.ipynb')).sort();
    assert.deepEqual(listing.content.map((c) => c.name).filter((n) => n.endsWith('.ipynb')).sort(), examples);
    // A save goes to the working copy; the repository's example is untouched.
    const before = fs.readFileSync(path.join(REPO_NOTEBOOKS, examples[0]!), 'utf8');
    const saved = await fetch(`${base}/api/contents/${examples[0]}?token=${token}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'file', format: 'text', content: 'edited' }) });
    assert.equal(saved.status, 200);
    assert.equal(fs.readFileSync(path.join(state, 'notebooks', examples[0]!), 'utf8'), 'edited');
    assert.equal(fs.readFileSync(path.join(REPO_NOTEBOOKS, examples[0]!), 'utf8'), before);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
});

test('every subcommand answers --help with what it does and its usage, exit 0', () => {
  for (const command of ['demo', 'broker', 'topics', 'produce', 'consume', 'nab', 'lab', 'worker', 'run', 'install', 'uninstall', 'kernel']) {
    const r = spawnSync(process.execPath, [CLI, command, '--help'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, `${command}: ${r.stderr}`);
    assert.equal(r.stderr, '', command);
    assert.match(r.stdout, new RegExp(`^streamlab ${command}: .+\\n\\nusage: streamlab ${command === 'uninstall' ? 'install\\|uninstall' : command}`), command);
  }
  const r = spawnSync(process.execPath, [CLI, 'worker', '-h'], { encoding: 'utf8' });
  assert.match(r.stdout, /^streamlab worker: /);
});
