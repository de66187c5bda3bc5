/**
 * The notebook output interface: what the library may do to a notebook (show a MIME bundle, replace it in place,
 * clear, open a comm to the frontend) without knowing who renders it. The kernel implements it, and so will a
 * headless notebook runner; live outputs (charts, status lines, ticking tables) use nothing else, so nothing in
 * src/ imports the kernel. Outside any of them (a plain Node script) displays fall back to the console.
 */
import { randomUUID } from 'node:crypto';
import { StreamlabError } from '../errors';
import { MimeBundle, mimeBundleOf } from './mimeBundle';

export type CommData = Record<string, unknown>;

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

/** The attached frontend, if any: live outputs check it to decide between a live display and console text. */
export function notebookOutput(): NotebookOutput | undefined {
  return output;
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
  openComm(target: string, data: CommData = {}): OutputComm {
    if (!output) throw new StreamlabError('comms need a notebook frontend', 'run this in the streamlab kernel');
    return output.openComm(target, data);
  },
};

export type Notebook = typeof notebook;
