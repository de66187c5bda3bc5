/** %help: the magics' own documentation. It runs no TypeScript, so it has no expansion; help.ts renders it. */
import { defineMagic } from '../spec';
import { text } from '../values';

export const help = defineMagic({
  name: 'help',
  summary: 'list the magics, or show one magic\'s usage, options and examples (also %NAME?)',
  description: 'Lists the magics; with a NAME (with or without its %), shows its usage, options and examples.',
  positionals: [{ name: 'NAME', help: 'a magic name', required: false, value: text('NAME', 'magic') }],
  options: {},
  examples: ['%help', '%help consume', '%consume?', '%%produce?'],
});
