// PLACEHOLDER written by the lead so the build stays green: the magics helper replaces this whole file.
export const LIBRARY = 'streamlab';
export class MagicError extends Error {}
export interface ExpandedCell { code: string; explain?: string; help?: string }
export function expandCell(cell: string): ExpandedCell { return { code: cell }; }
export function isMagicCell(cell: string): boolean { return /^\s*%/m.test(cell); }
export interface MagicCompletion { matches: string[]; cursorStart: number; cursorEnd: number }
export async function completeMagic(_cell: string, _cursor: number, _ctx: { topics(): Promise<string[]>; streams(): string[] }): Promise<MagicCompletion | undefined> { return undefined; }
export function inspectMagic(_cell: string, _cursor: number): string | undefined { return undefined; }
export function expandedOffset(_cell: string, cursor: number): number { return cursor; }
export function magicNames(): string[] { return []; }
