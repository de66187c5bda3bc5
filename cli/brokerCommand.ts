/** `streamlab broker`: hosts the embedded broker in this process until Ctrl-C. */
import { parse, intOption } from './args';
import { startBrokerHost, TopicSpec, brokerStatePath, checkNoOtherBroker, claimBrokerState, removeBrokerState, StreamlabError } from '../src';

const USAGE = 'streamlab broker [--brokers 1] [--partitions 4] [--topic NAME[:PARTITIONS]]...';

export async function brokerCommand(argv: string[]): Promise<void> {
  const { values } = parse(
    argv,
    { brokers: { type: 'string' }, partitions: { type: 'string' }, topic: { type: 'string', multiple: true } },
    USAGE,
  );
  const topics: TopicSpec[] = (values.topic ?? []).map((spec) => {
    const [name, parts] = spec.split(':');
    if (!name) throw new StreamlabError(`bad --topic '${spec}'`, `usage: ${USAGE}`);
    return { name, partitions: parts === undefined ? undefined : intOption(parts, 'topic partitions', 4) };
  });
  // Refused before anything starts when another broker is recorded; claimed atomically once this one is up.
  checkNoOtherBroker();
  const host = await startBrokerHost({
    brokers: intOption(values.brokers, 'brokers', 1),
    defaultPartitions: intOption(values.partitions, 'partitions', 4),
    topics,
  });
  const status = host.status();
  try {
    claimBrokerState({ bootstrapServers: status.bootstrapServers, controlUrl: status.controlUrl, pid: process.pid, startedAt: new Date().toISOString() });
  } catch (e) {
    await host.close();
    throw e;
  }
  process.stdout.write(
    [
      `streamlab embedded broker (librdkafka mock cluster, ${status.brokers} broker(s), in memory)`,
      `  bootstrap servers: ${status.bootstrapServers}`,
      `  recorded in ${brokerStatePath()}: kernels and the CLI on this machine use it with no configuration`,
      `  topics: ${Object.entries(status.createdTopics).map(([t, p]) => `${t} (${p})`).join(', ') || 'none yet (new topics get 4 partitions)'}`,
      '  limits: about 5 MB kept per partition (older records are dropped); no CreateTopics request',
      '  Ctrl-C stops it',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  removeBrokerState();
  await host.close();
  process.stdout.write('embedded broker stopped\n');
}
