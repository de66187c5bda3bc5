import { RegistryDecoder } from '../registry/registryDecoder';
import type { RecordFormat } from './format';

export const auto: RecordFormat = {
  name: 'auto',
  description: 'the Schema Registry wire format when a record has it (any kind), else a JSON object; the default when a registry is configured',
  valueType: 'JsonValue',
  options: ['readerSchema'],
  needsRegistry: true,
  decoder: (o, c) => new RegistryDecoder('auto', c.registry!, { readerSchema: o.readerSchema }),
};
