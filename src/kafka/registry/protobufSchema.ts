/**
 * Protobuf values of a registry schema in the Confluent wire format, on `protobufjs`. A schema arrives as `.proto`
 * text (Confluent) or as a base64 serialized FileDescriptorProto (Apicurio's ccompat API, and what Confluent's Python
 * serializer registers); its references (imports by name) are fetched and loaded into the same root, and the
 * well-known `google/protobuf/*.proto` types are always there.
 *
 * The payload after the wire header starts with the message indexes: a zigzag varint count, then that many zigzag
 * varints (top-level message index in the file, then the nested index inside it, ...); a single 0 byte means [0].
 * Indexes count message types as the registered schema lists them: for a descriptor, its `nested_type` entries
 * (map entry types included, as Confluent's Python client counts them); for `.proto` text, declared messages.
 *
 * Records decode into plain objects with the .proto field names: enums as names, 64-bit integers as numbers when
 * exact and decimal text otherwise, bytes as Buffers, maps as objects, unset scalars as their defaults (proto3),
 * unset message fields as null, a oneof as its one set field. google.protobuf.Timestamp becomes a Date (event time);
 * wrapper types (Int64Value, ...) become their value or null; Struct, Value and ListValue become JSON values.
 *
 * Everything the schema needs is worked out once per codec: the index table, and per message type a plan of its
 * fields (kind, default, nested plan), so decoding a record walks fields without looking types up.
 */
import * as protobuf from 'protobufjs';
import * as descriptorExt from 'protobufjs/ext/descriptor';
import descriptorJson from 'protobufjs/google/protobuf/descriptor.json';
import { StreamlabError, didYouMean, oneLineMessage } from '../../errors';
import type { RegisteredSchema, SchemaReference } from './types';

export interface ProtobufCodec {
  /** Names of the file's message types in registry index order (top-level in file order, nested ones as Outer.Inner), fully qualified without leading dot. */
  readonly messageNames: string[];
  /** payload = the bytes after the wire header (magic byte + 4-byte id): message indexes, then the message. Returns a plain JSON-friendly object. Throws an Error with a one-line message on bad bytes or a bad index. */
  decode(payload: Buffer): Record<string, unknown>;
  /** Encodes a plain object as message `messageName` (default: the first message of the file), with its message-index prefix. Throws one line naming the field on a value that does not fit. */
  encode(value: Record<string, unknown>, messageName?: string): Buffer;
  /** The message name a payload's indexes select (for display). */
  messageNameOf(payload: Buffer): string;
}

// ---------------------------------------------------------------------------------------------------------------
// Loading the schema and its references into one root

/** Files Confluent's registry knows without references (besides protobufjs's bundled google/protobuf ones). */
const BUILTIN_FILES: Record<string, string> = {
  'confluent/meta.proto': `syntax = "proto3"; package confluent; import "google/protobuf/descriptor.proto";
    message Meta { string doc = 1; map<string, string> params = 2; repeated string tags = 3; }
    extend google.protobuf.FileOptions { Meta file_meta = 1088; }
    extend google.protobuf.MessageOptions { Meta message_meta = 1088; }
    extend google.protobuf.FieldOptions { Meta field_meta = 1088; }
    extend google.protobuf.EnumOptions { Meta enum_meta = 1088; }
    extend google.protobuf.EnumValueOptions { Meta enum_value_meta = 1088; }`,
  'confluent/type/decimal.proto': `syntax = "proto3"; package confluent.type;
    message Decimal { bytes value = 1; uint32 precision = 2; int32 scale = 3; }`,
  'google/type/date.proto': `syntax = "proto3"; package google.type; message Date { int32 year = 1; int32 month = 2; int32 day = 3; }`,
  'google/type/timeofday.proto': `syntax = "proto3"; package google.type;
    message TimeOfDay { int32 hours = 1; int32 minutes = 2; int32 seconds = 3; int32 nanos = 4; }`,
  'google/type/latlng.proto': `syntax = "proto3"; package google.type; message LatLng { double latitude = 1; double longitude = 2; }`,
  'google/type/money.proto': `syntax = "proto3"; package google.type;
    message Money { string currency_code = 1; int64 units = 2; int32 nanos = 3; }`,
};
const DESCRIPTOR_FILE = 'google/protobuf/descriptor.proto';
const WELL_KNOWN = ['any', 'duration', 'empty', 'field_mask', 'struct', 'timestamp', 'wrappers'].map((n) => `google/protobuf/${n}.proto`);

function isBuiltin(name: string): boolean {
  return WELL_KNOWN.includes(name) || name === DESCRIPTOR_FILE || name in BUILTIN_FILES;
}

/** Whether schema text is a base64 FileDescriptorProto: .proto text always has spaces, quotes or semicolons. */
function isBase64Descriptor(text: string): boolean {
  const compact = text.replace(/\s+/g, '');
  return compact.length > 0 && /^[A-Za-z0-9+/_-]+={0,2}$/.test(compact);
}

/** What loading one file gives: its imports and its top-level message types in file order. */
interface LoadedFile {
  imports: string[];
  topTypes: protobuf.Type[];
}

function loadFile(root: protobuf.Root, text: string, what: string): LoadedFile {
  if (isBase64Descriptor(text)) return loadDescriptor(root, Buffer.from(text.replace(/\s+/g, ''), 'base64'), what);
  let parsed: protobuf.IParserResult;
  try {
    parsed = protobuf.parse(text, root, { keepCase: true });
  } catch (e) {
    throw new StreamlabError(`${what} does not parse as .proto text: ${oneLineMessage(errorText(e))}`, 'fix the schema, or give a base64 FileDescriptorProto');
  }
  const ns = parsed.package ? root.lookup(parsed.package) : root;
  const topTypes = ns instanceof protobuf.Namespace ? ns.nestedArray.filter((o): o is protobuf.Type => o instanceof protobuf.Type) : [];
  return { imports: [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])], topTypes };
}

// FileDescriptorProto (decoded by protobufjs/ext/descriptor) -> protobufjs JSON. Written here rather than with
// Root.fromDescriptor because that one resolves at once (imports are not loaded yet), keeps map fields as repeated
// entry messages and drops proto3 `optional`.

interface FieldDescriptor {
  name?: string;
  number?: number;
  label?: number;
  type?: number;
  typeName?: string;
  extendee?: string;
  defaultValue?: string;
  oneofIndex?: number;
  options?: { packed?: boolean };
  proto3Optional?: boolean;
}
interface MessageDescriptor {
  name?: string;
  field?: FieldDescriptor[];
  nestedType?: MessageDescriptor[];
  enumType?: EnumDescriptor[];
  oneofDecl?: { name?: string }[];
  options?: { mapEntry?: boolean };
}
interface EnumDescriptor {
  name?: string;
  value?: { name?: string; number?: number }[];
  options?: { allowAlias?: boolean };
}
interface FileDescriptor {
  name?: string;
  package?: string;
  dependency?: string[];
  messageType?: MessageDescriptor[];
  enumType?: EnumDescriptor[];
  syntax?: string;
  edition?: number;
}

// FieldDescriptorProto.Type numbers -> protobufjs type names (10 group, 11 message, 14 enum use typeName).
const SCALAR_BY_NUMBER: Record<number, string> = {
  1: 'double', 2: 'float', 3: 'int64', 4: 'uint64', 5: 'int32', 6: 'fixed64', 7: 'fixed32', 8: 'bool', 9: 'string',
  12: 'bytes', 13: 'uint32', 15: 'sfixed32', 16: 'sfixed64', 17: 'sint32', 18: 'sint64',
};

function loadDescriptor(root: protobuf.Root, bytes: Buffer, what: string): LoadedFile {
  let file: FileDescriptor;
  try {
    file = descriptorExt.FileDescriptorProto.toObject(descriptorExt.FileDescriptorProto.decode(bytes), { arrays: true, longs: Number }) as FileDescriptor;
  } catch (e) {
    throw new StreamlabError(`${what} is neither .proto text nor a base64 FileDescriptorProto (${oneLineMessage(errorText(e))})`, 'check what the registry returns for this schema id');
  }
  if (!file.messageType?.length && !file.enumType?.length && !file.name && !file.package) {
    throw new StreamlabError(`${what} is neither .proto text nor a base64 FileDescriptorProto (it decodes to an empty descriptor)`, 'check what the registry returns for this schema id');
  }
  const edition = editionOf(file, what);
  const pkg = file.package ?? '';
  const nested: Record<string, unknown> = {};
  try {
    for (const m of file.messageType ?? []) nested[m.name ?? ''] = { ...messageJson(m, pkg ? `${pkg}.${m.name}` : m.name ?? '', what), edition };
    for (const e of file.enumType ?? []) nested[e.name ?? ''] = { ...enumJson(e), edition };
    const ns = pkg ? root.define(pkg) : root;
    ns.addJSON(nested as Record<string, protobuf.AnyNestedObject>);
    const topTypes = (file.messageType ?? []).map((m) => ns.get(m.name ?? '')).filter((t): t is protobuf.Type => t instanceof protobuf.Type);
    return { imports: file.dependency ?? [], topTypes };
  } catch (e) {
    if (e instanceof StreamlabError) throw e;
    throw new StreamlabError(`${what}: its FileDescriptorProto does not load: ${oneLineMessage(errorText(e))}`, 'check what the registry returns for this schema id');
  }
}

function editionOf(file: FileDescriptor, what: string): string {
  if (file.syntax === 'proto3') return 'proto3';
  if (file.syntax === 'editions') {
    if (file.edition === 1000) return '2023';
    throw new StreamlabError(`${what} uses Protobuf edition ${file.edition}, which streamlab does not read`, 'use proto2, proto3 or edition 2023');
  }
  return 'proto2';
}

function messageJson(m: MessageDescriptor, fullName: string, what: string): Record<string, unknown> {
  const nestedTypes = m.nestedType ?? [];
  const entries = new Map(nestedTypes.filter((n) => n.options?.mapEntry).map((n) => [n.name ?? '', n]));
  const groups = new Set<string>();
  const fields: Record<string, unknown> = {};
  const oneofs: Record<string, { oneof: string[] }> = {};
  for (const f of m.field ?? []) {
    const name = f.name || `field${f.number}`;
    if (f.number === undefined) throw new StreamlabError(`${what}: field ${fullName}.${name} has no number`);
    const typeName = f.typeName ?? '';
    const shortType = typeName.split('.').pop() ?? '';
    const entry = f.label === 3 && typeName && entries.get(shortType);
    if (entry && (!typeName.startsWith('.') || typeName === `.${fullName}.${shortType}`)) {
      const key = entry.field?.find((x) => x.number === 1);
      const value = entry.field?.find((x) => x.number === 2);
      fields[name] = { keyType: SCALAR_BY_NUMBER[key?.type ?? 9] ?? 'string', type: value?.typeName || SCALAR_BY_NUMBER[value?.type ?? 9], id: f.number };
      continue;
    }
    if (f.type === 10) groups.add(shortType);
    const type = typeName || SCALAR_BY_NUMBER[f.type ?? 0];
    if (!type) throw new StreamlabError(`${what}: field ${fullName}.${name} has an unknown type (${f.type})`);
    const options: Record<string, unknown> = {};
    if (f.options && f.options.packed !== undefined) options.packed = f.options.packed;
    if (f.proto3Optional) options.proto3_optional = true;
    if (f.defaultValue) options.default = defaultOption(f);
    const json: Record<string, unknown> = { type, id: f.number };
    if (f.label === 3) json.rule = 'repeated';
    else if (f.label === 2) json.rule = 'required';
    else if (f.proto3Optional) json.rule = 'optional';
    if (Object.keys(options).length) json.options = options;
    fields[name] = json;
    if (f.oneofIndex !== undefined && m.oneofDecl?.[f.oneofIndex]) {
      const oneofName = m.oneofDecl[f.oneofIndex]!.name || `oneof${f.oneofIndex}`;
      (oneofs[oneofName] ??= { oneof: [] }).oneof.push(name);
    }
  }
  const nested: Record<string, unknown> = {};
  for (const n of nestedTypes) {
    const json = messageJson(n, `${fullName}.${n.name}`, what);
    if (n.options?.mapEntry) json.options = { map_entry: true };
    if (groups.has(n.name ?? '')) json.group = true;
    nested[n.name ?? ''] = json;
  }
  for (const e of m.enumType ?? []) nested[e.name ?? ''] = enumJson(e);
  const json: Record<string, unknown> = { fields };
  if (Object.keys(oneofs).length) json.oneofs = oneofs;
  if (Object.keys(nested).length) json.nested = nested;
  return json;
}

function defaultOption(f: FieldDescriptor): unknown {
  const text = f.defaultValue ?? '';
  if (f.type === 8) return text === 'true';
  if (f.type !== undefined && [1, 2, 3, 4, 5, 6, 7, 13, 15, 16, 17, 18].includes(f.type)) {
    const n = Number(text === 'inf' ? 'Infinity' : text === '-inf' ? '-Infinity' : text === 'nan' ? 'NaN' : text);
    return Number.isNaN(n) && text !== 'nan' ? text : n;
  }
  return text;
}

function enumJson(e: EnumDescriptor): Record<string, unknown> {
  const values: Record<string, number> = {};
  for (const v of e.value ?? []) values[v.name || `NAME${v.number ?? 0}`] = v.number ?? 0;
  const json: Record<string, unknown> = { values };
  if (e.options?.allowAlias) json.options = { allow_alias: true };
  return json;
}

/** Loads the schema, its references (recursively, each once) and the built-in files its imports need; resolves. */
async function loadSchema(
  schema: RegisteredSchema,
  fetchReference: (ref: SchemaReference) => Promise<RegisteredSchema>,
): Promise<{ root: protobuf.Root; topTypes: protobuf.Type[] }> {
  const what = `the Protobuf schema ${schema.id}`;
  const root = new protobuf.Root();
  const main = loadFile(root, schema.schema, what);
  const loaded = new Set<string>();
  const imports = new Set(main.imports);
  const visit = async (refs: SchemaReference[], chain: string): Promise<void> => {
    for (const ref of refs) {
      // protobufjs's bundled well-known types stand in for google/protobuf ones; confluent/ and google/type/ files
      // given as references are loaded as given.
      if (loaded.has(ref.name) || WELL_KNOWN.includes(ref.name) || ref.name === DESCRIPTOR_FILE) continue;
      loaded.add(ref.name);
      let referenced: RegisteredSchema;
      try {
        referenced = await fetchReference(ref);
      } catch (e) {
        const line = e instanceof StreamlabError ? e.line : oneLineMessage(errorText(e));
        throw new StreamlabError(`${chain} imports "${ref.name}" (subject ${ref.subject} version ${ref.version}), which could not be fetched: ${line}`);
      }
      const file = loadFile(root, referenced.schema, `"${ref.name}" (subject ${ref.subject} version ${ref.version}, imported by ${chain})`);
      for (const i of file.imports) imports.add(i);
      await visit(referenced.references ?? [], `"${ref.name}"`);
    }
  };
  await visit(schema.references ?? [], what);
  // Built-in files the imports name (they can import each other: confluent/meta.proto imports descriptor.proto).
  for (let changed = true; changed; ) {
    changed = false;
    for (const name of imports) {
      if (loaded.has(name) || !(name in BUILTIN_FILES)) continue;
      loaded.add(name);
      for (const i of loadFile(root, BUILTIN_FILES[name]!, `the built-in "${name}"`).imports) imports.add(i);
      changed = true;
    }
  }
  if (imports.has(DESCRIPTOR_FILE) && !loaded.has(DESCRIPTOR_FILE)) {
    loaded.add(DESCRIPTOR_FILE);
    root.addJSON((descriptorJson as { nested: Record<string, protobuf.AnyNestedObject> }).nested);
  }
  for (const name of WELL_KNOWN) {
    const json = protobuf.common.get(name) as { nested?: Record<string, protobuf.AnyNestedObject> } | null;
    if (!loaded.has(name) && json?.nested) root.addJSON(json.nested);
  }
  try {
    root.resolveAll();
  } catch (e) {
    const missing = [...imports].filter((i) => !loaded.has(i) && !isBuiltin(i));
    throw new StreamlabError(
      `${what} does not resolve: ${oneLineMessage(errorText(e))}`,
      missing.length ? `it imports ${missing.map((m) => `"${m}"`).join(', ')}, which the registry did not give as references` : 'register the files it imports as references',
    );
  }
  if (main.topTypes.length === 0) throw new StreamlabError(`${what} declares no message types`, 'a record schema needs at least one message');
  return { root, topTypes: main.topTypes };
}

// ---------------------------------------------------------------------------------------------------------------
// Plans: per message type, its fields and how to convert each

type Kind =
  | 'double' | 'float' | 'int32' | 'uint32' | 'long' | 'ulong' | 'bool' | 'string' | 'bytes' | 'enum'
  | 'message' | 'timestamp' | 'wrapper' | 'struct' | 'value' | 'list';

const MESSAGE_KINDS = new Set<Kind>(['message', 'timestamp', 'wrapper', 'struct', 'value', 'list']);

const BASIC_KINDS: Record<string, Kind> = {
  double: 'double', float: 'float', int32: 'int32', sint32: 'int32', sfixed32: 'int32', uint32: 'uint32', fixed32: 'uint32',
  int64: 'long', sint64: 'long', sfixed64: 'long', uint64: 'ulong', fixed64: 'ulong', bool: 'bool', string: 'string', bytes: 'bytes',
};

const WRAPPERS: Record<string, Kind> = {
  '.google.protobuf.DoubleValue': 'double', '.google.protobuf.FloatValue': 'float', '.google.protobuf.Int64Value': 'long',
  '.google.protobuf.UInt64Value': 'ulong', '.google.protobuf.Int32Value': 'int32', '.google.protobuf.UInt32Value': 'uint32',
  '.google.protobuf.BoolValue': 'bool', '.google.protobuf.StringValue': 'string', '.google.protobuf.BytesValue': 'bytes',
};

/** How to read/write the value of a field (or of a map's values, or of a list's elements). */
interface ValuePlan {
  kind: Kind;
  /** enum: names by number, numbers by name, whether numbers outside it are refused (closed enum). */
  enumNames?: Record<number, string>;
  enumValues?: Record<string, number>;
  enumType?: protobuf.Enum;
  closedEnum?: boolean;
  /** message: its plan (filled in lazily for recursive types). */
  message?: TypePlan;
  /** wrapper: the kind of its value. */
  inner?: Kind;
  /** Field names by number inside the well-known types (.proto text and protobufjs's bundled copy name them differently). */
  names?: Record<number, string>;
}

interface FieldPlan extends ValuePlan {
  name: string;
  repeated: boolean;
  map: boolean;
  keyKind?: Kind;
  /** The oneof (real or proto3-optional synthetic) it belongs to. */
  oneof?: string;
  /** proto3 implicit presence: a default value is not written. */
  implicit: boolean;
  required: boolean;
  /** Output of an unset singular scalar/enum. */
  defaultOut: unknown;
}

interface TypePlan {
  name: string;
  type: protobuf.Type;
  fields: FieldPlan[];
  byName: Map<string, FieldPlan>;
  /** Field number -> the wire types it may arrive with (bit per wire type) and, for messages, their plan. */
  wire: Map<number, WireRule>;
}

interface WireRule {
  name: string;
  mask: number;
  sub?: TypePlan;
}

const basicWireTypes = (protobuf as unknown as { types: { basic: Record<string, number>; packed: Record<string, number> } }).types;

class Planner {
  private readonly plans = new Map<protobuf.Type, TypePlan>();

  plan(type: protobuf.Type): TypePlan {
    let plan = this.plans.get(type);
    if (plan) return plan;
    plan = { name: type.fullName.slice(1), type, fields: [], byName: new Map(), wire: new Map() };
    this.plans.set(type, plan);
    for (const field of type.fieldsArray) {
      field.resolve();
      const map = field instanceof protobuf.MapField;
      const value = this.valuePlan(field.type, field.resolvedType);
      const fp: FieldPlan = {
        ...value,
        name: field.name,
        repeated: field.repeated && !map,
        map,
        keyKind: map ? BASIC_KINDS[(field as protobuf.MapField).keyType] : undefined,
        oneof: field.partOf?.name,
        implicit: !field.hasPresence && !field.repeated && !map && !MESSAGE_KINDS.has(value.kind),
        required: field.required,
        defaultOut: undefined,
      };
      if (!fp.repeated && !map && !MESSAGE_KINDS.has(fp.kind)) fp.defaultOut = outValue(fp, field.defaultValue);
      plan.fields.push(fp);
      plan.byName.set(fp.name, fp);
      plan.wire.set(field.id, this.wireRule(field, map));
    }
    return plan;
  }

  private wireRule(field: protobuf.Field, map: boolean): WireRule {
    if (map) return { name: field.name, mask: 1 << 2 };
    const resolved = field.resolvedType;
    if (resolved instanceof protobuf.Type) return { name: field.name, mask: 1 << (field.delimited ? 3 : 2), sub: this.plan(resolved) };
    const basic = resolved instanceof protobuf.Enum ? 0 : basicWireTypes.basic[field.type];
    let mask = 1 << (basic ?? 2);
    if (field.repeated && (resolved instanceof protobuf.Enum || basicWireTypes.packed[field.type] !== undefined)) mask |= 1 << 2;
    return { name: field.name, mask };
  }

  private valuePlan(typeName: string, resolved: protobuf.Type | protobuf.Enum | null): ValuePlan {
    if (resolved instanceof protobuf.Enum) {
      const features = (resolved as unknown as { _features?: { enum_type?: string } })._features;
      return { kind: 'enum', enumType: resolved, enumNames: resolved.valuesById, enumValues: resolved.values, closedEnum: features?.enum_type === 'CLOSED' };
    }
    if (resolved instanceof protobuf.Type) {
      const full = resolved.fullName;
      const names: Record<number, string> = {};
      for (const f of resolved.fieldsArray) names[f.id] = f.name;
      if (full === '.google.protobuf.Timestamp') return { kind: 'timestamp', names };
      if (full in WRAPPERS) return { kind: 'wrapper', inner: WRAPPERS[full], names };
      if (full === '.google.protobuf.Struct') return { kind: 'struct', names, message: this.plan(resolved) };
      if (full === '.google.protobuf.Value') return { kind: 'value', names, message: this.plan(resolved) };
      if (full === '.google.protobuf.ListValue') return { kind: 'list', names, message: this.plan(resolved) };
      return { kind: 'message', message: this.plan(resolved) };
    }
    const kind = BASIC_KINDS[typeName];
    if (!kind) throw new StreamlabError(`the Protobuf type ${typeName} is not supported`);
    return { kind };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding: protobufjs message -> plain object

const hasOwn = Object.prototype.hasOwnProperty;
const TWO_32 = 4294967296;
const EMPTY: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

interface LongLike {
  low: number;
  high: number;
}

/** A 64-bit integer as a number when exact, else as decimal text. */
function longOut(v: unknown, unsigned: boolean): number | string {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return 0;
  const { low, high } = v as LongLike;
  const n = (unsigned ? high >>> 0 : high | 0) * TWO_32 + (low >>> 0);
  if (Number.isSafeInteger(n)) return n;
  const big = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
  return (unsigned ? big : BigInt.asIntN(64, big)).toString();
}

/** A map key protobufjs stores as an 8-character long hash, as decimal text. */
function longKeyOut(key: string, unsigned: boolean): string {
  if (key.length !== 8) return key;
  const bits = protobuf.util.LongBits.fromHash(key);
  const big = (BigInt(bits.hi >>> 0) << 32n) | BigInt(bits.lo >>> 0);
  return (unsigned ? big : BigInt.asIntN(64, big)).toString();
}

function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

function outValue(p: ValuePlan, v: unknown): unknown {
  switch (p.kind) {
    case 'double':
    case 'float':
    case 'int32':
    case 'uint32':
    case 'bool':
    case 'string':
      return v;
    case 'long':
      return longOut(v, false);
    case 'ulong':
      return longOut(v, true);
    case 'bytes':
      return v ? Buffer.from(v as Uint8Array) : Buffer.alloc(0);
    case 'enum':
      return p.enumNames![v as number] ?? v;
    case 'message':
      return outMessage(p.message!, (v ?? EMPTY) as Record<string, unknown>);
    case 'timestamp': {
      const m = (v ?? EMPTY) as Record<string, unknown>;
      const seconds = Number(longOut(m[p.names![1]!], false));
      const nanos = (m[p.names![2]!] as number | undefined) ?? 0;
      return new Date(seconds * 1000 + Math.floor(nanos / 1e6));
    }
    case 'wrapper':
      return outValue({ kind: p.inner! }, ((v ?? EMPTY) as Record<string, unknown>)[p.names![1]!]);
    case 'struct':
      return structOut(p, (v ?? EMPTY) as Record<string, unknown>);
    case 'value':
      return jsonValueOut(p, (v ?? EMPTY) as Record<string, unknown>);
    case 'list':
      return listOut(p, (v ?? EMPTY) as Record<string, unknown>);
  }
}

function structOut(p: ValuePlan, m: Record<string, unknown>): Record<string, unknown> {
  const fields = m[p.names![1]!] as Record<string, Record<string, unknown>> | undefined;
  const out: Record<string, unknown> = {};
  if (fields) {
    const valuePlan = p.message!.fields[0]!;
    for (const k of Object.keys(fields)) setKey(out, k, jsonValueOut(valuePlan, fields[k] ?? EMPTY));
  }
  return out;
}

function listOut(p: ValuePlan, m: Record<string, unknown>): unknown[] {
  const values = m[p.names![1]!] as Record<string, unknown>[] | undefined;
  const valuePlan = p.message!.fields[0]!;
  const out: unknown[] = [];
  if (values) for (const v of values) out.push(jsonValueOut(valuePlan, v ?? EMPTY));
  return out;
}

/** google.protobuf.Value: null_value 1, number_value 2, string_value 3, bool_value 4, struct_value 5, list_value 6. */
function jsonValueOut(p: ValuePlan, m: Record<string, unknown>): unknown {
  const names = p.names!;
  if (hasOwn.call(m, names[2]!) && m[names[2]!] != null) return m[names[2]!];
  if (hasOwn.call(m, names[3]!) && m[names[3]!] != null) return m[names[3]!];
  if (hasOwn.call(m, names[4]!) && m[names[4]!] != null) return m[names[4]!];
  const fields = p.message!.fields;
  if (hasOwn.call(m, names[5]!) && m[names[5]!] != null) return structOut(fields.find((f) => f.kind === 'struct')!, m[names[5]!] as Record<string, unknown>);
  if (hasOwn.call(m, names[6]!) && m[names[6]!] != null) return listOut(fields.find((f) => f.kind === 'list')!, m[names[6]!] as Record<string, unknown>);
  return null;
}

const MAX_DEPTH = 100;

/**
 * Checks the wire structure of a message against its plan before protobufjs decodes it: protobufjs reads a known
 * field with whatever wire type arrives, so junk bytes would otherwise decode into made-up values.
 */
function checkWire(plan: TypePlan, r: protobuf.Reader, end: number, depth: number): void {
  if (depth > MAX_DEPTH) throw new Error('messages nested too deep');
  while (r.pos < end) {
    const tag = r.uint32();
    const id = tag >>> 3;
    const wireType = tag & 7;
    if (id === 0) throw new Error(`field number 0 at offset ${r.pos - 1}`);
    const rule = plan.wire.get(id);
    if (rule && (rule.mask & (1 << wireType)) === 0) {
      throw new Error(`field ${id} (${plan.name}.${rule.name}) has wire type ${wireType}, which does not fit its type`);
    }
    if (rule?.sub && wireType === 2) {
      const length = r.uint32();
      const stop = r.pos + length;
      if (stop > end) throw new Error(`field ${id} (${plan.name}.${rule.name}) is longer than the bytes left`);
      checkWire(rule.sub, r, stop, depth + 1);
    } else if (wireType === 4) {
      throw new Error(`an unmatched end-group tag at offset ${r.pos - 1}`);
    } else {
      r.skipType(wireType, depth);
    }
    if (r.pos > end) throw new Error('a field runs past the end of its message');
  }
}

function outMessage(plan: TypePlan, m: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fields = plan.fields;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const v = m[f.name];
    if (f.map) {
      const obj: Record<string, unknown> = {};
      if (v) {
        const long = f.keyKind === 'long' || f.keyKind === 'ulong';
        for (const k of Object.keys(v)) setKey(obj, long ? longKeyOut(k, f.keyKind === 'ulong') : k, outValue(f, (v as Record<string, unknown>)[k]));
      }
      out[f.name] = obj;
    } else if (f.repeated) {
      const arr: unknown[] = [];
      const list = v as unknown[] | undefined;
      if (list) for (let j = 0; j < list.length; j++) arr.push(outValue(f, list[j]));
      out[f.name] = arr;
    } else if (hasOwn.call(m, f.name) && v != null) {
      out[f.name] = outValue(f, v);
    } else if (f.oneof === undefined) {
      out[f.name] = MESSAGE_KINDS.has(f.kind) ? null : f.kind === 'bytes' ? Buffer.from(f.defaultOut as Buffer) : f.defaultOut;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding: plain object -> what protobufjs's encoder writes

class FitError extends Error {
  constructor(readonly path: string, problem: string) {
    super(problem);
  }
}

function show(v: unknown): string {
  if (v instanceof Date) return `Date(${Number.isNaN(v.getTime()) ? 'invalid' : v.toISOString()})`;
  if (Buffer.isBuffer(v)) return `<${v.length} bytes>`;
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return oneLineMessage(JSON.stringify(v), 60);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object' && v !== null) return 'an object';
  return oneLineMessage(String(v), 60);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !ArrayBuffer.isView(v) && !(v instanceof Map) && !(v instanceof Set);
}

const INT_RE = /^[+-]?\d+$/;

function toBigInt(v: unknown, path: string, what: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && INT_RE.test(v.trim())) return BigInt(v.trim());
  if (typeof v === 'object' && v !== null && typeof (v as LongLike).low === 'number' && typeof (v as LongLike).high === 'number') {
    const l = v as LongLike & { unsigned?: boolean };
    const big = (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0);
    return l.unsigned ? big : BigInt.asIntN(64, big);
  }
  throw new FitError(path, `${show(v)} is not ${what}`);
}

function intIn(v: unknown, path: string, min: bigint, max: bigint, what: string): bigint {
  const n = toBigInt(v, path, `an integer (${what})`);
  if (n < min || n > max) throw new FitError(path, `${show(v)} does not fit ${what} (${min} to ${max})`);
  return n;
}

const INT32 = [-(2n ** 31n), 2n ** 31n - 1n] as const;
const UINT32 = [0n, 2n ** 32n - 1n] as const;
const INT64 = [-(2n ** 63n), 2n ** 63n - 1n] as const;
const UINT64 = [0n, 2n ** 64n - 1n] as const;
const FLOAT_MAX = 3.4028234663852886e38;

function longBits(n: bigint, unsigned: boolean): { low: number; high: number; unsigned: boolean } {
  const u = BigInt.asUintN(64, n);
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0, unsigned };
}

function numberIn(v: unknown, path: string, what: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const t = v.trim();
    if (t === 'NaN' || t === 'Infinity' || t === '-Infinity' || (t !== '' && Number.isFinite(Number(t)))) return Number(t);
  }
  if (typeof v === 'bigint') return Number(v);
  throw new FitError(path, `${show(v)} is not a number (${what})`);
}

function epochMs(v: unknown): number | undefined {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return v.trim() === '' ? NaN : /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : Date.parse(v);
  return undefined;
}

function inValue(p: ValuePlan, v: unknown, path: string): unknown {
  switch (p.kind) {
    case 'double':
      return numberIn(v, path, 'double');
    case 'float': {
      const n = numberIn(v, path, 'float');
      if (Number.isFinite(n) && Math.abs(n) > FLOAT_MAX) throw new FitError(path, `${show(v)} does not fit a 32-bit float`);
      return n;
    }
    case 'int32':
      return Number(intIn(v, path, INT32[0], INT32[1], 'int32'));
    case 'uint32':
      return Number(intIn(v, path, UINT32[0], UINT32[1], 'uint32'));
    case 'long':
      return longBits(intIn(v, path, INT64[0], INT64[1], 'int64'), false);
    case 'ulong':
      return longBits(intIn(v, path, UINT64[0], UINT64[1], 'uint64'), true);
    case 'bool':
      if (typeof v !== 'boolean') throw new FitError(path, `${show(v)} is not a boolean`);
      return v;
    case 'string':
      if (typeof v !== 'string') throw new FitError(path, `${show(v)} is not a string`);
      return v;
    case 'bytes':
      if (v instanceof Uint8Array) return v;
      if (typeof v === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(v.replace(/\s+/g, ''))) return Buffer.from(v, 'base64');
      throw new FitError(path, `${show(v)} is not bytes (give a Buffer, a Uint8Array or base64 text)`);
    case 'enum': {
      if (typeof v === 'string') {
        const n = p.enumValues![v];
        if (n !== undefined && hasOwn.call(p.enumValues, v)) return n;
        const guess = didYouMean(v, Object.keys(p.enumValues!));
        throw new FitError(path, `${show(v)} is not a value of the enum ${p.enumType!.fullName.slice(1)}${guess ? ` (did you mean ${guess}?)` : ''}`);
      }
      const n = Number(intIn(v, path, INT32[0], INT32[1], `a value of the enum ${p.enumType!.fullName.slice(1)}`));
      if (p.closedEnum && p.enumNames![n] === undefined) throw new FitError(path, `${n} is not a value of the closed enum ${p.enumType!.fullName.slice(1)}`);
      return n;
    }
    case 'message':
      return inMessage(p.message!, v, path);
    case 'timestamp': {
      if (isPlainObject(v)) return inMessage(timestampPlan(p), v, path);
      const ms = epochMs(v);
      if (ms === undefined || !Number.isFinite(ms)) throw new FitError(path, `${show(v)} is not a timestamp (give a Date, ISO text or epoch milliseconds)`);
      const seconds = Math.floor(ms / 1000);
      const nanos = Math.min(999_999_999, Math.round((ms - seconds * 1000) * 1e6));
      const out: Record<string, number> = {};
      if (seconds !== 0) out[p.names![1]!] = seconds;
      if (nanos !== 0) out[p.names![2]!] = nanos;
      return out;
    }
    case 'wrapper': {
      const inner = isPlainObject(v) && hasOwn.call(v, 'value') ? v.value : v;
      if (inner === null || inner === undefined) return {};
      return { [p.names![1]!]: inValue({ kind: p.inner! }, inner, path) };
    }
    case 'struct':
      if (!isPlainObject(v)) throw new FitError(path, `${show(v)} is not an object (google.protobuf.Struct)`);
      return structIn(p, v, path);
    case 'value':
      return jsonValueIn(p, v, path);
    case 'list':
      if (!Array.isArray(v)) throw new FitError(path, `${show(v)} is not an array (google.protobuf.ListValue)`);
      return listIn(p, v, path);
  }
}

/** A Timestamp given as {seconds, nanos}: the plan of the Timestamp type itself (plain message). */
const timestampPlans = new WeakMap<ValuePlan, TypePlan>();
function timestampPlan(p: ValuePlan): TypePlan {
  let plan = timestampPlans.get(p);
  if (!plan) {
    const fields: FieldPlan[] = [
      { kind: 'long', name: p.names![1]!, repeated: false, map: false, implicit: true, required: false, defaultOut: 0 },
      { kind: 'int32', name: p.names![2]!, repeated: false, map: false, implicit: true, required: false, defaultOut: 0 },
    ];
    plan = { name: 'google.protobuf.Timestamp', type: undefined as unknown as protobuf.Type, fields, byName: new Map(fields.map((f) => [f.name, f])), wire: new Map() };
    timestampPlans.set(p, plan);
  }
  return plan;
}

function structIn(p: ValuePlan, v: Record<string, unknown>, path: string): Record<string, unknown> {
  const valuePlan = p.message!.fields[0]!;
  const fields: Record<string, unknown> = {};
  for (const k of Object.keys(v)) setKey(fields, k, jsonValueIn(valuePlan, v[k], `${path}.${k}`));
  return { [p.names![1]!]: fields };
}

function listIn(p: ValuePlan, v: unknown[], path: string): Record<string, unknown> {
  const valuePlan = p.message!.fields[0]!;
  return { [p.names![1]!]: v.map((x, i) => jsonValueIn(valuePlan, x, `${path}[${i}]`)) };
}

function jsonValueIn(p: ValuePlan, v: unknown, path: string): Record<string, unknown> {
  const names = p.names!;
  const fields = p.message!.fields;
  if (v === null) return { [names[1]!]: 0 };
  if (typeof v === 'number') return { [names[2]!]: v };
  if (typeof v === 'string') return { [names[3]!]: v };
  if (typeof v === 'boolean') return { [names[4]!]: v };
  if (v instanceof Date) return { [names[3]!]: v.toISOString() };
  if (Array.isArray(v)) return { [names[6]!]: listIn(fields.find((f) => f.kind === 'list')!, v, path) };
  if (isPlainObject(v)) return { [names[5]!]: structIn(fields.find((f) => f.kind === 'struct')!, v, path) };
  throw new FitError(path, `${show(v)} is not a JSON value (google.protobuf.Value)`);
}

function isDefault(kind: Kind, v: unknown): boolean {
  switch (kind) {
    case 'long':
    case 'ulong':
      return (v as LongLike).low === 0 && (v as LongLike).high === 0;
    case 'bytes':
      return (v as Uint8Array).length === 0;
    case 'string':
      return v === '';
    case 'bool':
      return v === false;
    default:
      return Object.is(v, 0);
  }
}

function mapKeyIn(kind: Kind | undefined, key: string, path: string): string {
  switch (kind) {
    case 'string':
      return key;
    case 'bool':
      if (key !== 'true' && key !== 'false') throw new FitError(path, `map key ${show(key)} is not true or false`);
      return key === 'true' ? 'true' : ''; // protobufjs writes a map key with writer.bool(key): '' is its false
    case 'int32':
      return String(intIn(key, path, INT32[0], INT32[1], 'an int32 map key'));
    case 'uint32':
      return String(intIn(key, path, UINT32[0], UINT32[1], 'a uint32 map key'));
    case 'long':
      return String(intIn(key, path, INT64[0], INT64[1], 'an int64 map key'));
    case 'ulong':
      return String(intIn(key, path, UINT64[0], UINT64[1], 'a uint64 map key'));
    default:
      throw new FitError(path, `map keys of this type are not supported`);
  }
}

function inMessage(plan: TypePlan, value: unknown, path: string): Record<string, unknown> {
  if (!isPlainObject(value)) throw new FitError(path, `${show(value)} is not an object (${plan.name})`);
  const out: Record<string, unknown> = {};
  const oneofSet = new Map<string, string>();
  const at = (name: string): string => (path ? `${path}.${name}` : name);
  for (const key of Object.keys(value)) {
    const f = plan.byName.get(key);
    if (!f) {
      const guess = didYouMean(key, plan.byName.keys());
      throw new FitError(at(key), `${plan.name} has no field "${key}"${guess ? ` (did you mean "${guess}"?)` : ''}`);
    }
    const v = value[key];
    if (v === undefined || v === null) continue;
    const fieldPath = at(key);
    if (f.map) {
      const entries: [string, unknown][] = v instanceof Map ? [...v.entries()].map(([k, x]) => [String(k), x]) : isPlainObject(v) ? Object.entries(v) : [];
      if (!(v instanceof Map) && !isPlainObject(v)) throw new FitError(fieldPath, `${show(v)} is not a map (give an object or a Map)`);
      const obj: Record<string, unknown> = {};
      for (const [k, x] of entries) {
        const entryPath = `${fieldPath}[${JSON.stringify(k)}]`;
        if (x === null || x === undefined) {
          if (!MESSAGE_KINDS.has(f.kind)) throw new FitError(entryPath, `a map value cannot be ${x}`);
          setKey(obj, mapKeyIn(f.keyKind, k, entryPath), {});
        } else setKey(obj, mapKeyIn(f.keyKind, k, entryPath), inValue(f, x, entryPath));
      }
      out[key] = obj;
    } else if (f.repeated) {
      if (!Array.isArray(v)) throw new FitError(fieldPath, `${show(v)} is not an array (the field is repeated)`);
      const arr: unknown[] = new Array(v.length);
      for (let i = 0; i < v.length; i++) {
        if (v[i] === null || v[i] === undefined) throw new FitError(`${fieldPath}[${i}]`, `a repeated field cannot hold ${v[i]}`);
        arr[i] = inValue(f, v[i], `${fieldPath}[${i}]`);
      }
      out[key] = arr;
    } else {
      const converted = inValue(f, v, fieldPath);
      if (f.oneof !== undefined) {
        const other = oneofSet.get(f.oneof);
        if (other !== undefined) throw new FitError(fieldPath, `"${other}" and "${key}" are both set, but they belong to one oneof (${f.oneof})`);
        oneofSet.set(f.oneof, key);
      }
      if (f.implicit && isDefault(f.kind, converted)) continue;
      out[key] = converted;
    }
  }
  for (const f of plan.fields) {
    if (f.required && !hasOwn.call(out, f.name)) throw new FitError(at(f.name), `the field is required (${plan.name})`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Message indexes

/** One message type of the file at a position of the index tree. */
interface IndexEntry {
  indexes: number[];
  name: string;
  shortName: string;
  type: protobuf.Type;
  mapEntry: boolean;
  children: IndexEntry[];
}

function indexTree(types: protobuf.Type[], parent: number[]): IndexEntry[] {
  return types.map((type, i) => {
    const indexes = [...parent, i];
    const nested = type.nestedArray.filter((o): o is protobuf.Type => o instanceof protobuf.Type);
    return { indexes, name: type.fullName.slice(1), shortName: type.name, type, mapEntry: type.options?.map_entry === true, children: indexTree(nested, indexes) };
  });
}

function flatten(entries: IndexEntry[], out: IndexEntry[] = []): IndexEntry[] {
  for (const e of entries) {
    if (!e.mapEntry) out.push(e);
    flatten(e.children, out);
  }
  return out;
}

function badBytes(message: string): StreamlabError {
  return new StreamlabError(message);
}

/** Reads a zigzag varint of at most 32 bits (as Confluent's writers do) at `pos`. */
function readZigzag(p: Buffer, pos: number): [number, number] {
  let result = 0;
  for (let i = 0; i < 5; i++) {
    const b = p[pos + i];
    if (b === undefined) throw badBytes(`the Protobuf payload ends inside its message indexes (${p.length} bytes)`);
    result |= (b & 0x7f) << (7 * i);
    if (b < 0x80) {
      const n = result >>> 0;
      return [(n >>> 1) ^ -(n & 1), pos + i + 1];
    }
  }
  throw badBytes('the Protobuf payload does not start with message indexes (a varint longer than 5 bytes)');
}

/** The message indexes at the start of a payload, and where the message starts. */
export function readMessageIndexes(p: Buffer): { indexes: number[]; offset: number } {
  if (p.length === 0) throw badBytes('the Protobuf payload is empty (no message indexes)');
  if (p[0] === 0) return { indexes: [0], offset: 1 };
  let [count, pos] = readZigzag(p, 0);
  if (count < 0) throw badBytes(`the Protobuf payload does not start with message indexes (count ${count})`);
  if (count > p.length - pos) throw badBytes(`the Protobuf payload does not start with message indexes (count ${count}, but ${p.length - pos} bytes follow)`);
  const indexes: number[] = [];
  for (let i = 0; i < count; i++) {
    let index: number;
    [index, pos] = readZigzag(p, pos);
    if (index < 0) throw badBytes(`the Protobuf payload has a negative message index [${[...indexes, index].join(', ')}]`);
    indexes.push(index);
  }
  return { indexes, offset: pos };
}

function writeZigzag(n: number, out: number[]): void {
  let v = ((n << 1) ^ (n >> 31)) >>> 0;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
}

/** The message-index prefix: a single 0 for [0], else the zigzag count and indexes. */
export function writeMessageIndexes(indexes: number[]): Buffer {
  if (indexes.length === 1 && indexes[0] === 0) return Buffer.from([0]);
  const out: number[] = [];
  writeZigzag(indexes.length, out);
  for (const i of indexes) writeZigzag(i, out);
  return Buffer.from(out);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function listNames(entries: IndexEntry[]): string {
  const names = entries.map((e) => e.shortName);
  return names.length > 8 ? `${names.slice(0, 8).join(', ')}, ...` : names.join(', ');
}

// ---------------------------------------------------------------------------------------------------------------
// The codec

class Codec implements ProtobufCodec {
  readonly messageNames: string[];
  private readonly byName = new Map<string, { entry: IndexEntry; plan: TypePlan; prefix: Buffer }>();
  private readonly plans = new Map<IndexEntry, TypePlan>();
  private readonly first: IndexEntry;
  private readonly firstPlan: TypePlan;

  constructor(private readonly top: IndexEntry[], private readonly packageName: string) {
    const planner = new Planner();
    const all = flatten(top);
    for (const e of all) {
      const plan = planner.plan(e.type);
      this.plans.set(e, plan);
      this.byName.set(e.name, { entry: e, plan, prefix: writeMessageIndexes(e.indexes) });
    }
    this.messageNames = all.map((e) => e.name);
    this.first = top[0]!;
    this.firstPlan = this.plans.get(this.first) ?? planner.plan(this.first.type);
  }

  private select(payload: Buffer): { entry: IndexEntry; plan: TypePlan; offset: number } {
    if (payload.length > 0 && payload[0] === 0) return { entry: this.first, plan: this.firstPlan, offset: 1 };
    const { indexes, offset } = readMessageIndexes(payload);
    let entries = this.top;
    let entry: IndexEntry | undefined;
    for (let depth = 0; depth < indexes.length; depth++) {
      const next = entries[indexes[depth]!];
      if (!next) {
        const shown = `[${indexes.join(', ')}]`;
        if (!entry) throw badBytes(`message index ${shown} does not exist: the schema has ${plural(entries.length, 'message')} (${listNames(entries)})`);
        throw badBytes(`message index ${shown} does not exist: ${entry.name} has ${entries.length ? `${plural(entries.length, 'nested message')} (${listNames(entries)})` : 'no nested messages'}`);
      }
      entry = next;
      entries = next.children;
    }
    if (!entry) throw badBytes('the Protobuf payload has an empty message index list');
    if (entry.mapEntry) throw badBytes(`message index [${indexes.join(', ')}] selects ${entry.name}, the entry type of a map field, not a message`);
    return { entry, plan: this.plans.get(entry)!, offset };
  }

  decode(payload: Buffer): Record<string, unknown> {
    const { entry, plan, offset } = this.select(payload);
    let message: protobuf.Message;
    try {
      const reader = protobuf.Reader.create(payload);
      reader.pos = offset;
      checkWire(plan, reader, payload.length, 0);
      reader.pos = offset;
      message = entry.type.decode(reader);
    } catch (e) {
      const text = errorText(e);
      const why = /index out of range/.test(text) ? 'the message ends early (truncated or corrupt bytes)' : oneLineMessage(text, 160);
      throw badBytes(`bad Protobuf bytes for ${entry.name} (message index [${entry.indexes.join(', ')}]): ${why}`);
    }
    return outMessage(plan, message as unknown as Record<string, unknown>);
  }

  messageNameOf(payload: Buffer): string {
    return this.select(payload).entry.name;
  }

  encode(value: Record<string, unknown>, messageName?: string): Buffer {
    const target = messageName === undefined ? this.byName.get(this.first.name)! : this.lookup(messageName);
    let plain: Record<string, unknown>;
    try {
      plain = inMessage(target.plan, value, '');
    } catch (e) {
      if (e instanceof FitError) throw new StreamlabError(`cannot encode ${target.entry.name}: ${e.path ? `field ${e.path}: ` : ''}${e.message}`);
      throw e;
    }
    let bytes: Uint8Array;
    try {
      bytes = target.entry.type.encode(plain).finish();
    } catch (e) {
      throw new StreamlabError(`cannot encode ${target.entry.name}: ${oneLineMessage(errorText(e))}`);
    }
    return Buffer.concat([target.prefix, bytes]);
  }

  private lookup(name: string): { entry: IndexEntry; plan: TypePlan; prefix: Buffer } {
    const bare = name.startsWith('.') ? name.slice(1) : name;
    const found = this.byName.get(bare) ?? (this.packageName ? this.byName.get(`${this.packageName}.${bare}`) : undefined);
    if (found) return found;
    const guess = didYouMean(bare, this.messageNames);
    throw new StreamlabError(
      `the schema has no message ${JSON.stringify(name)}`,
      guess ? `did you mean ${guess}? (messages: ${this.messageNames.slice(0, 8).join(', ')})` : `its messages are ${this.messageNames.slice(0, 8).join(', ')}`,
    );
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The codec of a registry Protobuf schema: `.proto` text or base64 FileDescriptorProto, with its references fetched
 * through `fetchReference` (recursively). Compile once per schema id and reuse.
 */
export async function protobufCodec(
  schema: RegisteredSchema,
  fetchReference: (ref: SchemaReference) => Promise<RegisteredSchema>,
): Promise<ProtobufCodec> {
  const { topTypes } = await loadSchema(schema, fetchReference);
  const parent = topTypes[0]!.parent;
  const packageName = parent && !(parent instanceof protobuf.Root) ? parent.fullName.slice(1) : '';
  try {
    return new Codec(indexTree(topTypes, []), packageName);
  } catch (e) {
    if (e instanceof StreamlabError) throw new StreamlabError(`the Protobuf schema ${schema.id}: ${e.line}`);
    throw new StreamlabError(`the Protobuf schema ${schema.id} cannot be used: ${oneLineMessage(errorText(e))}`);
  }
}
