import { RegistryDecoder } from '../registry/registryDecoder';
import type { RecordFormat } from './format';

export const avro: RecordFormat = {
  name: 'avro',
  description: 'Avro in the Schema Registry wire format, each record with its writer schema',
  valueType: 'JsonValue',
  options: ['readerSchema'],
  needsRegistry: true,
  decoder: (o, c) => new RegistryDecoder('avro', c.registry!, { readerSchema: o.readerSchema }),
};
