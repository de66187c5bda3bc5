#!/usr/bin/env node
/** The `streamlab` command. Errors print as one line (set STREAMLAB_DEBUG=1 for the stack). */
import { StreamlabError, didYouMean } from '../src';
import { HelpRequested } from './args';

const COMMANDS: Record<string, { summary: string; run: (argv: string[]) => Promise<void> }> = {
  demo: { summary: 'embedded broker + sensor generator + a live consume summary', run: (a) => import('./demoCommand').then((m) => m.demoCommand(a)) },
  broker: { summary: 'run the embedded dev broker (or, with --kafka, a real Apache Kafka) until Ctrl-C', run: (a) => import('./brokerCommand').then((m) => m.brokerCommand(a)) },
  topics: { summary: 'list topics with partitions and offsets, or `topics create NAME`', run: (a) => import('./topicsCommand').then((m) => m.topicsCommand(a)) },
  produce: { summary: 'produce demo data: `produce sensors` or `produce csv FILE`', run: (a) => import('./produceCommand').then((m) => m.produceCommand(a)) },
  consume: { summary: 'consume a topic with a live summary', run: (a) => import('./consumeCommand').then((m) => m.consumeCommand(a)) },
  nab: { summary: 'NAB benchmark: `nab score RESULTS_DIR` (standard profile), `nab detect DATA_DIR --out DIR`', run: (a) => import('./nabCommand').then((m) => m.nabCommand(a)) },
  lab: { summary: 'JupyterLab on the example notebooks with the kernel, the extension, a broker and demo data', run: (a) => import('./labCommand').then((m) => m.labCommand(a)) },
  worker: { summary: 'run a pipeline file as one worker of its consumer group, exactly once (--group NAME), until SIGTERM', run: (a) => import('./workerCommand').then((m) => m.workerCommand(a)) },
  run: { summary: 'run a notebook headless on the streamlab kernel and save it with its outputs (--html, -p NAME=VALUE)', run: (a) => import('./runCommand').then((m) => m.runCommand(a)) },
  install: { summary: 'install the "TypeScript (streamlab)" Jupyter kernel and the JupyterLab extension (--user, --sys-prefix, --prefix DIR)', run: (a) => import('./kernelCommands').then((m) => m.installCommand(a)) },
  uninstall: { summary: 'remove the Jupyter kernel', run: (a) => import('./kernelCommands').then((m) => m.uninstallCommand(a)) },
  kernel: { summary: 'run the Jupyter kernel (Jupyter starts this)', run: (a) => import('./kernelCommands').then((m) => m.kernelCommand(a)) },
};

function help(): string {
  return ['usage: streamlab <command> [options]', '', ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`), ''].join('\n');
}

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(help());
    return;
  }
  const command = COMMANDS[name];
  if (!command) {
    const guess = didYouMean(name, Object.keys(COMMANDS));
    throw new StreamlabError(`unknown command '${name}'`, guess ? `did you mean '${guess}'?` : `run \`streamlab help\``);
  }
  try {
    await command.run(rest);
  } catch (e) {
    if (!(e instanceof HelpRequested)) throw e;
    const forms = e.usage.split(/ \| (?=streamlab )/).map((form, i) => `${i === 0 ? 'usage: ' : '       '}${form}`);
    process.stdout.write([`streamlab ${name}: ${command.summary}`, '', ...forms, ''].join('\n'));
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (e: unknown) => {
    const line = e instanceof Error ? e.message.split('\n')[0] : String(e);
    process.stderr.write(`streamlab: ${line}\n`);
    if (process.env.STREAMLAB_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    process.exit(1);
  },
);
