/**
 * Test support: the Kafka Streams reference runner of the window comparison tests. The real Kafka Streams library (the
 * Kafka version of scripts/kafka/pom.xml) computes windowed count, sum, min and max per key on a topic of a real
 * Kafka, and only its final windows (suppress until the window closes) come back, for comparison with streamlab's.
 *
 * The jars are resolved once by Maven (scripts/kafkastreams/pom.xml, its own local repository) into
 * .cache/kafka-streams/<version>/libs, and every .java file under scripts/kafkastreams/src/main/java (WindowReference
 * here, JoinReference for test/support/kafkaStreamsJoin.ts) is compiled there with javac into classes/ (again when any
 * source changes). scripts/install.sh runs this file with --fetch so CI has both.
 *
 * Records: key a string such as `k07`, value JSON text with a number "v", e.g. {"k":"k07","v":12.5,"t":1767225600000};
 * a record's Kafka timestamp is its event time. Callers append one `__flush__` record per partition with a timestamp
 * far ahead of the data, so that stream time passes every window and every final window is emitted; rows of key
 * `__flush__` come back like any other (a sliding window of it once per partition) and callers drop them.
 *
 * Kafka Streams 4.4.0 emits a sliding window twice or more when a record updates it after suppress let it out: the
 * sliding aggregate still updates a window whose end + grace equals stream time, while suppress emits it at that very
 * stream time (with grace 0, the newest record's own window is emitted at once, and another record of the same key
 * and millisecond updates it again). Each later emission has the window's fuller aggregate; referenceFinalWindows()
 * keeps the last one of each window. Tumbling, hopping and session windows come once. Also Kafka's: a sliding-window
 * record whose own window [t - size, t] has closed (t < stream time - grace) can be missing from later windows that
 * are still open, as those are built from the windows before them (tumbling, hopping and session windows take a late
 * record into whichever of its windows are still open).
 */
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { KafkaCluster, findJava, kafkaVersion } from '../../src/broker';
import { StreamlabError } from '../../src/errors';

export interface ReferenceWindowSpec {
  /** Names the window in the rows: letters, digits, `_`, `.`, `-`; unique in one run. */
  name: string;
  kind: 'tumbling' | 'hopping' | 'sliding' | 'session';
  /** tumbling, hopping: the window size; sliding: the time difference (Kafka's window is [t - size, t], both ends in). */
  sizeMs?: number;
  /** hopping only: the advance (<= sizeMs). */
  advanceMs?: number;
  /** session only: the inactivity gap. */
  gapMs?: number;
  graceMs: number;
}

/** One final window as Kafka Streams emitted it. */
export interface ReferenceWindow {
  name: string;
  key: string;
  /** Window start (ms). */
  start: number;
  /** tumbling/hopping: start + size (exclusive); sliding: Kafka's inclusive end; session: the last record's time. */
  end: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  /** Emission order over all windows of the run, from 1. */
  seq: number;
}

export interface KafkaStreamsRunOptions {
  bootstrapServers: string;
  topic: string;
  windows: ReferenceWindowSpec[];
  /** Until the program gives up waiting for its committed offsets to reach the topic's end. Default 120000. */
  timeoutMs?: number;
  /**
   * Kafka Streams' window stores: in-memory (default; the same results, and a run is a second or more faster) or
   * RocksDB, the library's own default.
   */
  stores?: 'in-memory' | 'rocksdb';
}

/** The package root: dist/test/support/ three levels up when built, test/support/ two levels up from sources. */
const PACKAGE_ROOT = [path.join(__dirname, '..', '..', '..'), path.join(__dirname, '..', '..')].find((dir) =>
  fs.existsSync(path.join(dir, 'scripts', 'kafkastreams', 'pom.xml')),
) ?? path.join(__dirname, '..', '..', '..');
const PROJECT = path.join(PACKAGE_ROOT, 'scripts', 'kafkastreams');
const POM = path.join(PROJECT, 'pom.xml');
const SOURCE_ROOT = path.join(PROJECT, 'src', 'main', 'java');
const MAIN_CLASS = 'dev.streamlab.reference.WindowReference';
const COMPLETE_MARKER = '.complete';

/** Cache of the runner: $STREAMLAB_KAFKA_STREAMS_CACHE, else `.cache/kafka-streams` in the package (ignored by git). */
export function kafkaStreamsCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.STREAMLAB_KAFKA_STREAMS_CACHE || path.join(PACKAGE_ROOT, '.cache', 'kafka-streams');
}

/** Every .java file of the runner project, sorted: the programs share helpers, so they are compiled together. */
function javaSources(): string[] {
  return (fs.readdirSync(SOURCE_ROOT, { recursive: true, encoding: 'utf8' }) as string[])
    .filter((f) => f.endsWith('.java'))
    .sort()
    .map((f) => path.join(SOURCE_ROOT, f));
}

/** What the compiled classes were built from: the sources (names and contents) and the version of the jars. */
function sourceStamp(version: string, sources: string[]): string {
  const hash = crypto.createHash('sha256');
  for (const source of sources) hash.update(path.relative(SOURCE_ROOT, source)).update('\0').update(fs.readFileSync(source)).update('\0');
  return `${sources.map((f) => path.basename(f, '.java')).join(' ')} ${version} ${hash.digest('hex')}\n`;
}

/**
 * The runner's folder (`libs/` with the Kafka Streams jars, `classes/` with the compiled program), resolving the jars
 * with Maven and compiling with javac when they are not there yet. Fast when cached. Throws one line when Maven, Java
 * or javac is missing or the fetch fails.
 */
export async function fetchKafkaStreams(options: { env?: NodeJS.ProcessEnv; progress?: (line: string) => void } = {}): Promise<string> {
  const env = options.env ?? process.env;
  const version = kafkaVersion();
  const cache = kafkaStreamsCacheDir(env);
  const dir = path.join(cache, version);
  const libs = path.join(dir, 'libs');
  const classes = path.join(dir, 'classes');
  const sources = javaSources();
  const stamp = sourceStamp(version, sources);
  const classesMarker = path.join(classes, COMPLETE_MARKER);
  const libsReady = fs.existsSync(path.join(libs, COMPLETE_MARKER));
  if (libsReady && fs.existsSync(classesMarker) && fs.readFileSync(classesMarker, 'utf8') === stamp) return dir;

  if (!libsReady) {
    const mvn = env.STREAMLAB_MVN || 'mvn';
    const probe = spawnSync(mvn, ['--version'], { encoding: 'utf8', env, timeout: 60_000 });
    if (probe.error || probe.status !== 0) {
      throw new StreamlabError(
        `Kafka Streams ${version} is not in ${cache} yet, and fetching it from Maven Central needs Maven (${mvn} does not run)`,
        'install Maven (`apt-get install maven`, `brew install maven`)',
      );
    }
    options.progress?.(`fetching Kafka Streams ${version} from Maven Central into ${dir} (once; about 95 MB, most of it RocksDB)`);
    fs.rmSync(libs, { recursive: true, force: true });
    fs.mkdirSync(libs, { recursive: true });
    const output = await run(mvn, [
      '-B', '-q', '-f', POM,
      `-Dkafka.version=${version}`,
      `-Dmaven.repo.local=${path.join(cache, 'm2')}`,
      `-DoutputDirectory=${libs}`,
      '-DincludeScope=runtime',
      'dependency:copy-dependencies',
    ], env);
    const jars = fs.readdirSync(libs).filter((f) => f.endsWith('.jar'));
    if (output.code !== 0 || !jars.includes(`kafka-streams-${version}.jar`)) {
      throw new StreamlabError(`fetching Kafka Streams ${version} from Maven Central failed: ${failureLine(output)}`, 'check the network to Maven Central and run it again');
    }
    fs.writeFileSync(path.join(libs, COMPLETE_MARKER), jars.sort().join('\n') + '\n');
  }

  const javac = findJavac(env);
  const building = `${classes}.building-${process.pid}`;
  fs.rmSync(building, { recursive: true, force: true });
  fs.mkdirSync(building, { recursive: true });
  const compiled = await run(javac, ['--release', '17', '-encoding', 'UTF-8', '-nowarn', '-cp', path.join(libs, '*'), '-d', building, ...sources], env);
  if (compiled.code !== 0) {
    fs.rmSync(building, { recursive: true, force: true });
    throw new StreamlabError(`compiling ${path.relative(PACKAGE_ROOT, SOURCE_ROOT)} failed: ${failureLine(compiled, /error/)}`);
  }
  fs.writeFileSync(path.join(building, COMPLETE_MARKER), stamp);
  fs.rmSync(classes, { recursive: true, force: true });
  try {
    fs.renameSync(building, classes);
  } catch (e) {
    // Another process compiled the same source at the same time: its classes will do.
    fs.rmSync(building, { recursive: true, force: true });
    if (!(fs.existsSync(classesMarker) && fs.readFileSync(classesMarker, 'utf8') === stamp)) throw e;
  }
  return dir;
}

/** javac of the JDK whose java findJava() picks ($STREAMLAB_JAVAC first), else javac on the PATH. */
function findJavac(env: NodeJS.ProcessEnv): string {
  const candidates: string[] = [];
  if (env.STREAMLAB_JAVAC) candidates.push(env.STREAMLAB_JAVAC);
  else {
    try {
      const { java } = findJava(env);
      const resolved = java.includes(path.sep) ? java : (spawnSync('sh', ['-c', 'command -v "$1"', 'sh', java], { encoding: 'utf8' }).stdout ?? '').trim();
      if (resolved) candidates.push(path.join(path.dirname(fs.realpathSync(resolved)), 'javac'));
    } catch {
      // no usable java: javac on the PATH may still do
    }
    candidates.push('javac');
  }
  for (const javac of candidates) {
    const probe = spawnSync(javac, ['-version'], { encoding: 'utf8', env, timeout: 20_000 });
    if (!probe.error && probe.status === 0) return javac;
  }
  throw new StreamlabError(
    'the Kafka Streams reference runner is compiled with javac (a JDK 17 or newer), and none was found next to java or on the PATH',
    'install one (Debian/Ubuntu: `apt-get install openjdk-17-jdk-headless`), or set STREAMLAB_JAVAC to a javac binary',
  );
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; text: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    const keep = (d: Buffer) => (text = (text + d.toString('utf8')).slice(-8000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (e) => resolve({ code: -1, text: e.message }));
    child.on('exit', (code) => resolve({ code, text }));
  });
}

function failureLine(output: { code: number | null; text: string }, pattern = /ERROR|Could not|Failed/): string {
  const lines = output.text.split('\n').map((l) => l.replace(/\x1b\[[0-9;]*m/g, '').trim()).filter(Boolean);
  return (lines.find((l) => pattern.test(l)) ?? lines[0] ?? `exited with ${output.code}`).slice(0, 300);
}

/**
 * The JVM options and classpath of a reference program in the runner's folder (what fetchKafkaStreams returns): a
 * small heap and the C1 compiler only, as a run is a few seconds of mostly start-up.
 */
export function kafkaStreamsJvmArgs(dir: string): string[] {
  return [
    '-Xms64m', '-Xmx512m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1',
    '-cp', `${path.join(dir, 'libs', '*')}${path.delimiter}${path.join(dir, 'classes')}`,
  ];
}

/** A spec as WindowReference's --windows takes it. */
export function windowSpecArg(spec: ReferenceWindowSpec): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(spec.name)) throw new StreamlabError(`reference window name '${spec.name}' must be letters, digits, _ . -`);
  const ms = (value: number | undefined, what: string, min: number): number => {
    if (value === undefined || !Number.isInteger(value) || value < min) {
      throw new StreamlabError(`reference window '${spec.name}' (${spec.kind}) needs ${what} as a whole number of ms >= ${min}, got ${value}`);
    }
    return value;
  };
  const grace = ms(spec.graceMs, 'graceMs', 0);
  switch (spec.kind) {
    case 'tumbling':
    case 'sliding':
      return `${spec.name}:${spec.kind}:${ms(spec.sizeMs, 'sizeMs', 1)}:${grace}`;
    case 'hopping':
      return `${spec.name}:hopping:${ms(spec.sizeMs, 'sizeMs', 1)}:${ms(spec.advanceMs, 'advanceMs', 1)}:${grace}`;
    case 'session':
      return `${spec.name}:session:${ms(spec.gapMs, 'gapMs', 1)}:${grace}`;
    default:
      throw new StreamlabError(`reference window '${spec.name}': kind must be tumbling, hopping, sliding or session, got ${String((spec as { kind: unknown }).kind)}`);
  }
}

/**
 * The rows a comparison wants: the last emission of each window (name, key, start, end), `__flush__` rows dropped, in
 * the order of those last emissions.
 */
export function referenceFinalWindows(rows: ReferenceWindow[], flushKey = '__flush__'): ReferenceWindow[] {
  const last = new Map<string, ReferenceWindow>();
  for (const row of rows) {
    if (row.key === flushKey) continue;
    const id = JSON.stringify([row.name, row.key, row.start, row.end]);
    const seen = last.get(id);
    if (!seen || seen.seq < row.seq) last.set(id, row);
  }
  return [...last.values()].sort((a, b) => a.seq - b.seq);
}

let runCounter = 0;

/**
 * Runs Kafka Streams over the whole topic (from the earliest offset, a new application id each run) with one branch
 * per window spec, until its committed offsets reach the topic's end offsets as they were when it started; resolves
 * to every final window it emitted, in emission order (`__flush__` rows included; a sliding window may come more than
 * once, see referenceFinalWindows). Rejects with the program's stderr tail when it fails or times out.
 */
export async function runKafkaStreamsWindows(opts: KafkaStreamsRunOptions): Promise<ReferenceWindow[]> {
  const windows = opts.windows.map(windowSpecArg);
  if (windows.length === 0) throw new StreamlabError('runKafkaStreamsWindows needs at least one window spec');
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const { java } = findJava();
  const dir = await fetchKafkaStreams();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-kstreams-run-'));
  const out = path.join(work, 'windows.jsonl');
  const appId = `streamlab-reference-${process.pid}-${++runCounter}-${Date.now().toString(36)}`;
  const args = [
    ...kafkaStreamsJvmArgs(dir),
    MAIN_CLASS,
    '--bootstrap', opts.bootstrapServers,
    '--topic', opts.topic,
    '--app-id', appId,
    '--out', out,
    '--windows', windows.join(';'),
    '--timeout-ms', String(timeoutMs),
    '--stores', opts.stores ?? 'in-memory',
  ];
  try {
    const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(java, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString('utf8')).slice(-4000)));
      child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-20_000)));
      // The program times out by itself; this only catches a JVM that hangs on the way out.
      const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 45_000);
      child.on('error', (e) => {
        clearTimeout(killer);
        reject(new StreamlabError(`the Kafka Streams reference runner did not start (${java}): ${e.message}`));
      });
      child.on('exit', (code, signal) => {
        clearTimeout(killer);
        resolve({ code, signal, stdout, stderr });
      });
    });
    const done = /^DONE (\d+)$/m.exec(result.stdout);
    if (result.code !== 0 || !done) {
      const tail = result.stderr.trim().split('\n').slice(-15).join('\n');
      throw new Error(`the Kafka Streams reference runner exited with ${result.signal ?? result.code} on topic '${opts.topic}'${tail ? `:\n${tail}` : ' (no stderr)'}`);
    }
    const rows = fs.existsSync(out) ? fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as ReferenceWindow) : [];
    if (rows.length !== Number(done[1])) throw new Error(`the Kafka Streams reference runner said DONE ${done[1]} but wrote ${rows.length} rows`);
    return rows.sort((a, b) => a.seq - b.seq);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  if (argv.length !== 1 || argv[0] !== '--fetch') {
    process.stderr.write('usage: node dist/test/support/kafkaStreams.js --fetch\n');
    process.exit(2);
  }
  const started = Date.now();
  fetchKafkaStreams({ progress: (line) => process.stderr.write(`${line}\n`) }).then(
    (dir) => {
      const jars = fs.readdirSync(path.join(dir, 'libs')).filter((f) => f.endsWith('.jar')).length;
      const programs = javaSources().map((f) => path.basename(f, '.java')).join(', ');
      process.stdout.write(`Kafka Streams ${kafkaVersion()} reference runner: ${jars} jars and ${programs} in ${dir} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    },
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}

/**
 * For a test file: fetches Kafka Streams (once), then starts a single-node Apache Kafka before its tests and stops it
 * after them; returns the bootstrap servers' getter.
 */
export function kafkaForKafkaStreams(): () => string {
  let cluster: KafkaCluster | undefined;
  before(async () => {
    // Fetching and compiling (once) may take a while: before the broker starts, so its time is not the broker's.
    await fetchKafkaStreams();
    cluster = await KafkaCluster.start({ brokers: 1, heapMb: 512 });
  });
  after(async () => {
    await cluster?.stop({ fast: true });
  });
  return () => cluster!.bootstrapServers;
}
