import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { e2eEnabled } from './support/browser.js';
import { metrics, startInstance } from './support/instances.js';
import { nginxNeed, startNginx } from './support/nginx.js';

/**
 * Start-up of the processes the browser suites run: a port taken by someone else is retried (or,
 * when it was asked for, reported with the process's output), and a failed start leaves nothing.
 */
const ENV = { SESSION_SECRET: 'a-session-secret-for-the-start-up-tests', LOG_LEVEL: 'warn' };

/**
 * Holds a loopback port and answers every request with 200, as another server there would: a
 * start-up that only asks the port takes it for its own process.
 */
async function occupy(): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer((socket) => {
    socket.on('data', () => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n'));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Pids of the processes named `comm` this test process started and that still run. */
function children(comm: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        return name === comm && state !== 'Z' && Number(ppid) === process.pid;
      } catch {
        return false; // exited meanwhile
      }
    })
    .map(Number);
}

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

describe('a seatstream instance as a process', () => {
  it('comes up on another port when the one it tries first is taken', async () => {
    const taken = await occupy();
    cleanup.push(taken.close);
    const instance = await startInstance('x', 0, ENV, { firstTry: taken.port });
    cleanup.push(() => instance.kill('SIGKILL'));

    expect(instance.port).not.toBe(taken.port);
    expect((await fetch(`${instance.url}/readyz`)).status).toBe(200);
    expect(await metrics(instance)).toMatch(/seatstream_sse_connections/);
  });

  it('on a port asked for and taken: fails with its output', async () => {
    const taken = await occupy();
    cleanup.push(taken.close);

    await expect(startInstance('x', taken.port, ENV)).rejects.toThrow(/instance x exited .*\n[\s\S]*EADDRINUSE/);
  });
});

const withNginx = e2eEnabled('nginx start-up', [nginxNeed]);

describe.skipIf(!withNginx)('nginx as a process', () => {
  const upstreams: [string, string] = ['127.0.0.1:9', '127.0.0.1:9'];

  it('comes up on another port when the one it tries first is taken', async () => {
    const taken = await occupy();
    cleanup.push(taken.close);
    const nginx = await startNginx(0, upstreams, { firstTry: taken.port });
    cleanup.push(nginx.stop);

    expect(nginx.port).not.toBe(taken.port);
    // Its own answer: nothing listens upstream, so nginx says 502.
    expect((await fetch(`${nginx.url}/readyz`)).status).toBe(502);
  });

  it('on a port asked for and taken: fails with its output at once, and leaves no nginx running', async () => {
    const taken = await occupy();
    cleanup.push(taken.close);
    const before = children('nginx');
    const startedAt = Date.now();

    await expect(startNginx(taken.port, upstreams)).rejects.toThrow(/Address already in use/);
    expect(Date.now() - startedAt).toBeLessThan(2000); // not after nginx's own bind retries
    expect(children('nginx').filter((pid) => !before.includes(pid))).toEqual([]);
  });
});
