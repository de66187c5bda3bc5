export { StreamRecord, JsonValue } from './streamRecord';
export { eventTimeOf } from './eventTime';
