/**
 * Every magic through the real kernel, over ZeroMQ, against a real broker: the happy path of each, its error
 * path, the typed variables they bind, and completion and inspection of magic lines.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KernelProcess } from './support/kernelClient';
import { startStreamlabKernel, messagesOfType, errorOf, resultData, collectComm } from './support/streamlabKernel';
import { produceRaw, sleep, startBroker, TestBroker, uniqueTopic } from './support/broker';
import { SensorGenerator, TopicSink } from '../src';

let broker: TestBroker;
let kernel: KernelProcess;
let topic: string;
const T0 = Date.parse('2026-06-01T00:00:00Z');

before(async () => {
  ({ broker } = await startBroker({ writeState: true }));
  topic = uniqueTopic('readings');
  await broker.createTopic(topic, 2);
  await produceRaw(
    broker.connection,
    topic,
    Array.from({ length: 40 }, (_, i) => ({ key: `s${i % 4}`, value: JSON.stringify({ sensor: `s${i % 4}`, time: T0 + i * 1000, value: i }), partition: i % 2, timestamp: T0 + i * 1000 })),
  );
  kernel = await startStreamlabKernel();
});
after(async () => {
  if (!kernel.hasExited) await kernel.shutdown();
  await broker.stop();
});

const html = (r: Awaited<ReturnType<KernelProcess['execute']>>) => String(resultData(r)['text/html']);

async function ok(code: string) {
  const r = await kernel.execute(code);
  assert.equal(r.reply.content.status, 'ok', `${code}\n${JSON.stringify(messagesOfType(r.iopub, 'error').map((m) => m.content.evalue))}`);
  return r;
}

describe('magics, happy paths', () => {
  test('%connect with no arguments finds the running broker', async () => {
    const r = await ok('%connect');
    assert.match(String(resultData(r)['text/plain']), new RegExp(`^'connected to brokers 127\\.0\\.0\\.1:\\d+ \\(from ${broker.origin}\\)'$`));
  });

  test('%topics is a table of partitions, message counts, detected formats and offsets', async () => {
    const table = html(await ok('%topics'));
    assert.match(table, new RegExp(`<td>${topic}</td><td>2</td><td>40</td><td>json</td><td></td><td>0:0-20 1:0-20</td>`));
  });

  test('%peek shows the newest records as a DataFrame, and --as binds it', async () => {
    const table = html(await ok(`%peek ${topic} -n 5`));
    assert.match(table, /5 rows × \d+ columns/);
    for (const v of [35, 36, 37, 38, 39]) assert.match(table, new RegExp(`<td>${v}</td>`), `value ${v} is among the newest`);
    assert.doesNotMatch(table, /<td>34<\/td>/);
    await ok(`%peek ${topic} -n 3 --as newest`);
    assert.deepEqual(resultData(await ok('newest.shape[0]')), { 'text/plain': '3' });
  });

  test('%consume binds a typed stream variable that later cells use, and a wrong use is a type error', async () => {
    await ok(`%consume ${topic} --as readings --from earliest --time-field time`);
    let records = 0;
    for (let i = 0; i < 50 && records < 40; i++) {
      records = Number(resultData(await ok('readings.metrics().records'))['text/plain']);
      if (records < 40) await sleep(200);
    }
    assert.equal(records, 40);
    assert.deepEqual(resultData(await ok('Math.max(...readings.latest(100).map((r) => r.time))')), { 'text/plain': String(T0 + 39_000) });
    const e = errorOf(await kernel.execute('const wrong: number = readings;'));
    assert.equal(e.ename, 'TypeScriptError');
    assert.match(e.evalue, /^1:7 - Type 'TopicSource<JsonValue>' is not assignable to type 'number'\./);
  });

  test('%window on a topic windows it from its first record: closed windows, open windows, exact aggregates', async () => {
    await ok(`%window ${topic} --from earliest --time-field time --tumbling 10s --by sensor --agg mean(value),max(value),count --as perSensor`);
    let seen = 0;
    for (let i = 0; i < 50 && seen < 40; i++) {
      seen = Number(resultData(await ok('perSensor.metrics().records'))['text/plain']);
      if (seen < 40) await sleep(200);
    }
    assert.equal(seen, 40);
    // Records i = 0..39 at T0 + i s, sensor s(i % 4), value i: windows [0,10) [10,20) [20,30) are closed, [30,40) open.
    const closed = JSON.parse(String(resultData(await ok('JSON.stringify(perSensor.closedRows())'))['text/plain']).slice(1, -1)) as Record<string, number | string>[];
    assert.equal(closed.length, 12);
    const first = closed.find((r) => r.sensor === 's0' && r.windowStart === T0)!;
    assert.deepEqual(first, { sensor: 's0', windowStart: T0, windowEnd: T0 + 10_000, mean_value: 4, max_value: 8, count: 3, invalid_value: 0 });
    const table = html(await ok('perSensor.closed()'));
    assert.match(table, /12 rows × 7 columns/);
    assert.equal(Number(resultData(await ok('perSensor.open().shape[0]'))['text/plain']), 4);
    assert.match(html(await ok('%streams')), /<td>perSensor<\/td><td>window<\/td>/);
    await ok('%stop perSensor');
    assert.doesNotMatch(html(await ok('%streams')), /perSensor/, 'the window and its own consumer are gone');
  });

  test('%window on a running stream takes its records from then on, and says its first window is partial', async () => {
    await ok('%window readings --tumbling 10s --agg count,sum(value) --as live10');
    // It joins mid-window: its first record (45 s) is half way through [40 s, 50 s).
    await produceRaw(broker.connection, topic, [45, 46, 47].map((i) => ({ value: JSON.stringify({ sensor: 's0', time: T0 + i * 1000, value: i }), partition: 0, timestamp: T0 + i * 1000 })));
    let rows: Record<string, number>[] = [];
    for (let i = 0; i < 50 && rows[0]?.count !== 3; i++) {
      rows = JSON.parse(String(resultData(await ok('JSON.stringify(live10.openRows())'))['text/plain']).slice(1, -1)) as Record<string, number>[];
      if (rows[0]?.count !== 3) await sleep(200);
    }
    assert.deepEqual(rows, [{ windowStart: T0 + 40_000, windowEnd: T0 + 50_000, count: 3, sum_value: 138, invalid_value: 0 }]);
    await produceRaw(broker.connection, topic, [52, 75].map((i) => ({ value: JSON.stringify({ sensor: 's0', time: T0 + i * 1000, value: i }), partition: 0, timestamp: T0 + i * 1000 })));
    for (let i = 0; i < 50 && Number(resultData(await ok('live10.closedRows().length'))['text/plain']) < 2; i++) await sleep(200);
    // The table a user watches says which windows began before the first record it read.
    const shown = await ok('live10.show(); undefined');
    const table = messagesOfType(shown.iopub, 'display_data').map((m) => String(m.content.data['text/html'])).join('\n');
    assert.match(table, /windows starting before 2026-06-01T00:00:45Z are partial: they began before the first record this window read \(it joined a stream under way\)/);
    await ok('%stop live10');
  });

  test('%streams lists running streams with their rates, lag and errors', async () => {
    const table = html(await ok('%streams'));
    assert.match(table, /<th>name<\/th><th>kind<\/th><th>reads<\/th><th>state<\/th><th>records<\/th><th>records\/s<\/th><th>lag<\/th><th>set aside<\/th><th>late<\/th><th>errors<\/th><th>memory<\/th><th>last error<\/th>/);
    assert.match(table, new RegExp(`<td>readings</td><td>consume</td><td>${topic}</td><td>running</td><td>45</td>`));
  });

  test('%pause, %resume and %stop act on a stream by name', async () => {
    await ok('%pause readings');
    assert.deepEqual(resultData(await ok('readings.state')), { 'text/plain': "'paused'" });
    await ok('%resume readings');
    assert.deepEqual(resultData(await ok('readings.state')), { 'text/plain': "'running'" });
    // What reads from it stops with it, and says so: a window of it, a chart of that window.
    await ok('%window readings --tumbling 10s --agg count --as fedWindow');
    await ok('%plot fedWindow --y count --as fedChart');
    const stopped = String(resultData(await ok('%stop readings'))['text/plain']);
    assert.match(stopped, /^stopped readings \(consume: [\d,]+ records\), and what it fed: fedWindow \(window: .*\), fedChart \(chart: .*\)$/);
    assert.deepEqual(resultData(await ok('readings.state')), { 'text/plain': "'stopped'" });
    assert.doesNotMatch(html(await ok('%streams')), /<td>(readings|fedWindow|fedChart)<\/td>/);
    // Their names are free again: the cells run again once the stream is back.
    await ok(`%consume ${topic} --from earliest --as readings`);
    await ok('%window readings --tumbling 10s --agg count --as fedWindow');
    await ok('%stop readings');
  });

  test('%%produce writes the rows a cell computes; %produce --from writes a variable', async () => {
    const out = uniqueTopic('alerts');
    await ok(`%%produce ${out} --key sensor --create --partitions 1\n[1, 2, 3].map((i) => ({ sensor: 's' + i, level: i * 10 }))`);
    await ok(`const more = [{ sensor: 's9', level: 90 }];\n%produce ${out} --from more --key sensor`);
    const table = html(await ok(`%peek ${out} -n 10`));
    assert.match(table, /4 rows/);
    for (const level of [10, 20, 30, 90]) assert.match(table, new RegExp(`<td>${level}</td>`));
    assert.match(table, /<td>s9<\/td>/);
  });

  test('%help lists the magics, %consume? and %help consume show usage with examples', async () => {
    // Help goes to the pager: an execute_reply payload, as IPython's `?` does.
    const page = (r: Awaited<ReturnType<KernelProcess['execute']>>) => {
      const payload = r.reply.content.payload as { source: string; data: Record<string, string> }[];
      assert.equal(payload.length, 1);
      assert.equal(payload[0]!.source, 'page');
      return payload[0]!.data['text/plain'] ?? '';
    };
    const list = page(await ok('%help'));
    for (const name of ['%connect', '%topics', '%peek', '%consume', '%produce', '%streams', '%stop', '%pause', '%resume']) assert.ok(list.includes(name), `${name} listed`);
    for (const code of ['%consume?', '%help consume']) {
      const text = page(await ok(code));
      assert.match(text, /^%consume TOPIC \[--as NAME\]/);
      assert.match(text, /--time-field/);
    }
  });

  test('--explain shows the TypeScript a magic runs, without running it', async () => {
    const r = await ok(`%consume ${topic} --as explained --from earliest --explain`);
    const shown = messagesOfType(r.iopub, 'display_data')[0]!.content.data['text/plain'];
    assert.equal(shown, `const explained = await streamlab.session.consume({ topic: "${topic}", name: "explained", from: "earliest" });`);
    assert.doesNotMatch(html(await ok('%streams')), /explained/, 'nothing was started');
  });
});

describe('a model of several sensors', () => {
  test('%train --by sensor keeps its threshold\'s promise on the live topic; the same features across sensors flag far more', async () => {
    // The demo feed, as the issue tried it: 8 sensors keyed to 4 partitions, so a live batch holds a few sensors'
    // records in offset order while history is sorted by time across all of them.
    const sensors = uniqueTopic('sensors');
    await broker.createTopic(sensors, 4);
    const generator = new SensorGenerator({ sensors: 8, ratePerSecond: 400, seed: 7, startTime: T0 });
    const records = Array.from({ length: 8000 }, () => generator.next());
    await produceRaw(broker.connection, sensors, records);
    const good = records.filter((r) => {
      try {
        const v = JSON.parse(r.value) as { time?: unknown; value?: unknown };
        return typeof v.time === 'number' && typeof v.value === 'number';
      } catch {
        return false;
      }
    }).length;
    const flaggedShare = async (by: string, name: string) => {
      await ok(`%train ${sensors} --columns value --lags 4 --deltas${by} --percentile 99.5 --epochs 8 --seed 1 --time-field time --as ${name}`);
      await ok(`%score ${sensors} --model ${name} --from earliest --time-field time --as ${name}Scores`);
      // A scorer plots as its score line, the threshold line and markers on flagged rows.
      await ok(`%plot ${name}Scores --as ${name}Chart`);
      const m = JSON.parse(String(resultData(await ok(`const m = await ${name}Scores.until(${good}); JSON.stringify({ scored: m.scored, flagged: m.flagged })`))['text/plain']).replace(/^'|'$/g, '')) as { scored: number; flagged: number };
      const traces = JSON.parse(String(resultData(await ok(`JSON.stringify({ series: ${name}Chart.snapshot().series.map((t) => [t.name, t.y.length > 0]), markers: ${name}Chart.snapshot().markers.map((t) => t.x.length) })`))['text/plain']).replace(/^'|'$/g, '')) as { series: [string, boolean][]; markers: number[] };
      assert.deepEqual(traces.series, [['score', true], ['threshold', true]]);
      await ok(`%stop ${name}Chart`);
      await ok(`%stop ${name}Scores`);
      return m;
    };
    const perKey = await flaggedShare(' --by sensor', 'd4');
    const summary = String(resultData(await ok('d4'))['text/plain']);
    assert.match(summary, /features\s+value, value_lag1, value_lag2, value_lag3, value_lag4, value_delta \(within each 'sensor'\)/);
    const across = await flaggedShare('', 'd0');
    assert.match(String(resultData(await ok('d0'))['text/plain']), /note\s+the rows interleave values of 'sensor', and the lags, deltas and rolling statistics run across them; to take them within each one, pass by: 'sensor' \(%train --by sensor\)/);
    const share = perKey.flagged / perKey.scored;
    const acrossShare = across.flagged / across.scored;
    console.log(`per key: ${perKey.flagged} of ${perKey.scored} flagged (${(share * 100).toFixed(2)} %); across sensors: ${across.flagged} of ${across.scored} (${(acrossShare * 100).toFixed(2)} %)`);
    // The promise is 0.5 % of rows like the training rows; the feed's labelled anomalies add about 1 %.
    assert.ok(perKey.scored > good * 0.95, `${perKey.scored} of ${good} scored`);
    assert.ok(share <= 0.025, `per key ${(share * 100).toFixed(2)} % flagged`);
    assert.ok(acrossShare > 4 * share, `across sensors ${(acrossShare * 100).toFixed(2)} %, per key ${(share * 100).toFixed(2)} %`);
  });
});

describe('training as a stream', () => {
  test('the stop button ends %train at its next batch: the cell finishes with the best model so far bound, and while it ran it was a stream', async () => {
    const long = uniqueTopic('long');
    await broker.createTopic(long, 1);
    await produceRaw(broker.connection, long, Array.from({ length: 4000 }, (_, i) => ({ value: JSON.stringify({ time: T0 + i * 1000, value: Math.sin(i / 20) + (i % 7) / 10 }), timestamp: T0 + i * 1000 })));
    const running = kernel.execute(`%train ${long} --columns value --lags 3 --epochs 500 --patience 0 --time-field time --as longRun`, { timeoutMs: 120_000 });
    // The panel's comm lists it while it trains.
    const commId = `train-${Date.now()}`;
    const comm = collectComm(kernel, commId);
    kernel.send('shell', 'comm_open', { comm_id: commId, target_name: 'streamlab.streams', data: {} });
    let listed: { name: string; kind: string; records: number }[] = [];
    // Its records are the epochs done: interrupted once it trains (an interrupt while it loads stops the load).
    for (let i = 0; i < 300 && !listed.some((s) => s.name === 'longRun' && s.records >= 2); i++) {
      await sleep(200);
      kernel.send('shell', 'comm_msg', { comm_id: commId, data: { request: 'list' } });
      listed = (await comm.next()).streams as { name: string; kind: string; records: number }[];
    }
    assert.deepEqual(listed.find((s) => s.name === 'longRun')?.kind, 'train');
    await kernel.interrupt();
    const r = await running;
    assert.equal(r.reply.content.status, 'ok', JSON.stringify(r.reply.content));
    const summary = JSON.parse(String(resultData(await ok('JSON.stringify({ interrupted: longRun.summary.interrupted, epochs: longRun.summary.epochs, threshold: longRun.model.threshold })'))['text/plain']).replace(/^'|'$/g, '')) as { interrupted: boolean; epochs: number; threshold: number };
    assert.equal(summary.interrupted, true);
    assert.ok(summary.epochs >= 1 && summary.epochs < 500, `${summary.epochs} epochs`);
    assert.ok(Number.isFinite(summary.threshold));
    assert.match(messagesOfType(r.iopub, 'display_data').map((m) => String(m.content.data['text/plain'])).join('\n'), /epochs\s+\d+ \(interrupted\)/);
    // It is a stream no more, and its CPU is free: the next cell runs at once.
    assert.doesNotMatch(html(await ok('%streams')), /longRun/);
    kernel.send('shell', 'comm_close', { comm_id: commId, data: {} });
    comm.stop();
  });
  test('a live stream keeps consuming while %train learns: the network trains on a worker thread', async () => {
    const hist = uniqueTopic('hist');
    const live = uniqueTopic('live');
    await broker.createTopic(hist, 2);
    await broker.createTopic(live, 1);
    await produceRaw(broker.connection, hist, Array.from({ length: 20_000 }, (_, i) => ({ value: JSON.stringify({ time: T0 + i * 1000, value: Math.sin(i / 20) + (i % 7) / 10 }), partition: i % 2, timestamp: T0 + i * 1000 })));
    await ok(`%consume ${live} --as liveFeed`);
    // A feed beside the kernel, as the demo feed runs: 20 records every 100 ms.
    const sink = await TopicSink.open({ topic: live, connection: broker.connection });
    let sent = 0;
    const feeding = setInterval(() => {
      void sink.write(Array.from({ length: 20 }, () => ({ time: Date.now(), value: sent++ }))).then(() => sink.flush());
    }, 100);
    const commId = `beside-${Date.now()}`;
    const comm = collectComm(kernel, commId);
    try {
      const training = kernel.execute(`%train ${hist} --columns value --lags 3 --epochs 12 --patience 0 --time-field time --as besideModel`, { timeoutMs: 180_000 });
      let finished = false;
      void training.then(() => (finished = true));
      kernel.send('shell', 'comm_open', { comm_id: commId, target_name: 'streamlab.streams', data: {} });
      // What the panel sees while the network learns (epochs counted as the training stream's records).
      const seen: { epochs: number; consumed: number; sent: number }[] = [];
      while (!finished) {
        await sleep(250);
        kernel.send('shell', 'comm_msg', { comm_id: commId, data: { request: 'list' } });
        const streams = (await comm.next()).streams as { name: string; kind: string; records: number }[];
        const train = streams.find((s) => s.kind === 'train');
        if (train && train.records >= 1) seen.push({ epochs: train.records, consumed: streams.find((s) => s.name === 'liveFeed')?.records ?? 0, sent });
      }
      const r = await training;
      assert.equal(r.reply.content.status, 'ok', JSON.stringify(r.reply.content));
      // Between the first and the last epoch seen, the live consumer kept up with the feed: with the network on the
      // kernel's main thread it read about half of what was sent (tfjs yields between batches, not more).
      const during = seen.filter((s) => s.epochs < 12);
      assert.ok(during.length >= 3, `the panel was answered ${during.length} times during the training: ${JSON.stringify(seen)}`);
      const first = during[0]!;
      const last = during.at(-1)!;
      const fellBehind = last.sent - last.consumed - (first.sent - first.consumed);
      assert.ok(fellBehind <= 0.3 * (last.sent - first.sent), `the live consumer fell ${fellBehind} records behind while ${last.sent - first.sent} were sent during the training: ${JSON.stringify(during)}`);
      assert.match(messagesOfType(r.iopub, 'display_data').map((m) => String(m.content.data['text/plain'])).join('\n'), /time\s+.*on a worker thread: live streams kept the main one/);
    } finally {
      clearInterval(feeding);
      await sink.close();
      kernel.send('shell', 'comm_close', { comm_id: commId, data: {} });
      comm.stop();
      await ok('%stop liveFeed');
    }
  });
});

describe('nested fields', () => {
  test('dotted paths key windows, chart traces and produced records', async () => {
    const devices = uniqueTopic('devices');
    await broker.createTopic(devices, 2);
    await produceRaw(
      broker.connection,
      devices,
      Array.from({ length: 60 }, (_, i) => ({ key: `d${i % 3}`, value: JSON.stringify({ device: { id: `d${i % 3}`, site: 'lab' }, reading: { value: i % 3 === 0 ? 10 : 20 + i }, time: T0 + i * 1000 }), timestamp: T0 + i * 1000 })),
    );
    await ok(`%window ${devices} --from earliest --time-field time --tumbling 1m --by device.id --agg count,max(reading.value) --as perDevice`);
    const rows = JSON.parse(String(resultData(await ok('await perDevice.caughtUp(); JSON.stringify(perDevice.closedRows().concat(perDevice.openRows()).map((r) => [r["device.id"], r.count]).sort())'))['text/plain']).replace(/^'|'$/g, '')) as [string, number][];
    assert.deepEqual(rows, [['d0', 20], ['d1', 20], ['d2', 20]]);
    await ok(`%plot ${devices} --from earliest --time-field time --y reading.value --by device.id --as byDevice`);
    const names = String(resultData(await ok('await new Promise((r) => setTimeout(r, 1500)); byDevice.snapshot().series.map((s) => s.name).sort().join(",")'))['text/plain']);
    assert.equal(names, "'d0,d1,d2'");
    const out = uniqueTopic('devices-out');
    await ok(`%%produce ${out} --key device.id --create\n[{ device: { id: 'x1' }, reading: { value: 1 } }, { device: { id: 'x2' }, reading: { value: 2 } }]`);
    const keys = String(resultData(await ok(`(await streamlab.session.peek('${out}', 5)).column('key').values.slice().sort().join(',')`))['text/plain']);
    assert.equal(keys, "'x1,x2'");
    await ok('%stop perDevice');
    await ok('%stop byDevice');
  });
});

describe('magics, error paths', () => {
  const usageError = async (code: string, pattern: RegExp) => {
    const e = errorOf(await kernel.execute(code));
    assert.equal(e.ename, 'UsageError');
    assert.match(e.evalue, pattern);
    assert.ok(!e.evalue.includes('\n'), 'one line');
    assert.deepEqual(e.traceback, [`UsageError: ${e.evalue}`], 'no stack');
  };

  test('unknown magics and options get a "did you mean"; bad values and missing arguments get usage', async () => {
    await usageError('%consum sensors', /^unknown magic %consum \(did you mean %consume\?\)/);
    await usageError(`%consume ${topic} --form earliest`, /^%consume: unknown option --form \(did you mean --from\?\); usage: %consume TOPIC/);
    await usageError(`%consume ${topic} --from yesterday`, /^%consume: bad --from 'yesterday': use earliest, latest, committed, offset:N or time:/);
    await usageError('%peek', /^%peek: missing TOPIC; usage: %peek TOPIC/);
    await usageError(`%peek ${topic} -n many`, /^%peek: bad -n 'many'/);
    await usageError('%stop', /^%stop: missing NAME\|all; usage: %stop NAME\|all/);
    await usageError('%connect --sasl-password hunter2', /^%connect: .*password/);
  });

  test('runtime errors of magics are one clear line too', async () => {
    const unknownTopic = errorOf(await kernel.execute(`%consume ${topic.replace('readings', 'readngs')}`));
    assert.equal(unknownTopic.ename, 'StreamlabError');
    assert.match(unknownTopic.evalue, /unknown topic .*: did you mean '.*readings.*'\?$/);
    const noStream = errorOf(await kernel.execute('%stop nosuchstream'));
    assert.equal(noStream.evalue, "no stream named 'nosuchstream': no streams are running");
    const badBroker = errorOf(await kernel.execute('%connect 127.0.0.1:1'));
    assert.match(badBroker.evalue, /^connecting: cannot reach Kafka at brokers 127\.0\.0\.1:1 \(from options\) \(connection refused\)/);
    const missingSecret = errorOf(await kernel.execute('%connect 127.0.0.1:1 --sasl-mechanism plain --sasl-username me --sasl-password-env STREAMLAB_TEST_UNSET_PW'));
    assert.match(missingSecret.evalue, /STREAMLAB_TEST_UNSET_PW/);
    // The session keeps its earlier, working connection after a failed %connect.
    assert.match(html(await ok('%topics')), new RegExp(topic));
    // Hints come in the syntax the cell was written in.
    await ok(`%consume ${topic} --as twice`);
    assert.equal(errorOf(await kernel.execute(`%consume ${topic} --as twice`)).evalue, "a stream named 'twice' is already running: stop it first (%stop twice) or pick another --as name");
    assert.equal(errorOf(await kernel.execute(`await streamlab.session.consume({ topic: '${topic}', name: 'twice' })`)).evalue, "a stream named 'twice' is already running: stop it first (stop('twice')) or pick another name");
    await ok('%stop twice');
    // Writing to a topic that is not there names the option that creates it.
    assert.match(errorOf(await kernel.execute('%%produce zzqq-new-topic\n[{ value: 1 }]')).evalue, /^producing to 'zzqq-new-topic': unknown topic 'zzqq-new-topic' at .*: add --create \(or --partitions N\) to create it \(topics here: /);
    assert.match(errorOf(await kernel.execute("await streamlab.session.produce('zzqq-new-topic', [{ value: 1 }])")).evalue, /: pass createTopic: true \(or \{ partitions: N \}\) to create it \(topics here: /);
  });

  test('a field the first records do not have, or that never holds a number, fails the cell in one line and starts nothing', async () => {
    // A topic read by a window of its own: its first records are looked at.
    const typo = errorOf(await kernel.execute(`%window ${topic} --from earliest --time-field time --tumbling 10s --by sensr --agg mean(valu) --as typoWindow`));
    assert.equal(typo.ename, 'StreamlabError');
    assert.match(typo.evalue, /^window 'typoWindow': no record has the field 'sensr' \(by\) among the \d+ records looked at; fields seen: sensor, time, value; did you mean 'sensor'\?: name a field the records have; nothing was started$/);
    const agg = errorOf(await kernel.execute(`%window ${topic} --from earliest --time-field time --tumbling 10s --by sensor --agg mean(valu) --as typoWindow`));
    assert.match(agg.evalue, /^window 'typoWindow': no record has a numeric 'valu' \(mean\(valu\)\) among the \d+ records looked at; fields seen: sensor, time, value; did you mean 'value'\?/);
    // A running stream: what it holds is looked at.
    await ok(`%consume ${topic} --from earliest --time-field time --as held`);
    await ok('await held.until(40)');
    const text = errorOf(await kernel.execute('%plot held --y sensor --as textChart'));
    assert.match(text.evalue, /^chart 'textChart': no record has a numeric 'sensor' \(y\) among the \d+ records looked at: it holds text such as "s\d"; fields seen: sensor, time, value/);
    assert.doesNotMatch(html(await ok('%streams')), /typoWindow|textChart/, 'nothing was left running');
    await ok('%stop held');
  });
});

describe('magic lines in the editor', () => {
  const complete = async (code: string, cursor = code.length) => (await kernel.request('shell', 'complete_request', { code, cursor_pos: cursor })).content;

  test('completion offers magic names, options, choices and topic names', async () => {
    const names = await complete('%co');
    assert.deepEqual([...names.matches].sort(), ['%connect', '%consume']);
    assert.equal(names.cursor_start, 0);
    const topics = await complete(`%consume ${topic.slice(0, 8)}`);
    assert.ok(topics.matches.includes(topic), JSON.stringify(topics.matches));
    assert.equal(topics.cursor_start, '%consume '.length);
    assert.ok((await complete(`%consume ${topic} --fr`)).matches.includes('--from'));
    assert.deepEqual([...(await complete(`%consume ${topic} --from `)).matches].sort(), ['committed', 'earliest', 'latest']);
  });

  test('TypeScript completion still works below a magic line', async () => {
    await ok('const magicNeighbour = 1;');
    const code = `%topics\nmagicNeigh`;
    const c = await complete(code);
    assert.ok(c.matches.includes('magicNeighbour'), JSON.stringify(c.matches));
    assert.equal(c.cursor_start, code.length - 'magicNeigh'.length);
  });

  test('inspect on a magic line shows its help', async () => {
    const i = (await kernel.request('shell', 'inspect_request', { code: '%peek x', cursor_pos: 3, detail_level: 0 })).content;
    assert.equal(i.found, true);
    assert.match(i.data['text/plain'], /^%peek TOPIC/);
  });
});
