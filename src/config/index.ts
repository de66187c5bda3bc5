/** Where things are: streamlab's state directory, the record of a running broker, and its control API. */
export { stateDir } from './stateDir';
export { BrokerState, readBrokerState, brokerStatePath, writeBrokerState, removeBrokerState, claimBrokerState, checkNoOtherBroker } from './brokerState';
export { BrokerControl, BrokerStatus } from './brokerControl';
