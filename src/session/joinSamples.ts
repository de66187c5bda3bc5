/**
 * The first records a starting stream delivers, as they are (records, not just their values): what the key checks
 * of a join read, since a join's key may be the record key.
 */
import type { TopicSource } from '../kafka/topicSource';
import { PREFLIGHT_RECORDS } from './fieldPreflight';
import { isStreamRecord } from '../record';

/** How long a stream with records to read is given to show its first ones (see session's PREFLIGHT_WAIT_MS). */
const WAIT_MS = 8000;

export function firstRecords(source: TopicSource<unknown>): { records(): Promise<unknown[]>; cancel(): void } {
  const items: unknown[] = [];
  let seen: () => void = () => undefined;
  const first = new Promise<void>((resolve) => (seen = resolve));
  const unsubscribe = source.subscribe((batch) => {
    for (const r of batch) if (items.length < PREFLIGHT_RECORDS) items.push(r);
    if (items.length > 0) seen();
  });
  return {
    async records() {
      let timer: NodeJS.Timeout | undefined;
      if (items.length === 0 && source.metrics().lag > 0) await Promise.race([first, new Promise<void>((resolve) => (timer = setTimeout(resolve, WAIT_MS)))]);
      clearTimeout(timer);
      unsubscribe();
      return items;
    },
    cancel: unsubscribe,
  };
}

export function valueFieldsOf(item: unknown): Record<string, unknown> {
  const v = isStreamRecord(item) ? item.value : item;
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
