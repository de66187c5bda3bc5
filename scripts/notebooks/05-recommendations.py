import os, sys
sys.path.insert(0, os.path.dirname(__file__))
from nbtools import code, md, write
write(os.path.join(os.path.dirname(__file__), '..', '..', 'notebooks', '05-recommendations.ipynb'), [
md("""# Recommendations: top-k items per user, updating live from a click stream

Generated click events (users with a taste for two of ten categories); an item-to-item **co-occurrence** model (items clicked by the same user close together) built from the history and then kept current by the live stream, record by record, in bounded memory; each user's **top 10** updating in a ticking table. How good is it? Each live click is checked against the user's top 10 *before* the click updates the model: the hit rate, next to recommending the most popular items."""),
code("""// Parameters (streamlab run -p users=5000 ...)
const users = 2000;
const seed = 9;""", ['parameters']),
code("%connect"),
md("""**The clicks**, generated in plain TypeScript (seeded): 300 items in 10 categories with Zipf-like popularity inside each; every user prefers two categories (80 % of their clicks), the rest goes anywhere."""),
code("""function rng(s: number) { return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32); }
const random = rng(seed);
const ITEMS = 300, CATEGORIES = 10, PER = ITEMS / CATEGORIES;
const zipf = (n: number) => Math.min(n - 1, Math.floor(Math.pow(random(), 2.2) * n));
const taste = Array.from({ length: users }, () => [Math.floor(random() * CATEGORIES), Math.floor(random() * CATEGORIES)]);
type Click = { user: string; item: string; time: number };
function clicks(n: number, from: number): Click[] {
  return Array.from({ length: n }, (_, i) => {
    const u = Math.floor(random() * users);
    const category = random() < 0.8 ? taste[u]![Math.floor(random() * 2)]! : Math.floor(random() * CATEGORIES);
    return { user: `u${u}`, item: `item-${category * PER + zipf(PER)}`, time: from + i * 50 };
  });
}
const start = Date.parse('2026-03-01T00:00:00Z');
const history = clicks(60_000, start);
const future = clicks(20_000, start + 60_000 * 50);
await streamlab.session.produce('clicks', history, { keyField: 'user', timeField: 'time', createTopic: { partitions: 1, retentionMs: -1 } })"""),
md("""**The model**: for each user the last 20 items they clicked (a bounded ring per user); each click of item *j* adds one to *co(i, j)* for every item *i* in that ring. A user's recommendations are the items with the highest summed co-occurrence with their recent items (divided by the square root of an item's popularity, so that popular items do not win everywhere), excluding those. Memory is bounded by items x items and users x 20."""),
code("""const RECENT = 20;
const recent = new Map<string, string[]>();
const co = new Map<string, Map<string, number>>();
const popularity = new Map<string, number>();
function learn(c: { user: string; item: string }) {
  const mine = recent.get(c.user) ?? [];
  for (const i of mine) {
    if (i === c.item) continue;
    for (const [a, b] of [[i, c.item], [c.item, i]] as const) {
      const row = co.get(a) ?? new Map<string, number>();
      row.set(b, (row.get(b) ?? 0) + 1);
      co.set(a, row);
    }
  }
  mine.push(c.item);
  if (mine.length > RECENT) mine.shift();
  recent.set(c.user, mine);
  popularity.set(c.item, (popularity.get(c.item) ?? 0) + 1);
}
function recommend(user: string, k = 10): string[] {
  const mine = new Set(recent.get(user) ?? []);
  const score = new Map<string, number>();
  for (const i of mine) for (const [j, n] of co.get(i) ?? []) if (!mine.has(j)) score.set(j, (score.get(j) ?? 0) + n / Math.sqrt(popularity.get(j) ?? 1));
  return [...score].sort((a, b) => b[1] - a[1]).slice(0, k).map(([j]) => j);
}
function popular(user: string, k = 10): string[] {
  const mine = new Set(recent.get(user) ?? []);
  return [...popularity].filter(([j]) => !mine.has(j)).sort((a, b) => b[1] - a[1]).slice(0, k).map(([j]) => j);
}"""),
md("""**History first**: the topic from its first click; `caughtUp()` waits until the stream has read what the topic held."""),
code("%consume clicks --as stream --from earliest --time-field time"),
code("""const hits = { model: 0, popular: 0, checked: 0 };
// An object, not a `let`: a later cell flips it, and the subscriber sees the change.
const phase = { live: false };
stream.subscribe((batch) => {
  for (const r of batch) {
    const c = r.value as { user: string; item: string };
    if (phase.live && (recent.get(c.user)?.length ?? 0) >= 3) {
      hits.checked++;
      if (recommend(c.user).includes(c.item)) hits.model++;
      if (popular(c.user).includes(c.item)) hits.popular++;
    }
    learn(c);
  }
});
await stream.caughtUp();
({ clicksLearned: stream.metrics().records, users: recent.size, itemPairs: [...co.values()].reduce((n, m) => n + m.size, 0) })"""),
md("""**Live**: the next 20,000 clicks arrive; every click is first checked against the user's current top 10, then learned. Below, eight users' top 5, ticking as the stream moves."""),
code("""const watched = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7', 'u8'];
const board = new streamlab.LiveDisplay(() => streamlab.tableBundle({
  caption: `top 5 per user after ${streamlab.formatCount(stream.metrics().records)} clicks`,
  columns: ['user', 'likes', '1', '2', '3', '4', '5'],
  rows: watched.map((u) => [u, taste[Number(u.slice(1))]!.map((c) => `cat ${c}`).join(', '), ...recommend(u, 5)]),
}), 500);
board.show();
phase.live = true;
await streamlab.session.produce('clicks', future, { keyField: 'user', timeField: 'time' });
await stream.until(history.length + future.length);
board.end();"""),
md("""**How good is it?** The share of live clicks that were in the user's top 10 just before, for the co-occurrence model and for the ten most popular items."""),
code("""const verdict = { clicksChecked: hits.checked, hitRateModel: Number((hits.model / hits.checked).toFixed(3)), hitRatePopular: Number((hits.popular / hits.checked).toFixed(3)), lift: Number((hits.model / Math.max(1, hits.popular)).toFixed(2)) };
// The notebook checks itself: CI runs it, and a model no better than popularity fails here.
if (hits.checked < 10_000 || verdict.lift < 1.5) throw new Error(`the recommender fell short: ${JSON.stringify(verdict)}`);
verdict"""),
code("%stop all"),
])
