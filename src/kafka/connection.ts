/**
 * Connection settings for a Kafka cluster: explicit options, then the environment (STREAMLAB_*), then a config
 * file, then the embedded broker's state file. Passwords are held as Secret so that no rendering of the settings
 * (errors, logs, notebook output) can show them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StreamlabError } from '../errors';
import { BrokerState, readBrokerState, stateDir } from '../config';
import { Secret } from './secret';

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';
const SASL_MECHANISMS: SaslMechanism[] = ['plain', 'scram-sha-256', 'scram-sha-512'];

export interface SslSettings {
  rejectUnauthorized: boolean;
  /** PEM file paths. */
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  keyPassword?: Secret;
}

export interface SaslSettings {
  mechanism: SaslMechanism;
  username: string;
  password: Secret;
}

export interface ConnectionSettings {
  brokers: string[];
  clientId: string;
  ssl?: SslSettings;
  sasl?: SaslSettings;
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
  /**
   * Where the brokers came from, for messages like "cannot reach Kafka at ... (from environment)": 'embedded broker'
   * and 'local Kafka' are a running `streamlab broker` and `streamlab broker --kafka`, found by their state file.
   */
  origin: 'options' | 'environment' | 'config file' | 'embedded broker' | 'local Kafka';
  /** Control API of the embedded broker, when that is what we talk to (topic creation goes through it). */
  embeddedControlUrl?: string;
  /** A Schema Registry (Confluent's API), when one is configured: registry formats fetch writer schemas from it. */
  schemaRegistry?: SchemaRegistrySettings;
}

export interface SchemaRegistrySettings {
  /** Base URL of the Confluent-compatible API (Apicurio: http://host:port/apis/ccompat/v7). */
  url: string;
  username?: string;
  password?: Secret;
  /** CA certificate that signed an https registry's certificate. */
  caFile?: string;
  origin: 'options' | 'environment' | 'config file' | 'local Kafka' | 'embedded broker';
}

/** What a user may pass for a Schema Registry: its URL, or the URL with basic auth and a CA. */
export type SchemaRegistryConnection = string | { url: string; username?: string; password?: string | Secret; passwordEnv?: string; caFile?: string };

/** What a user may pass in code or a magic; anything left out comes from the environment or files. */
export interface ConnectionOptions {
  brokers?: string | string[];
  clientId?: string;
  ssl?: boolean | Partial<Omit<SslSettings, 'keyPassword'>> & { keyPassword?: string | Secret };
  sasl?: { mechanism: string; username: string; password: string | Secret };
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** JSON config file; default $STREAMLAB_CONFIG or ~/.streamlab/config.json when it exists. */
  configFile?: string;
  /** Control API of an embedded broker these brokers belong to (found in the state file when omitted). */
  embeddedControlUrl?: string;
  /** Schema Registry; else STREAMLAB_SCHEMA_REGISTRY_URL (_USERNAME, _PASSWORD, _CA), the config file, the state file. */
  schemaRegistry?: SchemaRegistryConnection;
}

interface ConfigFile extends Omit<ConnectionOptions, 'configFile' | 'sasl'> {
  sasl?: { mechanism: string; username: string; password?: string; passwordEnv?: string };
}

export function defaultConfigPath(): string {
  return process.env.STREAMLAB_CONFIG || path.join(stateDir(), 'config.json');
}

export function resolveConnection(
  options: ConnectionOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ConnectionSettings {
  const configPath = options.configFile ?? env.STREAMLAB_CONFIG;
  const config = readConfigFile(configPath ?? defaultConfigPath(), configPath !== undefined, env);
  const fromEnv = environmentOptions(env);
  const layered: ConnectionOptions = { ...config, ...fromEnv, ...stripUndefined(options) };

  let origin: ConnectionSettings['origin'];
  let brokers = parseBrokers(layered.brokers);
  let embeddedControlUrl: string | undefined;
  const embedded = readBrokerState();
  if (options.brokers !== undefined) origin = 'options';
  else if (fromEnv.brokers !== undefined) origin = 'environment';
  else if (config.brokers !== undefined) origin = 'config file';
  else if (embedded) {
    origin = embedded.kind === 'kafka' ? 'local Kafka' : 'embedded broker';
    brokers = parseBrokers(embedded.bootstrapServers);
    // A local Kafka with TLS or SASL says how to reach it; settings given elsewhere still win.
    if (layered.ssl === undefined && embedded.caFile) layered.ssl = { caFile: embedded.caFile };
    if (layered.sasl === undefined && embedded.sasl) layered.sasl = stateSasl(embedded.sasl);
  } else {
    throw new StreamlabError(
      'no Kafka brokers configured',
      'pass brokers (e.g. "localhost:9092"), set STREAMLAB_BROKERS, or start the embedded broker with `streamlab broker`',
    );
  }
  if (options.embeddedControlUrl) embeddedControlUrl = options.embeddedControlUrl;
  else if (embedded?.controlUrl && sameBrokers(brokers, parseBrokers(embedded.bootstrapServers))) {
    embeddedControlUrl = embedded.controlUrl;
  }
  return {
    brokers,
    clientId: layered.clientId || `streamlab-${os.hostname()}`,
    ssl: sslSettings(layered.ssl),
    sasl: saslSettings(layered.sasl),
    connectionTimeoutMs: positive(layered.connectionTimeoutMs, 3000, 'connectionTimeoutMs'),
    requestTimeoutMs: positive(layered.requestTimeoutMs, 30000, 'requestTimeoutMs'),
    origin,
    embeddedControlUrl,
    schemaRegistry: registrySettings(options.schemaRegistry, fromEnv.schemaRegistry, config.schemaRegistry, embedded && origin !== 'options' && origin !== 'environment' && origin !== 'config file' ? embedded.schemaRegistryUrl : undefined, origin, env),
  };
}

/** The first registry given: options, environment, config file, then the one a local broker started beside it. */
function registrySettings(
  fromOptions: SchemaRegistryConnection | undefined,
  fromEnv: SchemaRegistryConnection | undefined,
  fromConfig: SchemaRegistryConnection | undefined,
  fromState: string | undefined,
  brokerOrigin: ConnectionSettings['origin'],
  env: NodeJS.ProcessEnv,
): SchemaRegistrySettings | undefined {
  const [given, origin]: [SchemaRegistryConnection | undefined, SchemaRegistrySettings['origin']] =
    fromOptions !== undefined ? [fromOptions, 'options'] : fromEnv !== undefined ? [fromEnv, 'environment'] : fromConfig !== undefined ? [fromConfig, 'config file'] : [fromState, brokerOrigin === 'local Kafka' ? 'local Kafka' : 'embedded broker'];
  if (given === undefined) return undefined;
  const o = typeof given === 'string' ? { url: given } : given;
  if (o === null || typeof o !== 'object' || typeof o.url !== 'string') throw new StreamlabError(`schemaRegistry (from ${origin}) needs a url`, 'give its URL, e.g. "http://localhost:8081"');
  let url: URL;
  try {
    url = new URL(o.url);
  } catch {
    throw new StreamlabError(`Schema Registry URL '${o.url}' (from ${origin}) is not a URL`, 'write it as http://host:port or https://host:port/path');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new StreamlabError(`Schema Registry URL '${o.url}' (from ${origin}) is not http or https`, 'write it as http://host:port or https://host:port/path');
  if (url.username || url.password) throw new StreamlabError(`the Schema Registry URL (from ${origin}) holds credentials`, 'pass username and password (or STREAMLAB_SCHEMA_REGISTRY_USERNAME / _PASSWORD) instead, so the password is never shown');
  const raw = o.passwordEnv !== undefined ? env[o.passwordEnv] : o.password;
  if (o.passwordEnv !== undefined && raw === undefined) throw new StreamlabError(`the Schema Registry password variable ${o.passwordEnv} is not set`, `set ${o.passwordEnv}, or drop passwordEnv`);
  const password = raw === undefined || raw === '' ? undefined : raw instanceof Secret ? raw : new Secret(raw);
  if (password && !o.username) throw new StreamlabError(`the Schema Registry (from ${origin}) has a password but no username`, 'give its username as well');
  if (o.caFile !== undefined && !fs.existsSync(o.caFile)) throw new StreamlabError(`Schema Registry caFile ${o.caFile} does not exist`, 'check the path (STREAMLAB_SCHEMA_REGISTRY_CA)');
  return { url: o.url.replace(/\/+$/, ''), username: o.username || undefined, password, caFile: o.caFile, origin };
}

/** A printable one-line description, safe to show anywhere. */
export function describeConnection(s: ConnectionSettings): string {
  const parts = [`brokers ${s.brokers.join(',')} (from ${s.origin})`];
  if (s.ssl) parts.push('SSL');
  if (s.sasl) parts.push(`SASL ${s.sasl.mechanism} as ${s.sasl.username}`);
  if (s.schemaRegistry) parts.push(`Schema Registry ${s.schemaRegistry.url}${s.schemaRegistry.username ? ` as ${s.schemaRegistry.username}` : ''}`);
  return parts.join(', ');
}

/**
 * The same options with any password given as a string held as a Secret, so that an object keeping them (a source
 * or sink a notebook cell shows) never renders the password.
 */
export function protectSecrets<T extends ConnectionOptions | ConnectionSettings | undefined>(connection: T): T {
  if (!connection || 'origin' in connection) return connection;
  const c = connection as ConnectionOptions;
  const out: ConnectionOptions = { ...c };
  if (c.sasl && !(c.sasl.password instanceof Secret)) out.sasl = { ...c.sasl, password: new Secret(c.sasl.password) };
  if (c.ssl && typeof c.ssl === 'object' && typeof c.ssl.keyPassword === 'string') out.ssl = { ...c.ssl, keyPassword: new Secret(c.ssl.keyPassword) };
  if (c.schemaRegistry && typeof c.schemaRegistry === 'object' && typeof c.schemaRegistry.password === 'string') out.schemaRegistry = { ...c.schemaRegistry, password: new Secret(c.schemaRegistry.password) };
  return out as T;
}

export function secretsOf(s: ConnectionSettings): Secret[] {
  return [s.sasl?.password, s.ssl?.keyPassword, s.schemaRegistry?.password].filter((x): x is Secret => x !== undefined);
}

export function parseBrokers(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const list = (Array.isArray(value) ? value : value.split(','))
    .map((b) => b.trim())
    .filter(Boolean);
  for (const b of list) {
    if (!/^[^\s:/]+:\d{1,5}$/.test(b)) {
      throw new StreamlabError(`bad broker address '${b}'`, 'write brokers as host:port, comma-separated');
    }
  }
  if (list.length === 0) throw new StreamlabError('the broker list is empty', 'write brokers as host:port, comma-separated');
  return list;
}

function environmentOptions(env: NodeJS.ProcessEnv): ConnectionOptions {
  const out: ConnectionOptions = {};
  if (env.STREAMLAB_BROKERS) out.brokers = env.STREAMLAB_BROKERS;
  if (env.STREAMLAB_CLIENT_ID) out.clientId = env.STREAMLAB_CLIENT_ID;
  const sslFlag = env.STREAMLAB_SSL?.toLowerCase();
  if (sslFlag || env.STREAMLAB_SSL_CA) {
    out.ssl = sslFlag === 'false' || sslFlag === '0'
      ? false
      : {
          caFile: env.STREAMLAB_SSL_CA,
          certFile: env.STREAMLAB_SSL_CERT,
          keyFile: env.STREAMLAB_SSL_KEY,
          keyPassword: env.STREAMLAB_SSL_KEY_PASSWORD,
          rejectUnauthorized: env.STREAMLAB_SSL_REJECT_UNAUTHORIZED !== 'false',
        };
  }
  if (env.STREAMLAB_SASL_MECHANISM || env.STREAMLAB_SASL_USERNAME) {
    out.sasl = {
      mechanism: env.STREAMLAB_SASL_MECHANISM ?? 'plain',
      username: env.STREAMLAB_SASL_USERNAME ?? '',
      password: new Secret(env.STREAMLAB_SASL_PASSWORD ?? ''),
    };
  }
  if (env.STREAMLAB_SCHEMA_REGISTRY_URL) {
    out.schemaRegistry = {
      url: env.STREAMLAB_SCHEMA_REGISTRY_URL,
      username: env.STREAMLAB_SCHEMA_REGISTRY_USERNAME,
      password: env.STREAMLAB_SCHEMA_REGISTRY_PASSWORD === undefined ? undefined : new Secret(env.STREAMLAB_SCHEMA_REGISTRY_PASSWORD),
      caFile: env.STREAMLAB_SCHEMA_REGISTRY_CA,
    };
  }
  return out;
}

function stateSasl(sasl: NonNullable<BrokerState['sasl']>): ConnectionOptions['sasl'] {
  let password: string;
  try {
    password = fs.readFileSync(sasl.passwordFile, 'utf8').trim();
  } catch {
    throw new StreamlabError(
      `the local Kafka's password file ${sasl.passwordFile} cannot be read`,
      'start the broker again with `streamlab broker --kafka`, or configure the connection yourself',
    );
  }
  return { mechanism: sasl.mechanism, username: sasl.username, password: new Secret(password) };
}

function readConfigFile(file: string, required: boolean, env: NodeJS.ProcessEnv): ConnectionOptions {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    if (required) throw new StreamlabError(`config file ${file} cannot be read`, 'check the path in STREAMLAB_CONFIG or configFile');
    return {};
  }
  let config: ConfigFile;
  try {
    config = JSON.parse(text) as ConfigFile;
  } catch (e) {
    throw new StreamlabError(`config file ${file} is not valid JSON (${(e as Error).message})`, 'fix the file or point STREAMLAB_CONFIG elsewhere');
  }
  const { sasl, ...rest } = config;
  delete (rest as ConnectionOptions).embeddedControlUrl;
  if (!sasl) return rest;
  // A password may live in the file or, better, in an environment variable the file names.
  const password = sasl.passwordEnv !== undefined ? env[sasl.passwordEnv] : sasl.password;
  if (password === undefined) {
    throw new StreamlabError(
      `config file ${file}: sasl has no password`,
      sasl.passwordEnv ? `set the environment variable ${sasl.passwordEnv}` : 'add "passwordEnv": "NAME_OF_ENV_VAR" (or "password")',
    );
  }
  return { ...rest, sasl: { mechanism: sasl.mechanism, username: sasl.username, password: new Secret(password) } };
}

function sslSettings(ssl: ConnectionOptions['ssl']): SslSettings | undefined {
  if (!ssl) return undefined;
  const given = ssl === true ? {} : ssl;
  for (const key of ['caFile', 'certFile', 'keyFile'] as const) {
    const file = given[key];
    if (file !== undefined && !fs.existsSync(file)) {
      throw new StreamlabError(`SSL ${key} ${file} does not exist`, 'check the path (STREAMLAB_SSL_CA / _CERT / _KEY)');
    }
  }
  const keyPassword = given.keyPassword;
  return {
    rejectUnauthorized: given.rejectUnauthorized ?? true,
    caFile: given.caFile,
    certFile: given.certFile,
    keyFile: given.keyFile,
    keyPassword: keyPassword === undefined || keyPassword instanceof Secret ? keyPassword : new Secret(keyPassword),
  };
}

function saslSettings(sasl: ConnectionOptions['sasl']): SaslSettings | undefined {
  if (!sasl) return undefined;
  const mechanism = sasl.mechanism.toLowerCase() as SaslMechanism;
  if (!SASL_MECHANISMS.includes(mechanism)) {
    throw new StreamlabError(`unknown SASL mechanism '${sasl.mechanism}'`, `use one of ${SASL_MECHANISMS.join(', ')}`);
  }
  if (!sasl.username) throw new StreamlabError('SASL needs a username', 'set STREAMLAB_SASL_USERNAME or sasl.username');
  const password = sasl.password instanceof Secret ? sasl.password : new Secret(sasl.password);
  if (password.empty) throw new StreamlabError(`SASL user ${sasl.username} has no password`, 'set STREAMLAB_SASL_PASSWORD or sasl.password');
  return { mechanism, username: sasl.username, password };
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new StreamlabError(`${name} must be a positive number of milliseconds, got ${value}`);
  return value;
}

function sameBrokers(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
