/**
 * How a frontend folds a TraceUpdate into the points it holds: the other half of the frame protocol in
 * messages.ts. Pure and dependency-free, so the extension runs it in the browser and the kernel's tests check it
 * against the kernel's own view of every trace.
 */
import type { TraceUpdate } from './messages';

export interface TracePoints {
  x: (number | string)[];
  y: number[];
  text?: string[];
}

/** Applies one update in place and returns the points (the same object, or a new one for 'replace'). */
export function mergeTrace(points: TracePoints | undefined, u: TraceUpdate): TracePoints {
  let p: TracePoints;
  if (u.mode === 'replace' || points === undefined) {
    p = { x: [...u.x], y: [...u.y], ...(u.text ? { text: [...u.text] } : {}) };
  } else if (u.mode === 'append') {
    p = points;
    p.x.push(...u.x);
    p.y.push(...u.y);
    if (u.text) (p.text ??= []).push(...u.text);
    if (u.keep !== undefined && p.x.length > u.keep) {
      const drop = p.x.length - u.keep;
      p.x.splice(0, drop);
      p.y.splice(0, drop);
      p.text?.splice(0, drop);
    }
  } else {
    p = points;
    if (u.from !== undefined) {
      // Points are sorted by x; the replaced tail starts at the first point at or after `from`.
      let i = p.x.length;
      while (i > 0 && Number(p.x[i - 1]) >= u.from) i--;
      p.x.length = i;
      p.y.length = i;
      if (p.text) p.text.length = i;
    }
    p.x.push(...u.x);
    p.y.push(...u.y);
    if (u.text) (p.text ??= []).push(...u.text);
  }
  if (u.xMin !== undefined) {
    let n = 0;
    while (n < p.x.length && Number(p.x[n]) < u.xMin) n++;
    if (n > 0) {
      p.x.splice(0, n);
      p.y.splice(0, n);
      p.text?.splice(0, n);
    }
  }
  return p;
}
