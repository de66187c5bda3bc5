/** `streamlab produce sensors|csv`: demo data into a topic, as JSON or (with --format) schema'd through a registry. */
import fs from 'node:fs';
import path from 'node:path';
import { parse, intOption, numberOption } from './args';
import { StreamlabError, TopicSink, type RawRecord, type SchemaValueOptions, SensorGenerator, readTimeSeriesCsv, nabAnomalyWindows, replayDelays, toReplayRecord, producePaced, abortableSleep, Compression, compressionType } from '../src';

const USAGE =
  'streamlab produce sensors --topic T [--sensors 8] [--rate 1000|max] [--count N] [--seed 1] | ' +
  'streamlab produce csv FILE --topic T [--speedup 3600|max] [--labels combined_windows.json] [--compression none|gzip|snappy|lz4|zstd] [--format avro|protobuf|jsonschema --schema FILE|--subject S] [--registry URL] [--brokers HOST:PORT]';
const SCHEMA_FORMATS = ['avro', 'protobuf', 'jsonschema'] as const;

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
      format: { type: 'string' },
      schema: { type: 'string' },
      subject: { type: 'string' },
      registry: { type: 'string' },
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
  const value = schemaValue(values);
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  process.once('SIGTERM', () => abort.abort());
  const sink = await TopicSink.open({
    topic,
    connection: { brokers: values.brokers, ...(values.registry ? { schemaRegistry: values.registry } : {}) },
    // The demo feed's Kafka time is its send time (some of its records lack a time field on purpose); a replay's is
    // each row's own time, as without a schema.
    ...(value ? { value, keyField: kind === 'sensors' ? 'sensor' : 'series', ...(kind === 'csv' ? { timeField: 'time' } : {}), onInvalid: 'dead-letter' as const } : {}),
    // A replay keeps each row's own (past) time as its Kafka timestamp, which a real Kafka's time retention would
    // delete within minutes: a topic made for it keeps its records.
    createTopic: { partitions, retentionMs: kind === 'csv' ? -1 : undefined },
    compression,
  });
  try {
    if (kind === 'sensors') {
      const notJson = { count: 0 };
      const generator = new SensorGenerator({ sensors, ratePerSecond: rate, seed, startTime: Date.now() });
      const sent = await producePaced(sink, () => generator.next(), {
        rate,
        count,
        signal: abort.signal,
        ...(value ? { write: (records: RawRecord[]) => sink.write(rowsOf(records, notJson)) } : {}),
      });
      process.stderr.write(`produced ${sent - sink.rejected.total - notJson.count} sensor records to ${topic}${value ? ` as ${value.format}` : ''}\n`);
      // The demo feed mixes in a few malformed values on purpose; a schema cannot carry them.
      if (notJson.count > 0) process.stderr.write(`${notJson.count} malformed demo value(s) not sent: the ${value!.format} schema cannot carry them\n`);
      reportRejected(sink);
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
        const record = toReplayRecord(rows[i]!, series, windows);
        await (value ? sink.write(rowsOf([record], { count: 0 })) : sink.writeRaw([record]));
        sent++;
      }
      await sink.flush();
      const total = rows.length + rejected.length;
      process.stderr.write(`replayed ${sent}${sent === total ? '' : ` of ${total}`} rows of ${file} to ${topic}${value ? ` as ${value.format}` : ''}\n`);
      reportRejected(sink);
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

/** The schema'd value of --format with --schema (a file) or --subject (its latest registered version), checked. */
function schemaValue(values: { format?: string; schema?: string; subject?: string }): SchemaValueOptions | undefined {
  if (values.format === undefined) {
    if (values.schema !== undefined || values.subject !== undefined) throw new StreamlabError('--schema and --subject are for --format avro|protobuf|jsonschema', `usage: ${USAGE}`);
    return undefined;
  }
  const format = SCHEMA_FORMATS.find((f) => f === values.format);
  if (!format) throw new StreamlabError(`bad --format '${values.format}': use one of ${SCHEMA_FORMATS.join(', ')} (plain JSON is the default)`, `usage: ${USAGE}`);
  if (values.schema === undefined && values.subject === undefined) throw new StreamlabError(`--format ${format} needs --schema FILE or --subject S (a schema already registered)`, `usage: ${USAGE}`);
  let schema: string | undefined;
  if (values.schema !== undefined) {
    try {
      schema = fs.readFileSync(values.schema, 'utf8');
    } catch (e) {
      throw new StreamlabError(`cannot read --schema ${values.schema}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'give the path of an .avsc, .proto or JSON Schema file');
    }
  }
  return { format, ...(schema !== undefined ? { schema } : {}), ...(values.subject !== undefined ? { subject: values.subject } : {}) };
}

/** Generated or replayed records as the rows a schema'd sink encodes (key and time are fields of them); values that are not JSON objects are counted. */
function rowsOf(records: RawRecord[], notJson: { count: number }): object[] {
  const rows: object[] = [];
  for (const record of records) {
    try {
      const row: unknown = JSON.parse(String(record.value));
      if (row !== null && typeof row === 'object' && !Array.isArray(row)) {
        rows.push(row);
        continue;
      }
    } catch {
      // counted below
    }
    notJson.count++;
  }
  return rows;
}

/** Rows the schema could not encode were kept aside, not sent: say how many and why, first few by position. */
function reportRejected(sink: TopicSink): void {
  const { total, list } = sink.rejected;
  if (total === 0) return;
  process.stderr.write(`${total} row(s) not sent: they do not fit the schema\n`);
  for (const r of list().slice(0, 5)) process.stderr.write(`  ${r.error}\n`);
}
