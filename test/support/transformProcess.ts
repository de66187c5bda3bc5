/**
 * A read-process-write pipeline run as a process of its own, for the exactly-once test to kill -9: reads JSON records
 * { i } from the input topic, writes { i, double } to the output topic exactly once, and prints its progress as a
 * line of JSON every 100 ms. Arguments: brokers input output group.
 */
import { ReadProcessWrite } from '../../src/kafka';

async function main(): Promise<void> {
  const [brokers, input, output, groupId] = process.argv.slice(2);
  const pipeline = new ReadProcessWrite({
    input: input!,
    output: output!,
    groupId: groupId!,
    connection: { brokers: brokers! },
    keyField: 'key',
    sessionTimeoutMs: 6000,
    // Small fetches: many transactions, so that a kill lands between and inside them.
    fetchMaxBytes: 4096,
    task: (partition) => ({
      process: (records) => ({ rows: records.map((r) => ({ key: String(r.value.i), i: r.value.i, double: (r.value.i as number) * 2, from: partition })) }),
    }),
  });
  await pipeline.start();
  const timer = setInterval(() => process.stdout.write(`${JSON.stringify(pipeline.metrics())}\n`), 100);
  process.on('SIGTERM', () => {
    clearInterval(timer);
    void pipeline.stop().then(() => process.exit(0));
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
