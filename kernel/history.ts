/**
 * The inputs of this kernel's session for history_request: tail, range and search (glob patterns, unique).
 * Kept in memory and bounded: a kernel that runs for days keeps its newest entries.
 */
export type HistoryEntry = [session: number, line: number, input: string];
/** With `output: true`, IPython's form: the input and the text of the cell's result (null when it had none). */
export type HistoryEntryWithOutput = [session: number, line: number, inOut: [input: string, output: string | null]];

export interface HistoryRequest {
  hist_access_type?: 'tail' | 'range' | 'search';
  session?: number;
  start?: number;
  stop?: number | null;
  n?: number;
  pattern?: string;
  unique?: boolean;
  output?: boolean;
}

const SESSION = 1;

/** Results longer than this are cut in history: it is for recall, not for storing data. */
const OUTPUT_CHARS = 2000;

export class History {
  private entries: HistoryEntry[] = [];
  private readonly outputs = new Map<number, string>();

  constructor(private readonly limit = 10_000) {}

  add(line: number, input: string, output?: string): void {
    this.entries.push([SESSION, line, input]);
    if (output !== undefined) this.outputs.set(line, output.slice(0, OUTPUT_CHARS));
    if (this.entries.length > this.limit * 1.25) {
      this.entries = this.entries.slice(-this.limit);
      const oldest = this.entries[0]![1];
      for (const kept of this.outputs.keys()) if (kept < oldest) this.outputs.delete(kept);
    }
  }

  query(request: HistoryRequest): HistoryEntry[] | HistoryEntryWithOutput[] {
    const found = this.select(request);
    if (!request.output) return found;
    return found.map(([session, line, input]): HistoryEntryWithOutput => [session, line, [input, this.outputs.get(line) ?? null]]);
  }

  private select(request: HistoryRequest): HistoryEntry[] {
    switch (request.hist_access_type ?? 'tail') {
      case 'tail':
        return request.n && request.n > 0 ? this.entries.slice(-request.n) : [...this.entries];
      case 'range': {
        // Session 0 (or the negative offsets IPython uses for earlier sessions) means this session here.
        if (request.session !== undefined && request.session > 0 && request.session !== SESSION) return [];
        const start = request.start ?? 0;
        const stop = request.stop ?? Infinity;
        return this.entries.filter(([, line]) => line >= start && line < stop);
      }
      case 'search': {
        const pattern = globToRegExp(request.pattern ?? '*');
        let found = this.entries.filter(([, , input]) => pattern.test(input));
        if (request.unique) {
          const seen = new Set<string>();
          found = found.reverse().filter(([, , input]) => !seen.has(input) && seen.add(input)).reverse();
        }
        return request.n && request.n > 0 ? found.slice(-request.n) : found;
      }
      default:
        return [];
    }
  }
}

/** IPython's history search takes shell globs (* and ?) matched against the whole input. */
function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[\\s\\S]*').replace(/\?/g, '[\\s\\S]');
  return new RegExp(`^${body}$`);
}
