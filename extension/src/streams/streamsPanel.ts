/**
 * The Streams panel (left sidebar): what runs in the current notebook's kernel (each stream's kind, state, rate
 * with a sparkline of the last minute, lag, records set aside, late records, memory) with pause / resume / stop
 * buttons, and the connected cluster's topics (partitions, messages, offsets) with actions that insert a %consume
 * or %peek cell. It asks the kernel about once a second while visible and not at all while hidden.
 */
import { Widget } from '@lumino/widgets';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { NotebookActions } from '@jupyterlab/notebook';
import type { StreamRow, StreamsMessage, TopicRow } from '../../../protocol/messages';
import { KernelStreams, LinkState } from './kernelStreams';
import { sparkline } from './sparkline';
import { formatBytes, formatCount, formatRate } from '../../../protocol/format';
import { topicCell } from '../../../protocol/dataText';

const HISTORY = 60;
const TOPICS_EVERY_MS = 10_000;

export class StreamsPanel extends Widget {
  private link: KernelStreams | undefined;
  private notebook: NotebookPanel | null = null;
  private streams: StreamRow[] = [];
  private topics: TopicRow[] = [];
  private connected = false;
  private readonly rates = new Map<string, number[]>();
  private readonly header: HTMLDivElement;
  private readonly streamsEl: HTMLDivElement;
  private readonly topicsEl: HTMLDivElement;
  private readonly messageEl: HTMLDivElement;
  private topicsTimer: number | undefined;
  /** What the kernel last confirmed (stopped, paused, resumed), shown under the header for a while. */
  private notice = '';
  private noticeTimer: number | undefined;

  constructor(notebooks: INotebookTracker) {
    super();
    this.id = 'streamlab-streams';
    this.addClass('streamlab-streams');
    this.title.caption = 'Streams: what runs in the kernel of the current notebook';
    this.header = div('streamlab-streams-header');
    this.messageEl = div('streamlab-streams-message');
    this.streamsEl = div('streamlab-streams-list');
    const topicsHead = div('streamlab-streams-section');
    topicsHead.textContent = 'Topics';
    const refresh = document.createElement('button');
    refresh.className = 'jp-Button streamlab-streams-refresh';
    refresh.textContent = 'Refresh';
    refresh.title = 'Ask the cluster for its topics again';
    refresh.addEventListener('click', () => this.link?.send({ request: 'topics' }));
    topicsHead.append(refresh);
    this.topicsEl = div('streamlab-streams-topics');
    const streamsHead = div('streamlab-streams-section');
    streamsHead.textContent = 'Streams';
    this.node.append(this.header, this.messageEl, streamsHead, this.streamsEl, topicsHead, this.topicsEl);
    notebooks.currentChanged.connect((_, panel) => this.follow(panel));
    this.follow(notebooks.currentWidget);
  }

  protected override onAfterShow(): void {
    this.link?.watch(true);
    this.topicsTimer = window.setInterval(() => this.link?.send({ request: 'topics' }), TOPICS_EVERY_MS);
  }

  protected override onBeforeHide(): void {
    this.link?.watch(false);
    window.clearInterval(this.topicsTimer);
  }

  override dispose(): void {
    this.link?.dispose();
    window.clearInterval(this.topicsTimer);
    window.clearTimeout(this.noticeTimer);
    super.dispose();
  }

  private follow(panel: NotebookPanel | null): void {
    if (panel === this.notebook) return;
    this.link?.dispose();
    this.link = undefined;
    this.notebook = panel;
    this.streams = [];
    this.topics = [];
    this.rates.clear();
    if (!panel) {
      this.render('Open a notebook on the TypeScript (streamlab) kernel to see its streams.');
      return;
    }
    void panel.sessionContext.ready.then(() => {
      if (this.notebook !== panel) return;
      this.link = new KernelStreams(panel.sessionContext, (m) => this.onMessage(m), (s) => this.onState(s));
      if (this.isVisible) this.link.watch(true);
    });
    this.render('Connecting to the kernel…');
  }

  private onState(s: LinkState): void {
    if (s === 'connected') return this.render();
    this.streams = [];
    this.rates.clear();
    const text: Record<Exclude<LinkState, 'connected'>, string> = {
      connecting: 'Connecting to the kernel…',
      'not-streamlab': "This notebook's kernel is not TypeScript (streamlab): it has no streams to show.",
      'no-kernel': 'This notebook has no kernel running.',
    };
    this.render(text[s]);
  }

  private onMessage(m: StreamsMessage): void {
    if (m.error) {
      this.say(m.error);
      return;
    }
    if (m.names && (m.reply === 'stop' || m.reply === 'pause' || m.reply === 'resume')) {
      const verb = { stop: 'Stopped', pause: 'Paused', resume: 'Resumed' }[m.reply];
      this.say(m.names.length ? `${verb}: ${m.names.join(', ')}` : `Nothing to ${m.reply}.`);
    }
    this.streams = m.streams ?? [];
    if (m.topics) {
      this.topics = m.topics;
      this.connected = m.connected ?? false;
    }
    for (const s of this.streams) {
      const h = this.rates.get(s.name) ?? [];
      h.push(s.recordsPerSecond);
      if (h.length > HISTORY) h.shift();
      this.rates.set(s.name, h);
    }
    for (const name of [...this.rates.keys()]) if (!this.streams.some((s) => s.name === name)) this.rates.delete(name);
    this.render();
  }

  /** A line from the kernel (a confirmation, an error), kept for ten seconds. */
  private say(text: string): void {
    this.notice = text;
    window.clearTimeout(this.noticeTimer);
    this.noticeTimer = window.setTimeout(() => {
      this.notice = '';
      this.render();
    }, 10_000);
    this.render();
  }

  private render(message?: string): void {
    const where = this.notebook ? (this.notebook.context.path.split('/').pop() ?? '') : '';
    this.header.textContent = where ? `Kernel of ${where}` : 'No notebook';
    const text = message ?? this.notice;
    this.messageEl.textContent = text;
    this.messageEl.style.display = text ? '' : 'none';
    this.streamsEl.replaceChildren(this.streamsTable());
    this.topicsEl.replaceChildren(this.topicsTable());
  }

  /** One card per stream: name, kind and state; rate with its sparkline; the other counters; its buttons. */
  private streamsTable(): HTMLElement {
    if (this.streams.length === 0) {
      const empty = div('streamlab-streams-empty');
      empty.textContent = this.link?.state === 'connected' ? 'No streams run in this kernel. %consume TOPIC --as NAME starts one.' : '';
      return empty;
    }
    const list = div('streamlab-streams-cards');
    for (const s of this.streams) {
      const card = div('streamlab-stream');
      card.dataset.stream = s.name;
      card.dataset.kind = s.kind;
      card.dataset.state = s.state;
      card.title = s.lastError ? `${s.name}: ${s.lastError}` : `${s.name} reads ${s.topic}; ${formatCount(s.records)} records`;
      const top = div('streamlab-stream-top');
      top.append(span('streamlab-stream-name', s.name), span('streamlab-stream-kind', `${s.kind} · ${s.state}`));
      const rate = div('streamlab-stream-rate');
      rate.append(span('streamlab-stream-rate-value', formatRate(s.recordsPerSecond)), sparkline(this.rates.get(s.name) ?? []));
      const actions = div('streamlab-stream-actions');
      const paused = s.state === 'paused';
      if (s.kind !== 'produce' && s.kind !== 'generate') actions.append(button(paused ? 'Resume' : 'Pause', paused ? 'resume' : 'pause', () => this.link?.send({ request: paused ? 'resume' : 'pause', name: s.name })));
      actions.append(button('Stop', 'stop', () => this.link?.send({ request: 'stop', name: s.name })));
      const details = [`${formatCount(s.records)} records`, `lag ${formatCount(s.lag)}`, `${formatCount(s.deadLetters)} set aside`, `${formatCount(s.late)} late`, formatBytes(s.memoryBytes)];
      const detail = div('streamlab-stream-detail');
      detail.textContent = `${s.topic} · ${details.join(' · ')}`;
      const middle = div('streamlab-stream-middle');
      middle.append(rate, actions);
      card.append(top, middle, detail);
      if (s.lastError) {
        const error = div('streamlab-stream-error');
        error.textContent = s.lastError;
        card.append(error);
      }
      list.append(card);
    }
    return list;
  }

  /** One card per topic: name, partitions and messages, offsets per partition, and the insert actions. */
  private topicsTable(): HTMLElement {
    if (this.topics.length === 0) {
      const empty = div('streamlab-streams-empty');
      empty.textContent = this.link?.state !== 'connected' ? '' : this.connected ? 'The cluster has no topics yet.' : 'Not connected yet: run %connect in the notebook.';
      return empty;
    }
    const list = div('streamlab-streams-cards');
    for (const t of this.topics) {
      const card = div('streamlab-topic');
      card.dataset.topic = t.topic;
      card.dataset.partitions = String(t.partitions);
      card.dataset.messages = String(t.messages);
      const top = div('streamlab-stream-top');
      top.append(span('streamlab-stream-name', t.topic), span('streamlab-stream-kind', `${t.partitions} partition${t.partitions === 1 ? '' : 's'} · ${formatCount(t.messages)} messages`));
      const offsets = div('streamlab-stream-detail');
      offsets.textContent = `offsets ${t.offsets.map((o) => `${o.partition}: ${formatCount(o.low)}–${formatCount(o.high)}`).join(', ')}`;
      offsets.title = 'partition: first–next offset';
      const format = div('streamlab-stream-detail streamlab-topic-format');
      if (t.format) {
        format.textContent = `format ${t.format}${t.subject ? ` · subject ${t.subject}` : ''}`;
        format.title = t.formatNote ?? 'detected from the newest values of the topic';
        card.dataset.format = t.format;
      }
      const actions = div('streamlab-stream-actions');
      actions.append(button('Consume', 'insert-consume', () => this.insertCell(topicCell('consume', t.topic, variableName(t.topic), t.format))));
      actions.append(button('Peek', 'insert-peek', () => this.insertCell(topicCell('peek', t.topic, variableName(t.topic), t.format))));
      actions.title = 'Insert a cell below the active one';
      card.append(top, offsets, ...(t.format ? [format] : []), actions);
      list.append(card);
    }
    return list;
  }

  /** A new code cell below the active one, holding `source`, selected so that Shift+Enter runs it. */
  private insertCell(source: string): void {
    const panel = this.notebook;
    if (!panel) return;
    const notebook = panel.content;
    NotebookActions.insertBelow(notebook);
    const cell = notebook.activeCell;
    if (!cell) return;
    cell.model.sharedModel.setSource(source);
    notebook.mode = 'command';
    panel.activate();
  }
}

function div(className: string): HTMLDivElement {
  const d = document.createElement('div');
  d.className = className;
  return d;
}

function span(className: string, text: string): HTMLSpanElement {
  const e = document.createElement('span');
  e.className = className;
  e.textContent = text;
  return e;
}

function button(label: string, action: string, onClick: () => void): HTMLButtonElement {
  const b = document.createElement('button');
  b.className = `jp-Button streamlab-streams-button streamlab-streams-${action}`;
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}

/** A variable name for a topic: letters, digits and _ only, not starting with a digit. */
function variableName(topic: string): string {
  const words = topic.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const name = words.map((w, i) => (i === 0 ? w.toLowerCase() : w[0]!.toUpperCase() + w.slice(1))).join('');
  return /^[A-Za-z_$]/.test(name) ? name : `t${name}`;
}
