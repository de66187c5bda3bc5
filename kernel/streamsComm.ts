/**
 * The comm target `streamlab.streams`, through which the JupyterLab extension lists, watches and stops the
 * session's streams. Requests: {request: 'list'} | {request: 'watch', intervalMs} | {request: 'unwatch'} |
 * {request: 'topics'} | {request: 'stop' | 'pause' | 'resume', name}. Every answer carries the streams as they are
 * now (the message types are in protocol/messages.ts, shared with the extension).
 */
import { Session } from '../src';
import { CommManager, Comm, CommData } from './comms';

import { STREAMS_COMM_TARGET, type TopicRow } from '../protocol/messages';

export const STREAMS_TARGET = STREAMS_COMM_TARGET;
const MIN_WATCH_MS = 250;

export function registerStreamsComm(comms: CommManager, session: Session): void {
  comms.registerTarget(STREAMS_TARGET, (comm) => {
    let watch: NodeJS.Timeout | undefined;
    const stopWatching = () => {
      clearInterval(watch);
      watch = undefined;
    };
    const snapshot = (extra: CommData = {}) => comm.send({ ...extra, streams: session.streams() });
    comm.onClose(stopWatching);
    comm.onMessage((data) => void handle(comm, session, data, snapshot, (ms) => {
      stopWatching();
      if (ms === undefined) return;
      watch = setInterval(() => snapshot({ event: 'tick' }), Math.max(MIN_WATCH_MS, ms));
      watch.unref();
    }));
    snapshot({ event: 'open' });
  });
}

async function handle(
  comm: Comm,
  session: Session,
  data: CommData,
  snapshot: (extra?: CommData) => void,
  setWatch: (ms: number | undefined) => void,
): Promise<void> {
  const request = String(data.request ?? '');
  try {
    switch (request) {
      case 'list':
        return snapshot({ reply: request });
      case 'watch':
        setWatch(Number(data.intervalMs ?? 1000));
        return snapshot({ reply: request });
      case 'unwatch':
        setWatch(undefined);
        return snapshot({ reply: request });
      case 'topics':
        return snapshot({ reply: request, connected: session.connected, topics: (await session.topicSummaries({ ifConnected: true })).map(topicRow) });
      case 'stop':
      case 'pause':
      case 'resume': {
        const names = await session[request](String(data.name ?? 'all'));
        return snapshot({ reply: request, names });
      }
      default:
        comm.send({ reply: request, error: `unknown request '${request}': use list, watch, unwatch, topics, stop, pause or resume` });
    }
  } catch (e) {
    comm.send({ reply: request, error: (e as Error).message });
  }
}

/** A topic as the panel lists it (protocol/messages.ts TopicRow). */
function topicRow(t: Awaited<ReturnType<Session['topicSummaries']>>[number]): TopicRow {
  return {
    topic: t.topic,
    partitions: t.partitions,
    messages: t.messages,
    offsets: t.offsets,
    ...(t.format ? { format: t.format.format } : {}),
    ...(t.format?.subject ? { subject: t.format.subject } : {}),
    ...(t.format?.note ? { formatNote: t.format.note } : {}),
  };
}
