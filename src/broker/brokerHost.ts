/**
 * Hosts a mock cluster and a small HTTP control API on 127.0.0.1 so other processes (kernels, tests, the CLI)
 * can create topics and take brokers down and up. The mock does not implement the CreateTopics request, so topic
 * creation goes through here.
 */
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { StreamlabError } from '../errors';
import { BrokerStatus } from '../config';
import { MockCluster } from './librdkafkaMock';

export interface TopicSpec {
  name: string;
  partitions?: number;
}

export interface BrokerHostOptions {
  brokers: number;
  /** Partitions for topics created through streamlab. Topics the mock auto-creates on first use get 4. */
  defaultPartitions: number;
  topics: TopicSpec[];
}


export const DEFAULT_BROKER_OPTIONS: BrokerHostOptions = { brokers: 1, defaultPartitions: 4, topics: [] };

export interface BrokerHost {
  status(): BrokerStatus;
  close(): Promise<void>;
}

export async function startBrokerHost(options: BrokerHostOptions): Promise<BrokerHost> {
  validatePartitions(options.defaultPartitions, 'default partitions');
  const cluster = new MockCluster(options.brokers);
  const createdTopics: Record<string, number> = {};
  const brokersDown = new Set<number>();

  const createTopic = (spec: TopicSpec) => {
    if (!/^[a-zA-Z0-9._-]{1,249}$/.test(spec.name ?? '') || spec.name === '.' || spec.name === '..') {
      throw new StreamlabError(`invalid topic name '${spec.name}'`, 'use 1-249 letters, digits, dots, underscores or dashes');
    }
    const partitions = spec.partitions ?? options.defaultPartitions;
    validatePartitions(partitions, `partitions of '${spec.name}'`);
    if (createdTopics[spec.name] !== undefined) return partitions;
    cluster.createTopic(spec.name, partitions, options.brokers);
    createdTopics[spec.name] = partitions;
    return partitions;
  };
  const checkBrokerId = (id: number) => {
    if (!Number.isInteger(id) || id < 1 || id > options.brokers) {
      throw new StreamlabError(`no broker ${id}`, `broker ids run from 1 to ${options.brokers}`);
    }
  };
  for (const topic of options.topics) createTopic(topic);

  let controlUrl = '';
  const status = (): BrokerStatus => ({
    bootstrapServers: cluster.bootstrapServers,
    controlUrl,
    brokers: options.brokers,
    defaultPartitions: options.defaultPartitions,
    brokersDown: [...brokersDown].sort(),
    createdTopics: { ...createdTopics },
  });

  const server = http.createServer((req, res) => {
    const reply = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => {
      try {
        const url = req.url ?? '/';
        const brokerRoute = /^\/brokers\/(\d+)\/(up|down)$/.exec(url);
        if (req.method === 'GET' && url === '/status') return reply(200, status());
        if (req.method === 'POST' && url === '/topics') {
          const spec = JSON.parse(raw || '{}') as TopicSpec;
          return reply(200, { name: spec.name, partitions: createTopic(spec) });
        }
        if (req.method === 'POST' && brokerRoute) {
          const id = Number(brokerRoute[1]);
          checkBrokerId(id);
          if (brokerRoute[2] === 'down') {
            cluster.setBrokerDown(id);
            brokersDown.add(id);
          } else {
            cluster.setBrokerUp(id);
            brokersDown.delete(id);
          }
          return reply(200, status());
        }
        reply(404, { error: `no route ${req.method} ${url}` });
      } catch (e) {
        reply(400, { error: e instanceof Error ? e.message : String(e) });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  controlUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let closed = false;
  return {
    status,
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      cluster.destroy();
    },
  };
}

function validatePartitions(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw new StreamlabError(`${what} must be an integer from 1 to 1000, got ${n}`);
  }
}
