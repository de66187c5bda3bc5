/**
 * A bounded FIFO between a producer that must slow down (the Kafka fetch loop) and a reader that sets the pace.
 * The producer awaits space, so memory never exceeds `capacity` items however slow the reader is.
 */
export class BoundedQueue<T> {
  private items: T[] = [];
  private head = 0;
  private closed = false;
  private spaceWaiters: (() => void)[] = [];
  private itemWaiters: (() => void)[] = [];
  /** Highest number of items ever held: lets tests and metrics check the bound. */
  highWater = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`queue capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.items.length - this.head;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Adds all items, waiting for space as needed. `onWait` runs about every `waitTickMs` while blocked (the
   * source heartbeats there); it returns false to abandon the push. Returns how many items were added.
   */
  async pushAll(batch: readonly T[], onWait?: () => Promise<boolean> | boolean, waitTickMs = 1000): Promise<number> {
    let i = 0;
    while (i < batch.length) {
      if (this.closed) return i;
      const room = this.capacity - this.size;
      if (room > 0) {
        const end = Math.min(batch.length, i + room);
        for (; i < end; i++) this.items.push(batch[i]!);
        if (this.size > this.highWater) this.highWater = this.size;
        this.wake(this.itemWaiters);
        continue;
      }
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.spaceWaiters.push(resolve);
        timer = setTimeout(resolve, waitTickMs);
      });
      clearTimeout(timer);
      if (onWait && !(await onWait())) return i;
    }
    return i;
  }

  /** The next item, or undefined once the queue is closed and empty. */
  async shift(): Promise<T | undefined> {
    while (this.size === 0) {
      if (this.closed) return undefined;
      await new Promise<void>((resolve) => this.itemWaiters.push(resolve));
    }
    return this.take();
  }

  /** Waits until an item is ready or the queue is closed (true), or until timeoutMs passes (false). Takes nothing. */
  async waitForItem(timeoutMs: number): Promise<boolean> {
    if (this.size > 0 || this.closed) return true;
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    await new Promise<void>((resolve) => {
      this.itemWaiters.push(resolve);
      timer = setTimeout(() => {
        timedOut = true;
        resolve();
      }, Math.max(0, timeoutMs));
    });
    clearTimeout(timer);
    return !timedOut || this.size > 0 || this.closed;
  }

  /** Up to `max` items that are ready now, without waiting. */
  drain(max = Infinity): T[] {
    const n = Math.min(max, this.size);
    const out = this.items.slice(this.head, this.head + n);
    this.head += n;
    this.compact();
    this.wake(this.spaceWaiters);
    return out;
  }

  close(): void {
    this.closed = true;
    this.wake(this.itemWaiters);
    this.wake(this.spaceWaiters);
  }

  private take(): T {
    const item = this.items[this.head]!;
    this.head++;
    this.compact();
    this.wake(this.spaceWaiters);
    return item;
  }

  private compact(): void {
    // Amortised O(1): drop consumed slots once they are at least half the array.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    } else if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    }
  }

  private wake(waiters: (() => void)[]): void {
    if (waiters.length === 0) return;
    const all = waiters.splice(0);
    for (const w of all) w();
  }
}
