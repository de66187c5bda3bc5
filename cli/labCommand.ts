/**
 * `streamlab lab`: JupyterLab on the example notebooks with live data, in one command. Installs the kernel and the
 * extension into a Jupyter data directory of streamlab's own (so nothing of the user's Jupyter changes), starts the
 * embedded broker and a demo feed unless a cluster is configured, then runs the project's JupyterLab until Ctrl-C,
 * and stops everything it started.
 */
import { spawn, ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { parse, intOption } from './args';
import { EmbeddedBroker, SensorGenerator, StreamlabError, TopicSink, producePaced, resolveConnection, stateDir } from '../src';
import { SchemaRegistryProcess, findJava21, readBrokerState, writeBrokerState } from '../src';
import { installKernel, installLabExtension } from '../kernel/install';
import { readNotebook, runNotebook } from '../kernel/notebookRunner';
import { notebookHtml } from '../kernel/notebookHtml';

const HEADLESS_NOTEBOOK = '02-anomaly-detection.ipynb';

/**
 * `--headless`: the anomaly-detection notebook through the runner instead of a browser, then what it found: the
 * text of its cells tagged `summary` (windows scored, anomalies flagged against the generator's labels, precision
 * and recall). The executed notebook and its HTML go to --out (default: the state directory).
 */
async function headlessRun(notebooks: string, outDir: string | undefined): Promise<void> {
  const file = path.join(notebooks, HEADLESS_NOTEBOOK);
  if (!fs.existsSync(file)) throw new StreamlabError(`no ${HEADLESS_NOTEBOOK} in ${notebooks}`, 'pass --notebooks DIR (the repository\'s notebooks/)');
  const out = path.resolve(outDir ?? path.join(stateDir(), 'executed'));
  process.stdout.write(`running ${HEADLESS_NOTEBOOK} headless on the streamlab kernel (embedded broker unless one is configured)\n`);
  const result = await runNotebook(readNotebook(fs.readFileSync(file, 'utf8'), file), {
    cwd: notebooks,
    onCell: (e) => {
      if (e.state !== 'running') process.stdout.write(`  [${e.index}/${e.of}] ${e.state === 'ok' ? '✓' : '✗'} ${e.firstLine.slice(0, 70)}\n`);
    },
  });
  fs.mkdirSync(out, { recursive: true });
  const executed = path.join(out, HEADLESS_NOTEBOOK);
  fs.writeFileSync(executed, `${JSON.stringify(result.notebook, null, 1)}\n`);
  fs.writeFileSync(executed.replace(/\.ipynb$/, '.html'), notebookHtml(result.notebook, HEADLESS_NOTEBOOK));
  for (const cell of result.notebook.cells.filter((c) => (c.metadata.tags ?? []).includes('summary'))) {
    for (const o of cell.outputs ?? []) {
      const text = (o.data as Record<string, unknown> | undefined)?.['text/plain'];
      if (typeof text === 'string') process.stdout.write(`\n${text}\n`);
    }
  }
  process.stdout.write(`\n${result.ok ? 'done' : 'stopped'} in ${Math.round(result.seconds)} s; the executed notebook: ${executed} (and .html)\n`);
  if (!result.ok) throw new StreamlabError(`${HEADLESS_NOTEBOOK}: ${result.failure}`);
}

const USAGE = 'streamlab lab [--port 8888] [--notebooks DIR] [--no-browser] [--token TOKEN (default: a random one; "" for none)] [--no-demo] [--rate 200] [--seed N] [--registry] | streamlab lab --headless [--out DIR]';
const REPO = path.join(__dirname, '..', '..');

/** $STREAMLAB_JUPYTER, else the JupyterLab the project installed (scripts/install.sh makes .venv), else one on PATH. */
export function jupyterCommand(): string {
  const chosen = process.env.STREAMLAB_JUPYTER;
  if (chosen) {
    if (!fs.existsSync(chosen)) throw new StreamlabError(`STREAMLAB_JUPYTER names ${chosen}, which does not exist`, 'point it at a jupyter executable, or unset it');
    return chosen;
  }
  const local = path.join(REPO, '.venv', 'bin', 'jupyter');
  if (fs.existsSync(local)) return local;
  const onPath = (process.env.PATH ?? '').split(path.delimiter).map((d) => path.join(d, 'jupyter')).find((p) => fs.existsSync(p));
  if (onPath) return onPath;
  throw new StreamlabError('JupyterLab is not installed', 'run `bash scripts/install.sh` (it installs JupyterLab into .venv), or `pip install jupyterlab`');
}

/** streamlab's own Jupyter directories: kernels and extensions installed here leave the user's Jupyter alone. */
/**
 * The directory `streamlab lab` serves the examples from: beside its Jupyter settings in the state directory, each
 * example copied in when it is not there yet, so a user's edits and outputs survive the next start and the
 * repository's own files are never rewritten.
 */
export function workingCopy(examples: string, dir = path.join(stateDir(), 'notebooks')): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const name of fs.readdirSync(examples)) {
    const from = path.join(examples, name);
    const to = path.join(dir, name);
    if (fs.statSync(from).isFile() && !fs.existsSync(to)) fs.copyFileSync(from, to);
  }
  return dir;
}

export function labDirs(root = path.join(stateDir(), 'jupyter')): { root: string; data: string; runtime: string; config: string } {
  const dirs = { root, data: path.join(root, 'share', 'jupyter'), runtime: path.join(root, 'runtime'), config: path.join(root, 'config') };
  for (const d of [dirs.data, dirs.runtime, dirs.config]) fs.mkdirSync(d, { recursive: true });
  return dirs;
}

/**
 * Default JupyterLab settings for this config directory: no "get Jupyter news?" question (nothing is fetched from
 * outside the machine). jupyterlab_server layers <config dir>/labconfig/default_setting_overrides.json under the
 * user's own settings.
 */
function writeSettingsOverrides(configDir: string): void {
  const dir = path.join(configDir, 'labconfig');
  fs.mkdirSync(dir, { recursive: true });
  const overrides = { '@jupyterlab/apputils-extension:notification': { fetchNews: 'false', checkForUpdates: false } };
  fs.writeFileSync(path.join(dir, 'default_setting_overrides.json'), JSON.stringify(overrides, null, 2) + '\n');
}

export async function labCommand(argv: string[]): Promise<void> {
  const { values } = parse(
    argv,
    {
      port: { type: 'string' },
      notebooks: { type: 'string' },
      'no-browser': { type: 'boolean' },
      token: { type: 'string' },
      'no-demo': { type: 'boolean' },
      rate: { type: 'string' },
      seed: { type: 'string' },
      headless: { type: 'boolean' },
      out: { type: 'string' },
      registry: { type: 'boolean' },
    },
    USAGE,
  );
  if (values.headless && values.registry) throw new StreamlabError('--registry is for the interactive lab, not --headless', `usage: ${USAGE}`);
  if (values.headless) return headlessRun(path.resolve(values.notebooks ?? path.join(REPO, 'notebooks')), values.out);
  const port = intOption(values.port, 'port', 8888, 1);
  const rate = intOption(values.rate, 'rate', 200, 1);
  const given = values.notebooks !== undefined;
  const examples = path.resolve(values.notebooks ?? path.join(REPO, 'notebooks'));
  if (!fs.existsSync(examples)) throw new StreamlabError(`no notebook directory ${examples}`, 'pass --notebooks DIR');
  // The examples are served from a working copy: autosave would otherwise rewrite the repository's tracked files
  // with outputs. A directory the user names is theirs, and is served in place.
  const notebooks = given ? examples : workingCopy(examples);
  const token = values.token ?? randomBytes(24).toString('hex');
  const jupyter = jupyterCommand();
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (values.registry) findJava21(); // no Java 21 is one line, before anything starts

  const dirs = labDirs();
  installKernel({ kind: 'prefix', dir: dirs.root });
  installLabExtension({ kind: 'prefix', dir: dirs.root });
  writeSettingsOverrides(dirs.config);
  out(`kernel and extension installed in ${dirs.data}`);

  const stops: (() => Promise<void>)[] = [];
  const abort = new AbortController();
  let jupyterProcess: ChildProcess | undefined;
  const shutdown = async () => {
    abort.abort();
    if (jupyterProcess && jupyterProcess.exitCode === null) jupyterProcess.kill('SIGTERM');
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());

  try {
    // The Schema Registry (--registry) starts first, beside whatever broker is used: it takes a few seconds.
    const registryStart = values.registry ? SchemaRegistryProcess.start({ progress: out }) : undefined;
    registryStart?.catch(() => undefined); // awaited below (an unawaited failure must not end the process first)
    if (registryStart) stops.push(async () => (await registryStart.catch(() => undefined))?.stop());
    let connection;
    let ownBroker = false;
    try {
      const settings = resolveConnection();
      connection = settings;
      out(`using the configured cluster (${settings.origin}): ${settings.brokers.join(',')}`);
    } catch {
      const broker = await EmbeddedBroker.start({ writeState: true });
      stops.push(() => broker.stop());
      connection = broker.connection;
      ownBroker = true;
      out(`embedded broker at ${broker.connection.brokers} (kernels find it by themselves)`);
    }
    if (registryStart) {
      const registry = await registryStart;
      // Recorded beside the broker lab started, so kernels find it as they find the broker; a broker recorded by
      // someone else (a `streamlab broker` running) keeps its record as it is.
      const state = ownBroker ? readBrokerState() : undefined;
      if (state) writeBrokerState({ ...state, schemaRegistryUrl: registry.confluentUrl });
      out(`schema registry at ${registry.confluentUrl} (Apicurio Registry ${registry.version}${state ? ', recorded beside the broker' : ''})`);
    }
    if (!values['no-demo']) {
      const sink = await TopicSink.open({ topic: 'sensors', connection, createTopic: { partitions: 4 } });
      // Event time advances as fast as records are sent, so the feed stays at the wall clock for hours.
      const generator = new SensorGenerator({ sensors: 8, ratePerSecond: rate, seed: intOption(values.seed, 'seed', Date.now() % 100_000, 0) });
      const feeding = producePaced(sink, () => generator.next(), { rate, signal: abort.signal }).catch((e: unknown) => out(`demo feed stopped: ${(e as Error).message}`));
      stops.push(async () => {
        abort.abort();
        await feeding;
        await sink.close();
      });
      out(`demo feed: ${rate} sensor readings/s into topic 'sensors' (8 sensors, labelled anomalies)`);
    }

    if (token === '') out('no token (--token ""): any local user or web page that can reach this port can run code in its kernels');
    const args = [
      'lab',
      `--ServerApp.root_dir=${notebooks}`,
      '--ServerApp.ip=127.0.0.1',
      `--ServerApp.port=${port}`,
      '--ServerApp.port_retries=0',
      `--IdentityProvider.token=${token}`,
      `--ServerApp.open_browser=${values['no-browser'] ? 'False' : 'True'}`,
      // No announcements or update checks: nothing leaves the machine.
      '--LabApp.news_url=',
      '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate',
      '--LabApp.extension_manager=readonly',
      // JupyterLab refuses root unless told; containers and CI machines often are root.
      ...(process.getuid?.() === 0 ? ['--allow-root'] : []),
    ];
    jupyterProcess = spawn(jupyter, args, {
      env: { ...process.env, JUPYTER_PATH: dirs.data, JUPYTER_DATA_DIR: dirs.data, JUPYTER_RUNTIME_DIR: dirs.runtime, JUPYTER_CONFIG_DIR: dirs.config },
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    const url = `http://127.0.0.1:${port}/lab${token ? `?token=${token}` : ''}`;
    let announced = false;
    let lastProblem = '';
    jupyterProcess.stderr!.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      if (process.env.STREAMLAB_LAB_LOG) process.stderr.write(text);
      if (!announced && /Jupyter Server .* is running|http:\/\/127\.0\.0\.1:\d+\/lab/.test(text)) {
        announced = true;
        out(`JupyterLab is serving ${notebooks}${given ? '' : ` (a working copy of ${examples})`} at ${url}  (Ctrl-C stops it and everything above)`);
      }
      for (const line of text.split('\n')) if (/^\[[CE] /.test(line) || /Error: /.test(line)) lastProblem = line.replace(/^\[[CE] [^\]]*\]\s*/, '').trim();
    });
    const code = await new Promise<number>((resolve) => jupyterProcess!.once('exit', (c, signal) => resolve(c ?? (signal ? 0 : 1))));
    if (code !== 0 && !abort.signal.aborted) {
      throw new StreamlabError(`JupyterLab exited with code ${code}${lastProblem ? ` (${lastProblem})` : ''}`, 'run with STREAMLAB_LAB_LOG=1 to see its whole log');
    }
  } finally {
    await shutdown();
  }
}
