export { PipelineDefinition, Pipeline, WindowPipeline, JoinPipeline, JoinDefinition, readPipelineFile, checkPipeline } from './pipelineFile';
export { WindowTask } from './windowTask';
export { Worker, WorkerOptions, WorkerMetrics } from './worker';
export { JoinTask } from './joinTask';
