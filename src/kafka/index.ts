export * from './connection';
export { Secret } from './secret';
export { clientLog, ClientLogEntry } from './clientLog';
export * from './decoders';
export { DeadLetter, DeadLetters } from './deadLetters';
export { TopicAdmin, TopicSummary, PartitionOffsets } from './topicAdmin';
export { StartFrom, parseStartFrom } from './startPosition';
export * from './topicSource';
export * from './topicSink';
