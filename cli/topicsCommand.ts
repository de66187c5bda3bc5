/** `streamlab topics [create NAME]`: what the cluster holds, or a new topic. */
import { parse, intOption } from './args';
import { StreamlabError, TopicAdmin, TopicFormats, describeConnection, type TopicSummary } from '../src';

const USAGE = 'streamlab topics [--brokers HOST:PORT] | streamlab topics create NAME [--partitions N]';

export async function topicsCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { brokers: { type: 'string' }, partitions: { type: 'string' } }, USAGE);
  const sub = positionals[0];
  if (sub !== undefined && sub !== 'create') {
    const hint = sub === 'delete' ? "streamlab does not delete topics; Kafka's own kafka-topics.sh --delete does (the embedded broker forgets everything when it stops)" : `usage: ${USAGE}`;
    throw new StreamlabError(`streamlab topics has no '${sub}': it lists topics, or creates one with 'create NAME'`, hint);
  }
  if (sub === 'create' && positionals.length > 2) throw new StreamlabError(`topics create takes one name, got ${positionals.length - 1}: ${positionals.slice(1).join(' ')}`, `usage: ${USAGE}`);
  if (sub === undefined && values.partitions !== undefined) throw new StreamlabError('--partitions is for topics create', `usage: ${USAGE}`);
  const partitions = values.partitions ? intOption(values.partitions, 'partitions', 4) : undefined;
  const admin = await TopicAdmin.connect({ brokers: values.brokers });
  try {
    if (positionals[0] === 'create') {
      const name = positionals[1];
      if (!name) throw new StreamlabError('topics create needs a name', `usage: ${USAGE}`);
      const created = await admin.createTopic(name, partitions);
      process.stdout.write(created ? `created topic ${name}\n` : `topic ${name} already exists\n`);
      return;
    }
    process.stdout.write(`${describeConnection(admin.settings)}\n`);
    const summaries: TopicSummary[] = [];
    for (const topic of await admin.listTopics()) summaries.push(await admin.summary(topic));
    const formats = await new TopicFormats(admin.settings).of(summaries);
    const rows = [['topic', 'partitions', 'messages', 'format', 'subject', 'offsets (partition:low-high)']];
    for (const s of summaries) {
      const f = formats.get(s.topic);
      rows.push([s.topic, String(s.partitions), String(s.messages), f?.format ?? '', f?.subject ?? '', s.offsets.map((o) => `${o.partition}:${o.low}-${o.high}`).join(' ')]);
    }
    process.stdout.write(table(rows));
  } finally {
    await admin.disconnect();
  }
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n') + '\n';
}
