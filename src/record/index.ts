export { StreamRecord, JsonValue, RecordKey, PartitionProgress, BatchProgress } from './streamRecord';
export { eventTimeOf, readEventTime, parseIsoTime, TimeUnit, TIME_UNITS, TimeReading, PLAUSIBLE_MS } from './eventTime';
