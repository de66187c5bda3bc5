import { RegistryDecoder } from '../registry/registryDecoder';
import type { RecordFormat } from './format';

export const protobuf: RecordFormat = {
  name: 'protobuf',
  description: 'Protobuf in the Schema Registry wire format (message indexes, imports, Timestamp as a Date)',
  valueType: 'JsonValue',
  options: [],
  needsRegistry: true,
  decoder: (o, c) => new RegistryDecoder('protobuf', c.registry!, { readerSchema: o.readerSchema }),
};
