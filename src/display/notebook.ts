/**
 * The `notebook` object cells get: show a value below the running cell, replace it in place, show a raw bundle,
 * clear, open a comm. It goes through the notebook output interface (src/output); outside a notebook it prints.
 */
import { randomUUID } from 'node:crypto';
import { StreamlabError } from '../errors';
import { CommData, MimeBundle, OutputComm, notebookOutput } from '../output/notebookOutput';
import { mimeBundleOf } from './mimeBundle';

export const notebook = {
  /** Shows a value below the running cell; returns a display id that update() can replace in place. */
  display(value: unknown, options: { id?: string } = {}): string {
    const id = options.id ?? randomUUID();
    const bundle = mimeBundleOf(value);
    const output = notebookOutput();
    if (output) output.display(bundle, id, false);
    else console.log(bundle['text/plain']);
    return id;
  },

  /** Replaces what an earlier display(…) with this id shows, wherever it is in the notebook. */
  update(id: string, value: unknown): void {
    const bundle = mimeBundleOf(value);
    const output = notebookOutput();
    if (output) output.display(bundle, id, true);
    else console.log(bundle['text/plain']);
  },

  /** A raw MIME bundle, e.g. { 'text/html': '<b>hi</b>' }. */
  displayBundle(bundle: MimeBundle, options: { id?: string; update?: boolean } = {}): string {
    const id = options.id ?? randomUUID();
    const output = notebookOutput();
    if (output) output.display(bundle, id, options.update ?? false);
    else console.log(bundle['text/plain'] ?? JSON.stringify(bundle));
    return id;
  },

  /** Clears the running cell's output (with wait, only when new output arrives: flicker-free refresh). */
  clear(options: { wait?: boolean } = {}): void {
    notebookOutput()?.clear(options.wait ?? false);
  },

  /** Opens a comm to a frontend target (the streamlab extension registers its own). */
  openComm(target: string, data: CommData = {}): OutputComm {
    const output = notebookOutput();
    if (!output) throw new StreamlabError('comms need a notebook frontend', 'run this in the streamlab kernel');
    return output.openComm(target, data);
  },
};

export type Notebook = typeof notebook;
