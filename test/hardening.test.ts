/**
 * The second hardening round (issue 23), one describe per defect fixed so far. The CLI runs as a user runs it, with
 * no broker configured: what is checked must fail before anything connects.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
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
