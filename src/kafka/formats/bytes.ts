import { bytesDecoder } from '../decoders';
import type { RecordFormat } from './format';

export const bytes: RecordFormat = {
  name: 'bytes',
  description: 'the bytes as they are (a Buffer)',
  valueType: 'Buffer',
  options: [],
  decoder: () => bytesDecoder,
};
