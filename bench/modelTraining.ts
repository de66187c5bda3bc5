/**
 * Training time of one autoencoder (16-32-8-32-16, the issue's) on the same 20k rows x 3 epochs under each tfjs
 * backend that runs here, in one process, cpu first as the baseline.
 *
 *   node dist/bench/modelTraining.js [rows=20000] [epochs=3] [rounds=3]
 */
import { BACKENDS, autoencoder, fit, useBackend } from '../src';
import { fmt, median } from './support/kafkaBaseline';

const ROWS = Number(process.argv[2] ?? 20_000);
const EPOCHS = Number(process.argv[3] ?? 3);
const ROUNDS = Number(process.argv[4] ?? 3);

/** 16 correlated sensor-like features, seeded. */
function data(rows: number): number[][] {
  let s = 42;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  return Array.from({ length: rows }, (_, i) => Array.from({ length: 16 }, (_, j) => Math.sin(i / (20 + j)) + 0.1 * (rand() - 0.5)));
}

async function main(): Promise<void> {
  const x = data(ROWS);
  const results: { backend: string; ms: number; loss: number }[] = [];
  for (const name of ['cpu', ...BACKENDS.filter((b) => b !== 'cpu')] as const) {
    try {
      await useBackend(name);
    } catch (e) {
      console.log(`${name}: not available here (${(e as Error).message})`);
      continue;
    }
    const times: number[] = [];
    let loss = NaN;
    for (let round = 0; round < ROUNDS; round++) {
      const model = autoencoder({ inputs: 16, layers: [32, 8, 32], seed: 1 });
      const summary = await fit(model, x, x, undefined, { epochs: EPOCHS, batchSize: 256, patience: 0, chart: false });
      times.push(summary.ms);
      loss = summary.loss;
      model.dispose();
    }
    results.push({ backend: name, ms: median(times), loss });
    console.log(`${name}: ${times.map(fmt).join(', ')} ms (median ${fmt(median(times))} ms, final loss ${loss.toFixed(4)})`);
  }
  const cpu = results.find((r) => r.backend === 'cpu')!;
  console.log('');
  for (const r of results) console.log(`${r.backend}: ${fmt(r.ms)} ms for ${fmt(ROWS)} rows x ${EPOCHS} epochs, ${(cpu.ms / r.ms).toFixed(2)}x the cpu backend's speed`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
