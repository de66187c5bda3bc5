/**
 * A bar per key with the key's latest value (latest reading per sensor, say): a map, bounded by `maxKeys` (the key
 * updated longest ago goes first), sent whole since it is small.
 */
import type { TraceUpdate } from '../../protocol/messages';

export class BarTrace {
  private readonly values = new Map<string, number>();
  private changed = true;
  evicted = 0;

  constructor(
    readonly id: string,
    readonly name: string,
    readonly maxKeys: number,
  ) {}

  get size(): number {
    return this.values.size;
  }

  set(key: string, y: number): void {
    // Re-inserting moves the key to the end, so the map's first key is the one updated longest ago.
    this.values.delete(key);
    this.values.set(key, y);
    if (this.values.size > this.maxKeys) {
      this.values.delete(this.values.keys().next().value!);
      this.evicted++;
    }
    this.changed = true;
  }

  clear(): void {
    this.values.clear();
    this.changed = true;
  }

  invalidate(): void {
    this.changed = true;
  }

  takeUpdate(): TraceUpdate | undefined {
    if (!this.changed) return undefined;
    this.changed = false;
    const { x, y } = this.bars();
    return { id: this.id, name: this.name, role: 'series', mode: 'replace', x, y };
  }

  bars(): { x: string[]; y: number[] } {
    const keys = [...this.values.keys()].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    return { x: keys, y: keys.map((k) => this.values.get(k)!) };
  }
}
