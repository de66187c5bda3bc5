/**
 * Event-time windowing: tumbling, hopping, sliding and session windows aggregated incrementally, closed by a
 * watermark, and handed out as Danfo DataFrames, subscriptions or micro-batches. Knows nothing of Jupyter.
 *
 * Semantics, in one place:
 * - Watermark = highest event time seen - grace. A window takes records while it is open and closes once the
 *   watermark reaches its close time: tumbling/hopping [start, end) at end; sliding [start, end] (both inclusive,
 *   Kafka Streams SlidingWindows) after end; sessions after last record + gap.
 * - Per-partition watermarks: with a source attached, each (topic, partition) of StreamRecords is a lane, and
 *   the event time above is min(highest seen, highest seen in each lane the source reports unread data for
 *   (position < highWatermark; -Infinity before its first record)). This is Flink's per-split watermark (the
 *   minimum across splits), except that caught-up partitions do not hold it back, so a partition read ahead of
 *   the others (a topic read from earliest) does not make theirs late. The watermark never decreases; advanceTo
 *   and flush force it forward. Plain objects, processing time and hand-fed records: one lane, as above.
 *   metrics().watermarkHeldBy names the partition holding it back.
 * - Late records (a window of theirs had closed) are counted and kept in w.late (bounded): `dropped` when no
 *   window took them, otherwise they still counted in their open windows (hopping, sliding). A session record is
 *   late when its session has closed or it falls within the gap of one that has (it would change a result
 *   already emitted).
 * - Numeric aggregates (sum, mean, min, max, variance, stddev, quantiles) take finite numbers only; anything else
 *   is counted in the window's invalid_<field> column and the record is kept in w.invalid (bounded). With no valid
 *   number a numeric aggregate is NaN; variance and stddev are sample statistics (n - 1).
 * - first/last: the value with the earliest/latest event time (ties: earliest/latest arrival); null values are
 *   skipped, as count(field) skips them.
 * - Quantiles (median, pNN, p999): the lower nearest rank, floor(q * (n - 1)); exact up to 128 values per window,
 *   then within quantileAccuracy (default 1 %) relative error (DDSketch from @datadog/sketches-js, with a bounded
 *   store: 2073 buckets per sign at 1 %; where a window's magnitudes of one sign span more than 18 decades, the
 *   smallest collapse and lose the bound first); min and max (q = 0, 1) stay exact. Distinct counts: exact up to
 *   1024 values, then HyperLogLog with a 1.6 % standard error.
 */
export { windowed, WindowedStream, WindowedOptions, WindowResult, WindowSubscriber, WindowMetrics, BatchSourceLike } from './windowedStream';
export { PartitionProgress } from './lanes';
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
