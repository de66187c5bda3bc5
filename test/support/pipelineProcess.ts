/**
 * Test support for pipelines run as processes: start one (node with a compiled script), read its JSON status lines,
 * wait for a condition on them, kill it; and read a topic the way a read_committed (or read_uncommitted) consumer
 * does.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { sleep } from './broker';

export interface RunningProcess {
  child: ChildProcess;
  /** The newest status line parsed as JSON (undefined before the first). */
  last(): Record<string, unknown> | undefined;
  lines: string[];
  stderr(): string;
  exited: Promise<number | null>;
  waitFor(check: (status: Record<string, unknown>) => boolean, what: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

export function startProcess(script: string, args: string[], env: NodeJS.ProcessEnv = {}): RunningProcess {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1', ...env } });
  const lines: string[] = [];
  let status: Record<string, unknown> | undefined;
  let err = '';
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      if (lines.length > 2000) lines.shift();
      if (line.startsWith('{')) {
        try {
          status = JSON.parse(line) as Record<string, unknown>;
        } catch {
          // a partial line
        }
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    err = (err + chunk.toString('utf8')).slice(-20_000);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    last: () => status,
    stderr: () => err,
    exited,
    async waitFor(check, what, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (status && check(status)) return status;
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the process exited (${child.exitCode ?? child.signalCode}) before ${what}: ${err.slice(-2000)}`);
        if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms; last status ${JSON.stringify(status)}; stderr ${err.slice(-2000)}`);
        await sleep(100);
      }
    },
  };
}

export interface ReadRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: Record<string, unknown>;
}

/**
 * Every record of the topic as a consumer with this isolation level reads it: from the beginning until `expected`
 * records have arrived and then `quietMs` with no more (so a duplicate after them would be seen), or `timeoutMs`.
 */
export async function readTopic(brokers: string, topic: string, options: { readCommitted: boolean; expected: number; quietMs?: number; timeoutMs?: number }): Promise<ReadRecord[]> {
  const kafka = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `reader-${process.pid}-${Math.random().toString(36).slice(2)}`, readUncommitted: !options.readCommitted });
  const got: ReadRecord[] = [];
  let lastAt = Date.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        got.push({ partition, offset: Number(message.offset), key: message.key?.toString('utf8') ?? null, value: JSON.parse(message.value!.toString('utf8')) as Record<string, unknown> });
        lastAt = Date.now();
      },
    });
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    const quiet = options.quietMs ?? 3000;
    while (Date.now() < deadline && !(got.length >= options.expected && Date.now() - lastAt >= quiet)) await sleep(100);
    return got;
  } finally {
    await consumer.disconnect();
  }
}
