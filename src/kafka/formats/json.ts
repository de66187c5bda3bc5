import { jsonDecoder } from '../decoders';
import type { RecordFormat } from './format';

export const json: RecordFormat = {
  name: 'json',
  description: 'a JSON object a record (the default)',
  valueType: 'JsonValue',
  options: [],
  decoder: () => jsonDecoder,
};
