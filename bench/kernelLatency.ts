/**
 * Kernel start time and trivial-cell round trip, over real ZeroMQ with the test harness's client, for plain tslab
 * (the baseline) and the streamlab kernel, with streamlab/tslab ratios; then the streamlab kernel's cell round trip
 * while one of its streams ingests a topic of the embedded broker at full speed.
 *
 *   node dist/bench/kernelLatency.js [--starts 5] [--cells 400] [--warmup 20] [--argv JSON] [--streamlab-argv JSON]
 *                                    [--load-records 600000] [--load-rounds 4]
 *
 * --argv replaces the baseline command line (default: tslab from node_modules); --streamlab-argv, or the
 * STREAMLAB_KERNEL_ARGV environment variable, replaces the streamlab kernel's (default: its kernelspec). Both are
 * JSON arrays with a '{connection_file}' item.
 *   start: spawn to first kernel_info_reply, median over the starts (the two kernels alternate).
 *   cell:  execute_request of `1` until both execute_reply and iopub status idle, after a warm-up; the two kernels
 *          run side by side and alternate in blocks so drift hits both alike.
 */
import os from 'node:os';
import path from 'node:path';
import { KernelProcess } from '../test/support/kernelClient';
import { parseArgv, streamlabKernelSpecFromEnv, tslabKernelSpec } from '../test/support/jupyterEnv';
import { kernelSpec } from '../kernel/install';
import { EmbeddedBroker, TopicSink } from '../src';

interface Options {
  starts: number;
  cells: number;
  warmup: number;
  kernels: { name: string; argv: string[] }[];
  loadRecords: number;
  loadRounds: number;
}

interface Figures {
  startMs: number[];
  cellMs: number[];
  /** Cells whose iopub status idle never arrived. */
  lostIdle: number;
}

const REPO_ROOT = path.join(__dirname, '..', '..');
const BLOCK = 20;
/** A trivial cell's idle status that is not in after this long was dropped by the kernel. */
const LOST_IDLE_MS = 5_000;

function parseOptions(args: string[]): Options {
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i], args[i + 1]];
    if (!flag.startsWith('--') || value === undefined) throw new Error(`usage: kernelLatency [--starts N] [--cells N] [--warmup N] [--argv JSON] [--streamlab-argv JSON]; bad "${flag}"`);
    flags.set(flag.slice(2), value);
  }
  const count = (name: string, fallback: number) => {
    const value = Number(flags.get(name) ?? fallback);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
    return value;
  };
  const baseline = flags.has('argv') ? parseArgv(flags.get('argv')!, '--argv') : tslabKernelSpec().argv;
  const kernels = [{ name: 'tslab', argv: baseline }];
  const streamlab = flags.has('streamlab-argv')
    ? parseArgv(flags.get('streamlab-argv')!, '--streamlab-argv')
    : (streamlabKernelSpecFromEnv()?.argv ?? kernelSpec(path.join(__dirname, '..', 'kernel', 'main.js')).argv);
  kernels.push({ name: 'streamlab', argv: streamlab });
  for (const known of flags.keys()) {
    if (!['starts', 'cells', 'warmup', 'argv', 'streamlab-argv', 'load-records', 'load-rounds'].includes(known)) throw new Error(`unknown flag --${known}`);
  }
  return {
    starts: count('starts', 5),
    cells: count('cells', 400),
    warmup: count('warmup', 20),
    kernels,
    loadRecords: count('load-records', 600_000),
    loadRounds: count('load-rounds', 4),
  };
}

function start(argv: string[], env: Record<string, string> = {}): Promise<KernelProcess> {
  return KernelProcess.start({ argv, cwd: REPO_ROOT, env, startTimeoutMs: 120_000 });
}

/**
 * One `1` cell, timed until both its execute_reply and its iopub idle are in. Undefined when the idle never came:
 * tslab fires iopub sends without awaiting them, and zeromq v6 answers EBUSY to a send issued while the previous
 * one is pending (every 512th send per socket goes async), so it drops a message now and then. Such cells are counted
 * apart instead of waiting out a long timeout or skewing the percentiles.
 */
async function cellRoundTrip(kernel: KernelProcess, name: string): Promise<number | undefined> {
  const begin = performance.now();
  const msgId = kernel.send('shell', 'execute_request', { code: '1', silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true });
  const idle = kernel.iopubFor(msgId, { timeoutMs: LOST_IDLE_MS, requestType: 'execute_request' }).then(
    () => performance.now(),
    () => undefined,
  );
  const reply = await kernel.waitForReply(msgId, 'execute_request', 'shell', 30_000);
  if (reply.content.status !== 'ok') throw new Error(`${name}: cell \`1\` gave status ${reply.content.status}`);
  const replyAt = performance.now();
  const idleAt = await idle;
  return idleAt === undefined ? undefined : Math.max(replyAt, idleAt) - begin;
}

async function measure(options: Options): Promise<Map<string, Figures>> {
  const figures = new Map(options.kernels.map((k) => [k.name, { startMs: [], cellMs: [], lostIdle: 0 } as Figures]));
  for (let round = 0; round < options.starts; round++) {
    for (const { name, argv } of options.kernels) {
      const kernel = await start(argv);
      figures.get(name)!.startMs.push(kernel.startupMs);
      await kernel.shutdown({ timeoutMs: 5_000 });
    }
  }
  const running = await Promise.all(options.kernels.map(async ({ name, argv }) => ({ name, kernel: await start(argv) })));
  try {
    for (const { name, kernel } of running) for (let i = 0; i < options.warmup; i++) await cellRoundTrip(kernel, name);
    for (let done = 0; done < options.cells; done += BLOCK) {
      for (const { name, kernel } of running) {
        const f = figures.get(name)!;
        for (let i = done; i < Math.min(done + BLOCK, options.cells); i++) {
          const elapsed = await cellRoundTrip(kernel, name);
          if (elapsed === undefined) f.lostIdle++;
          else f.cellMs.push(elapsed);
        }
      }
    }
  } finally {
    await Promise.all(running.map(({ kernel }) => kernel.shutdown({ timeoutMs: 5_000 })));
  }
  return figures;
}

interface LoadFigures {
  cellMs: number[];
  lostIdle: number;
  /** Records the stream ingested per second while the cells ran. */
  ingestRates: number[];
}

const LOAD_TOPIC = 'bench-kernel-load';
const LOAD_PARTITIONS = 32;

/**
 * Fills a topic (within the mock broker's retention of about 5 MB per partition), then, per round, starts a
 * stream on it from the earliest offset in the streamlab kernel and times trivial cells until the stream has read
 * it all. Only cells that ran while the stream was still ingesting count.
 */
async function measureUnderLoad(options: Options, argv: string[]): Promise<LoadFigures> {
  const broker = await EmbeddedBroker.start({ topics: [{ name: LOAD_TOPIC, partitions: LOAD_PARTITIONS }] });
  const figures: LoadFigures = { cellMs: [], lostIdle: 0, ingestRates: [] };
  try {
    const sink = await TopicSink.open({ topic: LOAD_TOPIC, connection: broker.connection, batchSize: 5000 });
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    for (let i = 0; i < options.loadRecords; i += 20_000) {
      const rows = [];
      for (let j = i; j < Math.min(options.loadRecords, i + 20_000); j++) rows.push({ sensor: `sensor-${j % 16}`, time: t0 + j * 10, value: (j % 1000) / 10 });
      await sink.write(rows);
    }
    await sink.close();
    const kernel = await start(argv, { STREAMLAB_BROKERS: broker.bootstrapServers });
    try {
      for (let i = 0; i < options.warmup; i++) await cellRoundTrip(kernel, 'streamlab');
      for (let round = 0; round < options.loadRounds; round++) {
        const started = await kernel.execute(`const load${round} = await streamlab.session.consume({ topic: '${LOAD_TOPIC}', from: 'earliest', untilEnd: true, name: 'load${round}' });`);
        if (started.reply.content.status !== 'ok') throw new Error(`starting the load stream failed: ${JSON.stringify(started.reply.content.evalue)}`);
        const begin = performance.now();
        const round_: number[] = [];
        let lost = 0;
        let records = 0;
        for (;;) {
          for (let i = 0; i < 10; i++) {
            const elapsed = await cellRoundTrip(kernel, 'streamlab');
            if (elapsed === undefined) lost++;
            else round_.push(elapsed);
          }
          const m = await kernel.execute(`load${round}.metrics().records`);
          records = Number((m.iopub.find((x) => x.header.msg_type === 'execute_result')?.content.data as Record<string, string>)['text/plain']);
          // The block that saw the end is dropped: some of its cells may have run after ingest finished.
          if (records >= options.loadRecords) break;
          figures.cellMs.push(...round_.splice(0));
          figures.lostIdle += lost;
          lost = 0;
        }
        figures.ingestRates.push(records / ((performance.now() - begin) / 1000));
        await kernel.execute(`await streamlab.session.stop('load${round}');`);
      }
    } finally {
      await kernel.shutdown({ timeoutMs: 10_000 });
    }
  } finally {
    await broker.stop();
  }
  return figures;
}

/** Nearest-rank percentile. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const ms = (value: number) => `${value.toFixed(value < 10 ? 2 : 1)} ms`;

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  console.log(`kernel latency: ${options.starts} starts, ${options.cells} cells of \`1\` after ${options.warmup} warm-up; node ${process.version}, ${os.cpus().length} cpus`);
  const figures = await measure(options);
  for (const [name, f] of figures) {
    console.log(`${name.padEnd(10)} start median ${ms(percentile(f.startMs, 50))} (min ${ms(Math.min(...f.startMs))}, max ${ms(Math.max(...f.startMs))})`);
    const lost = f.lostIdle > 0 ? `; ${f.lostIdle} without an iopub idle, left out` : '';
    console.log(`${name.padEnd(10)} cell p50 ${ms(percentile(f.cellMs, 50))}, p99 ${ms(percentile(f.cellMs, 99))}, max ${ms(Math.max(...f.cellMs))} (${f.cellMs.length} cells${lost})`);
  }
  const base = figures.get('tslab')!;
  const streamlab = figures.get('streamlab')!;
  const ratio = (pick: (f: Figures) => number) => `x${(pick(streamlab) / pick(base)).toFixed(2)}`;
  console.log(
    `streamlab/tslab start ${ratio((f) => percentile(f.startMs, 50))} (target <= x1.5), cell p50 ${ratio((f) => percentile(f.cellMs, 50))}, p99 ${ratio((f) => percentile(f.cellMs, 99))}`,
  );

  const load = await measureUnderLoad(options, options.kernels.find((k) => k.name === 'streamlab')!.argv);
  const rates = load.ingestRates.map((r) => Math.round(r).toLocaleString('en-US')).join(', ');
  console.log(
    `streamlab under load: cell p50 ${ms(percentile(load.cellMs, 50))}, p99 ${ms(percentile(load.cellMs, 99))}, max ${ms(Math.max(...load.cellMs))} (${load.cellMs.length} cells while a stream ingested ${options.loadRecords.toLocaleString('en-US')} records at ${rates} rec/s${load.lostIdle ? `; ${load.lostIdle} without idle` : ''})`,
  );
  console.log(`under-load p99 / idle tslab p99: x${(percentile(load.cellMs, 99) / percentile(base.cellMs, 99)).toFixed(2)} (target <= x3)`);
}

main().catch((err: Error) => {
  console.error(`kernelLatency: ${err.message}`);
  process.exit(1);
});
