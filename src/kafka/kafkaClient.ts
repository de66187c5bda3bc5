/** Builds kafkajs clients from resolved connection settings. The only place a secret is revealed. */
import fs from 'node:fs';
import { Kafka, KafkaConfig, SASLOptions } from 'kafkajs';
import { ConnectionSettings, secretsOf } from './connection';
import { redactingLogCreator } from './clientLog';
import { installCompressionCodecs } from './compression';

export function createKafka(settings: ConnectionSettings, retries = 5): Kafka {
  installCompressionCodecs();
  const config: KafkaConfig = {
    clientId: settings.clientId,
    brokers: settings.brokers,
    connectionTimeout: settings.connectionTimeoutMs,
    requestTimeout: settings.requestTimeoutMs,
    retry: { retries, initialRetryTime: 200, maxRetryTime: 5000 },
    logCreator: redactingLogCreator(secretsOf(settings)),
  };
  if (settings.ssl) {
    const s = settings.ssl;
    config.ssl = {
      rejectUnauthorized: s.rejectUnauthorized,
      ca: s.caFile ? [fs.readFileSync(s.caFile, 'utf8')] : undefined,
      cert: s.certFile ? fs.readFileSync(s.certFile, 'utf8') : undefined,
      key: s.keyFile ? fs.readFileSync(s.keyFile, 'utf8') : undefined,
      passphrase: s.keyPassword?.reveal(),
    };
  }
  if (settings.sasl) {
    config.sasl = {
      mechanism: settings.sasl.mechanism,
      username: settings.sasl.username,
      password: settings.sasl.password.reveal(),
    } as SASLOptions;
  }
  return new Kafka(config);
}
