/**
 * %detect through the real kernel over ZeroMQ, against a real broker: a detector per sensor bound with --as to a
 * typed variable that a later cell reads (d.metrics()), its status line and its row in %streams, %stop, the one-line
 * error for a field no record has (with a did-you-mean, nothing left running), --explain, and completion of the
 * detector names from the registry.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { KernelProcess } from './support/kernelClient';
import { startStreamlabKernel, messagesOfType, errorOf, resultData } from './support/streamlabKernel';
import { produceRaw, sleep, startBroker, TestBroker, uniqueTopic } from './support/broker';
import { DETECTORS, createDetector } from '../src';

let broker: TestBroker;
let kernel: KernelProcess;
let sensors: string;
const T0 = Date.parse('2026-06-01T00:00:00Z');
const STEPS = createDetector().warmupRows + 100;
const SPIKE = STEPS - 40;

before(async () => {
  ({ broker } = await startBroker({ writeState: true }));
  sensors = uniqueTopic('kernel-detect');
  await broker.createTopic(sensors, 3);
  const records = [];
  for (let step = 0; step < STEPS; step++) {
    for (let k = 0; k < 3; k++) {
      const value = k === 0 && step === SPIKE ? 5000 : 20 + k + 3 * Math.sin(step / 5 + k) + ((step * 131 + k) % 7) / 7;
      records.push({ key: `s${k}`, value: JSON.stringify({ sensor: `s${k}`, value, time: T0 + step * 1000 }), partition: k, timestamp: T0 + step * 1000 });
    }
  }
  await produceRaw(broker.connection, sensors, records);
  kernel = await startStreamlabKernel();
});
after(async () => {
  if (!kernel.hasExited) await kernel.shutdown();
  await broker.stop();
});

const html = (r: Awaited<ReturnType<KernelProcess['execute']>>) => String(resultData(r)['text/html']);
const displayed = (r: Awaited<ReturnType<KernelProcess['execute']>>) =>
  [...messagesOfType(r.iopub, 'display_data'), ...messagesOfType(r.iopub, 'update_display_data')].map((m) => String((m.content.data as Record<string, unknown>)['text/plain'] ?? '')).join('\n');

async function ok(code: string) {
  const r = await kernel.execute(code);
  assert.equal(r.reply.content.status, 'ok', `${code}\n${JSON.stringify(messagesOfType(r.iopub, 'error').map((m) => m.content.evalue))}`);
  return r;
}

async function value(code: string): Promise<string> {
  return String(resultData(await ok(code))['text/plain']);
}

async function eventually(code: string, expected: string, what: string): Promise<void> {
  let last = '';
  for (let i = 0; i < 150; i++) {
    last = await value(code);
    if (last === expected) return;
    await sleep(200);
  }
  assert.fail(`${what}: ${code} gave ${last}, expected ${expected}`);
}

test('%detect --as d binds a typed detector; a later cell reads d.metrics(); %streams lists it and %stop ends it', async () => {
  await ok('%connect');
  const started = await ok(`%detect ${sensors} --y value --by sensor --max-keys 100 --from earliest --time-field time --as d`);
  const line = displayed(started);
  const name = Object.keys(DETECTORS)[0];
  assert.match(line, new RegExp(`detecting anomalies in value per sensor with ${name} \\(warm-up ${createDetector().warmupRows} rows per key\\) in topic '${sensors}' · \\d+ keys? · \\d+ flagged · \\d+ keys dropped`), 'the status line: keys, flagged, keys dropped');
  await eventually('d.metrics().records', String(3 * STEPS), 'every record detected');
  assert.equal(await value('d.metrics().keys'), '3');
  assert.equal(await value('d.metrics().keysDropped'), '0');
  assert.equal(await value('d.metrics().flagged'), '1');
  assert.equal(await value('JSON.stringify(d.flaggedRows().map((r) => [r.sensor, r.value, r.isAnomaly, typeof r.reason]))'), `'[["s0",5000,true,"string"]]'`);
  // A typed variable: a wrong use is a type error.
  const e = errorOf(await kernel.execute('const n: number = d;'));
  assert.equal(e.ename, 'TypeScriptError');
  const streams = html(await ok('%streams'));
  assert.match(streams, /<td>d<\/td><td>detect<\/td>/);
  await ok('%stop d');
  assert.doesNotMatch(html(await ok('%streams')), /<td>d<\/td>/);
});

test('%detect: a field no record has is a one-line error with a did-you-mean, and nothing is left running; --explain; completion', async () => {
  const typo = errorOf(await kernel.execute(`%detect ${sensors} --y valu --by sensor --from earliest --as bad`));
  assert.equal(typo.ename, 'StreamlabError');
  assert.match(typo.evalue, /^detect 'bad': no record has a numeric 'valu' \(y\) among .*; did you mean 'value'\?: name a field the records have; nothing was started$/);
  assert.ok(!typo.evalue.includes('\n'));
  const noY = errorOf(await kernel.execute(`%detect ${sensors} --by sensor`));
  assert.match(noY.evalue, /^%detect: missing --y FIELD/);
  assert.doesNotMatch(html(await ok('%streams')), /bad/);
  const r = await ok(`%detect ${sensors} --y value --by sensor --detector ${Object.keys(DETECTORS)[0]} --to flagged --as explained --explain`);
  const shown = messagesOfType(r.iopub, 'display_data')[0]!.content.data['text/plain'];
  assert.equal(shown, `const explained = await streamlab.session.detect("${sensors}", { y: "value", by: "sensor", detector: "${Object.keys(DETECTORS)[0]}", toTopic: "flagged", name: "explained" });`);
  const code = `%detect ${sensors} --y value --detector `;
  const c = (await kernel.request('shell', 'complete_request', { code, cursor_pos: code.length })).content;
  assert.deepEqual(c.matches, Object.keys(DETECTORS));
});
