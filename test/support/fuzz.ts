/**
 * Property-based tests on fast-check, with seeds that replay: every run prints nothing when it passes and, when a
 * property fails, the seed and the path of the smallest counterexample, with the command line that replays it.
 *
 *   FUZZ_SEED=<n> [FUZZ_PATH=<p>]   replay one run (the path goes straight to the shrunk counterexample)
 *   FUZZ_RUNS=<n>                   runs per property (each property has its own default, sized for CI)
 *
 * Without FUZZ_SEED each run draws a new seed, so CI explores new cases every time and a failure is never lost:
 * its seed is in the failure message.
 */
import fc from 'fast-check';

export { fc };

function envInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be an integer, got '${raw}'`);
  return n;
}

/** The parameters of one property: its default number of runs (FUZZ_RUNS overrides), and a replayed seed. */
export function fuzzParameters<T>(defaultRuns: number): fc.Parameters<T> {
  const seed = envInt('FUZZ_SEED');
  const runs = envInt('FUZZ_RUNS') ?? defaultRuns;
  const path = process.env.FUZZ_PATH;
  return {
    numRuns: runs,
    ...(seed !== undefined ? { seed } : {}),
    ...(seed !== undefined && path ? { path } : {}),
    // Enough shrinking to name a small counterexample, bounded so a failing broker property cannot run for long.
    interruptAfterTimeLimit: 240_000,
    markInterruptAsFailure: false,
  };
}

/** Runs a property; on failure throws with the counterexample and the replay command. */
export async function checkProperty<Ts extends [unknown, ...unknown[]]>(
  name: string,
  property: fc.IAsyncPropertyWithHooks<Ts> | fc.IPropertyWithHooks<Ts>,
  defaultRuns: number,
): Promise<void> {
  const details = await fc.check(property as fc.IAsyncProperty<Ts>, fuzzParameters<Ts>(defaultRuns));
  if (!details.failed) return;
  const replay = `FUZZ_SEED=${details.seed}${details.counterexamplePath ? ` FUZZ_PATH=${details.counterexamplePath}` : ''}`;
  const report = fc.defaultReportMessage(details) ?? 'failed';
  const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  throw new Error(`property '${name}' failed: ${cause}\nreplay it with ${replay} bash test/run.sh dist/test/<file>.test.js\n${report}`);
}
