/**
 * A chart and its frontends through the library's notebook output interface (src/display): frames paced by
 * acknowledgements, a silent frontend costing no memory, zoomed views, and the static fallbacks other frontends
 * see. The real kernel and the real JupyterLab renderer are exercised end to end in labCharts.test.ts.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { LiveChart } from '../src/plot';
import { attachNotebookOutput, CommData, MimeBundle, NotebookOutput, OutputComm } from '../src/output';
import { ACK_EVERY_FRAMES, FRAMES_IN_FLIGHT } from '../protocol/messages';
import type { FrameMessage } from '../protocol/messages';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

class TestComm implements OutputComm {
  readonly id = `comm-${Math.random()}`;
  closed = false;
  sent: CommData[] = [];
  private handlers: ((d: CommData) => void)[] = [];
  send(data: CommData): void {
    this.sent.push(data);
  }
  close(): void {
    this.closed = true;
  }
  onMessage(h: (d: CommData) => void): void {
    this.handlers.push(h);
  }
  onClose(): void {}
  /** A message from the frontend. */
  receive(data: CommData): void {
    for (const h of this.handlers) h(data);
  }
  frames(): FrameMessage[] {
    return this.sent.filter((d) => d.type === 'frame') as unknown as FrameMessage[];
  }
}

class TestOutput implements NotebookOutput {
  displays: { bundle: MimeBundle; id?: string; update: boolean }[] = [];
  targets = new Map<string, (comm: OutputComm, data: CommData) => void>();
  display(bundle: MimeBundle, id: string | undefined, update: boolean): void {
    this.displays.push({ bundle, id, update });
  }
  clear(): void {}
  openComm(): OutputComm {
    throw new Error('charts never open comms themselves');
  }
  registerCommTarget(target: string, handler: (comm: OutputComm, data: CommData) => void): void {
    this.targets.set(target, handler);
  }
  /** A renderer asks for a chart's frames. */
  connect(chart: LiveChart, hello = { width: 800, keepsStaticFrame: true }): TestComm {
    const comm = new TestComm();
    this.targets.get('streamlab.chart')!(comm, { chartId: chart.id });
    comm.receive({ type: 'hello', ...hello });
    return comm;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let charts: LiveChart[] = [];
afterEach(() => {
  for (const c of charts) c.stop();
  charts = [];
  attachNotebookOutput(undefined);
});

function newChart(options: ConstructorParameters<typeof LiveChart>[0]): LiveChart {
  const c = new LiveChart(options);
  charts.push(c);
  return c;
}

/** A chart shown in a test notebook output, with one renderer attached. */
function shownChart(options: ConstructorParameters<typeof LiveChart>[0], hello?: { width: number; keepsStaticFrame: boolean }): { output: TestOutput; chart: LiveChart; comm: TestComm } {
  const output = new TestOutput();
  attachNotebookOutput(output);
  const chart = newChart(options);
  chart.show();
  return { output, chart, comm: output.connect(chart, hello) };
}

/** The renderer took frames up to `seq` into a redraw and painted them now. */
function ackPainted(comm: TestComm, seq: number, renderMs = 5): void {
  comm.receive({ type: 'ack', seq, painted: { seq, renderMs, paintedAt: Date.now() } });
}

/** Rows for 8 sensors, `n` per sensor, from time t0, one every `dtMs`. */
function rows(t0: number, n: number, dtMs: number): { time: number; sensor: string; value: number }[] {
  const out = [];
  for (let i = 0; i < n; i++) for (let s = 0; s < 8; s++) out.push({ time: t0 + i * dtMs, sensor: `s${s}`, value: Math.sin((t0 + i * dtMs) / 5000) + s });
  return out;
}

/** Pushes half a minute of data at a time, letting the link's send timer run between pushes, until `done` or 200 tries. */
async function pushUntil(chart: LiveChart, start: number, done: () => boolean): Promise<number> {
  let t = start;
  for (let i = 0; i < 200 && !done(); i++) {
    chart.push(rows(t, 50, 10));
    t += 500;
    await sleep(20);
  }
  return t;
}

test('a frontend that stops acknowledging gets no frame past the window, one merged frame when it acks again, and the kernel\'s memory stays flat', async () => {
  const { chart, comm } = shownChart({ y: 'value', by: 'sensor', last: '1m' });
  await sleep(30);
  assert.equal(comm.frames().length, 1, 'the first frame goes at once');
  // Frames go while the frontend is silent, until the window is full.
  let t = await pushUntil(chart, Date.UTC(2026, 0, 1), () => comm.frames().length >= FRAMES_IN_FLIGHT);
  assert.equal(comm.frames().length, FRAMES_IN_FLIGHT, 'the window fills');
  // 20 ms apart: the one-minute span holds 3000 points a trace once it is full.
  const push = (minutes: number) => {
    for (let m = 0; m < minutes * 6; m++) {
      chart.push(rows(t, 500, 20));
      t += 500 * 20;
    }
  };
  push(2); // the span fills
  await sleep(30);
  gc();
  const before = process.memoryUsage();
  // Twenty minutes of data, 480,000 points, while the frontend says nothing; the send timer runs between pushes.
  for (let i = 0; i < 40; i++) {
    push(0.5);
    await sleep(5);
  }
  gc();
  const afterPush = process.memoryUsage();
  assert.equal(comm.frames().length, FRAMES_IN_FLIGHT, `no frame is sent (or queued) past ${FRAMES_IN_FLIGHT} unacknowledged`);
  const grown = afterPush.heapUsed + afterPush.arrayBuffers - (before.heapUsed + before.arrayBuffers);
  assert.ok(grown < 8 * 1024 * 1024, `memory grew ${(grown / 1048576).toFixed(1)} MB over 480,000 points`);
  assert.ok(chart.metrics().coalesced >= 100, `pushes merged while waiting: ${chart.metrics().coalesced}`);
  assert.ok(chart.metrics().buffered <= 8 * 3000 + 8 * 200, `the span bounds what is held: ${chart.metrics().buffered}`);

  ackPainted(comm, comm.frames().at(-1)!.seq);
  await sleep(40);
  const frames = comm.frames();
  assert.equal(frames.length, FRAMES_IN_FLIGHT + 1, 'one frame carries everything since');
  const next = frames.at(-1)!;
  const points = next.traces.reduce((n, u) => n + u.x.length, 0);
  assert.ok(points <= 8 * 4 * 2 * 400, `the merged frame is bounded by the decimation (${points} points)`);
  assert.ok(next.traces.every((u) => u.xMin !== undefined && u.xMin >= t - 60_000 - 1000), 'and tells the frontend what fell off the span');
});

test('frames follow the stream with only what changed, and each paint is timed from its frame\'s send', async () => {
  const { chart, comm } = shownChart({ y: 'value', by: 'sensor', last: '5m' });
  let t = Date.UTC(2026, 0, 1);
  for (let i = 0; i < 20; i++) {
    chart.push(rows(t, 50, 10));
    t += 500;
    await sleep(25);
    const last = comm.frames().at(-1)!;
    ackPainted(comm, last.seq, 3);
  }
  await sleep(40);
  const frames = comm.frames();
  assert.ok(frames.length >= 15, `a frame per push (${frames.length})`);
  const tails = frames.slice(3).flatMap((f) => f.traces).filter((u) => u.mode === 'tail');
  assert.ok(tails.length > 0 && tails.every((u) => u.x.length < 400), 'later frames carry only the changed tail');
  const f = chart.frontends();
  assert.equal(f.renderers, 1);
  assert.ok(f.latencyCount >= 15 && f.latencyP95 !== undefined, 'send-to-paint latency is measured');
  assert.ok(f.roundTripP50 !== undefined && f.roundTripP50 >= 0, 'and the acknowledgement round trip');
});

test('an acknowledgement of some frames opens the window by as many; a paint reported alone is timed from its own send', async () => {
  const { chart, comm } = shownChart({ y: 'value', by: 'sensor', last: '5m' });
  let t = await pushUntil(chart, Date.UTC(2026, 0, 1), () => comm.frames().length >= FRAMES_IN_FLIGHT);
  chart.push(rows(t, 50, 10));
  t += 500;
  await sleep(30);
  assert.equal(comm.frames().length, FRAMES_IN_FLIGHT, 'the window is full: the push waits');
  // The renderer takes the first few into a redraw, acknowledging them in one message.
  const taken = comm.frames()[ACK_EVERY_FRAMES - 1]!;
  comm.receive({ type: 'ack', seq: taken.seq });
  await sleep(30);
  assert.equal(comm.frames().length, FRAMES_IN_FLIGHT + 1, 'the waiting points go at once');
  await pushUntil(chart, t, () => comm.frames().length >= FRAMES_IN_FLIGHT + ACK_EVERY_FRAMES);
  await sleep(30);
  assert.equal(comm.frames().length, FRAMES_IN_FLIGHT + ACK_EVERY_FRAMES, `then ${ACK_EVERY_FRAMES - 1} more, and no further`);
  assert.equal(chart.frontends().latencyCount, 0, 'nothing is painted yet');
  const paintedAt = taken.sentAt + 40;
  comm.receive({ type: 'ack', painted: { seq: taken.seq, renderMs: 12, paintedAt } });
  const f = chart.frontends();
  assert.equal(f.latencyCount, 1, 'the paint alone is measured');
  assert.equal(f.latencyP50, 40, 'from the send of the newest frame it drew');
  await sleep(30);
  assert.equal(comm.frames().length, FRAMES_IN_FLIGHT + ACK_EVERY_FRAMES, 'a paint report alone sends nothing');
});

test('a zoomed view gets a full-resolution replacement of its range, and live frames stop for it', async () => {
  const { chart, comm } = shownChart({ y: 'value', by: 'sensor', last: '10m' }, { width: 400, keepsStaticFrame: true });
  const t0 = Date.UTC(2026, 0, 1);
  chart.push(rows(t0, 30_000, 10)); // 5 minutes, 240,000 points
  await sleep(30);
  ackPainted(comm, comm.frames().at(-1)!.seq);
  await sleep(30);
  const liveFrame = comm.frames().at(-1)!;
  const liveInRange = liveFrame.traces[0]!.x.filter((x) => Number(x) >= t0 + 60_000 && Number(x) <= t0 + 70_000).length;
  comm.receive({ type: 'view', xRange: [t0 + 60_000, t0 + 70_000], width: 400 });
  const view = comm.frames().at(-1)!;
  assert.deepEqual(view.view, [t0 + 60_000, t0 + 70_000]);
  const inView = view.traces.filter((u) => u.role === 'series');
  assert.equal(inView.length, 8);
  assert.ok(inView.every((u) => u.mode === 'replace' && u.x.every((x) => Number(x) >= t0 + 60_000 && Number(x) <= t0 + 70_000)));
  assert.ok(inView[0]!.x.length > 4 * liveInRange, `the view is finer than the live frame there (${inView[0]!.x.length} vs ${liveInRange} points)`);
  const count = comm.frames().length;
  chart.push(rows(t0 + 300_000, 100, 10));
  await sleep(40);
  assert.equal(comm.frames().length, count, 'no live frames into a zoomed view');
  comm.receive({ type: 'view', xRange: null });
  await sleep(40);
  const back = comm.frames().at(-1)!;
  assert.ok(back.view === undefined && back.traces.some((u) => u.mode === 'replace'), 'back to the live edge with a full frame');
});

test('without a renderer the display\'s static frame is refreshed about once a second; at stop it gets a PNG', async () => {
  const output = new TestOutput();
  attachNotebookOutput(output);
  const chart = newChart({ y: 'value', by: 'sensor', last: '5m', title: 'fallback' });
  chart.show();
  const shown = output.displays[0]!;
  assert.equal(shown.update, false);
  assert.ok('application/vnd.streamlab.chart+json' in shown.bundle && 'application/vnd.plotly.v1+json' in shown.bundle && 'image/svg+xml' in shown.bundle);
  let t = Date.UTC(2026, 0, 1);
  const feeding = setInterval(() => {
    chart.push(rows(t, 20, 50));
    t += 1000;
  }, 50);
  await sleep(2600);
  clearInterval(feeding);
  const updates = output.displays.filter((d) => d.update);
  assert.ok(updates.length >= 2 && updates.length <= 3, `refreshed ${updates.length} times in 2.6 s`);
  const figure = updates.at(-1)!.bundle['application/vnd.plotly.v1+json'] as { data: { x: unknown[] }[] };
  assert.equal(figure.data.length, 8);
  assert.ok(String(updates.at(-1)!.bundle['image/svg+xml']).includes('<path d="M'), 'the SVG draws the lines');
  chart.stop();
  const final = output.displays.at(-1)!;
  assert.ok(final.update && typeof final.bundle['image/png'] === 'string', 'the last frame carries a PNG');
  assert.equal(Buffer.from(String(final.bundle['image/png']), 'base64').subarray(1, 4).toString('latin1'), 'PNG');
  assert.match(String(final.bundle['text/plain']), /line chart 'fallback' of code: [\d,]+ points in, [\d,]+ shown \(stopped\)/);
});

test('a renderer that keeps the static frame itself stops the kernel\'s refreshes', async () => {
  const { output, chart } = shownChart({ y: 'value', by: 'sensor', last: '5m' }, { width: 800, keepsStaticFrame: true });
  let t = Date.UTC(2026, 0, 1);
  for (let i = 0; i < 10; i++) {
    chart.push(rows(t, 20, 50));
    t += 1000;
    await sleep(150);
  }
  assert.equal(output.displays.filter((d) => d.update).length, 0);
});
