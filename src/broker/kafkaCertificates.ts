/**
 * TLS material for a local Kafka, made with openssl: a throwaway CA and a broker certificate for 127.0.0.1 and
 * localhost signed by it, and the PKCS#12 keystore the broker reads. Passwords reach openssl through its
 * environment (`env:`), never its command line, which other users of the machine can read.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { StreamlabError } from '../errors';

export interface BrokerCertificates {
  /** PEM: the broker's certificate, its unencrypted key, and the CA certificate that signed it. */
  certFile: string;
  keyFile: string;
  caFile: string;
}

function openssl(args: string[], env: Record<string, string> = {}, what = 'making TLS certificates'): void {
  const run = spawnSync('openssl', args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  if (run.error) {
    throw new StreamlabError(`${what} needs openssl, which does not run here`, 'install it (`apt-get install openssl`, `brew install openssl`) or pass certificates of your own');
  }
  if (run.status !== 0) {
    const reason = (run.stderr || run.stdout).trim().split('\n').pop() ?? `exit code ${run.status}`;
    throw new StreamlabError(`${what}: openssl ${args[0]} failed (${reason})`);
  }
}

/** A new CA and a broker certificate signed by it, valid for 30 days, in `dir`. */
export function makeBrokerCertificates(dir: string): BrokerCertificates {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const f = (name: string) => path.join(dir, name);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', '/CN=streamlab local CA', '-keyout', f('ca.key'), '-out', f('ca.pem')]);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', f('broker.key'), '-out', f('broker.csr')]);
  fs.writeFileSync(f('broker.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl(['x509', '-req', '-in', f('broker.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '30', '-extfile', f('broker.ext'), '-out', f('broker.pem')]);
  for (const name of ['ca.key', 'broker.key']) fs.chmodSync(f(name), 0o600);
  return { certFile: f('broker.pem'), keyFile: f('broker.key'), caFile: f('ca.pem') };
}

/** The broker's keystore: its key and certificate chain as PKCS#12, under `password`. */
export function writeKeystore(certs: BrokerCertificates, file: string, password: string): void {
  for (const [what, p] of [['certificate', certs.certFile], ['key', certs.keyFile], ['CA certificate', certs.caFile]] as const) {
    if (!fs.existsSync(p)) throw new StreamlabError(`the broker's TLS ${what} ${p} does not exist`, 'check the path');
  }
  openssl(
    ['pkcs12', '-export', '-in', certs.certFile, '-inkey', certs.keyFile, '-certfile', certs.caFile, '-name', 'broker', '-passout', 'env:STREAMLAB_KEYSTORE_PASSWORD', '-out', file],
    { STREAMLAB_KEYSTORE_PASSWORD: password },
    "making the broker's keystore",
  );
  fs.chmodSync(file, 0o600);
}
