/**
 * streamlab's default online detector: four explainable parts, each an alarm of its own, and one alert per incident.
 *
 * - 'level': how far the value is from where the series was heading (exponentially weighted levels at a fast and a
 *   slow scale), in units of the recent typical error. The last few such surprises are averaged and judged against
 *   the history of that average as a normal tail probability: the anomaly likelihood of Ahmad et al. 2017
 *   ("Unsupervised real-time anomaly detection for streaming data", the post-processing of Numenta's HTM detector),
 *   over a simple predictor instead of HTM.
 * - 'daily/weekly pattern': the same likelihood against the value's hour of the week (each hour's own smoothed
 *   level), for series that follow people's or machines' rhythm. A busy Monday morning is not an anomaly; a quiet one is.
 * - 'far from usual': the value's distance from the long-run mean in long-run standard deviations, its tail
 *   probability's surprisal weighted by `farWeight` (0.4: an alert at about 7 standard deviations). Catches spikes
 *   in series whose ordinary swings the level part has learnt to forgive. On a series that has never gone below 0
 *   (counts, bytes, latencies, utilisation: skewed by nature) it is judged on log(1 + value), so that the ordinary
 *   bursts of a skewed series do not read as 7-sigma events; the first negative value turns the log off (and the
 *   part re-learns from that row).
 * - 'new extreme': a value beyond the whole range seen so far by 3 % of that range (after the spatial check of
 *   Numenta's NAB detector, which uses 5 %). What an operator means by an anomaly on a metric.
 *
 * A row's score is the largest part's, reported on HTM's log scale (0.5 at a tail probability of 1 in 100,000), so
 * scores from different series share one threshold. After an alert, scores are held below the alert level for a
 * quiet period of 3 % of the rows seen so far (between 20 and 600 rows): NAB charges every flagged row outside a
 * labelled window, and an operator wants one page per incident, not one per row.
 *
 * Level shifts are absorbed rather than flagged forever: the first row of a shift is a new extreme (or a surprise),
 * the quiet period covers its aftermath, and by then the levels, the range and the surprise history have moved to
 * the new normal (test/detectors.test.ts shows it flagged once).
 *
 * Defaults were chosen by leave-one-category-out cross-validation on the NAB development corpus
 * (bench/nabCrossValidation.ts); every statistic is updated after the value is scored, in O(1) per row, and the
 * state is a few typed arrays (about 3 KB), so a detector per key is affordable.
 */
import { normalTail, type OnlineDetector } from './detector';

export interface EnsembleOptions {
  /** Weight of the newest value in the fast and the slow level. Defaults 0.5 and 0.05. */
  fastAlpha?: number;
  slowAlpha?: number;
  /** Rows in the short average of surprises. Default 8. */
  shortRows?: number;
  /** Effective rows of history a short average is judged against. Default 2000. */
  historyRows?: number;
  /** Smoothing of each hour-of-week level across weeks. Default 0.1. */
  weeklyAlpha?: number;
  /** -log10 of the tail probability that scores 0.5. Default 5 (1 in 100,000). */
  halfAt?: number;
  /** Rows before any score above 0 (statistics still learning). Default 50. */
  warmupRows?: number;
  /** The quiet period after an alert, as a fraction of the rows seen, and its bounds. Defaults 0.03, 20, 600. */
  quietFraction?: number;
  quietMinRows?: number;
  quietMaxRows?: number;
  /** A new extreme must pass the range seen so far by this fraction of it. Default 0.03. */
  extremeMargin?: number;
  /** Weight of the 'far from usual' part's surprisal (0 turns it off). Default 0.4. */
  farWeight?: number;
  /**
   * A single value this many typical errors from the fast level is a 'spike' on its own (0: off), without waiting
   * for the short average of surprises to rise. Default 0 (chosen by cross-validation).
   */
  spikeRatio?: number;
  /**
   * A run of this many identical values is 'stuck' when repeats are rare in the series (such a run would happen by
   * chance less than once in 100,000 rows). 0 turns it off.
   */
  stuckRows?: number;
  /**
   * A new extreme must also pass the range by this many typical errors of the fast level (0: the margin alone).
   * Noise alone sets a record about ln(rows) times, each by a fraction of its spread; 1 stops those on a steady
   * sensor whose range is still young. Default 0 (on NAB it costs 2 points: chosen by cross-validation).
   */
  extremeErrors?: number;
}

/** The defaults (chosen by bench/nabCrossValidation.ts). */
export const ENSEMBLE_DEFAULTS: Readonly<Required<EnsembleOptions>> = {
  fastAlpha: 0.5,
  slowAlpha: 0.05,
  shortRows: 8,
  historyRows: 2000,
  weeklyAlpha: 0.1,
  halfAt: 5,
  warmupRows: 50,
  quietFraction: 0.03,
  quietMinRows: 20,
  quietMaxRows: 600,
  extremeMargin: 0.03,
  farWeight: 0.4,
  spikeRatio: 0,
  stuckRows: 0,
  extremeErrors: 0,
};

/** The score from which a row is an alert (and the level the quiet period holds scores under). */
const ALERT = 0.5;
const ATANH_ALERT = Math.atanh(ALERT);
const HOUR = 3_600_000;
const SLOTS = 168;

/** Weight of a new value in an exponentially weighted statistic: plain averaging until 1/n falls below alpha. */
function weight(alpha: number, n: number): number {
  return Math.max(alpha, 1 / (n + 1));
}

/** Surprisal, -log10 P(Z > z), with the asymptotic form where erfc underflows. */
function exactSurprisal(z: number): number {
  return z > 8 ? (z * z) / 2 / Math.LN10 + Math.log10(z * Math.sqrt(2 * Math.PI)) : -Math.log10(Math.max(normalTail(z), 1e-300));
}

/**
 * The surprisal is taken two or three times a row, for every key of a stream; erfc and log10 were a third of the
 * detector's time. A table over [-8, 8] at steps of 1/128 with linear interpolation is within 2e-5 of the exact
 * value (the curve is smooth and its second derivative is below 0.5 there); beyond it, the exact form.
 */
const TABLE_STEP = 128;
const TABLE_MAX = 8;
const SURPRISAL_TABLE = Float64Array.from({ length: 2 * TABLE_MAX * TABLE_STEP + 2 }, (_, i) => exactSurprisal(i / TABLE_STEP - TABLE_MAX));

function surprisalOf(z: number): number {
  if (!(z > -TABLE_MAX && z < TABLE_MAX)) return z <= -TABLE_MAX ? exactSurprisal(-TABLE_MAX) : exactSurprisal(z);
  const x = (z + TABLE_MAX) * TABLE_STEP;
  const i = Math.floor(x);
  const f = x - i;
  return SURPRISAL_TABLE[i]! + f * (SURPRISAL_TABLE[i + 1]! - SURPRISAL_TABLE[i]!);
}

/**
 * One likelihood: the short average of surprises against the running mean and variance of that average. It gives
 * the z-score of the short average; the caller turns the largest part's z into a surprisal (one erfc per row).
 */
class Likelihood {
  private readonly ring: Float64Array;
  private sum = 0;
  private count = 0;
  private head = 0;
  private mean = 0;
  private variance = 0;
  private n = 0;
  private shortMean = 0;
  constructor(private readonly alpha: number, shortRows: number) {
    this.ring = new Float64Array(shortRows);
  }
  /** z of the short average once `surprise` joins it (0 while there is no spread to judge by); learn() after scoring. */
  z(surprise: number): number {
    const x = Math.min(surprise, 50);
    const ring = this.ring;
    if (this.count < ring.length) {
      ring[(this.head + this.count) % ring.length] = x;
      this.count++;
    } else {
      this.sum -= ring[this.head]!;
      ring[this.head] = x;
      this.head = this.head + 1 === ring.length ? 0 : this.head + 1;
    }
    this.sum += x;
    this.shortMean = this.sum / this.count;
    const sd = Math.sqrt(this.variance);
    return this.n > 1 && sd > 0 ? (this.shortMean - this.mean) / sd : -Infinity;
  }
  learn(): void {
    const a = weight(this.alpha, this.n);
    const d = this.shortMean - this.mean;
    this.mean += a * d;
    this.variance = (1 - a) * (this.variance + a * d * d);
    this.n++;
  }
}

export class EnsembleDetector implements OnlineDetector {
  readonly name = 'ensemble';
  readonly threshold = ALERT;
  reason: string | undefined;
  private readonly o: Required<EnsembleOptions>;
  private readonly level: Likelihood;
  private readonly weekly: Likelihood;
  /** [fastMean, fastN, slowMean, slowN, fastErr, fastErrN, slowErr, slowErrN, hourErr, hourErrN, min, max, rows, lastAlert, farMean, farVar, farN, previous, repeatRate, run] */
  private readonly v = new Float64Array(20);
  /** Per hour of the week: smoothed level and how many values it has seen. Allocated on the first timed value. */
  private hours: Float64Array | undefined;
  private hourStart = NaN;
  private hourSlot = 0;

  constructor(options: EnsembleOptions = {}) {
    this.o = { ...ENSEMBLE_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, x]) => x !== undefined)) };
    this.level = new Likelihood(1 / this.o.historyRows, this.o.shortRows);
    this.weekly = new Likelihood(1 / this.o.historyRows, this.o.shortRows);
    this.v[10] = Infinity;
    this.v[11] = -Infinity;
    this.v[13] = -Infinity;
  }

  get warmupRows(): number {
    return this.o.warmupRows;
  }

  score(value: number, time?: number): number {
    const o = this.o;
    const v = this.v;
    const row = v[12]!++;
    this.reason = undefined;
    if (!Number.isFinite(value)) return 0;
    const fastMean = v[0]!;
    const slowMean = v[2]!;
    const tiny = 1e-9 + 1e-6 * Math.abs(slowMean);
    const fastErr = v[1]! > 0 ? Math.abs(value - fastMean) : 0;
    const slowErr = v[3]! > 0 ? Math.abs(value - slowMean) : 0;
    // The level and the weekly parts share one scale: the larger z is the larger surprisal.
    let z = this.level.z(Math.max(fastErr / (v[4]! + tiny), slowErr / (v[6]! + tiny)));
    let part = 'level';
    let slot = -1;
    let hourErr = NaN;
    if (time !== undefined && Number.isFinite(time)) {
      this.hours ??= new Float64Array(2 * SLOTS);
      // Consecutive rows mostly fall in the same hour: the division and two remainders only when the hour changes.
      if (!(time >= this.hourStart && time < this.hourStart + HOUR)) {
        const hour = Math.floor(time / HOUR);
        this.hourStart = hour * HOUR;
        this.hourSlot = ((hour % SLOTS) + SLOTS) % SLOTS;
      }
      slot = this.hourSlot;
      if (this.hours[2 * slot + 1]! >= 2) {
        hourErr = Math.abs(value - this.hours[2 * slot]!);
        const weekly = this.weekly.z(hourErr / (v[8]! + tiny));
        if (weekly > z) {
          z = weekly;
          part = 'daily/weekly pattern';
        }
      }
    }
    if (value < 0 && v[10]! >= 0) v[16] = 0; // leaves the log scale: the far part starts again
    const farValue = v[10]! >= 0 && value >= 0 ? Math.log1p(value) : value;
    let surprisal = z === -Infinity ? 0 : surprisalOf(z);
    if (o.farWeight > 0 && v[16]! > 10) {
      const sd = Math.sqrt(v[15]!);
      const far = o.farWeight * surprisalOf(sd > 0 ? Math.abs(farValue - v[14]!) / sd : 0);
      if (far > surprisal) {
        surprisal = far;
        part = 'far from usual';
      }
    }
    let s = Math.tanh((ATANH_ALERT * surprisal) / o.halfAt);
    if (o.spikeRatio > 0 && v[5]! > 10 && fastErr > o.spikeRatio * (v[4]! + tiny)) {
      s = 1;
      part = 'spike';
    }
    // The run of identical values including this one, and how often a value repeats the one before (EW, learnt below).
    const run = row > 0 && value === v[17]! ? v[19]! + 1 : 1;
    v[19] = run;
    if (o.stuckRows > 0 && run === o.stuckRows && row > 200 && (run - 1) * Math.log10(Math.max(v[18]!, 1e-12)) < -o.halfAt) {
      s = 1;
      part = 'stuck';
    }
    const margin = o.extremeMargin * (v[11]! - v[10]!);
    const beyond = Math.max(margin, o.extremeErrors * v[4]!);
    if (row >= o.warmupRows && (value > v[11]! + beyond || value < v[10]! - beyond)) {
      s = 1;
      part = 'new extreme';
    }
    if (row < o.warmupRows) s = 0;
    if (s >= ALERT) {
      const quiet = Math.min(o.quietMaxRows, Math.max(o.quietMinRows, o.quietFraction * row));
      if (row - v[13]! <= quiet) s = ALERT * 0.99;
      else {
        v[13] = row;
        this.reason = part;
      }
    }
    this.learn(value, farValue, fastErr, slowErr, slot, hourErr, row);
    return Math.max(0, Math.min(1, s));
  }

  private learn(value: number, farValue: number, fastErr: number, slowErr: number, slot: number, hourErr: number, row: number): void {
    const o = this.o;
    const v = this.v;
    this.level.learn();
    if (!Number.isNaN(hourErr)) {
      this.weekly.learn();
      v[8]! += weight(1 / o.historyRows, v[9]!) * (hourErr - v[8]!);
      v[9]!++;
    }
    if (slot >= 0) {
      const h = this.hours!;
      const n = h[2 * slot + 1]!;
      h[2 * slot] = n === 0 ? value : h[2 * slot]! + weight(o.weeklyAlpha, n) * (value - h[2 * slot]!);
      h[2 * slot + 1] = n + 1;
    }
    const alpha = 1 / o.historyRows;
    v[4]! += weight(alpha, v[5]!) * (fastErr - v[4]!);
    v[5]!++;
    v[6]! += weight(alpha, v[7]!) * (slowErr - v[6]!);
    v[7]!++;
    v[0] = v[1] === 0 ? value : v[0]! + weight(o.fastAlpha, v[1]!) * (value - v[0]!);
    v[1]!++;
    v[2] = v[3] === 0 ? value : v[2]! + weight(o.slowAlpha, v[3]!) * (value - v[2]!);
    v[3]!++;
    const a = weight(alpha, v[16]!);
    const d = farValue - v[14]!;
    v[14]! += a * d;
    v[15] = (1 - a) * (v[15]! + a * d * d);
    v[16]!++;
    if (row > 0) v[18]! += weight(alpha, row - 1) * ((value === v[17]! ? 1 : 0) - v[18]!);
    v[17] = value;
    v[10] = Math.min(v[10]!, value);
    v[11] = Math.max(v[11]!, value);
  }
}
