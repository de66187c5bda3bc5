/** %peek: the newest records of a topic, once. */
import { LIBRARY, SESSION, call, lit, object, statement } from '../codegen';
import { defineMagic, option } from '../spec';
import { identifier, integer, topic } from '../values';
import { checkDecoding, decodingFields, decodingOptions } from './decoding';

export const peek = defineMagic({
  name: 'peek',
  summary: 'show the newest records of a topic as a table',
  description:
    'Reads the newest N records of TOPIC (by event time across partitions) into a DataFrame, without starting a ' +
    'stream. With --as the frame is bound to a variable; without, it is the line\'s value and shows as the cell\'s ' +
    'output when it is the last line.',
  positionals: [{ name: 'TOPIC', help: 'topic to read', required: true, value: topic() }],
  options: {
    count: option(integer('N', 1), 'how many records (default 20)', { alias: 'n' }),
    ...decodingOptions,
    as: option(identifier(LIBRARY), 'bind the DataFrame to this variable'),
  },
  examples: ['%peek sensors', '%peek sensors -n 5 --as recent', '%peek raw-lines --decoder csv --columns time,sensor,value'],
  validate: ({ options }) => checkDecoding(options),
  line({ positionals: [name], options: o }) {
    // The count is always written out: the options argument comes after it, and the expansion reads better.
    const args = [lit(name!), lit(o.count ?? 20), object(decodingFields(o))];
    return statement(`await ${call(`${SESSION}.peek`, args)}`, o.as);
  },
});
