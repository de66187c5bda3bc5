/** %window: aggregate a running stream in event-time windows, bound to a variable. */
import { StreamlabError, parseDuration, parseAggregates } from '../../../src';
import { LIBRARY, SESSION, lit, litIf, object, statementThenShow } from '../codegen';
import { ValueType, defineMagic, flag, option } from '../spec';
import { ValueError, choice, commaList, identifier, integer, text } from '../values';
import { checkDecoding, decodingFields, decodingOptions } from './decoding';
import { startCode, startPosition } from './consume';

/** A duration checked with the engine's own parser, so a typo fails when the magic is read, not when it runs. */
export function duration(what: string, allowZero = what === 'grace'): ValueType<string> {
  return {
    metavar: 'DURATION',
    parse(raw) {
      try {
        if (parseDuration(raw, what) === 0 && !allowZero) throw new ValueError('must be longer than 0');
      } catch (e) {
        if (e instanceof StreamlabError) throw new ValueError("use a duration like 500ms, 10s, 1m or 2h");
        throw e;
      }
      return raw;
    },
  };
}

/** A duration, or off for no bound. */
const futureLimit: ValueType<string> = {
  metavar: 'DURATION|off',
  parse(raw) {
    return raw === 'off' ? raw : duration('future limit').parse(raw);
  },
};

const hop: ValueType<[string, string]> = {
  metavar: 'SIZE/ADVANCE',
  parse(raw) {
    const [size, advance, extra] = raw.split('/');
    if (!size || !advance || extra !== undefined) throw new ValueError('write the window size and its advance as SIZE/ADVANCE, e.g. 1m/10s');
    return [duration('hopping size').parse(size), duration('hopping advance').parse(advance)];
  },
};

const aggregates: ValueType<string[]> = {
  metavar: 'AGG,...',
  parse(raw) {
    const items = commaList('AGG,...').parse(raw);
    try {
      parseAggregates(items);
    } catch (e) {
      if (e instanceof StreamlabError) throw new ValueError(e.message);
      throw e;
    }
    return items;
  },
};

const KINDS = ['tumbling', 'hopping', 'sliding', 'session'] as const;

export const window = defineMagic({
  name: 'window',
  summary: 'aggregate a running stream in tumbling, hopping, sliding or session windows',
  description:
    'Windows a running stream (a name from %streams: from its next records on) or a TOPIC (read by a consumer ' +
    'of its own, from --from, default latest) on event time and aggregates each window, grouped by the --by ' +
    'fields. Give one window kind. The result is bound to a variable (a WindowedStream): .closed() ' +
    'and .open() are DataFrames, .subscribe() and .microBatches() hand windows on. Late records (past --grace) ' +
    'and non-numeric values are counted and kept aside, never dropped silently. %stop NAME detaches it.',
  positionals: [{ name: 'STREAM|TOPIC', help: 'a running stream by name, or a topic to read', required: true, value: text('STREAM', 'stream') }],
  options: {
    as: option(identifier(LIBRARY), 'bind the windowed stream to this variable; also its name in %streams', { required: true }),
    tumbling: option(duration('tumbling size'), 'tumbling windows of this size'),
    hopping: option(hop, 'hopping windows: SIZE/ADVANCE'),
    sliding: option(duration('sliding size'), 'sliding windows (Kafka Streams SlidingWindows) of this time difference'),
    session: option(duration('session gap'), 'session windows that close after this much inactivity'),
    by: option(commaList('FIELD,...'), 'group by these value fields'),
    agg: option(aggregates, 'aggregates, e.g. mean(value),max(value),p99(value),count (default count)'),
    time: option(text('FIELD'), "event time: a value field, or 'processing' for arrival time (default: the stream's event time)"),
    grace: option(duration('grace'), "how far behind its partition's newest event time a record may be and still count (default 0)"),
    'idle-timeout': option(duration('idle timeout'), 'how long a caught-up partition still holds windows open for its next records (default 0: at once)'),
    emit: option(choice(['final', 'update'] as const), 'final: each window once, when it closes (default); update: every change, throttled'),
    retain: option(integer('N', 1), 'closed windows kept for .closed() (default 10000)'),
    show: flag('show the newest closed windows as a table below the cell, refreshed about once a second (same as .show())'),
    'max-keys': option(integer('N', 1), 'most keys held at once; records of new keys beyond are set aside and counted (default 100000)'),
    'future-limit': option(futureLimit, 'how far ahead of the clock and the stream an event time may be; later records are set aside (default 1d; off: no bound)'),
    from: option(startPosition, 'for a TOPIC: where its consumer starts (default latest)'),
    ...decodingOptions,
  },
  examples: [
    '%window readings --tumbling 10s --by sensor --agg mean(value),max(value),count --as perSensor',
    '%window readings --hopping 1m/10s --agg p50(value),p99(value) --grace 5s --as latency',
    '%window sensors --from earliest --time-field time --tumbling 10s --by sensor --agg mean(value) --as history',
    '%window clicks --session 30m --by user --agg count,distinct(page) --as visits',
  ],
  validate({ options: o }) {
    const given = KINDS.filter((k) => o[k] !== undefined);
    if (given.length !== 1) return `give exactly one window kind: --${KINDS.join(', --')}`;
    return checkDecoding(o);
  },
  line({ positionals: [stream], options: o }) {
    const kind =
      o.tumbling !== undefined
        ? `${LIBRARY}.tumbling(${lit(o.tumbling)})`
        : o.hopping !== undefined
          ? `${LIBRARY}.hopping(${lit(o.hopping[0])}, ${lit(o.hopping[1])})`
          : o.sliding !== undefined
            ? `${LIBRARY}.sliding(${lit(o.sliding)})`
            : `${LIBRARY}.sessionWindow(${lit(o.session!)})`;
    const settings = object({
      name: litIf(o.as),
      window: kind,
      keyBy: litIf(o.by),
      aggregates: litIf(o.agg),
      time: litIf(o.time),
      grace: litIf(o.grace),
      idleTimeout: litIf(o['idle-timeout']),
      emit: litIf(o.emit),
      retain: o.retain === undefined ? undefined : `{ windows: ${lit(o.retain)} }`,
      maxKeys: litIf(o['max-keys']),
      futureLimit: o['future-limit'] === undefined ? undefined : o['future-limit'] === 'off' ? 'false' : lit(o['future-limit']),
      consume: object({ from: o.from === undefined ? undefined : startCode(o.from), ...decodingFields(o) }),
    })!;
    return statementThenShow(`await ${SESSION}.window(${lit(stream!)}, ${settings})`, o.as, o.show);
  },
});
