/** Fixed-capacity FIFO that overwrites its oldest entries: bounded memory for views of an endless stream. */
export class RingBuffer<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
    this.items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    const end = (this.start + this.count) % this.capacity;
    this.items[end] = item;
    if (this.count < this.capacity) this.count++;
    else this.start = (this.start + 1) % this.capacity;
  }

  /** The newest n entries (all when n is omitted), oldest first. */
  toArray(n = this.count): T[] {
    const take = Math.min(n, this.count);
    const out = new Array<T>(take);
    const first = this.start + this.count - take;
    for (let i = 0; i < take; i++) out[i] = this.items[(first + i) % this.capacity] as T;
    return out;
  }

  clear(): void {
    this.items.fill(undefined);
    this.start = 0;
    this.count = 0;
  }
}
