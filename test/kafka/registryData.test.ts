/**
 * Schema'd topics as real clusters have them: a real Kafka 4.4 and a real Schema Registry (Apicurio 3.3.3, Confluent's
 * API), records written by Confluent's own Python clients (confluent-kafka's Avro, Protobuf and JSON Schema
 * serializers), read by streamlab field for field: logical types, two versions of one subject in one topic, schema'd
 * keys, Protobuf message index [1] with nested, imported and Timestamp fields. Junk bytes and unknown ids are dead
 * letters with reasons; a registry that goes away holds the stream (nothing dead-lettered) until it is back. What
 * streamlab writes with a schema, confluent-kafka reads back. Windows and models on an Avro topic equal the same data
 * as JSON.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { KafkaCluster, SchemaRegistryProcess } from '../../src/broker';
import { SchemaRegistryClient, TopicAdmin, TopicFormats, TopicSink, TopicSource, TopicSourceOptions, resolveConnection } from '../../src/kafka';
import { StreamRecord } from '../../src/record';
import { tumbling, windowed } from '../../src/window';
import { Worker, checkPipeline } from '../../src/pipeline';
import { buildFeatures, scoreFeatures, trainModel } from '../../src/models';
import { confluentConsume, confluentProduce } from '../support/confluentJobs';

let cluster: KafkaCluster;
let registry: SchemaRegistryProcess;
let bootstrap: string;
let url: string;

before(async () => {
  const registryStart = SchemaRegistryProcess.start();
  registryStart.catch(() => undefined);
  cluster = await KafkaCluster.start({ brokers: 1, heapMb: 512 });
  registry = await registryStart;
  bootstrap = cluster.bootstrapServers;
  url = registry.confluentUrl;
});
after(async () => {
  await Promise.all([registry?.stop(), cluster?.stop({ fast: true })]);
});

async function createTopic(topic: string, partitions = 1): Promise<void> {
  const admin = await TopicAdmin.connect({ brokers: bootstrap });
  await admin.createTopic(topic, partitions);
  await admin.disconnect();
}

/** Every record of a topic (and its dead letters) as streamlab reads it from the beginning. */
async function readTopic<T = Record<string, unknown>>(topic: string, options: Partial<TopicSourceOptions<T>> = {}, registryUrl = url) {
  const source = new TopicSource<T>({ topic, from: 'earliest', untilEnd: true, connection: { brokers: bootstrap, schemaRegistry: registryUrl }, ...options });
  const records: StreamRecord<T>[] = [];
  source.subscribe((batch) => void records.push(...batch));
  await source.start();
  await source.done();
  const metrics = source.metrics();
  await source.stop();
  return { records, dead: source.deadLetters.list(), metrics };
}

const READING_V1 = {
  type: 'record',
  name: 'Reading',
  namespace: 'lab.sensors',
  fields: [
    { name: 'sensor', type: 'string' },
    { name: 'time', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'taken', type: { type: 'long', logicalType: 'timestamp-micros' } },
    { name: 'day', type: { type: 'int', logicalType: 'date' } },
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2 } },
    { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
    { name: 'value', type: 'double' },
    { name: 'site', type: { type: 'record', name: 'Site', fields: [{ name: 'name', type: 'string' }, { name: 'floor', type: 'int' }] } },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
};
/** Version 2: a field with a default, compatible both ways. */
const READING_V2 = { ...READING_V1, fields: [...READING_V1.fields, { name: 'unit', type: 'string', default: 'celsius' }] };
const KEY_SCHEMA = { type: 'record', name: 'SensorKey', namespace: 'lab.sensors', fields: [{ name: 'sensor', type: 'string' }] };

const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
function avroValue(i: number, v2 = false) {
  return {
    sensor: `s${i % 3}`,
    time: new Date(T0 + i * 1000).toISOString(),
    taken: new Date(T0 + i * 1000 + 7).toISOString(),
    day: '2026-03-01',
    amount: `${i}.${String(i % 100).padStart(2, '0')}`,
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    value: i * 0.5,
    site: { name: `hall ${i % 2}`, floor: i % 4 },
    note: i % 5 === 0 ? null : `n${i}`,
    ...(v2 ? { unit: i % 2 ? 'kelvin' : 'celsius' } : {}),
  };
}
/** What streamlab gives for avroValue(i): timestamps as Dates, the rest as written. */
function expected(i: number, unit?: string) {
  const v = avroValue(i);
  return { ...v, time: new Date(T0 + i * 1000), taken: new Date(T0 + i * 1000 + 7), ...(unit !== undefined ? { unit } : {}) };
}

describe('Avro from confluent-kafka', () => {
  test('logical types, a nested record and a schema\'d key decode field for field; each record carries its schema id, subject and version', async () => {
    await createTopic('avro-readings');
    const produced = await confluentProduce({
      bootstrap, registry: url, topic: 'avro-readings', format: 'avro', schema: JSON.stringify(READING_V1), keySchema: JSON.stringify(KEY_SCHEMA), compression: 'zstd',
      records: Array.from({ length: 60 }, (_, i) => ({ key: { sensor: `s${i % 3}` }, value: avroValue(i), headers: { origin: 'python' } })),
    });
    assert.equal(produced.produced, 60);
    const { records, dead } = await readTopic('avro-readings', { decoder: 'avro', keyDecoder: 'avro', timeField: 'time' });
    assert.deepEqual(dead, []);
    assert.equal(records.length, 60);
    records.forEach((r, i) => {
      assert.deepEqual(r.value, expected(i), `record ${i}`);
      assert.equal(r.time, T0 + i * 1000, 'timestamp-millis is the event time');
      assert.equal(r.key, JSON.stringify({ sensor: `s${i % 3}` }));
      assert.deepEqual(r.headers, { origin: 'python' });
      assert.deepEqual(r.schema, { id: produced.schemaIds[0], format: 'avro', subject: 'avro-readings-value', version: 1 });
    });
    // Nested fields by dotted path, wherever a field is named: here a window's key and aggregate.
    const w = windowed({ window: tumbling('10s'), keyBy: 'site.name', time: 'time', aggregates: ['count', 'sum(site.floor)'] });
    w.addBatch(records.map((r) => r.value as Record<string, unknown>)).flush();
    assert.equal(w.closedRows().reduce((n, row) => n + Number(row.count), 0), 60);
    assert.ok(w.closedRows().every((row) => row['site.name'] === 'hall 0' || row['site.name'] === 'hall 1'));
  });

  test('two versions of one subject in one topic: each record with its own writer schema, or all projected onto a reader schema', async () => {
    await createTopic('avro-versions');
    const first = await confluentProduce({ bootstrap, registry: url, topic: 'avro-versions', format: 'avro', schema: JSON.stringify(READING_V1), records: Array.from({ length: 10 }, (_, i) => ({ value: avroValue(i) })) });
    const second = await confluentProduce({ bootstrap, registry: url, topic: 'avro-versions', format: 'avro', schema: JSON.stringify(READING_V2), records: Array.from({ length: 10 }, (_, i) => ({ value: avroValue(10 + i, true) })) });
    assert.notEqual(first.schemaIds[0], second.schemaIds[0]);
    const own = await readTopic('avro-versions', { decoder: 'avro' });
    assert.deepEqual(own.dead, []);
    assert.deepEqual(own.records.map((r) => r.schema?.version), [...Array(10).fill(1), ...Array(10).fill(2)]);
    assert.deepEqual(own.records[0]!.value, expected(0));
    assert.deepEqual(own.records[15]!.value, expected(15, 'kelvin'));
    const projected = await readTopic('avro-versions', { decoder: 'avro', readerSchema: READING_V2 });
    assert.deepEqual(projected.records[3]!.value, expected(3, 'celsius'), 'an old record gets the new field\'s default');
    assert.deepEqual(projected.records[15]!.value, expected(15, 'kelvin'));
  });
});

const COMMON_PROTO = `syntax = "proto3";
package lab.common;
message Location { string building = 1; int32 floor = 2; }
`;
const READINGS_PROTO = `syntax = "proto3";
package lab.readings;
import "common.proto";
import "google/protobuf/timestamp.proto";
message Heartbeat { string sensor = 1; }
message Reading {
  message Calibration { double offset = 1; string by = 2; }
  enum Quality { UNKNOWN = 0; GOOD = 1; BAD = 2; }
  string sensor = 1;
  google.protobuf.Timestamp time = 2;
  double value = 3;
  lab.common.Location location = 4;
  Calibration calibration = 5;
  Quality quality = 6;
  repeated int32 samples = 7;
  int64 big = 8;
}
`;

describe('Protobuf from confluent-kafka', () => {
  test('message index [1], a nested type, an imported type and a Timestamp decode field for field (Apicurio hands back the descriptor, not .proto text)', async () => {
    await createTopic('proto-readings');
    const values = Array.from({ length: 20 }, (_, i) => ({
      sensor: `s${i % 4}`,
      time: new Date(T0 + i * 250).toISOString(),
      value: i / 4,
      location: { building: `b${i % 2}`, floor: i % 3 },
      calibration: { offset: 0.25 * i, by: 'lab' },
      quality: i % 3 === 0 ? 'BAD' : 'GOOD',
      samples: [i, i + 1, i + 2],
      big: String(9_007_199_254_740_000 + i),
    }));
    await confluentProduce({ bootstrap, registry: url, topic: 'proto-readings', format: 'protobuf', schema: READINGS_PROTO, messageType: 'lab.readings.Reading', imports: { 'common.proto': COMMON_PROTO }, records: values.map((value) => ({ value })) });
    const { records, dead } = await readTopic('proto-readings', { decoder: 'protobuf', timeField: 'time' });
    assert.deepEqual(dead, []);
    assert.equal(records.length, 20);
    records.forEach((r, i) => {
      const v = values[i]!;
      assert.deepEqual(r.value, { ...v, time: new Date(T0 + i * 250), big: Number(v.big) <= Number.MAX_SAFE_INTEGER ? Number(v.big) : v.big }, `record ${i}`);
      assert.equal(r.time, T0 + i * 250);
      assert.equal(r.schema?.format, 'protobuf');
    });
  });
});

describe('JSON Schema from confluent-kafka, and auto', () => {
  const SCHEMA = { $schema: 'http://json-schema.org/draft-07/schema#', title: 'Payment', type: 'object', properties: { id: { type: 'string' }, amount: { type: 'number' }, time: { type: 'string' } }, required: ['id', 'amount', 'time'] };

  test('JSON Schema records decode; with a registry configured, auto (the default) reads a topic mixing Avro, JSON Schema and plain JSON', async () => {
    await createTopic('mixed');
    const payments = Array.from({ length: 5 }, (_, i) => ({ id: `p${i}`, amount: 10.5 * i, time: new Date(T0 + i).toISOString() }));
    await confluentProduce({ bootstrap, registry: url, topic: 'mixed', format: 'jsonschema', schema: JSON.stringify(SCHEMA), records: payments.map((value) => ({ value })) });
    // Under the record's own subject: a registry keeps one kind of schema per subject, and mixed-value holds JSON Schema.
    await confluentProduce({ bootstrap, registry: url, topic: 'mixed', format: 'avro', schema: JSON.stringify(READING_V1), subjectNameStrategy: 'record', records: [{ value: avroValue(1) }] });
    const plain = await TopicSink.open({ topic: 'mixed', connection: { brokers: bootstrap } });
    await plain.write([{ plain: true }]);
    await plain.close();
    const asJsonSchema = await readTopic('mixed', { decoder: 'jsonschema' });
    assert.deepEqual(asJsonSchema.records.map((r) => r.value), payments);
    assert.deepEqual(asJsonSchema.dead.map((d) => [d.offset, d.reason]), [[5, 'undecodable'], [6, 'undecodable']]);
    assert.match(asJsonSchema.dead[0]!.error, /^jsonschema: schema id \d+ is an Avro schema, not jsonschema: read the topic with --decoder avro or auto$/);
    assert.match(asJsonSchema.dead[1]!.error, /^jsonschema: not in the Schema Registry wire format \(it starts with 0x7b, not the magic byte 0x00\)/);
    const auto = await readTopic('mixed');
    assert.deepEqual(auto.dead, []);
    assert.deepEqual(auto.records.map((r) => r.value), [...payments, expected(1), { plain: true }]);
    assert.deepEqual(auto.records.map((r) => r.schema?.format), ['jsonschema', 'jsonschema', 'jsonschema', 'jsonschema', 'jsonschema', 'avro', undefined]);
  });
});

describe('bad records and an unreachable registry', () => {
  test('junk bytes and an unknown schema id are dead letters with their reason; the stream reads on', async () => {
    await createTopic('avro-junk');
    await confluentProduce({ bootstrap, registry: url, topic: 'avro-junk', format: 'avro', schema: JSON.stringify(READING_V1), records: [{ value: avroValue(0) }] });
    const raw = await TopicSink.open({ topic: 'avro-junk', connection: { brokers: bootstrap } });
    await raw.writeRaw([{ value: Buffer.from([0, 0, 0, 0x7f, 0x7f, 1, 2, 3]) }, { value: Buffer.from([0, 0, 0, 0, 1, 0xff, 0xff, 0xff]) }, { value: 'not avro' }]);
    await raw.close();
    await confluentProduce({ bootstrap, registry: url, topic: 'avro-junk', format: 'avro', schema: JSON.stringify(READING_V1), records: [{ value: avroValue(1) }] });
    const { records, dead } = await readTopic('avro-junk', { decoder: 'avro' });
    assert.deepEqual(records.map((r) => r.value), [expected(0), expected(1)]);
    assert.deepEqual(dead.map((d) => [d.offset, d.reason]), [[1, 'undecodable'], [2, 'undecodable'], [3, 'undecodable']]);
    assert.match(dead[0]!.error, /^avro: the Schema Registry at .* has no schema id 32639 \(HTTP 404/);
    assert.match(dead[1]!.error, /^avro: /);
    assert.match(dead[2]!.error, /not in the Schema Registry wire format/);
  });

  test('a registry that goes away holds the stream, says so once, and it reads on when the registry is back: nothing dead-lettered', async () => {
    // The registry behind a TCP relay the test can cut: the real registry, unreachable for a while.
    let open = false;
    const target = new URL(url);
    const relay = net.createServer((client) => {
      if (!open) return client.destroy();
      const upstream = net.connect(Number(target.port), target.hostname);
      client.pipe(upstream).pipe(client);
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const relayUrl = `http://127.0.0.1:${(relay.address() as net.AddressInfo).port}${target.pathname}`;
    try {
      await createTopic('avro-outage');
      await confluentProduce({ bootstrap, registry: url, topic: 'avro-outage', format: 'avro', schema: JSON.stringify(READING_V2), records: Array.from({ length: 30 }, (_, i) => ({ value: avroValue(i, true) })) });
      const source = new TopicSource({ topic: 'avro-outage', from: 'earliest', untilEnd: true, decoder: 'avro', connection: { brokers: bootstrap, schemaRegistry: relayUrl } });
      await source.start();
      const deadline = Date.now() + 30_000;
      while (!/^waiting for the Schema Registry: cannot reach the Schema Registry at /.test(source.metrics().lastError ?? '') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const waiting = source.metrics();
      assert.match(waiting.lastError ?? '', /^waiting for the Schema Registry: cannot reach the Schema Registry at http:\/\/127\.0\.0\.1:\d+\/apis\/ccompat\/v7 \(from options\)/);
      assert.equal(waiting.records, 0);
      assert.equal(waiting.deadLetters, 0);
      open = true;
      await source.done();
      const m = source.metrics();
      await source.stop();
      assert.equal(m.records, 30);
      assert.equal(m.deadLetters, 0);
      assert.equal(m.lastError, undefined);
    } finally {
      relay.close();
    }
  });
});

describe('what streamlab writes with a schema, Confluent\'s clients read', () => {
  test('Avro, Protobuf and JSON Schema values from TopicSink, field for field', async () => {
    for (const topic of ['sl-avro', 'sl-proto', 'sl-json']) await createTopic(topic);
    const connection = { brokers: bootstrap, schemaRegistry: url };
    const avroSink = await TopicSink.open({ topic: 'sl-avro', connection, value: { format: 'avro', schema: READING_V1 }, compression: 'lz4' });
    await avroSink.write(Array.from({ length: 5 }, (_, i) => expected(i)));
    await avroSink.close();
    const readBack = await confluentConsume({ bootstrap, registry: url, topic: 'sl-avro', format: 'avro', count: 5 });
    readBack.forEach((r, i) => assert.deepEqual(r.value, { ...avroValue(i), time: new Date(T0 + i * 1000).toISOString(), taken: new Date(T0 + i * 1000 + 7).toISOString() }));

    const protoSink = await TopicSink.open({ topic: 'sl-proto', connection, value: { format: 'protobuf', schema: COMMON_PROTO } });
    await protoSink.write([{ building: 'b7', floor: 3 }]);
    await protoSink.close();
    const protoBack = await confluentConsume({ bootstrap, registry: url, topic: 'sl-proto', format: 'protobuf', count: 1 });
    assert.deepEqual(protoBack[0]!.value, { building: 'b7', floor: 3 });

    const jsonSink = await TopicSink.open({ topic: 'sl-json', connection, value: { format: 'jsonschema', schema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } } });
    await jsonSink.write([{ id: 'a' }]);
    await assert.rejects(jsonSink.write([{ other: 1 }]), /row 0: does not match its JSON Schema/);
    await jsonSink.close();
    const jsonBack = await confluentConsume({ bootstrap, registry: url, topic: 'sl-json', format: 'jsonschema', count: 1 });
    assert.deepEqual(jsonBack[0]!.value, { id: 'a' });
  });
});

describe('downstream: an Avro topic and the same data as JSON give the same results', () => {
  test('windows and a model score the same', async () => {
    await createTopic('same-avro');
    await createTopic('same-json');
    const rows = Array.from({ length: 400 }, (_, i) => ({ ...expected(i), value: Math.sin(i / 9) * 10 + (i % 17 === 0 ? 30 : 0) }));
    const avroSink = await TopicSink.open({ topic: 'same-avro', connection: { brokers: bootstrap, schemaRegistry: url }, value: { format: 'avro', schema: READING_V1 } });
    await avroSink.write(rows);
    await avroSink.close();
    const jsonSink = await TopicSink.open({ topic: 'same-json', connection: { brokers: bootstrap } });
    await jsonSink.write(rows.map((r) => ({ ...r, time: r.time.getTime(), taken: r.taken.getTime() })));
    await jsonSink.close();
    const avro = await readTopic('same-avro', { timeField: 'time' });
    const json = await readTopic('same-json', { decoder: 'json', timeField: 'time' });
    assert.equal(avro.records.length, 400);
    assert.deepEqual(avro.records.map((r) => r.time), json.records.map((r) => r.time));
    const windows = (records: StreamRecord<Record<string, unknown>>[]) => {
      const w = windowed({ window: tumbling('30s'), keyBy: 'sensor', time: (r: Record<string, unknown>) => (r.time instanceof Date ? r.time.getTime() : Number(r.time)), aggregates: ['count', 'mean(value)', 'max(value)', 'sum(site.floor)'] });
      w.addBatch(records.map((r) => r.value)).flush();
      return w.closedRows();
    };
    assert.deepEqual(windows(avro.records), windows(json.records));
    const spec = { columns: ['value'], lags: 3 };
    const trained = await trainModel(json.records.map((r) => r.value), { kind: 'autoencoder', spec, chart: false, epochs: 3, seed: 4 });
    const scoresOf = (records: StreamRecord<Record<string, unknown>>[]) => scoreFeatures(trained.model, buildFeatures(records.map((r) => r.value), spec).x);
    assert.deepEqual(scoresOf(avro.records), scoresOf(json.records));
  });
});

describe('bad settings, each one line', () => {
  test('a registry that does not answer, a password in errors, a schema that does not parse, a format that does not exist', async () => {
    await createTopic('bad-settings');
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer();
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    const client = new SchemaRegistryClient(resolveConnection({ brokers: bootstrap, schemaRegistry: { url: `http://127.0.0.1:${closed}`, username: 'analyst', password: 'hunter2-secret' } }).schemaRegistry!);
    await assert.rejects(client.schemaById(1), (e: Error) => /^cannot reach the Schema Registry at http:\/\/127\.0\.0\.1:\d+ \(from options\) for schema id 1 \(connection refused\): check the URL/.test(e.message) && !e.message.includes('hunter2') && !e.message.includes('\n'));
    client.close();
    await assert.rejects(TopicSink.open({ topic: 'bad-settings', connection: { brokers: bootstrap, schemaRegistry: url }, value: { format: 'avro', schema: '{"type": "record", "name": "R", "fields": [{"name": "x", "type": "nosuchtype"}]}' } }), (e: Error) => /^the Avro schema of the sink of 'bad-settings' does not parse: .*nosuchtype/.test(e.message) && !e.message.includes('\n'));
    assert.throws(() => new TopicSource({ topic: 'bad-settings', decoder: 'avor', connection: { brokers: bootstrap } }), /^StreamlabError: unknown decoder 'avor': use one of json, string, number, csv, bytes, avro, protobuf, jsonschema, auto \(did you mean 'avro'\?\)$/);
    const noRegistry = new TopicSource({ topic: 'bad-settings', decoder: 'avro', connection: { brokers: bootstrap } });
    await assert.rejects(noRegistry.start(), /^StreamlabError: decoder 'avro' reads a Schema Registry, and none is configured: pass schemaRegistry/);
    await noRegistry.stop();
  });
});

describe('a worker pipeline on an Avro topic', () => {
  test('writes the same windows as the same pipeline on the same data as JSON', async () => {
    const rows = Array.from({ length: 600 }, (_, i) => ({ ...expected(i), value: (i * 7) % 23 }));
    for (const topic of ['w-avro', 'w-json']) await createTopic(topic);
    const avroSink = await TopicSink.open({ topic: 'w-avro', connection: { brokers: bootstrap, schemaRegistry: url }, value: { format: 'avro', schema: READING_V1 }, keyField: 'sensor' });
    await avroSink.write(rows);
    await avroSink.close();
    const jsonSink = await TopicSink.open({ topic: 'w-json', connection: { brokers: bootstrap }, keyField: 'sensor' });
    await jsonSink.write(rows.map((r) => ({ ...r, time: r.time.getTime() })));
    await jsonSink.close();
    const windowsOf = async (input: string, format: string) => {
      const pipeline = checkPipeline({ name: `p-${input}`, input: { topic: input, timeField: 'time', format }, window: { kind: 'tumbling', size: '30s', keyBy: 'sensor', aggregates: ['count', 'sum(value)', 'max(site.floor)'] }, output: { topic: `${input}-out` } }, 'pipeline.json');
      // Exactly once (the default): the output holds transaction markers, which a read until the end must step over.
      const worker = new Worker(pipeline, { connection: { brokers: bootstrap, schemaRegistry: url } });
      await worker.start();
      const deadline = Date.now() + 60_000;
      while (!(worker.metrics().recordsIn === rows.length && worker.metrics().lag === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      const m = worker.metrics();
      await worker.stop();
      assert.equal(m.recordsIn, rows.length, JSON.stringify(m));
      assert.equal(m.skipped, 0);
      const out = await readTopic(`${input}-out`, { decoder: 'json' });
      return out.records.map((r) => r.value).sort((a, b) => String(a.sensor).localeCompare(String(b.sensor)) || Number(a.windowStart) - Number(b.windowStart));
    };
    const fromAvro = await windowsOf('w-avro', 'avro');
    const fromJson = await windowsOf('w-json', 'json');
    assert.ok(fromAvro.length > 10, `${fromAvro.length} windows`);
    assert.deepEqual(fromAvro, fromJson);
  });
});

describe('listings', () => {
  test("each topic's format and subject, detected from its newest values against the registry", async () => {
    await createTopic('listed-avro');
    const sink = await TopicSink.open({ topic: 'listed-avro', connection: { brokers: bootstrap, schemaRegistry: url }, value: { format: 'avro', schema: READING_V1 } });
    await sink.write([expected(1), expected(2)]);
    await sink.close();
    const settings = resolveConnection({ brokers: bootstrap, schemaRegistry: url });
    const admin = new TopicAdmin(settings);
    try {
      const formats = await new TopicFormats(settings).of([await admin.summary('listed-avro')]);
      assert.deepEqual(formats.get('listed-avro'), { format: 'avro', subject: 'listed-avro-value v1', schemaIds: formats.get('listed-avro')!.schemaIds });
      assert.equal(formats.get('listed-avro')!.schemaIds!.length, 1);
    } finally {
      await admin.disconnect();
    }
  });
});

describe('`streamlab produce --format`', () => {
  test('the demo feed as Avro through the registry: every JSON record sent, the malformed ones counted, read back by auto', async () => {
    const schema = {
      type: 'record',
      name: 'Reading',
      namespace: 'demo',
      fields: [
        { name: 'sensor', type: 'string' },
        { name: 'time', type: ['null', { type: 'long', logicalType: 'timestamp-millis' }], default: null },
        { name: 'value', type: 'double' },
        { name: 'anomaly', type: ['null', 'string'], default: null },
        { name: 'seq', type: 'long' },
      ],
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'produce-avro-'));
    fs.writeFileSync(path.join(dir, 'reading.avsc'), JSON.stringify(schema));
    await createTopic('cli-avro');
    const run = spawnSync(process.execPath, ['dist/cli/main.js', 'produce', 'sensors', '--topic', 'cli-avro', '--count', '3000', '--rate', 'max', '--sensors', '3', '--format', 'avro', '--schema', path.join(dir, 'reading.avsc'), '--registry', url, '--brokers', bootstrap], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(run.status, 0, run.stderr);
    // The demo feed (seed 1) writes a malformed value now and then on purpose; within 3,000 records, at least one.
    const m = /^produced (\d+) sensor records to cli-avro as avro\n(\d+) malformed demo value\(s\) not sent: the avro schema cannot carry them\n$/.exec(run.stderr);
    assert.ok(m, run.stderr);
    const sent = Number(m[1]);
    assert.equal(sent + Number(m[2]), 3000);
    const read = await readTopic('cli-avro');
    assert.deepEqual(read.dead, []);
    assert.equal(read.records.length, sent);
    assert.ok(read.records.every((r) => r.schema?.format === 'avro' && r.key === r.value.sensor));
    assert.equal(new Set(read.records.map((r) => r.value.seq)).size, sent);
    const bad = spawnSync(process.execPath, ['dist/cli/main.js', 'produce', 'sensors', '--topic', 'cli-avro', '--count', '1', '--format', 'avro', '--registry', url, '--brokers', bootstrap], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr.trim(), /^streamlab: --format avro needs --schema FILE or --subject S/);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
  });
});
