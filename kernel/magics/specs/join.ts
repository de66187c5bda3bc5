/** %table and %join: tables of topics, streams or reference data, and joins with Kafka Streams' semantics. */
import { LIBRARY, SESSION, lit, litIf, object, statementThenShow } from '../codegen';
import { defineMagic, flag, option } from '../spec';
import { choice, identifier, integer, text } from '../values';
import { checkDecoding, decodingFields, decodingOptions } from './decoding';
import { startCode, startPosition } from './consume';
import { duration } from './window';

export const table = defineMagic({
  name: 'table',
  summary: 'a table: the latest value per key of a topic, a stream or a CSV file',
  description:
    'Holds the latest value of each key, as a Kafka Streams KTable does: of a TOPIC (read from its first record, ' +
    'complete before the cell ends, then following it; a compacted topic is the usual source), of a running ' +
    'stream, or of reference data in a CSV file. A record with a null value (a tombstone) deletes its key. ' +
    '--versioned keeps each key\'s history (--history) so a join looks keys up as of each record\'s event time. ' +
    'Bound to a variable (a KeyedTable: .get(key), .asOf(key, time), .toFrame()); %join finds it by name.',
  positionals: [{ name: 'TOPIC|STREAM|FILE.csv', help: 'a topic, a running stream by name, or a CSV file', required: true, value: text('SOURCE', 'stream') }],
  options: {
    as: option(identifier(LIBRARY), 'bind the table to this variable; also its name in %streams and %join', { required: true }),
    key: option(text('FIELD'), "where each row's key is: a value field (a dotted path) or @key, the record key (default; a CSV needs a column)"),
    versioned: flag("keep each key's history for joins as of event time (Kafka Streams' versioned table)"),
    history: option(duration('history'), 'with --versioned: how much event time of history to keep (default 1h)'),
    'max-keys': option(integer('N', 1), 'most keys held; new keys beyond are refused and counted (default 1000000)'),
    show: flag('show the table below the cell, the keys updated last first, refreshed about once a second'),
    from: option(startPosition, 'for a TOPIC: where its consumer starts (default earliest)'),
    ...decodingOptions,
  },
  examples: ['%table cards --key cardId --as cards', '%table card-profiles --versioned --history 1d --as profiles', '%table data/cards.csv --key cardId --show --as cards'],
  validate({ options: o }) {
    if (o.history !== undefined && !o.versioned) return '--history needs --versioned (a plain table keeps only the latest value)';
    return checkDecoding(o);
  },
  line({ positionals: [source], options: o }) {
    const settings = object({
      name: litIf(o.as),
      key: litIf(o.key),
      versioned: o.versioned ? `{ historyMs: ${o.history === undefined ? '3_600_000' : `${LIBRARY}.parseDuration(${lit(o.history)}, 'history')`} }` : undefined,
      maxKeys: litIf(o['max-keys']),
      consume: object({ from: o.from === undefined ? undefined : startCode(o.from), ...decodingFields(o) }),
    });
    return statementThenShow(`await ${SESSION}.table(${lit(source!)}${settings ? `, ${settings}` : ''})`, o.as, o.show);
  },
});

export const join = defineMagic({
  name: 'join',
  summary: 'join a stream with a table, two streams in event time, or two tables',
  description:
    'Joins LEFT and RIGHT by key with Kafka Streams\' semantics. A stream (a topic, or a running stream by name) ' +
    'with a table from %table: each record looks its key up once (as of its event time on a --versioned table, ' +
    'else as of arrival); --left-key FIELD reads a foreign key from the record (payment.cardId -> cards). Two ' +
    'streams: records whose times differ by at most --within (or --before/--after) join; --grace is required; ' +
    'left/outer joins emit a record without a partner when its window closes. Two tables: the result per key on ' +
    'every change. The result is a stream: %window, %plot, %score and %produce take its name. Records without a ' +
    'match, late records and records without a key are counted in %streams and kept aside (.setAside()).',
  positionals: [
    { name: 'LEFT', help: 'a stream, topic or table', required: true, value: text('LEFT', 'stream') },
    { name: 'RIGHT', help: 'a table, stream or topic', required: true, value: text('RIGHT', 'stream') },
  ],
  options: {
    as: option(identifier(LIBRARY), 'bind the join to this variable; also its name in %streams', { required: true }),
    kind: option(choice(['inner', 'left', 'outer'] as const), 'inner (default), left, or outer (two streams or two tables)'),
    on: option(text('FIELD'), 'the key field on both sides (a dotted path; default @key, the record key)'),
    'left-key': option(text('FIELD'), "the left side's key field, when the sides differ (a foreign key: cardId)"),
    'right-key': option(text('FIELD'), "the right stream's key field (two streams; a table's key is its own)"),
    within: option(duration('join window'), 'two streams: join records whose times differ by at most this'),
    before: option(duration('join window before', true), 'two streams: how much earlier a right record may be (0s: none)'),
    after: option(duration('join window after', true), 'two streams: how much later a right record may be (0s: none)'),
    grace: option(duration('grace'), 'two streams: how long after a window ends late records still join (required; 0s for none)'),
    'as-of': option(choice(['event-time', 'arrival'] as const), "stream-table: look keys up as of each record's event time (versioned tables' default) or of arrival"),
    'key-text': flag('compare keys as text (a number field against text keys)'),
    'max-records': option(integer('N', 1), 'two streams: most records held for joining; newer ones beyond are refused and counted (default 1000000)'),
    keep: option(integer('N', 1), 'results kept for what attaches later (%window, %plot of the join get them first; default 20000)'),
    show: flag('show the newest results as a table below the cell, refreshed about once a second'),
    from: option(startPosition, 'for a TOPIC side: where its consumer starts (default latest)'),
    ...decodingOptions,
  },
  examples: [
    '%join payments cards --left-key cardId --kind left --show --as enriched',
    '%join payments declines --on cardId --within 10m --grace 1m --kind left --as withDeclines',
    '%join orders shipments --within 1h --grace 5m --kind outer --from earliest --as tracked',
    '%join profiles limits --kind outer --as cardView',
  ],
  validate({ options: o }) {
    if (o.within !== undefined && (o.before !== undefined || o.after !== undefined)) return 'give --within, or --before and --after, not both';
    if ((o.before === undefined) !== (o.after === undefined)) return 'give both --before and --after (or --within)';
    if (o.on !== undefined && (o['left-key'] !== undefined || o['right-key'] !== undefined)) return 'give --on for both sides, or --left-key/--right-key, not both';
    return checkDecoding(o);
  },
  line({ positionals: [left, right], options: o }) {
    const settings = object({
      name: litIf(o.as),
      kind: litIf(o.kind),
      on: litIf(o.on),
      leftKey: litIf(o['left-key']),
      rightKey: litIf(o['right-key']),
      within: litIf(o.within),
      before: litIf(o.before),
      after: litIf(o.after),
      grace: litIf(o.grace),
      asOf: litIf(o['as-of']),
      keyText: o['key-text'] ? 'true' : undefined,
      maxRecords: litIf(o['max-records']),
      keep: litIf(o.keep),
      consume: object({ from: o.from === undefined ? undefined : startCode(o.from), ...decodingFields(o) }),
    });
    // A window makes it a stream-stream join (the session refuses one otherwise), so the variable gets that type.
    const windowed = o.within !== undefined || o.before !== undefined;
    const call = `await ${SESSION}.join(${lit(left!)}, ${lit(right!)}${settings ? `, ${settings}` : ''})`;
    return statementThenShow(windowed ? `(${call}) as ${LIBRARY}.StreamStreamJoin` : call, o.as, o.show);
  },
});
