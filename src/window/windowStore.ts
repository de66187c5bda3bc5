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

export type CloseListener = (key: readonly unknown[], start: number, end: number, state: WindowState) => void;
export type WindowVisitor = CloseListener;

export interface WindowStore {
  /** Watermark at which the next window closes (Infinity when none is open): the engine compares, then calls closeUntil. */
  readonly nextCloseAt: number;
  /**
   * Adds a record at event time t to its windows. `watermark` is the current one: windows ending at or before it
   * are closed. `mapKey` identifies the key; `keyValues` builds the key's field values when a key is new.
   */
  add(mapKey: unknown, fields: Fields, t: number, seq: number, watermark: number): number;
  /** Closes every window the watermark has passed, calling the close listener for each. */
  closeUntil(watermark: number): void;
  /** Visits the open windows. */
  visitOpen(visit: WindowVisitor): void;
  /** Visits open windows changed since the last call (update emit mode). */
  takeUpdates(visit: WindowVisitor): void;
  readonly openCount: number;
}

export interface StoreContext {
  onClose: CloseListener;
  keyValues: (fields: Fields) => unknown[];
  /** Track changed windows for takeUpdates (update emit mode only: it costs a Set insert per record). */
  trackUpdates: boolean;
}
