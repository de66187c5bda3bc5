/**
 * The record every layer passes around: what a topic source hands out and what windows, frames, charts and models
 * read. It lives at the bottom so that those layers depend on the shape of a record, not on the Kafka client.
 */

/** A decoded JSON object value; the default value type of a stream. */
export type JsonValue = Record<string, unknown>;

/**
 * A record key: its text when it is valid UTF-8 (the common case: ids, names), otherwise its bytes unchanged (a
 * Buffer), so a binary key is never mangled into replacement characters; null when the record has none.
 */
export type RecordKey = string | Buffer | null;

/** A header value: text when its bytes are UTF-8, else the bytes. */
export type HeaderValue = string | Buffer;
/** A record's headers by name; a name that occurs more than once keeps all its values, in order. */
export type RecordHeaders = Record<string, HeaderValue | HeaderValue[]>;

/** The writer schema of a record in a Schema Registry's wire format. */
export interface RecordSchema {
  id: number;
  format: 'avro' | 'protobuf' | 'jsonschema';
  subject?: string;
  version?: number;
}

export interface StreamRecord<T = JsonValue> {
  topic: string;
  partition: number;
  offset: number;
  key: RecordKey;
  /** Kafka record timestamp, epoch ms. */
  timestamp: number;
  /** Event time, epoch ms: the time field when one is configured, else the Kafka timestamp. */
  time: number;
  value: T;
  /** The record's headers; absent when it has none. */
  headers?: RecordHeaders;
  /** The writer schema of a value in a Schema Registry's wire format; absent for plain formats. */
  schema?: RecordSchema;
}

/** How far a source has read one partition, as of the batch it comes with. */
export interface PartitionProgress {
  partition: number;
  /** Next offset the source will read (before the batch it comes with is counted). */
  position: number;
  /** End of the partition as last fetched: position < highWatermark means it has unread data. */
  highWatermark: number;
}

/**
 * What a source hands over with each batch: the progress of every partition it reads, as of that batch (the
 * batch's own partition with its new end). Windows read it to know which partitions still have unread data,
 * without polling the source. The object is the source's own and is updated in place: read it during the call.
 */
export interface BatchProgress {
  topic: string;
  partitions: readonly PartitionProgress[];
}
