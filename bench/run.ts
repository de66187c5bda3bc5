/** Runs every benchmark in turn: `npm run bench`. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const BENCHES = ['sourceThroughput.js', 'registryThroughput.js', 'windowThroughput.js', 'windowEndToEnd.js', 'kernelLatency.js', 'modelTraining.js', 'trainingBesideStreams.js', 'scoringThroughput.js', 'detectThroughput.js', 'joinThroughput.js', 'workerThroughput.js', 'chartKernel.js'];
let failed = false;
for (const bench of BENCHES) {
  console.log(`\n== ${bench}`);
  const r = spawnSync(process.execPath, [path.join(__dirname, bench), ...process.argv.slice(2)], { stdio: 'inherit' });
  failed ||= r.status !== 0;
}
process.exit(failed ? 1 : 0);
