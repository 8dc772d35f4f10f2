/** Process entry: configuration, listening, signals. Everything else is in buildApp. */
import { ConfigError, loadConfig } from './config.js';
import { buildApp } from './http/app.js';

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`seatstream: configuration error: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }

  const app = await buildApp(config);
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal, drainMs: config.shutdownDrainMs }, 'shutting down: readiness off, draining');
    // Past the drain and the grace period exit anyway: a stuck close must not keep a dead instance.
    setTimeout(() => process.exit(1), config.shutdownDrainMs + config.shutdownGraceMs).unref();
    await app.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  await app.listen({ port: config.port, host: config.host, backlog: config.listenBacklog });
}

void main().catch((error: unknown) => {
  console.error('seatstream: failed to start', error);
  process.exit(1);
});
