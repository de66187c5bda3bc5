/**
 * Installs the kernelspec where Jupyter looks for kernels, as `jupyter kernelspec install` would: --user (the
 * Jupyter data dir), --sys-prefix (Python's sys.prefix), --prefix DIR, or system-wide when run as root.
 * Written directly rather than through `jupyter kernelspec`, so installing needs no Python packages.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StreamlabError } from '../src';

export const KERNEL_NAME = 'streamlab';
export const DISPLAY_NAME = 'TypeScript (streamlab)';

export type InstallScope = { kind: 'user' } | { kind: 'sys-prefix'; python?: string } | { kind: 'prefix'; dir: string } | { kind: 'system' };

export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode: 'signal';
  env: Record<string, string>;
  metadata: Record<string, unknown>;
}

export function kernelSpec(mainScript = path.join(__dirname, 'main.js')): KernelSpec {
  return {
    argv: [process.execPath, mainScript, '--connection-file', '{connection_file}'],
    display_name: DISPLAY_NAME,
    language: 'typescript',
    // Interrupts arrive as SIGINT, which also breaks a cell stuck in a synchronous loop.
    interrupt_mode: 'signal',
    env: {},
    metadata: { debugger: false },
  };
}

/** The kernels/ directory of a scope. */
export function kernelsDir(scope: InstallScope, env: NodeJS.ProcessEnv = process.env): string {
  switch (scope.kind) {
    case 'user':
      return path.join(env.JUPYTER_DATA_DIR || defaultUserDataDir(env), 'kernels');
    case 'prefix':
      return path.join(path.resolve(scope.dir), 'share', 'jupyter', 'kernels');
    case 'system':
      return path.join('/usr/local/share/jupyter', 'kernels');
    case 'sys-prefix':
      return path.join(pythonPrefix(scope.python), 'share', 'jupyter', 'kernels');
  }
}

export function defaultScope(): InstallScope {
  return typeof process.getuid === 'function' && process.getuid() === 0 ? { kind: 'system' } : { kind: 'user' };
}

/** Writes kernel.json (and replaces an older install); returns the kernel's directory. */
export function installKernel(scope: InstallScope, env: NodeJS.ProcessEnv = process.env): string {
  const dir = path.join(kernelsDir(scope, env), KERNEL_NAME);
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'kernel.json'), JSON.stringify(kernelSpec(), null, 2) + '\n');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new StreamlabError(`cannot write the kernelspec to ${dir} (${code})`, code === 'EACCES' ? 'use --user, or run as root' : 'check the directory');
  }
  return dir;
}

/** The package name JupyterLab knows the extension by, and where its prebuilt form is in this checkout. */
export const LAB_EXTENSION_NAME = '@streamlab/jupyterlab';
export const PREBUILT_LAB_EXTENSION = path.join(__dirname, '..', '..', 'extension', 'labextension');

/** The labextensions/ directory of a scope: beside kernels/ in the same Jupyter data directory. */
export function labExtensionsDir(scope: InstallScope, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(path.dirname(kernelsDir(scope, env)), 'labextensions');
}

/**
 * Copies the prebuilt JupyterLab extension where JupyterLab looks for prebuilt extensions (as `pip install` of a
 * Python package with a labextension would), replacing an older copy; returns its directory. No Python needed.
 */
export function installLabExtension(scope: InstallScope, env: NodeJS.ProcessEnv = process.env, prebuilt = PREBUILT_LAB_EXTENSION): string {
  if (!fs.existsSync(path.join(prebuilt, 'package.json'))) {
    throw new StreamlabError(`the JupyterLab extension is not built (no ${prebuilt})`, 'run `bash scripts/install.sh` (it builds extension/), then install again');
  }
  const dir = path.join(labExtensionsDir(scope, env), ...LAB_EXTENSION_NAME.split('/'));
  try {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    fs.cpSync(prebuilt, dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new StreamlabError(`cannot copy the JupyterLab extension to ${dir} (${code})`, code === 'EACCES' ? 'use --user, or run as root' : 'check the directory');
  }
  return dir;
}

export function uninstallLabExtension(scope: InstallScope, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = path.join(labExtensionsDir(scope, env), ...LAB_EXTENSION_NAME.split('/'));
  if (!fs.existsSync(dir)) return undefined;
  fs.rmSync(dir, { recursive: true, force: true });
  return dir;
}

/** Removes the kernelspec from the scope; returns the directory removed, or undefined when none was there. */
export function uninstallKernel(scope: InstallScope, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = path.join(kernelsDir(scope, env), KERNEL_NAME);
  if (!fs.existsSync(path.join(dir, 'kernel.json'))) return undefined;
  fs.rmSync(dir, { recursive: true, force: true });
  return dir;
}

function defaultUserDataDir(env: NodeJS.ProcessEnv): string {
  const home = env.HOME || os.homedir();
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Jupyter');
  if (process.platform === 'win32') return path.join(env.APPDATA || home, 'jupyter');
  return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'jupyter');
}

function pythonPrefix(python = 'python3'): string {
  const r = spawnSync(python, ['-c', 'import sys; print(sys.prefix)'], { encoding: 'utf8' });
  if (r.status !== 0 || !r.stdout.trim()) {
    throw new StreamlabError(`--sys-prefix needs Python to tell its prefix, and '${python}' did not`, 'pass --python PATH, or use --user / --prefix DIR');
  }
  return r.stdout.trim();
}
