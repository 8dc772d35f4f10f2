import { spawn, type ChildProcess } from 'node:child_process';
import { ROOT } from './browser.js';
import { listensOn, onPort, StartError, tail } from './ports.js';

/** /metrics answers only with METRICS_TOKEN set, to its bearer; every test instance gets this one. */
export const METRICS_TOKEN = 'metrics-token-of-the-e2e-instances';

export interface Instance {
  name: string;
  port: number;
  url: string;
  /** Sends a signal; resolves when the process has exited, with its exit code (null after a kill). */
  kill(signal: NodeJS.Signals): Promise<number | null>;
  running(): boolean;
  /** What it printed (LOG_LEVEL=warn: warnings and errors only). */
  output(): string;
}

/**
 * A seatstream instance as its own process (`node --import tsx src/main.ts`), so a test can
 * SIGKILL or SIGTERM it. Resolves once it holds its port and `/readyz` answers 200.
 *
 * Port 0: a free port, and another one if some other process binds it first. Any other port is
 * used as it is (a restarted instance must come back where nginx sends requests); if it is taken,
 * this fails with the instance's output. `options.firstTry`: the port to try first with port 0.
 */
export async function startInstance(
  name: string,
  port: number,
  env: Record<string, string>,
  options: { firstTry?: number } = {},
): Promise<Instance> {
  return onPort(port, (chosen) => launch(name, chosen, env), options.firstTry);
}

async function launch(name: string, port: number, env: Record<string, string>): Promise<Instance> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    // No drain by default: a test that stops an instance wants its streams to end at once.
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      METRICS_TOKEN,
      SHUTDOWN_DRAIN_MS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await closed; // the last of its output
      throw new StartError(
        `instance ${name} exited with ${child.exitCode ?? child.signalCode} at start-up on port ${port}:\n` +
          tail(output),
        /EADDRINUSE/.test(output),
      );
    }
    // Only once the port is its own can /readyz be its answer rather than another process's.
    const ready =
      listensOn(child.pid, port) &&
      (await fetch(`${url}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      ));
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exit;
      throw new StartError(`instance ${name} not ready on port ${port} after 20 s:\n${tail(output)}`, false);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    name,
    port,
    url,
    running: () => child.exitCode === null && child.signalCode === null,
    kill: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exit;
    },
    output: () => output,
  };
}

/** Open SSE connections of an instance, from its /metrics. */
export async function openStreams(instance: Instance): Promise<number> {
  const text = await metrics(instance);
  const match = /^seatstream_sse_connections (\d+)/m.exec(text);
  return match ? Number(match[1]) : 0;
}

/** An instance's /metrics text (with the suite's METRICS_TOKEN). */
export async function metrics(instance: Instance): Promise<string> {
  const response = await fetch(`${instance.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  if (response.status !== 200) throw new Error(`${instance.name} /metrics: HTTP ${response.status}`);
  return response.text();
}
