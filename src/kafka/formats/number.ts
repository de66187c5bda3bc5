import { numberDecoder } from '../decoders';
import type { RecordFormat } from './format';

export const number: RecordFormat = {
  name: 'number',
  description: 'a number written as text',
  valueType: 'number',
  options: [],
  decoder: () => numberDecoder,
};
