/**
 * What the chart benches share: their `--name number` flags, quantiles, and the notebook cells of a live chart fed
 * at a fixed rate over 8 traces (chartBrowser.ts measures it, chartProfile.ts explains it).
 */

/** The q-quantile of xs (nearest rank below); NaN when empty. */
export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))]! : NaN;
}

/** `--name value` pairs, every value a positive number; `defaults` names the flags and their values when absent. */
export function numberFlags<T extends Record<string, number>>(argv: string[], defaults: T): T {
  const flags = new Map<string, number>();
  for (let i = 0; i < argv.length; i += 2) flags.set(argv[i]!.replace(/^--/, ''), Number(argv[i + 1]));
  const out: Record<string, number> = {};
  for (const [k, d] of Object.entries(defaults)) {
    const flag = k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    const v = flags.get(flag) ?? d;
    if (!Number.isFinite(v) || v <= 0) throw new Error(`--${flag} must be a positive number`);
    out[k] = v;
  }
  return out as T;
}

/** The feed: `rate` points/s over 8 traces, in 100 batches a second, timestamped with the wall clock. */
export function feedCell(rate: number): string {
  return `(globalThis as any).__feed = setInterval(() => { const now = Date.now(); const rows = []; for (let i = 0; i < ${Math.round(rate / 100)}; i++) { const s = ((globalThis as any).__seq = ((globalThis as any).__seq ?? 0) + 1); rows.push({ time: now, sensor: 's' + (s % 8), value: Math.sin(s / 4000) * 5 + (s % 8) * 3 + Math.random() }); } (globalThis as any).__sink(rows); }, 10);`;
}

/** A live chart named 'bench' over the last 5 minutes, one trace per sensor, and the feed into it. */
export function liveChartCells(rate: number): string[] {
  return [
    "const chart = await streamlab.session.plot(undefined, { y: 'value', by: 'sensor', last: '5m', title: 'bench', name: 'bench' });\n(globalThis as any).__sink = (rows: object[]) => chart.push(rows);",
    feedCell(rate),
  ];
}
