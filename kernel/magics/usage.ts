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

export function magicError(spec: MagicSpec, form: Form, what: string, guess?: string): MagicError {
  return new MagicError(`${prefix(form)}${spec.name}: ${what}${guess ? ` (did you mean ${guess}?)` : ''}; usage: ${usageLine(spec, form)}`);
}
