/**
 * Text from data (record keys, field names, topic names) on its way into places that read markup or code: pure and
 * dependency-free, so the kernel and the extension use the same rules.
 */

/**
 * Text as plotly shows it, not as markup: plotly renders a subset of HTML in trace names, titles and hover text
 * (<a href>, <span style>, <b>), and decodes entities, so escaping &, < and > shows a key such as
 * `<a href=...>` as the characters it is.
 */
export function plotlyText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Kafka's own rule for topic names: such a name can stand in a magic line as it is. */
export function isPlainTopicName(name: string): boolean {
  return /^[A-Za-z0-9._-]{1,249}$/.test(name) && name !== '.' && name !== '..';
}

/** A string as a TypeScript string literal that evaluates to exactly that string (U+2028/9 escaped too). */
export function stringLiteral(text: string): string {
  return JSON.stringify(text).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * The code a panel inserts to peek at or consume a topic: the magic when the name is one Kafka accepts, else the
 * plain TypeScript it expands to with the name as a string literal, since a magic is one line of words and a
 * name with a newline, a quote or a space (the embedded broker accepts any) would break out of it.
 */
export function topicCell(action: 'peek' | 'consume', topic: string, variable: string, format?: string): string {
  const decoder = format === undefined ? undefined : DECODER_OF_FORMAT[format];
  if (isPlainTopicName(topic)) {
    const flag = decoder ? ` --decoder ${decoder}` : '';
    return action === 'peek' ? `%peek ${topic} -n 20${flag}` : `%consume ${topic} --as ${variable} --from earliest${flag}`;
  }
  const name = stringLiteral(topic);
  const option = decoder ? `, decoder: '${decoder}'` : '';
  return action === 'peek'
    ? `await streamlab.session.peek(${name}, 20${decoder ? `, { decoder: '${decoder}' }` : ''})`
    : `const ${variable} = await streamlab.session.consume({ topic: ${name}, name: '${variable}', from: 'earliest'${option} });`;
}

/**
 * The decoder a detected format needs when it is not the default one (JSON, or `auto` with a registry, reads the
 * rest): the inserted cell then reads the topic as it is.
 */
const DECODER_OF_FORMAT: Record<string, string | undefined> = { text: 'string', number: 'number', binary: 'bytes' };
