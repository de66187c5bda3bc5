/**
 * A record format: how value (or key) bytes become a value. One file a format, one line in ./index.ts: magics, the
 * CLI, completion and pipeline files list their choices from that registry.
 */
import type { RecordSchema } from '../../record';
import type { Decoder } from '../decoders';

/** What a format may need to build its decoder. */
export interface FormatOptions {
  /** Column names (csv). */
  columns?: string[];
}

/**
 * A decoder that may look things up before a batch is decoded (a registry's schemas): `prepare` is awaited with the
 * batch's bytes first, so `decode` stays synchronous and a lookup costs once per schema, not once per record.
 */
export interface BatchAwareDecoder<T> extends Decoder<T> {
  prepare?(values: readonly (Buffer | null)[]): Promise<void>;
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
  decoder(options: FormatOptions): BatchAwareDecoder<unknown>;
}
