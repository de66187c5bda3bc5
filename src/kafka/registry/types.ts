/** A Schema Registry's schemas as its Confluent-compatible API returns them. */

export type RegistrySchemaType = 'AVRO' | 'PROTOBUF' | 'JSON';

/** A schema another one imports (a Protobuf import, an Avro named type), by subject and version. */
export interface SchemaReference {
  /** The name the referring schema uses for it (a Protobuf import path such as "common.proto"). */
  name: string;
  subject: string;
  version: number;
}

export interface RegisteredSchema {
  id: number;
  schemaType: RegistrySchemaType;
  /**
   * The schema text: Avro JSON, JSON Schema, or Protobuf as `.proto` text (Confluent) or as a base64
   * FileDescriptorProto (Apicurio returns the descriptor the producer registered).
   */
  schema: string;
  references: SchemaReference[];
}
