/** %plot: a live chart of a stream, a window, a topic or code, bound to a variable. */
import { CHART_KINDS } from '../../../src';
import { LIBRARY, SESSION, lit, litIf, object } from '../codegen';
import { defineMagic, option } from '../spec';
import { choice, commaList, identifier, integer, text } from '../values';
import { checkDecoding, decodingFields, decodingOptions } from './decoding';
import { startCode, startPosition } from './consume';
import { duration } from './window';

export const plot = defineMagic({
  name: 'plot',
  summary: 'a live chart of a stream, a window or a topic (bound to a variable with --as)',
  description:
    'Draws SOURCE as it arrives: a running stream (records, x = event time), a windowed stream (its aggregate ' +
    'columns, one trace per key, x = window start) or a TOPIC (read by a consumer of its own, from --from, default ' +
    'latest). One trace per --by value and --y field; --mark FIELD draws rows where FIELD is set as markers (e.g. ' +
    'the demo data\'s anomaly labels). Each trace keeps --last (default 5m) and/or --points; the chart draws at most ' +
    'a first/min/max/last point per two pixels, so it stays smooth at any rate. The chart updates in place in ' +
    'JupyterLab with the streamlab extension (pause, resume and clear are on it); other frontends show its latest ' +
    'frame as an image. The bound variable (a LiveChart) has pause(), resume(), clear(), push(rows), stop() and ' +
    'metrics(); %streams lists the chart and %stop NAME ends it.',
  positionals: [{ name: 'SOURCE', help: 'a running stream or window by name, or a topic to read', required: true, value: text('SOURCE', 'stream') }],
  options: {
    as: option(identifier(LIBRARY), 'bind the chart to this variable; also its name in %streams'),
    y: option(commaList('FIELD,...'), 'fields to draw (default: every numeric field)'),
    x: option(text('FIELD'), 'field for the x axis (default: event time; window start for a window)'),
    by: option(commaList('FIELD,...'), 'one trace per distinct value of these fields (default: a window\'s keys)'),
    kind: option(choice(CHART_KINDS), 'line (default), scatter, bar (latest value per key) or hist (live distribution)'),
    last: option(duration('last'), 'keep this much time per trace, e.g. 30s, 5m, 1h (default 5m on a time axis)'),
    points: option(integer('N', 1), 'keep at most N points per trace'),
    mark: option(text('FIELD'), 'draw rows whose FIELD is set (not null, false or 0) as markers'),
    title: option(text('TITLE'), 'chart title'),
    from: option(startPosition, 'for a TOPIC: where its consumer starts (default latest)'),
    ...decodingOptions,
  },
  examples: [
    '%plot readings --y value --by sensor --last 2m --as live',
    '%plot perSensor --y mean_value --title "10 s means" --as means',
    '%plot sensors --from earliest --time-field time --y value --by sensor --mark anomaly --as chart',
    '%plot readings --kind hist --y value --last 1m --as spread',
  ],
  validate({ options: o }) {
    return checkDecoding(o);
  },
  line({ positionals: [source], options: o }) {
    const settings = object({
      name: litIf(o.as),
      kind: litIf(o.kind),
      y: litIf(o.y),
      x: litIf(o.x),
      by: litIf(o.by),
      last: litIf(o.last),
      points: litIf(o.points),
      mark: litIf(o.mark),
      title: litIf(o.title),
      consume: object({ from: o.from === undefined ? undefined : startCode(o.from), ...decodingFields(o) }),
    });
    const call = `await ${SESSION}.plot(${lit(source!)}${settings ? `, ${settings}` : ''})`;
    // The chart shows itself; without a name the cell must not show it a second time as its value.
    return o.as === undefined ? `void (${call});` : `const ${o.as} = ${call};`;
  },
});
