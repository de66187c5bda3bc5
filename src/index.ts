/** streamlab: live Kafka data in TypeScript notebooks. The public API; the kernel's magics expand to these calls. */
export { StreamlabError } from './errors';
export * from './kafka';
export * from './broker';
export * from './demo';
export * from './frames';
export * from './session';
export * from './window';
