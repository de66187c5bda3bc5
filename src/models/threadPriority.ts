/**
 * Worker threads (scoring, training) yield the CPU to the main thread, which consumes the streams and answers the
 * notebook's cells: on a machine with few cores the worker takes what the consumer leaves. Linux gives threads their
 * own nice value; elsewhere this is a no-op.
 */
import fs from 'node:fs';
import os from 'node:os';

export function lowerThreadPriority(nice = 10): void {
  try {
    const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) os.setPriority(tid, nice);
  } catch {
    // No /proc (not Linux), or not allowed: the worker keeps the process's priority.
  }
}
