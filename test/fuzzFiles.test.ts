/**
 * Property tests of the files streamlab reads from users: notebooks (`streamlab run`), runner parameters (`-p`) and
 * model directories (`loadModel`). Random documents, random damage to good ones and random bytes either work all the
 * way through (a notebook exports to HTML and takes parameters; a model scores finite numbers of its width) or are
 * refused with one StreamlabError line naming the file; never a raw TypeError, RangeError or SyntaxError.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { literal, parseParameter, readNotebook, withParameters } from '../kernel/notebookRunner';
import { notebookHtml } from '../kernel/notebookHtml';
import { loadModel, saveModel, scoreFeatures, trainModel } from '../src/models';
import { checkProperty, fc } from './support/fuzz';

/** An error is one StreamlabError line (a newline may only come from the input itself, quoted back). */
function assertOneLine(e: unknown, input: string, must?: string): void {
  assert.ok(e instanceof Error, `not an Error: ${String(e)}`);
  assert.equal(e.name, 'StreamlabError', `${e.name}: ${e.message}`);
  if (!input.includes('\n') && !input.includes('\r')) assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
  if (must) assert.ok(e.message.includes(must), `names ${must}: ${e.message}`);
}

const junk = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('__proto__', 'constructor', 'code', 'markdown', 'raw', 'parameters', '<img src=x onerror=alert(1)>', '\u2028'),
  fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }),
);

describe('notebook files, on random documents', () => {
  const goodCell = fc.record({
    cell_type: fc.constantFrom('code', 'markdown', 'raw'),
    source: fc.oneof(fc.string({ maxLength: 40 }), fc.array(fc.string({ maxLength: 12 }), { maxLength: 4 })),
    metadata: fc.oneof(fc.constant({}), fc.constant({ tags: ['parameters'] }), fc.constant({ tags: ['injected-parameters'] })),
    outputs: fc.constant([]),
    execution_count: fc.constant(null),
  });
  const fields = ['cell_type', 'source', 'metadata', 'outputs', 'execution_count', 'id', 'attachments'];
  /** A good cell with up to three fields set to anything (or deleted), or no cell at all. */
  const cell = fc.oneof(
    { weight: 6, arbitrary: fc.tuple(goodCell, fc.array(fc.tuple(fc.constantFrom(...fields, 'metadata.tags'), fc.option(junk, { nil: undefined })), { maxLength: 3 })).map(([c, changes]) => {
      const out = { ...c } as Record<string, unknown>;
      for (const [field, value] of changes) {
        if (field === 'metadata.tags') out.metadata = { tags: value };
        else if (value === undefined) delete out[field];
        else out[field] = value;
      }
      return out as unknown;
    }) },
    { weight: 1, arbitrary: junk },
  );
  const notebook = fc.record({
    cells: fc.oneof({ weight: 8, arbitrary: fc.array(cell, { maxLength: 5 }) }, { weight: 1, arbitrary: junk }),
    metadata: fc.oneof({ weight: 4, arbitrary: fc.constant({ kernelspec: { name: 'streamlab' } }) }, { weight: 1, arbitrary: junk }),
    nbformat: fc.oneof({ weight: 8, arbitrary: fc.constant(4) }, { weight: 1, arbitrary: junk }),
    nbformat_minor: fc.constant(5),
  });

  test('a notebook reads, takes parameters and exports to HTML, or is refused in one line naming the file', async () => {
    let refused = 0;
    let read = 0;
    await checkProperty(
      'notebook files',
      fc.property(notebook, (doc) => {
        const text = JSON.stringify(doc);
        let nb;
        try {
          nb = readNotebook(text, 'f.ipynb');
        } catch (e) {
          refused++;
          assertOneLine(e, text, 'f.ipynb');
          return;
        }
        read++;
        const withP = withParameters(nb, { count: 3, topic: 'a\u2028b' });
        assert.equal(withP.cells.filter((c) => (c.metadata.tags ?? []).includes('injected-parameters')).length, 1);
        // What `streamlab run` exports: code cells with their outputs cleared, as before a run.
        for (const c of withP.cells) if (c.cell_type === 'code') c.outputs = [];
        const html = notebookHtml(withP, 'f');
        assert.ok(!/<img[^>]*onerror/i.test(html), 'no handler from markdown survives');
      }),
      1500,
    );
    assert.ok(refused > 0 && read > 0, `the generator reaches both: ${read} read, ${refused} refused`);
  });

  test('random bytes and truncated notebooks are one line', async () => {
    const good = JSON.stringify({ cells: [{ cell_type: 'code', source: 'const a = 1;', metadata: {}, outputs: [] }], metadata: {}, nbformat: 4, nbformat_minor: 5 });
    await checkProperty(
      'notebook bytes',
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), fc.nat(good.length - 1).map((n) => good.slice(0, n))), (text) => {
        try {
          readNotebook(text, 'f.ipynb');
        } catch (e) {
          assertOneLine(e, text, 'f.ipynb');
          return;
        }
        assert.fail(`read as a notebook: ${JSON.stringify(text)}`);
      }),
      500,
    );
  });
});

describe('runner parameters, on random -p texts', () => {
  test('NAME=VALUE gives a value the injected cell holds exactly, or one line naming the parameter', async () => {
    const name = fc.oneof(fc.constantFrom('count', 'topic', 'x1', '_a', '$b', '__proto__', 'constructor', '1x', 'a-b', 'a b', ''), fc.string({ maxLength: 5 })).filter((n) => !n.includes('=')); // the first '=' ends the name
    const raw = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.string({ unit: 'binary', maxLength: 8 }),
      fc.json({ maxDepth: 2 }),
      fc.constantFrom('9007199254740993', '1e999', '-0', '"\u2028"', '{"__proto__": {"a": 1}}', '[1, 2e400]', 'NaN', 'Infinity', '0x10', '1_000', '', '='),
    );
    let refused = 0;
    await checkProperty(
      'runner parameters',
      fc.property(name, raw, (n, v) => {
        const text = `${n}=${v}`;
        let parsed: [string, unknown];
        try {
          parsed = parseParameter(text);
          withParameters({ cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 }, { [parsed[0]]: parsed[1] });
        } catch (e) {
          refused++;
          assertOneLine(e, text);
          return;
        }
        const [key, value] = parsed;
        assert.equal(key, n);
        // The literal, evaluated, is the value (Function: the literal is an expression of JSON-like syntax).
        const back = new Function(`return (${literal(value, key)});`)() as unknown;
        assert.deepStrictEqual(back, value);
      }),
      2000,
    );
    assert.ok(refused > 0, 'the generator reaches refusals');
  });
});

describe('model directories, on random damage', () => {
  let root: string;
  let good: string;
  const FILES = ['model.json', 'weights.bin', 'streamlab.json'] as const;

  test('setup: a model saved and loaded back', async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-fuzz-models-'));
    const rows = Array.from({ length: 120 }, (_, i) => ({ time: i, value: Math.sin(i / 5) * 3 + (i % 4) }));
    const trained = await trainModel(rows, { kind: 'autoencoder', spec: { columns: ['value'], lags: 3 }, chart: false, epochs: 2, seed: 2 });
    good = await saveModel(path.join(root, 'good'), trained.model);
    const loaded = await loadModel(good);
    assert.equal(scoreFeatures(loaded, [[1, 2, 3, 4]]).length, 1);
  });

  test('a damaged directory loads and scores finite numbers, or is one line naming it', async () => {
    const originals = Object.fromEntries(FILES.map((f) => [f, fs.readFileSync(path.join(good, f))])) as Record<(typeof FILES)[number], Buffer>;
    const damage = fc.oneof(
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bits: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ kind: fc.constant('replace' as const), with: fc.oneof(fc.json({ maxDepth: 2 }), fc.string({ unit: 'binary', maxLength: 20 })) }),
      fc.record({ kind: fc.constant('delete' as const) }),
      fc.record({ kind: fc.constant('folder' as const) }),
    );
    let n = 0;
    let refused = 0;
    await checkProperty(
      'model directories',
      fc.asyncProperty(fc.constantFrom(...FILES), damage, async (file, d) => {
        const dir = path.join(root, `d${n++}`);
        fs.mkdirSync(dir);
        for (const f of FILES) fs.writeFileSync(path.join(dir, f), originals[f]);
        const target = path.join(dir, file);
        const bytes = Buffer.from(originals[file]);
        if (d.kind === 'truncate') fs.writeFileSync(target, bytes.subarray(0, d.at % bytes.length));
        else if (d.kind === 'flip') {
          bytes[d.at % bytes.length] ^= d.bits;
          fs.writeFileSync(target, bytes);
        } else if (d.kind === 'replace') fs.writeFileSync(target, d.with);
        else if (d.kind === 'delete') fs.rmSync(target);
        else {
          fs.rmSync(target);
          fs.mkdirSync(target);
        }
        try {
          const model = await loadModel(dir);
          // A flipped bit in a weight or a scaler number may still load: then it scores, finitely or not, but always
          // one number a row and no raw error.
          const scores = scoreFeatures(model, [[1, 2, 3, 4], [0, 0, 0, 0]]);
          assert.equal(scores.length, 2);
          for (const s of scores) assert.equal(typeof s, 'number');
        } catch (e) {
          refused++;
          assertOneLine(e, '', dir);
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }),
      150,
    );
    assert.ok(refused > 0, 'the generator reaches refusals');
    fs.rmSync(root, { recursive: true, force: true });
  });
});
