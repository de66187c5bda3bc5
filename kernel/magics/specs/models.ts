/** %train and %score: a model trained on a topic's history, and a live scorer of a stream. */
import { LIBRARY, SESSION, lit, litIf, object, statement } from '../codegen';
import { defineMagic, flag, option } from '../spec';
import { choice, commaList, decimal, identifier, integer, text } from '../values';
import { startCode, startPosition } from './consume';

const KINDS = ['autoencoder', 'forecaster', 'classifier'] as const;
const BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;

export const train = defineMagic({
  name: 'train',
  summary: 'train a model on a topic\'s history (live loss curves), bound to a variable with --as',
  description:
    'Loads the history of TOPIC (all it holds, or the newest --last N records), builds features from --columns ' +
    '(with --lags, --deltas and --rolling N statistics; rows with NaN or missing values are dropped and counted), ' +
    'splits by time (the last --validation share validates), fits a scaler on the training rows only and trains ' +
    'the --kind recipe with early stopping (--patience) on the fastest tfjs backend (or --backend). The loss curves ' +
    'update live in the notebook. The anomaly threshold is the --percentile of the training rows\' scores. The bound ' +
    'variable holds model, summary, backend and features; --save DIR writes the model with its scaler and spec.',
  positionals: [{ name: 'TOPIC', help: 'topic whose history to train on', required: true, value: text('TOPIC', 'topic') }],
  options: {
    as: option(identifier(LIBRARY), 'bind the result (model, summary, backend) to this variable'),
    kind: option(choice(KINDS), 'autoencoder (default; score = reconstruction error), forecaster (score = residual) or classifier'),
    columns: option(commaList('FIELD,...'), 'numeric input columns (required)'),
    target: option(text('FIELD'), 'the column a forecaster predicts or a classifier learns'),
    lags: option(integer('N', 0), 'add the previous N values of each column'),
    deltas: flag('add the change since the previous row of each column'),
    rolling: option(integer('N', 2), 'add mean and std of each column over the last N rows'),
    by: option(text('FIELD'), 'take lags, deltas and rolling statistics within each value of FIELD (e.g. sensor): one sequence per key; %score keeps per-key state too'),
    epochs: option(integer('N', 1), 'most epochs (default 50)'),
    patience: option(integer('N', 0), 'stop after N epochs without a better validation loss (default 5; 0: never)'),
    validation: option(decimal('SHARE', 0, 0.9), 'share of the newest rows kept for validation (default 0.2)'),
    percentile: option(decimal('P', 0.001, 100), 'anomaly threshold: this percentile of training scores (default 99)'),
    seed: option(integer('N', 0), 'seed of the weight initialisers (default 1)'),
    last: option(integer('N', 1), 'train on the newest N records only'),
    'time-field': option(text('FIELD'), 'field holding event time (default the Kafka timestamp)'),
    backend: option(choice(BACKENDS), 'auto (default: tensorflow, else wasm, else cpu) or one of them'),
    save: option(text('DIR'), 'save the trained model (with scaler and feature spec) to this directory'),
  },
  examples: [
    '%train sensors --columns value --lags 4 --deltas --by sensor --as detector',
    '%train sensors --columns value,temp --rolling 10 --epochs 30 --percentile 99.5 --save models/sensors --as detector',
    '%train sales --kind forecaster --columns units --target units --lags 24 --as forecast',
  ],
  validate({ options: o }) {
    if (!o.columns) return 'give the input columns: --columns FIELD,...';
    if ((o.kind === 'forecaster' || o.kind === 'classifier') && !o.target) return `a ${o.kind} needs --target FIELD`;
    if (o.by !== undefined && o.kind === 'forecaster') return '--by works with the autoencoder and the classifier, not yet with a forecaster';
    return undefined;
  },
  line({ positionals: [topic], options: o }) {
    const spec = object({
      columns: lit(o.columns!),
      lags: litIf(o.lags),
      deltas: o.deltas && 'true',
      rolling: o.rolling === undefined ? undefined : `{ window: ${lit(o.rolling)} }`,
      target: litIf(o.target),
      by: litIf(o.by),
    });
    const settings = object({
      name: litIf(o.as),
      kind: lit(o.kind ?? 'autoencoder'),
      spec,
      epochs: litIf(o.epochs),
      patience: litIf(o.patience),
      validation: litIf(o.validation),
      percentile: litIf(o.percentile),
      seed: litIf(o.seed),
      backend: litIf(o.backend),
      history: object({ last: litIf(o.last), timeField: litIf(o['time-field']) }),
      save: litIf(o.save),
      // Bound to a variable, the result is not the cell's value: the summary is shown below the cell instead.
      show: o.as === undefined ? undefined : 'true',
    });
    // Without --as the result is the line's value, so the cell shows its summary table.
    return statement(`await ${SESSION}.train(${lit(topic!)}, ${settings})`, o.as);
  },
});

export const score = defineMagic({
  name: 'score',
  summary: 'score a stream or a topic live with a trained model; flagged rows to a topic (a stream in %streams)',
  description:
    'Applies a model to SOURCE as it arrives: a running stream or window by name, or a TOPIC (read by a consumer ' +
    'of its own, from --from, default latest). The model is --model VAR (the variable %train bound) or --load DIR ' +
    '(a saved model). Every row gets score and isAnomaly (score >= the model\'s threshold, or --threshold); flagged ' +
    'rows go to --to TOPIC and are kept for NAME.flagged() (a DataFrame). The scorer is a stream: %streams lists it ' +
    'and %stop NAME ends it.',
  positionals: [{ name: 'SOURCE', help: 'a running stream or window by name, or a topic to read', required: true, value: text('SOURCE', 'stream') }],
  options: {
    model: option(identifier(LIBRARY), 'the variable %train --as bound'),
    load: option(text('DIR'), 'a directory saveModel (or %train --save) wrote'),
    to: option(text('TOPIC', 'topic'), 'write flagged rows to this topic (e.g. anomaly-stream)'),
    threshold: option(decimal('T'), 'flag rows with score >= T instead of the model\'s threshold'),
    keep: option(integer('N', 1), 'flagged rows kept for NAME.flagged() (default 1000)'),
    from: option(startPosition, 'for a TOPIC: where its consumer starts (default latest)'),
    'time-field': option(text('FIELD'), 'for a TOPIC: field holding event time'),
    as: option(identifier(LIBRARY), 'bind the scorer to this variable; also its name in %streams'),
  },
  examples: ['%score sensors --model detector --to anomaly-stream --as scorer', '%score readings --load models/sensors --threshold 0.05 --as scorer'],
  validate({ options: o }) {
    if ((o.model === undefined) === (o.load === undefined)) return 'give the model: --model VAR or --load DIR (one of them)';
    return undefined;
  },
  line({ positionals: [source], options: o }) {
    const settings = object({
      name: litIf(o.as),
      toTopic: litIf(o.to),
      threshold: litIf(o.threshold),
      keep: litIf(o.keep),
      consume: object({ from: o.from === undefined ? undefined : startCode(o.from), timeField: litIf(o['time-field']) }),
    });
    const model = o.model !== undefined ? `${o.model}.model` : lit(o.load!);
    const call = `await ${SESSION}.score(${lit(source!)}, ${model}${settings ? `, ${settings}` : ''})`;
    return o.as === undefined ? `void (${call});` : `const ${o.as} = ${call};`;
  },
});
