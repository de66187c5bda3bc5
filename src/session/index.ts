export { Session, session, GenerateOptions, WindowOptions, ConnectOptions, ConsumeOptions, PeekOptions, ProduceOptions, PlotOptions, DetectOptions, StreamInfo, ProblemListener } from './session';
export { StreamHandle, StreamKind, StreamState, StreamStatus, StreamRegistry } from './streamRegistry';
export { GroupWatch } from './groupWatch';
export { ExportOptions } from './pipelineExport';
