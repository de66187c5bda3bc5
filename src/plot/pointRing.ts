/**
 * The raw points of one trace, in arrival order, in Float64Array chunks: a million points cost 16 MB and no
 * objects. Bounded by a capacity; the oldest arrivals go first. Zoomed views and static frames are decimated from
 * here, so the kernel can always show any part of what it retains at full resolution.
 *
 * Chunks rather than one array that doubles: a chart's traces fill alike and would all double in the same push,
 * and allocating and copying 8 traces' arrays at half a million points each held the kernel 60 to 90 ms. A new
 * chunk costs 1 MB at most, the chunk the head leaves is reused, and nothing is ever copied once a trace is large.
 */
const CHUNK = 65_536;
const FIRST = 1024;

interface Chunk {
  xs: Float64Array;
  ys: Float64Array;
  /** Bounds of every x written since the chunk was (re)started, so a range read skips chunks outside it. */
  minX: number;
  maxX: number;
}

function chunkOf(length: number): Chunk {
  return { xs: new Float64Array(length), ys: new Float64Array(length), minX: Infinity, maxX: -Infinity };
}

export class PointRing {
  private chunks: Chunk[] = [];
  /** Index of the oldest point in chunks[0]. */
  private headAt = 0;
  /** Where the next point goes in the last chunk. */
  private tailAt = 0;
  private count = 0;
  /** The last chunk the head left, kept for the tail's next, so a full ring allocates nothing. */
  private spare: Chunk | undefined;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`point capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count >= this.capacity;
  }

  /** Appends; the caller evicts first when full (push on a full ring drops the oldest). */
  push(x: number, y: number): void {
    if (this.count >= this.capacity) this.shift();
    let last = this.chunks[this.chunks.length - 1];
    if (!last || this.tailAt === last.xs.length) last = this.makeRoomAtTail();
    last.xs[this.tailAt] = x;
    last.ys[this.tailAt] = y;
    if (x < last.minX) last.minX = x;
    if (x > last.maxX) last.maxX = x;
    this.tailAt++;
    this.count++;
  }

  /** The oldest arrival's x (NaN when empty). */
  headX(): number {
    return this.count === 0 ? NaN : this.chunks[0]!.xs[this.headAt]!;
  }

  /** The oldest arrival's y (NaN when empty). */
  headY(): number {
    return this.count === 0 ? NaN : this.chunks[0]!.ys[this.headAt]!;
  }

  /** Drops the oldest arrival. */
  shift(): void {
    if (this.count === 0) return;
    this.count--;
    this.headAt++;
    if (this.count === 0) {
      // Empty: keep one chunk, written from its start again.
      if (this.chunks.length > 1) this.chunks = [this.chunks[this.chunks.length - 1]!];
      this.headAt = this.tailAt = 0;
    } else if (this.headAt === this.chunks[0]!.xs.length) {
      const left = this.chunks.shift()!;
      if (left.xs.length === CHUNK) this.spare = left;
      this.headAt = 0;
    }
  }

  /** Visits every point, oldest arrival first. */
  forEach(visit: (x: number, y: number) => void): void {
    this.runs(-Infinity, Infinity, (xs, ys, start, end) => {
      for (let i = start; i < end; i++) visit(xs[i]!, ys[i]!);
    });
  }

  /**
   * Visits the points with x in [from, to], oldest first, reading only chunks whose x bounds meet the range: on a
   * time axis that is the few chunks of the zoomed span, not the million points of the trace.
   */
  forEachIn(from: number, to: number, visit: (x: number, y: number) => void): void {
    this.runs(from, to, (xs, ys, start, end) => {
      for (let i = start; i < end; i++) {
        const x = xs[i]!;
        if (x >= from && x <= to) visit(x, ys[i]!);
      }
    });
  }

  /** The held part of each chunk whose x bounds meet [from, to], oldest first. */
  private runs(from: number, to: number, run: (xs: Float64Array, ys: Float64Array, start: number, end: number) => void): void {
    const lastIndex = this.chunks.length - 1;
    for (let c = 0; c <= lastIndex; c++) {
      const chunk = this.chunks[c]!;
      if (chunk.maxX < from || chunk.minX > to) continue;
      run(chunk.xs, chunk.ys, c === 0 ? this.headAt : 0, c === lastIndex ? this.tailAt : chunk.xs.length);
    }
  }

  clear(): void {
    this.chunks = [];
    this.spare = undefined;
    this.headAt = this.tailAt = this.count = 0;
  }

  /** Bytes held by the arrays (what %streams reports). */
  get bytes(): number {
    let n = this.spare ? this.spare.xs.byteLength * 2 : 0;
    for (const c of this.chunks) n += c.xs.byteLength + c.ys.byteLength;
    return n;
  }

  /**
   * The last chunk is full (or there is none). A lone chunk shorter than CHUNK is compacted when mostly spent
   * (small capacities stay in one small array) or doubled (a young trace costs little); past that, a new chunk.
   */
  private makeRoomAtTail(): Chunk {
    const only = this.chunks.length === 1 ? this.chunks[0]! : undefined;
    if (only && only.xs.length < CHUNK) {
      // Either way the points fit with room to spare, and they move at most once per length/2 pushes (set() copies
      // correctly within one buffer).
      const length = only.xs.length;
      const target = this.count <= length / 2 ? only : chunkOf(Math.min(CHUNK, length * 2));
      target.xs.set(only.xs.subarray(this.headAt, this.tailAt), 0);
      target.ys.set(only.ys.subarray(this.headAt, this.tailAt), 0);
      target.minX = only.minX;
      target.maxX = only.maxX;
      this.chunks = [target];
      this.headAt = 0;
      this.tailAt = this.count;
      return target;
    }
    return this.newChunk();
  }

  private newChunk(): Chunk {
    const length = this.chunks.length === 0 ? Math.min(FIRST, this.capacity) : CHUNK;
    const chunk = length === CHUNK && this.spare ? this.spare : chunkOf(length);
    if (chunk === this.spare) this.spare = undefined;
    chunk.minX = Infinity;
    chunk.maxX = -Infinity;
    this.chunks.push(chunk);
    this.tailAt = 0;
    return chunk;
  }
}
