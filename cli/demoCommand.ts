/**
 * `streamlab demo`: the main job on the embedded default. Starts the embedded broker, streams the seeded sensor
 * generator into a topic and consumes it live with a one-line summary per second (records/s, lag, dead letters)
 * and a line per closed 2-second window across sensors (readings, the sensor that stood out most).
 */
import { parse, intOption, numberOption } from './args';
import { EmbeddedBroker, readBrokerState, TopicSink, TopicSource, SensorGenerator, producePaced, tumbling, windowed, WindowResult } from '../src';
import { summaryLine } from './streamSummary';

const USAGE = 'streamlab demo [--seconds 30 (0: until Ctrl-C)] [--rate 2000] [--sensors 8] [--topic sensors]';

export async function demoCommand(argv: string[]): Promise<void> {
  const { values } = parse(
    argv,
    { seconds: { type: 'string' }, rate: { type: 'string' }, sensors: { type: 'string' }, topic: { type: 'string' } },
    USAGE,
  );
  const seconds = intOption(values.seconds, 'seconds', 30, 0);
  const rate = numberOption(values.rate, 'rate', 2000);
  const topic = values.topic ?? 'sensors';
  const out = (line: string) => process.stdout.write(line + '\n');

  // Reuse a running `streamlab broker`; otherwise start one that other terminals can find while the demo runs.
  const running = readBrokerState();
  const broker = running ? undefined : await EmbeddedBroker.start({ writeState: true });
  const connection = running
    ? { brokers: running.bootstrapServers, embeddedControlUrl: running.controlUrl }
    : broker!.connection;
  out(`embedded broker at ${connection.brokers}${running ? ' (already running)' : ''}`);

  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const sink = await TopicSink.open({ topic, connection, createTopic: { partitions: 4 } });
  const source = new TopicSource({ topic, from: 'latest', connection, timeField: 'time' });
  // 2-second windows per sensor, with 5 s of grace for the generator's late records: one line per closed window set.
  const windows = windowed({ window: tumbling('2s'), keyBy: 'sensor', grace: '5s', aggregates: ['mean(value)', 'max(value)', 'count'] });
  windows.subscribe((closed) => {
    const byEnd = new Map<number, WindowResult[]>();
    for (const w of closed) {
      const set = byEnd.get(w.windowEnd);
      if (set) set.push(w);
      else byEnd.set(w.windowEnd, [w]);
    }
    for (const [end, set] of byEnd) out(windowLine(end, set));
  });
  windows.attach(source);
  await source.start();
  out(`consuming '${topic}' as group ${source.groupId}; producing ${rate} sensor records/s (${seconds > 0 ? `${seconds} s` : 'Ctrl-C to stop'})`);
  const ticker = setInterval(() => out(summaryLine(source.metrics())), 1000);

  const generator = new SensorGenerator({
    sensors: intOption(values.sensors, 'sensors', 8),
    ratePerSecond: rate,
    seed: 1,
    startTime: Date.now(),
  });
  // The clock starts with production, so joining the group does not eat into the requested seconds.
  const timer = seconds > 0 ? setTimeout(stop, seconds * 1000) : undefined;
  let produced = 0;
  try {
    produced = await producePaced(sink, () => generator.next(), { rate, signal: abort.signal });
    await sink.close();
    // Let the consumer catch up with the last batches before the final summary.
    const deadline = Date.now() + 5000;
    while (source.metrics().records + source.deadLetters.total < produced && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    clearInterval(ticker);
    clearTimeout(timer);
    await source.stop();
    await broker?.stop();
  }
  const m = source.metrics();
  const w = windows.metrics();
  out(`done: produced ${produced}, consumed ${m.records} good records and ${m.deadLetters} dead letters`);
  out(`windows: ${w.closedWindows} closed, ${w.openWindows} still open, ${w.late} late records kept aside`);
  for (const d of source.deadLetters.list().slice(-3)) {
    out(`  dead letter ${d.topic}/${d.partition}@${d.offset} ${d.reason}: ${d.error} | ${d.preview}`);
  }
}

/** One closed window across sensors: when, how many readings, and the sensor that stood out most. */
function windowLine(end: number, set: WindowResult[]): string {
  const count = set.reduce((n, w) => n + (w.values.count as number), 0);
  const top = set.reduce((a, b) => ((b.values.max_value as number) - (b.values.mean_value as number) > (a.values.max_value as number) - (a.values.mean_value as number) ? b : a));
  const spread = (top.values.max_value as number) - (top.values.mean_value as number);
  return `  window ending ${new Date(end).toISOString().slice(11, 19)}: ${count} readings from ${set.length} sensors; largest excursion ${String(top.key.sensor)} max ${(top.values.max_value as number).toFixed(1)} (${spread.toFixed(1)} above its mean)`;
}
