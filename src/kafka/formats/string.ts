import { stringDecoder } from '../decoders';
import type { RecordFormat } from './format';

export const string: RecordFormat = {
  name: 'string',
  description: 'UTF-8 text',
  valueType: 'string',
  options: [],
  decoder: () => stringDecoder,
};
