export * from './sensorGenerator';
export * from './csvReplay';
export { producePaced, abortableSleep, PacedProduceOptions } from './pacedProducer';
export { SeededRandom } from './random';
