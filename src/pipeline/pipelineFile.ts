/**
 * A pipeline as a value: consume a topic -> keyed event-time windows -> write the final windows to a topic, exactly
 * once. Written as JSON rather than as a TypeScript module because it is data, not code: it is checked whole before
 * anything runs (one line naming the field that is wrong), a notebook can write it from its streams, a reviewer can
 * diff it, and a worker on another machine reads it without compiling anything or trusting code from a notebook.
 * What JSON cannot hold (custom reducers, time functions) cannot be deployed this way and is refused by name.
 *
 *   {
 *     "name": "sensor-windows",
 *     "input":  { "topic": "sensors", "timeField": "time" },
 *     "window": { "kind": "tumbling", "size": "10s", "grace": "2s", "keyBy": "sensor",
 *                 "aggregates": ["count", "sum(value)", "max(value)"] },
 *     "output": { "topic": "sensor-windows", "partitions": 6 },
 *     "group":  "sensor-windows"
 *   }
 *
 * The input must be keyed by the window key (records of one key in one partition), as Kafka Streams requires of an
 * aggregation's input: each partition is windowed on its own, so a key spread over partitions would give one
 * partial window per partition.
 */
import fs from 'node:fs';
import { StreamlabError, didYouMean } from '../errors';
import { AggregatesOption, Duration, FixedWindowSpec, hopping, parseAggregates, parseDuration, tumbling, windowed } from '../window';
import { checkTopicName, checkWritableTopic, recordFormat, recordFormats } from '../kafka';
import { TIME_UNITS, TimeUnit } from '../record';

export interface PipelineDefinition {
  name: string;
  /** format: the input's record format (default json; one whose values are objects: json, csv, avro, ...). */
  input: { topic: string; timeField?: string; timeUnit?: TimeUnit; format?: string };
  /** A pipeline windows its input, or joins it (one of the two). */
  window?: { kind: 'tumbling' | 'hopping'; size: Duration; advance?: Duration; grace?: Duration; keyBy?: string | string[]; aggregates?: AggregatesOption };
  join?: JoinDefinition;
  output: { topic: string; partitions?: number };
  /** The consumer group of the workers; `streamlab worker --group` overrides it. Default: the name. */
  group?: string;
}

/**
 * A stream-table join: every worker holds the whole table (read from its topic's first record before the worker
 * joins its group, then followed), as a Kafka Streams GlobalKTable, so the input need not be co-partitioned with it.
 */
export interface JoinDefinition {
  /** inner (default) or left. */
  kind?: 'inner' | 'left';
  table: { topic: string; key?: string; versioned?: { history: Duration } };
  /** The input's key: a value field (a foreign key, e.g. cardId); default the record key. */
  leftKey?: string;
}

interface PipelineBase {
  definition: PipelineDefinition;
  name: string;
  group: string;
}

/** A checked window pipeline with its window in the engine's terms. */
export interface WindowPipeline extends PipelineBase {
  kind: 'window';
  window: FixedWindowSpec;
  graceMs: number;
  keyBy: string[];
}

/** A checked join pipeline. */
export interface JoinPipeline extends PipelineBase {
  kind: 'join';
  join: { kind: 'inner' | 'left'; tableTopic: string; tableKey: string | undefined; historyMs: number | undefined; leftKey: string | undefined };
}

export type Pipeline = WindowPipeline | JoinPipeline;

const TOP_FIELDS = ['name', 'input', 'window', 'join', 'output', 'group'];
const WINDOW_FIELDS = ['kind', 'size', 'advance', 'grace', 'keyBy', 'aggregates'];

export function readPipelineFile(file: string): Pipeline {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new StreamlabError(`cannot read the pipeline file ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`, 'check the path');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new StreamlabError(`the pipeline file ${file} is not JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  return checkPipeline(parsed, file);
}

/** Checks a definition whole; the first problem is one line naming the field and the file. */
export function checkPipeline(value: unknown, where = 'the pipeline'): Pipeline {
  const fail = (what: string, hint?: string): never => {
    throw new StreamlabError(`${where}: ${what}`, hint);
  };
  const object = (v: unknown, name: string): Record<string, unknown> => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(`${name} must be an object`);
    return v as Record<string, unknown>;
  };
  const text = (v: unknown, name: string): string => {
    if (typeof v !== 'string' || v === '') fail(`${name} must be a non-empty string`);
    return v as string;
  };
  const known = (o: Record<string, unknown>, names: string[], name: string) => {
    for (const k of Object.keys(o)) {
      if (!names.includes(k)) {
        const guess = didYouMean(k, names);
        fail(`unknown field '${name}${k}'`, guess ? `did you mean '${name}${guess}'?` : `the fields are ${names.join(', ')}`);
      }
    }
  };
  const top = object(value, 'the definition');
  known(top, TOP_FIELDS, '');
  const name = text(top.name, 'name');
  const input = object(top.input, 'input');
  known(input, ['topic', 'timeField', 'timeUnit', 'format'], 'input.');
  text(input.topic, 'input.topic');
  if (input.timeField !== undefined) text(input.timeField, 'input.timeField');
  if (input.timeUnit !== undefined && !(TIME_UNITS as readonly unknown[]).includes(input.timeUnit)) fail(`input.timeUnit '${String(input.timeUnit)}' is not a unit`, `use one of ${TIME_UNITS.join(', ')}`);
  if (input.timeUnit !== undefined && input.timeField === undefined) fail('input.timeUnit needs input.timeField', 'Kafka timestamps are always ms');
  if (input.format !== undefined) {
    const format = recordFormat(text(input.format, 'input.format'), 'input.format');
    // Windows aggregate fields of objects: a format of text, numbers or bytes has none.
    if (format.valueType !== 'JsonValue') fail(`input.format '${format.name}' gives ${format.valueType === 'Buffer' ? 'bytes' : `${format.valueType}s`}, not records with fields`, `use a format of objects (${recordFormats().filter((f) => f.valueType === 'JsonValue' && !f.options.includes('columns')).map((f) => f.name).join(', ')})`);
    // csv needs its column names, which a pipeline file has no field for yet (optional options, an Avro reader schema, are not needed).
    if (format.options.includes('columns')) fail(`input.format '${format.name}' needs column names, which a pipeline file cannot give yet`, 'use json, or a registry format (avro, protobuf, jsonschema, auto)');
  }
  const output = object(top.output, 'output');
  known(output, ['topic', 'partitions'], 'output.');
  text(output.topic, 'output.topic');
  // Kafka's name rules, and no writing to its internal topics (__consumer_offsets...): refused here, at start, not
  // met as a worker that runs and writes nothing.
  const checked = (check: () => void, field: string) => {
    try {
      check();
    } catch (e) {
      fail(`${field}: ${(e as Error).message}`);
    }
  };
  checked(() => checkTopicName(input.topic, 'input topic'), 'input.topic');
  checked(() => checkWritableTopic(output.topic), 'output.topic');
  if (output.partitions !== undefined && !(Number.isInteger(output.partitions) && (output.partitions as number) > 0)) fail('output.partitions must be a positive integer');
  if (output.topic === input.topic) fail('output.topic is the input topic', 'write the windows to a topic of their own');
  const group = top.group === undefined ? name : text(top.group, 'group');
  if ((top.window === undefined) === (top.join === undefined)) fail(top.window === undefined ? 'a pipeline needs a window or a join' : 'a pipeline has a window or a join, not both', 'split it into two pipelines, the second reading the first one\'s output');
  if (top.join !== undefined) return { kind: 'join', definition: top as unknown as PipelineDefinition, name, group, join: checkJoin(object(top.join, 'join'), input.topic as string, output.topic as string, fail, object, text, known) };

  const w = object(top.window, 'window');
  known(w, WINDOW_FIELDS, 'window.');
  const kind = w.kind;
  if (kind !== 'tumbling' && kind !== 'hopping') {
    fail(
      `window.kind '${String(kind)}' cannot run as workers`,
      "use 'tumbling' or 'hopping': their windows close by the watermark alone, which a replay from a committed position reproduces exactly (sliding and session windows are not supported yet)",
    );
  }
  let spec: FixedWindowSpec;
  let graceMs: number;
  try {
    spec = kind === 'tumbling' ? tumbling(w.size as Duration) : hopping(w.size as Duration, w.advance as Duration);
    graceMs = parseDuration((w.grace as Duration | undefined) ?? 0, 'window.grace');
    if (w.aggregates !== undefined) parseAggregates(w.aggregates as AggregatesOption);
  } catch (e) {
    return fail((e as Error).message);
  }
  const keyBy = w.keyBy === undefined ? [] : Array.isArray(w.keyBy) ? w.keyBy : [w.keyBy];
  keyBy.forEach((k, i) => text(k, `window.keyBy[${i}]`));
  // The engine itself checks what the fields alone cannot (a key named __proto__, two columns of one name).
  checked(() => windowed({ window: spec, keyBy: keyBy as string[], grace: graceMs, aggregates: w.aggregates as AggregatesOption | undefined }), 'window');
  return { kind: 'window', definition: top as unknown as PipelineDefinition, name, group, window: spec, graceMs, keyBy: keyBy as string[] };
}

type Fail = (what: string, hint?: string) => never;

function checkJoin(
  j: Record<string, unknown>,
  inputTopic: string,
  outputTopic: string,
  fail: Fail,
  object: (v: unknown, name: string) => Record<string, unknown>,
  text: (v: unknown, name: string) => string,
  known: (o: Record<string, unknown>, names: string[], name: string) => void,
): JoinPipeline['join'] {
  known(j, ['kind', 'table', 'leftKey', 'stream', 'within', 'grace'], 'join.');
  if (j.stream !== undefined) {
    fail('join.stream: a stream-stream join cannot run as workers yet', 'run it in a notebook (session.join / %join), or join the stream with a table (join.table) here');
  }
  const kind = j.kind ?? 'inner';
  if (kind !== 'inner' && kind !== 'left') fail(`join.kind '${String(kind)}' is not a stream-table join kind`, "use 'inner' or 'left'");
  const table = object(j.table, 'join.table');
  known(table, ['topic', 'key', 'versioned'], 'join.table.');
  const tableTopic = text(table.topic, 'join.table.topic');
  try {
    checkTopicName(tableTopic, 'table topic');
  } catch (e) {
    fail(`join.table.topic: ${(e as Error).message}`);
  }
  if (tableTopic === outputTopic) fail('join.table.topic is the output topic', 'write the joined records to a topic of their own');
  if (tableTopic === inputTopic) fail('join.table.topic is the input topic', 'a stream joins a table of another topic');
  const tableKey = table.key === undefined ? undefined : text(table.key, 'join.table.key');
  let historyMs: number | undefined;
  if (table.versioned !== undefined) {
    const v = object(table.versioned, 'join.table.versioned');
    known(v, ['history'], 'join.table.versioned.');
    try {
      historyMs = parseDuration(v.history as Duration, 'join.table.versioned.history');
    } catch (e) {
      fail((e as Error).message);
    }
  }
  const leftKey = j.leftKey === undefined ? undefined : text(j.leftKey, 'join.leftKey');
  return { kind: kind as 'inner' | 'left', tableTopic, tableKey, historyMs, leftKey };
}
