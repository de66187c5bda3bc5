/**
 * The second hardening round (issue 23), one describe per defect fixed so far. The CLI runs as a user runs it, with
 * no broker configured: what is checked must fail before anything connects.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import vm from 'node:vm';
import ts from '@tslab/typescript-for-tslab';
import { literal, parseParameter, readNotebook } from '../kernel/notebookRunner';
import { buildFeatures, loadModel, saveModel, scoreFeatures, trainModel } from '../src/models';
import { notebookHtml } from '../kernel/notebookHtml';
import { checkPipeline } from '../src/pipeline';
import { EmbeddedBroker } from '../src/broker';
import { plotlyText, topicCell } from '../protocol/dataText';
import { plotlyFigure } from '../src/plot/plotlyFigure';
import { windowed } from '../src/window';
import { openBrowser, screenshot } from './support/lab';
import { checkProperty, fc } from './support/fuzz';

const CLI = path.join(__dirname, '..', 'cli', 'main.js');

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  // No broker anywhere: an empty state folder and no STREAMLAB_BROKERS.
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-hardening-'));
  const env: NodeJS.ProcessEnv = { ...process.env, STREAMLAB_STATE_DIR: state };
  delete env.STREAMLAB_BROKERS;
  try {
    const r = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8', timeout: 30_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    fs.rmSync(state, { recursive: true, force: true });
  }
}

describe('defect 11: CLI nits', () => {
  // Commands and their numeric options, each checked before anything connects.
  const NUMERIC: [string[], string][] = [
    [['produce', 'sensors', '--topic', 't'], 'rate'],
    [['produce', 'sensors', '--topic', 't'], 'count'],
    [['produce', 'sensors', '--topic', 't'], 'sensors'],
    [['produce', 'sensors', '--topic', 't'], 'partitions'],
    [['consume', 't'], 'count'],
    [['topics', 'create', 'x'], 'partitions'],
    [['broker'], 'brokers'],
  ];

  test('a negative number for an option is one line naming the option, never "argument is ambiguous"', async () => {
    await checkProperty(
      'negative option values',
      fc.property(fc.constantFrom(...NUMERIC), fc.oneof(fc.integer({ min: -1_000_000, max: -1 }).map(String), fc.double({ min: -1e6, max: -1e-3, noNaN: true }).map(String), fc.constant('-Infinity')), ([args, option], value) => {
        const r = cli([...args, `--${option}`, value]);
        assert.equal(r.code, 1, `${args.join(' ')} --${option} ${value}: ${r.stderr}`);
        const lines = r.stderr.trim().split('\n');
        assert.equal(lines.length, 1, r.stderr);
        assert.match(lines[0]!, new RegExp(`^streamlab: --${option} must be .*got '${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'`), r.stderr);
        assert.doesNotMatch(r.stderr, /ambiguous/);
      }),
      12,
    );
  });

  test('`topics delete x` is refused in one line and exits 1; so is any other unknown subcommand', () => {
    const r = cli(['topics', 'delete', 'x']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^streamlab: streamlab topics has no 'delete': it lists topics, or creates one with 'create NAME': streamlab does not delete topics; Kafka's own kafka-topics\.sh --delete does/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.equal(r.stdout, '', 'nothing listed');
    const other = cli(['topics', 'purge']);
    assert.equal(other.code, 1);
    assert.match(other.stderr, /^streamlab: streamlab topics has no 'purge'.*usage: streamlab topics/);
    assert.match(cli(['topics', 'create', 'a', 'b']).stderr, /^streamlab: topics create takes one name, got 2: a b/);
  });
});

describe('defect 5: runner parameters are injected as given, or refused in one line', () => {
  /** What the kernel would make of the injected cell: TypeScript, compiled, then run. */
  function evaluate(source: string): unknown {
    const out = ts.transpileModule(`${source}\nexport {};`, { reportDiagnostics: true, compilerOptions: { target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.CommonJS } });
    assert.deepEqual((out.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' ')), [], source);
    return vm.runInThisContext(`(() => { const exports = {}; ${out.outputText}; return p; })()`);
  }
  const text = fc.string({ unit: fc.oneof(fc.constantFrom('\u2028', '\u2029', '"', "'", '\\', '`', '${', '\n', '</script>'), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' })) });
  const value = fc.letrec((tie) => ({
    v: fc.oneof({ depthSize: 'small' }, text, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(fc.oneof(text, fc.constantFrom('__proto__', 'constructor', 'toString')), tie('v'), { maxKeys: 4 })),
  })).v;

  test('any JSON value, keys named __proto__ and text with U+2028 included, arrives unchanged', async () => {
    await checkProperty(
      'parameter literals',
      fc.property(value, (v) => {
        const round = JSON.parse(JSON.stringify(v)) as unknown; // what -p hands over: JSON (-0 and 0 alike)
        assert.deepStrictEqual(evaluate(`const p = ${literal(round, 'p')};`), round);
      }),
      300,
    );
  });

  test('a number JSON reads but a JavaScript number cannot hold is refused in one line, not injected changed', () => {
    for (const raw of ['9007199254740993', '1e999', '-1e999', '[1, 2e400]', '{"a": {"b": 12345678901234567890}}']) {
      assert.throws(() => parseParameter(`n=${raw}`), (e: Error) => /^parameter 'n' holds a number a JavaScript number cannot hold exactly \(it would become .*\): pass it as text instead: -p n='"/.test(`${e.message}`) && !e.message.includes('\n'), raw);
    }
    assert.deepEqual(parseParameter('n=9007199254740991'), ['n', 9007199254740991]);
    assert.deepEqual(parseParameter('s=not json'), ['s', 'not json']);
  });

  test('through `streamlab run` and the kernel: text with U+2028 and an object with a __proto__ key', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-params-'));
    try {
      const file = path.join(dir, 'p.ipynb');
      const cell = (source: string, tags?: string[]) => ({ cell_type: 'code', execution_count: null, metadata: tags ? { tags } : {}, outputs: [], source });
      fs.writeFileSync(file, JSON.stringify({ cells: [cell("let s = '';\nlet o: Record<string, unknown> = {};", ['parameters']), cell('JSON.stringify([s.length, s.charCodeAt(1), Object.keys(o), o.k])')], metadata: { kernelspec: { name: 'streamlab' } }, nbformat: 4, nbformat_minor: 5 }));
      const r = cli(['run', file, '--out', dir, '-p', 's=a\u2028b', '-p', 'o={"__proto__": 1, "k": 2}']);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(fs.readFileSync(path.join(dir, 'p.ipynb'), 'utf8')) as { cells: { outputs: { data?: Record<string, string> }[] }[] };
      const shown = out.cells[2]!.outputs.map((o) => o.data?.['text/plain']).join('');
      assert.equal(shown, `'[3,8232,["__proto__","k"],2]'`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('defect 6: malformed cells are named in one line before anything starts', () => {
  const CASES: [unknown, RegExp][] = [
    [null, /^cell 2 of bad\.ipynb is null, not a cell/],
    [{ cell_type: 'code', metadata: {} }, /^cell 2 of bad\.ipynb has no source/],
    [{ cell_type: 'code', source: 42, metadata: {} }, /^cell 2 of bad\.ipynb has a source that is a number/],
    [{ cell_type: 'code', source: ['ok', 7], metadata: {} }, /^cell 2 of bad\.ipynb has a source that is a list with non-text lines/],
    [{ cell_type: 'python', source: '', metadata: {} }, /^cell 2 of bad\.ipynb has cell_type "python"/],
    [{ cell_type: 'code', source: '', metadata: { tags: 'parameters' } }, /^cell 2 of bad\.ipynb has tags that are not a list of text/],
    [[1], /^cell 2 of bad\.ipynb is an array, not a cell/],
  ];
  const notebook = (bad: unknown) => JSON.stringify({ cells: [{ cell_type: 'markdown', source: '# ok', metadata: {} }, bad], metadata: {}, nbformat: 4, nbformat_minor: 5 });

  test('readNotebook refuses each, naming the cell', () => {
    for (const [bad, message] of CASES) assert.throws(() => readNotebook(notebook(bad), 'bad.ipynb'), (e: Error) => message.test(e.message), JSON.stringify(bad));
  });

  test('`streamlab run` says it in one line and exits 1 without starting a kernel', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-bad-cells-'));
    try {
      const file = path.join(dir, 'bad.ipynb');
      fs.writeFileSync(file, notebook({ cell_type: 'code', source: 42, metadata: {} }));
      const r = cli(['run', file]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /^streamlab: cell 2 of .*bad\.ipynb has a source that is a number: a cell's source is text or a list of lines of text/);
      assert.doesNotMatch(r.stderr, /running .* on the streamlab kernel/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('defect 7: feature sizes are checked before anything is built', () => {
  const rows = Array.from({ length: 200 }, (_, i) => ({ value: Math.sin(i / 10), time: i }));

  test('lags of a billion are one line at once, not a heap exhausted 50 s later', async () => {
    const started = process.memoryUsage().heapUsed;
    await assert.rejects(trainModel(rows, { kind: 'autoencoder', spec: { columns: ['value'], lags: 1_000_000_000 } }), /^StreamlabError: the spec makes 1000000001 features a row \(1 columns x 1000000001\), more than 10000: use fewer lags or columns$/);
    assert.ok(process.memoryUsage().heapUsed - started < 50e6, 'nothing large was allocated');
  });

  test('lags or a rolling window as long as the rows is one line naming both numbers', () => {
    assert.throws(() => buildFeatures(rows, { columns: ['value'], lags: 200 }), /^StreamlabError: the features need 200 earlier rows for each row \(lags 200\), and there are only 200 rows: use fewer lags/);
    assert.throws(() => buildFeatures(rows, { columns: ['value'], rolling: { window: 500 } }), /a rolling window of 500\), and there are only 200 rows/);
    assert.equal(buildFeatures(rows, { columns: ['value'], lags: 199 }).x.length, 1);
  });
});

describe('defect 10: no markup or code from data in the HTML export', () => {
  const ATTACKS = [
    '<img src=x onerror="window.pwned = 1">',
    '<script>window.pwned = 2</script>',
    '<a href="javascript:window.pwned = 3" onclick="window.pwned = 4">click</a>',
    '<iframe src="javascript:parent.pwned = 5"></iframe>',
    '<svg onload="window.pwned = 6"></svg>',
    '<div style="background: url(http://10.0.0.1/x)">styled</div>',
    '<img src="http://127.0.0.2/tracker.png">',
  ];
  const notebook = {
    cells: [
      { cell_type: 'markdown', metadata: {}, source: `# Report\n\nA [link](https://example.org) and [bad](javascript:window.pwned=7).\n\n${ATTACKS.join('\n\n')}` },
      {
        cell_type: 'code',
        metadata: {},
        execution_count: 1,
        source: 'display()',
        outputs: [
          { output_type: 'display_data', metadata: {}, data: { 'text/html': `<table class="sl"><tr><td style="text-align: right; color: #333">42</td></tr></table>${ATTACKS.join('')}` } },
          { output_type: 'display_data', metadata: {}, data: { 'image/svg+xml': '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" onload="window.pwned = 8"><script>window.pwned = 9</script><rect width="40" height="40" fill="teal"/></svg>' } },
          { output_type: 'display_data', metadata: {}, data: { 'text/markdown': ATTACKS.join('\n\n') } },
        ],
      },
    ],
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5,
  };

  test('raw HTML in markdown and outputs is sanitised, SVG is an image, and the page runs nothing and fetches nothing', async () => {
    const html = notebookHtml(notebook as never, 'attacks');
    for (const bad of [/onerror/i, /onclick/i, /onload/i, /<script/i, /javascript:/i, /<iframe/i, /url\(/i, /127\.0\.0\.2/]) assert.doesNotMatch(html, bad);
    assert.match(html, /<h1>Report<\/h1>/, 'markdown still renders');
    assert.match(html, /<a href="https:\/\/example\.org">link<\/a>/, 'http(s) links stay');
    assert.match(html, /<td style="text-align:right;color:#333">42<\/td>/, 'tables keep their layout styles');
    assert.match(html, /<img alt="chart" src="data:image\/svg\+xml;base64,/, 'an SVG output is an image');

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-html-'));
    const session = await openBrowser();
    try {
      fs.writeFileSync(path.join(dir, 'attacks.html'), html);
      await session.page.goto(`file://${path.join(dir, 'attacks.html')}`);
      await session.page.waitForTimeout(300);
      assert.equal(await session.page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined, 'no script ran');
      assert.deepEqual(session.refused, [], 'the page reaches nothing');
      await screenshot(session.page, 'html-export-sanitised');
    } finally {
      await session.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('defect 8: models refuse nonsense or handle it, in one line', () => {
  const base = (i: number) => ({ time: i, value: Math.sin(i / 7) * 10 + (i % 5) });
  const quiet = { chart: false, epochs: 3, seed: 1 } as const;

  test('a constant column does not make every row an anomaly', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => ({ ...base(i), flat: 5 }));
    const r = await trainModel(rows, { kind: 'autoencoder', spec: { columns: ['flat'] }, ...quiet });
    const scores = scoreFeatures(r.model, rows.map(() => [5]));
    assert.equal(scores.filter((s) => s >= r.model.threshold).length, 0, `threshold ${r.model.threshold}: the training rows themselves are normal`);
    assert.ok(scoreFeatures(r.model, [[500]])[0]! >= r.model.threshold, 'a row far from the constant still flags');
  });

  test('values of 1e200 and near the largest double scale without overflowing and train to a finite threshold', async () => {
    const big = Array.from({ length: 300 }, (_, i) => ({ time: i, value: (1 + Math.sin(i / 7)) * 1e200 }));
    const r = await trainModel(big, { kind: 'autoencoder', spec: { columns: ['value'] }, ...quiet });
    assert.ok(Number.isFinite(r.model.scaler.std[0]!) && r.model.scaler.std[0]! > 0, `spread ${r.model.scaler.std[0]}`);
    assert.ok(Number.isFinite(r.model.threshold) && r.model.threshold > 0, `threshold ${r.model.threshold}`);
    const huge = Array.from({ length: 300 }, (_, i) => ({ time: i, value: i % 2 === 0 ? 1.7e308 : -1.6e308 }));
    const h = await trainModel(huge, { kind: 'autoencoder', spec: { columns: ['value'] }, ...quiet });
    assert.ok(Number.isFinite(h.summary.loss) && Number.isFinite(h.model.threshold), `values near the largest double: loss ${h.summary.loss}, threshold ${h.model.threshold}`);
  });

  test('a training whose loss becomes NaN or Infinity stops with one line', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => base(i));
    await assert.rejects(
      trainModel(rows, { kind: 'forecaster', spec: { columns: ['value'], lags: 2, target: 'value' }, ...quiet, epochs: 20, learningRate: 1e30 }),
      (e: Error) => /^training diverged at epoch \d+: the loss became (NaN|Infinity)/.test(e.message) && /rescale or clip them, or lower learningRate$/.test(e.message) && !e.message.includes('\n'),
    );
  });

  test('epochs -1, patience 1.5 and a classifier label of 7 are refused in one line', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => ({ ...base(i), label: i === 50 ? 7 : i % 9 === 0 ? 1 : 0 }));
    await assert.rejects(trainModel(rows, { kind: 'autoencoder', spec: { columns: ['value'] }, chart: false, epochs: -1 }), /^StreamlabError: epochs must be a whole number >= 1, got -1/);
    await assert.rejects(trainModel(rows, { kind: 'autoencoder', spec: { columns: ['value'] }, chart: false, patience: 1.5 }), /^StreamlabError: patience must be a whole number >= 0, got 1.5/);
    await assert.rejects(trainModel(rows, { kind: 'classifier', spec: { columns: ['value'], target: 'label' }, ...quiet }), /^StreamlabError: a classifier learns labels 0 and 1, and 'label' holds 7 \(1 of \d+ rows\)/);
  });
});

describe('defect 9: model directories are checked whole on load, and saving never hangs', () => {
  const rows = Array.from({ length: 200 }, (_, i) => ({ time: i, value: Math.sin(i / 7) * 10 + (i % 5) }));
  let root: string;
  let good: string;
  let twoLags: string;
  const files = (dir: string) => Object.fromEntries(['model.json', 'weights.bin', 'streamlab.json'].map((f) => [f, fs.readFileSync(path.join(dir, f))]));
  const copyOf = (from: string, name: string, change: (f: Record<string, Buffer>) => void): string => {
    const dir = path.join(root, name);
    fs.mkdirSync(dir, { recursive: true });
    const f = files(from);
    change(f);
    for (const [k, v] of Object.entries(f)) fs.writeFileSync(path.join(dir, k), v);
    return dir;
  };
  const oneLineAbout = (dir: string) => (e: Error) => e.name === 'StreamlabError' && e.message.startsWith(`${dir}: `) && !e.message.includes('\n');

  test('setup: a 6-lag and a 2-lag model saved, and the 6-lag one loads and scores as saved', async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-models-'));
    const six = await trainModel(rows, { kind: 'autoencoder', spec: { columns: ['value'], lags: 6 }, chart: false, epochs: 2, seed: 1 });
    const two = await trainModel(rows, { kind: 'autoencoder', spec: { columns: ['value'], lags: 2 }, chart: false, epochs: 2, seed: 1 });
    good = await saveModel(path.join(root, 'six', 'nested', 'deeper'), six.model);
    twoLags = await saveModel(path.join(root, 'two'), two.model);
    const loaded = await loadModel(good);
    const x = [[1, 2, 3, 4, 5, 6, 7]];
    assert.deepEqual(scoreFeatures(loaded, x), scoreFeatures(six.model, x));
  });

  test("a 6-lag network with a 2-lag model's streamlab.json is refused: input widths differ", async () => {
    const dir = copyOf(good, 'mixed', (f) => (f['streamlab.json'] = fs.readFileSync(path.join(twoLags, 'streamlab.json'))));
    await assert.rejects(loadModel(dir), (e: Error) => oneLineAbout(dir)(e) && /the network takes 7 inputs, and its feature spec gives 3 features/.test(e.message));
  });

  test('damaged files are one line naming the directory and what is wrong', async () => {
    const cases: [string, (f: Record<string, Buffer>) => void, RegExp][] = [
      ['truncated', (f) => (f['weights.bin'] = f['weights.bin']!.subarray(0, 10)), /weights\.bin has 10 bytes where model\.json's \d+ weights need \d+ \(truncated\?\)/],
      ['badjson', (f) => (f['streamlab.json'] = Buffer.from('{"format": ')), /streamlab\.json is not JSON/],
      ['empty-meta', (f) => (f['streamlab.json'] = Buffer.from('{}')), /streamlab\.json holds format none/],
      ['empty-model', (f) => (f['model.json'] = Buffer.from('{}')), /model\.json has no model topology/],
    ];
    for (const [name, change, message] of cases) {
      const dir = copyOf(good, name, change);
      await assert.rejects(loadModel(dir), (e: Error) => oneLineAbout(dir)(e) && message.test(e.message), name);
    }
  });

  test('any bad value in streamlab.json is refused in one line, never loaded, never a raw error', async () => {
    const meta = JSON.parse(fs.readFileSync(path.join(good, 'streamlab.json'), 'utf8')) as Record<string, unknown>;
    const BAD: Record<string, unknown[]> = {
      kind: ['nonsense', null, 3, 'custom'],
      threshold: ['high', true, {}, [1]],
      scaler: [{ mean: [0], std: [1] }, { mean: Array(7).fill(0), std: Array(7).fill(0) }, { mean: Array(7).fill(0), std: [...Array(6).fill(1), 'x'] }, null],
      spec: [{}, { columns: [] }, { columns: ['value'], lags: -1 }, { columns: ['value'], lags: 1_000_000_000 }, { columns: [3] }, null],
      names: [['value'], 'value', null],
      target: [{ mean: 0, std: 0 }, { mean: 'a', std: 1 }],
    };
    let n = 0;
    await checkProperty(
      'model metadata',
      fc.asyncProperty(fc.constantFrom(...Object.keys(BAD)), fc.nat(), async (field, pick) => {
        const values = BAD[field]!;
        const dir = copyOf(good, `meta-${n++}`, (f) => (f['streamlab.json'] = Buffer.from(JSON.stringify({ ...meta, [field]: values[pick % values.length] }))));
        await assert.rejects(loadModel(dir), oneLineAbout(dir), `${field} = ${JSON.stringify(values[pick % values.length])}`);
      }),
      40,
    );
  });

  test('saving where weights.bin is a folder, or under /proc, is one line; nothing hangs', async () => {
    const m = await loadModel(good);
    const clash = path.join(root, 'clash');
    fs.mkdirSync(path.join(clash, 'weights.bin'), { recursive: true });
    await assert.rejects(saveModel(clash, m), /^StreamlabError: cannot write .*clash\/weights\.bin \(EISDIR\): choose a writable directory/);
    await assert.rejects(saveModel('/proc/streamlab-model/x', m), /^StreamlabError: cannot create \/proc\/streamlab-model to save the model \(E[A-Z]+\)/);
    const file = path.join(root, 'a-file');
    fs.writeFileSync(file, '');
    await assert.rejects(saveModel(path.join(file, 'x'), m), /is a file, not a directory/);
    fs.rmSync(root, { recursive: true, force: true });
  });
});

describe('defect 2 (at start): a pipeline a worker could never run is refused in one line', () => {
  const GOOD = { name: 'p', input: { topic: 'in', timeField: 'time' }, window: { kind: 'tumbling', size: '10s', keyBy: 'sensor', aggregates: ['count'] }, output: { topic: 'out' } };

  test('an internal output topic, a key named __proto__, a bad topic name: one line each, naming the field', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...GOOD, output: { topic: '__consumer_offsets' } }, /^f\.json: output\.topic: '__consumer_offsets' is an internal topic of Kafka's and is not written to/],
      [{ ...GOOD, window: { ...GOOD.window, keyBy: '__proto__' } }, /^f\.json: window: keyBy cannot be '__proto__'/],
      [{ ...GOOD, input: { topic: 'in\n%peek x' } }, /^f\.json: input\.topic: 'in\n%peek x' is not a valid topic name/],
      [{ ...GOOD, window: { ...GOOD.window, keyBy: 'count' } }, /^f\.json: window: column 'count' would appear twice/],
    ];
    for (const [definition, message] of cases) assert.throws(() => checkPipeline(definition, 'f.json'), (e: Error) => message.test(e.message), JSON.stringify(definition));
  });

  test('any pipeline file either builds its window engine or is refused in one line naming the file', async () => {
    const anything = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constant(undefined), fc.array(fc.string(), { maxLength: 3 }), fc.constantFrom('__proto__', 'constructor', '__consumer_offsets', 'count', '10s', '-5s', 'tumbling', 'session', {}));
    const field = fc.constantFrom('name', 'input.topic', 'input.timeField', 'window.kind', 'window.size', 'window.advance', 'window.grace', 'window.keyBy', 'window.aggregates', 'output.topic', 'output.partitions', 'group', 'extra', 'window.extra');
    await checkProperty(
      'pipeline files',
      fc.property(fc.array(fc.tuple(field, anything), { maxLength: 4 }), (changes) => {
        const definition = JSON.parse(JSON.stringify(GOOD)) as Record<string, Record<string, unknown>>;
        for (const [path, v] of changes) {
          const [a, b] = path.split('.') as [string, string | undefined];
          if (b === undefined) (definition as Record<string, unknown>)[a] = v;
          else if (definition[a] !== null && typeof definition[a] === 'object') definition[a]![b] = v;
        }
        let pipeline;
        try {
          pipeline = checkPipeline(definition, 'f.json');
        } catch (e) {
          assert.equal((e as Error).name, 'StreamlabError', `${(e as Error).name}: ${(e as Error).message}`);
          // One line always: a newline in a value given is shown escaped, never as a line break.
          assert.ok((e as Error).message.startsWith('f.json: ') && !(e as Error).message.includes('\n'), (e as Error).message);
          return;
        }
        if (pipeline.kind === 'window') windowed({ window: pipeline.window, keyBy: pipeline.keyBy, grace: pipeline.graceMs, aggregates: pipeline.definition.window!.aggregates });
      }),
      300,
    );
  });
});

describe('defect 10: no code or markup from data in inserted cells and chart text', () => {
  test('the Streams panel inserts a magic only for names Kafka accepts, else TypeScript that reads the name exactly', async () => {
    assert.equal(topicCell('peek', 'sensor-data.v2', 'sensorDataV2'), '%peek sensor-data.v2 -n 20');
    assert.equal(topicCell('consume', 'sensor-data', 'sensorData'), '%consume sensor-data --as sensorData --from earliest');
    await checkProperty(
      'inserted cells',
      fc.property(fc.string({ unit: fc.oneof(fc.constantFrom('\n', '\u2028', '"', "'", '`', '${', ' ', '%', '\\', '-'), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' })), minLength: 1 }), (topic) => {
        const cell = topicCell('peek', topic, 'v');
        if (cell.startsWith('%')) {
          assert.match(cell, /^%peek [A-Za-z0-9._-]+ -n 20$/);
          return;
        }
        assert.ok(!cell.includes('\n') && !cell.includes('\u2028'), 'one line of code');
        const calls: unknown[][] = [];
        const out = ts.transpileModule(`async function run(streamlab: any) { ${cell} }\nexport {};`, { reportDiagnostics: true, compilerOptions: { target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.CommonJS } });
        assert.deepEqual((out.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' ')), []);
        const run = vm.runInThisContext(`(() => { const exports = {}; ${out.outputText}; return run; })()`) as (s: unknown) => Promise<void>;
        void run({ session: { peek: (...args: unknown[]) => calls.push(args) } });
        assert.deepEqual(calls, [[topic, 20]]);
      }),
      300,
    );
  });

  test('record keys and titles reach plotly as text: a link or a style in a key is shown, not applied', () => {
    const key = '<a href="https://example.org">x</a><span style="color:red">&</span>';
    assert.equal(plotlyText(key), '&lt;a href="https://example.org"&gt;x&lt;/a&gt;&lt;span style="color:red"&gt;&amp;&lt;/span&gt;');
    const spec = { kind: 'line', title: key, xType: 'date', xTitle: 'time', yTitle: '<b>v</b>' } as never;
    const figure = plotlyFigure(spec, 'c1', { series: [{ name: key, x: [1], y: [2] }], markers: [{ name: key, x: [1], y: [2], text: [key] }] } as never);
    const text = JSON.stringify(figure);
    assert.doesNotMatch(text, /<a |<span|<b>/, 'no markup left for plotly to apply');
    assert.match(text, /&lt;a href/);
  });
});

describe('defect 4: a dead or interrupted kernel still leaves the notebook with its outputs so far', () => {
  const notebook = (cells: string[]) => JSON.stringify({ cells: cells.map((source) => ({ cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source })), metadata: { kernelspec: { name: 'streamlab' } }, nbformat: 4, nbformat_minor: 5 });
  const saved = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as { cells: { execution_count: number | null; outputs: { output_type: string; ename?: string; evalue?: string; data?: Record<string, string> }[] }[] };

  test('the kernel killed mid-run: the .ipynb and .html are written, the cell is marked, and one line names it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-dead-'));
    try {
      const file = path.join(dir, 'dies.ipynb');
      fs.writeFileSync(file, notebook(['const before = 41 + 1;\nbefore', "process.kill(process.pid, 'SIGKILL');", 'const never = 1;\nnever']));
      const r = cli(['run', file, '--out', path.join(dir, 'out'), '--html']);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr.trim().split('\n').pop()!, /^streamlab: .*dies\.ipynb: cell 2 \(process\.kill\(process\.pid, 'SIGKILL'\);\) did not finish: the kernel died \(SIGKILL: killed, or out of memory\); the outputs so far are saved$/);
      const out = saved(path.join(dir, 'out', 'dies.ipynb'));
      assert.equal(out.cells[0]!.outputs[0]!.data?.['text/plain'], '42', 'the first cell keeps its output');
      assert.deepEqual(out.cells[1]!.outputs.map((o) => [o.output_type, o.ename]), [['error', 'KernelDied']]);
      assert.equal(out.cells[2]!.execution_count, null);
      assert.ok(fs.existsSync(path.join(dir, 'out', 'dies.html')));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('Ctrl-C during a long cell interrupts it, writes the notebook, and names the cell in one line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-sigint-'));
    try {
      const file = path.join(dir, 'long.ipynb');
      fs.writeFileSync(file, notebook(['1 + 1', "console.log('waiting');\nawait new Promise((r) => setTimeout(r, 120_000));", '3']));
      const child = spawn(process.execPath, [CLI, 'run', file], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, STREAMLAB_STATE_DIR: dir } });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      // Interrupt once the second cell runs (its line is printed when the first one is done).
      for (let i = 0; i < 300 && !/\[1\/3\] ✓/.test(stderr); i++) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 1500));
      child.kill('SIGINT');
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      assert.equal(code, 1, stderr);
      assert.match(stderr.trim().split('\n').pop()!, /^streamlab: .*long\.ipynb: cell 2 \(console\.log\('waiting'\);\) (was interrupted \(Ctrl-C\)|failed: .*Interrupt.*)/);
      const out = saved(path.join(dir, 'long.executed.ipynb'));
      assert.equal(out.cells[0]!.outputs[0]!.data?.['text/plain'], '2');
      assert.equal(out.cells[2]!.execution_count, null, 'the run ended at the interrupted cell');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('defect 1: a second worker of a group on the embedded broker is refused, not a useless member', () => {
  test('worker B with the same pipeline file exits 1 with one line while worker A runs; A keeps every partition', async () => {
    const broker = await EmbeddedBroker.start({ topics: [{ name: 'scale-in', partitions: 4 }, { name: 'scale-out', partitions: 4 }] });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-scale-'));
    const file = path.join(dir, 'p.json');
    fs.writeFileSync(file, JSON.stringify({ name: 'scale', input: { topic: 'scale-in' }, window: { kind: 'tumbling', size: '1s' }, output: { topic: 'scale-out' } }));
    const a = spawn(process.execPath, [CLI, 'worker', file, '--brokers', broker.bootstrapServers, '--at-least-once', '--every', '200'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    a.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      for (let i = 0; i < 300 && !/running: partitions 0,1,2,3/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
      assert.match(out, /running: partitions 0,1,2,3/, 'worker A holds all four partitions');
      const b = spawnSync(process.execPath, [CLI, 'worker', file, '--brokers', broker.bootstrapServers, '--at-least-once'], { encoding: 'utf8', timeout: 120_000 });
      assert.equal(b.status, 1, b.stderr);
      assert.equal(b.stderr.trim().split('\n').length, 1, b.stderr);
      assert.match(b.stderr, /^streamlab: group 'scale' (already has 1 worker|has another worker) on the embedded broker, which cannot give a second one partitions .*: run one worker per pipeline on the embedded broker, or scale out on a real Kafka/);
      const before = out.length;
      await new Promise((r) => setTimeout(r, 1000));
      assert.match(out.slice(before), /running: partitions 0,1,2,3/, 'worker A still holds all four');
    } finally {
      a.kill('SIGTERM');
      await new Promise((r) => a.on('exit', r));
      await broker.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
