/** `streamlab consume TOPIC`: a stream with a live one-line summary, until Ctrl-C or --count records. */
import { parse, intOption } from './args';
import { StreamlabError, TopicSource, parseStartFrom } from '../src';
import { summaryLine } from './streamSummary';

const USAGE = 'streamlab consume TOPIC [--from earliest|latest] [--decoder json|string|number|csv] [--columns a,b] [--time-field F] [--count N] [--brokers HOST:PORT]';

export async function consumeCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(
    argv,
    {
      from: { type: 'string' },
      decoder: { type: 'string' },
      columns: { type: 'string' },
      'time-field': { type: 'string' },
      count: { type: 'string' },
      brokers: { type: 'string' },
      print: { type: 'boolean' },
    },
    USAGE,
  );
  const topic = positionals[0];
  if (!topic) throw new StreamlabError('consume needs a topic', `usage: ${USAGE}`);
  const source = new TopicSource({
    topic,
    from: parseStartFrom(values.from ?? 'latest'),
    decoder: (values.decoder ?? 'json') as 'json',
    columns: values.columns?.split(','),
    timeField: values['time-field'],
    connection: { brokers: values.brokers },
  });
  const count = values.count === undefined ? Infinity : intOption(values.count, 'count', 1);
  const reader = source.reader(1000);
  await source.start();
  const ticker = setInterval(() => process.stderr.write(summaryLine(source.metrics()) + '\n'), 1000);
  const stop = () => void source.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let seen = 0;
  for await (const r of reader) {
    if (values.print) process.stdout.write(`${r.partition}:${r.offset} ${r.key ?? ''} ${JSON.stringify(r.value)}\n`);
    if (++seen >= count) break;
  }
  clearInterval(ticker);
  await source.stop();
  process.stderr.write(summaryLine(source.metrics()) + '\n');
}
