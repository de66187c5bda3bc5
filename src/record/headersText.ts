import type { HeaderValue, RecordHeaders } from './streamRecord';

/** Headers as one line of text for tables: name=value, bytes as hex (shortened). */
export function headersText(headers: RecordHeaders | undefined): string {
  if (!headers) return '';
  const one = (v: HeaderValue) => (typeof v === 'string' ? v : `0x${v.subarray(0, 16).toString('hex')}${v.length > 16 ? '…' : ''}`);
  return Object.keys(headers)
    .map((name) => {
      const v = headers[name]!;
      return `${name}=${Array.isArray(v) ? v.map(one).join('|') : one(v)}`;
    })
    .join(' ');
}
