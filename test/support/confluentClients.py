"""
Confluent's own Python clients (confluent-kafka with its Schema Registry serializers), as an independent writer and
reader for tests: one JSON job on stdin, JSON lines on stdout (the op in the job, or as the first argument). Run it
with the project's .venv python (scripts/install.sh installs confluent-kafka[avro,protobuf,json] there).

  produce: {"op": "produce", "bootstrap", "registry", "topic", "format": "avro"|"protobuf"|"jsonschema",
            "schema", "messageType"?, "imports"?, "protoFileName"?, "keySchema"?, "keyMessageType"?,
            "records": [{"key"?, "value", "headers"?, "partition"?, "timestamp"?}],
            "compression"?: "gzip"|"snappy"|"lz4"|"zstd", "subjectNameStrategy"?}
           prints {"produced": N, "schemaIds": [...], "keySchemaIds": [...]}
  consume: {"op": "consume", "bootstrap", "registry", "topic", "format", "count", "timeoutSeconds"?, "schema"?,
            "messageType"?, "imports"?, "keySchema"?, "keyMessageType"?, "keyFormat"?, "groupId"?, "raw"?}
           prints one line per record {"partition", "offset", "timestamp", "key", "value", "headers",
           "schemaId", "keySchemaId", "rawKey"?, "rawValue"?}, then {"consumed": N}

Keys: without keySchema they are written as UTF-8 strings (a non-string key as its JSON) and read back as strings;
with keySchema they are serialized like values (same format; keyMessageType for Protobuf). A consume job reads
schema'd keys with keyFormat (or keySchema) set. Without `schema`, consume reads each record with its writer's
schema from the registry (for Protobuf, the message its indexes name). Headers: an object or [name, value] pairs
in; [name, value] pairs out (values as UTF-8 text). subjectNameStrategy: topic (default), record or topic_record.
Any failure: exit code 1 and one line on stderr.

Protobuf schemas are .proto text, compiled here without protoc: a small parser makes the FileDescriptorProto and
protobuf's descriptor pool resolves its type names (as protoc's own DescriptorBuilder does); message classes come from
message_factory.GetMessageClass. `imports` maps file names to .proto text; google/protobuf/*.proto well-known types
are built in. `messageType` names the record's message (its full or short name; default the first message), so a
job can write the second message of a file (message index [1]) or a nested one.

Values are JSON. Avro logical types take JSON-friendly forms: timestamp-millis/-micros and local-timestamp-* an ISO
8601 string or epoch number, date an ISO date or days since the epoch, time-millis/-micros "HH:MM:SS[.ffffff]" or a
number, decimal a string such as "1.23" (or a number), uuid a string; plain bytes/fixed a string of code points
0-255 (Avro's JSON encoding). Consumed records render them back the same way: timestamps as ISO strings in UTC with
a Z (milliseconds, or microseconds when there are any), dates as YYYY-MM-DD, decimals as strings. Protobuf values use
protobuf's JSON mapping both ways (Timestamp an RFC 3339 string, 64-bit integers strings, enums names, bytes base64).
"""

import base64
import datetime as dt
import decimal
import json
import re
import sys
import uuid
from typing import Any, Dict, List, Optional, Tuple

import attrs
from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.schema_registry import (
    SchemaRegistryClient,
    SchemaRegistryError,
    record_subject_name_strategy,
    topic_record_subject_name_strategy,
    topic_subject_name_strategy,
)
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext, StringDeserializer, StringSerializer
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

# The well-known types a .proto may import; importing the modules loads them.
from google.protobuf import (  # noqa: F401
    any_pb2,
    duration_pb2,
    empty_pb2,
    field_mask_pb2,
    struct_pb2,
    timestamp_pb2,
    wrappers_pb2,
)

WELL_KNOWN = {m.DESCRIPTOR.name: m.DESCRIPTOR for m in (any_pb2, duration_pb2, empty_pb2, field_mask_pb2, struct_pb2, timestamp_pb2, wrappers_pb2)}
STRATEGIES = {
    'topic': topic_subject_name_strategy,
    'record': record_subject_name_strategy,
    'topic_record': topic_record_subject_name_strategy,
}
COMPRESSIONS = ('none', 'gzip', 'snappy', 'lz4', 'zstd')


class JobError(Exception):
    pass


# ---------------------------------------------------------------------------------------------------------------
# .proto text -> FileDescriptorProto

FDP = descriptor_pb2.FieldDescriptorProto
SCALARS = {
    'double': FDP.TYPE_DOUBLE, 'float': FDP.TYPE_FLOAT, 'int64': FDP.TYPE_INT64, 'uint64': FDP.TYPE_UINT64,
    'int32': FDP.TYPE_INT32, 'fixed64': FDP.TYPE_FIXED64, 'fixed32': FDP.TYPE_FIXED32, 'bool': FDP.TYPE_BOOL,
    'string': FDP.TYPE_STRING, 'bytes': FDP.TYPE_BYTES, 'uint32': FDP.TYPE_UINT32, 'sfixed32': FDP.TYPE_SFIXED32,
    'sfixed64': FDP.TYPE_SFIXED64, 'sint32': FDP.TYPE_SINT32, 'sint64': FDP.TYPE_SINT64,
}
TOKEN = re.compile(
    r'\s+|//[^\n]*|/\*.*?\*/'
    r'|(?P<str>"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\')'
    r'|(?P<num>-?(?:0[xX][0-9a-fA-F]+|\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|inf|nan)(?![\w.]))'
    r'|(?P<ident>\.?[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)'
    r'|(?P<sym>[{}\[\]()<>;=,:.\-+])',
    re.S,
)


class ProtoParser:
    """The proto2/proto3 subset tests use: messages (nested), enums, oneofs, maps, optional, imports, options."""

    def __init__(self, name: str, text: str):
        self.name = name
        self.tokens: List[Tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            m = TOKEN.match(text, pos)
            if not m:
                raise JobError(f'{name}: cannot read .proto text at {text[pos:pos + 30]!r}')
            pos = m.end()
            kind = m.lastgroup
            if kind:
                self.tokens.append((kind, m.group(kind)))
        self.i = 0

    def peek(self, ahead: int = 0) -> Optional[str]:
        j = self.i + ahead
        return self.tokens[j][1] if j < len(self.tokens) else None

    def next(self) -> str:
        if self.i >= len(self.tokens):
            raise JobError(f'{self.name}: unexpected end of .proto text')
        tok = self.tokens[self.i][1]
        self.i += 1
        return tok

    def expect(self, value: str) -> None:
        tok = self.next()
        if tok != value:
            raise JobError(f'{self.name}: expected {value!r}, found {tok!r}')

    def string(self) -> str:
        kind, tok = self.tokens[self.i]
        if kind != 'str':
            raise JobError(f'{self.name}: expected a string, found {tok!r}')
        self.i += 1
        out = tok[1:-1].encode('latin-1', 'backslashreplace').decode('unicode_escape')
        while self.i < len(self.tokens) and self.tokens[self.i][0] == 'str':  # adjacent strings concatenate
            out += self.next()[1:-1]
        return out

    def skip_statement(self) -> None:
        """Skips to the end of a statement or block: `... ;` or `... { ... }`."""
        depth = 0
        while True:
            tok = self.next()
            if tok == '{':
                depth += 1
            elif tok == '}':
                depth -= 1
                if depth == 0:
                    return
            elif tok == ';' and depth == 0:
                return

    def option_value(self) -> str:
        tok = self.peek()
        if tok == '{':  # an aggregate value
            depth = 0
            while True:
                t = self.next()
                depth += (t == '{') - (t == '}')
                if depth == 0:
                    return ''
        if tok == '-':
            self.next()
            return '-' + self.next()
        if self.tokens[self.i][0] == 'str':
            return self.string()
        return self.next()

    def field_options(self, field: Any) -> None:
        if self.peek() != '[':
            return
        self.next()
        while True:
            name = ''
            while self.peek() != '=':
                name += self.next()
            self.next()
            value = self.option_value()
            if name == 'default':
                field.default_value = value
            elif name == 'json_name':
                field.json_name = value
            elif name == 'packed':
                field.options.packed = value == 'true'
            elif name == 'deprecated':
                field.options.deprecated = value == 'true'
            if self.peek() == ',':
                self.next()
                continue
            self.expect(']')
            return

    def parse(self) -> descriptor_pb2.FileDescriptorProto:
        fd = descriptor_pb2.FileDescriptorProto(name=self.name)
        while self.peek() is not None:
            tok = self.next()
            if tok == 'syntax':
                self.expect('=')
                syntax = self.string()
                if syntax != 'proto2':
                    fd.syntax = syntax
                self.expect(';')
            elif tok == 'edition':
                raise JobError(f'{self.name}: protobuf editions are not supported here')
            elif tok == 'package':
                fd.package = self.next().lstrip('.')
                self.expect(';')
            elif tok == 'import':
                if self.peek() in ('public', 'weak'):
                    kind = self.next()
                    (fd.public_dependency if kind == 'public' else fd.weak_dependency).append(len(fd.dependency))
                fd.dependency.append(self.string())
                self.expect(';')
            elif tok == 'message':
                self.message(fd.message_type.add(), fd.syntax == 'proto3')
            elif tok == 'enum':
                self.enum(fd.enum_type.add())
            elif tok in ('option', 'service', 'extend'):
                self.skip_statement()
            elif tok == ';':
                continue
            else:
                raise JobError(f'{self.name}: unexpected {tok!r} at the top level')
        return fd

    def message(self, msg: descriptor_pb2.DescriptorProto, proto3: bool) -> None:
        msg.name = self.next()
        self.expect('{')
        synthetic: List[Any] = []
        while True:
            tok = self.peek()
            if tok == '}':
                self.next()
                break
            if tok == ';':
                self.next()
            elif tok == 'message':
                self.next()
                self.message(msg.nested_type.add(), proto3)
            elif tok == 'enum':
                self.next()
                self.enum(msg.enum_type.add())
            elif tok == 'oneof':
                self.next()
                index = len(msg.oneof_decl)
                msg.oneof_decl.add(name=self.next())
                self.expect('{')
                while self.peek() != '}':
                    if self.peek() == 'option':
                        self.skip_statement()
                        continue
                    field = self.field(msg, FDP.LABEL_OPTIONAL, proto3)
                    field.oneof_index = index
                self.next()
            elif tok in ('option', 'reserved', 'extensions', 'extend'):
                self.skip_statement()
            elif tok == 'map' and self.peek(1) == '<':
                self.next()
                self.map_field(msg)
            else:
                label = FDP.LABEL_OPTIONAL
                explicit_optional = False
                if tok in ('repeated', 'optional', 'required'):
                    self.next()
                    label = {'repeated': FDP.LABEL_REPEATED, 'optional': FDP.LABEL_OPTIONAL, 'required': FDP.LABEL_REQUIRED}[tok]
                    explicit_optional = tok == 'optional'
                field = self.field(msg, label, proto3)
                if proto3 and explicit_optional:
                    field.proto3_optional = True
                    synthetic.append(field)
        # proto3 `optional` fields each get a synthetic oneof, after the real ones (as protoc places them).
        for field in synthetic:
            field.oneof_index = len(msg.oneof_decl)
            msg.oneof_decl.add(name='_' + field.name)

    def field(self, msg: descriptor_pb2.DescriptorProto, label: int, proto3: bool) -> Any:
        type_name = self.next()
        if type_name == 'group':
            raise JobError(f'{self.name}: proto2 groups are not supported here')
        field = msg.field.add(name=self.next(), label=label)
        self.expect('=')
        field.number = int(self.next(), 0)
        if type_name in SCALARS:
            field.type = SCALARS[type_name]
        else:
            field.type_name = type_name  # resolved (message or enum) by the descriptor pool
        self.field_options(field)
        self.expect(';')
        return field

    def map_field(self, msg: descriptor_pb2.DescriptorProto) -> None:
        self.expect('<')
        key_type = self.next()
        self.expect(',')
        value_type = self.next()
        self.expect('>')
        name = self.next()
        entry_name = ''.join(part[:1].upper() + part[1:] for part in name.split('_')) + 'Entry'
        entry = msg.nested_type.add(name=entry_name)
        entry.options.map_entry = True
        for number, (fname, ftype) in enumerate((('key', key_type), ('value', value_type)), start=1):
            f = entry.field.add(name=fname, number=number, label=FDP.LABEL_OPTIONAL)
            if ftype in SCALARS:
                f.type = SCALARS[ftype]
            else:
                f.type_name = ftype
        field = msg.field.add(name=name, label=FDP.LABEL_REPEATED, type_name=entry_name)
        self.expect('=')
        field.number = int(self.next(), 0)
        self.field_options(field)
        self.expect(';')

    def enum(self, enum: descriptor_pb2.EnumDescriptorProto) -> None:
        enum.name = self.next()
        self.expect('{')
        while True:
            tok = self.next()
            if tok == '}':
                return
            if tok == ';':
                continue
            if tok in ('option', 'reserved'):
                self.i -= 1
                self.skip_statement()
                continue
            self.expect('=')
            number = self.next()
            if number == '-':
                number = '-' + self.next()
            enum.value.add(name=tok, number=int(number, 0))
            if self.peek() == '[':
                depth = 0
                while True:
                    t = self.next()
                    depth += (t == '[') - (t == ']')
                    if depth == 0:
                        break
            self.expect(';')


def proto_pool(main: str, imports: Dict[str, str], main_name: str = 'schema.proto') -> Tuple[Any, Any]:
    """A descriptor pool holding the well-known types, the imported files and the main file; returns (pool, file)."""
    pool = descriptor_pool.DescriptorPool()
    added: Dict[str, Any] = {}

    def add(name: str, text: Optional[str]) -> None:
        if name in added:
            return
        if text is None:
            if name not in WELL_KNOWN and not name.startswith('google/protobuf/'):
                raise JobError(f'the .proto imports {name}, which is not in the job\'s imports')
            wk = WELL_KNOWN.get(name)
            if wk is None:
                raise JobError(f'well-known type file {name} is not available here')
            proto = descriptor_pb2.FileDescriptorProto()
            wk.CopyToProto(proto)
        else:
            proto = ProtoParser(name, text).parse()
        added[name] = None
        for dep in proto.dependency:
            add(dep, imports.get(dep))
        pool.Add(proto)
        added[name] = proto

    for name, text in imports.items():
        add(name, text)
    add(main_name, main)
    return pool, pool.FindFileByName(main_name)


def all_messages(fd: Any) -> List[Any]:
    out: List[Any] = []

    def walk(d: Any) -> None:
        out.append(d)
        for n in d.nested_types:
            if not n.GetOptions().map_entry:
                walk(n)

    for d in fd.message_types_by_name.values():
        walk(d)
    return out


def message_class(pool_file: Tuple[Any, Any], type_name: Optional[str]) -> Any:
    pool, fd = pool_file
    if type_name is None:
        if not fd.message_types_by_name:
            raise JobError('the .proto declares no message')
        desc = fd.message_types_by_name[list(fd.message_types_by_name)[0]]
    else:
        candidates = [d for d in all_messages(fd) if d.full_name == type_name.lstrip('.') or d.name == type_name
                      or d.full_name.endswith('.' + type_name)]
        if not candidates:
            raise JobError(f'no message {type_name} in the .proto (it has {", ".join(d.full_name for d in all_messages(fd))})')
        desc = candidates[0]
    return message_factory.GetMessageClass(desc)


# ---------------------------------------------------------------------------------------------------------------
# Avro values: JSON-friendly forms in, serializer forms in; deserializer forms out, JSON-friendly forms out

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
EPOCH_DATE = dt.date(1970, 1, 1)
AVRO_PRIMITIVES = {'null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string'}


def parse_iso_datetime(value: str) -> dt.datetime:
    text = value.strip().replace(' ', 'T')
    if text.endswith(('Z', 'z')):
        text = text[:-1] + '+00:00'
    # fromisoformat in 3.11 takes up to 6 fraction digits; trim nanoseconds.
    text = re.sub(r'(\.\d{6})\d+', r'\1', text)
    parsed = dt.datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def render_datetime(value: dt.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc)
    spec = 'milliseconds' if value.microsecond % 1000 == 0 else 'microseconds'
    text = value.replace(tzinfo=None).isoformat(timespec=spec)
    return text + 'Z' if value.tzinfo is not None else text


class AvroNames:
    def __init__(self) -> None:
        self.named: Dict[str, Any] = {}

    def collect(self, schema: Any, namespace: str = '') -> None:
        if isinstance(schema, list):
            for s in schema:
                self.collect(s, namespace)
        elif isinstance(schema, dict):
            t = schema.get('type')
            if t in ('record', 'error', 'enum', 'fixed'):
                name = schema['name']
                ns = schema.get('namespace', namespace) if '.' not in name else name.rsplit('.', 1)[0]
                full = name if '.' in name else (f'{ns}.{name}' if ns else name)
                self.named[full] = schema
                self.named.setdefault(name.rsplit('.', 1)[-1], schema)
                if t in ('record', 'error'):
                    for f in schema.get('fields', []):
                        self.collect(f['type'], ns)
            elif t == 'array':
                self.collect(schema['items'], namespace)
            elif t == 'map':
                self.collect(schema['values'], namespace)
            elif isinstance(t, (dict, list)):
                self.collect(t, namespace)

    def resolve(self, schema: Any) -> Any:
        if isinstance(schema, str) and schema not in AVRO_PRIMITIVES:
            return self.named.get(schema, self.named.get(schema.rsplit('.', 1)[-1], schema))
        if isinstance(schema, dict) and isinstance(schema.get('type'), (dict, list)):
            return schema['type']
        if isinstance(schema, dict) and isinstance(schema.get('type'), str) and schema['type'] not in AVRO_PRIMITIVES \
                and schema['type'] not in ('record', 'error', 'enum', 'fixed', 'array', 'map') and 'logicalType' not in schema:
            return self.resolve(schema['type'])
        return schema


def avro_in(schema: Any, value: Any, names: AvroNames) -> Any:
    schema = names.resolve(schema)
    if isinstance(schema, list):  # a union: the first branch the value converts to
        if value is None:
            return None
        errors = []
        for branch in schema:
            b = names.resolve(branch)
            if b == 'null' or (isinstance(b, dict) and b.get('type') == 'null'):
                continue
            try:
                converted = avro_in(b, value, names)
                if avro_fits(b, converted, names):
                    return converted
            except (ValueError, TypeError, KeyError, decimal.InvalidOperation) as e:
                errors.append(str(e))
        return value
    if value is None:
        return None
    t = schema if isinstance(schema, str) else schema.get('type')
    logical = schema.get('logicalType') if isinstance(schema, dict) else None
    if logical in ('timestamp-millis', 'timestamp-micros', 'local-timestamp-millis', 'local-timestamp-micros'):
        if isinstance(value, str):
            parsed = parse_iso_datetime(value)
            if logical.startswith('local-'):
                return parsed.replace(tzinfo=None)
            return parsed
        return int(value)
    if logical == 'date':
        return dt.date.fromisoformat(value[:10]) if isinstance(value, str) else int(value)
    if logical in ('time-millis', 'time-micros'):
        return dt.time.fromisoformat(value) if isinstance(value, str) else int(value)
    if logical == 'decimal':
        return decimal.Decimal(str(value))
    if logical == 'uuid':
        return str(uuid.UUID(str(value)))
    if t == 'record' or t == 'error':
        if not isinstance(value, dict):
            raise TypeError(f'record {schema.get("name")} needs an object, got {value!r}')
        # A field left out takes its default (fastavro fills it in, or fails naming the field).
        return {f['name']: avro_in(f['type'], value[f['name']], names) for f in schema['fields'] if f['name'] in value}
    if t == 'array':
        return [avro_in(schema['items'], v, names) for v in value]
    if t == 'map':
        return {k: avro_in(schema['values'], v, names) for k, v in value.items()}
    if t in ('bytes', 'fixed'):
        return value.encode('latin-1') if isinstance(value, str) else bytes(value)
    if t in ('int', 'long') and isinstance(value, bool):
        raise TypeError('a boolean is not an integer')
    if t in ('float', 'double') and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


def avro_fits(schema: Any, value: Any, names: AvroNames) -> bool:
    """Whether a converted value belongs to this union branch (fastavro would pick it)."""
    t = schema if isinstance(schema, str) else schema.get('type')
    logical = schema.get('logicalType') if isinstance(schema, dict) else None
    if logical:
        return True
    if t in ('record', 'error'):
        return isinstance(value, dict) and all(f['name'] in value or 'default' in f for f in schema['fields'])
    if t == 'map':
        return isinstance(value, dict)
    if t == 'array':
        return isinstance(value, list)
    if t in ('string', 'enum'):
        return isinstance(value, str) and (t == 'string' or value in schema.get('symbols', []))
    if t == 'boolean':
        return isinstance(value, bool)
    if t in ('int', 'long'):
        return isinstance(value, int) and not isinstance(value, bool)
    if t in ('float', 'double'):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if t in ('bytes', 'fixed'):
        return isinstance(value, bytes)
    return True


def avro_out(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return render_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode('latin-1')
    if isinstance(value, dict):
        return {k: avro_out(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [avro_out(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------------------------
# produce and consume

class RegistryClient(SchemaRegistryClient):
    """
    Confluent's client, made to read Protobuf schemas from Apicurio Registry too. The Protobuf deserializer asks
    for `?format=serialized` (the base64 FileDescriptorProto). Apicurio 3.3.3's ccompat API answers that with HTTP 500
    for a schema stored as base64 (what this very serializer registers: it tries to parse it as .proto text), and
    with the raw descriptor bytes, not base64, for one stored as .proto text (what Java clients register). Without
    the parameter it returns the schema as it was registered. So this client never asks for a format, and turns a
    .proto text answer into the base64 descriptor itself (with the parser above).
    """

    def get_schema(self, schema_id: int, subject_name: Optional[str] = None, fmt: Optional[str] = None, reference_format: Optional[str] = None) -> Any:
        schema = super().get_schema(schema_id, subject_name, None, reference_format)
        return serialized_protobuf(schema) if fmt == 'serialized' else schema

    def get_version(self, subject_name: str, version: Any = 'latest', deleted: bool = False, fmt: Optional[str] = None) -> Any:
        registered = super().get_version(subject_name, version, deleted, None)
        if fmt != 'serialized':
            return registered
        return attrs.evolve(registered, schema=serialized_protobuf(registered.schema))


def serialized_protobuf(schema: Any) -> Any:
    text = schema.schema_str or ''
    if schema.schema_type != 'PROTOBUF' or re.fullmatch(r'[A-Za-z0-9+/=\s]*', text):
        return schema
    proto = ProtoParser('registry.proto', text).parse()
    return attrs.evolve(schema, schema_str=base64.standard_b64encode(proto.SerializeToString()).decode('ascii'))


def registry_client(job: Dict[str, Any]) -> SchemaRegistryClient:
    url = job.get('registry')
    if not url:
        raise JobError('the job names no registry URL')
    # Confluent's client sets no HTTP timeout unless told (httpx then waits forever): one unanswered request to the
    # registry once hung a CI run for 29 minutes. With one, a stalled request is retried (max.retries) and then fails.
    return RegistryClient({'url': url, 'timeout': 15})


def header_list(headers: Any) -> List[Tuple[str, Optional[bytes]]]:
    if headers is None:
        return []
    pairs = headers.items() if isinstance(headers, dict) else headers
    return [(str(k), None if v is None else (v.encode('utf-8') if isinstance(v, str) else json.dumps(v).encode('utf-8'))) for k, v in pairs]


def schema_id_of(data: Optional[bytes]) -> Optional[int]:
    if data is None or len(data) < 5 or data[0] != 0:
        return None
    return int.from_bytes(data[1:5], 'big')


def make_serializer(job: Dict[str, Any], client: SchemaRegistryClient, schema: Any, message_type: Optional[str]) -> Tuple[Any, Any]:
    """(serializer, to_serializer_input) for one side (key or value) of the records."""
    fmt = job['format']
    strategy = job.get('subjectNameStrategy', 'topic')
    if strategy not in STRATEGIES:
        raise JobError(f'unknown subjectNameStrategy {strategy!r} (use {", ".join(STRATEGIES)})')
    conf: Dict[str, Any] = {'auto.register.schemas': True, 'subject.name.strategy': STRATEGIES[strategy]}
    if fmt == 'avro':
        schema_text = schema if isinstance(schema, str) else json.dumps(schema)
        parsed = json.loads(schema_text)
        names = AvroNames()
        names.collect(parsed)
        return AvroSerializer(client, schema_text, conf=conf), lambda v: avro_in(parsed, v, names)
    if fmt == 'jsonschema':
        schema_text = schema if isinstance(schema, str) else json.dumps(schema)
        return JSONSerializer(schema_text, client, conf=conf), lambda v: v
    if fmt == 'protobuf':
        cls = message_class(proto_pool(schema, job.get('imports') or {}, job.get('protoFileName', 'schema.proto')), message_type)
        return ProtobufSerializer(cls, client, conf=conf), lambda v: json_format.ParseDict(v, cls())
    raise JobError(f'unknown format {fmt!r} (use avro, protobuf or jsonschema)')


def produce(job: Dict[str, Any]) -> Dict[str, Any]:
    client = registry_client(job)
    topic = job['topic']
    value_ser, value_in = make_serializer(job, client, job['schema'], job.get('messageType'))
    key_ser = key_in = None
    if job.get('keySchema') is not None:
        key_ser, key_in = make_serializer(job, client, job['keySchema'], job.get('keyMessageType'))
    strings = StringSerializer('utf_8')
    compression = job.get('compression') or 'none'
    if compression not in COMPRESSIONS:
        raise JobError(f'unknown compression {compression!r} (use {", ".join(COMPRESSIONS)})')
    producer = Producer({
        'bootstrap.servers': job['bootstrap'],
        'compression.type': compression,
        'enable.idempotence': True,
        'linger.ms': 5,
        'client.id': 'streamlab-test-confluent-python',
    })
    errors: List[str] = []
    schema_ids: List[int] = []
    key_schema_ids: List[int] = []

    def delivered(err: Any, _msg: Any) -> None:
        if err is not None:
            errors.append(str(err))

    for record in job['records']:
        value_ctx = SerializationContext(topic, MessageField.VALUE)
        key_ctx = SerializationContext(topic, MessageField.KEY)
        key = record.get('key')
        if key is None:
            key_bytes = None
        elif key_ser is not None:
            key_bytes = key_ser(key_in(key), key_ctx)
            kid = schema_id_of(key_bytes)
            if kid is not None and kid not in key_schema_ids:
                key_schema_ids.append(kid)
        else:
            key_bytes = strings(key if isinstance(key, str) else json.dumps(key), key_ctx)
        value = record.get('value')
        value_bytes = None if value is None else value_ser(value_in(value), value_ctx)
        vid = schema_id_of(value_bytes)
        if vid is not None and vid not in schema_ids:
            schema_ids.append(vid)
        kwargs: Dict[str, Any] = {'key': key_bytes, 'value': value_bytes, 'headers': header_list(record.get('headers')), 'on_delivery': delivered}
        if record.get('partition') is not None:
            kwargs['partition'] = int(record['partition'])
        if record.get('timestamp') is not None:
            kwargs['timestamp'] = int(record['timestamp'])
        while True:
            try:
                producer.produce(topic, **kwargs)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    left = producer.flush(60)
    if left:
        raise JobError(f'{left} records were not delivered within 60 s')
    if errors:
        raise JobError(f'delivery failed: {errors[0]}')
    return {'produced': len(job['records']), 'schemaIds': schema_ids, 'keySchemaIds': key_schema_ids}


def read_varint(data: bytes, pos: int) -> Tuple[int, int]:
    shift = result = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return (result >> 1) ^ -(result & 1), pos
        shift += 7


def protobuf_message_indexes(data: bytes) -> List[int]:
    count, pos = read_varint(data, 5)
    if count == 0:
        return [0]
    out = []
    for _ in range(count):
        v, pos = read_varint(data, pos)
        out.append(v)
    return out


class ProtobufReader:
    """A ProtobufDeserializer per message class: the job's own .proto, or the writer's schema from the registry."""

    def __init__(self, job: Dict[str, Any], client: SchemaRegistryClient, schema: Optional[str], message_type: Optional[str]):
        self.client = client
        self.fixed = None
        if schema is not None:
            cls = message_class(proto_pool(schema, job.get('imports') or {}, job.get('protoFileName', 'schema.proto')), message_type)
            self.fixed = ProtobufDeserializer(cls, {}, client)
        self.by_writer: Dict[Tuple[int, Tuple[int, ...]], Any] = {}

    def __call__(self, data: Optional[bytes], ctx: SerializationContext) -> Any:
        if data is None:
            return None
        deserializer = self.fixed
        if deserializer is None:
            key = (schema_id_of(data), tuple(protobuf_message_indexes(data)))
            deserializer = self.by_writer.get(key)
            if deserializer is None:
                deserializer = ProtobufDeserializer(self.writer_class(key[0], list(key[1])), {}, self.client)
                self.by_writer[key] = deserializer
        return deserializer(data, ctx)

    def writer_class(self, schema_id: Optional[int], indexes: List[int]) -> Any:
        from confluent_kafka.schema_registry._sync.protobuf import _init_pool, _resolve_named_schema, _str_to_proto
        if schema_id is None:
            raise JobError('a record without a schema id (no Confluent framing)')
        schema = self.client.get_schema(schema_id, fmt='serialized')
        pool = descriptor_pool.DescriptorPool()
        _init_pool(pool)
        _resolve_named_schema(schema, self.client, pool)
        fd_proto = _str_to_proto(f'schema-{schema_id}.proto', schema.schema_str)
        pool.Add(fd_proto)
        level: Any = pool.FindFileByName(fd_proto.name)
        desc = None
        for depth, index in enumerate(indexes):
            types = list(level.message_types_by_name.values()) if depth == 0 else list(level.nested_types)
            desc = types[index]
            level = desc
        return message_factory.GetMessageClass(desc)


def make_deserializer(job: Dict[str, Any], client: SchemaRegistryClient, fmt: str, schema: Any, message_type: Optional[str]) -> Any:
    schema_text = None if schema is None else (schema if isinstance(schema, str) else json.dumps(schema))
    if fmt == 'avro':
        d = AvroDeserializer(client, schema_text)
        return lambda data, ctx: avro_out(d(data, ctx))
    if fmt == 'jsonschema':
        return JSONDeserializer(schema_text, schema_registry_client=client)
    if fmt == 'protobuf':
        reader = ProtobufReader(job, client, schema_text, message_type)

        def render(data: Optional[bytes], ctx: SerializationContext) -> Any:
            msg = reader(data, ctx)
            return None if msg is None else json_format.MessageToDict(msg, preserving_proto_field_name=True)
        return render
    if fmt == 'string':
        s = StringDeserializer('utf_8')
        return lambda data, ctx: s(data, ctx)
    raise JobError(f'unknown format {fmt!r} (use avro, protobuf or jsonschema)')


def where_consumer_is(consumer: Any, topic: str) -> str:
    """For a failure message: the partitions assigned, and per partition the position against the watermarks."""
    try:
        parts = consumer.assignment()
        if not parts:
            return f'no partition of {topic} assigned'
        out = []
        for tp in consumer.position(parts):
            low, high = consumer.get_watermark_offsets(tp, timeout=5)
            out.append(f'partition {tp.partition} at {tp.offset} of [{low}, {high})')
        return ', '.join(out)
    except Exception as e:  # diagnostics only: never hide the failure being reported
        return f'position unknown ({e})'


def consume(job: Dict[str, Any]) -> None:
    client = registry_client(job)
    topic = job['topic']
    fmt = job['format']
    count = int(job['count'])
    timeout = float(job.get('timeoutSeconds', 30))
    value_de = make_deserializer(job, client, fmt, job.get('schema'), job.get('messageType'))
    key_format = job.get('keyFormat') or (fmt if job.get('keySchema') is not None else 'string')
    key_de = make_deserializer(job, client, key_format, job.get('keySchema'), job.get('keyMessageType'))
    consumer = Consumer({
        'bootstrap.servers': job['bootstrap'],
        'group.id': job.get('groupId') or f'streamlab-test-{uuid.uuid4()}',
        'auto.offset.reset': 'earliest',
        'enable.auto.commit': False,
        'client.id': 'streamlab-test-confluent-python',
    })
    consumer.subscribe([topic])
    import time
    deadline = time.monotonic() + timeout
    seen = 0
    try:
        while seen < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise JobError(f'read {seen} of {count} records from {topic} within {timeout} s; {where_consumer_is(consumer, topic)}')
            msg = consumer.poll(min(left, 1.0))
            if msg is None:
                continue
            if msg.error():
                if msg.error().retriable() or 'UNKNOWN_TOPIC' in str(msg.error()):
                    continue
                raise KafkaException(msg.error())
            key_ctx = SerializationContext(topic, MessageField.KEY, msg.headers())
            value_ctx = SerializationContext(topic, MessageField.VALUE, msg.headers())
            raw_key, raw_value = msg.key(), msg.value()
            out = {
                'partition': msg.partition(),
                'offset': msg.offset(),
                'timestamp': msg.timestamp()[1],
                'key': None if raw_key is None else key_de(raw_key, key_ctx),
                'value': None if raw_value is None else value_de(raw_value, value_ctx),
                'headers': [[k, None if v is None else v.decode('utf-8', 'replace')] for k, v in (msg.headers() or [])],
                'schemaId': schema_id_of(raw_value),
                'keySchemaId': schema_id_of(raw_key) if key_format != 'string' else None,
            }
            if job.get('raw'):  # the bytes as written, base64: framing (magic byte, schema id, message indexes) and all
                out['rawKey'] = None if raw_key is None else base64.b64encode(raw_key).decode('ascii')
                out['rawValue'] = None if raw_value is None else base64.b64encode(raw_value).decode('ascii')
            print(json.dumps(out, default=str), flush=True)
            seen += 1
    finally:
        consumer.close()
    print(json.dumps({'consumed': seen}), flush=True)


def main() -> int:
    try:
        job = json.load(sys.stdin)
        op = job.get('op') or (sys.argv[1] if len(sys.argv) > 1 else None)
        if op == 'produce':
            print(json.dumps(produce(job)), flush=True)
        elif op == 'consume':
            consume(job)
        else:
            raise JobError(f'unknown op {op!r}: use produce or consume (as "op" in the job or the first argument)')
        return 0
    except Exception as e:  # one line on stderr, for the test's failure message
        print(f'confluentClients: {type(e).__name__}: {e}'.replace('\n', ' ')[:2000], file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main())
