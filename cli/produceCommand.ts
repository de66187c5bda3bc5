/** `streamlab produce sensors|csv`: demo data into a topic. */
import path from 'node:path';
import { parse, intOption, numberOption } from './args';
import { StreamlabError, TopicSink, SensorGenerator, readTimeSeriesCsv, nabAnomalyWindows, replayDelays, toReplayRecord, producePaced, abortableSleep, Compression, compressionType } from '../src';

const USAGE =
  'streamlab produce sensors --topic T [--sensors 8] [--rate 1000|max] [--count N] [--seed 1] | ' +
  'streamlab produce csv FILE --topic T [--speedup 3600|max] [--labels combined_windows.json] [--compression none|gzip|snappy|lz4|zstd] [--brokers HOST:PORT]';

export async function produceCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(
    argv,
    {
      topic: { type: 'string' },
      sensors: { type: 'string' },
      rate: { type: 'string' },
      count: { type: 'string' },
      seed: { type: 'string' },
      speedup: { type: 'string' },
      labels: { type: 'string' },
      partitions: { type: 'string' },
      brokers: { type: 'string' },
      compression: { type: 'string' },
    },
    USAGE,
  );
  const kind = positionals[0];
  if (kind !== 'sensors' && kind !== 'csv') throw new StreamlabError(`produce what? got '${kind ?? ''}'`, `usage: ${USAGE}`);
  const topic = values.topic ?? (kind === 'sensors' ? 'sensors' : undefined);
  if (!topic) throw new StreamlabError('produce csv needs --topic', `usage: ${USAGE}`);
  // The file is read (and every row checked) before the topic is touched: a missing file creates nothing.
  let csv: { file: string; series: ReturnType<typeof readTimeSeriesCsv>; delays: number[]; windows?: ReturnType<typeof nabAnomalyWindows> } | undefined;
  if (kind === 'csv') {
    const file = positionals[1];
    if (!file) throw new StreamlabError('produce csv needs a file', `usage: ${USAGE}`);
    const series = readTimeSeriesCsv(file);
    const windows = values.labels ? nabAnomalyWindows(values.labels, file) : undefined;
    csv = { file, series, windows, delays: replayDelays(series.rows, numberOption(values.speedup, 'speedup', 3600)) };
  }
  // Every option is checked before anything connects: a bad number is one line, with no topic created.
  const partitions = values.partitions ? intOption(values.partitions, 'partitions', 4) : undefined;
  const sensors = intOption(values.sensors, 'sensors', 8);
  const rate = numberOption(values.rate, 'rate', 1000);
  const seed = intOption(values.seed, 'seed', 1, 0);
  const count = values.count === undefined ? Infinity : intOption(values.count, 'count', 1);
  const compression = (values.compression ?? 'none') as Compression;
  compressionType(compression, '--compression');
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  process.once('SIGTERM', () => abort.abort());
  const sink = await TopicSink.open({
    topic,
    connection: { brokers: values.brokers },
    // A replay keeps each row's own (past) time as its Kafka timestamp, which a real Kafka's time retention would
    // delete within minutes: a topic made for it keeps its records.
    createTopic: { partitions, retentionMs: kind === 'csv' ? -1 : undefined },
    compression,
  });
  try {
    if (kind === 'sensors') {
      const generator = new SensorGenerator({ sensors, ratePerSecond: rate, seed, startTime: Date.now() });
      const sent = await producePaced(sink, () => generator.next(), {
        rate,
        count,
        signal: abort.signal,
      });
      process.stderr.write(`produced ${sent} sensor records to ${topic}\n`);
    } else {
      const { file, series: parsed, windows, delays } = csv!;
      const { rows, rejected } = parsed;
      const series = path.basename(file, path.extname(file));
      let sent = 0;
      for (let i = 0; i < rows.length && !abort.signal.aborted; i++) {
        if (delays[i]! > 0) {
          await sink.flush();
          await abortableSleep(delays[i]!, abort.signal);
        }
        await sink.writeRaw([toReplayRecord(rows[i]!, series, windows)]);
        sent++;
      }
      await sink.flush();
      const total = rows.length + rejected.length;
      process.stderr.write(`replayed ${sent}${sent === total ? '' : ` of ${total}`} rows of ${file} to ${topic}\n`);
      if (sent < rows.length) process.stderr.write(`${rows.length - sent} readable row(s) not sent: stopped at line ${rows[sent]!.line}\n`);
      // Rows that could not be read are not sent, so each is named here with its line for the user to fix.
      if (rejected.length) process.stderr.write(`${rejected.length} unreadable row(s) not sent:\n`);
      for (const r of rejected.slice(0, 20)) process.stderr.write(`  ${file}:${r.line}: ${r.error}\n`);
      if (rejected.length > 20) process.stderr.write(`  ... and ${rejected.length - 20} more\n`);
    }
  } finally {
    await sink.close();
  }
}
