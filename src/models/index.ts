/** Models: anomaly detection and its benchmark (NAB). */
export * from './nab';
