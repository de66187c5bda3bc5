/**
 * The rate of a counter that something else keeps (records a window has taken, rows a forward has written), from
 * samples taken when asked: per second over the last few samples. For things without a RateMeter of their own.
 */
export class CounterRate {
  private readonly samples: { at: number; value: number }[] = [];

  constructor(
    private readonly read: () => number,
    private readonly windowMs = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  perSecond(): number {
    const at = this.now();
    const value = this.read();
    this.samples.push({ at, value });
    while (this.samples.length > 2 && at - this.samples[1]!.at >= this.windowMs) this.samples.shift();
    const first = this.samples[0]!;
    const elapsed = at - first.at;
    return elapsed > 0 ? Math.max(0, ((value - first.value) * 1000) / elapsed) : 0;
  }
}
