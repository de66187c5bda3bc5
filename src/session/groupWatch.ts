/**
 * A worker group watched from a notebook: its members, the partitions each holds and the lag of each partition, as
 * a table below the cell refreshed in place (about every 2 s), read with the admin API from outside the group, so
 * watching never joins it or moves its offsets.
 */
import { TopicAdmin, GroupStatus } from '../kafka/topicAdmin';
import type { ConnectionSettings } from '../kafka/connection';
import { LiveDisplay } from '../output/liveDisplay';
import { tableBundle } from '../output/table';
import { formatCount } from '../output/format';

export class GroupWatch {
  private last: GroupStatus | undefined;
  private lastError: string | undefined;
  private readonly admin: TopicAdmin;
  private timer: NodeJS.Timeout | undefined;
  private display: LiveDisplay | undefined;

  constructor(
    settings: ConnectionSettings,
    readonly groupId: string,
    readonly topic: string,
  ) {
    this.admin = new TopicAdmin(settings);
  }

  /** Reads the group now. */
  async refresh(): Promise<GroupStatus> {
    try {
      this.last = await this.admin.groupStatus(this.groupId, this.topic);
      this.lastError = undefined;
      return this.last;
    } catch (e) {
      this.lastError = (e as Error).message;
      throw e;
    }
  }

  /** The newest reading (undefined before the first). */
  status(): GroupStatus | undefined {
    return this.last;
  }

  /** A table of members and partitions below the running cell, refreshed every `everyMs`, until stop(). */
  show(options: { everyMs?: number } = {}): LiveDisplay {
    const everyMs = options.everyMs ?? 2000;
    this.timer ??= setInterval(() => void this.refresh().catch(() => undefined), everyMs);
    this.timer.unref();
    this.display = new LiveDisplay(() => {
      const s = this.last;
      const holder = (partition: number) => s?.members.find((m) => m.partitions.includes(partition));
      return tableBundle({
        caption: s
          ? `group '${this.groupId}' on '${this.topic}': ${s.state}, ${s.members.length} member(s), lag ${formatCount(s.lag)}`
          : `group '${this.groupId}' on '${this.topic}': reading...`,
        columns: ['partition', 'member', 'host', 'committed', 'end', 'lag'],
        rows: (s?.partitions ?? []).map((p) => {
          const m = holder(p.partition);
          return [p.partition, m ? m.clientId + ' ' + m.memberId.slice(-8) : '-', m?.host ?? '-', p.committed, p.end, p.lag];
        }),
        note: this.lastError,
      });
    }, everyMs);
    this.display.show();
    return this.display;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.display?.end();
    await this.admin.disconnect();
  }
}
