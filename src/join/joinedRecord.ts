/**
 * What a join delivers: StreamRecords, so that its output is windowed, plotted, scored and written to a topic like a
 * topic's records. The record's topic is the join's name, its partition the input's, its offset the join's own count
 * of outputs (unique within the join), its time and timestamp the result's event time as Kafka Streams gives it.
 */
import type { JsonValue, StreamRecord } from '../record';
import { flatRow, isStreamRecord, isWindowResult } from '../record';
import { outputKey } from './joinKey';

/** Builds an output value from the two sides' values; a side without a match is null. */
export type Joiner = (left: unknown, right: unknown) => JsonValue | null;

/**
 * The default: the left value's fields, with the right value under the right side's name (payments joined with
 * cards give `{ amount, cardId, cards: { limit, country } }`), so fields of the two never collide and the right
 * side's are read as `cards.limit`. A left value that is not an object is kept as the field `value`.
 */
export function nestingJoiner(rightName: string, leftName?: string): Joiner {
  return (left, right) => {
    const base: JsonValue = left === null || left === undefined ? (leftName !== undefined ? { [leftName]: null } : {}) : typeof left === 'object' && !Array.isArray(left) ? { ...(left as JsonValue) } : { value: left };
    base[rightName] = right ?? null;
    return base;
  };
}

/** The value of a row that a join reads: a record's value, or the row itself. */
export function sideValue(item: unknown): unknown {
  if (isWindowResult(item)) return flatRow(item);
  return isStreamRecord(item) ? item.value : item;
}

export function joinedRecord(name: string, offset: number, key: unknown, time: number, partition: number, value: JsonValue | null): StreamRecord<JsonValue> {
  return { topic: name, partition, offset, key: outputKey(key), timestamp: time, time, value: value as JsonValue };
}

/** Where an input row came from, for the unmatched and late records a join keeps aside. */
export interface RowOrigin {
  topic?: string;
  partition?: number;
  offset?: number;
  time: number;
  key: unknown;
}

export function originOf(item: unknown, time: number, key: unknown): RowOrigin {
  if (isStreamRecord(item)) return { topic: item.topic, partition: item.partition, offset: item.offset, time, key };
  return { time, key };
}
