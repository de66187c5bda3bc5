/**
 * Reference data from a CSV file (card profiles, a product catalogue) as rows for a table. papaparse reads it (the
 * same parser as the csv decoder): a header row names the fields, numbers and booleans are typed, empty cells are
 * null. A file that cannot be read or has no rows fails in one line naming the file.
 */
import fs from 'node:fs';
import Papa from 'papaparse';
import { StreamlabError } from '../errors';

export function readReferenceCsv(file: string): Record<string, unknown>[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new StreamlabError(`cannot read the CSV file '${file}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'check the path (it is relative to the notebook\'s directory)');
  }
  const parsed = Papa.parse<Record<string, unknown>>(text, { header: true, dynamicTyping: true, skipEmptyLines: true });
  const bad = parsed.errors.find((e) => e.type !== 'Delimiter');
  if (bad) {
    throw new StreamlabError(`the CSV file '${file}' is malformed at row ${(bad.row ?? 0) + 2}: ${bad.message}`, 'fix that row (quote fields that hold commas), or export the file again');
  }
  if (parsed.data.length === 0) throw new StreamlabError(`the CSV file '${file}' has no rows under its header`, 'give a file with a header row and at least one row');
  return parsed.data.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === undefined ? null : v])));
}
