/**
 * Test support: the Kafka Streams reference runner of the join comparison tests. The real Kafka Streams library (the
 * Kafka version of scripts/kafka/pom.xml; the jars and compile step of test/support/kafkaStreams.ts) runs ONE join of
 * two co-partitioned topics of a real Kafka (scripts/kafkastreams/src/main/java/dev/streamlab/reference/JoinReference.java)
 * and every record the join emits comes back, in emission order.
 *
 * Records: key a string, value JSON text (copied into the join's output as it is: a value that is not JSON makes the
 * run fail); a record's Kafka timestamp is its event time. The left topic is the stream of a stream-table join and the
 * table of the right topic. No record cache (every update is emitted), a new application id per run, from the earliest
 * offsets; the run ends when its committed offsets reach both topics' end offsets as they were when it started.
 *
 * What test/kafka/kafkaStreamsJoinReference.test.ts pins down of Kafka Streams 4.4.0's joins (see there for the
 * records), which a comparison must allow for:
 * - the two topics of a task are processed in timestamp order (of the two partitions' next records, the older goes
 *   first), so a record produced late but stamped early is processed before newer records of the other topic;
 * - stream-table: a stream record joins the table as it is when the record is processed: a plain table's latest
 *   value, a versioned table's version valid at the record's time (none, so right null in a left join, once that
 *   time is more than historyMs before the newest table update). A table update emits nothing. Rows have the stream
 *   record's timestamp. A null-key stream record is dropped by inner and emitted with right null by left (KIP-962);
 *   a null-value stream record is dropped by both;
 * - stream-stream: a match is emitted at once, stamped with the later of the two times. An unmatched left/outer
 *   record comes, with its own time, when stream time passes t + window + grace (before the matches of the record
 *   that moved it), or at once when its window had already ended as it came (within grace or not). No record is
 *   dropped for being late: it meets the other side's records still in that side's window store, which keeps those
 *   within before + after + grace of the newest time that side has seen. Records whose windows are still open when
 *   the input ends never get their left/outer row. Null-key records of left/outer joins come at once;
 * - table-table: each update of either side emits the key's new result, stamped with the later of the two sides'
 *   times, or nothing when there is no result before or after in the join's terms (the other side absent in inner,
 *   the left absent in left). Inner and left joins emit a tombstone (value null) when a side is deleted while the
 *   other has a value, even for a key that never had a result; outer only when both sides are gone.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findJava } from '../../src/broker';
import { StreamlabError } from '../../src/errors';
import { fetchKafkaStreams, kafkaStreamsJvmArgs } from './kafkaStreams';

export type ReferenceJoinKind = 'stream-table' | 'stream-table-versioned' | 'stream-stream' | 'table-table';
export type ReferenceJoinType = 'inner' | 'left' | 'outer';

export interface KafkaStreamsJoinOptions {
  bootstrapServers: string;
  kind: ReferenceJoinKind;
  /** stream-table joins are inner or left only. */
  join: ReferenceJoinType;
  leftTopic: string;
  rightTopic: string;
  /**
   * stream-stream: a left record at t joins right records stamped in [t - beforeMs, t + afterMs]. Give one or both;
   * the other defaults to it (Kafka's symmetric JoinWindows.ofTimeDifferenceAndGrace).
   */
  beforeMs?: number;
  afterMs?: number;
  /** stream-stream: the window's grace. Default 0. */
  graceMs?: number;
  /** stream-table-versioned: the versioned store's history retention. Default one hour. */
  historyMs?: number;
  /** Kafka Streams' max.task.idle.ms. Default 0: wait for data already on the broker, not for data to come. */
  maxTaskIdleMs?: number;
  /** Until the program gives up waiting for its committed offsets to reach the topics' ends. Default 120000. */
  timeoutMs?: number;
}

/** One record the join emitted. */
export interface ReferenceJoinRow {
  /** null for a stream-stream left/outer join's record of a null key. */
  key: string | null;
  /** The joiner's output (a missing side as null), or null for a table-table tombstone. */
  value: { left: unknown; right: unknown } | null;
  /** The output record's timestamp. */
  timestamp: number;
  /** The task's partition: the input records' partition of both topics. */
  partition: number;
  /** Emission order over the run, from 1. */
  seq: number;
}

const MAIN_CLASS = 'dev.streamlab.reference.JoinReference';
const JOINS: Record<ReferenceJoinKind, ReferenceJoinType[]> = {
  'stream-table': ['inner', 'left'],
  'stream-table-versioned': ['inner', 'left'],
  'stream-stream': ['inner', 'left', 'outer'],
  'table-table': ['inner', 'left', 'outer'],
};

/** JoinReference's arguments for these options (without the run's own: bootstrap, app id, output file). */
export function joinReferenceArgs(opts: KafkaStreamsJoinOptions): string[] {
  const where = `runKafkaStreamsJoin (${opts.kind} ${opts.join} join of '${opts.leftTopic}' and '${opts.rightTopic}')`;
  const joins = JOINS[opts.kind];
  if (!joins) throw new StreamlabError(`${where}: kind must be one of ${Object.keys(JOINS).join(', ')}`);
  if (!joins.includes(opts.join)) throw new StreamlabError(`${where}: a ${opts.kind} join is ${joins.join(' or ')}, not ${opts.join}`);
  const ms = (value: number | undefined, name: string): string => {
    if (value === undefined || !Number.isSafeInteger(value) || value < 0) {
      throw new StreamlabError(`${where}: ${name} must be a whole number of ms >= 0, got ${value}`);
    }
    return String(value);
  };
  const only = (names: (keyof KafkaStreamsJoinOptions)[], kind: ReferenceJoinKind) => {
    for (const name of names) {
      if (opts[name] !== undefined && opts.kind !== kind) throw new StreamlabError(`${where}: ${name} is for ${kind} joins only`);
    }
  };
  only(['beforeMs', 'afterMs', 'graceMs'], 'stream-stream');
  only(['historyMs'], 'stream-table-versioned');
  const args = ['--kind', opts.kind, '--join', opts.join, '--left-topic', opts.leftTopic, '--right-topic', opts.rightTopic];
  if (opts.kind === 'stream-stream') {
    const before = opts.beforeMs ?? opts.afterMs;
    const after = opts.afterMs ?? opts.beforeMs;
    if (before === undefined || after === undefined) throw new StreamlabError(`${where}: a stream-stream join needs beforeMs or afterMs (the join window)`);
    args.push('--before-ms', ms(before, 'beforeMs'), '--after-ms', ms(after, 'afterMs'), '--grace-ms', ms(opts.graceMs ?? 0, 'graceMs'));
  }
  if (opts.kind === 'stream-table-versioned') {
    const history = ms(opts.historyMs ?? 3_600_000, 'historyMs');
    if (history === '0') throw new StreamlabError(`${where}: historyMs must be > 0`);
    args.push('--history-ms', history);
  }
  args.push('--max-task-idle-ms', ms(opts.maxTaskIdleMs ?? 0, 'maxTaskIdleMs'));
  return args;
}

/**
 * The lines of a runner's stderr worth showing: its own last words (`JoinReference: ...`), else the last log lines
 * that are not part of a stack trace, on one line.
 */
export function runnerFailureText(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const own = lines.filter((l) => l.startsWith('JoinReference:')).map((l) => l.slice('JoinReference:'.length).trim());
  const meaningful = lines.filter((l) => !/^(at |\.\.\. \d+ more|Caused by:|Suppressed:)/.test(l));
  const text = (own.length > 0 ? own : meaningful.slice(-2)).join(' | ');
  return text.length > 600 ? `${text.slice(0, 600)}...` : text;
}

let runCounter = 0;

/**
 * Runs one join with Kafka Streams over both topics (from the earliest offsets, a new application id each run);
 * resolves to every record it emitted, in emission order. Rejects with one line when it fails or times out; the
 * runner's whole stderr is then kept in a log file the message names.
 */
export async function runKafkaStreamsJoin(opts: KafkaStreamsJoinOptions): Promise<ReferenceJoinRow[]> {
  const joinArgs = joinReferenceArgs(opts);
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const { java } = findJava();
  const dir = await fetchKafkaStreams();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-kstreams-join-'));
  const out = path.join(work, 'join.jsonl');
  const appId = `streamlab-join-reference-${process.pid}-${++runCounter}-${Date.now().toString(36)}`;
  const args = [
    ...kafkaStreamsJvmArgs(dir),
    MAIN_CLASS,
    '--bootstrap', opts.bootstrapServers,
    '--app-id', appId,
    '--out', out,
    '--timeout-ms', String(timeoutMs),
    ...joinArgs,
  ];
  const what = `the Kafka Streams ${opts.kind} ${opts.join} join of '${opts.leftTopic}' and '${opts.rightTopic}' on ${opts.bootstrapServers}`;
  try {
    const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(java, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString('utf8')).slice(-4000)));
      child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-200_000)));
      // The program times out by itself; this only catches a JVM that hangs on the way out.
      const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 45_000);
      child.on('error', (e) => {
        clearTimeout(killer);
        reject(new StreamlabError(`${what} did not start: ${java} failed (${e.message})`, 'install Java 17 or newer, or set STREAMLAB_JAVA'));
      });
      child.on('exit', (code, signal) => {
        clearTimeout(killer);
        resolve({ code, signal, stdout, stderr });
      });
    });
    const done = /^DONE (\d+)$/m.exec(result.stdout);
    if (result.code !== 0 || !done) {
      const log = path.join(os.tmpdir(), `${appId}.log`);
      fs.writeFileSync(log, result.stderr);
      const said = runnerFailureText(result.stderr) || 'no message';
      const hint = result.code === 3
        ? `is Kafka up at ${opts.bootstrapServers} and are both topics there? raise timeoutMs (${timeoutMs}) for a big input; whole log: ${log}`
        : result.code === 2
          ? `the runner refused its topics or arguments: fix them in the options given to runKafkaStreamsJoin; whole log: ${log}`
          : `whole log: ${log}`;
      throw new StreamlabError(`${what} failed (exit ${result.signal ?? result.code}): ${said}`, hint);
    }
    const lines = fs.existsSync(out) ? fs.readFileSync(out, 'utf8').split('\n').filter(Boolean) : [];
    if (lines.length !== Number(done[1])) throw new StreamlabError(`${what}: the runner said DONE ${done[1]} but wrote ${lines.length} rows`, `look for a full disk at ${work}`);
    const rows = lines.map((line, i) => {
      try {
        return JSON.parse(line) as ReferenceJoinRow;
      } catch {
        throw new StreamlabError(`${what}: output line ${i + 1} is not JSON (${line.slice(0, 200)})`, 'the input values must be JSON text: the join copies them into its output as they are');
      }
    });
    return rows.sort((a, b) => a.seq - b.seq);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
