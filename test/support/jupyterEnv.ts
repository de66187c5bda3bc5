/**
 * Throwaway Jupyter installs for kernel tests: a temp data dir holding kernelspecs, and the project's Python run with every
 * Jupyter directory pointed into it, so neither the developer's ~/.local/share/jupyter nor their config can leak in.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The project's virtual environment (scripts/install.sh) has JupyterLab, jupyter_client and jupyter_kernel_test. */
export const REPO_ROOT = path.join(__dirname, '..', '..', '..');
export const JUPYTER_PYTHON = process.env.STREAMLAB_JUPYTER_PYTHON ?? path.join(REPO_ROOT, '.venv', 'bin', 'python');
export const JUPYTER_INSTALL_HINT = 'run `bash scripts/install.sh` (it makes .venv from scripts/requirements-jupyter.txt)';

const MARKER_VAR = 'STREAMLAB_JUPYTER_ENV';

export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode?: 'signal' | 'message';
  env?: Record<string, string>;
  metadata?: Record<string, unknown>;
}

export interface JupyterEnv {
  root: string;
  /** Put in the environment of every process started through this env, so leftovers can be found by it. */
  marker: string;
  dataDir: string;
  runtimeDir: string;
  configDir: string;
  /** Environment for a Jupyter process: this process's, with every Jupyter location moved into `root`. */
  env: Record<string, string>;
}

export function makeJupyterEnv(): JupyterEnv {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jupyter-env-'));
  const marker = `${MARKER_VAR}=${path.basename(root)}`;
  const dataDir = path.join(root, 'data');
  const runtimeDir = path.join(root, 'runtime');
  const configDir = path.join(root, 'config');
  for (const dir of [dataDir, runtimeDir, configDir]) fs.mkdirSync(dir, { recursive: true });
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined) env[name] = value;
  Object.assign(env, {
    // JUPYTER_PATH is searched before the user and system dirs, so our kernelspec wins over an installed one.
    JUPYTER_PATH: dataDir,
    JUPYTER_DATA_DIR: dataDir,
    JUPYTER_RUNTIME_DIR: runtimeDir,
    JUPYTER_CONFIG_DIR: configDir,
    JUPYTER_CONFIG_PATH: configDir,
    IPYTHONDIR: path.join(root, 'ipython'),
    // Keep ~/.local site-packages (which depend on HOME) out of the project's Python.
    PYTHONNOUSERSITE: '1',
    PYTHONDONTWRITEBYTECODE: '1',
    [MARKER_VAR]: path.basename(root),
  });
  return { root, marker, dataDir, runtimeDir, configDir, env };
}

/**
 * Processes (kernels, mostly) still running with this env's marker. jupyter_client starts kernels in a session of
 * their own, so killing the Python process group does not reach them; /proc does. Linux only.
 */
export function leftoverProcesses(jupyter: JupyterEnv): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    let environ: string;
    try {
      environ = fs.readFileSync(`/proc/${pid}/environ`, 'latin1');
    } catch {
      continue; // Gone meanwhile, or not ours to read.
    }
    if (environ.split('\0').includes(jupyter.marker)) found.push(pid);
  }
  return found;
}

export function killLeftoverProcesses(jupyter: JupyterEnv): number[] {
  const pids = leftoverProcesses(jupyter);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  return pids;
}

/** Kills whatever still runs under this env, then deletes its directories. */
export function removeJupyterEnv(jupyter: JupyterEnv): void {
  killLeftoverProcesses(jupyter);
  fs.rmSync(jupyter.root, { recursive: true, force: true });
}

export function installKernelSpec(jupyter: JupyterEnv, name: string, spec: KernelSpec): string {
  const dir = path.join(jupyter.dataDir, 'kernels', name);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'kernel.json');
  fs.writeFileSync(file, JSON.stringify(spec, null, 2));
  return file;
}

/**
 * Plain tslab as its own installer registers it (`tslab kernel --config-path {connection_file}`, see
 * tslab/python/install.py), with absolute paths so neither PATH nor a global tslab is involved.
 */
export function tslabKernelSpec(): KernelSpec {
  const tslabBin = path.join(path.dirname(require.resolve('tslab/package.json')), 'bin', 'tslab');
  return {
    // tslab's own spec splits --config-path from {connection_file} on purpose (tslab issue #36).
    argv: [process.execPath, tslabBin, 'kernel', '--config-path', '{connection_file}'],
    display_name: 'TypeScript (tslab)',
    language: 'typescript',
    interrupt_mode: 'signal',
    env: {},
  };
}

/**
 * The streamlab kernel's command line, from STREAMLAB_KERNEL_ARGV (a JSON array with a '{connection_file}' item),
 * until the kernel lands with its own install step. Undefined when unset.
 */
export function streamlabKernelSpecFromEnv(): KernelSpec | undefined {
  const raw = process.env.STREAMLAB_KERNEL_ARGV;
  if (!raw) return undefined;
  return {
    argv: parseArgv(raw, 'STREAMLAB_KERNEL_ARGV'),
    display_name: 'TypeScript (streamlab)',
    language: 'typescript',
    interrupt_mode: 'signal',
    env: {},
  };
}

export function parseArgv(raw: string, source: string): string[] {
  let argv: unknown;
  try {
    argv = JSON.parse(raw);
  } catch {
    throw new Error(`${source} must be a JSON array of strings, got ${JSON.stringify(raw)}`);
  }
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((arg) => typeof arg === 'string')) {
    throw new Error(`${source} must be a non-empty JSON array of strings, got ${raw}`);
  }
  if (!argv.some((arg: string) => arg.includes('{connection_file}'))) {
    throw new Error(`${source} must contain '{connection_file}' where the connection file path goes`);
  }
  return argv as string[];
}

export interface PythonRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the project's Python with the env's Jupyter settings; kills it (and its kernels) past `timeoutMs`. */
export function runJupyterPython(
  jupyter: JupyterEnv,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<PythonRun> {
  const timeoutMs = options.timeoutMs ?? 300_000;
  return new Promise<PythonRun>((resolve, reject) => {
    // Own process group, so a timeout also takes down any kernel it started.
    const child = spawn(JUPYTER_PYTHON, args, {
      cwd: options.cwd,
      env: { ...jupyter.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      killLeftoverProcesses(jupyter);
      reject(new Error(`${JUPYTER_PYTHON} ${args.join(' ')} still running after ${timeoutMs} ms; killed. stderr tail: ${stderr.slice(-2000)}`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${JUPYTER_PYTHON}: ${err.message} (${JUPYTER_INSTALL_HINT})`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Throws one actionable line when the project's Python lacks jupyter_kernel_test. */
export async function assertJupyterKernelTestInstalled(jupyter: JupyterEnv): Promise<void> {
  const run = await runJupyterPython(jupyter, ['-c', 'import jupyter_kernel_test, jupyter_client'], { timeoutMs: 30_000 });
  if (run.code !== 0) {
    throw new Error(`${JUPYTER_PYTHON} cannot import jupyter_kernel_test: ${JUPYTER_INSTALL_HINT} (${run.stderr.trim().split('\n').pop() ?? ''})`);
  }
}

/**
 * Jupyter's kernel test suite from the command line, in a throwaway env:
 *   node dist/test/support/jupyterEnv.js [test_name ...]
 * against the streamlab kernel (every sample) when STREAMLAB_KERNEL_ARGV is set, else against plain tslab.
 */
async function runKernelTestSuite(testNames: string[]): Promise<number> {
  const repoRoot = REPO_ROOT;
  const streamlab = streamlabKernelSpecFromEnv();
  const jupyter = makeJupyterEnv();
  try {
    installKernelSpec(jupyter, streamlab ? 'streamlab' : 'tslab', streamlab ?? tslabKernelSpec());
    const targets = testNames.length > 0 ? testNames.map((name) => `test_kernel_protocol.KernelProtocolTests.${name}`) : ['test_kernel_protocol'];
    const run = await runJupyterPython(jupyter, ['-m', 'unittest', '-v', ...targets], {
      cwd: repoRoot,
      env: {
        PYTHONPATH: path.join(repoRoot, 'test', 'kernel'),
        STREAMLAB_KERNEL_TEST_EXPECT_FULL: streamlab ? '1' : '',
        STREAMLAB_KERNEL_TEST_KERNEL: streamlab ? 'streamlab' : 'tslab',
      },
      timeoutMs: 900_000,
    });
    process.stdout.write(run.stdout);
    process.stderr.write(run.stderr);
    return run.code ?? 1;
  } finally {
    removeJupyterEnv(jupyter);
  }
}

if (require.main === module) {
  runKernelTestSuite(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      console.error(err.message);
      process.exit(1);
    },
  );
}
