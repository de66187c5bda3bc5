/**
 * A client of a Schema Registry's Confluent-compatible REST API (Confluent Schema Registry, Apicurio's ccompat API,
 * Redpanda, Karapace): schemas by id, subjects and versions, registration. Written on node:http(s) rather than taken
 * from `@kafkajs/confluent-schema-registry` because that one's Protobuf support is wrong (it drops the message
 * indexes) and it cannot take a CA file; what this needs of the API is four GETs and one POST.
 *
 * Schemas by id are immutable, so they are cached (bounded, least recently used first out) and fetched once even
 * when many batches ask at the same time. Every failure is one line naming the registry and what to do; the
 * password never appears in one.
 */
import http from 'node:http';
import https from 'node:https';
import fs from 'node:fs';
import { StreamlabError } from '../../errors';
import type { SchemaRegistrySettings } from '../connection';
import type { RegisteredSchema, RegistrySchemaType, SchemaReference } from './types';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const DEFAULT_TIMEOUT_MS = 10_000;

export interface SubjectVersion {
  subject: string;
  version: number;
}

/** A registry that answered with an HTTP error: `status` and the registry's own error code. */
export class SchemaRegistryError extends StreamlabError {
  constructor(
    message: string,
    hint: string | undefined,
    readonly status: number | undefined,
    readonly errorCode: number | undefined,
  ) {
    super(message, hint);
  }
}

export class SchemaRegistryClient {
  private readonly byId = new Map<number, RegisteredSchema>();
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private readonly agent: http.Agent;
  private readonly base: URL;

  constructor(
    readonly settings: SchemaRegistrySettings,
    private readonly options: { cacheSize?: number; timeoutMs?: number } = {},
  ) {
    this.base = new URL(settings.url.endsWith('/') ? settings.url : `${settings.url}/`);
    this.agent = this.base.protocol === 'https:' ? new https.Agent({ keepAlive: true, ca: settings.caFile ? fs.readFileSync(settings.caFile) : undefined }) : new http.Agent({ keepAlive: true });
  }

  /** Where the registry is, for messages: its URL and where that came from, never its password. */
  describe(): string {
    return `${this.settings.url} (from ${this.settings.origin})`;
  }

  /** The schema with this id (cached). */
  async schemaById(id: number): Promise<RegisteredSchema> {
    const cached = this.byId.get(id);
    if (cached) {
      // Least recently used goes first: a hit moves the entry to the end.
      this.byId.delete(id);
      this.byId.set(id, cached);
      return cached;
    }
    const schema = await this.once(`id:${id}`, async () => {
      const body = (await this.request('GET', `schemas/ids/${id}`, undefined, `schema id ${id}`)) as { schema?: unknown; schemaType?: unknown; references?: unknown };
      return { id, ...parseSchemaBody(body, `schema id ${id}`, this.describe()) };
    });
    this.byId.set(id, schema);
    const limit = this.options.cacheSize ?? 1000;
    while (this.byId.size > limit) this.byId.delete(this.byId.keys().next().value as number);
    return schema;
  }

  /** The subjects and versions a schema id is registered under. */
  async versionsOf(id: number): Promise<SubjectVersion[]> {
    return this.once(`versions:${id}`, async () => {
      const body = await this.request('GET', `schemas/ids/${id}/versions`, undefined, `the versions of schema id ${id}`);
      return Array.isArray(body) ? (body as SubjectVersion[]).filter((v) => typeof v?.subject === 'string' && Number.isInteger(v.version)) : [];
    });
  }

  /** A subject's schema at a version ('latest' for the newest). */
  async schemaBySubject(subject: string, version: number | 'latest' = 'latest'): Promise<RegisteredSchema & SubjectVersion> {
    const body = (await this.request('GET', `subjects/${encodeURIComponent(subject)}/versions/${version}`, undefined, `subject '${subject}' version ${version}`)) as {
      id?: unknown;
      version?: unknown;
      schema?: unknown;
      schemaType?: unknown;
      references?: unknown;
    };
    if (!Number.isInteger(body.id) || !Number.isInteger(body.version)) throw new StreamlabError(`the Schema Registry at ${this.describe()} answered subject '${subject}' without an id and version`);
    return { id: body.id as number, subject, version: body.version as number, ...parseSchemaBody(body, `subject '${subject}'`, this.describe()) };
  }

  /** Registers a schema under a subject (or finds it registered already); returns its id. */
  async register(subject: string, schema: { schemaType: RegistrySchemaType; schema: string; references?: SchemaReference[] }): Promise<number> {
    const body = {
      schema: schema.schema,
      ...(schema.schemaType === 'AVRO' ? {} : { schemaType: schema.schemaType }),
      ...(schema.references?.length ? { references: schema.references } : {}),
    };
    const answer = (await this.request('POST', `subjects/${encodeURIComponent(subject)}/versions`, body, `registering a schema under subject '${subject}'`)) as { id?: unknown };
    if (!Number.isInteger(answer.id)) throw new StreamlabError(`the Schema Registry at ${this.describe()} registered subject '${subject}' without returning an id`);
    return answer.id as number;
  }

  /** The registry's subjects. */
  async subjects(): Promise<string[]> {
    const body = await this.request('GET', 'subjects', undefined, 'the subjects');
    return Array.isArray(body) ? body.filter((s): s is string => typeof s === 'string') : [];
  }

  close(): void {
    this.agent.destroy();
  }

  private once<T>(key: string, run: () => Promise<T>): Promise<T> {
    const running = this.inFlight.get(key) as Promise<T> | undefined;
    if (running) return running;
    const started = run().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, started);
    return started;
  }

  private request(method: 'GET' | 'POST', path: string, body: unknown, what: string): Promise<unknown> {
    const url = new URL(path, this.base);
    const headers: Record<string, string> = { Accept: `${CONTENT_TYPE}, application/json` };
    if (body !== undefined) headers['Content-Type'] = CONTENT_TYPE;
    if (this.settings.username !== undefined) {
      headers.Authorization = `Basic ${Buffer.from(`${this.settings.username}:${this.settings.password?.reveal() ?? ''}`).toString('base64')}`;
    }
    const where = this.describe();
    return new Promise((resolve, reject) => {
      const request = (url.protocol === 'https:' ? https : http).request(url, { method, headers, agent: this.agent, timeout: this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('error', (e) => reject(unreachable(e, where, what)));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text === '' ? undefined : JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            if (parsed === undefined) reject(new StreamlabError(`the Schema Registry at ${where} answered ${what} with something that is not JSON`, 'check that the URL is the registry API (Apicurio: /apis/ccompat/v7)'));
            else resolve(parsed);
            return;
          }
          reject(httpError(status, parsed as { error_code?: unknown; message?: unknown } | undefined, where, what));
        });
      });
      request.on('timeout', () => request.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      request.on('error', (e) => reject(unreachable(e, where, what)));
      request.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }
}

function parseSchemaBody(body: { schema?: unknown; schemaType?: unknown; references?: unknown }, what: string, where: string): Omit<RegisteredSchema, 'id'> {
  if (typeof body?.schema !== 'string') throw new StreamlabError(`the Schema Registry at ${where} answered ${what} without a schema`);
  const type = body.schemaType === undefined || body.schemaType === null ? 'AVRO' : String(body.schemaType).toUpperCase();
  if (type !== 'AVRO' && type !== 'PROTOBUF' && type !== 'JSON') throw new StreamlabError(`${what} at ${where} is a ${type} schema, which streamlab does not decode`, 'use Avro, Protobuf or JSON Schema');
  const references = Array.isArray(body.references) ? (body.references as SchemaReference[]).filter((r) => typeof r?.name === 'string' && typeof r.subject === 'string') : [];
  return { schemaType: type, schema: body.schema, references };
}

function unreachable(e: Error & { code?: string }, where: string, what: string): StreamlabError {
  const reason = e.code === 'ECONNREFUSED' ? 'connection refused' : e.code === 'ENOTFOUND' ? 'unknown host' : e.code === 'ETIMEDOUT' ? 'timed out' : /certificate|self.signed|SSL|TLS/i.test(`${e.code} ${e.message}`) ? `TLS failed (${e.code ?? e.message})` : (e.code ?? e.message);
  return new SchemaRegistryError(
    `cannot reach the Schema Registry at ${where} for ${what} (${reason})`,
    reason.startsWith('TLS') ? 'point the registry caFile (STREAMLAB_SCHEMA_REGISTRY_CA) at the CA that signed its certificate' : 'check the URL and that the registry is up (`streamlab broker --kafka --registry` starts one)',
    undefined,
    undefined,
  );
}

function httpError(status: number, body: { error_code?: unknown; message?: unknown } | undefined, where: string, what: string): SchemaRegistryError {
  const code = typeof body?.error_code === 'number' ? body.error_code : undefined;
  const said = typeof body?.message === 'string' ? `: ${body.message.replace(/\s+/g, ' ').slice(0, 200)}` : '';
  if (status === 401 || status === 403) {
    return new SchemaRegistryError(`the Schema Registry at ${where} refused ${what}: ${status === 401 ? 'not authenticated' : 'not authorized'} (HTTP ${status})`, 'check the registry username and password (STREAMLAB_SCHEMA_REGISTRY_USERNAME / _PASSWORD)', status, code);
  }
  if (status === 404) {
    return new SchemaRegistryError(`the Schema Registry at ${where} has no ${what} (HTTP 404${code ? `, error ${code}` : ''})`, 'check the id or subject, and that this is the registry the producer used', status, code);
  }
  if (status === 409 || status === 422) {
    return new SchemaRegistryError(`the Schema Registry at ${where} refused ${what} (HTTP ${status}${said})`, status === 409 ? 'the schema is not compatible with the subject\'s earlier versions: change it compatibly, or register it under another subject' : 'fix the schema', status, code);
  }
  return new SchemaRegistryError(`the Schema Registry at ${where} failed ${what} (HTTP ${status}${said})`, 'try again; if it persists, see the registry\'s log', status, code);
}
