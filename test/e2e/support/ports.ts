import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { freePort } from '../../support/redis-server.js';

/** A start-up that failed; `conflict` when the process could not bind its port (try another). */
export class StartError extends Error {
  constructor(
    message: string,
    readonly conflict: boolean,
  ) {
    super(message);
  }
}

/** Attempts on fresh ports before giving up: each one is only free until someone else binds it. */
const ATTEMPTS = 5;

/**
 * Runs `start` on `port`, or with port 0 on a free port, then on another each time the process
 * finds its port taken by the time it binds (a StartError with `conflict`). `firstTry` is the port
 * to try first with port 0 (tests of this retry use it).
 */
export async function onPort<T>(port: number, start: (port: number) => Promise<T>, firstTry?: number): Promise<T> {
  if (port !== 0) return start(port);
  const conflicts: string[] = [];
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    try {
      return await start(attempt === 0 && firstTry !== undefined ? firstTry : await freePort());
    } catch (error) {
      if (!(error instanceof StartError) || !error.conflict) throw error;
      conflicts.push(error.message);
    }
  }
  throw new Error(`no free port after ${ATTEMPTS} attempts, each taken by another process:\n${conflicts.join('\n')}`);
}

/** The last lines of what a process printed, for an error message. */
export function tail(output: string, lines = 40): string {
  const text = output.trimEnd();
  return text ? text.split('\n').slice(-lines).join('\n') : '(no output)';
}

/**
 * Whether process `pid` holds the listening socket of `port`: what answers there is then that
 * process, not one that had the port first. Without /proc (not Linux) there is no telling, so yes.
 */
export function listensOn(pid: number | undefined, port: number): boolean {
  if (pid === undefined) return false;
  if (!existsSync('/proc/net/tcp')) return true;
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      // sl local_address rem_address st ... inode: state 0A is LISTEN.
      const fields = line.trim().split(/\s+/);
      if (fields[1]?.endsWith(hexPort) && fields[3] === '0A') inodes.add(fields[9]!);
    }
  }
  if (inodes.size === 0) return false;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false; // exited
  }
  return fds.some((fd) => {
    try {
      return inodes.has(/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? '');
    } catch {
      return false; // closed meanwhile
    }
  });
}
