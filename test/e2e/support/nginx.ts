import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './browser.js';
import { freePort } from '../../support/redis-server.js';
import { listensOn, onPort, StartError, tail } from './ports.js';
import { makeCertificate, opensslNeed, type Certificate } from './tls.js';

/** nginx on PATH, else Debian's /usr/sbin/nginx (not on a normal user's PATH). */
function nginxBinary(): string | undefined {
  if (spawnSync('nginx', ['-v']).status === 0) return 'nginx';
  return existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : undefined;
}

const binary = nginxBinary();
/** The TLS listener of deploy/nginx.conf needs a certificate: without one given, startNginx makes one (openssl). */
export const nginxNeed = {
  name: 'nginx and openssl',
  present: binary !== undefined && opensslNeed.present,
  install: 'apt-get install nginx openssl',
};

/** deploy/nginx.conf with its placeholders filled, as envsubst would (only the named ones). */
export function renderNginxConf(values: {
  SEATSTREAM_LISTEN: string;
  SEATSTREAM_TLS_LISTEN: string;
  SEATSTREAM_TLS_CERT: string;
  SEATSTREAM_TLS_KEY: string;
  SEATSTREAM_1: string;
  SEATSTREAM_2: string;
}): string {
  let text = readFileSync(join(ROOT, 'deploy', 'nginx.conf'), 'utf8');
  for (const [name, value] of Object.entries(values)) text = text.replaceAll(`\${${name}}`, value);
  const left = /\$\{SEATSTREAM_\w+\}/.exec(text);
  if (left) throw new Error(`deploy/nginx.conf: placeholder ${left[0]} was not filled`);
  return text;
}

export interface Nginx {
  url: string;
  port: number;
  /** The TLS + HTTP/2 listener: https://127.0.0.1:<tlsPort> (its certificate is self-signed). */
  tlsUrl: string;
  tlsPort: number;
  /** Its error log so far (upstream failures are logged there). */
  errorLog(): string;
  stop(): Promise<void>;
}

/**
 * nginx of the test's own: a prefix directory in tmp with a main config that includes
 * deploy/nginx.conf (filled in), every log, pid and temp file inside it, not daemonised.
 *
 * Port 0: a free port, and another one if some other process binds it first. Any other port is
 * used as it is, failing with nginx's output if it is taken. `options.firstTry`: the port to try
 * first with port 0. `options.edit`: a change to the filled-in file (a benchmark's variant of it).
 */
export async function startNginx(
  port: number,
  upstreams: [string, string],
  options: { firstTry?: number; tls?: Certificate; edit?: (conf: string) => string } = {},
): Promise<Nginx> {
  if (!binary) throw new Error('nginx is not installed');
  return onPort(port, (chosen) => launch(binary, chosen, upstreams, options.tls, options.edit), options.firstTry);
}

/** What nginx logs when another process holds its port. */
const BIND_CONFLICT = /Address already in use/;

async function launch(
  binary: string,
  port: number,
  upstreams: [string, string],
  given: Certificate | undefined,
  edit: (conf: string) => string = (conf) => conf,
): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'seatstream-nginx-'));
  chmodSync(dir, 0o755); // workers run as an unprivileged user when the master is root
  mkdirSync(join(dir, 'temp'));
  const certificate = given ?? makeCertificate(dir);
  // Another free port for the TLS listener; taken meanwhile, it is a conflict like the main port's.
  const tlsPort = await freePort();
  writeFileSync(
    join(dir, 'seatstream.conf'),
    edit(
      renderNginxConf({
        SEATSTREAM_LISTEN: `127.0.0.1:${port}`,
        SEATSTREAM_TLS_LISTEN: `127.0.0.1:${tlsPort}`,
        SEATSTREAM_TLS_CERT: certificate.certFile,
        SEATSTREAM_TLS_KEY: certificate.keyFile,
        SEATSTREAM_1: upstreams[0],
        SEATSTREAM_2: upstreams[1],
      }),
    ),
  );
  writeFileSync(
    join(dir, 'nginx.conf'),
    [
      'worker_processes 1;',
      `error_log ${dir}/error.log info;`,
      'events { worker_connections 1024; }',
      'http {',
      `  access_log ${dir}/access.log;`,
      `  client_body_temp_path ${dir}/temp/client_body;`,
      `  proxy_temp_path ${dir}/temp/proxy;`,
      `  fastcgi_temp_path ${dir}/temp/fastcgi;`,
      `  uwsgi_temp_path ${dir}/temp/uwsgi;`,
      `  scgi_temp_path ${dir}/temp/scgi;`,
      `  include ${dir}/seatstream.conf;`,
      '}',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(
    binary,
    ['-p', `${dir}/`, '-c', `${dir}/nginx.conf`, '-e', `${dir}/error.log`, '-g', `daemon off; pid ${dir}/nginx.pid;`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const errorLog = (): string =>
    existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '';
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      // SIGTERM, not SIGKILL first: the master takes its workers down with it, a killed one does not.
      child.kill('SIGTERM'); // fast shutdown: open streams are cut
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ended = child.exitCode !== null || child.signalCode !== null;
    // nginx retries a taken port for a few seconds before it exits: no need to wait for that.
    const conflict = BIND_CONFLICT.test(stderr) || BIND_CONFLICT.test(errorLog());
    if (ended || conflict || Date.now() > deadline) {
      const output = `${stderr}${errorLog()}`;
      await stop();
      const why = ended
        ? `exited with ${child.exitCode ?? child.signalCode}`
        : conflict
          ? 'found it taken'
          : 'not up after 10 s';
      throw new StartError(`nginx on port ${port} ${why}:\n${tail(output)}`, conflict);
    }
    const up = listensOn(child.pid, port) && listensOn(child.pid, tlsPort);
    if (up && (await accepts(port)) && (await accepts(tlsPort))) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return { url: `http://127.0.0.1:${port}`, port, tlsUrl: `https://127.0.0.1:${tlsPort}`, tlsPort, errorLog, stop };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
