import os, sys
sys.path.insert(0, os.path.dirname(__file__))
from nbtools import code, md, write
write(os.path.join(os.path.dirname(__file__), '..', '..', 'notebooks', '04-fraud-detection.ipynb'), [
md("""# Fraud detection: card transactions, per-card windows, a classifier, a live alert stream

Generated card payments with labelled fraud (a stolen card is tested with a burst of small charges, then drained with large ones). Per-card 10-minute windows turn the payments into features (count, total, largest, mean); a logistic classifier learns from three days of labelled history; its precision and recall are measured on a fourth day it never saw, which is then replayed live: every window the classifier flags goes to the topic `fraud-alerts`."""),
code("""// Parameters (streamlab run -p cards=800 ...)
const cards = 500;
const seed = 5;""", ['parameters']),
code("%connect"),
md("""**The payments**, generated in plain TypeScript (seeded, so every run is the same): about one payment every two hours per card, amounts log-normal around $40; 6 % of cards are stolen once, at a random moment, and then show the fraud pattern for 10 to 30 minutes. Each payment carries its label `isFraud` (1 or 0), as a bank's chargeback data would, later."""),
code("""function rng(s: number) { return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32); }
const random = rng(seed);
const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const day = 86_400_000;
const start = Date.parse('2026-03-02T00:00:00Z');
type Payment = { card: string; time: number; amount: number; merchant: string; isFraud: number };
function payments(fromDay: number, days: number): Payment[] {
  const out: Payment[] = [];
  for (let c = 0; c < cards; c++) {
    const card = `card-${String(c).padStart(4, '0')}`;
    for (let t = start + fromDay * day + random() * 7_200_000; t < start + (fromDay + days) * day; t += -Math.log(1 - random()) * 7_200_000) {
      out.push({ card, time: Math.round(t), amount: Math.round(Math.exp(3.7 + 0.8 * normal()) * 100) / 100, merchant: `m${Math.floor(random() * 200)}`, isFraud: 0 });
    }
    if (random() < 0.06) {
      let t = start + fromDay * day + random() * (days * day - 3_600_000);
      const end = t + (10 + random() * 20) * 60_000;
      for (let k = 0; t < end; k++, t += 30_000 + random() * 90_000) {
        const amount = k < 4 ? 1 + Math.round(random() * 200) / 100 : 300 + Math.round(random() * 60_000) / 100;
        out.push({ card, time: Math.round(t), amount, merchant: `m${200 + Math.floor(random() * 20)}`, isFraud: 1 });
      }
    }
  }
  return out.sort((a, b) => a.time - b.time);
}
const history = payments(0, 3);
const nextDay = payments(3, 1);
({ history: history.length, fraudulentInHistory: history.filter((p) => p.isFraud).length, nextDay: nextDay.length, fraudulentNextDay: nextDay.filter((p) => p.isFraud).length })"""),
code("""await streamlab.session.produce('payments', history, { keyField: 'card', timeField: 'time', createTopic: { partitions: 1, retentionMs: -1 } })"""),
md("""**Per-card windows** over the history (Kafka Streams' `groupByKey().windowedBy(...)`): a window's label is whether any of its payments was fraud (`max(isFraud)`)."""),
code("%window payments --from earliest --time-field time --tumbling 10m --by card --agg count,sum(amount),max(amount),mean(amount),max(isFraud) --grace 1m --retain 100000 --as historyWindows"),
code("""await historyWindows.caughtUp();
historyWindows.flush();
const rows = historyWindows.closedRows();
({ windows: rows.length, fraudulentWindows: rows.filter((w) => w.max_isFraud === 1).length })"""),
md("""**The classifier**: logistic regression over the four window features (scaled on the training rows), trained on the history's windows in time order; a window is flagged when the fraud probability passes 0.5."""),
code("""const classifier = await streamlab.session.train(rows, {
  kind: 'classifier',
  spec: { columns: ['count', 'sum_amount', 'max_amount', 'mean_amount'], target: 'max_isFraud' },
  epochs: 60,
  seed,
});
classifier"""),
code("%stop historyWindows"),
md("""**Live**: the fourth day arrives on `payments`; windows on the topic follow it from its end (with a consumer of their own), and the scorer scores each window as it closes, sending the flagged ones to `fraud-alerts`."""),
code("%window payments --time-field time --tumbling 10m --by card --agg count,sum(amount),max(amount),mean(amount),max(isFraud) --grace 1m --retain 100000 --as liveWindows"),
code("const alerts = await streamlab.session.score(liveWindows, classifier.model, { toTopic: 'fraud-alerts', name: 'fraud-scorer', keep: 10_000 });"),
code("""await streamlab.session.produce('payments', nextDay, { keyField: 'card', timeField: 'time' });
await liveWindows.until((m) => m.received >= nextDay.length);
liveWindows.flush();
await alerts.until(liveWindows.metrics().closedWindows);
%streams"""),
md("""**How good is it, on a day it never saw?** Precision: the share of flagged windows that held fraud; recall: the share of windows with fraud that were flagged."""),
code("""const scored = liveWindows.closedRows();
const flaggedKeys = new Set(alerts.flaggedRows().map((w) => `${w.card}@${w.windowStart}`));
const isFlagged = (w: Record<string, unknown>) => flaggedKeys.has(`${w.card}@${w.windowStart}`);
const truePositives = scored.filter((w) => isFlagged(w) && w.max_isFraud === 1).length;
const precision = truePositives / Math.max(1, scored.filter(isFlagged).length);
const recall = truePositives / Math.max(1, scored.filter((w) => w.max_isFraud === 1).length);
const verdict = { windows: scored.length, fraudulent: scored.filter((w) => w.max_isFraud === 1).length, flagged: scored.filter(isFlagged).length, truePositives, precision: Number(precision.toFixed(3)), recall: Number(recall.toFixed(3)) };
// The notebook checks itself: CI runs it, and a classifier that got worse fails here.
if (precision < 0.8 || recall < 0.7) throw new Error(`the classifier fell short: ${JSON.stringify(verdict)}`);
verdict"""),
md("The alert stream, as a downstream service would read it:"),
code("%peek fraud-alerts -n 10"),
code("%stop all"),
])
