/** Online anomaly detectors: one value (and its time, epoch ms) in, one score in [0, 1] out, using only the rows before it. */
export interface OnlineDetector {
  readonly name: string;
  /** The score of `value` (higher: more anomalous), computed before `value` joins the detector's state. */
  score(value: number, time?: number): number;
  /**
   * Which part of the detector gave the last score its value (e.g. 'level', 'daily pattern', 'new extreme'), so a
   * flagged row can say why it was flagged. Undefined when no part stood out (a quiet score).
   */
  readonly reason?: string | undefined;
  /** Rows a fresh detector learns from before it scores above 0 (its warm-up). */
  readonly warmupRows: number;
  /** The score from which a row is an anomaly (chosen on the NAB development corpus for the registered detectors). */
  readonly threshold: number;
}
/** Upper tail probability of the standard normal, Q(z) = P(Z > z), via erfc (Abramowitz-Stegun 7.1.26 is too coarse in the tail). */
export function normalTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Complementary error function, Numerical Recipes' erfcc (fractional error below 1.2e-7 everywhere). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
