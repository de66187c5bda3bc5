/**
 * A live chart's cost to the kernel, without a browser: rows fed at a fixed rate over 8 traces of a 5-minute chart,
 * frames taken as an attached renderer takes them (40 a second) and the static frame rebuilt once a second (as for a
 * frontend without the extension), against the same feed with its rows dropped (the baseline), in one process. Then
 * a million-point trace's static frame from the live buckets against one decimated from the raw points.
 *
 *   node dist/bench/chartKernel.js [--seconds 100] [--rate 100000]
 *
 * The event loop's delay is what a cell waits behind the chart; the default 100 s lets the traces fill to their
 * million points each at 100,000 points/s, so their growth and their eviction are both in the figures.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { LineTrace, LiveChart } from '../src';
import { numberFlags, quantile } from './support/chartFeed';

interface Figures {
  loopP99: number;
  loopMax: number;
  tickP50: number;
  tickP99: number;
  tickMax: number;
  frameP50?: number;
  frameP99?: number;
  staticP50?: number;
  staticMax?: number;
  pointsHeld?: number;
  heapMB: number;
}

const FRAME_EVERY_MS = 25;
const STATIC_EVERY_MS = 1000;

async function phase(seconds: number, rate: number, chart: LiveChart | undefined): Promise<Figures> {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const ticks: number[] = [];
  const frames: number[] = [];
  const statics: number[] = [];
  let seq = 0;
  const perTick = Math.round(rate / 100);
  const feed = setInterval(() => {
    const started = performance.now();
    const now = Date.now();
    const rows: { time: number; sensor: string; value: number }[] = [];
    for (let i = 0; i < perTick; i++) {
      const s = ++seq;
      rows.push({ time: now, sensor: `s${s % 8}`, value: Math.sin(s / 4000) * 5 + (s % 8) * 3 + Math.random() });
    }
    chart?.push(rows);
    ticks.push(performance.now() - started);
  }, 10);
  const timers = chart
    ? [
        setInterval(() => {
          const started = performance.now();
          chart.takeFrame();
          frames.push(performance.now() - started);
        }, FRAME_EVERY_MS),
        setInterval(() => {
          const started = performance.now();
          chart.snapshot(200);
          statics.push(performance.now() - started);
        }, STATIC_EVERY_MS),
      ]
    : [];
  // The first seconds warm the JIT up in both phases alike.
  await new Promise((r) => setTimeout(r, 3000));
  loop.enable();
  ticks.length = frames.length = statics.length = 0;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  loop.disable();
  clearInterval(feed);
  for (const t of timers) clearInterval(t);
  const figures: Figures = {
    loopP99: loop.percentile(99) / 1e6,
    loopMax: loop.max / 1e6,
    tickP50: quantile(ticks, 0.5),
    tickP99: quantile(ticks, 0.99),
    tickMax: Math.max(...ticks),
    heapMB: process.memoryUsage().heapUsed / 1048576,
  };
  if (chart) {
    Object.assign(figures, {
      frameP50: quantile(frames, 0.5),
      frameP99: quantile(frames, 0.99),
      staticP50: quantile(statics, 0.5),
      staticMax: Math.max(...statics),
      pointsHeld: chart.stats().buffered,
    });
    chart.stop();
  }
  return figures;
}

/** Median ms of `runs` calls. */
function timed(runs: number, f: () => unknown): number {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    f();
    ms.push(performance.now() - started);
  }
  return quantile(ms, 0.5);
}

async function main(): Promise<void> {
  const o = numberFlags(process.argv.slice(2), { seconds: 100, rate: 100_000 });
  process.stderr.write(`chart kernel bench: ${o.rate} points/s over 8 traces, ${o.seconds} s a phase\n`);
  const baseline = await phase(o.seconds, o.rate, undefined);
  const chart = await phase(o.seconds, o.rate, new LiveChart({ y: 'value', by: 'sensor', last: '5m', title: 'bench' }));
  const f = (n: number | undefined, d = 1) => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(d));
  console.log('phase      loop p99  loop max  tick p50  tick p99  tick max  frame p50  frame p99  static p50  static max  points held  heap MB');
  for (const [name, r] of [['feed only', baseline], ['chart', chart]] as const) {
    console.log(
      `${name.padEnd(10)} ${f(r.loopP99).padStart(8)} ${f(r.loopMax).padStart(9)} ${f(r.tickP50, 2).padStart(9)} ${f(r.tickP99, 2).padStart(9)} ${f(r.tickMax).padStart(9)} ${f(r.frameP50, 2).padStart(10)} ${f(r.frameP99, 2).padStart(10)} ${f(r.staticP50, 2).padStart(11)} ${f(r.staticMax).padStart(11)} ${f(r.pointsHeld, 0).padStart(12)} ${f(r.heapMB, 0).padStart(8)}`,
    );
  }
  console.log(`chart/feed-only: event-loop delay p99 ${(chart.loopP99 / baseline.loopP99).toFixed(2)}x, max ${(chart.loopMax / baseline.loopMax).toFixed(2)}x`);

  // A static frame of a full trace: merged from the live buckets, against decimating its million raw points.
  const trace = new LineTrace('t', 't', 1_000_000, 250);
  for (let i = 0; i < 1_000_000; i++) trace.add(1_700_000_000_000 + i * 0.3, Math.sin(i / 5000) + Math.random() * 0.1);
  const fromGrid = timed(20, () => trace.overview(200));
  const fromRaw = timed(20, () => trace.decimated(trace.minX, trace.maxX, 200));
  console.log(`static frame of a million-point trace: ${fromGrid.toFixed(2)} ms from the live buckets, ${fromRaw.toFixed(1)} ms from the raw points (${(fromRaw / fromGrid).toFixed(0)}x)`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
