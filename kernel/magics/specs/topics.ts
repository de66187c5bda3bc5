/** %topics and %streams: what is on the cluster, and what this notebook is running. */
import { SESSION, statement } from '../codegen';
import { defineMagic } from '../spec';

export const topics = defineMagic({
  name: 'topics',
  summary: 'list the topics of the cluster: partitions, messages and offsets',
  description: 'Shows one row per topic of the connected cluster (connecting with defaults first if needed).',
  positionals: [],
  options: {},
  examples: ['%topics'],
  line: () => statement(`await ${SESSION}.topics()`),
});

export const streams = defineMagic({
  name: 'streams',
  summary: 'list the streams this notebook started: state, records, rate, lag, errors',
  description: 'Shows the running (and ended, until stopped) streams of the session, consumers and forwards alike.',
  positionals: [],
  options: {},
  examples: ['%streams'],
  line: () => statement(`${SESSION}.streamsFrame()`),
});
