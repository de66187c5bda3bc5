/**
 * The layout is the architecture: src/ is the library in layers, the faces (kernel/, cli/, bench/, extension/)
 * sit on top and reach it only through src/index.ts, and protocol/ (comm messages shared with the browser)
 * depends on nothing. This test reads every import in the tree and fails on one that crosses a line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

/**
 * Rank of each part of src/: a module may import its own part and parts of lower rank only. Parts of one rank
 * (kafka and broker, say) stay independent of each other.
 */
const SRC_RANK: Record<string, number> = {
  errors: 0,
  util: 0,
  record: 0,
  config: 1,
  output: 1,
  kafka: 2,
  broker: 2,
  frames: 2,
  window: 3,
  demo: 3,
  display: 3,
  plot: 4,
  join: 4,
  pipeline: 5,
  models: 5,
  session: 6,
  index: 7,
};

const FACES = ['kernel', 'cli', 'bench'];

/**
 * Faces that may use another face: the command starts the kernel (`streamlab kernel`, `install`), and benches
 * drive the kernel with the tests' own Jupyter client.
 */
const FACE_USES: Record<string, string[]> = { cli: ['kernel'], bench: ['kernel', 'test'] };

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'lib' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

/** Relative import specifiers of a file: `from '...'`, `import('...')`, `require('...')`. */
function relativeImports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|require\(\s*)'(\.{1,2}\/[^']*)'/g)) found.push(m[1]!);
  return found;
}

/** The top-level folder and, inside src/, the part a path belongs to. */
function placeOf(absolute: string): { top: string; part?: string } {
  const rel = path.relative(ROOT, absolute).split(path.sep);
  const top = rel[0]!;
  if (top !== 'src') return { top };
  if (rel.length === 1) return { top, part: 'index' };
  const second = rel[1]!;
  return { top, part: rel.length === 2 ? second.replace(/\.tsx?$/, '') : second };
}

function violations(): string[] {
  const out: string[] = [];
  const files = [...sourceFiles(path.join(ROOT, 'src')), ...FACES.flatMap((f) => sourceFiles(path.join(ROOT, f))), ...sourceFiles(path.join(ROOT, 'protocol')), ...sourceFiles(path.join(ROOT, 'extension', 'src'))];
  for (const file of files) {
    const from = placeOf(file);
    const where = path.relative(ROOT, file);
    for (const spec of relativeImports(file)) {
      const target = placeOf(path.resolve(path.dirname(file), spec));
      if (from.top === 'protocol') {
        if (target.top !== 'protocol') out.push(`${where}: protocol/ depends on nothing, but imports '${spec}'`);
      } else if (from.top === 'extension') {
        if (target.top !== 'extension' && target.top !== 'protocol') out.push(`${where}: the extension runs in the browser and may import only protocol/, not '${spec}'`);
      } else if (from.top === 'src') {
        if (target.top === 'protocol') continue;
        if (target.top !== 'src') {
          out.push(`${where}: the library imports a face ('${spec}')`);
          continue;
        }
        const rankFrom = SRC_RANK[from.part!];
        const rankTo = SRC_RANK[target.part!];
        if (rankFrom === undefined || rankTo === undefined) {
          out.push(`${where}: src/${rankFrom === undefined ? from.part : target.part} has no layer in this test; give it one`);
        } else if (from.part !== target.part && rankTo >= rankFrom) {
          out.push(`${where}: src/${from.part} (layer ${rankFrom}) imports src/${target.part} (layer ${rankTo}) through '${spec}'`);
        }
      } else if (FACES.includes(from.top)) {
        if (target.top === 'src' && target.part !== 'index') out.push(`${where}: faces import the library through src/index.ts only, not '${spec}'`);
        const allowed = ['src', 'protocol', from.top, ...(FACE_USES[from.top] ?? [])];
        if (!allowed.includes(target.top)) out.push(`${where}: ${from.top}/ imports another face ('${spec}')`);
      }
    }
  }
  return out;
}

test('every import respects the layers: faces through src/index.ts, src/ never up, protocol/ alone', () => {
  assert.deepEqual(violations(), []);
});

test('the check sees a deep import and an upward import (it can fail)', () => {
  const probe = path.join(ROOT, 'kernel', '__layering_probe.ts');
  const upward = path.join(ROOT, 'src', 'kafka', '__layering_probe.ts');
  fs.writeFileSync(probe, "import { Session } from '../src/session/session';\n");
  fs.writeFileSync(upward, "import { windowed } from '../window/windowedStream';\n");
  try {
    const found = violations();
    assert.ok(found.some((v) => v.startsWith('kernel/__layering_probe.ts: faces import the library through src/index.ts only')), found.join('\n'));
    assert.ok(found.some((v) => v.startsWith('src/kafka/__layering_probe.ts: src/kafka (layer 2) imports src/window (layer 3)')), found.join('\n'));
  } finally {
    fs.rmSync(probe);
    fs.rmSync(upward);
  }
});
