/**
 * Building blocks of generated TypeScript. User text only ever enters code through lit(), so a topic name or a
 * path can never close a string and inject code.
 */

/** Name under which the kernel's prelude binds the library: `import * as streamlab from '<dist>/src/index'`. */
export const LIBRARY = 'streamlab';
export const SESSION = `${LIBRARY}.session`;

export type Literal = string | number | boolean | readonly string[];

/**
 * A JSON literal. U+2028/U+2029 are escaped although JavaScript allows them in strings: TypeScript counts them
 * as line breaks, which would shift the line numbers of every later diagnostic in the cell.
 */
export function lit(value: Literal): string {
  if (Array.isArray(value)) return `[${value.map((v: string) => lit(v)).join(', ')}]`;
  return JSON.stringify(value).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** lit() of an optional value, for object() fields. */
export function litIf(value: Literal | undefined): string | undefined {
  return value === undefined ? undefined : lit(value);
}

/** `{ a: x, b: y }` from fields whose values are already code; undefined fields are left out. */
export function object(fields: Record<string, string | undefined>): string | undefined {
  const parts = Object.entries(fields)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${k}: ${v}`);
  return parts.length === 0 ? undefined : `{ ${parts.join(', ')} }`;
}

/** A call with trailing undefined arguments dropped, so defaults stay the library's. */
export function call(callee: string, args: (string | undefined)[]): string {
  const given = [...args];
  while (given.length > 0 && given[given.length - 1] === undefined) given.pop();
  return `${callee}(${given.map((a) => a ?? 'undefined').join(', ')})`;
}

/**
 * The statement for a magic line: bound to a const when the user named it, else a bare expression statement so
 * that, as a cell's last line, its value is displayed. Always ends in `;`: the next line may start with `(` or `[`.
 */
export function statement(expression: string, bindTo?: string): string {
  return bindTo === undefined ? `${expression};` : `const ${bindTo} = ${expression};`;
}

/**
 * A magic's statement followed, on the same line (so line numbers stay the user's), by `.show()` of what it made:
 * a ticking table below the cell. Without a name the made thing is shown through a temporary expression.
 */
export function statementThenShow(expression: string, bindTo: string | undefined, show: boolean | undefined): string {
  if (!show) return statement(expression, bindTo);
  return bindTo === undefined ? `void (${expression}).show();` : `${statement(expression, bindTo)} void ${bindTo}.show();`;
}
