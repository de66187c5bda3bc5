/**
 * %plot through the real kernel over ZeroMQ, against the embedded broker, with this test as the frontend: the
 * display and its bundle, the chart comm a renderer opens (frames, acks, controls), the once-a-second fallback
 * refresh for frontends without the extension, %streams, %pause and %stop, and one-line errors.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EmbeddedBroker } from '../src/broker';
import { KernelProcess, JupyterMessage } from './support/kernelClient';
import { collectComm, errorOf, messagesOfType, resultData, startStreamlabKernel } from './support/streamlabKernel';
import { sleep, uniqueTopic } from './support/broker';

const CHART_MIME = 'application/vnd.streamlab.chart+json';
let broker: EmbeddedBroker;
let kernel: KernelProcess;
let topic: string;

before(async () => {
  broker = await EmbeddedBroker.start({ writeState: true });
  topic = uniqueTopic('chart');
  kernel = await startStreamlabKernel();
  await ok('%connect');
  await ok(`await streamlab.session.generate(${JSON.stringify(topic)}, { background: true, rate: 400, sensors: 4, seed: 3, malformedShare: 0, name: 'feed' });`);
  await ok(`%consume ${topic} --as readings --time-field time`);
});
after(async () => {
  if (!kernel.hasExited) await kernel.shutdown();
  await broker.stop();
});

async function ok(code: string) {
  const r = await kernel.execute(code);
  assert.equal(r.reply.content.status, 'ok', `${code}\n${JSON.stringify(messagesOfType(r.iopub, 'error').map((m) => m.content.evalue))}`);
  return r;
}

function chartDisplay(iopub: JupyterMessage[]): { data: Record<string, unknown>; displayId: string } {
  const shown = messagesOfType(iopub, 'display_data').find((m) => CHART_MIME in (m.content.data as object));
  assert.ok(shown, 'the cell shows a chart');
  return { data: shown.content.data as Record<string, unknown>, displayId: String(shown.content.transient.display_id) };
}

let chartId = '';
let displayId = '';

test('%plot shows a live chart: its bundle has the live type, plotly JSON, an SVG and a line of text', async () => {
  const r = await ok('%plot readings --y value --by sensor --last 1m --title "readings" --as live');
  assert.equal(messagesOfType(r.iopub, 'execute_result').length, 0, 'shown once, as a display, not again as the value');
  const shown = chartDisplay(r.iopub);
  const live = shown.data[CHART_MIME] as { chartId: string; name: string; spec: { kind: string; xType: string; spanMs: number } };
  assert.equal(live.name, 'live');
  assert.deepEqual([live.spec.kind, live.spec.xType, live.spec.spanMs], ['line', 'date', 60_000]);
  assert.ok(shown.data['application/vnd.plotly.v1+json'] && String(shown.data['image/svg+xml']).startsWith('<svg'));
  assert.match(String(shown.data['text/plain']), /^line chart 'live' of stream 'readings': /);
  chartId = live.chartId;
  displayId = shown.displayId;
});

test('without a renderer, the display is refreshed with the current frame about once a second', async () => {
  const updates: JupyterMessage[] = [];
  const off = kernel.on('iopub', (m) => {
    if (m.header.msg_type === 'update_display_data' && m.content.transient?.display_id === displayId) updates.push(m);
  });
  await sleep(3500);
  off();
  assert.ok(updates.length >= 2 && updates.length <= 5, `${updates.length} refreshes in 3.5 s`);
  const figure = updates.at(-1)!.content.data['application/vnd.plotly.v1+json'] as { data: { name: string; x: number[] }[] };
  assert.equal(figure.data.length, 4, 'a trace per sensor');
  assert.ok(figure.data.every((t) => t.x.length > 0));
});

test('a renderer opens the chart comm and gets frames paced by its acknowledgements; its controls pause and resume', async () => {
  const commId = `chart-${Date.now()}`;
  const comm = collectComm(kernel, commId);
  kernel.send('shell', 'comm_open', { comm_id: commId, target_name: 'streamlab.chart', data: { chartId } });
  kernel.send('shell', 'comm_msg', { comm_id: commId, data: { type: 'hello', width: 800, keepsStaticFrame: true } });
  const first = await comm.next();
  assert.equal(first.type, 'frame');
  const traces = first.traces as { id: string; mode: string; x: number[] }[];
  assert.equal(traces.filter((t) => t.mode === 'replace').length, 4, 'the first frame replaces every trace');
  let seq = Number(first.seq);
  for (let i = 0; i < 5; i++) {
    kernel.send('shell', 'comm_msg', { comm_id: commId, data: { type: 'ack', seq, painted: { seq, renderMs: 2, paintedAt: Date.now() } } });
    const next = await comm.next();
    assert.equal(Number(next.seq), seq + 1, 'one frame per acknowledgement');
    seq = Number(next.seq);
  }
  kernel.send('shell', 'comm_msg', { comm_id: commId, data: { type: 'control', action: 'pause' } });
  kernel.send('shell', 'comm_msg', { comm_id: commId, data: { type: 'ack', seq, painted: { seq, renderMs: 2, paintedAt: Date.now() } } });
  let paused: Record<string, unknown> | undefined;
  for (let i = 0; i < 5 && !paused; i++) {
    const f = await comm.next();
    seq = Number(f.seq);
    if ((f.stats as { state: string }).state === 'paused') paused = f;
    else kernel.send('shell', 'comm_msg', { comm_id: commId, data: { type: 'ack', seq, painted: { seq, renderMs: 2, paintedAt: Date.now() } } });
  }
  assert.ok(paused, 'a frame says the chart is paused');
  kernel.send('shell', 'comm_msg', { comm_id: commId, data: { type: 'ack', seq, painted: { seq, renderMs: 2, paintedAt: Date.now() } } });
  await assert.rejects(comm.next(1500), /no comm_msg/, 'no frames while paused');
  const streams = String(resultData(await ok('%streams'))['text/plain']);
  assert.match(streams, /live\s+chart\s+.*paused/);
  kernel.send('shell', 'comm_msg', { comm_id: commId, data: { type: 'control', action: 'resume' } });
  const resumed = await comm.next();
  assert.equal((resumed.stats as { state: string }).state, 'running');
  comm.stop();
  kernel.send('shell', 'comm_close', { comm_id: commId, data: {} });
});

test('%streams counts the chart\'s points; %stop ends it with a final frame that carries a PNG', async () => {
  const r = await ok('streamlab.session.streams().find((s) => s.name === "live")');
  const row = String(resultData(r)['text/plain']);
  assert.match(row, /^kind +chart$/m);
  assert.match(row, /^records +[1-9][\d,]*$/m);
  const finals: JupyterMessage[] = [];
  const off = kernel.on('iopub', (m) => {
    if (m.header.msg_type === 'update_display_data' && m.content.transient?.display_id === displayId && 'image/png' in m.content.data) finals.push(m);
  });
  const stopped = await ok('%stop live');
  await sleep(300);
  off();
  assert.match(String(resultData(stopped)['text/plain']), /^stopped live \(chart: [\d,]+ points\)$/);
  assert.equal(finals.length, 1, 'one final frame, with a PNG');
  assert.match(String(finals[0]!.content.data['text/plain']), /\(stopped\)$/);
});

test('a renderer asking for a chart the kernel does not run is told so, and its comm closed', async () => {
  const commId = `ghost-chart-${Date.now()}`;
  const comm = collectComm(kernel, commId);
  const closed = new Promise<JupyterMessage>((resolve) => {
    const off = kernel.on('iopub', (m) => {
      if (m.header.msg_type === 'comm_close' && m.content.comm_id === commId) {
        off();
        resolve(m);
      }
    });
  });
  kernel.send('shell', 'comm_open', { comm_id: commId, target_name: 'streamlab.chart', data: { chartId: 'no-such-chart' } });
  assert.deepEqual(await comm.next(), { type: 'gone' });
  assert.match(String((await closed).content.data.reason), /not running in this kernel/);
  comm.stop();
});

test('bad %plot input is one line: a field that is not numeric, an unknown kind, a missing topic', async () => {
  const e1 = errorOf(await kernel.execute('%plot readings --kind pie'));
  assert.equal(e1.ename, 'UsageError');
  assert.match(e1.evalue, /^%plot: bad --kind 'pie': use one of line, scatter, bar, hist/);
  const e2 = errorOf(await kernel.execute('%plot no-such-topic-here --as ghost'));
  assert.equal(e2.traceback.length, 1, 'one line');
  assert.match(e2.evalue, /no-such-topic-here/);
  // A text field as y: the records the stream holds show it, so the cell fails in one line rather than draw nothing.
  const e3 = errorOf(await kernel.execute('%plot readings --y sensor --as words'));
  assert.equal(e3.traceback.length, 1, 'one line');
  assert.match(e3.evalue, /^chart 'words': no record has a numeric 'sensor' \(y\) among the \d+ records looked at: it holds text such as "sensor-\d+"; fields seen: sensor, time, value/);
  assert.equal(errorOf(await kernel.execute('words')).ename, 'TypeScriptError', 'nothing was bound');
});
