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
}
