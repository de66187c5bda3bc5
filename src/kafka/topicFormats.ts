/**
 * The detected format of each topic, kept between listings: the Streams panel asks every few seconds, and sampling
 * means a group join. A topic is sampled again only when it has new messages and its guess is a minute old.
 */
import type { ConnectionSettings } from './connection';
import { sniffFormat, type TopicFormat } from './formats/sniff';
import { SchemaRegistryClient } from './registry/schemaRegistryClient';
import type { TopicSummary } from './topicAdmin';
import { sampleTopics } from './topicSampler';

export type { TopicFormat } from './formats/sniff';

const RESAMPLE_AFTER_MS = 60_000;
/** Bound on remembered topics: a cluster with thousands of topics does not grow this without end. */
const MAX_TOPICS = 2000;

export class TopicFormats {
  private readonly known = new Map<string, { format: TopicFormat; messages: number; at: number }>();
  private registry: SchemaRegistryClient | undefined;

  constructor(readonly settings: ConnectionSettings) {}

  async of(summaries: readonly TopicSummary[]): Promise<Map<string, TopicFormat>> {
    const now = Date.now();
    const stale = summaries.filter((s) => {
      const k = this.known.get(s.topic);
      return !k || (k.messages !== s.messages && now - k.at > RESAMPLE_AFTER_MS);
    });
    if (stale.length > 0) {
      const samples = await sampleTopics(this.settings, stale);
      if (this.settings.schemaRegistry) this.registry ??= new SchemaRegistryClient(this.settings.schemaRegistry, { timeoutMs: 3000 });
      for (const s of stale) {
        const values = samples.get(s.topic);
        // An empty topic, or one whose sample did not arrive in time, is asked again next time.
        if (s.messages === 0 || values === undefined || values.length === 0) {
          this.known.delete(s.topic);
          continue;
        }
        this.known.delete(s.topic);
        this.known.set(s.topic, { format: await sniffFormat(values, this.registry, s.topic), messages: s.messages, at: now });
        if (this.known.size > MAX_TOPICS) this.known.delete(this.known.keys().next().value!);
      }
    }
    const out = new Map<string, TopicFormat>();
    for (const s of summaries) {
      const k = this.known.get(s.topic);
      out.set(s.topic, k ? k.format : { format: s.messages === 0 ? 'empty' : 'unknown', note: s.messages === 0 ? 'no messages yet' : 'no value sampled yet (tombstones only, or the sample timed out)' });
    }
    return out;
  }
}
