/**
 * Entry point Jupyter starts (see the kernelspec): `node dist/kernel/main.js --connection-file FILE`.
 */
import { StreamlabKernel } from './kernel';

function connectionFileArg(argv: string[]): string {
  const i = argv.findIndex((a) => a === '--connection-file' || a === '-f');
  const file = i >= 0 ? argv[i + 1] : argv.find((a) => a.endsWith('.json'));
  if (!file) {
    process.stderr.write('streamlab kernel: no connection file: usage: node dist/kernel/main.js --connection-file FILE\n');
    process.exit(2);
  }
  return file;
}

export async function runKernel(argv: string[]): Promise<void> {
  const kernel = new StreamlabKernel({ connectionFile: connectionFileArg(argv) });
  await kernel.start();
}

if (require.main === module) {
  runKernel(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`streamlab kernel failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
