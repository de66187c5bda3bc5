/**
 * The one decoding path of fetched records: a topic source, read-process-write workers, history and the CLI all
 * turn a batch of Kafka messages into records and dead letters here, under the same rules:
 * - the value by the stream's format (one of ./formats, or a decoder of the caller's); a record with no value is an
 *   'empty-value' dead letter, bytes the format refuses an 'undecodable' one, with the format's reason;
 * - the key as text when it is UTF-8, else its bytes (or always bytes, or by a format of its own);
 * - headers carried, text when UTF-8, else bytes;
 * - event time from the time field in its declared unit, or the Kafka timestamp; a record without a usable one is a
 *   'missing-time' or 'bad-time' dead letter.
 * Formats that look schemas up prepare once per batch (see BatchAwareDecoder), so decoding a record stays synchronous.
 */
import { isUtf8 } from 'node:buffer';
import type { KafkaMessage } from 'kafkajs';
import { oneLineMessage } from '../errors';
import { PLAUSIBLE_MS, RecordKey, StreamRecord, TimeUnit, fieldReader, readEventTime } from '../record';
import { Decoder, describeJson, jsonDecoder, parseJson } from './decoders';
import { DeadLetter, previewBytes } from './deadLetters';
import { BatchAwareDecoder } from './formats';
import { fromKafkaHeaders } from './headers';

export interface DecodeRules<T> {
  topic: string;
  decoder: BatchAwareDecoder<T> | Decoder<T>;
  /** 'string' (default): text when UTF-8, else bytes; 'bytes': always bytes; or a decoder (a schema'd key). */
  keyDecoder?: 'string' | 'bytes' | BatchAwareDecoder<unknown>;
  timeField?: string;
  /** Unit of epoch numbers in the time field (default ms). */
  timeUnit?: TimeUnit;
  /**
   * Deliver a record without a value as a record whose value is null, at its Kafka timestamp (a table reads it as a
   * deletion), instead of setting it aside as an 'empty-value' dead letter (the default: to a stream it is no data).
   */
  tombstones?: boolean;
}

export class BatchDecoder<T> {
  private readonly decoder: BatchAwareDecoder<T>;
  private readonly fastJson: boolean;
  private readonly readTimeField: ((v: Record<string, unknown>) => unknown) | undefined;
  private readonly msTime: boolean;
  private readonly keyDecoder: 'string' | 'bytes' | BatchAwareDecoder<unknown>;

  constructor(private readonly rules: DecodeRules<T>) {
    this.decoder = rules.decoder;
    this.fastJson = rules.decoder === (jsonDecoder as Decoder<unknown>);
    this.readTimeField = rules.timeField === undefined ? undefined : fieldReader(rules.timeField);
    this.msTime = (rules.timeUnit ?? 'ms') === 'ms';
    this.keyDecoder = rules.keyDecoder ?? 'string';
  }

  get name(): string {
    return this.decoder.name;
  }

  /** Whether prepare() has anything to do (formats that look schemas up). */
  get needsPrepare(): boolean {
    return this.decoder.prepare !== undefined || (typeof this.keyDecoder === 'object' && this.keyDecoder.prepare !== undefined);
  }

  /** Lets a format look up what the batch's records need (their schemas) before they are decoded. */
  async prepare(messages: readonly KafkaMessage[], keepWaiting?: () => boolean): Promise<void> {
    if (this.decoder.prepare) await this.decoder.prepare(messages.map((m) => m.value), keepWaiting);
    const keys = this.keyDecoder;
    if (typeof keys === 'object' && keys.prepare) await keys.prepare(messages.map((m) => m.key), keepWaiting);
  }

  /** What decoding waits for now (an unreachable registry), or undefined. */
  get waiting(): string | undefined {
    return this.decoder.waiting ?? (typeof this.keyDecoder === 'object' ? this.keyDecoder.waiting : undefined);
  }

  /**
   * Decodes one message into `records`, or into `dead` with its reason. Returns the value's size in bytes (0 for a
   * record without a value).
   */
  decodeInto(m: KafkaMessage, partition: number, offset: number, records: StreamRecord<T>[], dead: DeadLetter[]): number {
    const topic = this.rules.topic;
    const timestamp = Number(m.timestamp);
    const raw = m.value;
    let key: RecordKey;
    try {
      key = this.key(m.key);
    } catch (e) {
      dead.push({ topic, partition, offset, timestamp, key: m.key ? Buffer.from(m.key) : null, reason: 'undecodable', error: `key: ${(this.keyDecoder as Decoder<unknown>).name}: ${oneLineMessage(e instanceof Error ? e.message : String(e))}`, preview: m.key ? previewBytes(m.key) : '' });
      return raw ? raw.length : 0;
    }
    if (!raw || raw.length === 0) {
      if (this.rules.tombstones && !raw) {
        records.push({ topic, partition, offset, key, timestamp, time: timestamp, value: null as T });
        return 0;
      }
      dead.push({ topic, partition, offset, timestamp, key, reason: 'empty-value', error: 'record has no value (a tombstone?)', preview: '' });
      return 0;
    }
    const decoder = this.decoder;
    let value: T;
    try {
      if (this.fastJson) {
        // jsonDecoder.decode inlined: its call and checks were a fifth of this loop's cost per record (measured).
        // An unusual value goes through the decoder itself, for its exact error.
        // Bytes that are not UTF-8 would decode to U+FFFD silently: the decoder refuses them, with its message.
        const parsed: unknown = isUtf8(raw) ? parseJson(raw.toString('utf8')) : decoder.decode(raw);
        value = (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : decoder.decode(raw)) as T;
      } else {
        value = decoder.decode(raw);
      }
    } catch (e) {
      dead.push({ topic, partition, offset, timestamp, key, reason: 'undecodable', error: `${decoder.name}: ${oneLineMessage(e instanceof Error ? e.message : String(e))}`, preview: previewBytes(raw) });
      return raw.length;
    }
    let time = timestamp;
    const timeField = this.rules.timeField;
    if (timeField !== undefined) {
      const isObject = value !== null && typeof value === 'object';
      const field = isObject ? this.readTimeField!(value as Record<string, unknown>) : undefined;
      // The common case inline: a plausible epoch-ms number. Everything else gets the full reading and its reason.
      if (this.msTime && typeof field === 'number' && field >= PLAUSIBLE_MS.min && field < PLAUSIBLE_MS.max) {
        time = field;
      } else {
        const reading = isObject ? readEventTime(field, timeField, this.rules.timeUnit ?? 'ms') : { error: `no time field '${timeField}' in ${describeJson(value)}`, missing: true };
        if (typeof reading !== 'number') {
          dead.push({ topic, partition, offset, timestamp, key, reason: reading.missing ? 'missing-time' : 'bad-time', error: reading.error, preview: previewBytes(raw) });
          return raw.length;
        }
        time = reading;
      }
    }
    const record: StreamRecord<T> = { topic, partition, offset, key, timestamp, time, value };
    const headers = m.headers && fromKafkaHeaders(m.headers);
    if (headers) record.headers = headers;
    const schema = decoder.schemaOf?.(raw);
    if (schema) record.schema = schema;
    records.push(record);
    return raw.length;
  }

  private key(k: Buffer | null): RecordKey {
    if (k === null) return null;
    const rule = this.keyDecoder;
    if (rule === 'string') return isUtf8(k) ? k.toString('utf8') : Buffer.from(k);
    if (rule === 'bytes') return Buffer.from(k);
    const decoded = rule.decode(k);
    // A schema'd key decodes to a value; a record key is text or bytes, so a structured one is carried as its JSON.
    return typeof decoded === 'string' || Buffer.isBuffer(decoded) ? decoded : JSON.stringify(decoded);
  }
}
