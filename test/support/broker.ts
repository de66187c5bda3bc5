/** Test support: an embedded broker per test file, and helpers that produce known records to it. */
import { EmbeddedBroker } from '../../src/broker';
import { TopicSink, RawRecord, ConnectionOptions } from '../../src/kafka';

export async function startBroker(): Promise<{ broker: EmbeddedBroker; connection: ConnectionOptions }> {
  const broker = await EmbeddedBroker.start();
  return { broker, connection: broker.connection };
}

let topicCounter = 0;
export function uniqueTopic(prefix: string): string {
  return `${prefix}-${process.pid}-${++topicCounter}`;
}

export async function produceRaw(connection: ConnectionOptions, topic: string, records: RawRecord[]): Promise<void> {
  const sink = await TopicSink.open({ topic, connection, batchSize: 1000 });
  try {
    await sink.writeRaw(records);
  } finally {
    await sink.close();
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
