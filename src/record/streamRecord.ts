/**
 * The record every layer passes around: what a topic source hands out and what windows, frames, charts and models
 * read. It lives at the bottom so that those layers depend on the shape of a record, not on the Kafka client.
 */

/** A decoded JSON object value; the default value type of a stream. */
export type JsonValue = Record<string, unknown>;

export interface StreamRecord<T = JsonValue> {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  /** Kafka record timestamp, epoch ms. */
  timestamp: number;
  /** Event time, epoch ms: the time field when one is configured, else the Kafka timestamp. */
  time: number;
  value: T;
}
