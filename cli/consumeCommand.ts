/** `streamlab consume TOPIC`: a stream with a live one-line summary, until Ctrl-C or --count records. */
import { parse, intOption } from './args';
import { StreamlabError, TopicSource, START_POSITION_FORMS, TIME_UNITS, TimeUnit, formatNames, headersText, parseStartText } from '../src';
import { summaryLine } from './streamSummary';

const USAGE =
  `streamlab consume TOPIC [--from earliest|latest|committed|offset:N|time:ISO] [--decoder ${formatNames().join('|')}] [--columns a,b] ` +
  '[--time-field F] [--time-unit s|ms|us|ns] [--count N] [--brokers HOST:PORT]';

export async function consumeCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(
    argv,
    {
      from: { type: 'string' },
      decoder: { type: 'string' },
      columns: { type: 'string' },
      'time-field': { type: 'string' },
      'time-unit': { type: 'string' },
      count: { type: 'string' },
      brokers: { type: 'string' },
      print: { type: 'boolean' },
    },
    USAGE,
  );
  const topic = positionals[0];
  if (!topic) throw new StreamlabError('consume needs a topic', `usage: ${USAGE}`);
  const start = parseStartText(values.from ?? 'latest');
  if (!('from' in start)) {
    throw new StreamlabError(`bad --from '${values.from}'`, `${start.guess ? `did you mean '${start.guess}'? ` : ''}--from takes ${START_POSITION_FORMS}`);
  }
  const timeUnit = values['time-unit'];
  if (timeUnit !== undefined && !(TIME_UNITS as readonly string[]).includes(timeUnit)) {
    throw new StreamlabError(`bad --time-unit '${timeUnit}'`, `use one of ${TIME_UNITS.join(', ')}`);
  }
  const source = new TopicSource({
    topic,
    from: start.from,
    timeUnit: timeUnit as TimeUnit | undefined,
    decoder: values.decoder ?? 'json',
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
    if (values.print) process.stdout.write(`${r.partition}:${r.offset} ${r.key ?? ''} ${JSON.stringify(r.value)}${r.headers ? ` ${headersText(r.headers)}` : ''}\n`);
    if (++seen >= count) break;
  }
  clearInterval(ticker);
  await source.stop();
  process.stderr.write(summaryLine(source.metrics()) + '\n');
}
