/** The Numenta Anomaly Benchmark: its scorer (standard profile), its file formats and streamlab's detectors on it. */
export * from './sweep';
export * from './nabFiles';
export * from './nabScore';
export * from './nabDetect';
export * from './vusPr';
export * from './categories';
export * from './publishedScores';
