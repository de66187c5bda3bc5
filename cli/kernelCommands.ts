/**
 * `streamlab install|uninstall|kernel`: the Jupyter face of the command. The kernel lives in kernel/ and is
 * loaded only by these commands, so the library and the other commands never load tslab.
 */
import { checkHelp, parse } from './args';
import { StreamlabError } from '../src';
import type { InstallScope } from '../kernel/install';

const USAGE = 'streamlab install|uninstall [--user | --sys-prefix [--python PY] | --prefix DIR]';

function scopeOf(argv: string[], fallback: () => InstallScope): InstallScope {
  const { values } = parse(argv, { user: { type: 'boolean' }, 'sys-prefix': { type: 'boolean' }, prefix: { type: 'string' }, python: { type: 'string' } }, USAGE);
  const chosen = [values.user, values['sys-prefix'], values.prefix !== undefined].filter(Boolean).length;
  if (chosen > 1) throw new StreamlabError('choose one of --user, --sys-prefix and --prefix', `usage: ${USAGE}`);
  if (values.user) return { kind: 'user' };
  if (values['sys-prefix']) return { kind: 'sys-prefix', python: values.python };
  if (values.prefix !== undefined) return { kind: 'prefix', dir: values.prefix };
  return fallback();
}

export async function installCommand(argv: string[]): Promise<void> {
  const { installKernel, installLabExtension, defaultScope, DISPLAY_NAME, LAB_EXTENSION_NAME } = await import('../kernel/install');
  const scope = scopeOf(argv, defaultScope);
  const dir = installKernel(scope);
  process.stdout.write(`installed the "${DISPLAY_NAME}" kernel in ${dir}\n`);
  const ext = installLabExtension(scope);
  process.stdout.write(`installed the JupyterLab extension ${LAB_EXTENSION_NAME} (live charts) in ${ext}\n`);
}

export async function uninstallCommand(argv: string[]): Promise<void> {
  const { uninstallKernel, uninstallLabExtension, defaultScope } = await import('../kernel/install');
  const scope = scopeOf(argv, defaultScope);
  const dir = uninstallKernel(scope);
  process.stdout.write(dir ? `removed ${dir}\n` : 'the streamlab kernel was not installed there\n');
  const ext = uninstallLabExtension(scope);
  if (ext) process.stdout.write(`removed ${ext}\n`);
}

export async function kernelCommand(argv: string[]): Promise<void> {
  checkHelp(argv, 'streamlab kernel --connection-file FILE (Jupyter starts it so, from the kernelspec `streamlab install` writes)');
  const { runKernel } = await import('../kernel/main');
  await runKernel(argv);
  // The kernel runs until Jupyter shuts it down; it exits the process itself.
  await new Promise(() => undefined);
}
