/**
 * Bindings to librdkafka's mock cluster: an in-memory broker that speaks the real Kafka protocol over TCP.
 * No Kafka broker ships in npm or Debian, and librdkafka's mock is the only Kafka-protocol server available
 * without a JVM, so the embedded dev broker is built on it. koffi calls the C API without a native build step.
 *
 * Load this only in a process that hosts no kafkajs client: both in one process crashed in practice.
 */
import koffi from 'koffi';
import { StreamlabError } from '../errors';

const LIBRARY_NAMES = ['librdkafka.so.1', 'librdkafka.so', 'librdkafka.1.dylib', 'librdkafka.dylib', 'librdkafka.dll'];
const RD_KAFKA_PRODUCER = 0;

interface MockApi {
  confNew(): unknown;
  confSet(conf: unknown, name: string, value: string, errstr: Buffer, size: number): number;
  kafkaNew(type: number, conf: unknown, errstr: Buffer, size: number): unknown;
  kafkaDestroy(rk: unknown): void;
  clusterNew(rk: unknown, brokers: number): unknown;
  clusterDestroy(mc: unknown): void;
  bootstraps(mc: unknown): string;
  topicCreate(mc: unknown, topic: string, partitions: number, replication: number): number;
  brokerSetDown(mc: unknown, brokerId: number): number;
  brokerSetUp(mc: unknown, brokerId: number): number;
  errName(code: number): string;
}

let api: MockApi | undefined;

function loadLibrary(): koffi.IKoffiLib {
  const tried: string[] = [];
  // An explicit path is the only one tried, so a wrong path is reported instead of silently bypassed.
  const candidates = process.env.STREAMLAB_LIBRDKAFKA ? [process.env.STREAMLAB_LIBRDKAFKA] : LIBRARY_NAMES;
  for (const name of candidates) {
    try {
      return koffi.load(name);
    } catch (e) {
      tried.push(name);
    }
  }
  throw new StreamlabError(
    'librdkafka not found (the embedded broker needs it)',
    `tried ${tried.join(', ')}; install it with \`apt-get install librdkafka1\` (Debian/Ubuntu) or \`brew install librdkafka\` (macOS), or set STREAMLAB_LIBRDKAFKA to the library path`,
  );
}

function bind(): MockApi {
  if (api) return api;
  const lib = loadLibrary();
  const required = (sig: string) => {
    try {
      return lib.func(sig);
    } catch {
      const name = /\b(rd_kafka_\w+)\(/.exec(sig)?.[1] ?? sig;
      throw new StreamlabError(
        `this librdkafka has no ${name} (the mock cluster API)`,
        'install librdkafka 1.9 or newer (Debian 12 `librdkafka1` works)',
      );
    }
  };
  const confSet = required('int rd_kafka_conf_set(void *conf, const char *name, const char *value, char *errstr, size_t errstr_size)');
  api = {
    confNew: required('void *rd_kafka_conf_new()'),
    confSet: (conf, name, value, errstr, size) => confSet(conf, name, value, errstr, size),
    kafkaNew: required('void *rd_kafka_new(int type, void *conf, char *errstr, size_t errstr_size)'),
    kafkaDestroy: required('void rd_kafka_destroy(void *rk)'),
    clusterNew: required('void *rd_kafka_mock_cluster_new(void *rk, int broker_cnt)'),
    clusterDestroy: required('void rd_kafka_mock_cluster_destroy(void *mc)'),
    bootstraps: required('const char *rd_kafka_mock_cluster_bootstraps(void *mc)'),
    topicCreate: required('int rd_kafka_mock_topic_create(void *mc, const char *topic, int partition_cnt, int replication_factor)'),
    brokerSetDown: required('int rd_kafka_mock_broker_set_down(void *mc, int broker_id)'),
    brokerSetUp: required('int rd_kafka_mock_broker_set_up(void *mc, int broker_id)'),
    errName: required('const char *rd_kafka_err2name(int err)'),
  };
  return api;
}

/** A running mock cluster. Broker ids are 1..brokers. */
export class MockCluster {
  private readonly api: MockApi;
  private rk: unknown;
  private mc: unknown;
  readonly bootstrapServers: string;

  constructor(readonly brokers: number) {
    if (!Number.isInteger(brokers) || brokers < 1 || brokers > 16) {
      throw new StreamlabError(`broker count must be an integer from 1 to 16, got ${brokers}`);
    }
    this.api = bind();
    const errstr = Buffer.alloc(512);
    const conf = this.api.confNew();
    // Quiet the host handle: it never connects anywhere, so its config warnings are noise on the console.
    this.api.confSet(conf, 'log_level', '3', errstr, errstr.length);
    this.rk = this.api.kafkaNew(RD_KAFKA_PRODUCER, conf, errstr, errstr.length);
    if (!this.rk) throw new StreamlabError(`librdkafka could not start: ${cString(errstr)}`);
    this.mc = this.api.clusterNew(this.rk, brokers);
    if (!this.mc) throw new StreamlabError('librdkafka could not create its mock cluster');
    this.bootstrapServers = this.api.bootstraps(this.mc);
  }

  createTopic(name: string, partitions: number, replication = 1): void {
    const code = this.api.topicCreate(this.live(), name, partitions, Math.min(replication, this.brokers));
    if (code !== 0) throw new StreamlabError(`could not create topic '${name}': ${this.api.errName(code)}`);
  }

  setBrokerDown(brokerId: number): void {
    this.check(this.api.brokerSetDown(this.live(), brokerId), `set broker ${brokerId} down`);
  }

  setBrokerUp(brokerId: number): void {
    this.check(this.api.brokerSetUp(this.live(), brokerId), `set broker ${brokerId} up`);
  }

  destroy(): void {
    if (!this.mc) return;
    this.api.clusterDestroy(this.mc);
    this.api.kafkaDestroy(this.rk);
    this.mc = undefined;
    this.rk = undefined;
  }

  private live(): unknown {
    if (!this.mc) throw new StreamlabError('the mock cluster is stopped');
    return this.mc;
  }

  private check(code: number, what: string): void {
    if (code !== 0) throw new StreamlabError(`could not ${what}: ${this.api.errName(code)}`);
  }
}

function cString(buf: Buffer): string {
  const end = buf.indexOf(0);
  return buf.subarray(0, end < 0 ? buf.length : end).toString('utf8');
}
