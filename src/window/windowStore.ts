/** What the engine needs from the state of each window kind. */
import { Fields, WindowState } from './aggregatePlan';

/** Outcome of adding one record, as bits: the common case is 0, so the engine's hot path tests one number. */
export const ON_TIME = 0;
/** Some windows of the record had closed; it still reached the open ones. */
export const LATE = 1;
/** Every window of the record had closed: it reached none. */
export const DROPPED = 2;
/** A numeric field did not hold a finite number. */
export const INVALID = 4;
/** The record's key is new and the store holds maxKeys keys: it reached no window (checked where keys are made, so
 *  records of known keys pay nothing for the bound). */
export const REFUSED = 8;

export type CloseListener = (key: readonly unknown[], start: number, end: number, state: WindowState) => void;
export type WindowVisitor = CloseListener;

export interface WindowStore {
  /** Watermark at which the next window closes (Infinity when none is open): the engine compares, then calls closeUntil. */
  readonly nextCloseAt: number;
  /**
   * Adds a record at event time t to its windows. `lateBefore` is the record's own lateness bound: its
   * partition's stream time - grace, or the watermark when that is higher (never lower); a window whose close
   * time is at or below it takes the record no more. `watermark` is the one that closes windows. `mapKey`
   * identifies the key; `keyValues` builds the key's field values when a key is new.
   */
  add(mapKey: unknown, fields: Fields, t: number, seq: number, lateBefore: number, watermark: number): number;
  /** Closes every window the watermark has passed, calling the close listener for each. */
  closeUntil(watermark: number): void;
  /** Visits the open windows. */
  visitOpen(visit: WindowVisitor): void;
  /** Visits open windows changed since the last call (update emit mode). */
  takeUpdates(visit: WindowVisitor): void;
  readonly openCount: number;
  /** Keys holding state (open windows, or, for sliding windows, records an open window may still hold). */
  readonly keyCount: number;
  /** Rough bytes of the state held, given the bytes of one window's aggregate state. */
  approxBytes(windowBytes: number): number;
}

/** Rough bytes of a key's bookkeeping (its Map entry, object and key values) and of a window's own object. */
export const KEY_BYTES = 200;
export const WINDOW_BYTES = 120;

export interface StoreContext {
  onClose: CloseListener;
  keyValues: (fields: Fields) => unknown[];
  /** Track changed windows for takeUpdates (update emit mode only: it costs a Set insert per record). */
  trackUpdates: boolean;
  /** Most keys held at once: a record that would make one more is REFUSED. */
  maxKeys: number;
}
