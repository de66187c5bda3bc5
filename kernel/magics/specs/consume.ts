/** %consume: start a background stream on a topic, optionally bound to a variable. */
import { START_POSITION_FORMS, StartFrom, parseStartText } from '../../../src';
import { LIBRARY, SESSION, lit, litIf, object, statementThenShow } from '../codegen';
import { ValueType, defineMagic, flag, option } from '../spec';
import { ValueError, identifier, integer, text, topic } from '../values';
import { checkDecoding, decodingFields, decodingOptions, valueTypeOf } from './decoding';

const POSITION_HINT = `use ${START_POSITION_FORMS}`;

export const startPosition: ValueType<StartFrom> = {
  metavar: 'POSITION',
  choices: ['earliest', 'latest', 'committed'],
  parse(raw) {
    // The library's own reading of the CLI form, so the magic, the CLI and the library agree on what is valid.
    const read = parseStartText(raw);
    if ('from' in read) return read.from;
    throw new ValueError(`${POSITION_HINT}${read.guess ? ` (did you mean ${read.guess}?)` : ''}`);
  },
};

export function startCode(from: StartFrom): string {
  if (typeof from === 'string') return lit(from);
  if ('offset' in from) return `{ offset: ${lit(from.offset as number)} }`;
  return `{ timestamp: ${lit(from.timestamp as string | number)} }`;
}

export const consume = defineMagic({
  name: 'consume',
  summary: 'start a background stream on a topic (bound to a variable with --as)',
  description:
    'Starts reading TOPIC in the background and registers the stream with the session under NAME (default: the ' +
    'topic). With --as the stream is bound to a typed variable (a TopicSource) usable in later cells; without, it ' +
    'is still running and reachable as streamlab.session.stream("NAME"). %stop ends it.',
  positionals: [{ name: 'TOPIC', help: 'topic to read', required: true, value: topic() }],
  options: {
    as: option(identifier(LIBRARY), 'bind the stream to this variable; also the stream\'s name in %streams'),
    from: option(startPosition, `where to start (default latest): ${POSITION_HINT.replace(/^use /, '')}`),
    ...decodingOptions,
    group: option(text('ID'), 'join this consumer group instead of a private one'),
    commit: flag('commit consumed offsets to the group (needs --group)'),
    recent: option(integer('N', 1), 'how many recent records the stream keeps for latest(n) (default 1000)'),
    show: flag('show the newest records as a table below the cell, refreshed about once a second (same as .show())'),
  },
  examples: [
    '%consume sensors --as readings --from earliest',
    '%consume sensors --as readings --from time:2026-01-01T00:00:00Z --time-field time',
    '%consume orders --group billing --from committed --commit',
  ],
  validate({ options: o }) {
    if (o.commit && o.group === undefined) return '--commit needs --group (offsets are committed to a named group)';
    return checkDecoding(o);
  },
  line({ positionals: [name], options: o }) {
    const settings = object({
      topic: lit(name!),
      name: litIf(o.as),
      from: o.from === undefined ? undefined : startCode(o.from),
      ...decodingFields(o),
      groupId: litIf(o.group),
      commit: o.commit && 'true',
      recentCapacity: litIf(o.recent),
    })!;
    // string and number decoders need the type argument: TypeScript cannot infer it from the decoder's name.
    const type = valueTypeOf(o.decoder);
    return statementThenShow(`await ${SESSION}.consume${type ? `<${type}>` : ''}(${settings})`, o.as, o.show);
  },
});
