import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { brokerStatePath } from '../src/config';
import { ConnectionOptions, TopicSource } from '../src/kafka';
import { StreamRecord, JsonValue } from '../src/record';
import { SensorGenerator, SensorReading, readTimeSeriesCsv, nabAnomalyWindows, replayDelays } from '../src/demo';
import { describeWithoutBroker, produceRaw, startBroker, TestBroker, uniqueTopic } from './support/broker';

const NAB = path.join(__dirname, '..', '..', 'test', 'data', 'nab');
const CLI = path.join(__dirname, '..', 'cli', 'main.js');
const T0 = Date.parse('2026-05-01T00:00:00Z');

function generate(n: number, options: ConstructorParameters<typeof SensorGenerator>[0] = {}) {
  const g = new SensorGenerator({ startTime: T0, ...options });
  return { g, records: Array.from({ length: n }, () => g.next()) };
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

async function readTopic(connection: ConnectionOptions, topic: string, timeField?: string) {
  const source = new TopicSource({ topic, from: 'earliest', connection, timeField, untilEnd: true, deadLetterLimit: 100_000 });
  const reader = source.reader();
  await source.start();
  const records: StreamRecord<JsonValue>[] = [];
  for await (const r of reader) records.push(r);
  return { records, source };
}

describeWithoutBroker('sensor generator', () => {
  test('a seed fixes the stream; another seed changes it', () => {
    const a = generate(2000, { seed: 7 }).records;
    assert.deepEqual(generate(2000, { seed: 7 }).records, a);
    assert.notDeepEqual(generate(2000, { seed: 8 }).records, a);
  });

  test('stats count exactly what was emitted: readings, malformed records, late records and labelled anomalies', () => {
    const { g, records } = generate(50_000, { sensors: 5, ratePerSecond: 100, anomalyShare: 0.01, outOfOrderShare: 0.05, malformedShare: 0.01 });
    const counted = { undecodable: 0, missingTime: 0, outOfOrder: 0, readings: 0, spike: 0, drift: 0, stuck: 0 };
    for (const r of records) {
      let v: Partial<SensorReading>;
      try {
        v = JSON.parse(r.value) as Partial<SensorReading>;
      } catch {
        counted.undecodable++;
        continue;
      }
      if (v.time === undefined) {
        counted.missingTime++;
        continue;
      }
      counted.readings++;
      assert.equal(r.key, v.sensor);
      if (v.time < r.timestamp) counted.outOfOrder++;
      if (v.anomaly) counted[v.anomaly]++;
    }
    assert.equal(g.stats.records, 50_000);
    assert.deepEqual(
      counted,
      { ...g.stats.anomalies, undecodable: g.stats.undecodable, missingTime: g.stats.missingTime, outOfOrder: g.stats.outOfOrder, readings: g.stats.readings },
    );
    // Shares land near what was asked for, and every anomaly kind shows up.
    assert.ok(Math.abs(g.stats.undecodable + g.stats.missingTime - 500) < 100, `malformed ${g.stats.undecodable + g.stats.missingTime}`);
    assert.ok(Math.abs(g.stats.outOfOrder - 0.05 * 49_500) < 250, `out of order ${g.stats.outOfOrder}`);
    for (const kind of ['spike', 'drift', 'stuck'] as const) assert.ok(g.stats.anomalies[kind] > 0, `${kind} injected`);
    assert.deepEqual(g.sensorNames, ['sensor-0', 'sensor-1', 'sensor-2', 'sensor-3', 'sensor-4']);
  });

  test('anomalies look like their labels: spikes stand out, stuck sensors repeat, normal readings stay near baseline', () => {
    const { records } = generate(40_000, { sensors: 4, anomalyShare: 0.01, malformedShare: 0, outOfOrderShare: 0 });
    const bySensor = new Map<string, SensorReading[]>();
    for (const r of records) {
      const v = JSON.parse(r.value) as SensorReading;
      bySensor.set(v.sensor, [...(bySensor.get(v.sensor) ?? []), v]);
    }
    for (const [sensor, readings] of bySensor) {
      const normal = readings.filter((r) => r.anomaly === null).map((r) => r.value);
      const mean = normal.reduce((a, b) => a + b, 0) / normal.length;
      const sd = Math.sqrt(normal.reduce((a, b) => a + (b - mean) ** 2, 0) / normal.length);
      assert.ok(sd < 2, `${sensor}: normal readings are tight (sd ${sd})`);
      for (const r of readings.filter((x) => x.anomaly === 'spike')) assert.ok(Math.abs(r.value - mean) > 3 * sd, `${sensor} spike ${r.value} vs ${mean}`);
      for (let i = 1; i < readings.length; i++) {
        if (readings[i]!.anomaly === 'stuck' && readings[i - 1]!.anomaly === 'stuck') assert.equal(readings[i]!.value, readings[i - 1]!.value);
      }
    }
  });

  test('bad options fail with one line', () => {
    assert.throws(() => new SensorGenerator({ sensors: 0 }), /^StreamlabError: sensors must be an integer from 1 to 100000, got 0$/);
    assert.throws(() => new SensorGenerator({ malformedShare: 2 }), /malformedShare must be between 0 and 1, got 2/);
    assert.throws(() => new SensorGenerator({ ratePerSecond: -5 }), /ratePerSecond must be positive/);
  });
});

describeWithoutBroker('CSV replay', () => {
  test('a NAB series reads in full, in UTC, with its labelled anomaly windows', () => {
    const file = path.join(NAB, 'machine_temperature_system_failure.csv');
    const csv = readTimeSeriesCsv(file);
    assert.equal(csv.timeColumn, 'timestamp');
    assert.deepEqual(csv.valueColumns, ['value']);
    assert.equal(csv.rows.length, fs.readFileSync(file, 'utf8').trim().split('\n').length - 1);
    assert.deepEqual(csv.rejected, []);
    assert.equal(csv.rows[0]!.time, Date.UTC(2013, 11, 2, 21, 15));
    assert.equal(csv.rows[0]!.values.value, 73.96732207);
    const windows = nabAnomalyWindows(path.join(NAB, 'combined_windows.json'), file);
    assert.equal(windows.length, 4);
    assert.deepEqual(windows[0], [Date.UTC(2013, 11, 10, 6, 25), Date.UTC(2013, 11, 12, 5, 35)]);
  });

  test('a speed-up divides the series gaps; max sends without waiting', () => {
    const rows = readTimeSeriesCsv(path.join(NAB, 'nyc_taxi.csv')).rows.slice(0, 4);
    assert.deepEqual(replayDelays(rows, 3600), [0, 500, 500, 500]);
    assert.deepEqual(replayDelays(rows, Infinity), [0, 0, 0, 0]);
    assert.throws(() => replayDelays(rows, 0), /speed-up must be positive/);
  });

  test('unreadable rows are reported with their line numbers, and the rest is kept', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-csv-'));
    const file = path.join(dir, 'bad.csv');
    fs.writeFileSync(file, 'timestamp,value\n2020-01-01 00:00:00,1\nyesterday,2\n2020-01-01 00:10:00,abc\n2020-01-01 00:15:00\n2020-01-01 00:20:00,5\n');
    const csv = readTimeSeriesCsv(file);
    assert.deepEqual(csv.rows.map((r) => [r.line, r.values.value]), [[2, 1], [6, 5]]);
    assert.deepEqual(csv.rejected, [
      { line: 3, error: "cannot read 'yesterday' as a time" },
      { line: 4, error: "column 'value' is not a number: 'abc'" },
      { line: 5, error: 'expected 2 fields, got 1' },
    ]);
    assert.throws(() => readTimeSeriesCsv(path.join(dir, 'missing.csv')), /^StreamlabError: cannot read CSV file .*missing.csv \(ENOENT\): check the path$/);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('through the broker', () => {
  let broker: TestBroker;
  before(async () => {
    // Recorded in the state file (the test runner gives each run its own state dir), as `streamlab broker` does.
    ({ broker } = await startBroker({ writeState: true }));
  });
  after(async () => {
    await broker.stop();
  });

  test('every generated reading arrives; every malformed record is a dead letter of the right kind', async () => {
    const topic = uniqueTopic('sensors');
    await broker.createTopic(topic, 4);
    const { g, records } = generate(20_000, { sensors: 16, malformedShare: 0.01, outOfOrderShare: 0.05, anomalyShare: 0.005 });
    await produceRaw(broker.connection, topic, records);
    const { records: got, source } = await readTopic(broker.connection, topic, 'time');
    assert.equal(got.length, g.stats.readings);
    assert.deepEqual(source.metrics().deadLettersByReason, { undecodable: g.stats.undecodable, 'missing-time': g.stats.missingTime });
    assert.deepEqual(
      got.map((r) => r.value.seq as number).sort((a, b) => a - b),
      records.flatMap((r, seq) => (readingOf(r.value) ? [seq] : [])),
    );
    const late = got.filter((r) => r.time < r.timestamp).length;
    assert.equal(late, g.stats.outOfOrder, 'event time comes from the time field, Kafka time from the send time');
  });

  test('`streamlab produce csv` replays a NAB series with its own timestamps and labels, finding the broker by itself', async () => {
    const topic = uniqueTopic('nab');
    const file = path.join(NAB, 'ec2_request_latency_system_failure.csv');
    const run = await cli(['produce', 'csv', file, '--topic', topic, '--speedup', 'max', '--labels', path.join(NAB, 'combined_windows.json'), '--partitions', '2']);
    assert.equal(run.code, 0, run.stderr);
    const csv = readTimeSeriesCsv(file);
    assert.match(run.stderr, new RegExp(`^replayed ${csv.rows.length} rows of .* to ${topic}\\n$`));
    const { records } = await readTopic(broker.connection, topic);
    assert.equal(records.length, csv.rows.length);
    records.sort((a, b) => a.timestamp - b.timestamp);
    assert.deepEqual(records.map((r) => r.timestamp), csv.rows.map((r) => r.time));
    assert.deepEqual(records.map((r) => r.value.value), csv.rows.map((r) => r.values.value));
    const windows = nabAnomalyWindows(path.join(NAB, 'combined_windows.json'), file);
    const inWindow = records.filter((r) => r.value.anomalyWindow === true);
    assert.ok(inWindow.length > 0);
    assert.equal(inWindow.length, csv.rows.filter((r) => windows.some(([s, e]) => r.time >= s && r.time <= e)).length);
    assert.ok(records.every((r) => r.key === 'ec2_request_latency_system_failure'));
  });

  test('`streamlab produce sensors --count` writes exactly that many records', async () => {
    const topic = uniqueTopic('cli-sensors');
    const run = await cli(['produce', 'sensors', '--topic', topic, '--count', '3000', '--rate', 'max', '--sensors', '3']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, `produced 3000 sensor records to ${topic}\n`);
    const { records, source } = await readTopic(broker.connection, topic, 'time');
    assert.equal(records.length + source.deadLetters.total, 3000);
  });
});

describeWithoutBroker('the main job', () => {
  test('`streamlab demo` starts its own broker, streams sensors, summarises live and accounts for every record', async () => {
    assert.equal(fs.existsSync(brokerStatePath()), false, 'no broker is recorded, so the demo starts its own');
    const run = await cli(['demo', '--seconds', '8', '--rate', '3000']);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.match(lines[0]!, /^embedded broker at 127\.0\.0\.1:\d+$/);
    const summaries = lines.filter((l) => /^sensors \[running\] \| \d+ records \| [\d.k]+ rec\/s/.test(l));
    assert.ok(summaries.length >= 2, `a live summary each second:\n${run.stdout}`);
    const done = /^done: produced (\d+), consumed (\d+) good records and (\d+) dead letters$/m.exec(run.stdout);
    assert.ok(done, run.stdout);
    const [produced, good, dead] = done.slice(1).map(Number) as [number, number, number];
    assert.ok(produced > 3000, `produced ${produced}`);
    assert.equal(good + dead, produced, 'nothing lost, nothing counted twice');
    assert.ok(dead > 0, 'the generator sends some malformed records');
    assert.match(run.stdout, /dead letter sensors\/\d+@\d+ (undecodable|missing-time): /);
    assert.match(run.stdout, /^ {2}window ending \d\d:\d\d:\d\d: \d+ readings from \d+ sensors; largest excursion sensor-\d+ max [\d.]+ \([\d.]+ above its mean\)$/m);
    const windows = /^windows: (\d+) closed, (\d+) still open, (\d+) late records kept aside$/m.exec(run.stdout);
    assert.ok(windows && Number(windows[1]) > 0, run.stdout);
    assert.equal(fs.existsSync(brokerStatePath()), false, 'the demo removed its broker record');
  });
});

/** The reading in a generated value, or undefined for a malformed one (broken JSON or no time). */
function readingOf(text: string): SensorReading | undefined {
  try {
    const v = JSON.parse(text) as Partial<SensorReading>;
    return v.time === undefined ? undefined : (v as SensorReading);
  } catch {
    return undefined;
  }
}
