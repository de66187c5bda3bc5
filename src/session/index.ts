export { Session, session, ConnectOptions, ConsumeOptions, PeekOptions, ProduceOptions, StreamInfo, ProblemListener } from './session';
