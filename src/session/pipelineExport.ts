/**
 * A notebook's window as a pipeline file for `streamlab worker`: the topic it reads, how it reads event time, the
 * window, its key and aggregates, and where the final windows go. What a file cannot carry (a custom reducer, a time
 * function, processing time) or a worker cannot run exactly (sliding and session windows) is refused in one line
 * naming it, rather than exported as something that would compute other results.
 */
import fs from 'node:fs';
import { StreamlabError } from '../errors';
import type { AggregatesOption, WindowedOptions, WindowedStream } from '../window';
import { Pipeline, PipelineDefinition, checkPipeline } from '../pipeline';

export interface ExportOptions {
  /** Where the final windows go (created by the first worker when missing). */
  output: { topic: string; partitions?: number };
  /** The pipeline's name (default: the window's name in the session) and consumer group (default: the name). */
  name?: string;
  group?: string;
}

/** What the session knows of a window it made: its topic, the feed's time field and the options it was given. */
export interface WindowOrigin {
  name: string;
  topic: string;
  timeField: string | undefined;
  options: WindowedOptions;
  stream: WindowedStream;
}

export function pipelineOf(origin: WindowOrigin, options: ExportOptions): Pipeline {
  const { stream, options: w } = origin;
  const where = `exporting window '${origin.name}'`;
  let timeField = origin.timeField;
  if (w.time !== undefined) {
    if (typeof w.time !== 'string' || w.time === 'processing') {
      throw new StreamlabError(`${where}: its time is ${w.time === 'processing' ? 'processing time' : 'a function'}, which a pipeline file cannot carry`, "window by a time field (time: 'field', or the stream's timeField) to export it");
    }
    timeField = w.time;
  }
  const aggregates = w.aggregates;
  if (aggregates !== undefined && holdsFunction(aggregates)) {
    throw new StreamlabError(`${where}: its aggregates hold a custom reducer, which a pipeline file cannot carry`, "use the built-in aggregates ('count', 'sum(f)', 'p99(f)', ...) to export it");
  }
  const spec = stream.window;
  if (spec.kind !== 'tumbling' && spec.kind !== 'hopping') {
    throw new StreamlabError(`${where}: ${spec.kind} windows cannot run as workers yet`, 'use tumbling or hopping windows (their results a replay reproduces exactly)');
  }
  const definition: PipelineDefinition = {
    name: options.name ?? origin.name.replace(/[^A-Za-z0-9._-]+/g, '-'),
    input: { topic: origin.topic, ...(timeField !== undefined ? { timeField } : {}) },
    window: {
      kind: spec.kind,
      size: spec.sizeMs,
      ...(spec.kind === 'hopping' ? { advance: spec.advanceMs } : {}),
      grace: stream.graceMs,
      ...(stream.keyBy.length > 0 ? { keyBy: [...stream.keyBy] } : {}),
      ...(aggregates !== undefined ? { aggregates: jsonCopy(aggregates) } : {}),
    },
    output: options.output,
    ...(options.group !== undefined ? { group: options.group } : {}),
  };
  return checkPipeline(definition, where);
}

export function writePipelineFile(file: string, pipeline: Pipeline): void {
  fs.writeFileSync(file, `${JSON.stringify(pipeline.definition, null, 2)}\n`);
}

/** Whether the value holds a function anywhere (a custom reducer is an object of functions). */
function holdsFunction(value: unknown): boolean {
  if (typeof value === 'function') return true;
  if (value === null || typeof value !== 'object') return false;
  return Object.values(value as Record<string, unknown>).some(holdsFunction);
}

function jsonCopy(aggregates: AggregatesOption): AggregatesOption {
  return JSON.parse(JSON.stringify(aggregates)) as AggregatesOption;
}
