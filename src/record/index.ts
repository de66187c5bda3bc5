export { StreamRecord, JsonValue, RecordKey, HeaderValue, RecordHeaders, RecordSchema, PartitionProgress, BatchProgress } from './streamRecord';
export { isInheritedName, hasOwnField, ownField, fieldReader } from './ownField';
export { eventTimeOf, readEventTime, parseIsoTime, TimeUnit, TIME_UNITS, TimeReading, PLAUSIBLE_MS } from './eventTime';
export { headersText } from './headersText';
export { Stream, BatchListener, Listeners, isStream } from './stream';
export { isStreamRecord, isWindowResult, flatRow, windowOutputRow, WindowRowLike } from './rowShape';
