/** Usage lines generated from specs (so they cannot drift from what the parser accepts) and the errors that quote them. */
import { MagicError } from './errors';
import { Form, MagicSpec } from './spec';

export function prefix(form: Form): string {
  return form === 'cell' ? '%%' : '%';
}

export function usageLine(spec: MagicSpec, form: Form): string {
  const parts = [`${prefix(form)}${spec.name}`];
  for (const p of spec.positionals) parts.push(p.required ? p.name : `[${p.name}]`);
  for (const [name, o] of Object.entries(spec.options)) {
    if (o.form && o.form !== form) continue;
    const written = o.alias ? `-${o.alias}` : `--${name}`;
    const text = o.value ? `${written} ${o.value.metavar}` : written;
    parts.push(o.required ? text : `[${text}]`);
  }
  if (form === 'cell' && spec.cell) parts.push(`+ body: ${spec.cell.body}`);
  return parts.join(' ');
}

/** The forms a magic has, line form first. */
export function formsOf(spec: MagicSpec): Form[] {
  return [...(spec.line ? ['line' as const] : []), ...(spec.cell ? ['cell' as const] : [])];
}

/** Longest usage an error quotes whole; past it, the error names the required parts and points to `%name?`. */
const QUOTED_USAGE_CHARS = 240;

/**
 * The usage an error ends with. Magics with many options (%window has 20) would make a one-line error several
 * hundred characters long, burying what was wrong, so their errors quote the required parts and point to the help.
 */
export function errorUsage(spec: MagicSpec, form: Form): string {
  const full = usageLine(spec, form);
  if (full.length <= QUOTED_USAGE_CHARS) return full;
  const parts = [`${prefix(form)}${spec.name}`];
  for (const p of spec.positionals) parts.push(p.required ? p.name : `[${p.name}]`);
  for (const [name, o] of Object.entries(spec.options)) {
    if (!o.required || (o.form && o.form !== form)) continue;
    const written = o.alias ? `-${o.alias}` : `--${name}`;
    parts.push(o.value ? `${written} ${o.value.metavar}` : written);
  }
  parts.push('[OPTIONS]');
  if (form === 'cell' && spec.cell) parts.push(`+ body: ${spec.cell.body}`);
  return `${parts.join(' ')} (${prefix(form)}${spec.name}? lists every option)`;
}

export function magicError(spec: MagicSpec, form: Form, what: string, guess?: string): MagicError {
  return new MagicError(`${prefix(form)}${spec.name}: ${what}${guess ? ` (did you mean ${guess}?)` : ''}; usage: ${errorUsage(spec, form)}`);
}
