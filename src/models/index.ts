/**
 * Models: history from topics, features, tfjs recipes and training, save/load, live scoring, online anomaly
 * detectors and their benchmark (NAB).
 */
export * from './nab';
export * from './detectors';
export * from './backend';
export * from './features';
export * from './recipes';
export * from './train';
export * from './trainedModel';
export * from './persist';
export * from './streamScorer';
export * from './columnScorer';
export * from './history';
export * from './detectors/keyedDetectors';
export * from './streamDetector';
