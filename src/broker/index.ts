export { EmbeddedBroker, EmbeddedBrokerOptions } from './embeddedBroker';
export { BrokerControl } from './brokerControl';
export { BrokerHostOptions, BrokerStatus, TopicSpec, startBrokerHost, DEFAULT_BROKER_OPTIONS } from './brokerHost';
export { BrokerState, readBrokerState, brokerStatePath, writeBrokerState, removeBrokerState } from './stateFile';
