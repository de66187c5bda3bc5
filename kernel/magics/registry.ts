/**
 * The magics, in the order %help lists them. A new magic is a spec file in specs/ and one entry here; parsing,
 * help, completion and inspection pick it up from the spec.
 */
import { didYouMean } from '../../src';
import { MagicError } from './errors';
import { AnyMagicSpec, Form } from './spec';
import { formsOf, prefix } from './usage';
import { connect } from './specs/connect';
import { topics, streams } from './specs/topics';
import { peek } from './specs/peek';
import { consume } from './specs/consume';
import { produce } from './specs/produce';
import { stop, pause, resume } from './specs/control';
import { help } from './specs/help';
import { window } from './specs/window';
import { plot } from './specs/plot';
import { train, score } from './specs/models';
import { table, join } from './specs/join';
import { detect } from './specs/detect';

export const MAGICS: readonly AnyMagicSpec[] = [connect, topics, peek, consume, window, table, join, plot, train, score, detect, produce, streams, stop, pause, resume, help];

export const HELP = help;

/** `%name` for each line form and `%%name` for each cell form; help counts as a line magic. */
export function writtenNames(form?: Form): string[] {
  return MAGICS.flatMap((m) => (m === HELP ? (['line'] as Form[]) : formsOf(m)).filter((f) => !form || f === form).map((f) => `${prefix(f)}${m.name}`));
}

export function findMagic(name: string): AnyMagicSpec | undefined {
  return MAGICS.find((m) => m.name === name);
}

/** The spec for `%name` / `%%name`, or a MagicError saying what the user may have meant. */
export function lookupMagic(name: string, form: Form): AnyMagicSpec {
  const spec = findMagic(name);
  if (spec && (spec === HELP ? form === 'line' : formsOf(spec).includes(form))) return spec;
  const written = `${prefix(form)}${name}`;
  if (spec) {
    const other = form === 'cell' ? 'line' : 'cell';
    const where = form === 'cell' ? 'is not a cell magic' : 'is only a cell magic';
    throw new MagicError(`${written} ${where}: use ${prefix(other)}${name}`);
  }
  const guess = didYouMean(written, writtenNames(form));
  throw new MagicError(`unknown magic ${written}${guess ? ` (did you mean ${guess}?)` : ''}; %help lists the magics`);
}
