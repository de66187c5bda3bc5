/** %connect: choose the Kafka cluster for the notebook's session. */
import { StreamlabError, parseBrokers } from '../../../src';
import { LIBRARY, SESSION, call, lit, litIf, object, statement } from '../codegen';
import { defineMagic, flag, option, ValueType } from '../spec';
import { ValueError, choice, envVarName, text } from '../values';

/** Checked with the library's own rule, so the magic and connect() agree on what an address is. */
const brokers: ValueType<string> = {
  metavar: 'BROKERS',
  parse(raw) {
    try {
      parseBrokers(raw);
    } catch (e) {
      if (e instanceof StreamlabError) throw new ValueError(e.message);
      throw e;
    }
    return raw;
  },
};

export const connect = defineMagic({
  name: 'connect',
  summary: 'connect to a Kafka cluster (default: the configured brokers, else the embedded broker)',
  description:
    'Chooses the cluster every later magic and session call uses, and checks that it answers. Without BROKERS the ' +
    'brokers come from STREAMLAB_BROKERS, the config file or a running `streamlab broker`; with none of those an ' +
    'embedded broker is started. Passwords are never written on the magic line (the notebook would keep them): ' +
    'name the environment variable that holds one with --sasl-password-env.',
  positionals: [{ name: 'BROKERS', help: 'host:port, comma-separated', required: false, value: brokers }],
  options: {
    'client-id': option(text('ID'), 'Kafka client id (default streamlab-HOSTNAME)'),
    ssl: flag('connect with TLS'),
    'ssl-ca': option(text('FILE'), 'PEM file of the certificate authority to trust (implies --ssl)'),
    'sasl-mechanism': option(choice(['plain', 'scram-sha-256', 'scram-sha-512'] as const), 'SASL mechanism (default plain)'),
    'sasl-username': option(text('USER'), 'SASL user name'),
    'sasl-password-env': option(envVarName(), 'environment variable holding the SASL password'),
    config: option(text('FILE'), 'JSON config file to read settings from (default ~/.streamlab/config.json)'),
  },
  refused: {
    'sasl-password': 'a password in a cell would be saved in the notebook; put it in an environment variable and pass --sasl-password-env VAR',
  },
  examples: [
    '%connect',
    '%connect localhost:9092',
    '%connect broker1:9093,broker2:9093 --ssl-ca ca.pem --sasl-mechanism scram-sha-512 --sasl-username analyst --sasl-password-env KAFKA_PASSWORD',
  ],
  validate({ options: o }) {
    const sasl = o['sasl-mechanism'] !== undefined || o['sasl-username'] !== undefined || o['sasl-password-env'] !== undefined;
    if (sasl && (o['sasl-username'] === undefined || o['sasl-password-env'] === undefined)) {
      return 'SASL needs both --sasl-username and --sasl-password-env';
    }
    return undefined;
  },
  line({ positionals: [list], options: o }) {
    const ssl = o['ssl-ca'] !== undefined ? object({ caFile: lit(o['ssl-ca']) }) : o.ssl ? 'true' : undefined;
    const sasl =
      o['sasl-username'] === undefined || o['sasl-password-env'] === undefined
        ? undefined
        : object({
            mechanism: lit(o['sasl-mechanism'] ?? 'plain'),
            username: lit(o['sasl-username']),
            password: `${LIBRARY}.Secret.fromEnv(${lit(o['sasl-password-env'])})`,
          });
    const settings = object({
      brokers: list === undefined ? undefined : lit(parseBrokers(list)),
      clientId: litIf(o['client-id']),
      ssl,
      sasl,
      configFile: litIf(o.config),
    });
    return statement(`await ${call(`${SESSION}.connect`, [settings])}`);
  },
});
