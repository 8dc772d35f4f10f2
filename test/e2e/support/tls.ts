import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const opensslNeed = {
  name: 'openssl',
  present: spawnSync('openssl', ['version']).status === 0,
  install: 'apt-get install openssl',
};

/** A PEM certificate and its key, as files. */
export interface Certificate {
  certFile: string;
  keyFile: string;
}

/** A self-signed certificate for localhost and 127.0.0.1 (2 days), written into `dir`. */
export function makeCertificate(dir: string): Certificate {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost'];
  args.push('-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', keyFile, '-out', certFile);
  const made = spawnSync('openssl', args, { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`openssl req failed (${made.status}): ${made.stderr}`);
  return { certFile, keyFile };
}
