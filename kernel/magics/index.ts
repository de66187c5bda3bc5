/**
 * The kernel's magics: `%line` and `%%cell` magics expanded into plain TypeScript calls of the streamlab library,
 * plus their help, completion and inspection. This file is the contract the kernel calls.
 */
import { writtenNames } from './registry';

export { LIBRARY } from './codegen';
export { MagicError } from './errors';
export { ExpandedCell, expandCell, expandCellForTooling, expandedOffset, isMagicCell } from './expand';
export { MagicCompletion, CompletionContext, completeMagic, inspectMagic } from './complete';

/** The magics as written: `%name` for each line form, `%%name` for each cell form (e.g. `%produce`, `%%produce`). */
export function magicNames(): string[] {
  return writtenNames();
}
