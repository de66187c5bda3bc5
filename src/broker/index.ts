export { EmbeddedBroker, EmbeddedBrokerOptions } from './embeddedBroker';
export { BrokerHostOptions, TopicSpec, startBrokerHost, DEFAULT_BROKER_OPTIONS } from './brokerHost';
