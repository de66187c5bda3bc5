/**
 * `streamlab worker PIPELINE.json [--group NAME]`: runs a pipeline as one member of its consumer group until SIGTERM
 * or Ctrl-C. A status line every second (--status json: one JSON object a line, for tools that follow the log);
 * a stop lets the batch in progress commit or abort, leaves the group (the other workers take its partitions at
 * once), prints a last line and exits 0. --at-least-once runs without transactions (a broker without them, or to
 * measure their cost): a crash may then write a window twice, never lose one. A partition that fails every attempt
 * for --task-timeout (default 2 minutes) fails the worker: it leaves the group, says why in one line and exits 1.
 */
import { parse, intOption } from './args';
import { StreamlabError, Worker, readPipelineFile } from '../src';

/** How long a worker on the embedded broker may hold nothing after it starts before it counts as a second one. */
const EMBEDDED_JOIN_MS = 15_000;

const USAGE = 'streamlab worker PIPELINE.json [--group NAME] [--brokers HOST:PORT] [--status text|json] [--every MS] [--session-timeout MS] [--fetch-max-bytes N] [--task-timeout MS] [--at-least-once]';

export async function workerCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(
    argv,
    {
      group: { type: 'string' },
      brokers: { type: 'string' },
      status: { type: 'string' },
      every: { type: 'string' },
      'session-timeout': { type: 'string' },
      'fetch-max-bytes': { type: 'string' },
      'task-timeout': { type: 'string' },
      'at-least-once': { type: 'boolean' },
    },
    USAGE,
  );
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new StreamlabError('worker needs one pipeline file', `usage: ${USAGE}`);
  const status = values.status ?? 'text';
  if (status !== 'text' && status !== 'json') throw new StreamlabError(`bad --status '${status}'`, 'use text or json');
  const everyMs = intOption(values.every, 'every', 1000, 50);
  const pipeline = readPipelineFile(file);
  const worker = new Worker(pipeline, {
    group: values.group,
    connection: values.brokers ? { brokers: values.brokers } : undefined,
    sessionTimeoutMs: values['session-timeout'] === undefined ? undefined : intOption(values['session-timeout'], 'session-timeout', 10_000, 1000),
    exactlyOnce: values['at-least-once'] !== true,
    taskTimeoutMs: values['task-timeout'] === undefined ? undefined : intOption(values['task-timeout'], 'task-timeout', 120_000, 0),
    fetchMaxBytes: values['fetch-max-bytes'] === undefined ? undefined : intOption(values['fetch-max-bytes'], 'fetch-max-bytes', 1 << 20, 1024),
  });
  const report = () => process.stdout.write(`${status === 'json' ? JSON.stringify(worker.metrics()) : worker.statusLine()}\n`);

  let stopping = false;
  let settle!: { resolve: () => void; reject: (e: unknown) => void };
  const finished = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  /** Stops once; resolves the command, or rejects it with `error` once stopped. */
  const stop = (error?: StreamlabError) => {
    // A second signal while stopping gives up waiting.
    if (stopping) process.exit(1);
    stopping = true;
    worker.stop().then(() => (error ? settle.reject(error) : settle.resolve()), settle.reject);
  };
  process.on('SIGTERM', () => stop());
  process.on('SIGINT', () => stop());
  await worker.start();
  // Holding no partition past a rebalance is said once: more workers than partitions, or a rebalance that failed.
  const idleLimitMs = 2 * (values['session-timeout'] === undefined ? 10_000 : Number(values['session-timeout'])) + 5_000;
  let emptySince: number | undefined = Date.now();
  let saidEmpty = false;
  const timer = setInterval(() => {
    report();
    const held = worker.metrics().partitions.length;
    if (held > 0) emptySince = undefined;
    else emptySince ??= Date.now();
    // On the embedded broker a member left with nothing is a second worker the mock cannot serve: it leaves (so
    // the first one gets its partitions back) and says why, rather than run as a useless member.
    if (worker.onEmbeddedBroker && emptySince !== undefined && Date.now() - emptySince > EMBEDDED_JOIN_MS && !stopping) stop(worker.secondOnEmbeddedBroker());
    if (emptySince !== undefined && !saidEmpty && Date.now() - emptySince > idleLimitMs) {
      saidEmpty = true;
      process.stderr.write(`streamlab: the worker of '${pipeline.name}' has held no partition for ${Math.round((Date.now() - emptySince) / 1000)} s: its group has more workers than '${pipeline.definition.input.topic}' has partitions, or the rebalance failed (see the status line's last error)\n`);
    }
    // The group consumer gave up (kafkajs did not restart it): the worker ends and says why rather than idle.
    const m = worker.metrics();
    // A partition that could not make progress for --task-timeout says why; starting again would fail the same way.
    if (m.state === 'failed' && !stopping) {
      const stuck = m.lastError?.includes('cannot make progress') === true;
      stop(new StreamlabError(`the worker of '${pipeline.name}' failed: ${m.lastError ?? 'see the log'}`, stuck ? undefined : 'start it again'));
    }
  }, everyMs);
  try {
    await finished;
  } finally {
    clearInterval(timer);
    report();
  }
}
