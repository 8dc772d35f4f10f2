import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './browser.js';

/** nginx on PATH, else Debian's /usr/sbin/nginx (not on a normal user's PATH). */
function nginxBinary(): string | undefined {
  if (spawnSync('nginx', ['-v']).status === 0) return 'nginx';
  return existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : undefined;
}

const binary = nginxBinary();
export const nginxNeed = { name: 'nginx', present: binary !== undefined, install: 'apt-get install nginx' };

/** deploy/nginx.conf with its placeholders filled, as envsubst would (only the named ones). */
export function renderNginxConf(values: {
  SEATSTREAM_LISTEN: string;
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
  /** Its error log so far (upstream failures are logged there). */
  errorLog(): string;
  stop(): Promise<void>;
}

/**
 * nginx of the test's own: a prefix directory in tmp with a main config that includes
 * deploy/nginx.conf (filled in), every log, pid and temp file inside it, not daemonised.
 */
export async function startNginx(port: number, upstreams: [string, string]): Promise<Nginx> {
  if (!binary) throw new Error('nginx is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'seatstream-nginx-'));
  chmodSync(dir, 0o755); // workers run as an unprivileged user when the master is root
  mkdirSync(join(dir, 'temp'));
  writeFileSync(
    join(dir, 'seatstream.conf'),
    renderNginxConf({ SEATSTREAM_LISTEN: `127.0.0.1:${port}`, SEATSTREAM_1: upstreams[0], SEATSTREAM_2: upstreams[1] }),
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
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nginx did not start: ${stderr}\n${errorLog()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    errorLog,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM'); // fast shutdown: open streams are cut, workers exit with the master
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
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
