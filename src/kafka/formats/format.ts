/**
 * A record format: how value (or key) bytes become a value. One file a format, one line in ./index.ts: magics, the
 * CLI, completion and pipeline files list their choices from that registry.
 */
import type { RecordSchema } from '../../record';
import type { Decoder } from '../decoders';
import type { SchemaRegistryClient } from '../registry/schemaRegistryClient';

/** What a format may need to build its decoder. */
export interface FormatOptions {
  /** Column names (csv). */
  columns?: string[];
  /** Avro reader schema: values written under any compatible schema are read as this one. */
  readerSchema?: string | object;
}

/** What a format may use besides its options: the Schema Registry, when one is configured. */
export interface FormatContext {
  registry?: SchemaRegistryClient;
}

/**
 * A decoder that may look things up before a batch is decoded (a registry's schemas): `prepare` is awaited with the
 * batch's bytes first, so `decode` stays synchronous and a lookup costs once per schema, not once per record.
 */
export interface BatchAwareDecoder<T> extends Decoder<T> {
  /** keepWaiting: false once the stream stops, so a wait for an unreachable registry ends. */
  prepare?(values: readonly (Buffer | null)[], keepWaiting?: () => boolean): Promise<void>;
  /** What decoding waits for now (an unreachable registry), for status lines. */
  readonly waiting?: string;
  /** The writer schema of bytes in a registry's wire format (after prepare), for StreamRecord.schema. */
  schemaOf?(value: Buffer): RecordSchema | undefined;
}

export interface RecordFormat {
  readonly name: string;
  /** One line for help and completion. */
  readonly description: string;
  /** The TypeScript type of decoded values, for the variables magics bind. */
  readonly valueType: 'JsonValue' | 'string' | 'number' | 'Buffer';
  /** Options it takes besides the name (checked: an option a format does not take is refused). */
  readonly options: readonly (keyof FormatOptions)[];
  /** Whether it reads a Schema Registry (and so needs one configured). */
  readonly needsRegistry?: boolean;
  decoder(options: FormatOptions, context: FormatContext): BatchAwareDecoder<unknown>;
}
