/**
 * Event-time windowing: tumbling, hopping, sliding and session windows aggregated incrementally, closed by a
 * watermark, and handed out as Danfo DataFrames, subscriptions or micro-batches. Knows nothing of Jupyter.
 *
 * Semantics, in one place:
 * - Event time per partition: each (topic, partition) of StreamRecords is a lane with its own stream time (its
 *   highest event time so far), as each Kafka Streams task has; plain objects, processing time and records of
 *   a source that reports no progress share one lane.
 * - Lateness: a record is judged by its own lane: a window (or, for sessions, the record's own instant) whose
 *   close time is at or below the lane's stream time - grace takes it no more. So whether a record counts
 *   depends on its partition's records before it, never on how the client interleaves partitions.
 * - Closing: the watermark = highest event time seen - grace, held back (see lanes.ts) at the stream time of
 *   every partition of an attached source that still has unread data, or caught up less than idleTimeout ago;
 *   windows close once it reaches their close time: tumbling/hopping [start, end) at end; sliding [start, end]
 *   (both inclusive, Kafka Streams SlidingWindows) after end; sessions after end + 2 x gap (a record up to one
 *   gap behind stream time can still extend a session until then). A window is closed for every record once
 *   the watermark has passed it. Reading a topic from earliest therefore gives the windows of reading it
 *   partition by partition, on every run; live, a caught-up partition holds nothing (latency of the newest
 *   partition). The watermark never decreases; advanceTo and flush force it forward. metrics().watermarkHeldBy
 *   names the partition holding it back.
 * - Late records are counted and kept in w.late (bounded): `dropped` when no window took them, otherwise they
 *   still counted in their open windows (hopping, sliding).
 * - Numeric aggregates (sum, mean, min, max, variance, stddev, quantiles) take finite numbers only; anything else
 *   is counted in the window's invalid_<field> column and the record is kept in w.invalid (bounded). With no valid
 *   number a numeric aggregate is NaN; variance and stddev are sample statistics (n - 1).
 * - first/last: the value with the earliest/latest event time (ties: the lower/higher offset, then partition, for
 *   StreamRecords; arrival for plain objects); null values are skipped, as count(field) skips them.
 * - Quantiles (median, pNN, p999): the lower nearest rank, floor(q * (n - 1)); exact up to 128 values per window,
 *   then within quantileAccuracy (default 1 %) relative error (DDSketch from @datadog/sketches-js, with a bounded
 *   store: 2073 buckets per sign at 1 %; where a window's magnitudes of one sign span more than 18 decades, the
 *   smallest collapse and lose the bound first); min and max (q = 0, 1) stay exact. Distinct counts: exact up to
 *   1024 values, then HyperLogLog with a 1.6 % standard error.
 */
export { windowed, WindowedStream, WindowedOptions, WindowResult, WindowSubscriber, WindowMetrics, BatchSourceLike } from './windowedStream';
export { FieldType } from './fieldChecks';
export { TimeOption } from './recordAccess';
export { tumbling, hopping, sliding, sessionWindow, WindowSpec, FixedWindowSpec, SlidingWindowSpec, SessionWindowSpec } from './windowKinds';
export { Reducer, FieldReducer, AggregatesOption, AggregateItem, parseAggregates } from './aggregateSpec';
export { Duration, parseDuration } from './duration';
export { LateRecord, InvalidRecord } from './setAside';
export { MicroBatchTrigger, MicroBatchInfo, MicroBatchOptions, MicroBatchCallback } from './microBatches';
export { QuantileSketch } from './quantileSketch';
export { DistinctCounter } from './distinctCounter';
export { rolling, RollingView, RollingOptions } from './rollingView';
