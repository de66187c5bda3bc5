/**
 * Live scoring throughput against the plain consume rate of the same topic: a streamlab source alone, then the same
 * source with a StreamScorer (an autoencoder over value, 3 lags and a delta; on its worker thread) scoring every batch as it arrives,
 * alternating rounds on the embedded broker. The scored run's clock stops when the last record has been scored. Target: scoring costs at most 20 % of the consume rate.
 *
 *   node dist/bench/scoringThroughput.js [records=400000] [rounds=7]
 */
import { EmbeddedBroker, StreamScorer, trainModel, useBackend } from '../src';
import { fillTopic, fmt, median, rate, streamlabSource } from './support/kafkaBaseline';

const RECORDS = Number(process.argv[2] ?? 400_000);
const ROUNDS = Number(process.argv[3] ?? 7);
const TOPIC = 'bench-scoring';

async function main(): Promise<void> {
  const backend = await useBackend();
  const broker = await EmbeddedBroker.start({ topics: [{ name: TOPIC, partitions: 8 }] });
  try {
    const size = await fillTopic(broker.connection, TOPIC, RECORDS);
    // Trained on the first records as a consumer receives them (partitions interleave), as a user would train on history.
    const training: { value: number }[] = [];
    await streamlabSource(broker.connection, TOPIC, RECORDS, (source) =>
      source.subscribe((batch) => {
        for (const r of batch) if (training.length < 20_000) training.push({ value: (r.value as { value: number }).value });
      }),
    );
    const { model } = await trainModel(training, { kind: 'autoencoder', spec: { columns: ['value'], lags: 3, deltas: true }, epochs: 5, chart: false });
    console.log(`embedded broker: ${fmt(RECORDS)} JSON records (~${size} bytes each) in 8 partitions; backend ${backend.name}`);
    const plain: number[] = [];
    const scored: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      plain.push(rate(await streamlabSource(broker.connection, TOPIC, RECORDS)));
      // The worker thread is started and holds the model before the clock starts, as a long-running scorer would.
      const scorer: StreamScorer | undefined = await new StreamScorer({ model, thread: process.env.THREAD !== '0' }).prepare();
      scored.push(rate(await streamlabSource(broker.connection, TOPIC, RECORDS, (source) => scorer.attach(source), () => scorer.idle())));
      await scorer!.idle();
      await scorer!.stop();
      const m = scorer!.metrics();
      if (m.records !== RECORDS || m.errors > 0) throw new Error(`the scorer saw ${m.records} of ${RECORDS} records, ${m.errors} failed batches (${m.lastError})`);
      console.log(`  round ${round}: consume ${fmt(plain.at(-1)!)} rec/s, consume + score ${fmt(scored.at(-1)!)} rec/s (${fmt(m.batches)} batches, ${fmt(m.flagged)} flagged, the stream waited ${fmt(m.waitedMs)} ms for scoring)`);
    }
    const p = median(plain);
    const s = median(scored);
    console.log('');
    console.log(`median consume ${fmt(p)} rec/s, consume + score ${fmt(s)} rec/s: scoring costs ${(100 * (1 - s / p)).toFixed(1)} % of the consume rate (target <= 20 %)`);
  } finally {
    await broker.stop();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
