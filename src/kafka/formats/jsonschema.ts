import { RegistryDecoder } from '../registry/registryDecoder';
import type { RecordFormat } from './format';

export const jsonschema: RecordFormat = {
  name: 'jsonschema',
  description: 'JSON in the Schema Registry wire format, checked against its JSON Schema',
  valueType: 'JsonValue',
  options: [],
  needsRegistry: true,
  decoder: (o, c) => new RegistryDecoder('jsonschema', c.registry!, { readerSchema: o.readerSchema }),
};
