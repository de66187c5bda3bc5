/**
 * A live feed in a process of its own (as the demo feed of `streamlab lab` runs beside the kernel): sensor readings
 * at a steady rate, each stamped with the wall time it was sent, so a consumer can tell how far behind it runs.
 *
 *   node dist/bench/support/liveFeed.js BROKERS TOPIC RATE
 */
import { TopicSink, producePaced } from '../../src';

async function main(): Promise<void> {
  const [brokers, topic, rate] = process.argv.slice(2);
  const sink = await TopicSink.open({ topic: topic!, connection: { brokers: brokers! } });
  let n = 0;
  const stop = new AbortController();
  process.on('SIGTERM', () => stop.abort());
  process.on('disconnect', () => stop.abort());
  await producePaced(sink, () => ({ key: null, value: '', timestamp: 0 }), {
    rate: Number(rate),
    signal: stop.signal,
    write: (records) => sink.write(records.map(() => ({ sensor: `sensor-${n % 8}`, value: Math.sin(n++ / 50), sentAt: Date.now() }))),
  });
  await sink.close();
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
