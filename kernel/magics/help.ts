/** Help text: the list of magics (%help) and one magic's page (%help NAME, %NAME?, %%NAME?, inspection). */
import { didYouMean } from '../../src';
import { MagicError } from './errors';
import { HELP, MAGICS, findMagic } from './registry';
import { AnyMagicSpec, EXPLAIN_HELP, EXPLAIN_OPTION } from './spec';
import { formsOf, usageLine } from './usage';

export function helpIndex(): string {
  const rows: [string, string][] = [];
  for (const m of MAGICS) {
    const forms = m === HELP ? ['line' as const] : formsOf(m);
    rows.push([forms.map((f) => `${f === 'cell' ? '%%' : '%'}${m.name}`).join(', '), m.summary]);
  }
  return [
    'streamlab magics: each one expands to a call of the streamlab library (add --explain to see the TypeScript).',
    ...table(rows),
    '%help NAME, %NAME? or %%NAME? shows a magic\'s usage, options and examples.',
  ].join('\n');
}

export function magicHelp(spec: AnyMagicSpec): string {
  const forms = spec === HELP ? ['line' as const] : formsOf(spec);
  const lines = [...forms.map((f) => usageLine(spec, f)), '', spec.description];
  if (spec.positionals.length > 0) {
    lines.push('', 'Arguments:', ...table(spec.positionals.map((p) => [p.name, p.help])));
  }
  const options: [string, string][] = Object.entries(spec.options).map(([name, o]) => {
    const written = `${o.alias ? `-${o.alias}, ` : ''}--${name}${o.value ? ` ${o.value.metavar}` : ''}`;
    const only = o.form && forms.length > 1 ? ` (${o.form} form only)` : '';
    return [written, `${o.help}${only}`];
  });
  if (spec !== HELP) options.push([`--${EXPLAIN_OPTION}`, EXPLAIN_HELP]);
  if (options.length > 0) lines.push('', 'Options:', ...table(options));
  lines.push('', 'Examples:', ...spec.examples.map((e) => `  ${e.replace(/\n/g, '\n  ')}`));
  return lines.join('\n');
}

/** The page for a name as users write it: `consume`, `%consume` or `%%produce`. */
export function helpFor(name: string): string {
  const bare = name.replace(/^%{1,2}/, '');
  const spec = findMagic(bare);
  if (spec) return magicHelp(spec);
  const guess = didYouMean(bare, MAGICS.map((m) => m.name));
  throw new MagicError(`%help: no magic named ${name}${guess ? ` (did you mean ${guess}?)` : ''}; usage: ${usageLine(HELP, 'line')}`);
}

function table(rows: [string, string][]): string[] {
  // Long left cells (option names with choices) get their own width rather than pushing every row right.
  const width = Math.min(28, Math.max(...rows.map(([left]) => left.length)));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
}
