/** %produce and %%produce: write rows, a DataFrame or a running stream to a topic. */
import { CellExpansion, MagicArgs, ValueType, defineMagic, flag, option } from '../spec';
import { SESSION, lit, litIf, object } from '../codegen';
import { CodeScanner } from '../lex';
import { ValueError, choice, integer, text, topic } from '../values';
import { COMPRESSIONS } from '../../../src';

/**
 * --from is TypeScript by design (a variable or a short expression), like the cell form's body. It must be one
 * balanced expression so that it cannot close the call it is put into.
 */
const expression: ValueType<string> = {
  metavar: 'EXPR',
  parse(raw) {
    const scanner = new CodeScanner();
    scanner.scanLine(raw);
    if (raw.trim() === '' || !scanner.inCode || scanner.depth !== 0 || scanner.minDepth < 0 || scanner.topLevelSemicolon || scanner.unterminatedString) {
      throw new ValueError('must be one TypeScript expression (a variable, or brackets and quotes balanced)');
    }
    return raw;
  },
};

const options = {
  from: option(expression, 'rows, a DataFrame or a running stream: a variable or expression', { form: 'line', required: true }),
  key: option(text('FIELD'), 'field whose value becomes the record key'),
  'time-field': option(text('FIELD'), 'field (epoch ms or ISO-8601) that becomes the record timestamp (default now)'),
  create: flag('create the topic when it is missing'),
  partitions: option(integer('N', 1), 'partitions of a created topic (implies --create)'),
  format: option(choice(['avro', 'protobuf', 'jsonschema'] as const), 'write values in the Schema Registry wire format (default JSON)'),
  schema: option(expression, 'the schema of --format: a variable or expression (Avro JSON, .proto text, JSON Schema); registered under --subject'),
  subject: option(text('SUBJECT'), 'registry subject (default TOPIC-value); without --schema its latest version is used'),
  compression: option(choice(COMPRESSIONS), 'codec of the batches written (default none)'),
};

function around({ positionals: [name], options: o }: MagicArgs<typeof options>): CellExpansion {
  const create = o.partitions !== undefined ? `{ partitions: ${lit(o.partitions)} }` : o.create ? 'true' : undefined;
  const value = o.format === undefined ? undefined : object({ format: lit(o.format), schema: o.schema, subject: litIf(o.subject) });
  const settings = object({ keyField: litIf(o.key), timeField: litIf(o['time-field']), createTopic: create, value, compression: litIf(o.compression) });
  return { open: `await ${SESSION}.produce(${lit(name!)}, (`, close: `)${settings ? `, ${settings}` : ''});` };
}

export const produce = defineMagic({
  name: 'produce',
  summary: 'write rows, a DataFrame or a running stream to a topic',
  description:
    'Writes every row of an array or DataFrame to TOPIC as JSON records, once; or, given a running stream, ' +
    'forwards each of its records from now on (until %stop). The data comes from --from in the line form, from ' +
    'the cell body in the %%produce form.',
  positionals: [{ name: 'TOPIC', help: 'topic to write', required: true, value: topic() }],
  options,
  examples: [
    '%produce alerts --from anomalies --key sensor --create',
    '%produce sensors-copy --from readings',
    '%produce readings-avro --from readings --format avro --schema readingSchema --compression zstd',
    '%%produce alerts --key sensor\n[{ sensor: "s1", level: 3 }, { sensor: "s2", level: 1 }]',
  ],
  validate({ options: o }) {
    if ((o.schema !== undefined || o.subject !== undefined) && o.format === undefined) return '--schema and --subject need --format (avro, protobuf or jsonschema)';
    return undefined;
  },
  line(args) {
    const { open, close } = around(args);
    return `${open}${args.options.from}${close}`;
  },
  cell: { body: 'a TypeScript expression giving rows, a DataFrame or a running stream', expand: around },
});
