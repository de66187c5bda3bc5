/**
 * Turns kafkajs errors into one actionable line. kafkajs messages are often generic ("Connection error",
 * "This server does not host this topic-partition"), so the line names the brokers, the topic and the next step.
 */
import { StreamlabError } from '../errors';
import { ConnectionSettings, describeConnection, secretsOf } from './connection';
import { redact } from './secret';

interface ErrorContext {
  settings: ConnectionSettings;
  /** What we were doing, e.g. "consuming topic 'payments'". */
  action: string;
  topic?: string;
}

export function kafkaError(e: unknown, ctx: ErrorContext): StreamlabError {
  if (e instanceof StreamlabError) return e;
  const err = e as { name?: string; message?: string; type?: string; code?: string; cause?: unknown };
  const chain = causeChain(e);
  const names = chain.map((c) => c.name ?? '');
  const messages = chain.map((c) => c.message ?? '').join(' | ');
  const where = describeConnection(ctx.settings);
  const hide = (s: string) => redact(s, secretsOf(ctx.settings));

  let out: StreamlabError;
  const types = chain.map((c) => (c as { type?: string }).type ?? '');
  const codes = chain.map((c) => String((c as { code?: unknown }).code ?? '')).join(' ');
  const tls = ctx.settings.ssl ? tlsProblem(`${codes} ${messages}`) : undefined;
  if (tls) {
    const ca = ctx.settings.ssl?.caFile;
    out = new StreamlabError(
      `${ctx.action}: TLS with the broker at ${where} failed: ${tls.what}`,
      tls.untrusted
        ? `point ssl.caFile (STREAMLAB_SSL_CA, %connect --ssl-ca) at the CA certificate that signed the broker's certificate${ca ? `; ${ca} did not` : ''}`
        : tls.hint,
    );
  // A listener without SASL: librdkafka's mock lacks the SaslHandshake API, Kafka answers it with ILLEGAL_SASL_STATE.
  } else if (ctx.settings.sasl && (err.type === 'UNSUPPORTED_VERSION' || types.includes('ILLEGAL_SASL_STATE') || /does not support the requested API version/i.test(messages))) {
    out = new StreamlabError(
      `${ctx.action}: the broker at ${where} does not accept SASL on this listener`,
      'check the port and security protocol (SASL_PLAINTEXT / SASL_SSL listener), or drop the SASL settings',
    );
  } else if (names.includes('KafkaJSSASLAuthenticationError') || /SASL|authenticat/i.test(messages)) {
    out = new StreamlabError(
      `${ctx.action}: authentication failed at ${where}`,
      'check the SASL mechanism, username and password (STREAMLAB_SASL_* or the config file)',
    );
  } else if (
    names.some((n) => n === 'KafkaJSConnectionError' || n === 'KafkaJSConnectionClosedError' || n === 'KafkaJSRequestTimeoutError') ||
    /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|Connection (error|timeout)|connect/i.test(messages)
  ) {
    const reason = /ECONNREFUSED/.test(messages)
      ? 'connection refused'
      : /ENOTFOUND/.test(messages)
        ? 'unknown host'
        : /timeout|ETIMEDOUT/i.test(messages)
          ? 'timed out'
          : 'connection failed';
    out = new StreamlabError(
      `${ctx.action}: cannot reach Kafka at ${where} (${reason})`,
      ctx.settings.origin === 'embedded broker'
        ? 'the embedded broker may have stopped: start it again with `streamlab broker`'
        : ctx.settings.origin === 'local Kafka'
          ? 'the local Kafka may have stopped: start it again with `streamlab broker --kafka`'
          : 'check the broker addresses and that the cluster is up, or use the embedded broker (`streamlab broker`)',
    );
  } else if (err.type === 'UNKNOWN_TOPIC_OR_PARTITION' || /does not host this topic/i.test(messages)) {
    out = new StreamlabError(`${ctx.action}: unknown topic '${ctx.topic ?? '?'}' at ${where}`, 'check the topic name or create it first');
  } else if (err.type === 'TOPIC_AUTHORIZATION_FAILED' || err.type === 'GROUP_AUTHORIZATION_FAILED') {
    out = new StreamlabError(`${ctx.action}: not authorized (${err.type}) at ${where}`, 'ask for ACLs on the topic and on streamlab-* groups');
  } else if (types.some((t) => t === 'MESSAGE_TOO_LARGE' || t === 'RECORD_LIST_TOO_LARGE')) {
    out = new StreamlabError(
      `${ctx.action}: the broker at ${where} refused a record as larger than the topic${ctx.topic ? ` '${ctx.topic}'` : ''} accepts (${types.find((t) => t.endsWith('TOO_LARGE'))})`,
      "raise the topic's max.message.bytes (and the broker's message.max.bytes), or write smaller records",
    );
  } else {
    const last = chain[chain.length - 1];
    out = new StreamlabError(`${ctx.action} failed: ${last?.message ?? String(e)}`);
  }
  return new StreamlabError(hide(out.message), undefined, { cause: e });
}

/** Node's TLS failures, by their OpenSSL codes and messages (kafkajs keeps them on its connection errors). */
function tlsProblem(text: string): { untrusted: boolean; what: string; hint: string } | undefined {
  if (/SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|CERT_SIGNATURE_FAILURE|CERT_UNTRUSTED|self[- ]signed certificate|unable to verify the first certificate/i.test(text)) {
    return { untrusted: true, what: 'its certificate is not signed by a CA this client trusts', hint: '' };
  }
  if (/ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate's altnames/i.test(text)) {
    return { untrusted: false, what: 'its certificate is for another host name', hint: 'connect by a host name or IP address that the certificate lists' };
  }
  if (/CERT_HAS_EXPIRED|CERT_NOT_YET_VALID/i.test(text)) {
    return { untrusted: false, what: 'its certificate has expired or is not valid yet', hint: "renew the broker's certificate, or check this machine's clock" };
  }
  if (/disconnected before secure TLS connection was established/i.test(text)) {
    // What a Kafka plaintext listener does with a TLS hello: it closes the connection.
    return { untrusted: false, what: 'the broker closed the connection during the TLS handshake', hint: "check that this port is the broker's SSL or SASL_SSL listener, or drop the SSL settings" };
  }
  if (/wrong version number|ERR_SSL_WRONG_VERSION_NUMBER|packet length too long/i.test(text)) {
    return { untrusted: false, what: 'that port does not speak TLS', hint: "use the broker's SSL or SASL_SSL listener, or drop the SSL settings" };
  }
  return undefined;
}

function causeChain(e: unknown): { name?: string; message?: string }[] {
  const chain: { name?: string; message?: string }[] = [];
  let current: unknown = e;
  for (let depth = 0; current && depth < 8; depth++) {
    const c = current as { name?: string; message?: string; cause?: unknown; originalError?: unknown };
    chain.push(c);
    current = c.cause ?? c.originalError;
  }
  return chain;
}
