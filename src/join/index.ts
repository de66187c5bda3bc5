export { KeyedTable, KeyedTableOptions, TableMetrics } from './keyedTable';
export { StreamTableJoin, StreamTableJoinOptions, StreamTableJoinMetrics } from './streamTableJoin';
export { StreamStreamJoin, StreamStreamJoinOptions, StreamStreamJoinMetrics, StreamJoinKind, SideMetrics } from './streamStreamJoin';
export { TableTableJoin, TableTableJoinOptions, TableTableJoinMetrics, TableJoinKind } from './tableTableJoin';
export { KeyOption, RECORD_KEY, keyId, keyKind, keyReader } from './joinKey';
export { Joiner, nestingJoiner } from './joinedRecord';
export { AsideRecord } from './asideRecords';
export { TimeOrderedMerge } from './timeOrderedMerge';
