/**
 * Property tests of argument parsing, for the kernel's magics and the `streamlab` command: random token strings
 * (option names of the magic, near misses, values, quotes, backslashes, '=' forms, unicode) always give either an
 * expansion or a one-line usage error, never another kind of failure; completion and inspection at any cursor
 * never fail either.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MagicError, completeMagic, expandCell, expandCellForTooling, expandedOffset, inspectMagic, magicNames } from '../kernel/magics';
import { MAGICS } from '../kernel/magics/registry';
import { HelpRequested, parse } from '../cli/args';
import { StreamlabError } from '../src/errors';
import { parseStartText } from '../src/kafka';
import { checkProperty, fc } from './support/fuzz';

const optionNames = [...new Set(MAGICS.flatMap((m) => Object.keys(m.options)))];
const token = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...optionNames).map((o) => `--${o}`) },
  { weight: 1, arbitrary: fc.constantFrom(...optionNames).map((o) => `--${o}=`) },
  { weight: 1, arbitrary: fc.constantFrom('-n', '-x', '--', '-', '--explain', '--as=x', '--from=offset:3', '--constructor', '--__proto__', '--toString') },
  { weight: 3, arbitrary: fc.constantFrom('sensors', 'earliest', 'earliset', 'offset:5', 'time:2026-01-01T00:00:00Z', 'time:x', '10s', '1m/10s', 'mean(value),count', 'json', 'csv', 's', 'x,y', 'readings', 'all', '0', '-1', '1e3', 'NaN') },
  { weight: 2, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
  { weight: 1, arbitrary: fc.constantFrom('"', "'", '\\', '"a b"', "'c d'", '"unterminated', 'x\\', '`', '$(x)', '${x}', '\u200b', '🙂') },
);
const magicName = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...magicNames()) }, { weight: 1, arbitrary: fc.constantFrom('%consum', '%%consume', '%', '%%', '%help?', '%consume?', '%nope') });
const line = fc.tuple(magicName, fc.array(token, { maxLength: 10 }), fc.constantFrom(' ', '  ', '\t')).map(([name, tokens, sep]) => `${name}${tokens.length ? sep : ''}${tokens.join(sep)}`);
const cell = fc.tuple(line, fc.option(fc.constantFrom('rows', '[{ a: 1 }]', 'const x = 1', '', '%topics'), { nil: undefined })).map(([l, body]) => (body === undefined ? l : `${l}\n${body}`));

describe('magic arguments, on random token strings', () => {
  test('a cell expands, or fails with one MagicError line; never anything else', async () => {
    let errors = 0;
    await checkProperty(
      'magic parsing',
      fc.property(cell, (text) => {
        try {
          const x = expandCell(text);
          assert.equal(typeof x.code, 'string');
          // One magic line is one line of code: what TypeScript reports keeps the cell's line numbers.
          if (x.help === undefined) assert.equal(x.code.split('\n').length, text.split('\n').length);
        } catch (e) {
          errors++;
          assert.ok(e instanceof MagicError || e instanceof StreamlabError, `not a usage error: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
          assert.ok(!e.message.includes('\n') && e.message.length > 0 && e.message.length < 600, `one line: ${e.message}`);
        }
      }),
      3000,
    );
    assert.ok(errors > 0, 'the generator reaches errors');
  });

  test('completion, inspection, tooling expansion and offsets never fail, at any cursor', async () => {
    const ctx = { topics: async () => ['sensors', 'alerts'], streams: () => ['readings'] };
    await checkProperty(
      'magic tooling',
      fc.asyncProperty(cell, fc.nat(), async (text, at) => {
        const cursor = at % (text.length + 1);
        const completion = await completeMagic(text, cursor, ctx);
        if (completion) {
          assert.ok(Array.isArray(completion.matches));
          assert.ok(completion.cursorStart <= completion.cursorEnd && completion.cursorEnd <= text.length);
        }
        const help = inspectMagic(text, cursor);
        assert.ok(help === undefined || typeof help === 'string');
        const code = expandCellForTooling(text);
        const offset = expandedOffset(text, cursor);
        assert.ok(offset >= 0 && offset <= code.length, `offset ${offset} in ${code.length}`);
      }),
      1500,
    );
  });
});

describe('`streamlab` arguments and start positions, on random strings', () => {
  test('command-line parsing gives values or a one-line usage error', async () => {
    const options = { from: { type: 'string' as const }, count: { type: 'string' as const }, print: { type: 'boolean' as const }, topic: { type: 'string' as const, multiple: true } };
    await checkProperty(
      'cli parsing',
      fc.property(fc.array(fc.oneof(token, fc.constantFrom('--from', '--count', '--print', '--topic', '--print=1', '--fro')), { maxLength: 8 }), (argv) => {
        try {
          const { values, positionals } = parse(argv, options, 'streamlab x [--from P]');
          assert.ok(Array.isArray(positionals));
          assert.ok(values.print === undefined || typeof values.print === 'boolean');
        } catch (e) {
          // -h or --help among the options: main prints the command's usage and exits 0.
          if (e instanceof HelpRequested) return assert.equal(e.usage, 'streamlab x [--from P]');
          assert.ok(e instanceof StreamlabError, `not a usage error: ${String(e)}`);
          assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
          assert.match(e.message, /usage: streamlab x/);
        }
      }),
      2000,
    );
  });

  test('a start position reads back, or comes with a suggestion at most', async () => {
    await checkProperty(
      'start positions',
      fc.property(fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('earliest', 'erliest', 'latest', 'offset:12', 'ofset:12', 'time:2026-01-01', 'time:1767225600000', 'time:', 'offset:-1', 'tim:5', 'iE:', 'tme:', 'ofset:x')), (raw) => {
        const read = parseStartText(raw);
        if ('from' in read) {
          const f = read.from;
          assert.ok(typeof f === 'string' || 'offset' in f || 'timestamp' in f);
        } else if (read.guess !== undefined) {
          assert.ok('from' in parseStartText(read.guess), `the suggestion '${read.guess}' is itself valid`);
        }
      }),
      3000,
    );
  });
});
