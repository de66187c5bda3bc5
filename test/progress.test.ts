import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressText, sampleProgress, type ProgressState } from '../src/output';

/** A load of 100,000 records: 20 s at 2,000/s, then another stream takes the CPU and it reads 200/s. */
function slowedLoad(seconds: number): { state: ProgressState; now: number } {
  const state: ProgressState = { label: 'history', done: 0, total: 100_000, unit: 'records', startedAt: 0 };
  let now = 0;
  for (let t = 0; t <= seconds * 1000; t += 250) {
    now = t;
    state.done = t <= 20_000 ? t * 2 : 40_000 + (t - 20_000) * 0.2;
    sampleProgress(state, now);
  }
  return { state, now };
}

function secondsLeft(text: string): number {
  const m = /about (?:(\d+) m ?)?(?:(\d+) s)? left/.exec(text);
  assert.ok(m && (m[1] ?? m[2]) !== undefined, `no time left in: ${text}`);
  return Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0);
}

test('the time left follows the rate of the last seconds, not the average since the start', () => {
  const { state, now } = slowedLoad(35);
  const text = progressText(state, now);
  // 43,000 done at 200/s: 57,000 left take 285 s. The average since the start (1,229/s) would say 46 s.
  const left = secondsLeft(text);
  assert.ok(left > 250 && left < 320, `expected about 285 s left, the line says ${left} s: ${text}`);
  assert.match(text, / 200\/s /);
});

test('a load says it is estimating until it has two seconds of samples, and names a stall', () => {
  const state: ProgressState = { label: 'history', done: 0, total: 1000, unit: 'records', startedAt: 0 };
  state.done = 10;
  sampleProgress(state, 500);
  assert.match(progressText(state, 500), /estimating time left/);
  for (let t = 750; t <= 15_000; t += 250) sampleProgress(state, t);
  assert.match(progressText(state, 15_000), /stalled/);
});
