/**
 * Online detection throughput against the plain consume rate of the same topic: a streamlab source alone, then the
 * same source with a StreamDetector (the registry's default detector, one per key, over `value` by `sensor`, 1,000
 * keys) scoring every record as it arrives, in alternating rounds on the embedded broker. The detector works in the
 * source's own listener, so the clock of a round stops when its last record has been scored. Target: detection costs
 * at most 20 % of the consume rate.
 *
 *   node dist/bench/detectThroughput.js [records=400000] [rounds=7] [keys=1000]
 */
import { EmbeddedBroker, StreamDetector } from '../src';
import { fillTopic, fmt, median, rate, streamlabSource } from './support/kafkaBaseline';

const RECORDS = Number(process.argv[2] ?? 400_000);
const ROUNDS = Number(process.argv[3] ?? 7);
const KEYS = Number(process.argv[4] ?? 1000);
const TOPIC = 'bench-detect';

async function main(): Promise<void> {
  const broker = await EmbeddedBroker.start({ topics: [{ name: TOPIC, partitions: 8 }] });
  try {
    const size = await fillTopic(broker.connection, TOPIC, RECORDS, KEYS);
    const probe = new StreamDetector({ y: 'value', by: 'sensor' });
    console.log(`embedded broker: ${fmt(RECORDS)} JSON records (~${size} bytes each) in 8 partitions, ${fmt(KEYS)} keys; detector ${probe.detectorName} (warm-up ${probe.warmupRows} rows per key)`);
    const plain: number[] = [];
    const detected: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternating which goes first, so drift of the machine hits both alike.
      const runPlain = async () => plain.push(rate(await streamlabSource(broker.connection, TOPIC, RECORDS)));
      let detector: StreamDetector | undefined;
      const runDetect = async () => {
        detector = new StreamDetector({ y: 'value', by: 'sensor' });
        detected.push(rate(await streamlabSource(broker.connection, TOPIC, RECORDS, (source) => detector!.attach(source), () => detector!.idle())));
        await detector.stop();
      };
      if (round % 2 === 1) {
        await runPlain();
        await runDetect();
      } else {
        await runDetect();
        await runPlain();
      }
      const m = detector!.metrics();
      if (m.records !== RECORDS || m.rows !== RECORDS || m.errors > 0 || m.keys !== KEYS) throw new Error(`the detector saw ${m.records} of ${RECORDS} records (${m.rows} scored, ${m.keys} keys, ${m.errors} errors: ${m.lastError})`);
      console.log(`  round ${round}: consume ${fmt(plain.at(-1)!)} rec/s, consume + detect ${fmt(detected.at(-1)!)} rec/s (${fmt(m.keys)} keys, ${fmt(m.flagged)} flagged, ${fmt(m.rowsWarmingUp)} rows warming up, detecting ${fmt(m.busyMs)} ms)`);
    }
    const p = median(plain);
    const d = median(detected);
    console.log('');
    console.log(`median consume ${fmt(p)} rec/s, consume + detect ${fmt(d)} rec/s: ratio ${(d / p).toFixed(3)}, detection costs ${(100 * (1 - d / p)).toFixed(1)} % of the consume rate (target <= 20 %)`);
  } finally {
    await broker.stop();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
