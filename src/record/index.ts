export { StreamRecord, JsonValue, RecordKey } from './streamRecord';
export { eventTimeOf, readEventTime, parseIsoTime, TimeUnit, TIME_UNITS, TimeReading, PLAUSIBLE_MS } from './eventTime';
