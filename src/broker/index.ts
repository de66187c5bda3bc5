export { EmbeddedBroker, EmbeddedBrokerOptions } from './embeddedBroker';
export { BrokerHostOptions, TopicSpec, startBrokerHost, DEFAULT_BROKER_OPTIONS } from './brokerHost';
export { KafkaCluster, KafkaClusterOptions, KafkaNodeInfo, KafkaNodeState, KafkaSaslMechanism } from './kafkaCluster';
export { KafkaDistribution, kafkaVersion, kafkaCacheDir, cachedKafkaLibs, fetchKafka, findJava, kafkaDistribution } from './kafkaDistribution';
export { BrokerCertificates, makeBrokerCertificates } from './kafkaCertificates';
export { SchemaRegistryProcess, SchemaRegistryOptions, CONFLUENT_API_PATH } from './schemaRegistryProcess';
export { SchemaRegistryDistribution, schemaRegistryVersion, schemaRegistryCacheDir, cachedSchemaRegistry, fetchSchemaRegistry, findJava21, bundledJava, schemaRegistryDistribution } from './schemaRegistryDistribution';
