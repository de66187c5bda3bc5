import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as protobuf from 'protobufjs';
import * as descriptorExt from 'protobufjs/ext/descriptor';
import { protobufCodec, type ProtobufCodec } from '../src/kafka/registry/protobufSchema';
import type { RegisteredSchema, SchemaReference } from '../src/kafka/registry/types';

const COMMON = `syntax = "proto3";
package common;
message Location { string site = 1; double lat = 2; double lon = 3; }
`;

const MAIN = `syntax = "proto3";
package pkg;
import "common.proto";
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";
import "google/protobuf/struct.proto";

enum Level { LEVEL_UNKNOWN = 0; LOW = 1; HIGH = 2; }

message First {
  string id = 1;
  message Inner {
    int32 code = 1;
    google.protobuf.Timestamp at = 2;
    repeated google.protobuf.Timestamp marks = 3;
    Level level = 4;
  }
  Inner inner = 2;
  oneof choice { string text = 3; int64 number = 4; }
}

message Second {
  int64 big = 1;
  uint64 ubig = 2;
  Level level = 3;
  map<string, int32> counts = 4;
  repeated double values = 5;
  google.protobuf.Timestamp time = 6;
  common.Location where = 7;
  bytes raw = 8;
  google.protobuf.Int64Value maybe = 9;
  google.protobuf.Struct extra = 10;
  map<int64, string> by_id = 11;
  repeated First.Inner inners = 12;
  sint64 small = 13;
  optional int32 opt = 14;
}
`;

const COMMON_REF: SchemaReference = { name: 'common.proto', subject: 'common-value', version: 1 };

function fetcher(commonText: string, calls: SchemaReference[] = []): (ref: SchemaReference) => Promise<RegisteredSchema> {
  return async (ref) => {
    calls.push(ref);
    if (ref.name !== 'common.proto') throw new Error(`unexpected reference ${ref.name}`);
    return { id: 2, schemaType: 'PROTOBUF', schema: commonText, references: [] };
  };
}

function schemaOf(text: string): RegisteredSchema {
  return { id: 1, schemaType: 'PROTOBUF', schema: text, references: [COMMON_REF] };
}

/** A canonical (protoc-like) FileDescriptorProto of one package of a root, serialized and in base64. */
function descriptorBase64(root: protobuf.Root, pkg: string, fileName: string, dependency: string[]): string {
  const set = (root as unknown as { toDescriptor(edition: string): { file: Record<string, unknown>[] } }).toDescriptor('proto3');
  const file = set.file.find((f) => f.package === pkg);
  assert.ok(file, `no descriptor for package ${pkg}`);
  file.name = fileName;
  file.dependency = dependency;
  // protobufjs names map entry types after the field ("Counts"); protoc (and descriptor pools) want "CountsEntry",
  // and proto3 `optional` fields flagged as such.
  const fix = (m: { name: string; field?: Record<string, unknown>[]; nestedType?: { name: string; options?: { mapEntry?: boolean } }[]; oneofDecl?: { name: string }[] }): void => {
    for (const n of m.nestedType ?? []) {
      if (n.options?.mapEntry) {
        const field = m.field!.find((f) => f.typeName === n.name)!;
        const camel = String(field.name).replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
        n.name = `${camel[0]!.toUpperCase()}${camel.slice(1)}Entry`;
        field.typeName = n.name;
      } else fix(n as Parameters<typeof fix>[0]);
    }
    for (const f of m.field ?? []) {
      const oneof = typeof f.oneofIndex === 'number' ? m.oneofDecl?.[f.oneofIndex]?.name : undefined;
      if (oneof === `_${f.name}`) f.proto3Optional = true;
    }
  };
  for (const m of file.messageType as Parameters<typeof fix>[0][]) fix(m);
  const message = descriptorExt.FileDescriptorProto.fromObject(file);
  return Buffer.from(descriptorExt.FileDescriptorProto.encode(message).finish()).toString('base64');
}

function descriptorForms(): { main: string; common: string } {
  const root = new protobuf.Root();
  protobuf.parse(MAIN, root, { keepCase: true });
  protobuf.parse(COMMON, root, { keepCase: true });
  for (const name of ['timestamp', 'wrappers', 'struct']) root.addJSON((protobuf.common.get(`google/protobuf/${name}.proto`) as { nested: Record<string, protobuf.AnyNestedObject> }).nested);
  root.resolveAll();
  return {
    main: descriptorBase64(root, 'pkg', 'main.proto', ['common.proto', 'google/protobuf/timestamp.proto', 'google/protobuf/wrappers.proto', 'google/protobuf/struct.proto']),
    common: descriptorBase64(root, 'common', 'common.proto', []),
  };
}

const SECOND = {
  big: '9007199254740993', // 2^53 + 1: decimal text, never rounded
  ubig: '18446744073709551615',
  level: 'HIGH',
  counts: { a: 1, b: -2 },
  values: [1.5, -2, 0],
  time: new Date('2024-05-01T12:00:00.123Z'),
  where: { site: 'north', lat: 52.5, lon: 13.4 },
  raw: Buffer.from([0, 1, 2, 255]),
  maybe: 42,
  extra: { a: [1, 'b', null, { c: true }], d: 'e' },
  by_id: { '-5': 'neg', '9223372036854775807': 'max' },
  inners: [{ code: 1, at: new Date(0), marks: [], level: 'LOW' }],
  small: -123456789012,
  opt: 0,
};

const INNER = { code: 7, at: new Date('2023-12-31T23:59:59.999Z'), marks: [new Date(1000), new Date('2024-02-29T00:00:00Z')], level: 'LEVEL_UNKNOWN' };

function oneLineError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof Error, 'an Error');
    assert.doesNotMatch(e.message, /\n/, 'one line');
    assert.match(e.message, pattern);
    return true;
  });
}

async function checkCodec(codec: ProtobufCodec): Promise<void> {
  assert.deepEqual(codec.messageNames, ['pkg.First', 'pkg.First.Inner', 'pkg.Second']);

  const second = codec.encode(SECOND, 'pkg.Second');
  assert.deepEqual([...second.subarray(0, 2)], [0x02, 0x02], 'index [1]: count 1, index 1 (zigzag)');
  assert.equal(codec.messageNameOf(second), 'pkg.Second');
  assert.deepEqual(codec.decode(second), SECOND);

  const inner = codec.encode(INNER, 'pkg.First.Inner');
  assert.deepEqual([...inner.subarray(0, 3)], [0x04, 0x00, 0x00], 'index [0, 0]');
  assert.equal(codec.messageNameOf(inner), 'pkg.First.Inner');
  assert.deepEqual(codec.decode(inner), INNER);

  const first = codec.encode({ id: 'r1', inner: INNER, number: '-9007199254740993' });
  assert.equal(first[0], 0x00, 'index [0] is the single byte 0');
  assert.equal(codec.messageNameOf(first), 'pkg.First');
  assert.deepEqual(codec.decode(first), { id: 'r1', inner: INNER, number: '-9007199254740993' });
  assert.deepEqual(codec.encode({ id: 'r1', inner: INNER, number: '-9007199254740993' }, 'First'), first, 'a name without its package');
  // [0] written out in full (count 1, index 0) selects the same message.
  assert.deepEqual(codec.decode(Buffer.concat([Buffer.from([0x02, 0x00]), first.subarray(1)])), codec.decode(first));

  // Unset fields: scalars their proto3 default, messages null, a oneof and a proto3 optional absent.
  assert.deepEqual(codec.decode(codec.encode({}, 'pkg.Second')), {
    big: 0, ubig: 0, level: 'LEVEL_UNKNOWN', counts: {}, values: [], time: null, where: null, raw: Buffer.alloc(0),
    maybe: null, extra: null, by_id: {}, inners: [], small: 0,
  });
  assert.deepEqual(codec.decode(Buffer.from([0x00])), { id: '', inner: null });
  // Encode takes ISO text and epoch milliseconds for timestamps, and writes no proto3 defaults.
  assert.deepEqual(codec.decode(codec.encode({ at: '2024-01-02T03:04:05.678Z', marks: [1700000000000] }, 'pkg.First.Inner')).at, new Date('2024-01-02T03:04:05.678Z'));
  assert.deepEqual(codec.encode({ code: 0, level: 'LEVEL_UNKNOWN' }, 'pkg.First.Inner'), Buffer.from([0x04, 0x00, 0x00]));

  // Bad bytes and bad indexes: one-line Errors.
  oneLineError(() => codec.decode(Buffer.from('hello, not protobuf')), /does not start with message indexes/);
  oneLineError(() => codec.decode(Buffer.from([0x02, 0x06])), /^message index \[3\] does not exist: the schema has 2 messages \(First, Second\)$/);
  oneLineError(() => codec.decode(Buffer.from([0x04, 0x00, 0x0a])), /^message index \[0, 5\] does not exist: pkg\.First has 1 nested message \(Inner\)$/);
  oneLineError(() => codec.decode(Buffer.from([0x04, 0x04, 0x00])), /message index \[2, 0\] does not exist: the schema has 2 messages/);
  oneLineError(() => codec.messageNameOf(Buffer.from([0x02, 0x06])), /message index \[3\] does not exist/);
  oneLineError(() => codec.decode(Buffer.alloc(0)), /empty/);
  oneLineError(() => codec.decode(Buffer.from([0x00, 0x0f, 0x01])), /bad Protobuf bytes for pkg\.First .*wire type 7/);
  oneLineError(() => codec.decode(Buffer.from([0x00, 0xff, 0xff, 0xff])), /bad Protobuf bytes for pkg\.First/);
  oneLineError(() => codec.decode(second.subarray(0, second.length - 3)), /bad Protobuf bytes for pkg\.Second \(message index \[1\]\): the message ends early/);
  oneLineError(() => codec.decode(inner.subarray(0, 8)), /bad Protobuf bytes for pkg\.First\.Inner/);

  // Values that do not fit: one line naming the field.
  oneLineError(() => codec.encode({ big: 'x' }, 'pkg.Second'), /^cannot encode pkg\.Second: field big: "x" is not an integer/);
  oneLineError(() => codec.encode({ ubig: -1 }, 'pkg.Second'), /field ubig: -1 does not fit uint64/);
  oneLineError(() => codec.encode({ level: 'HIHG' }, 'pkg.Second'), /field level: "HIHG" is not a value of the enum pkg\.Level \(did you mean HIGH\?\)/);
  oneLineError(() => codec.encode({ counts: { a: 1.5 } }, 'pkg.Second'), /field counts\["a"\]: 1\.5 is not an integer/);
  oneLineError(() => codec.encode({ inners: [{ at: 'soon' }] }, 'pkg.Second'), /field inners\[0\]\.at: "soon" is not a timestamp/);
  oneLineError(() => codec.encode({ colour: 'red' }, 'pkg.Second'), /field colour: pkg\.Second has no field "colour"/);
  oneLineError(() => codec.encode({ text: 'a', number: 1 }), /"text" and "number" are both set/);
  oneLineError(() => codec.encode({}, 'pkg.Third'), /the schema has no message "pkg\.Third"/);
}

test('.proto text: message indexes, round trips for [0], [1] and [0, 0], defaults and one-line errors', async () => {
  const calls: SchemaReference[] = [];
  const codec = await protobufCodec(schemaOf(MAIN), fetcher(COMMON, calls));
  assert.deepEqual(calls, [COMMON_REF], 'the import is fetched once, by its reference');
  await checkCodec(codec);
});

test('a base64 FileDescriptorProto (Apicurio) gives the same codec as the .proto text, byte for byte', async () => {
  const forms = descriptorForms();
  const fromText = await protobufCodec(schemaOf(MAIN), fetcher(COMMON));
  const fromDescriptor = await protobufCodec(schemaOf(forms.main), fetcher(forms.common));
  await checkCodec(fromDescriptor);
  // Mixed: descriptor main, text reference.
  await checkCodec(await protobufCodec(schemaOf(forms.main), fetcher(COMMON)));
  for (const [value, name] of [[SECOND, 'pkg.Second'], [INNER, 'pkg.First.Inner'], [{ id: 'x', text: 't' }, undefined]] as const) {
    const a = fromText.encode(value, name);
    const b = fromDescriptor.encode(value, name);
    assert.deepEqual(b, a, `same bytes for ${name ?? 'the first message'}`);
    assert.deepEqual(fromDescriptor.decode(a), fromText.decode(b));
  }
});

test('well-known types resolve without references; unresolvable imports and bad schemas fail in one line', async () => {
  const codec = await protobufCodec(
    { id: 5, schemaType: 'PROTOBUF', schema: 'syntax = "proto3"; import "google/protobuf/timestamp.proto"; import "google/protobuf/duration.proto"; import "google/protobuf/empty.proto"; message E { google.protobuf.Timestamp t = 1; google.protobuf.Duration d = 2; google.protobuf.Empty e = 3; }', references: [] },
    async () => assert.fail('no references to fetch'),
  );
  assert.deepEqual(codec.messageNames, ['E']);
  const value = { t: new Date('2020-01-01T00:00:00Z'), d: { seconds: 90, nanos: 5 }, e: {} };
  assert.deepEqual(codec.decode(codec.encode(value)), value);

  await assert.rejects(protobufCodec({ ...schemaOf(MAIN), references: [] }, fetcher(COMMON)), (e: Error) => {
    assert.doesNotMatch(e.message, /\n/);
    assert.match(e.message, /does not resolve: .*"common\.proto"/);
    return true;
  });
  await assert.rejects(protobufCodec({ id: 6, schemaType: 'PROTOBUF', schema: 'message { broken', references: [] }, fetcher(COMMON)), /does not parse as \.proto text/);
  await assert.rejects(protobufCodec({ id: 7, schemaType: 'PROTOBUF', schema: 'bm90IGEgZGVzY3JpcHRvcg==', references: [] }, fetcher(COMMON)), /neither \.proto text nor a base64 FileDescriptorProto/);
  await assert.rejects(protobufCodec(schemaOf(MAIN), async () => { throw new Error('HTTP 404 subject not found'); }), /imports "common\.proto" \(subject common-value version 1\), which could not be fetched: HTTP 404/);
});

// Optional: bytes written by Confluent's own Python serializer (confluent-kafka), with the schema it registers (a
// base64 FileDescriptorProto and a reference for common.proto), read back here.
const PYTHON = path.resolve(__dirname, '..', '..', '.venv', 'bin', 'python');
const PY_SCRIPT = `
import base64, json, sys
from google.protobuf import descriptor_pool, json_format, message_factory, struct_pb2, timestamp_pb2, wrappers_pb2
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
job = json.load(sys.stdin)
pool = descriptor_pool.DescriptorPool()
for m in (timestamp_pb2, wrappers_pb2, struct_pb2):
    pool.AddSerializedFile(m.DESCRIPTOR.serialized_pb)
for f in job['files']:
    pool.AddSerializedFile(base64.b64decode(f))
client = SchemaRegistryClient.new_client({'url': 'mock://protobuf-test'})
out = {'records': [], 'schemas': {}}
for rec in job['records']:
    cls = message_factory.GetMessageClass(pool.FindMessageTypeByName(rec['type']))
    ser = ProtobufSerializer(cls, client, {'use.deprecated.format': False})
    data = ser(json_format.ParseDict(rec['json'], cls()), SerializationContext('t-' + rec['type'], MessageField.VALUE))
    out['records'].append(data.hex())
for subject in client.get_subjects():
    for version in client.get_versions(subject):
        v = client.get_version(subject, version)
        out['schemas'][subject + '/' + str(version)] = {'id': v.schema_id, 'schema': v.schema.schema_str,
            'references': [{'name': r.name, 'subject': r.subject, 'version': r.version} for r in (v.schema.references or [])]}
print(json.dumps(out))
`;

function pythonAvailable(): boolean {
  if (!fs.existsSync(PYTHON)) return false;
  return spawnSync(PYTHON, ['-c', 'import confluent_kafka.schema_registry.protobuf'], { encoding: 'utf8' }).status === 0;
}

test('bytes and schemas written by confluent-kafka (Python) decode the same', { skip: pythonAvailable() ? false : 'no .venv python with confluent-kafka' }, async () => {
  const forms = descriptorForms();
  const job = {
    files: [forms.common, forms.main],
    records: [
      { type: 'pkg.Second', json: { big: '9007199254740993', ubig: '18446744073709551615', level: 'HIGH', counts: { a: 1, b: -2 }, values: [1.5, -2, 0], time: '2024-05-01T12:00:00.123Z', where: { site: 'north', lat: 52.5, lon: 13.4 }, raw: Buffer.from([0, 1, 2, 255]).toString('base64'), maybe: '42', extra: { a: [1, 'b', null, { c: true }], d: 'e' }, by_id: { '-5': 'neg', '9223372036854775807': 'max' }, inners: [{ code: 1, at: '1970-01-01T00:00:00Z', level: 'LOW' }], small: '-123456789012', opt: 0 } },
      { type: 'pkg.First.Inner', json: { code: 7, at: '2023-12-31T23:59:59.999Z', marks: ['1970-01-01T00:00:01Z', '2024-02-29T00:00:00Z'] } },
      { type: 'pkg.First', json: { id: 'r1', inner: { code: 7, at: '2023-12-31T23:59:59.999Z', marks: ['1970-01-01T00:00:01Z', '2024-02-29T00:00:00Z'] }, number: '-9007199254740993' } },
    ],
  };
  const run = spawnSync(PYTHON, ['-c', PY_SCRIPT], { input: JSON.stringify(job), encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const out = JSON.parse(run.stdout) as { records: string[]; schemas: Record<string, { id: number; schema: string; references: SchemaReference[] }> };
  const [second, inner, first] = out.records.map((hex) => Buffer.from(hex, 'hex'));
  const byId = new Map(Object.values(out.schemas).map((s) => [s.id, s]));
  const writerId = second!.readInt32BE(1);
  const writer = byId.get(writerId)!;
  const codec = await protobufCodec({ id: writerId, schemaType: 'PROTOBUF', schema: writer.schema, references: writer.references }, async (ref) => {
    const s = out.schemas[`${ref.subject}/${ref.version}`]!;
    return { id: s.id, schemaType: 'PROTOBUF', schema: s.schema, references: s.references };
  });
  assert.deepEqual([...second!.subarray(5, 7)], [0x02, 0x02]);
  assert.deepEqual([...inner!.subarray(5, 8)], [0x04, 0x00, 0x00]);
  assert.equal(first![5], 0x00);
  assert.deepEqual(codec.decode(second!.subarray(5)), SECOND);
  assert.deepEqual(codec.decode(inner!.subarray(5)), INNER);
  assert.deepEqual(codec.decode(first!.subarray(5)), { id: 'r1', inner: INNER, number: '-9007199254740993' });
  // And what we write, Python's serializer writes: same bytes after the header (pkg.Second has maps, which Python
  // writes in hash order, so only its values are compared above).
  assert.deepEqual(codec.encode(INNER, 'pkg.First.Inner'), inner!.subarray(5));
  assert.deepEqual(codec.encode({ id: 'r1', inner: INNER, number: '-9007199254740993' }), first!.subarray(5));
  assert.deepEqual(codec.encode({ inners: [{ code: 1, at: new Date(0), level: 'LOW' }] }, 'pkg.Second'), Buffer.from([0x02, 0x02, 0x62, 0x06, 0x08, 0x01, 0x12, 0x00, 0x20, 0x01]), 'an epoch timestamp is an empty message, as Python writes it');
});
