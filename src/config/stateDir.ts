import os from 'node:os';
import path from 'node:path';

/** streamlab's own directory for state that outlives a process: the broker record, caches ($STREAMLAB_STATE_DIR). */
export function stateDir(): string {
  return process.env.STREAMLAB_STATE_DIR || path.join(os.homedir(), '.streamlab');
}
