/**
 * One online detector per key (a sensor, a card, a host), so a spike on one key is judged against that key's own
 * rows only. Each key's detector is made on its first row with createDetector(name) (the registry's default when no
 * name is given) and learns from its first `warmupRows` rows before it scores above 0.
 *
 * State is bounded: at most `maxKeys` detectors (default 10,000) are held; a new key beyond that evicts a key not seen
 * for the longest time and counts it in `keysDropped`. Recency is kept as a stamp per key rather than by re-inserting
 * the key into the Map on every row (a delete and a set per row were a third of the cost of detecting): on eviction
 * the Map is walked from its oldest insertion, and a key seen since it was (re)inserted gets a second chance (moved
 * to the back) instead of being evicted. That is the CLOCK approximation of LRU, exact for a key never seen again. A key that
 * was evicted and comes back starts a fresh detector: it warms up again (its rows say `warmingUp`), and what it had
 * learnt before is gone. Raise maxKeys when keysDropped grows and keys recur.
 */
import { StreamlabError } from '../../errors';
import type { OnlineDetector } from './detector';
import { DETECTORS, createDetector, type DetectorSettings } from './index';

export interface KeyedDetectorsOptions {
  /** A name of DETECTORS; default the registry's first (the default detector). */
  detector?: string;
  /** Detectors held at most; the least recently seen key is evicted beyond it. Default 10,000. */
  maxKeys?: number;
  /** Flag rows with score >= this instead of the detector's own threshold. */
  threshold?: number;
  /** Rows after a key's alert in which that key does not alert again (default: the detector's own). */
  quietRows?: number;
}

export interface KeyedDetectorsMetrics {
  /** Keys holding a detector now (at most maxKeys). */
  keys: number;
  /** Keys evicted (least recently seen first) to stay within maxKeys; an evicted key seen again starts afresh. */
  keysDropped: number;
  /** Rows scored. */
  rows: number;
  /** Rows with score >= threshold. */
  flagged: number;
  /** Rows scored while their key's detector was still in its warm-up (their score is 0 by contract). */
  rowsWarmingUp: number;
}

/** Where one key's detector stands: the detector and the rows it has scored. */
interface KeyState {
  detector: OnlineDetector;
  rows: number;
  /** The row count when the key was last seen, and when it was last (re)inserted into the Map. */
  seen: number;
  inserted: number;
}

export const DEFAULT_MAX_KEYS = 10_000;

/** The value a key is held under: itself, or an object's JSON text (so equal composite keys meet). */
function keyOf(key: unknown): unknown {
  return typeof key === 'object' && key !== null ? JSON.stringify(key) : key;
}

export class KeyedDetectors {
  readonly detectorName: string;
  readonly maxKeys: number;
  /** The score from which a row is flagged: the option, else the detector's own. */
  readonly threshold: number;
  /** Rows each fresh detector learns from before it scores above 0. */
  readonly warmupRows: number;
  private readonly settings: DetectorSettings;
  private readonly states = new Map<unknown, KeyState>();
  private readonly m = { keysDropped: 0, rows: 0, flagged: 0, rowsWarmingUp: 0 };
  /** The verdict of the last score(): read right after it (no object is made per row). */
  lastIsAnomaly = false;
  lastWarmingUp = false;
  /** The detector's reason when the last row was flagged, else undefined. */
  lastReason: string | undefined;

  constructor(options: KeyedDetectorsOptions = {}) {
    const names = Object.keys(DETECTORS);
    this.detectorName = options.detector ?? names[0]!;
    this.settings = options.quietRows === undefined ? {} : { quietRows: options.quietRows };
    const probe = createDetector(this.detectorName, this.settings);
    const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
    if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) throw new StreamlabError(`maxKeys must be a whole number >= 1, got ${maxKeys}`);
    const threshold = options.threshold ?? probe.threshold;
    if (typeof threshold !== 'number' || !Number.isFinite(threshold)) throw new StreamlabError(`threshold must be a finite number, got ${String(options.threshold)}`);
    this.maxKeys = maxKeys;
    this.threshold = threshold;
    this.warmupRows = probe.warmupRows;
  }

  /**
   * Scores `value` of `key` with that key's own detector (made on the key's first row), at `time` (epoch ms) when
   * known. Returns the score; lastIsAnomaly, lastWarmingUp and lastReason hold the rest of the verdict.
   */
  score(key: unknown, value: number, time?: number): number {
    const k = keyOf(key);
    const now = this.m.rows;
    let state = this.states.get(k);
    if (state === undefined) {
      if (this.states.size >= this.maxKeys) this.evictOne();
      state = { detector: createDetector(this.detectorName, this.settings), rows: 0, seen: now, inserted: now };
      this.states.set(k, state);
    }
    state.seen = now;
    const detector = state.detector;
    const warmingUp = state.rows < detector.warmupRows;
    const score = detector.score(value, time);
    state.rows++;
    const flagged = score >= this.threshold;
    this.m.rows++;
    if (warmingUp) this.m.rowsWarmingUp++;
    if (flagged) this.m.flagged++;
    this.lastIsAnomaly = flagged;
    this.lastWarmingUp = warmingUp;
    this.lastReason = flagged ? detector.reason : undefined;
    return score;
  }

  /** Evicts the key unseen for the longest time: keys seen since their insertion move to the back instead. */
  private evictOne(): void {
    for (const [k, state] of this.states) {
      this.states.delete(k);
      if (state.seen > state.inserted) {
        state.inserted = state.seen;
        this.states.set(k, state);
        continue;
      }
      this.m.keysDropped++;
      return;
    }
  }

  /** Whether `key` holds a detector now (it was seen, and not evicted since). */
  has(key: unknown): boolean {
    return this.states.has(keyOf(key));
  }

  /** Rows `key`'s current detector has scored (0 for a key not held: it would start afresh). */
  rowsOf(key: unknown): number {
    return this.states.get(keyOf(key))?.rows ?? 0;
  }

  metrics(): KeyedDetectorsMetrics {
    return { keys: this.states.size, ...this.m };
  }
}
