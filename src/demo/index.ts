export * from './sensorGenerator';
export * from './csvReplay';
export { producePaced, PacedProduceOptions } from './pacedProducer';
export { SeededRandom } from './random';
