/**
 * Entry point of the small process that watches over one Kafka JVM. A JVM does not notice when the program that
 * started it dies, so this process holds the JVM's lifetime to its parent's: it exits, killing the JVM, when its
 * stdin (a pipe from the parent) closes. It reports the JVM's pid, so the parent can signal the JVM itself
 * (kill -9, SIGSTOP in the fault tests), and reports the JVM's exit.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';

export const NODE_STARTED = 'STREAMLAB_KAFKA_JVM ';
export const NODE_EXITED = 'STREAMLAB_KAFKA_EXIT ';

export interface NodeLaunch {
  java: string;
  /** Arguments to java, including the main class and its arguments. */
  args: string[];
  logFile: string;
  cwd: string;
}

function main(): void {
  const launch = JSON.parse(process.argv[2] ?? '{}') as NodeLaunch;
  const log = fs.openSync(launch.logFile, 'a');
  const jvm = spawn(launch.java, launch.args, { cwd: launch.cwd, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  let exited = false;
  jvm.on('error', (e) => {
    process.stdout.write(NODE_EXITED + JSON.stringify({ code: -1, signal: null, error: e.message }) + '\n');
    process.exit(1);
  });
  jvm.on('spawn', () => process.stdout.write(NODE_STARTED + JSON.stringify({ pid: jvm.pid }) + '\n'));
  jvm.on('exit', (code, signal) => {
    exited = true;
    process.stdout.write(NODE_EXITED + JSON.stringify({ code, signal }) + '\n', () => process.exit(0));
  });
  const orphaned = () => {
    // The parent is gone: nobody will stop this broker cleanly or read its data, so end it at once.
    if (!exited) jvm.kill('SIGKILL');
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.stdin.on('end', orphaned);
  process.stdin.on('error', orphaned);
  process.stdin.resume();
  // Signals meant for the parent's group (a Jupyter interrupt) must not stop a broker: this process has its own
  // group, and SIGINT/SIGTERM sent to it directly end the JVM cleanly.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => !exited && jvm.kill('SIGTERM'));
}

if (require.main === module) main();
