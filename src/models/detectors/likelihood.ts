/**
 * streamlab's NAB detector: an anomaly likelihood (after Ahmad et al. 2017, "Unsupervised real-time anomaly detection
 * for streaming data") over a simple predictor instead of HTM, plus a spatial check and alert suppression.
 *
 * 1. Surprise: each value's prediction error against exponentially weighted levels at a fast and a slow scale, in
 *    units of the recent typical error (a robust, EW mean absolute deviation), so noisy and quiet series compare.
 * 2. Likelihood: how unusual the last few surprises are (their short mean) next to the distribution of that short
 *    mean over a long history, as a normal tail probability; reported on HTM's log scale so that 0.5 means "1 in
 *    100 000" and scores from different series share one threshold.
 * 3. Spatial: a value beyond the range seen so far (by a margin of 5 % of that range) scores 1, whatever the
 *    likelihood says; a new extreme is what operators mean by an anomaly on a metric.
 * 4. Suppression: within `quietRows` of an alert, scores stay just below the alert level, so one incident is not
 *    counted as many false positives (NAB charges each row flagged outside a window).
 * Every statistic is updated after the value is scored, in O(1) per row.
 */
import { normalTail, type OnlineDetector } from './detector';

export interface LikelihoodOptions {
  /** Smoothing of the fast and slow predicted levels (weight of the newest value). Defaults 0.5 and 0.05. */
  fastAlpha?: number;
  slowAlpha?: number;
  /** Rows in the short mean of surprises. Default 8. */
  shortRows?: number;
  /** Effective rows of history the short mean is judged against. Default 2000. */
  historyRows?: number;
  /** Rows after an alert during which scores are held below the alert level. Default 300. */
  quietRows?: number;
  /** Score from which a row is an alert for suppression. Default 0.5. */
  alertLevel?: number;
  /** Smoothing of each hour-of-week level across weeks. Default 0.3. */
  weeklyAlpha?: number;
  /** -log10 of the tail probability that scores 0.5. Default 5 (1 in 100 000). */
  halfAt?: number;
  /** Rows before any score above 0 is given (statistics are still learning). Default 200. */
  warmupRows?: number;
}

/** An exponentially weighted mean and mean absolute deviation. */
class EwStats {
  mean = 0;
  dev = 0;
  n = 0;
  constructor(private readonly alpha: number) {}
  update(x: number): void {
    if (this.n === 0) this.mean = x;
    // Early on, plain averages: the weight never falls below 1/n, so the first values are not over-trusted.
    const a = Math.max(this.alpha, 1 / (this.n + 1));
    this.dev += a * (Math.abs(x - this.mean) - this.dev);
    this.mean += a * (x - this.mean);
    this.n++;
  }
}

/** A running mean and variance with exponential forgetting. */
class EwMoments {
  mean = 0;
  variance = 0;
  n = 0;
  constructor(private readonly alpha: number) {}
  update(x: number): void {
    const a = Math.max(this.alpha, 1 / (this.n + 1));
    const d = x - this.mean;
    this.mean += a * d;
    this.variance = (1 - a) * (this.variance + a * d * d);
    this.n++;
  }
}

/** The likelihood of one stream of surprises: the short mean's surprisal (-log10 tail probability) against its history. */
class SurpriseChannel {
  private readonly ring: Float64Array;
  private sum = 0;
  private count = 0;
  private head = 0;
  private readonly history: EwMoments;
  private shortMean = 0;
  constructor(shortRows: number, historyRows: number) {
    this.ring = new Float64Array(shortRows);
    this.history = new EwMoments(1 / historyRows);
  }
  /** Surprisal of the short mean once `surprise` joins it; call learn() after scoring. */
  surprisal(surprise: number): number {
    const x = Math.min(surprise, 50);
    if (this.count < this.ring.length) {
      this.ring[(this.head + this.count) % this.ring.length] = x;
      this.count++;
    } else {
      this.sum -= this.ring[this.head]!;
      this.ring[this.head] = x;
      this.head = (this.head + 1) % this.ring.length;
    }
    this.sum += x;
    this.shortMean = this.sum / this.count;
    const sd = Math.sqrt(this.history.variance);
    const z = this.history.n > 1 && sd > 0 ? (this.shortMean - this.history.mean) / sd : 0;
    // Asymptotic form where erfc underflows.
    return z > 8 ? (z * z) / 2 / Math.LN10 + Math.log10(z * Math.sqrt(2 * Math.PI)) : -Math.log10(Math.max(normalTail(z), 1e-300));
  }
  learn(): void {
    this.history.update(this.shortMean);
  }
}

const HOUR = 3_600_000;

/** Hours since the epoch modulo a week: the same slot for the same hour of every week (the weekday does not matter). */
function hourOfWeek(time: number): number {
  return ((Math.floor(time / HOUR) % 168) + 168) % 168;
}

export class LikelihoodDetector implements OnlineDetector {
  readonly name = 'likelihood';
  readonly threshold = 0.5;
  reason: string | undefined;
  get warmupRows(): number {
    return this.o.warmupRows;
  }
  private readonly o: Required<LikelihoodOptions>;
  private readonly fast: EwStats;
  private readonly slow: EwStats;
  private readonly errors: EwStats; // typical absolute error of the fast prediction
  private readonly slowErrors: EwStats;
  private readonly level: SurpriseChannel;
  private readonly weekly: SurpriseChannel;
  private readonly hourOfWeek: EwStats[];
  private readonly hourErrors: EwStats;
  private min = Infinity;
  private max = -Infinity;
  private rows = 0;
  private lastAlertRow = -Infinity;

  constructor(options: LikelihoodOptions = {}) {
    this.o = {
      fastAlpha: options.fastAlpha ?? 0.5,
      slowAlpha: options.slowAlpha ?? 0.05,
      shortRows: options.shortRows ?? 8,
      historyRows: options.historyRows ?? 2000,
      quietRows: options.quietRows ?? 300,
      alertLevel: options.alertLevel ?? 0.5,
      warmupRows: options.warmupRows ?? 200,
      halfAt: options.halfAt ?? 5,
      weeklyAlpha: options.weeklyAlpha ?? 0.3,
    };
    this.fast = new EwStats(this.o.fastAlpha);
    this.slow = new EwStats(this.o.slowAlpha);
    this.errors = new EwStats(1 / this.o.historyRows);
    this.slowErrors = new EwStats(1 / this.o.historyRows);
    this.level = new SurpriseChannel(this.o.shortRows, this.o.historyRows);
    this.weekly = new SurpriseChannel(this.o.shortRows, this.o.historyRows);
    this.hourOfWeek = Array.from({ length: 168 }, () => new EwStats(this.o.weeklyAlpha));
    this.hourErrors = new EwStats(1 / this.o.historyRows);
  }

  score(value: number, time?: number): number {
    const row = this.rows++;
    if (!Number.isFinite(value)) return 0;
    // 1. Surprise at both scales, before the value is learnt.
    const tiny = 1e-9 + 1e-6 * Math.abs(this.slow.mean);
    const fastErr = this.fast.n > 0 ? Math.abs(value - this.fast.mean) : 0;
    const slowErr = this.slow.n > 0 ? Math.abs(value - this.slow.mean) : 0;
    let surprisal = this.level.surprisal(Math.max(fastErr / (this.errors.mean + tiny), slowErr / (this.slowErrors.mean + tiny)));
    // The same against the hour of the week, for series that follow a daily or weekly rhythm (people, machines
    // they drive): such a series' ordinary swings surprise the level predictors, its unusual days do not.
    const bucket = time === undefined || !Number.isFinite(time) ? undefined : this.hourOfWeek[hourOfWeek(time)]!;
    const hourErr = bucket && bucket.n >= 2 ? Math.abs(value - bucket.mean) : undefined;
    if (hourErr !== undefined) surprisal = Math.max(surprisal, this.weekly.surprisal(hourErr / (this.hourErrors.mean + tiny)));
    // 2. Squashed into [0, 1): 0.5 at a tail probability of 10^-halfAt.
    let s = Math.tanh((Math.atanh(0.5) * surprisal) / this.o.halfAt);
    // 3. A new extreme.
    const margin = 0.05 * (this.max - this.min);
    if (row >= this.o.warmupRows && (value > this.max + margin || value < this.min - margin)) s = 1;
    if (row < this.o.warmupRows) s = 0;
    // 4. One alert per incident.
    if (s >= this.o.alertLevel) {
      if (row - this.lastAlertRow <= this.o.quietRows) s = Math.min(s, this.o.alertLevel * 0.99);
      else this.lastAlertRow = row;
    }
    // Learn the value.
    this.level.learn();
    if (hourErr !== undefined) {
      this.weekly.learn();
      this.hourErrors.update(hourErr);
    }
    bucket?.update(value);
    this.errors.update(fastErr);
    this.slowErrors.update(slowErr);
    this.fast.update(value);
    this.slow.update(value);
    this.min = Math.min(this.min, value);
    this.max = Math.max(this.max, value);
    return Math.max(0, Math.min(1, s));
  }
}
