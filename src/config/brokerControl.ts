/**
 * The embedded broker's control API as its clients see it: the broker host (src/broker/brokerHost.ts) serves it,
 * topic admin creates topics through it (the mock has no CreateTopics), tests take brokers down and up. It lives
 * here, beside the state file that says where the API is, so that kafka/ never imports the dev broker itself.
 * Safe to use from a process with kafkajs clients: it is plain HTTP.
 */
import { StreamlabError } from '../errors';

export interface BrokerStatus {
  bootstrapServers: string;
  controlUrl: string;
  brokers: number;
  defaultPartitions: number;
  brokersDown: number[];
  createdTopics: Record<string, number>;
}


export class BrokerControl {
  constructor(readonly controlUrl: string) {}

  status(): Promise<BrokerStatus> {
    return this.call<BrokerStatus>('GET', '/status');
  }

  async createTopic(name: string, partitions?: number): Promise<number> {
    const reply = await this.call<{ partitions: number }>('POST', '/topics', { name, partitions });
    return reply.partitions;
  }

  async setBrokerDown(brokerId = 1): Promise<void> {
    await this.call('POST', `/brokers/${brokerId}/down`);
  }

  async setBrokerUp(brokerId = 1): Promise<void> {
    await this.call('POST', `/brokers/${brokerId}/up`);
  }

  private async call<T>(method: string, route: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.controlUrl + route, {
        method,
        headers: body ? { 'content-type': 'application/json' } : undefined,
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch {
      throw new StreamlabError(
        `the embedded broker at ${this.controlUrl} is not answering`,
        'start it again with `streamlab broker`',
      );
    }
    const payload = (await res.json()) as T & { error?: string };
    if (!res.ok) throw new StreamlabError(`embedded broker: ${payload.error ?? res.statusText}`);
    return payload;
  }
}
