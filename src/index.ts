/** streamlab: live Kafka data in TypeScript notebooks. The public API; the kernel's magics expand to these calls. */
export { StreamlabError, isStreamlabError, didYouMean } from './errors';
export * from './record';
export * from './config';
export * from './kafka';
export * from './broker';
export * from './demo';
export * from './frames';
export * from './session';
export * from './window';
export * from './output';
export * from './display';
export * from './plot';
export * from './models';
export * from './join';
export * from './pipeline';
