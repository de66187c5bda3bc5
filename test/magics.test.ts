/**
 * The kernel's magics: expansion, errors, help, --explain, completion, inspection and offsets, tested through the
 * module's contract. Expansions are also type-checked against the real library with tslab's converter, the part
 * of the kernel's executor that compiles a cell, so a wrong method or option name in a spec fails here.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import ts from 'typescript';
import { createConverter, Converter } from 'tslab/dist/converter';
import { createExecutor, Executor } from 'tslab/dist/executor';
import {
  LIBRARY,
  MagicError,
  completeMagic,
  expandCell,
  expandCellForTooling,
  expandedOffset,
  inspectMagic,
  isMagicCell,
  magicNames,
} from '../kernel/magics';
import { Secret } from '../src/kafka/secret';
import { StreamlabError } from '../src/errors';
import { DETECTORS } from '../src';

const LIBRARY_PATH = path.resolve(__dirname, '..', 'src', 'index');
const PRELUDE = `import * as ${LIBRARY} from ${JSON.stringify(LIBRARY_PATH)};`;

const USAGE = {
  connect:
    '%connect [BROKERS] [--client-id ID] [--ssl] [--ssl-ca FILE] [--sasl-mechanism plain|scram-sha-256|scram-sha-512] [--sasl-username USER] [--sasl-password-env VAR] [--config FILE]',
  peek: '%peek TOPIC [-n N] [--decoder json|string|number|csv|bytes|avro|protobuf|jsonschema|auto] [--columns A,B] [--time-field FIELD] [--time-unit s|ms|us|ns] [--key-decoder string|bytes|avro|protobuf|jsonschema|auto] [--as NAME]',
  // Past 240 characters an error quotes only the required parts (kernel/magics/usage.ts).
  consume: '%consume TOPIC [OPTIONS] (%consume? lists every option)',
  consumeHelp:
    '%consume TOPIC [--as NAME] [--from POSITION] [--decoder json|string|number|csv|bytes|avro|protobuf|jsonschema|auto] [--columns A,B] [--time-field FIELD] [--time-unit s|ms|us|ns] [--key-decoder string|bytes|avro|protobuf|jsonschema|auto] [--group ID] [--commit] [--recent N] [--show]',
  produce: '%produce TOPIC --from EXPR [--key FIELD] [--time-field FIELD] [--create] [--partitions N] [--format avro|protobuf|jsonschema] [--schema EXPR] [--subject SUBJECT] [--compression none|gzip|snappy|lz4|zstd]',
  produceCellHelp:
    '%%produce TOPIC [--key FIELD] [--time-field FIELD] [--create] [--partitions N] [--format avro|protobuf|jsonschema] [--schema EXPR] [--subject SUBJECT] [--compression none|gzip|snappy|lz4|zstd] + body: a TypeScript expression giving rows, a DataFrame or a running stream',
  produceCell: '%%produce TOPIC [OPTIONS] + body: a TypeScript expression giving rows, a DataFrame or a running stream (%%produce? lists every option)',
  stop: '%stop NAME|all',
  help: '%help [NAME]',
};

/**
 * Cells type-checked the way the kernel's executor compiles them, without running them (there is no broker here):
 * converter.convert(previous declarations, cell) gives the diagnostics, and on success its declaration output is
 * what later cells see, exactly as executor.execute() chains them after a cell ran. So a `const readings` bound by
 * a magic gets the type TypeScript infers for the real expansion, not a type written in this test.
 */
class TypeChecker {
  private readonly converter: Converter = createConverter({ isJS: false, isBrowser: false });
  private declarations = '';

  check(code: string): string[] {
    const result = this.converter.convert(this.declarations, code);
    if (result.diagnostics.length > 0) return result.diagnostics.map((d) => `${d.start.line + 1}:${d.start.character + 1} - ${d.messageText}`);
    this.declarations = result.declOutput ?? '';
    return [];
  }

  close(): void {
    this.converter.close();
  }
}

function expectError(cell: string, message: string): void {
  assert.throws(
    () => expandCell(cell),
    (e: unknown) => {
      assert.ok(e instanceof MagicError, `expected a MagicError, got ${String(e)}`);
      assert.ok(!e.message.includes('\n'), 'the message is one line');
      assert.equal(e.message, message);
      return true;
    },
  );
}

let checker: TypeChecker;
before(() => {
  checker = new TypeChecker();
  assert.deepEqual(checker.check(PRELUDE), []);
});
after(() => checker.close());

describe('expansion', () => {
  // Each cell, the TypeScript it must expand to (written by hand), checked in order in one notebook-like chain.
  const cases: [string, string][] = [
    ['%connect', 'await streamlab.session.connect();'],
    ['%connect localhost:9092', 'await streamlab.session.connect({ brokers: ["localhost:9092"] });'],
    ['%connect --ssl --client-id nb', 'await streamlab.session.connect({ clientId: "nb", ssl: true });'],
    [
      '%connect k1:9093,k2:9093 --ssl-ca ca.pem --sasl-mechanism scram-sha-512 --sasl-username analyst --sasl-password-env KAFKA_PW --config cfg.json',
      'await streamlab.session.connect({ brokers: ["k1:9093", "k2:9093"], ssl: { caFile: "ca.pem" }, sasl: { mechanism: "scram-sha-512", username: "analyst", password: streamlab.Secret.fromEnv("KAFKA_PW") }, configFile: "cfg.json" });',
    ],
    [
      '%connect --sasl-username=u --sasl-password-env=PW',
      'await streamlab.session.connect({ sasl: { mechanism: "plain", username: "u", password: streamlab.Secret.fromEnv("PW") } });',
    ],
    ['%topics', 'await streamlab.session.topics();'],
    ['%peek sensors', 'await streamlab.session.peek("sensors", 20);'],
    [
      "%peek raw.lines -n 5 --decoder csv --columns 'time, sensor,value' --time-field time --as recent",
      'const recent = await streamlab.session.peek("raw.lines", 5, { decoder: "csv", columns: ["time", "sensor", "value"], timeField: "time" });',
    ],
    [
      '%consume sensors --as readings --from earliest',
      'const readings = await streamlab.session.consume({ topic: "sensors", name: "readings", from: "earliest" });',
    ],
    ['%consume sensors', 'await streamlab.session.consume({ topic: "sensors" });'],
    [
      '%consume logs --as lines --decoder string --from time:2026-01-01T00:00:00Z --group g1 --commit --recent 500',
      'const lines = await streamlab.session.consume<string>({ topic: "logs", name: "lines", from: { timestamp: "2026-01-01T00:00:00Z" }, decoder: "string", groupId: "g1", commit: true, recentCapacity: 500 });',
    ],
    [
      '%consume levels --as levels --decoder number --from offset:42',
      'const levels = await streamlab.session.consume<number>({ topic: "levels", name: "levels", from: { offset: 42 }, decoder: "number" });',
    ],
    [
      '%consume raw --from time:1767225600000 --decoder csv --columns a,b --time-field a --group g',
      'await streamlab.session.consume({ topic: "raw", from: { timestamp: 1767225600000 }, decoder: "csv", columns: ["a", "b"], timeField: "a", groupId: "g" });',
    ],
    ['%consume orders --from committed --group billing', 'await streamlab.session.consume({ topic: "orders", from: "committed", groupId: "billing" });'],
    [
      'const rows = [{ sensor: "s1", level: 3 }];\n%produce alerts --from rows --key sensor --time-field at --partitions 3',
      'const rows = [{ sensor: "s1", level: 3 }];\nawait streamlab.session.produce("alerts", (rows), { keyField: "sensor", timeField: "at", createTopic: { partitions: 3 } });',
    ],
    ['%produce copy --from readings --create', 'await streamlab.session.produce("copy", (readings), { createTopic: true });'],
    ['%produce copy --from "rows.filter((r) => r.level > 1)"', 'await streamlab.session.produce("copy", (rows.filter((r) => r.level > 1)));'],
    [
      '%%produce alerts --key sensor\n[\n  { sensor: "s1", level: 3 },\n]',
      'await streamlab.session.produce("alerts", (\n[\n  { sensor: "s1", level: 3 },\n]), { keyField: "sensor" });',
    ],
    [
      '%window readings --tumbling 10s --by sensor --agg mean(value),max(value),count --as perSensor',
      'const perSensor = await streamlab.session.window("readings", { name: "perSensor", window: streamlab.tumbling("10s"), keyBy: ["sensor"], aggregates: ["mean(value)", "max(value)", "count"] });',
    ],
    [
      '%window sensors --hopping 1m/10s --agg p50(value),p99(value) --grace 5s --emit update --retain 500 --from earliest --time-field time --as latency',
      'const latency = await streamlab.session.window("sensors", { name: "latency", window: streamlab.hopping("1m", "10s"), aggregates: ["p50(value)", "p99(value)"], grace: "5s", emit: "update", retain: { windows: 500 }, consume: { from: "earliest", timeField: "time" } });',
    ],
    [
      '%window clicks --session 30m --by user,site --time processing --as visits',
      'const visits = await streamlab.session.window("clicks", { name: "visits", window: streamlab.sessionWindow("30m"), keyBy: ["user", "site"], time: "processing" });',
    ],
    ['%window readings --sliding 30s --as slide', 'const slide = await streamlab.session.window("readings", { name: "slide", window: streamlab.sliding("30s") });'],
    [
      '%plot readings --y value --by sensor --mark anomaly --last 2m --title "live readings" --as live',
      'const live = await streamlab.session.plot("readings", { name: "live", y: ["value"], by: ["sensor"], last: "2m", mark: "anomaly", title: "live readings" });',
    ],
    ['%plot perSensor', 'void (await streamlab.session.plot("perSensor"));'],
    [
      '%plot sensors --kind hist --y value --points 5000 --from earliest --time-field time --as spread',
      'const spread = await streamlab.session.plot("sensors", { name: "spread", kind: "hist", y: ["value"], points: 5000, consume: { from: "earliest", timeField: "time" } });',
    ],
    [
      '%train sensors --columns value --lags 4 --deltas --epochs 30 --percentile 99.5 --save models/s --as det',
      'const det = await streamlab.session.train("sensors", { name: "det", kind: "autoencoder", spec: { columns: ["value"], lags: 4, deltas: true }, epochs: 30, percentile: 99.5, save: "models/s", show: true });',
    ],
    [
      '%train sensors --columns value --lags 4 --by sensor',
      'await streamlab.session.train("sensors", { kind: "autoencoder", spec: { columns: ["value"], lags: 4, by: "sensor" } });',
    ],
    [
      '%train sales --kind forecaster --columns units --target units --rolling 24 --last 5000 --time-field time --backend wasm',
      'await streamlab.session.train("sales", { kind: "forecaster", spec: { columns: ["units"], rolling: { window: 24 }, target: "units" }, backend: "wasm", history: { last: 5000, timeField: "time" } });',
    ],
    [
      '%score sensors --model det --to anomaly-stream --from earliest --time-field time --as scorer',
      'const scorer = await streamlab.session.score("sensors", det.model, { name: "scorer", toTopic: "anomaly-stream", consume: { from: "earliest", timeField: "time" } });',
    ],
    ['%score readings --load models/s --threshold 0.05', 'void (await streamlab.session.score("readings", "models/s", { threshold: 0.05 }));'],
    [
      '%detect sensors --y value --by sensor --detector windowedGaussian --threshold 0.9 --max-keys 500 --to anomalies --from earliest --time-field time --as d',
      'const d = await streamlab.session.detect("sensors", { y: "value", by: "sensor", detector: "windowedGaussian", threshold: 0.9, maxKeys: 500, toTopic: "anomalies", name: "d", consume: { from: "earliest", timeField: "time" } });',
    ],
    ['%detect readings --y reading.temp', 'void (await streamlab.session.detect("readings", { y: "reading.temp" }));'],
    ['%streams', 'streamlab.session.streamsFrame();'],
    ['%stop readings', 'await streamlab.session.stop("readings");'],
    ['%stop all', 'await streamlab.session.stop("all");'],
    ['%pause readings', 'await streamlab.session.pause("readings");'],
    ['%resume all', 'await streamlab.session.resume("all");'],
  ];
  for (const [cell, code] of cases) {
    test(cell.split('\n').find((l) => l.startsWith('%'))!, () => {
      const expanded = expandCell(cell);
      assert.deepEqual(expanded, { code });
      assert.deepEqual(checker.check(expanded.code), [], 'the expansion type-checks against the library');
    });
  }
});

test('%train and %score: the columns, a target for a forecaster, exactly one model, a number for a threshold', () => {
  const line = (cell: string): string => {
    try {
      expandCell(cell);
    } catch (e) {
      return (e as Error).message.split('; usage:')[0]!;
    }
    return 'expanded';
  };
  assert.equal(line('%train sensors'), '%train: give the input columns: --columns FIELD,...');
  assert.equal(line('%train sales --kind forecaster --columns units'), '%train: a forecaster needs --target FIELD');
  assert.equal(line('%train sensors --colums value'), '%train: unknown option --colums (did you mean --columns?)');
  assert.equal(line('%score sensors'), '%score: give the model: --model VAR or --load DIR (one of them)');
  assert.equal(line('%score sensors --model det --load d'), '%score: give the model: --model VAR or --load DIR (one of them)');
  assert.equal(line("%score sensors --model det --threshold abc"), "%score: bad --threshold 'abc': must be a number");
  assert.equal(line('%detect sensors --by sensor'), '%detect: missing --y FIELD');
  assert.equal(line('%detect sensors --y value --detector likelyhood').split(' (did you mean')[0], "%detect: bad --detector 'likelyhood': use one of " + Object.keys(DETECTORS).join(', '));
  assert.equal(line('%detect sensors --y value --max-keys 0'), "%detect: bad --max-keys '0': must be a whole number >= 1");
  assert.equal(line('%train sensors --columns value --percentile 0'), "%train: bad --percentile '0': must be a number >= 0.001 and <= 100");
});

test('the type checker does catch a wrong method or option name, so the checks above can fail', () => {
  assert.match(checker.check('await streamlab.session.consume({ topic: "x", form: "earliest" });').join('\n'), /'form' does not exist/);
  assert.match(checker.check('await streamlab.session.topic();').join('\n'), /Property 'topic' does not exist/);
});

test('a windowed stream bound by %window --as is typed in later cells', () => {
  assert.deepEqual(checker.check('const windowsClosed: number = perSensor.metrics().closedWindows;'), []);
  assert.deepEqual(checker.check('const w: string = perSensor;'), ["1:7 - Type 'WindowedStream' is not assignable to type 'string'."]);
});

test('%window: one window kind, a duration the engine reads, aggregates it knows', () => {
  assert.throws(() => expandCell('%window r --as w'), /^MagicError: %window: give exactly one window kind: --tumbling, --hopping, --sliding, --session; usage: %window STREAM\|TOPIC --as NAME/);
  assert.throws(() => expandCell('%window r --tumbling 10s --session 1m --as w'), /give exactly one window kind/);
  assert.throws(() => expandCell('%window r --tumbling 10q --as w'), /^MagicError: %window: bad --tumbling '10q': use a duration like 500ms, 10s, 1m or 2h; usage:/);
  assert.throws(() => expandCell('%window r --hopping 1m --as w'), /^MagicError: %window: bad --hopping '1m': write the window size and its advance as SIZE\/ADVANCE/);
  assert.throws(() => expandCell('%window r --tumbling 10s --agg meen(value) --as w'), /^MagicError: %window: bad --agg 'meen\(value\)': unknown aggregate 'meen' .*did you mean 'mean'\?/);
  assert.throws(() => expandCell('%window r --tumbling 10s'), /^MagicError: %window: missing --as NAME/);
});

test('a chart bound by %plot --as is typed in later cells', () => {
  assert.deepEqual(checker.check('live.pause(); live.resume(); live.clear(); const shown: number = live.metrics().shown; live.push([{ time: Date.now(), value: 1 }]);'), []);
  assert.deepEqual(checker.check('const c: string = live;'), ["1:7 - Type 'LiveChart' is not assignable to type 'string'."]);
});

test('%plot: a kind it knows, a span it reads, a positive point count', () => {
  assert.throws(() => expandCell('%plot r --kind pie'), /^MagicError: %plot: bad --kind 'pie': use one of line, scatter, bar, hist.*; usage: %plot SOURCE/);
  assert.throws(() => expandCell('%plot r --last 5q'), /^MagicError: %plot: bad --last '5q': use a duration like 500ms, 10s, 1m or 2h/);
  assert.throws(() => expandCell('%plot r --points 0'), /^MagicError: %plot: bad --points '0': must be a whole number >= 1/);
  assert.throws(() => expandCell('%plot r --kind lin'), /did you mean line\?/);
  assert.throws(() => expandCell('%plot'), /^MagicError: %plot: missing SOURCE/);
});

test('a stream bound by %consume --as is typed in later cells', () => {
  assert.deepEqual(checker.check(expandCell('%consume sensors --as readings --from earliest').code), []);
  assert.deepEqual(checker.check('const n: number = readings;'), ["1:7 - Type 'TopicSource<JsonValue>' is not assignable to type 'number'."]);
  assert.deepEqual(checker.check('const records: number = readings.metrics().records;'), []);
  assert.deepEqual(checker.check(expandCell('%consume logs --as lines --decoder string').code), []);
  assert.deepEqual(checker.check('const value: string = lines.latest(1)[0]!.value;'), []);
  assert.deepEqual(checker.check('const wrong: number = lines.latest(1)[0]!.value;'), ["1:7 - Type 'string' is not assignable to type 'number'."]);
});

describe('line numbers', () => {
  test('magic lines become one line each and TypeScript lines stay as they are', () => {
    const cell = '  const a = 1;\n%topics\n\n  %peek sensors -n 3\nconst b: number = a;';
    const { code } = expandCell(cell);
    assert.deepEqual(code.split('\n'), [
      '  const a = 1;',
      'await streamlab.session.topics();',
      '',
      'await streamlab.session.peek("sensors", 3);',
      'const b: number = a;',
    ]);
  });

  test('a type error after magics is reported on the line the user wrote', () => {
    const diagnostics = checker.check(expandCell('%streams\n%stop all\nconst n: number = "x";').code);
    assert.deepEqual(diagnostics, ["3:7 - Type 'string' is not assignable to type 'number'."]);
  });

  test('a cell magic keeps its body lines, closing before a trailing comment and dropping a final semicolon', () => {
    const cell = '%%produce out\n[{ a: 1 },\n { a: nope }]; // two rows';
    const { code } = expandCell(cell);
    assert.equal(code, 'await streamlab.session.produce("out", (\n[{ a: 1 },\n { a: nope }]  )); // two rows');
    assert.deepEqual(checker.check(code), ["3:7 - Cannot find name 'nope'."]);
  });

  test('CRLF cells keep their line ends', () => {
    assert.equal(expandCell('%topics\r\nconst x = 1;\r\n').code, 'await streamlab.session.topics();\r\nconst x = 1;\r\n');
  });

  test('a % line inside a template literal or block comment, or a modulo continued on the next line, is TypeScript', () => {
    const cell = 'const fmt = `\n%d items\n${1 + 1}\n%s`;\n/*\n%topics\n*/\nconst m = 7\n  % 3;\n%streams';
    const { code } = expandCell(cell);
    assert.deepEqual(code.split('\n'), [...cell.split('\n').slice(0, 9), 'streamlab.session.streamsFrame();']);
    assert.equal(isMagicCell(cell.replace(/\n%streams$/, '')), false);
    assert.equal(isMagicCell('const q = `${`\n%topics`}`;'), false, 'a template inside a substitution');
    assert.equal(isMagicCell('const r = /`/;\n%topics'), true, 'a backtick in a regular expression opens no template');
    assert.equal(isMagicCell('const h = total / 2; const s = "`";\n%topics'), true);
    assert.equal(isMagicCell('const x = 1;\n%streams'), true);
  });
});

describe('quoting', () => {
  /** The expansion as TypeScript sees it: one statement, whose call arguments we can read back. */
  function parseStatement(code: string): ts.Statement {
    const file = ts.createSourceFile('cell.ts', code, ts.ScriptTarget.ES2022, true);
    assert.equal(file.statements.length, 1, `one statement: ${code}`);
    return file.statements[0]!;
  }

  test('user text cannot leave its string literal', () => {
    const name = `x"); process.exit(1); ("`;
    const { code } = expandCell(`%stop 'x"); process.exit(1); ("'`);
    assert.equal(code, 'await streamlab.session.stop("x\\"); process.exit(1); (\\"");');
    const call = ((parseStatement(code) as ts.ExpressionStatement).expression as ts.AwaitExpression).expression as ts.CallExpression;
    assert.equal((call.arguments[0] as ts.StringLiteral).text, name);
  });

  test('backslash escapes, double quotes and line separators survive as data', () => {
    const { code } = expandCell('%consume t --time-field "a\\"b\\\\c\u2028d" --group \\`g\\`');
    assert.equal(code, 'await streamlab.session.consume({ topic: "t", timeField: "a\\"b\\\\c\\u2028d", groupId: "`g`" });');
    parseStatement(code);
    assert.equal(code.split(/[\n\u2028\u2029]/).length, 1, 'no line break TypeScript would count');
  });

  test('a --from expression must be one balanced expression', () => {
    expectError('%produce out --from "rows), evil("', `%produce: bad --from 'rows), evil(': must be one TypeScript expression (a variable, or brackets and quotes balanced); usage: ${USAGE.produce}`);
    expectError('%produce out --from "rows; evil()"', `%produce: bad --from 'rows; evil()': must be one TypeScript expression (a variable, or brackets and quotes balanced); usage: ${USAGE.produce}`);
    expectError(`%produce out --from '"open'`, `%produce: bad --from '"open': must be one TypeScript expression (a variable, or brackets and quotes balanced); usage: ${USAGE.produce}`);
  });
});

describe('errors', () => {
  test('unknown magic, with did-you-mean', () => {
    expectError('%consmue sensors', 'unknown magic %consmue (did you mean %consume?); %help lists the magics');
    expectError('%%prodcue out\n[]', 'unknown magic %%prodcue (did you mean %%produce?); %help lists the magics');
    expectError('%zzzzzz', 'unknown magic %zzzzzz; %help lists the magics');
    expectError('%', 'a magic needs a name after %; %help lists the magics');
  });

  test('unknown option, with did-you-mean', () => {
    expectError('%consume sensors --form earliest', `%consume: unknown option --form (did you mean --from?); usage: ${USAGE.consume}`);
    expectError('%peek sensors -x 3', `%peek: unknown option -x; usage: ${USAGE.peek}`);
    expectError('%consume sensors --constructor', `%consume: unknown option --constructor; usage: ${USAGE.consume}`);
  });

  test('bad values name the option and the usage', () => {
    expectError('%peek sensors -n 0', `%peek: bad -n '0': must be a whole number >= 1; usage: ${USAGE.peek}`);
    expectError('%peek sensors --count=many', `%peek: bad --count 'many': must be a whole number >= 1; usage: ${USAGE.peek}`);
    expectError('%peek sensors --decoder jsn', `%peek: bad --decoder 'jsn': use one of json, string, number, csv, bytes, avro, protobuf, jsonschema, auto (did you mean json?); usage: ${USAGE.peek}`);
    expectError('%consume sensors --from soon', `%consume: bad --from 'soon': use earliest, latest, committed, offset:N or time:ISO-8601|EPOCH_MS; usage: ${USAGE.consume}`);
    expectError('%consume sensors --from time:yesterday', `%consume: bad --from 'time:yesterday': use earliest, latest, committed, offset:N or time:ISO-8601|EPOCH_MS; usage: ${USAGE.consume}`);
    expectError('%consume sensors --columns a,,b --decoder csv', `%consume: bad --columns 'a,,b': must be a comma-separated list with no empty items; usage: ${USAGE.consume}`);
    expectError("%consume 'my topic'", `%consume: bad TOPIC 'my topic': not a topic name (letters, digits, '.', '_' and '-'); usage: ${USAGE.consume}`);
    expectError('%connect localhost', `%connect: bad BROKERS 'localhost': bad broker address 'localhost': write brokers as host:port, comma-separated; usage: ${USAGE.connect}`);
    expectError('%connect --sasl-username u --sasl-password-env 1PW', `%connect: bad --sasl-password-env '1PW': not an environment variable name; usage: ${USAGE.connect}`);
  });

  test('--as must be a variable name TypeScript accepts', () => {
    expectError('%consume sensors --as 2fast', `%consume: bad --as '2fast': not a TypeScript variable name; usage: ${USAGE.consume}`);
    expectError('%consume sensors --as my-stream', `%consume: bad --as 'my-stream': not a TypeScript variable name; usage: ${USAGE.consume}`);
    expectError('%peek sensors --as class', `%peek: bad --as 'class': a reserved word in TypeScript; usage: ${USAGE.peek}`);
    expectError('%consume sensors --as await', `%consume: bad --as 'await': a reserved word in TypeScript; usage: ${USAGE.consume}`);
    expectError('%consume sensors --as streamlab', `%consume: bad --as 'streamlab': taken by the streamlab library that magics call; usage: ${USAGE.consume}`);
    assert.equal(expandCell('%consume sensors --as $größe').code, 'const $größe = await streamlab.session.consume({ topic: "sensors", name: "$größe" });');
  });

  test('missing arguments and values', () => {
    expectError('%consume', `%consume: missing TOPIC; usage: ${USAGE.consume}`);
    expectError('%stop', `%stop: missing NAME|all; usage: ${USAGE.stop}`);
    expectError('%produce out', `%produce: missing --from EXPR; usage: ${USAGE.produce}`);
    expectError('%consume sensors --from', `%consume: --from needs a value (POSITION); usage: ${USAGE.consume}`);
    expectError('%consume sensors --from --commit', `%consume: --from needs a value (POSITION); usage: ${USAGE.consume}`);
  });

  test('misused options and arguments', () => {
    expectError('%topics extra', "%topics: unexpected argument 'extra'; usage: %topics");
    expectError('%consume a --as x --as y', `%consume: --as is given twice; usage: ${USAGE.consume}`);
    expectError('%consume a --commit=yes', `%consume: --commit is a flag and takes no value; usage: ${USAGE.consume}`);
    expectError('%consume a --commit', `%consume: --commit needs --group (offsets are committed to a named group); usage: ${USAGE.consume}`);
    expectError('%consume a --decoder csv', `%consume: --decoder csv needs --columns (CSV records carry no header); usage: ${USAGE.consume}`);
    expectError('%peek a --columns x,y', `%peek: --columns is only used with --decoder csv; usage: ${USAGE.peek}`);
    expectError('%consume "a', `%consume: unterminated " quote; usage: ${USAGE.consume}`);
    expectError('%%produce out --from rows\n[]', `%%produce: --from is only for the line form; usage: ${USAGE.produceCell}`);
    expectError('%%produce out\n  // nothing yet', `%%produce: the cell has no body: write a TypeScript expression giving rows, a DataFrame or a running stream below the %%produce line; usage: ${USAGE.produceCell}`);
    expectError('%%topics', '%%topics is not a cell magic: use %topics');
    expectError('const x = 1;\n%%produce out', 'line 2: %%produce must be the first line of the cell (a cell magic takes the rest of the cell as its body)');
  });

  test('passwords are refused on the magic line; SASL needs a user and a password variable', () => {
    expectError(
      '%connect --sasl-username u --sasl-password hunter2',
      `%connect: --sasl-password is not accepted: a password in a cell would be saved in the notebook; put it in an environment variable and pass --sasl-password-env VAR; usage: ${USAGE.connect}`,
    );
    expectError('%connect --sasl-mechanism plain --sasl-username u', `%connect: SASL needs both --sasl-username and --sasl-password-env; usage: ${USAGE.connect}`);
  });

  test('in a cell of several lines the error names the line', () => {
    expectError('const x = 1;\n\n%peek sensors -n -1', `line 3: %peek: bad -n '-1': must be a whole number >= 1; usage: ${USAGE.peek}`);
  });
});

describe('help', () => {
  test('%help lists every magic with its summary', () => {
    const { code, help } = expandCell('%help');
    assert.equal(code, '');
    const lines = help!.split('\n');
    assert.match(lines[0]!, /^streamlab magics:/);
    for (const name of ['%connect', '%topics', '%peek', '%consume', '%window', '%table', '%join', '%plot', '%train', '%score', '%detect', '%produce, %%produce', '%streams', '%stop', '%pause', '%resume', '%help']) {
      assert.ok(lines.some((l) => l.trimStart().startsWith(`${name} `)), `${name} listed`);
    }
    assert.ok(help!.includes('start a background stream on a topic (bound to a variable with --as)'));
  });

  test('%help NAME, %NAME? and %%NAME? show usage, options with --explain, and examples', () => {
    const page = expandCell('%help consume').help!;
    assert.equal(expandCell('%consume?').help, page);
    assert.equal(expandCell('%help %consume').help, page);
    const lines = page.split('\n');
    assert.equal(lines[0], USAGE.consumeHelp);
    assert.ok(lines.includes('Options:') && lines.includes('Examples:') && lines.includes('Arguments:'));
    assert.ok(lines.some((l) => /^ {2}--from POSITION +where to start \(default latest\)/.test(l)));
    assert.ok(lines.some((l) => /^ {2}--explain +show the TypeScript this magic runs/.test(l)));
    assert.ok(lines.includes('  %consume sensors --as readings --from earliest'));
    const produce = expandCell('%%produce?\n[1, 2]').help!.split('\n');
    assert.deepEqual(produce.slice(0, 2), [USAGE.produce, USAGE.produceCellHelp]);
    assert.ok(expandCell('%peek?').help!.split('\n').some((l) => /^ {2}-n, --count N +how many records \(default 20\)/.test(l)));
  });

  test('help wins over mistakes elsewhere in the cell, but a bad help request is an error', () => {
    assert.ok(expandCell('%consume sensors --bogus\n%consume?').help!.startsWith(USAGE.consumeHelp));
    expectError('%help consme', `%help: no magic named consme (did you mean consume?); usage: ${USAGE.help}`);
    expectError('%help consume peek', `%help: unexpected argument 'peek'; usage: ${USAGE.help}`);
  });

  test('magicNames lists each form as written', () => {
    assert.deepEqual(magicNames(), ['%connect', '%topics', '%peek', '%consume', '%window', '%table', '%join', '%plot', '%train', '%score', '%detect', '%produce', '%%produce', '%streams', '%stop', '%pause', '%resume', '%help']);
  });
});

describe('--explain', () => {
  test('explain is the TypeScript of the magic; code is still the whole cell', () => {
    const expanded = expandCell('const t = "x";\n%consume sensors --as readings --explain\n%topics');
    const line = 'const readings = await streamlab.session.consume({ topic: "sensors", name: "readings" });';
    assert.deepEqual(expanded, { code: `const t = "x";\n${line}\nawait streamlab.session.topics();`, explain: line });
  });

  test('every magic accepts --explain, the cell form included', () => {
    for (const cell of ['%connect --explain', '%topics --explain', '%peek a --explain', '%streams --explain', '%stop all --explain', '%produce a --from r --explain']) {
      const { code, explain } = expandCell(cell);
      assert.equal(explain, code, cell);
    }
    const cell = expandCell('%%produce out --explain\n[1]');
    assert.equal(cell.explain, 'await streamlab.session.produce("out", (\n[1]));');
  });
});

describe('completion', () => {
  const ctx = { topics: async () => ['sensors', 'orders', 'sensors-raw'], streams: () => ['readings', 'alerts'] };
  const complete = (cell: string, cursor = cell.length) => completeMagic(cell, cursor, ctx);

  test('magic names, cell forms only on the first line', async () => {
    assert.deepEqual(await complete('%co'), { matches: ['%connect', '%consume'], cursorStart: 0, cursorEnd: 3 });
    assert.deepEqual(await complete('%%p'), { matches: ['%%produce'], cursorStart: 0, cursorEnd: 3 });
    assert.deepEqual(await complete('const x = 1;\n  %pr'), { matches: ['%produce'], cursorStart: 15, cursorEnd: 18 });
    assert.deepEqual(await complete('%pe sensors', 3), { matches: ['%peek'], cursorStart: 0, cursorEnd: 3 });
    assert.deepEqual(await complete('%pe sensors', 2), { matches: ['%peek', '%plot', '%produce', '%pause'], cursorStart: 0, cursorEnd: 3 });
  });

  test('topics for a TOPIC argument, by prefix', async () => {
    assert.deepEqual(await complete('%consume sens'), { matches: ['sensors', 'sensors-raw'], cursorStart: 9, cursorEnd: 13 });
    assert.deepEqual(await complete('%peek '), { matches: ['orders', 'sensors', 'sensors-raw'], cursorStart: 6, cursorEnd: 6 });
    const failing = { topics: () => Promise.reject(new Error('no broker')), streams: () => [] };
    assert.deepEqual(await completeMagic('%peek s', 7, failing), { matches: [], cursorStart: 6, cursorEnd: 7 });
  });

  test('option names, then option values', async () => {
    assert.deepEqual(await complete('%consume sensors --fr'), { matches: ['--from'], cursorStart: 17, cursorEnd: 21 });
    assert.deepEqual(await complete('%consume sensors --from '), { matches: ['earliest', 'latest', 'committed'], cursorStart: 24, cursorEnd: 24 });
    assert.deepEqual(await complete('%detect sensors --y value --detector '), { matches: Object.keys(DETECTORS), cursorStart: 37, cursorEnd: 37 });
    assert.deepEqual(await complete('%detect sensors --y value --detector w'), { matches: Object.keys(DETECTORS).filter((n) => n.startsWith('w')), cursorStart: 37, cursorEnd: 38 });
    assert.deepEqual(await complete('%detect '), { matches: ['readings', 'alerts'], cursorStart: 8, cursorEnd: 8 });
    assert.deepEqual(await complete('%consume sensors --from=l'), { matches: ['latest'], cursorStart: 24, cursorEnd: 25 });
    assert.deepEqual(await complete('%consume sensors --decoder '), { matches: ['json', 'string', 'number', 'csv', 'bytes', 'avro', 'protobuf', 'jsonschema', 'auto'], cursorStart: 27, cursorEnd: 27 });
    assert.deepEqual(await complete('%connect --sasl-mechanism s'), { matches: ['scram-sha-256', 'scram-sha-512'], cursorStart: 26, cursorEnd: 27 });
    // Options already given are not offered again; after the arguments, options are the next thing to type.
    const next = await complete('%peek sensors -n 5 ');
    assert.deepEqual(next?.matches, ['--decoder', '--columns', '--time-field', '--time-unit', '--key-decoder', '--as', '--explain']);
  });

  test('stream names and all for %stop, %pause and %resume', async () => {
    assert.deepEqual(await complete('%stop '), { matches: ['readings', 'alerts', 'all'], cursorStart: 6, cursorEnd: 6 });
    assert.deepEqual(await complete('%pause a'), { matches: ['alerts', 'all'], cursorStart: 7, cursorEnd: 8 });
  });

  test('the whole token under the cursor is replaced; names needing quotes are quoted', async () => {
    assert.deepEqual(await complete('%consume sensXX --from earliest', 13), { matches: ['sensors', 'sensors-raw'], cursorStart: 9, cursorEnd: 15 });
    const spaced = { topics: async () => ['my topic'], streams: () => ['a b'] };
    assert.deepEqual(await completeMagic('%stop ', 6, spaced), { matches: ['"a b"', 'all'], cursorStart: 6, cursorEnd: 6 });
  });

  test('not on a magic line: undefined, so the kernel asks TypeScript', async () => {
    assert.equal(await complete('const x = 1;'), undefined);
    assert.equal(await complete('%%produce out\n[rows'), undefined);
    assert.equal(await complete('const s = `\n%co'), undefined);
  });
});

test('inspection shows the help of the magic under the cursor', () => {
  assert.equal(inspectMagic('x;\n%consume sensors --as r', 6)!.split('\n')[0], USAGE.consumeHelp);
  assert.equal(inspectMagic('%help peek', 2)!.split('\n')[0], USAGE.peek);
  assert.equal(inspectMagic('%%produce out\n[1]', 3)!.split('\n')[1], USAGE.produceCellHelp);
  assert.equal(inspectMagic('%%produce out\n[1]', 16), undefined);
  assert.equal(inspectMagic('%nosuch', 3), undefined);
});

describe('expandedOffset', () => {
  test('a cursor on a TypeScript line lands on the same character in the expanded code', () => {
    const cell = '%consume sensors --as readings\nreadings.metrics().records\n%topics\n  readings.latest(3)';
    const { code } = expandCell(cell);
    const restOfLine = (text: string, at: number) => text.slice(at).split('\n')[0];
    for (const word of ['metrics', 'records', 'latest']) {
      const cursor = cell.indexOf(word) + 2;
      assert.equal(restOfLine(code, expandedOffset(cell, cursor)), restOfLine(cell, cursor), word);
    }
    assert.equal(expandedOffset(cell, cell.length), code.length);
    assert.equal(expandedOffset(cell, 5), 0, 'on a magic line: the start of its expansion');
  });

  test('in a cell magic body, past the inserted closing text', () => {
    const cell = '%%produce out\n[1, 2] // rows';
    const { code } = expandCell(cell);
    assert.equal(code.slice(expandedOffset(cell, cell.indexOf('2'))), '2] )); // rows');
    assert.equal(code.slice(expandedOffset(cell, cell.indexOf('rows'))), 'rows');
  });

  test('a magic line that does not parse yet leaves the other lines usable', () => {
    const cell = '%consume sensors --as\nreadings.';
    assert.throws(() => expandCell(cell), MagicError);
    assert.equal(expandCellForTooling(cell), '\nreadings.');
    assert.equal(expandedOffset(cell, cell.length), '\nreadings.'.length);
  });
});

describe('through the executor, as the kernel runs cells', () => {
  let executor: Executor;
  const logged: unknown[] = [];
  const errors: string[] = [];
  before(async () => {
    const converter = createConverter({ isJS: false, isBrowser: false });
    executor = createExecutor(process.cwd(), { node: converter, browser: converter, close: () => converter.close() }, {
      log: (value?: unknown) => logged.push(value),
      error: (format?: unknown, ...rest: unknown[]) => errors.push(format === '%s%d:%d - %s' ? `${rest[1]}:${rest[2]} - ${rest[3]}` : String(format)),
    });
    assert.equal(await executor.execute(PRELUDE), true, errors.join('\n'));
  });
  after(() => executor.close());

  test('a magic on the last line is the cell value; magics that need no broker run', async () => {
    logged.length = 0;
    assert.equal(await executor.execute(expandCell('%stop all\n%streams').code), true, errors.join('\n'));
    assert.equal(logged.length, 1);
    const frame = logged[0] as { columns: string[]; shape: number[] };
    assert.deepEqual(frame.columns.slice(0, 4), ['name', 'kind', 'reads', 'state']);
    assert.equal(frame.shape[0], 0);
  });

  test('diagnostics keep the cell line numbers and nothing runs', async () => {
    errors.length = 0;
    logged.length = 0;
    assert.equal(await executor.execute(expandCell('%streams\n\nconst n: number = "x";').code), false);
    assert.deepEqual(errors, ["3:7 - Type 'string' is not assignable to type 'number'."]);
    assert.equal(logged.length, 0);
  });

  test('library errors from a magic reach the kernel as thrown errors', async () => {
    errors.length = 0;
    assert.equal(await executor.execute(expandCell('%pause nosuch').code), false);
    assert.match(errors.join('\n'), /no stream named 'nosuch'/);
  });
});

test('Secret.fromEnv reads a password from the environment and fails by name when it is missing', () => {
  const secret = Secret.fromEnv('KAFKA_PW', { KAFKA_PW: 'hunter2' });
  assert.equal(secret.reveal(), 'hunter2');
  assert.equal(String(secret), '***');
  assert.throws(() => Secret.fromEnv('KAFKA_PW', {}), (e: unknown) => e instanceof StreamlabError && /^environment variable KAFKA_PW is not set: set it where Jupyter is started/.test(e.message));
  assert.throws(() => Secret.fromEnv('KAFKA_PW', { KAFKA_PW: '' }), /environment variable KAFKA_PW is empty/);
});
