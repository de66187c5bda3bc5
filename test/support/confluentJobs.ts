/**
 * Confluent's own Python clients (test/support/confluentClients.py: confluent-kafka with its Avro, Protobuf and JSON
 * Schema serializers) as an independent writer and reader for tests, one job a call.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const REPO_ROOT = path.join(__dirname, '..', '..', '..');
export const PYTHON = process.env.STREAMLAB_JUPYTER_PYTHON ?? path.join(REPO_ROOT, '.venv', 'bin', 'python');
const CLIENTS = path.join(REPO_ROOT, 'test', 'support', 'confluentClients.py');
const JOB_LIMIT_MS = 180_000;

export interface Consumed {
  partition: number;
  offset: number;
  timestamp?: number;
  key: unknown;
  value: unknown;
  headers: [string, string | null][];
  schemaId: number | null;
  keySchemaId: number | null;
  rawKey?: string;
  rawValue?: string;
}

/** Runs one job of confluentClients.py; its stdout as JSON lines. Fails with its one-line error. */
export function confluent(job: Record<string, unknown>): Promise<unknown[]> {
  assert.ok(fs.existsSync(PYTHON), `no ${PYTHON}: run \`bash scripts/install.sh\` (it installs confluent-kafka into .venv)`);
  const child = spawn(PYTHON, [CLIENTS], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  child.stdin.end(JSON.stringify(job));
  // Each job bounds its own waits (delivery, reading, registry requests); this bounds the whole job, so a client stuck
  // anywhere else fails its test in minutes, not when the suite's time runs out.
  let killed = false;
  const limit = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, JOB_LIMIT_MS);
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      clearTimeout(limit);
      if (killed) return reject(new Error(`confluentClients.py ${String(job.op)} was still running after ${JOB_LIMIT_MS / 1000} s and was killed; its stderr ends: ${stderr.trim().slice(-500) || '(nothing)'}`));
      if (code !== 0) return reject(new Error(`confluentClients.py ${String(job.op)} exited ${code}: ${stderr.trim().split('\n').filter((l) => l.startsWith('confluentClients:')).pop() ?? stderr.trim().slice(-500)}`));
      resolve(stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown));
    });
  });
}

export async function confluentProduce(job: Record<string, unknown>): Promise<{ produced: number; schemaIds: number[]; keySchemaIds: number[] }> {
  const lines = await confluent({ op: 'produce', ...job });
  return lines[0] as { produced: number; schemaIds: number[]; keySchemaIds: number[] };
}

export async function confluentConsume(job: Record<string, unknown>): Promise<Consumed[]> {
  const lines = (await confluent({ op: 'consume', timeoutSeconds: 60, ...job })) as (Consumed | { consumed: number })[];
  const last = lines.pop() as { consumed: number };
  assert.equal(last.consumed, job.count);
  return lines as Consumed[];
}
