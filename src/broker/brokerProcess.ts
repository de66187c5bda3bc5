/**
 * Entry point of the child process that hosts the embedded broker. It prints one ready line with its status,
 * and exits when its parent closes stdin, so a crashed parent never leaves a broker behind.
 */
import { startBrokerHost, BrokerHostOptions } from './brokerHost';
import { checkNoOtherBroker, claimBrokerState, removeBrokerState } from '../config';

export const READY_PREFIX = 'STREAMLAB_BROKER_READY ';

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as BrokerHostOptions & { writeState?: boolean };
  if (options.writeState) checkNoOtherBroker();
  const host = await startBrokerHost(options);
  const status = host.status();
  if (options.writeState) {
    try {
      claimBrokerState({ bootstrapServers: status.bootstrapServers, controlUrl: status.controlUrl, pid: process.pid, startedAt: new Date().toISOString() });
    } catch (e) {
      await host.close();
      throw e;
    }
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    if (options.writeState) removeBrokerState();
    await host.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
  process.stdout.write(READY_PREFIX + JSON.stringify(status) + '\n');
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
