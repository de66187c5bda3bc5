/** Events per second over the last few seconds, from fixed time buckets (constant memory, cheap to update). */
export class RateMeter {
  private readonly counts: Float64Array;
  private readonly slots: Float64Array;
  private firstSlot = -1;

  constructor(
    private readonly bucketMs = 500,
    buckets = 10,
    private readonly now: () => number = Date.now,
  ) {
    this.counts = new Float64Array(buckets);
    this.slots = new Float64Array(buckets).fill(-1);
  }

  add(n: number): void {
    const slot = Math.floor(this.now() / this.bucketMs);
    if (this.firstSlot < 0) this.firstSlot = slot;
    const i = slot % this.counts.length;
    if (this.slots[i] !== slot) {
      this.slots[i] = slot;
      this.counts[i] = 0;
    }
    this.counts[i]! += n;
  }

  /** Mean rate over the completed buckets of the window (fewer while the meter is young, so it does not ramp up). */
  perSecond(): number {
    const current = Math.floor(this.now() / this.bucketMs);
    const completed = Math.min(this.counts.length - 1, current - this.firstSlot);
    if (this.firstSlot < 0 || completed <= 0) return 0;
    const oldest = current - completed;
    let sum = 0;
    for (let i = 0; i < this.counts.length; i++) {
      const slot = this.slots[i]!;
      if (slot >= oldest && slot < current) sum += this.counts[i]!;
    }
    return (sum * 1000) / (this.bucketMs * completed);
  }
}
