/**
 * Jupyter's own kernel test suite (jupyter_kernel_test, in the project's .venv) against the streamlab kernel, installed
 * the way users install it (`streamlab install --prefix`) and started by jupyter_client from its kernelspec.
 * Every test of the suite runs with TypeScript samples (test/kernel/test_kernel_protocol.py); none is skipped.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { JupyterEnv, assertJupyterKernelTestInstalled, leftoverProcesses, makeJupyterEnv, removeJupyterEnv, runJupyterPython } from './support/jupyterEnv';

const REPO_ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(__dirname, '..', 'cli', 'main.js');
const PYTHON_TESTS = path.join(REPO_ROOT, 'test', 'kernel');
/** Every test in jupyter_kernel_test 0.4.5's KernelTests. */
const ALL_TESTS = 12;

let jupyter: JupyterEnv;
before(async () => {
  jupyter = makeJupyterEnv();
  const installed = spawnSync(process.execPath, [CLI, 'install', '--prefix', path.join(jupyter.root, 'prefix')], { encoding: 'utf8' });
  assert.equal(installed.status, 0, installed.stderr);
  await assertJupyterKernelTestInstalled(jupyter);
});
after(() => {
  if (jupyter) removeJupyterEnv(jupyter);
});

test('the streamlab kernel passes every test of Jupyter\'s kernel test suite', async () => {
  const run = await runJupyterPython(jupyter, ['-m', 'unittest', '-v', 'test_kernel_protocol'], {
    cwd: REPO_ROOT,
    env: {
      PYTHONPATH: PYTHON_TESTS,
      JUPYTER_PATH: path.join(jupyter.root, 'prefix', 'share', 'jupyter'),
      STREAMLAB_KERNEL_TEST_EXPECT_FULL: '1',
      STREAMLAB_KERNEL_TEST_KERNEL: '',
      STREAMLAB_KERNEL_TEST_SAMPLES: '',
    },
    timeoutMs: 300_000,
  });
  const output = run.stderr + run.stdout;
  assert.equal(run.code, 0, output);
  assert.match(output, new RegExp(`Ran ${ALL_TESTS} tests`), output);
  assert.match(output, /\nOK\s*$/);
  assert.doesNotMatch(output, /skipped/i);
  assert.deepEqual(leftoverProcesses(jupyter), [], 'jupyter_client shut every kernel down');
});
