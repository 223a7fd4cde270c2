import { ConfigError, loadConfig } from './config/config';
import { startGateway } from './gateway';
import { createLogger } from './logger';

/** Entry point: configuration once, then the gateway; SIGTERM/SIGINT stop it gracefully. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const log = createLogger(config.log);
  const gateway = await startGateway(config, log);
  log.info({ listen: gateway.url, store: gateway.store.kind, data_centre: config.zoho.dataCentre }, 'zoho-voice-gateway listening');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    gateway
      .close()
      .then(() => {
        log.info('stopped');
        log.flush();
        process.exitCode = 0;
      })
      .catch((err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exitCode = 1;
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Reload the callers file (a bad one keeps the callers in use) and reopen the audit file.
  process.on('SIGHUP', () => {
    log.info({ signal: 'SIGHUP' }, 'reloading callers and reopening the audit log');
    void gateway.reload();
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`zoho-voice-gateway failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
