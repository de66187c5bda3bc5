/**
 * Closed windows kept column by column: numbers in Float64Arrays, everything else in plain arrays, in a ring
 * that is bounded by a row count and optionally by a time span. A DataFrame is made from it only when asked.
 */
export interface ColumnStoreOptions {
  /** Most rows kept; older rows are evicted (and counted). */
  maxRows: number;
  /** Also evict rows whose windowEnd is more than spanMs before the newest windowEnd. */
  spanMs?: number;
  /** Index of the windowEnd column, for span eviction. */
  endColumn: number;
}

type Column = Float64Array | unknown[];

export class ColumnStore {
  private columnsData: Column[];
  private capacity: number;
  private start = 0;
  private count = 0;
  private newestEnd = -Infinity;
  /** Rows pushed out by the bounds. */
  evicted = 0;

  constructor(
    readonly names: readonly string[],
    private readonly numeric: readonly boolean[],
    private readonly options: ColumnStoreOptions,
  ) {
    if (!Number.isInteger(options.maxRows) || options.maxRows < 1) throw new RangeError(`maxRows must be a positive integer, got ${options.maxRows}`);
    this.capacity = Math.min(options.maxRows, 256);
    this.columnsData = this.allocate(this.capacity);
  }

  get size(): number {
    return this.count;
  }

  append(row: ArrayLike<unknown>): void {
    if (this.count === this.capacity) {
      if (this.capacity < this.options.maxRows) this.grow();
      else {
        this.start = (this.start + 1) % this.capacity;
        this.count--;
        this.evicted++;
      }
    }
    const at = (this.start + this.count) % this.capacity;
    const cols = this.columnsData;
    for (let c = 0; c < cols.length; c++) cols[c]![at] = row[c] as number;
    this.count++;
    if (this.options.spanMs !== undefined) {
      const end = row[this.options.endColumn] as number;
      if (end > this.newestEnd) this.newestEnd = end;
      this.evictOlderThan(this.newestEnd - this.options.spanMs);
    }
  }

  private evictOlderThan(limit: number): void {
    const ends = this.columnsData[this.options.endColumn] as Float64Array;
    while (this.count > 0 && ends[this.start]! < limit) {
      this.start = (this.start + 1) % this.capacity;
      this.count--;
      this.evicted++;
    }
  }

  /** Copies of the columns, oldest row first, as plain arrays (what Danfo takes). */
  columns(): Record<string, unknown[]> {
    const out: Record<string, unknown[]> = {};
    for (let c = 0; c < this.names.length; c++) {
      const col = this.columnsData[c]!;
      const values = new Array<unknown>(this.count);
      for (let i = 0; i < this.count; i++) values[i] = col[(this.start + i) % this.capacity];
      out[this.names[c]!] = values;
    }
    return out;
  }

  rows(): Record<string, unknown>[] {
    const cols = this.columns();
    return Array.from({ length: this.count }, (_, i) => {
      const row: Record<string, unknown> = {};
      for (const name of this.names) row[name] = cols[name]![i];
      return row;
    });
  }

  clear(): void {
    this.columnsData = this.allocate(this.capacity);
    this.start = 0;
    this.count = 0;
  }

  private grow(): void {
    const capacity = Math.min(this.options.maxRows, this.capacity * 2);
    const next = this.allocate(capacity);
    for (let c = 0; c < next.length; c++) {
      const from = this.columnsData[c]!;
      const to = next[c]!;
      for (let i = 0; i < this.count; i++) to[i] = from[(this.start + i) % this.capacity] as number;
    }
    this.columnsData = next;
    this.capacity = capacity;
    this.start = 0;
  }

  private allocate(capacity: number): Column[] {
    return this.numeric.map((n) => (n ? new Float64Array(capacity) : new Array<unknown>(capacity)));
  }
}
