/**
 * Errors users see. Every failure that reaches a notebook or a terminal is a StreamlabError: one line that says
 * what was wrong, where, and what to do. The cause is kept for debugging but never rendered by default, because
 * causes from client libraries can carry connection strings and stack traces.
 */
export class StreamlabError extends Error {
  override readonly name = 'StreamlabError';
  /** The line without its hint. */
  readonly problem: string;
  /** The hint in magic syntax (`%stop w`, `--time-unit s`), for a cell the user wrote with magics. */
  readonly magicHint?: string;
  constructor(message: string, readonly hint?: string, options?: { cause?: unknown; magicHint?: string }) {
    super(hint ? `${message}: ${hint}` : message, options);
    this.problem = message;
    if (options?.magicHint !== undefined) this.magicHint = options.magicHint;
  }

  /** The line for a user who wrote magics: the magic hint when there is one. */
  get magicLine(): string {
    return this.magicHint === undefined ? this.message : `${this.problem}: ${this.magicHint}`;
  }
  /** The single line shown to users. */
  get line(): string {
    return this.message.replace(/\s*\n\s*/g, ' ');
  }
}

export function isStreamlabError(e: unknown): e is StreamlabError {
  return e instanceof StreamlabError;
}

/**
 * A message from elsewhere (a parser, a client library, a user's decoder) made fit for one line: control characters
 * shown as escapes (JSON.parse quotes its input, newlines and NULs included), and at most `max` characters.
 */
export function oneLineMessage(text: string, max = 200): string {
  const flat = text.replace(/\r\n|\n|\r/g, '\\n').replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return flat.length > max ? `${flat.slice(0, max)}...` : flat;
}

/** Closest candidate by edit distance, for "did you mean" hints; undefined when nothing is close. */
export function didYouMean(input: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(input.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(input.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}
