import { csvDecoder } from '../decoders';
import type { RecordFormat } from './format';

export const csv: RecordFormat = {
  name: 'csv',
  description: 'one CSV line a record, with column names given (records carry no header)',
  valueType: 'JsonValue',
  options: ['columns'],
  decoder: (o) => csvDecoder(o.columns ?? []),
};
