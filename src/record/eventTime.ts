/**
 * Event time of a decoded value: a field holding epoch milliseconds, an ISO-8601 string or a Date.
 * Returns NaN when the field is missing or unreadable; the caller dead-letters the record.
 */
export function eventTimeOf(value: unknown, field: string): number {
  if (value === null || typeof value !== 'object') return NaN;
  const raw = (value as Record<string, unknown>)[field];
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'string') return raw.trim() !== '' && /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (raw instanceof Date) return raw.getTime();
  return NaN;
}
