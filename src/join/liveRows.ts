/**
 * The newest results of a join as a ticking table below the running cell: a bounded ring of the last rows it
 * delivered, nested values flattened to dotted columns (`cards.limit`), the record time first. What `join.show()`
 * and `%join` display; an empty table says why it is empty.
 */
import type { JsonValue, Stream, StreamRecord } from '../record';
import { RingBuffer } from '../util/ringBuffer';
import { LiveDisplay } from '../output/liveDisplay';
import { tableBundle } from '../output/table';
import type { MimeBundle } from '../output/notebookOutput';
import { outputKey } from './joinKey';

/** Results a join keeps by default (a ring): what a window or chart attached after it started is given first. */
export const DEFAULT_KEEP = 20_000;

/**
 * Newest rows kept by their producer, built only when read: for a stream whose rows are mostly never looked at
 * (a detector scores every record; building a row per record cost more than the detecting).
 */
export interface KeptRows {
  /** The newest `n` rows (default all kept), oldest first. */
  recent(n?: number): StreamRecord<JsonValue>[];
  readonly retained: { delivered: number; kept: number };
}

export class LiveRows {
  private delivered = 0;
  private readonly ring: RingBuffer<StreamRecord<JsonValue>>;
  private readonly displays = new Set<LiveDisplay>();
  private detach: (() => void) | undefined;
  private readonly kept: KeptRows | undefined;

  constructor(
    source: Stream<StreamRecord<JsonValue>> | KeptRows,
    private readonly caption: () => string,
    private readonly whyEmpty: () => string,
    keep = DEFAULT_KEEP,
  ) {
    this.ring = new RingBuffer('subscribe' in source ? keep : 1);
    if ('subscribe' in source) {
      // Subscribed from the start, so a table shown later (or recent()) has the first results too.
      this.detach = source.subscribe((rows) => {
        this.delivered += rows.length;
        for (const r of rows) this.ring.push(r);
      });
    } else this.kept = source;
  }

  get retained(): { delivered: number; kept: number } {
    return this.kept ? this.kept.retained : { delivered: this.delivered, kept: this.ring.size };
  }

  /** The newest `n` results (default all it keeps), oldest first. */
  recent(n?: number): StreamRecord<JsonValue>[] {
    return this.kept ? this.kept.recent(n) : this.ring.toArray(n);
  }

  show(options: { rows?: number; everyMs?: number } = {}): LiveDisplay {
    const display = new LiveDisplay(() => this.bundle(options.rows ?? 15), options.everyMs ?? 1000);
    this.displays.add(display);
    display.show();
    return display;
  }

  bundle(limit: number): MimeBundle {
    // The newest by event time first (results of several partitions arrive interleaved).
    const newest = this.recent(limit).sort((a, b) => b.time - a.time || b.offset - a.offset);
    const flat = newest.map((r) => ({ time: r.time, key: keyText(r.key), ...flatten(r.value) }));
    const all = [...new Set(flat.flatMap((r) => Object.keys(r)))];
    // A side without a match is null: its dotted columns stay empty rather than adding a column of its own.
    const columns = all.filter((c) => !all.some((d) => d.startsWith(`${c}.`)));
    return tableBundle({
      caption: this.caption(),
      columns,
      rows: flat.map((r) => columns.map((c) => (r as Record<string, unknown>)[c] ?? null)),
      total: flat.length,
      note: flat.length === 0 ? this.whyEmpty() : undefined,
    });
  }

  end(): void {
    this.detach?.();
    this.detach = undefined;
    for (const d of this.displays) d.end();
    this.displays.clear();
  }
}

function keyText(key: StreamRecord['key']): string | null {
  const k = outputKey(key);
  return k === null ? null : typeof k === 'string' ? k : k.toString('hex');
}

/** Nested objects as dotted columns, one level of nesting per join; a tombstone (null) as the column `value`. */
function flatten(value: unknown, prefix = '', out: Record<string, unknown> = {}, depth = 0): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || depth > 3) {
    out[prefix || 'value'] = value;
    return out;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const name = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v, name, out, depth + 1);
    else out[name] = v;
  }
  return out;
}
