/** `streamlab nab detect DATA_DIR --out RESULTS_DIR`: a streamlab detector over NAB series, each replayed live through the embedded broker. */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from './args';
import { DEFAULT_WINDOWS } from './nabCommand';
import { DETECTORS, EmbeddedBroker, StreamlabError, createDetector, dataSetOf, detectThroughTopic, readSeries, readWindows, writeResults } from '../src';

const USAGE = `streamlab nab detect DATA_DIR [--detector ${Object.keys(DETECTORS).join('|')}] --out RESULTS_DIR [--windows FILE]`;

export async function nabDetectCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { detector: { type: 'string' }, out: { type: 'string' }, windows: { type: 'string' } }, USAGE);
  const dir = positionals[0];
  if (!dir || positionals.length > 1) throw new StreamlabError('nab detect needs one DATA_DIR', `usage: ${USAGE}`);
  if (!values.out) throw new StreamlabError('nab detect needs --out RESULTS_DIR', `usage: ${USAGE}`);
  const name = values.detector ?? Object.keys(DETECTORS)[0]!;
  createDetector(name); // an unknown name fails here, before the broker starts
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new StreamlabError(`no data directory at ${dir}`, 'pass a folder of NAB-format CSVs (timestamp,value)');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.csv')).sort();
  if (files.length === 0) throw new StreamlabError(`no .csv files in ${dir}`, 'pass a folder of NAB-format CSVs (timestamp,value)');
  const windows = readWindows(values.windows ?? DEFAULT_WINDOWS);
  const broker = await EmbeddedBroker.start();
  process.stdout.write(`embedded broker at ${broker.connection.brokers}; detector ${name}\n`);
  try {
    for (const file of files) {
      const full = path.join(dir, file);
      const series = readSeries(full, false);
      const started = Date.now();
      const topic = `nab-${path.basename(file, '.csv').replace(/[^A-Za-z0-9._-]/g, '-')}-${started}`;
      const scores = await detectThroughTopic(series, createDetector(name), { topic, connection: broker.connection });
      const target = writeResults(values.out, dataSetOf(full, windows), name, series, scores, windows);
      const ms = Date.now() - started;
      process.stdout.write(`${file}: ${series.times.length} rows through topic ${topic} in ${ms} ms (${Math.round((series.times.length * 1000) / Math.max(ms, 1))} rows/s) -> ${target}\n`);
    }
  } finally {
    await broker.stop();
  }
  process.stdout.write(`score them: streamlab nab score ${values.out}\n`);
}
