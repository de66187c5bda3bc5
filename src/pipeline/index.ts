export { PipelineDefinition, Pipeline, readPipelineFile, checkPipeline } from './pipelineFile';
export { WindowTask } from './windowTask';
export { Worker, WorkerOptions, WorkerMetrics } from './worker';
