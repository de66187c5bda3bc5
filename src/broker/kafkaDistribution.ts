/**
 * Where a real Apache Kafka comes from: a Java 17+ runtime on this machine, and the broker's jars from Maven Central,
 * resolved once by Maven (scripts/kafka/pom.xml names the version) into a cache folder, then started with `java`
 * directly (no Docker, no Kafka download site). Kafka publishes every module of its server on Maven Central, so the
 * same registry a Java developer already uses is the only one needed.
 */
import { spawnSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { StreamlabError } from '../errors';

/** The package root: dist/src/broker/ three levels up when built, src/broker/ two levels up from sources. */
const PACKAGE_ROOT = [path.join(__dirname, '..', '..', '..'), path.join(__dirname, '..', '..')].find((dir) =>
  fs.existsSync(path.join(dir, 'scripts', 'kafka', 'pom.xml')),
) ?? path.join(__dirname, '..', '..', '..');
const POM = path.join(PACKAGE_ROOT, 'scripts', 'kafka', 'pom.xml');
const COMPLETE_MARKER = '.complete';
const JAVA_INSTALL_HINT = 'install one (Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`, macOS: `brew install openjdk@17`), or set STREAMLAB_JAVA to a java binary';

export interface KafkaDistribution {
  version: string;
  java: string;
  javaVersion: number;
  /** Folder of the broker's jars; the classpath is `<libs>/*`. */
  libs: string;
}

/** The Kafka version streamlab runs, as the pom names it. */
export function kafkaVersion(): string {
  let pom: string;
  try {
    pom = fs.readFileSync(POM, 'utf8');
  } catch {
    throw new StreamlabError(`cannot read ${POM}`, 'the streamlab package is incomplete: reinstall it');
  }
  const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1];
  if (!version) throw new StreamlabError(`${POM} names no <kafka.version>`);
  return version;
}

/** Cache of fetched jars: $STREAMLAB_KAFKA_CACHE, else `.cache/kafka` in the package (ignored by git). */
export function kafkaCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.STREAMLAB_KAFKA_CACHE || path.join(PACKAGE_ROOT, '.cache', 'kafka');
}

/**
 * A Java runtime of 17 or newer (Kafka 4 needs 17): $STREAMLAB_JAVA, else $JAVA_HOME/bin/java, else `java` on the PATH.
 * Throws one line saying how to get one.
 */
export function findJava(env: NodeJS.ProcessEnv = process.env): { java: string; javaVersion: number } {
  const candidates: [string, string][] = [];
  if (env.STREAMLAB_JAVA) candidates.push([env.STREAMLAB_JAVA, 'STREAMLAB_JAVA']);
  else {
    if (env.JAVA_HOME) candidates.push([path.join(env.JAVA_HOME, 'bin', 'java'), 'JAVA_HOME']);
    candidates.push(['java', 'the PATH']);
  }
  for (const [java, where] of candidates) {
    const run = spawnSync(java, ['-version'], { encoding: 'utf8', env, timeout: 20_000 });
    if (run.error || run.status !== 0) continue;
    const version = /version "(\d+)(?:\.(\d+))?/.exec(run.stderr + run.stdout);
    const major = version ? (version[1] === '1' ? Number(version[2]) : Number(version[1])) : NaN;
    if (!(major >= 17)) {
      throw new StreamlabError(`Apache Kafka ${kafkaVersion()} needs Java 17 or newer, and the java from ${where} is ${Number.isNaN(major) ? 'of an unknown version' : `Java ${major}`}`, JAVA_INSTALL_HINT);
    }
    return { java, javaVersion: major };
  }
  const looked = env.STREAMLAB_JAVA ? `STREAMLAB_JAVA (${env.STREAMLAB_JAVA}) does not run` : `no java found ${env.JAVA_HOME ? 'in JAVA_HOME or ' : ''}on the PATH`;
  throw new StreamlabError(`a real Apache Kafka needs Java 17 or newer, and ${looked}`, JAVA_INSTALL_HINT);
}

/** The jars of this version when they are all in the cache, else undefined. */
export function cachedKafkaLibs(version = kafkaVersion(), env: NodeJS.ProcessEnv = process.env): string | undefined {
  const libs = path.join(kafkaCacheDir(env), version, 'libs');
  return fs.existsSync(path.join(libs, COMPLETE_MARKER)) ? libs : undefined;
}

export interface FetchProgress {
  (line: string): void;
}

/**
 * Resolves the broker's jars with Maven into the cache (its own local repository beside them, so nothing is shared
 * with or taken from ~/.m2), unless they are there already. Returns the jars folder.
 */
export async function fetchKafka(options: { env?: NodeJS.ProcessEnv; progress?: FetchProgress } = {}): Promise<string> {
  const env = options.env ?? process.env;
  const version = kafkaVersion();
  const cached = cachedKafkaLibs(version, env);
  if (cached) return cached;
  const cache = kafkaCacheDir(env);
  const libs = path.join(cache, version, 'libs');
  const mvn = env.STREAMLAB_MVN || 'mvn';
  const probe = spawnSync(mvn, ['--version'], { encoding: 'utf8', env, timeout: 60_000 });
  if (probe.error || probe.status !== 0) {
    throw new StreamlabError(
      `Apache Kafka ${version} is not in ${cache} yet, and fetching it from Maven Central needs Maven (${mvn} does not run)`,
      'install Maven (`apt-get install maven`, `brew install maven`) or set STREAMLAB_KAFKA_CACHE to a folder holding <version>/libs/*.jar',
    );
  }
  options.progress?.(`fetching Apache Kafka ${version} from Maven Central into ${path.join(cache, version)} (once; about 45 MB)`);
  fs.rmSync(libs, { recursive: true, force: true });
  fs.mkdirSync(libs, { recursive: true });
  const args = [
    '-B', '-q', '-f', POM,
    `-Dmaven.repo.local=${path.join(cache, 'm2')}`,
    `-DoutputDirectory=${libs}`,
    '-DincludeScope=runtime',
    'dependency:copy-dependencies',
  ];
  const output = await new Promise<{ code: number | null; text: string }>((resolve) => {
    const child = spawn(mvn, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    const keep = (d: Buffer) => (text = (text + d.toString('utf8')).slice(-4000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (e) => resolve({ code: -1, text: e.message }));
    child.on('exit', (code) => resolve({ code, text }));
  });
  const jars = fs.readdirSync(libs).filter((f) => f.endsWith('.jar'));
  if (output.code !== 0 || !jars.some((j) => j.startsWith(`kafka_2.13-${version}`))) {
    const reason = output.text.split('\n').map((l) => l.replace(/\x1b\[[0-9;]*m/g, '').trim()).find((l) => /ERROR|Could not|Failed/.test(l)) ?? `mvn exited with ${output.code}`;
    throw new StreamlabError(`fetching Apache Kafka ${version} from Maven Central failed: ${reason.slice(0, 300)}`, 'check the network to Maven Central and run it again');
  }
  fs.writeFileSync(path.join(libs, COMPLETE_MARKER), jars.sort().join('\n') + '\n');
  return libs;
}

/** Java and the jars, fetching the jars when they are not cached. */
export async function kafkaDistribution(options: { env?: NodeJS.ProcessEnv; progress?: FetchProgress } = {}): Promise<KafkaDistribution> {
  const { java, javaVersion } = findJava(options.env);
  const libs = await fetchKafka(options);
  return { version: kafkaVersion(), java, javaVersion, libs };
}
