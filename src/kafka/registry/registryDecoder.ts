/**
 * Decoding of records in a Schema Registry's wire format, for the formats 'avro', 'protobuf', 'jsonschema' and
 * 'auto'. Before a batch is decoded, prepare() fetches the writer schema of every id the batch holds that is not known
 * yet (once per id, cached, bounded) and compiles it; decode() is then synchronous. Per record:
 * - an id the registry does not have, a schema that does not compile, or bytes that do not decode with it: the
 *   record throws with that reason (the source keeps it as a dead letter), and the stream goes on;
 * - a registry that cannot be reached: nothing is dead-lettered (the records are fine); prepare() waits and retries,
 *   says so once in `waiting`, and carries on when the registry is back;
 * - 'auto': bytes in the wire format decode with their schema, whatever its kind; others as a JSON object.
 */
import Ajv from 'ajv';
import { StreamlabError } from '../../errors';
import type { RecordSchema } from '../../record';
import { jsonDecoder, utf8Text, parseJson } from '../decoders';
import type { BatchAwareDecoder } from '../formats/format';
import { AvroCodec, avroType } from './avroCodec';
import { protobufCodec } from './protobufSchema';
import { SchemaRegistryClient, SchemaRegistryError } from './schemaRegistryClient';
import type { RegisteredSchema, RegistrySchemaType } from './types';
import { wirePayload, wireSchemaId } from './wireFormat';

export type RegistryFormat = 'avro' | 'protobuf' | 'jsonschema' | 'auto';

const TYPE_OF: Record<Exclude<RegistryFormat, 'auto'>, RegistrySchemaType> = { avro: 'AVRO', protobuf: 'PROTOBUF', jsonschema: 'JSON' };
const FORMAT_OF: Record<RegistrySchemaType, RecordSchema['format']> = { AVRO: 'avro', PROTOBUF: 'protobuf', JSON: 'jsonschema' };

interface Compiled {
  decode(payload: Buffer): unknown;
  schema: RecordSchema;
}

export interface RegistryDecoderOptions {
  /** Avro only: values of every writer schema are read as this one (Avro schema resolution). */
  readerSchema?: string | object;
  /** Longest a batch waits for an unreachable registry before it gives up with the error. Default: for ever. */
  maxWaitMs?: number;
}

export class RegistryDecoder implements BatchAwareDecoder<unknown> {
  readonly name: string;
  private readonly compiled = new Map<number, Compiled>();
  /** Ids that will never decode (not in the registry, a schema of the wrong kind or that does not compile). */
  private readonly refused = new Map<number, string>();
  private readonly reader: ReturnType<typeof avroType> | undefined;
  /** What a batch is waiting for (an unreachable registry), for status lines; undefined when nothing. */
  waiting: string | undefined;
  /** Times the registry could not be reached, in all. */
  outages = 0;

  constructor(
    readonly format: RegistryFormat,
    private readonly registry: SchemaRegistryClient,
    private readonly options: RegistryDecoderOptions = {},
  ) {
    this.name = format;
    if (options.readerSchema !== undefined) {
      if (format !== 'avro' && format !== 'auto') throw new StreamlabError(`a reader schema is for Avro; format '${format}' takes none`, 'drop readerSchema');
      this.reader = avroType(options.readerSchema, 'the reader schema');
    }
  }

  async prepare(values: readonly (Buffer | null)[], keepWaiting: () => boolean = () => true): Promise<void> {
    const ids = new Set<number>();
    for (const v of values) {
      const id = wireSchemaId(v);
      if (id !== undefined && !this.compiled.has(id) && !this.refused.has(id)) ids.add(id);
    }
    for (const id of ids) await this.learn(id, keepWaiting);
  }

  private async learn(id: number, keepWaiting: () => boolean): Promise<void> {
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        const schema = await this.registry.schemaById(id);
        const compiled = await this.compile(schema);
        this.compiled.set(id, compiled);
        // Subject and version are for display only: a registry that cannot say them does not stop decoding.
        const [where] = await this.registry.versionsOf(id).catch(() => []);
        if (where) Object.assign(compiled.schema, { subject: where.subject, version: where.version });
        this.waiting = undefined;
        return;
      } catch (e) {
        const error = e as Error;
        const transient = error instanceof SchemaRegistryError && (error.status === undefined || error.status >= 500 || error.status === 429);
        if (!transient) {
          this.refused.set(id, error.message);
          this.waiting = undefined;
          return;
        }
        if (this.waiting === undefined) this.outages++;
        this.waiting = `waiting for the Schema Registry: ${error.message}`;
        if (!keepWaiting() || (this.options.maxWaitMs !== undefined && Date.now() - started > this.options.maxWaitMs)) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 250 * 2 ** Math.min(attempt, 5))));
        if (!keepWaiting()) throw error;
      }
    }
  }

  private async compile(schema: RegisteredSchema): Promise<Compiled> {
    const wanted = this.format === 'auto' ? undefined : TYPE_OF[this.format];
    if (wanted !== undefined && schema.schemaType !== wanted) {
      throw new StreamlabError(`schema id ${schema.id} is ${schema.schemaType === 'JSON' ? 'a JSON Schema' : `an ${schema.schemaType === 'AVRO' ? 'Avro' : 'Protobuf'} schema`}, not ${this.format}`, `read the topic with --decoder ${FORMAT_OF[schema.schemaType]} or auto`);
    }
    const info: RecordSchema = { id: schema.id, format: FORMAT_OF[schema.schemaType] };
    const what = `schema id ${schema.id}`;
    switch (schema.schemaType) {
      case 'AVRO': {
        // Named types of references are registered first, so the schema can use them by name.
        const namedTypes: Record<string, ReturnType<typeof avroType>> = {};
        for (const ref of schema.references) {
          const referenced = await this.registry.schemaBySubject(ref.subject, ref.version);
          avroType(referenced.schema, `${what}'s reference ${ref.name}`, namedTypes);
        }
        const writer = avroType(schema.schema, what, namedTypes);
        const codec = new AvroCodec(writer, this.reader);
        return { decode: (p) => codec.decode(p), schema: info };
      }
      case 'PROTOBUF': {
        const codec = await protobufCodec(schema, (ref) => this.registry.schemaBySubject(ref.subject, ref.version));
        return { decode: (p) => codec.decode(p), schema: info };
      }
      case 'JSON': {
        let validate: ((v: unknown) => boolean) & { errors?: { dataPath?: string; message?: string }[] | null };
        try {
          validate = new Ajv({ allErrors: false, unknownFormats: 'ignore' } as ConstructorParameters<typeof Ajv>[0]).compile(JSON.parse(schema.schema) as object) as unknown as typeof validate;
        } catch (e) {
          throw new StreamlabError(`${what} is not a JSON Schema streamlab can use (${(e as Error).message.split('\n')[0]})`);
        }
        return {
          decode: (p) => {
            const value = parseJson(utf8Text(p));
            if (!validate(value)) {
              const first = validate.errors?.[0];
              throw new Error(`does not match its JSON Schema (id ${schema.id}): ${first?.dataPath || 'the value'} ${first?.message ?? ''}`.trim());
            }
            return value;
          },
          schema: info,
        };
      }
    }
  }

  decode(value: Buffer): unknown {
    const id = wireSchemaId(value);
    if (id === undefined) {
      if (this.format === 'auto') return jsonDecoder.decode(value);
      throw new Error(`not in the Schema Registry wire format (it starts with 0x${value.subarray(0, 1).toString('hex') || '(nothing)'}, not the magic byte 0x00): is the topic ${this.format}?`);
    }
    const compiled = this.compiled.get(id);
    if (compiled) return compiled.decode(wirePayload(value));
    const refused = this.refused.get(id);
    throw new Error(refused ?? `schema id ${id} was not fetched (the registry was unreachable)`);
  }

  schemaOf(value: Buffer): RecordSchema | undefined {
    const id = wireSchemaId(value);
    return id === undefined ? undefined : this.compiled.get(id)?.schema;
  }
}
