/**
 * One worker of a pipeline: a member of the pipeline's consumer group that windows the partitions it is given and
 * writes their final windows exactly once (see windowTask.ts for why results stay exact when partitions move). Start
 * it N times, on one machine or several, and Kafka spreads the input partitions over them.
 */
import { ConnectionOptions, ConnectionSettings, ReadProcessWrite, ReadProcessWriteMetrics, TopicAdmin } from '../kafka';
import fs from 'node:fs';
import path from 'node:path';
import { StreamlabError } from '../errors';
import { stateDir } from '../config/stateDir';
import { isAlive } from '../config/brokerState';
import { formatCount } from '../output/format';
import { Pipeline } from './pipelineFile';
import { WindowTask } from './windowTask';
import { JoinTask } from './joinTask';
import { KeyedTable } from '../join';
import { TopicSource } from '../kafka';

export interface WorkerOptions {
  /** Overrides the pipeline's group. */
  group?: string;
  connection?: ConnectionOptions | ConnectionSettings;
  /** Group session timeout: how long a killed worker holds its partitions before the others take them. Default 10 s. */
  sessionTimeoutMs?: number;
  /** Upper bound of one fetch, and so of one transaction's input. */
  fetchMaxBytes?: number;
  /** false: at least once (no transactions; a crash may write a window twice, never lose one). Default true. */
  exactlyOnce?: boolean;
  /** How long a partition may fail every attempt before the worker fails with the reason (see ReadProcessWriteOptions). */
  taskTimeoutMs?: number;
}

export interface WorkerMetrics extends ReadProcessWriteMetrics {
  pipeline: string;
  openWindows: number;
  windowsWritten: number;
  lateRecords: number;
  /** Join pipelines: records joined, records without a table row, and the table's keys. */
  joined?: number;
  unmatched?: number;
  tableKeys?: number;
}

export class Worker {
  private readonly tasks = new Map<number, WindowTask | JoinTask>();
  private readonly loop: ReadProcessWrite;
  /** A join pipeline's table, and the consumer that keeps it current. */
  private readonly table: KeyedTable | undefined;
  private tableSource: TopicSource<unknown> | undefined;
  readonly group: string;

  constructor(
    readonly pipeline: Pipeline,
    private readonly options: WorkerOptions = {},
  ) {
    this.group = options.group ?? pipeline.group;
    const def = pipeline.definition;
    const join = pipeline.kind === 'join' ? pipeline.join : undefined;
    this.table = join ? new KeyedTable({ name: join.tableTopic, key: join.tableKey, ...(join.historyMs !== undefined ? { versioned: { historyMs: join.historyMs } } : {}) }) : undefined;
    this.loop = new ReadProcessWrite({
      input: def.input.topic,
      output: def.output.topic,
      groupId: this.group,
      connection: options.connection,
      timeField: def.input.timeField,
      timeUnit: def.input.timeUnit,
      format: def.input.format,
      // Output records are keyed by the window key (or the join's key field), so one key's results stay in order in one partition.
      keyField: pipeline.kind === 'window' ? (pipeline.keyBy.length === 1 ? pipeline.keyBy[0] : undefined) : pipeline.join.leftKey,
      createOutput: { partitions: def.output.partitions },
      sessionTimeoutMs: options.sessionTimeoutMs,
      fetchMaxBytes: options.fetchMaxBytes,
      exactlyOnce: options.exactlyOnce,
      taskTimeoutMs: options.taskTimeoutMs,
      task: (partition) => {
        const task = pipeline.kind === 'window' ? new WindowTask(pipeline) : new JoinTask(pipeline, this.table!);
        this.tasks.set(partition, task);
        return task;
      },
    });
  }

  async start(): Promise<this> {
    await this.refuseUselessScaleOut();
    try {
      await this.loadTable();
      await this.loop.start();
    } catch (e) {
      this.releaseClaim();
      await this.tableSource?.stop().catch(() => undefined);
      throw e;
    }
    return this;
  }

  /** A join pipeline's table, read to the end of its topic before the worker takes partitions, then followed. */
  private async loadTable(): Promise<void> {
    if (!this.table || this.pipeline.kind !== 'join') return;
    const source = new TopicSource<unknown>({ topic: this.pipeline.join.tableTopic, from: 'earliest', tombstones: true, connection: this.options.connection });
    this.tableSource = source;
    this.table.attach(source);
    await source.start();
    await source.caughtUp({ timeoutMs: 600_000 });
  }

  /** The file by which a worker of this group on this embedded broker says it runs (see refuseUselessScaleOut). */
  private claim: string | undefined;

  private releaseClaim(): void {
    if (this.claim) fs.rmSync(this.claim, { force: true });
    this.claim = undefined;
  }

  /**
   * On the embedded broker a second member of a group never gets a partition (librdkafka's mock answers its
   * SyncGroup as malformed) while the first one drops half of them: refused in one line rather than pretending.
   */
  private async refuseUselessScaleOut(): Promise<void> {
    const admin = await TopicAdmin.connect(this.options.connection ?? {});
    try {
      this.onEmbeddedBroker = await admin.isMockCluster();
      if (!this.onEmbeddedBroker) return;
      // The mock may not describe groups; then the worker finds out after joining (see secondOnEmbeddedBroker).
      const members = await admin.groupMembers(this.group);
      if (members) throw this.secondOnEmbeddedBroker(`already has ${members} worker${members === 1 ? '' : 's'}`);
      // The embedded broker is a local process, so its workers are too: a claim file in the state directory tells a
      // second one at once, where the group's state alone is not certain to (the mock sometimes does give a second
      // member partitions, and takes them from the first).
      const file = path.join(stateDir(), 'workers', `${admin.settings.brokers.join(',').replace(/[^\w.-]+/g, '_')}~${encodeURIComponent(this.group)}.json`);
      const holder = readClaim(file);
      if (holder !== undefined && holder !== process.pid && isAlive(holder)) throw this.secondOnEmbeddedBroker('already has 1 worker');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, JSON.stringify({ pid: process.pid, group: this.group, since: new Date().toISOString() }));
      this.claim = file;
    } finally {
      await admin.disconnect();
    }
  }

  /** Whether the cluster is librdkafka's mock (known once started). */
  onEmbeddedBroker = false;

  /** The one line for a second worker of a group on the embedded broker. */
  secondOnEmbeddedBroker(what = 'has another worker'): StreamlabError {
    return new StreamlabError(
      `group '${this.group}' ${what} on the embedded broker, which cannot give a second one partitions (librdkafka's mock cluster fails its SyncGroup)`,
      'run one worker per pipeline on the embedded broker, or scale out on a real Kafka (`streamlab broker --kafka`)',
    );
  }

  metrics(): WorkerMetrics {
    const m = this.loop.metrics();
    let openWindows = 0;
    let lateRecords = 0;
    const held = new Set(m.partitions.map((p) => p.partition));
    let joined = 0;
    let unmatched = 0;
    for (const [partition, task] of this.tasks) {
      if (!held.has(partition)) continue;
      if (task instanceof JoinTask) {
        const j = task.metrics();
        joined += j.joined;
        unmatched += j.unmatched + j.noKey;
        continue;
      }
      const w = task.metrics();
      openWindows += w.openWindows;
      lateRecords += w.late;
    }
    const joins = this.table ? { joined, unmatched, tableKeys: this.table.size } : {};
    return { ...m, pipeline: this.pipeline.name, openWindows, windowsWritten: m.rowsOut, lateRecords, ...joins };
  }

  /** One line: partitions held, lag, records read, windows written and open, transactions. */
  statusLine(): string {
    const m = this.metrics();
    const partitions = m.partitions.map((p) => p.partition).join(',') || 'none yet';
    const problem = m.lastError ? ` · last error: ${m.lastError}` : '';
    if (m.joined !== undefined) {
      return (
        `${m.pipeline} [${m.groupId}] ${m.state}: partitions ${partitions} · lag ${formatCount(m.lag)} · read ${formatCount(m.recordsIn)} · ` +
        `joined ${formatCount(m.joined)}, without a table row ${formatCount(m.unmatched ?? 0)} · table ${formatCount(m.tableKeys ?? 0)} keys · written ${formatCount(m.rowsOut)} · ${formatCount(m.transactions)} transactions (${formatCount(m.failedTransactions)} failed) · ${m.rebalances} rebalances${problem}`
      );
    }
    return (
      `${m.pipeline} [${m.groupId}] ${m.state}: partitions ${partitions} · lag ${formatCount(m.lag)} · read ${formatCount(m.recordsIn)} · ` +
      `windows written ${formatCount(m.windowsWritten)}, open ${formatCount(m.openWindows)} · ${formatCount(m.transactions)} transactions (${formatCount(m.failedTransactions)} failed) · ${m.rebalances} rebalances${problem}`
    );
  }

  /** Leaves the group (the others take its partitions at once) after the batch in progress commits or aborts. */
  async stop(): Promise<void> {
    try {
      await this.loop.stop();
      await this.tableSource?.stop();
    } finally {
      this.releaseClaim();
    }
  }
}

function readClaim(file: string): number | undefined {
  try {
    const pid = (JSON.parse(fs.readFileSync(file, 'utf8')) as { pid?: unknown }).pid;
    return typeof pid === 'number' ? pid : undefined;
  } catch {
    return undefined;
  }
}
