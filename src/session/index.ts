export { Session, session, GenerateOptions, WindowOptions, ConnectOptions, ConsumeOptions, PeekOptions, ProduceOptions, StreamInfo, ProblemListener } from './session';
