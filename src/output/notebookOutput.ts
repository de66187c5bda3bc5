/**
 * The notebook output interface: what the library may do to a notebook (show a MIME bundle, replace it in place,
 * clear, talk to frontend objects over comms) without knowing who renders it. The kernel implements it, and so does
 * the headless notebook runner; every live output (charts, status lines, ticking tables, progress bars) uses
 * nothing else, so nothing in src/ imports the kernel. It sits low in the library so that streams can show
 * themselves. Outside a notebook (a plain Node script) nothing is attached and live outputs stay silent.
 */

export type MimeBundle = Record<string, unknown>;
export type CommData = Record<string, unknown>;

/** Objects may offer their own rich display under this symbol (or a `toMimeBundle()` method). */
export const MIME_BUNDLE = Symbol.for('streamlab.mimeBundle');

/**
 * Set (true) on a value that has already shown itself below the cell (a live display, a ticking table): the kernel
 * then gives the cell no result of its own, so `w.show()` as a cell's last line shows the table once, not twice.
 */
export const SHOWN_ABOVE = Symbol.for('streamlab.shownAbove');

export function isShownAbove(value: unknown): boolean {
  return value !== null && typeof value === 'object' && (value as { [SHOWN_ABOVE]?: unknown })[SHOWN_ABOVE] === true;
}

/** A channel to one frontend object (a chart's renderer, the Streams panel). */
export interface OutputComm {
  readonly id: string;
  send(data: CommData): void;
  close(data?: CommData): void;
  onMessage(handler: (data: CommData) => void): void;
  onClose(handler: (data: CommData) => void): void;
  readonly closed: boolean;
}

export interface NotebookOutput {
  display(bundle: MimeBundle, displayId: string | undefined, update: boolean): void;
  clear(wait: boolean): void;
  openComm(target: string, data: CommData): OutputComm;
  /** Comms a frontend opens to `target` (a chart's renderer asking for its frames) reach `handler`. */
  registerCommTarget(target: string, handler: (comm: OutputComm, data: CommData) => void): void;
}

let output: NotebookOutput | undefined;

/** Attaches the frontend: the kernel at its start, a notebook runner, or a test. */
export function attachNotebookOutput(o: NotebookOutput | undefined): void {
  output = o;
}

/** The attached frontend, if any: live outputs check it to decide whether to show themselves. */
export function notebookOutput(): NotebookOutput | undefined {
  return output;
}
