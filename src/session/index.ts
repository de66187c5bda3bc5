export { Session, session, GenerateOptions, WindowOptions, ConnectOptions, ConsumeOptions, PeekOptions, ProduceOptions, StreamInfo, ProblemListener } from './session';
export { StreamHandle, StreamKind, StreamState, StreamStatus, StreamRegistry } from './streamRegistry';
