export { Session, session, GenerateOptions, ConnectOptions, ConsumeOptions, PeekOptions, ProduceOptions, StreamInfo, ProblemListener } from './session';
