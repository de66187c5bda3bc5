import os, sys
sys.path.insert(0, os.path.dirname(__file__))
from nbtools import code, md, write

# The aggregates of the per-card windows, the same over the history and over the held-out day.
AGGREGATES = 'distinct(id),min(amount),max(amount),max(shareOfLimit),count(declines.reason),max(abroad),max(isFraud)'

write(os.path.join(os.path.dirname(__file__), '..', '..', 'notebooks', '08-enrichment.ipynb'), [
md("""# Enrichment: payments joined with card profiles and recent declines, then a fraud classifier

Generated card payments (the idea of `04-fraud-detection`) are enriched before they are windowed: each payment is joined with the declined authorisations of its card in the ten minutes before it (a stream-stream join of the topics `card-payments` and `declines`), and with its card's profile (country, limit) from a table of the topic `cards`, where one card's limit is raised and another card is closed along the way (a tombstone). Per-card 10-minute windows over the joined stream turn it into features, the enrichment among them: the largest share of the card's limit spent at once, declines just before a payment, a payment abroad. A logistic classifier learns from three days of history and is measured on a fourth day it never saw, replayed through the same pipeline, next to the same classifier without the enrichment features."""),
code("""// Parameters (streamlab run -p cardCount=800 ...)
const cardCount = 500;
const seed = 8;""", ['parameters']),
code("%connect"),
md("""**The data**, generated in plain TypeScript (seeded, so every run is the same). Each card has a profile: a home country, a limit, the date it was opened. A card pays about once every two hours, amounts log-normal and larger on cards with larger limits; 4 % of payments are made abroad; now and then an authorisation is declined and the payment goes through a few minutes later (a wrong PIN). 6 % of cards are stolen once: the thief first tests the card (one to three declined attempts), then drains it with two to five payments of a quarter to nine tenths of its limit, mostly abroad, some of them followed by a decline for going over the limit. An amount alone gives a thief away less well than it seems: what drains a card with a limit of 1,000 is a large but ordinary purchase on one of 10,000; the profile and the declines tell them apart. Each payment carries its label `isFraud`, as a bank's chargeback data would, later."""),
code("""function rng(s: number) { return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32); }
const random = rng(seed);
const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
const cents = (x: number) => Math.round(x * 100) / 100;
const minute = 60_000, hour = 3_600_000, day = 86_400_000;
const start = Date.parse('2026-03-02T00:00:00Z');
const countries = ['NL', 'DE', 'BE', 'FR', 'ES', 'IT', 'GB', 'US', 'CA', 'JP'];
type Profile = { card: string; country: string; limit: number; opened: string; time: number };
type Payment = { id: number; card: string; time: number; amount: number; country: string; isFraud: number };
type Decline = { card: string; time: number; amount: number; reason: string };
const profiles: Profile[] = Array.from({ length: cardCount }, (_, c) => ({
  card: `card-${String(c).padStart(4, '0')}`,
  country: pick(countries.slice(0, 7)),
  limit: pick([500, 1000, 1500, 2000, 3000, 5000, 10_000]),
  opened: new Date(start - (200 + random() * 3000) * day).toISOString().slice(0, 10),
  time: start - day,
}));
let nextId = 1;
function activity(fromDay: number, days: number): { payments: Payment[]; declines: Decline[] } {
  const payments: Payment[] = [];
  const declines: Decline[] = [];
  const from = start + fromDay * day;
  const to = from + days * day;
  for (const p of profiles) {
    const basket = Math.sqrt(p.limit / 2000);
    const abroad = () => pick(countries.filter((c) => c !== p.country));
    for (let t = from + random() * 2 * hour; t < to; t += -Math.log(1 - random()) * 2 * hour) {
      const amount = cents(Math.exp(3.4 + 0.9 * normal()) * basket);
      payments.push({ id: 0, card: p.card, time: Math.round(t), amount, country: random() < 0.04 ? abroad() : p.country, isFraud: 0 });
      if (random() < 0.015) declines.push({ card: p.card, time: Math.round(t - (0.5 + random() * 4) * minute), amount, reason: pick(['pin', 'expired', 'network']) });
    }
    if (random() < 0.06) {
      let t = from + 15 * minute + random() * (days * day - 3 * hour);
      const where = random() < 0.7 ? abroad() : p.country;
      for (let k = 1 + Math.floor(random() * 3); k > 0; k--) declines.push({ card: p.card, time: Math.round(t - (0.5 + random() * 8) * minute), amount: cents(1 + random() * 4), reason: pick(['cvv', 'expiry', 'do-not-honour']) });
      for (let n = 2 + Math.floor(random() * 4); n > 0; n--, t += (4 + random() * 11) * minute) {
        payments.push({ id: 0, card: p.card, time: Math.round(t), amount: cents(p.limit * (0.25 + 0.65 * random())), country: where, isFraud: 1 });
        if (random() < 0.3) declines.push({ card: p.card, time: Math.round(t + (0.2 + random() * 2) * minute), amount: cents(p.limit * (0.6 + 0.6 * random())), reason: 'over-limit' });
      }
    }
  }
  payments.sort((a, b) => a.time - b.time);
  for (const p of payments) p.id = nextId++;
  return { payments, declines: declines.sort((a, b) => a.time - b.time) };
}
const history = activity(0, 3);
const nextDay = activity(3, 1);
({
  cards: profiles.length,
  history: `${history.payments.length} payments (${history.payments.filter((p) => p.isFraud).length} fraudulent), ${history.declines.length} declines`,
  nextDay: `${nextDay.payments.length} payments (${nextDay.payments.filter((p) => p.isFraud).length} fraudulent), ${nextDay.declines.length} declines`,
})"""),
md("""**The card profiles** go to the topic `cards`, keyed by card id, as a card system keeps them in a compacted topic (`cleanup.policy=compact` on a real cluster): one record per card, then a newer value of one key (a raised limit) and a tombstone (a key with no value: a closed card). `produce` writes rows, which are objects, so the tombstone goes through the sink's raw form."""),
code("""const raised = { ...profiles[7]!, limit: 2 * profiles[7]!.limit, time: start + 1.5 * day };
const closed = { card: profiles[42]!.card, time: start + 2 * day + 9 * hour };
await streamlab.session.produce('cards', [...profiles, raised], { keyField: 'card', timeField: 'time', createTopic: { partitions: 4, retentionMs: -1 } });
const cardSink = await streamlab.TopicSink.open({ topic: 'cards', connection: await streamlab.session.settings() });
await cardSink.writeRaw([{ key: closed.card, value: null, timestamp: closed.time }]);
await cardSink.close();
({ profiles: profiles.length, raised: `${raised.card}: limit ${profiles[7]!.limit} -> ${raised.limit} at ${new Date(raised.time).toISOString()}`, closed: `${closed.card} at ${new Date(closed.time).toISOString()} (a tombstone)` })"""),
md("""**The table** holds the latest profile per card, read to the topic's end before the cell ends (the tombstone deleted its key). Versioned, it also keeps each card's history (a week of it), so a payment is joined with the profile valid at the payment's own time: payments before the raise see the old limit, payments after the closing find no profile."""),
code("%table cards --versioned --history 7d --as cards"),
code("""({
  [`${raised.card}, a day before the raise`]: (cards.asOf(raised.card, raised.time - day) as Profile).limit,
  [`${raised.card}, now`]: (cards.get(raised.card) as Profile).limit,
  [`${closed.card}, an hour before closing`]: (cards.asOf(closed.card, closed.time - hour) as Profile).country,
  [`${closed.card}, now`]: cards.get(closed.card) ?? 'deleted',
})"""),
md("""**Payments and declines** go to two topics of four partitions each, keyed by card id: a stream-stream join by record key needs co-partitioned topics (the same partition count, keyed alike, so a card's payments and declines are on the same partition of both), as Kafka Streams does. The join then runs partition by partition."""),
code("""await streamlab.session.produce('card-payments', history.payments, { keyField: 'card', timeField: 'time', createTopic: { partitions: 4, retentionMs: -1 } });
await streamlab.session.produce('declines', history.declines, { keyField: 'card', timeField: 'time', createTopic: { partitions: 4, retentionMs: -1 } })"""),
md("""**The pipeline over the history**: two joins and a window.

- `withDeclines`: each payment with the declines of its card from the ten minutes before it (`before: '10m', after: '0s'`), by record key, partition by partition, the two topics taken in event-time order. A left join: a payment without a decline comes out too, with `declines: null`, once its window has closed (`grace: '1m'`); a payment after two declines comes out twice, once with each.
- `enriched`: each of those with its card's profile as of the payment's time (`leftKey: 'card'`). A join of a join: a running join is a stream. A joiner builds the result from both sides: the payment's fields (its decline under `declines`), the profile under `cards`, and two features that need both sides as plain fields: `shareOfLimit` (amount / limit) and `abroad` (1 when the payment's country is not the card's).

One step is written with the library's lower level, and only that one: the two topics are read by consumers made here (`streamlab.TopicSource`, from their first records, the event time in `time`), started once the joins, the window and (for the held-out day) the scorers are attached. The magic `%join card-payments declines --before 10m --after 0s --grace 1m --kind left --from earliest --time-field time --as withDeclines` would start consumers of its own at once, and what is attached to a join already running does not yet see all it gave: a join of it (`enriched`) gets only its results from then on; a window of it gets the results the join kept, but without each partition's progress, so on four partitions it counts most of them late; a scorer of a window misses the windows closed before it. Started last, the pipeline's own consumers let every stage see every result from the first, each partition in order."""),
code("""const connection = await streamlab.session.settings();
const reader = (topic: string, from: streamlab.StartFrom) => new streamlab.TopicSource({ topic, from, timeField: 'time', connection });
const historyIn = { payments: reader('card-payments', 'earliest'), declines: reader('declines', 'earliest') };
const withDeclines = (await streamlab.session.join(historyIn.payments, historyIn.declines, { kind: 'left', before: '10m', after: '0s', grace: '1m', name: 'withDeclines' })) as streamlab.StreamStreamJoin;"""),
code("""type Joined = Payment & { declines: Decline | null };
const joiner = (left: unknown, right: unknown) => {
  const p = left as Joined;
  const c = right as Profile;
  return { ...p, cards: c, shareOfLimit: Math.round((p.amount / c.limit) * 10_000) / 10_000, abroad: p.country === c.country ? 0 : 1 } as streamlab.JsonValue;
};
const enriched = (await streamlab.session.join(withDeclines, cards, { leftKey: 'card', joiner, name: 'enriched' })) as streamlab.StreamTableJoin;"""),
md("""**Per-card windows** over the joined stream: the payments (distinct ids, since a payment after two declines is there twice), the smallest and the largest amount, and the enrichment: the largest share of the card's limit, the payment-decline pairs (`count(declines.reason)`, a field of the joined decline, absent when there was none), any payment abroad. A window's label is whether any of its payments was fraud (`max(isFraud)`). The window waits 2 minutes (`--grace`) for the payments the left join gives out a minute after their time. With each batch of results the join tells which of its partitions still have records to come, so that a partition ahead in event time does not close another's windows; but one batch can hold the results of several partitions, and a partition whose last results are in it already counts as done, so another partition's results in the same batch can close its windows first. `--idle-timeout 1m` keeps a partition that has just caught up holding the windows open for another minute (of the clock); without it, a few dozen to a few hundred of the history's results came too late for their windows, a different number on each run."""),
code(f"%window enriched --tumbling 10m --by card --agg {AGGREGATES} --grace 2m --idle-timeout 1m --retain 100000 --as historyWindows"),
code("""await historyIn.payments.start();
await historyIn.declines.start();
await historyWindows.until(() => withDeclines.metrics().left.records === history.payments.length && withDeclines.metrics().right.records === history.declines.length);
historyWindows.flush();
const rows = historyWindows.closedRows();
({ windows: rows.length, fraudulentWindows: rows.filter((w) => w.max_isFraud === 1).length, windowsWithADecline: rows.filter((w) => Number(w['count_declines.reason']) > 0).length, late: historyWindows.metrics().late })"""),
md("""**Two classifiers**, logistic regressions over the window features (scaled on the training rows), trained on the history's windows in time order: one with the enrichment features, one on the payments alone (how many, the smallest and the largest amount). A window is flagged when the fraud probability passes 0.5."""),
code("""const plainColumns = ['distinct_id', 'min_amount', 'max_amount'];
const withEnrichment = await streamlab.session.train(rows, { kind: 'classifier', spec: { columns: [...plainColumns, 'max_shareOfLimit', 'count_declines.reason', 'max_abroad'], target: 'max_isFraud' }, epochs: 60, seed });
withEnrichment"""),
code("""const withoutEnrichment = await streamlab.session.train(rows, { kind: 'classifier', spec: { columns: plainColumns, target: 'max_isFraud' }, epochs: 60, seed });
withoutEnrichment"""),
code("""await historyIn.payments.stop();
await historyIn.declines.stop();
await streamlab.session.stop('withDeclines')"""),
md("""**The held-out day.** The fourth day's payments and declines are written to their topics, and the same pipeline is built again, reading them from the day's start (a timestamp: each partition from its first record at or after it), with the same joiner and table. Both classifiers score each window as it closes (attached, like the rest, before a record is read); the one with the enrichment sends the windows it flags to `enrichment-alerts`. The join's newest results tick below the cell, the profile's fields as `cards.*` columns."""),
code("""await streamlab.session.produce('card-payments', nextDay.payments, { keyField: 'card', timeField: 'time' });
await streamlab.session.produce('declines', nextDay.declines, { keyField: 'card', timeField: 'time' });
const dayStart = { timestamp: start + 3 * day };
const liveIn = { payments: reader('card-payments', dayStart), declines: reader('declines', dayStart) };
const liveWithDeclines = (await streamlab.session.join(liveIn.payments, liveIn.declines, { kind: 'left', before: '10m', after: '0s', grace: '1m', name: 'liveWithDeclines' })) as streamlab.StreamStreamJoin;
const liveEnriched = (await streamlab.session.join(liveWithDeclines, cards, { leftKey: 'card', joiner, name: 'liveEnriched', show: true })) as streamlab.StreamTableJoin;"""),
code(f"%window liveEnriched --tumbling 10m --by card --agg {AGGREGATES} --grace 2m --idle-timeout 1m --retain 100000 --as liveWindows"),
code("""// The alerts' topic has one partition, so that the alerts keep the order in which their windows closed.
await streamlab.session.produce('enrichment-alerts', [], { createTopic: { partitions: 1 } });
const alerts = await streamlab.session.score(liveWindows, withEnrichment.model, { toTopic: 'enrichment-alerts', name: 'fraud-scorer', keep: 10_000 });
const plainAlerts = await streamlab.session.score(liveWindows, withoutEnrichment.model, { name: 'plain-scorer', keep: 10_000 });"""),
code("""await liveIn.payments.start();
await liveIn.declines.start();
await liveWindows.until(() => liveWithDeclines.metrics().left.records === nextDay.payments.length && liveWithDeclines.metrics().right.records === nextDay.declines.length);
liveWindows.flush();
await alerts.until(liveWindows.metrics().closedWindows);
await plainAlerts.until(liveWindows.metrics().closedWindows);
%streams"""),
md("""**What the joins did** with the day, in their own counters: payment-decline pairs joined, payments that had no decline before them (emitted alone once their window closed), declines that no payment followed, late records, payments still waiting for their window at the end of the day; and the payments that found no profile: the closed card's, set aside with where each came from."""),
code("""const pairs = liveWithDeclines.metrics();
const lookups = liveEnriched.metrics();
({
  liveWithDeclines: `${pairs.left.records} payments and ${pairs.right.records} declines in; ${pairs.joined} joined; ${pairs.unmatchedEmitted} payments without a decline; ${pairs.right.expiredUnmatched} declines without a payment; late ${pairs.left.late + pairs.right.late}; ${pairs.pending} waiting`,
  liveEnriched: `${lookups.records} in; ${lookups.joined} joined with a profile; ${lookups.unmatched} without one`,
  liveWindows: `${liveWindows.metrics().closedWindows} windows closed; late ${liveWindows.metrics().late}`,
  setAside: liveEnriched.setAside(3).map((r) => `${r.key} ${r.time}: ${r.reason} (from ${r.topic}, partition ${r.partition})`).join('; '),
})"""),
md("""**How good are they, on a day they never saw?** Precision: the share of flagged windows that held fraud; recall: the share of windows with fraud that were flagged. Without the profile, a payment of 800 looks the same on a card with a limit of 1,000 as on one of 10,000; without the declines, a thief's first payment looks like any other."""),
code("""const scored = liveWindows.closedRows();
const fraudulent = scored.filter((w) => w.max_isFraud === 1).length;
function verdict(scorer: typeof alerts) {
  const flaggedKeys = new Set(scorer.flaggedRows().map((w) => `${w.card}@${w.windowStart}`));
  const flagged = scored.filter((w) => flaggedKeys.has(`${w.card}@${w.windowStart}`));
  const truePositives = flagged.filter((w) => w.max_isFraud === 1).length;
  return { flagged: flagged.length, truePositives, precision: Number((truePositives / Math.max(1, flagged.length)).toFixed(3)), recall: Number((truePositives / Math.max(1, fraudulent)).toFixed(3)) };
}
const comparison = { windows: scored.length, fraudulent, withEnrichment: verdict(alerts), withoutEnrichment: verdict(plainAlerts) };
// The notebook checks itself: CI runs it, and an enrichment that stopped helping fails here.
const f1 = (v: { precision: number; recall: number }) => (2 * v.precision * v.recall) / Math.max(1e-9, v.precision + v.recall);
if (comparison.withEnrichment.precision < 0.8 || comparison.withEnrichment.recall < 0.8 || f1(comparison.withEnrichment) <= f1(comparison.withoutEnrichment)) {
  throw new Error(`the enriched classifier fell short: ${JSON.stringify(comparison)}`);
}
comparison"""),
md("The alert stream, as a downstream service would read it:"),
code("%peek enrichment-alerts -n 5"),
code("""await liveIn.payments.stop();
await liveIn.declines.stop();
%stop all"""),
])
