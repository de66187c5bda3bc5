/**
 * kafkajs logs to the console by default, which floods notebooks (every reconnect is an ERROR line). Its log
 * goes here instead: a bounded ring users can read (`clientLog.entries()`), echoed to stderr only at or above
 * STREAMLAB_LOG (error|warn|info|debug; default: nothing). Every entry is redacted before it is stored.
 */
import { logLevel, LogEntry, logCreator } from 'kafkajs';
import { redact, Secret } from './secret';
import { RingBuffer } from '../util/ringBuffer';

export interface ClientLogEntry {
  time: string;
  level: 'error' | 'warn' | 'info' | 'debug';
  namespace: string;
  message: string;
}

const LEVEL_NAMES: Record<number, ClientLogEntry['level']> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

const ring = new RingBuffer<ClientLogEntry>(500);

export const clientLog = {
  entries(): ClientLogEntry[] {
    return ring.toArray();
  },
  clear(): void {
    ring.clear();
  },
};

function echoLevel(): number {
  const name = (process.env.STREAMLAB_LOG ?? '').toLowerCase();
  const entry = Object.entries(LEVEL_NAMES).find(([, n]) => n === name);
  return entry ? Number(entry[0]) : logLevel.NOTHING;
}

/** A kafkajs logCreator bound to the secrets of one connection. */
export function redactingLogCreator(secrets: Secret[]): logCreator {
  const echo = echoLevel();
  return () => ({ namespace, level, log }: LogEntry) => {
    const { message, timestamp, ...extra } = log;
    const detail = Object.keys(extra).length ? ' ' + safeJson(extra) : '';
    const entry: ClientLogEntry = {
      time: timestamp,
      level: LEVEL_NAMES[level] ?? 'debug',
      namespace,
      message: redact(`${message}${detail}`, secrets),
    };
    ring.push(entry);
    if (level <= echo) process.stderr.write(`[kafka ${entry.level}] ${namespace}: ${entry.message}\n`);
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (key, v: unknown) => (key === 'stack' ? undefined : v));
  } catch {
    return '';
  }
}
