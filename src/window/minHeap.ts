/** A binary min-heap of items by numeric priority: the engine's queue of "what closes next". */
export class MinHeap<T> {
  private readonly priorities: number[] = [];
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  /** Priority of the smallest item, Infinity when empty. */
  peekPriority(): number {
    return this.items.length > 0 ? this.priorities[0]! : Infinity;
  }

  push(priority: number, item: T): void {
    const p = this.priorities;
    const it = this.items;
    let i = it.length;
    p.push(priority);
    it.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (p[parent]! <= priority) break;
      p[i] = p[parent]!;
      it[i] = it[parent]!;
      i = parent;
    }
    p[i] = priority;
    it[i] = item;
  }

  pop(): T | undefined {
    const it = this.items;
    if (it.length === 0) return undefined;
    const p = this.priorities;
    const top = it[0]!;
    const lastP = p.pop()!;
    const lastItem = it.pop()!;
    const n = it.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && p[child + 1]! < p[child]!) child++;
        if (p[child]! >= lastP) break;
        p[i] = p[child]!;
        it[i] = it[child]!;
        i = child;
      }
      p[i] = lastP;
      it[i] = lastItem;
    }
    return top;
  }

  clear(): void {
    this.priorities.length = 0;
    this.items.length = 0;
  }
}
