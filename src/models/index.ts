/** Models: online anomaly detectors and their benchmark (NAB). */
export * from './nab';
export * from './detectors';
