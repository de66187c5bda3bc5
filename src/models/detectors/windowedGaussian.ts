/**
 * The windowed Gaussian baseline of NAB: a value's score is how far out in the tails of a normal fitted to the last
 * `windowSize` values it lies (1 - the two-sided tail probability). The fit is refreshed every `stepSize` values, as
 * NAB's baseline does, from running sums, so a row costs O(1).
 */
import { StreamlabError } from '../../errors';
import { normalTail, type OnlineDetector } from './detector';

export interface WindowedGaussianOptions {
  /** Values the normal is fitted to. Default 6400 (NAB's). */
  windowSize?: number;
  /** Values between refits. Default 100 (NAB's). */
  stepSize?: number;
}

export class WindowedGaussian implements OnlineDetector {
  readonly name = 'windowedGaussian';
  readonly warmupRows = 0;
  /** NAB's corpus-optimised threshold for this baseline (standard profile). */
  readonly threshold = 1;
  readonly reason = undefined;
  private readonly windowSize: number;
  private readonly stepSize: number;
  private readonly ring: Float64Array;
  private count = 0; // values in the window
  private head = 0; // index of the oldest value
  private sum = 0;
  private sumSq = 0;
  private pending: number[] = [];
  private mean = 0;
  private std = 1;

  constructor(options: WindowedGaussianOptions = {}) {
    this.windowSize = options.windowSize ?? 6400;
    this.stepSize = options.stepSize ?? 100;
    if (!(this.windowSize >= 2 && this.stepSize >= 1 && this.stepSize <= this.windowSize)) {
      throw new StreamlabError(`windowed Gaussian needs windowSize >= 2 and 1 <= stepSize <= windowSize, got ${this.windowSize} and ${this.stepSize}`);
    }
    this.ring = new Float64Array(this.windowSize);
  }

  score(value: number): number {
    const s = this.count > 0 ? 1 - 2 * normalTail(Math.abs(value - this.mean) / this.std) : 0;
    if (this.count < this.windowSize) {
      this.add(value);
      this.refit();
    } else {
      this.pending.push(value);
      if (this.pending.length === this.stepSize) {
        for (const v of this.pending) {
          this.remove();
          this.add(v);
        }
        this.pending = [];
        this.refit();
      }
    }
    return s;
  }

  private add(v: number): void {
    this.ring[(this.head + this.count) % this.windowSize] = v;
    this.count++;
    this.sum += v;
    this.sumSq += v * v;
  }

  private remove(): void {
    const v = this.ring[this.head]!;
    this.head = (this.head + 1) % this.windowSize;
    this.count--;
    this.sum -= v;
    this.sumSq -= v * v;
  }

  private refit(): void {
    this.mean = this.sum / this.count;
    const variance = Math.max(0, this.sumSq / this.count - this.mean * this.mean);
    // A constant window has no spread; a tiny one keeps the score defined (NAB uses 1e-6 too).
    this.std = Math.sqrt(variance) || 1e-6;
  }
}
