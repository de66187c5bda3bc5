/**
 * Where a running broker records itself, so kernels and the CLI find it with no configuration: broker discovery.
 */
import fs from 'node:fs';
import path from 'node:path';
import { StreamlabError } from '../errors';
import { stateDir } from './stateDir';

export interface BrokerState {
  bootstrapServers: string;
  /** The embedded broker's control API; empty for a real Kafka, which creates topics itself. */
  controlUrl: string;
  pid: number;
  startedAt: string;
  /** 'embedded' (librdkafka's mock, the default when absent) or 'kafka' (`streamlab broker --kafka`). */
  kind?: 'embedded' | 'kafka';
  kafkaVersion?: string;
  /** TLS on the client listener: the CA certificate that signed the brokers' certificates. */
  caFile?: string;
  /** SASL on the client listener; the password is in passwordFile (mode 600), never in this file. */
  sasl?: { mechanism: string; username: string; passwordFile: string };
  /**
   * A Schema Registry started beside the broker (`--registry`): the base URL of its Confluent-compatible API, as
   * Confluent clients take it (http://127.0.0.1:PORT/apis/ccompat/v7). Absent in records of brokers without one.
   */
  schemaRegistryUrl?: string;
}

export function brokerStatePath(): string {
  return path.join(stateDir(), 'broker.json');
}

export function writeBrokerState(state: BrokerState, file = brokerStatePath()): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

/**
 * Records `state` as THE broker of this state directory, unless another live broker is recorded there: then it
 * throws one line naming that broker, and the file is left alone. Two brokers cannot share one record (clients
 * would find only one of them, and the second's exit would delete the record of the first), so the second is
 * refused, as a second server on a taken port would be; another STREAMLAB_STATE_DIR gives it a record of its own.
 * The create is atomic (a hard link fails if the file exists), so two brokers starting together cannot both win.
 */
export function claimBrokerState(state: BrokerState, file = brokerStatePath()): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n');
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        fs.linkSync(tmp, file);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
      }
      const other = readBrokerState(file);
      if (other && other.pid !== state.pid) throw alreadyRunning(other, file);
      // A stale record (its process is gone) or our own: replace it.
      fs.rmSync(file, { force: true });
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Throws the one-line refusal when a live broker other than this process is recorded. */
export function checkNoOtherBroker(file = brokerStatePath()): void {
  const other = readBrokerState(file);
  if (other && other.pid !== process.pid) throw alreadyRunning(other, file);
}

function alreadyRunning(other: BrokerState, file: string): StreamlabError {
  return new StreamlabError(
    `a streamlab broker is already running (pid ${other.pid}, ${other.bootstrapServers}, recorded in ${file})`,
    'use it (clients find it by themselves), stop it first, or set STREAMLAB_STATE_DIR to another directory for a second one',
  );
}

/** The recorded broker, or undefined when none is recorded or its process is gone (a stale file). */
export function readBrokerState(file = brokerStatePath()): BrokerState | undefined {
  let state: BrokerState;
  try {
    state = JSON.parse(fs.readFileSync(file, 'utf8')) as BrokerState;
  } catch {
    return undefined;
  }
  if (typeof state.bootstrapServers !== 'string' || !isAlive(state.pid)) return undefined;
  return state;
}

/** Removes the file only if it still describes this process, so a second broker's file is never deleted. */
export function removeBrokerState(pid = process.pid, file = brokerStatePath()): void {
  try {
    const state = JSON.parse(fs.readFileSync(file, 'utf8')) as BrokerState;
    if (state.pid === pid) fs.unlinkSync(file);
  } catch {
    // already gone
  }
}

/** Whether a process with this pid runs (EPERM: it does, as another user's). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
