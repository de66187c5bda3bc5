/** %detect: online anomaly detection per key on a stream or a topic, one detector per key, as a stream of its own. */
import { DETECTORS } from '../../../src';
import { LIBRARY, SESSION, lit, litIf, object } from '../codegen';
import { defineMagic, option } from '../spec';
import { choice, decimal, identifier, integer, text, topic } from '../values';
import { checkDecoding, decodingFields, decodingOptions } from './decoding';
import { startCode, startPosition } from './consume';

export const detect = defineMagic({
  name: 'detect',
  summary: 'detect anomalies online in a numeric field, one detector per key (a stream in %streams)',
  description:
    'Scores --y FIELD of every row of SOURCE (a running stream, window or join by name, or a TOPIC read by a ' +
    'consumer of its own, from --from, default latest) with an online detector, one per value of --by KEY (without ' +
    '--by, one for the whole stream), using only the rows before each. Rows gain score, isAnomaly (score >= the ' +
    'detector\'s threshold, or --threshold), reason (what fired, on a flagged row) and warmingUp (the key\'s detector ' +
    'is still learning). At most --max-keys detectors are held; the key seen least recently is dropped beyond it ' +
    '(counted; it warms up again if it comes back). Flagged rows go to --to TOPIC and to NAME.flagged(); rows ' +
    'without a numeric FIELD are counted and kept aside (NAME.setAsideRecords()). The result is a stream: %window, ' +
    '%plot and %produce take its name; %stop NAME ends it.',
  positionals: [{ name: 'SOURCE', help: 'a running stream, window or join by name, or a topic to read', required: true, value: text('SOURCE', 'stream') }],
  options: {
    y: option(text('FIELD'), 'the numeric field to score (a dotted path for nested values)', { required: true }),
    by: option(text('KEY'), 'one detector per value of this field (a dotted path allowed); default one for all rows'),
    detector: option(choice(Object.keys(DETECTORS)), `the detector (default ${Object.keys(DETECTORS)[0]})`),
    threshold: option(decimal('T'), "flag rows with score >= T instead of the detector's threshold"),
    quiet: option(integer('N', 0), "rows after a key's alert in which it does not alert again (default: the detector's own, one alert per incident)"),
    'max-keys': option(integer('N', 1), 'most keys (detectors) held; the least recently seen is dropped beyond (default 10000)'),
    to: option(topic(), 'write flagged rows to this topic'),
    keep: option(integer('N', 1), 'flagged rows kept for NAME.flagged() (default 1000)'),
    from: option(startPosition, 'for a TOPIC: where its consumer starts (default latest)'),
    ...decodingOptions,
    as: option(identifier(LIBRARY), 'bind the detector to this variable; also its name in %streams'),
  },
  examples: ['%detect sensors --y value --by sensor --as d', '%detect sensor-data --y value --by sensor --detector sensor --quiet 50 --as steady', '%detect readings --y reading.temp --by device.id --to anomalies --from earliest --as hot', '%detect sensors:1m --y mean_value --by sensor --threshold 0.6 --as windowed'],
  validate({ options: o }) {
    return checkDecoding(o);
  },
  line({ positionals: [source], options: o }) {
    const settings = object({
      y: lit(o.y!),
      by: litIf(o.by),
      detector: litIf(o.detector),
      threshold: litIf(o.threshold),
      maxKeys: litIf(o['max-keys']),
      quietRows: litIf(o.quiet),
      toTopic: litIf(o.to),
      name: litIf(o.as),
      keep: litIf(o.keep),
      consume: object({ from: o.from === undefined ? undefined : startCode(o.from), ...decodingFields(o) }),
    });
    const call = `await ${SESSION}.detect(${lit(source!)}, ${settings!})`;
    return o.as === undefined ? `void (${call});` : `const ${o.as} = ${call};`;
  },
});
