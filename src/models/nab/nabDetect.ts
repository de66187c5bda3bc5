/**
 * Runs an online detector over NAB series as live streams: each series is produced into a topic (one partition, so
 * rows keep their order) and scored record by record as the consumer receives it, then written in NAB's results
 * layout. The detector sees a row only after every row before it, and never a row after it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { StreamlabError } from '../../errors';
import { TopicSink, TopicSource, type ConnectionOptions } from '../../kafka';
import type { OnlineDetector } from '../detectors';
import { formatNabTime, type NabSeries, type NabWindows } from './nabFiles';

interface Row {
  row: number;
  time: number;
  value: number;
}

/** Scores `series` with `detector` through `topic` (created with one partition); resolves with a score per row. */
export async function detectThroughTopic(series: NabSeries, detector: OnlineDetector, options: { topic: string; connection: ConnectionOptions; timeoutMs?: number }): Promise<number[]> {
  const n = series.times.length;
  const scores: number[] = [];
  let failure: StreamlabError | undefined;
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => (finish = resolve));
  const source = new TopicSource<Row>({ topic: options.topic, from: 'earliest', connection: options.connection, timeField: 'time' });
  source.subscribe((batch) => {
    for (const record of batch) {
      const { row, time, value } = record.value;
      if (row !== scores.length) failure ??= new StreamlabError(`topic ${options.topic} delivered row ${row} where row ${scores.length} was due`, 'replay into a topic with one partition');
      scores.push(detector.score(value, time));
    }
    if (scores.length >= n || failure) finish();
  });
  const sink = await TopicSink.open({ topic: options.topic, connection: options.connection, timeField: 'time', createTopic: { partitions: 1, retentionMs: -1 } });
  try {
    await source.start();
    const rows: Row[] = series.times.map((time, row) => ({ row, time, value: series.values[row]! }));
    for (let i = 0; i < rows.length; i += 2000) await sink.write(rows.slice(i, i + 2000));
    await sink.flush();
    const timeoutMs = options.timeoutMs ?? 120_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const outcome = await Promise.race([done, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') throw new StreamlabError(`only ${scores.length} of ${n} rows came back from topic ${options.topic} within ${timeoutMs} ms`, 'check the broker (streamlab topics)');
    if (failure) throw failure;
    return scores.slice(0, n);
  } finally {
    await source.stop();
    await sink.close();
  }
}

/** Writes one results file, `<out>/<category>/<detector>_<file>`, with NAB's columns; labels come from the windows. */
export function writeResults(out: string, dataSet: string, detector: string, series: NabSeries, scores: readonly number[], windows: NabWindows): string {
  const [category, file] = dataSet.split('/') as [string, string];
  const limits = windows.get(dataSet) ?? [];
  const lines = ['timestamp,value,anomaly_score,label'];
  series.times.forEach((t, i) => {
    const label = limits.some(([a, b]) => t >= a && t <= b) ? 1 : 0;
    lines.push(`${formatNabTime(t)},${series.values[i]},${scores[i]},${label}`);
  });
  const target = path.join(out, category, `${detector}_${file}`);
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, `${lines.join('\n')}\n`);
  } catch (e) {
    throw new StreamlabError(`cannot write ${target} (${(e as NodeJS.ErrnoException).code ?? 'error'})`, 'choose a writable --out directory');
  }
  return target;
}

/** The data-set key of a CSV: its category in the windows file (by file name), else the folder it is in. */
export function dataSetOf(file: string, windows: NabWindows): string {
  const name = path.basename(file);
  const labelled = [...windows.keys()].find((k) => k.endsWith(`/${name}`));
  return labelled ?? `${path.basename(path.dirname(path.resolve(file)))}/${name}`;
}
