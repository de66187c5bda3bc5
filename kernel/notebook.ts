/**
 * The notebook API cells get as `notebook`: rich display, updatable displays (live tables and charts), clearing
 * output, and comms to the frontend. The kernel attaches its output channel at start; outside a kernel (a plain
 * Node script) displays fall back to the console so the same code still runs.
 */
import { randomUUID } from 'node:crypto';
import { Comm, CommData } from './comms';
import { MimeBundle, mimeBundleOf } from './display';

export interface NotebookOutput {
  display(bundle: MimeBundle, displayId: string | undefined, update: boolean): void;
  clear(wait: boolean): void;
  openComm(target: string, data: CommData): Comm;
}

let output: NotebookOutput | undefined;

/** @internal The kernel's hook. */
export function attachNotebookOutput(o: NotebookOutput | undefined): void {
  output = o;
}

export const notebook = {
  /** Shows a value below the running cell; returns a display id that update() can replace in place. */
  display(value: unknown, options: { id?: string } = {}): string {
    const id = options.id ?? randomUUID();
    const bundle = mimeBundleOf(value);
    if (output) output.display(bundle, id, false);
    else console.log(bundle['text/plain']);
    return id;
  },

  /** Replaces what an earlier display(…) with this id shows, wherever it is in the notebook. */
  update(id: string, value: unknown): void {
    const bundle = mimeBundleOf(value);
    if (output) output.display(bundle, id, true);
    else console.log(bundle['text/plain']);
  },

  /** A raw MIME bundle, e.g. { 'text/html': '<b>hi</b>' }. */
  displayBundle(bundle: MimeBundle, options: { id?: string; update?: boolean } = {}): string {
    const id = options.id ?? randomUUID();
    if (output) output.display(bundle, id, options.update ?? false);
    else console.log(bundle['text/plain'] ?? JSON.stringify(bundle));
    return id;
  },

  /** Clears the running cell's output (with wait, only when new output arrives: flicker-free refresh). */
  clear(options: { wait?: boolean } = {}): void {
    output?.clear(options.wait ?? false);
  },

  /** Opens a comm to a frontend target (the streamlab extension registers its own). */
  openComm(target: string, data: CommData = {}): Comm {
    if (!output) throw new Error('comms need a running kernel');
    return output.openComm(target, data);
  },
};

export type Notebook = typeof notebook;
