import { isClusterWorker, onPrimaryGone, startWorkers, workerLogger } from './cluster';
import { ConfigError, loadConfig } from './config/config';
import { startGateway } from './gateway';
import { createLogger, type Logger } from './logger';

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
  const baseLog = createLogger(config.log);
  // WORKERS > 1: this process only supervises; each worker runs the rest of main() itself.
  if (startWorkers(config, baseLog)) return;
  const log = workerLogger(baseLog);
  const gateway = await startGateway(config, log);
  log.info({ listen: gateway.url, store: gateway.store.kind, data_centre: config.zoho.dataCentre }, 'zoho-voice-gateway listening');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      // In a worker, a repeat is the primary relaying what the terminal already sent; the primary decides "now".
      if (isClusterWorker()) return;
      // A second Ctrl-C means "now".
      log.warn({ signal }, 'second signal: exiting without waiting for calls in flight');
      exitAfterFlush(log, 1);
      return;
    }
    stopping = true;
    log.info({ signal, grace_ms: config.shutdownGraceMs }, 'shutting down: /readyz 503, no new connections, finishing calls in flight');
    // Should closing hang anyway (a bug, a stuck dependency), exit before an orchestrator's SIGKILL.
    setTimeout(() => {
      log.error('shutdown did not finish in time');
      exitAfterFlush(log, 1);
    }, config.shutdownGraceMs + 10_000).unref();
    gateway.close().then(
      () => {
        log.info('stopped');
        exitAfterFlush(log, 0);
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        exitAfterFlush(log, 1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  onPrimaryGone(() => stop('primary exited'));
  // Reload the callers file (a bad one keeps the callers in use) and reopen the audit file.
  process.on('SIGHUP', () => {
    log.info({ signal: 'SIGHUP' }, 'reloading callers and reopening the audit log');
    void gateway.reload();
  });
}

/** Writes out what the logger still buffers, then exits (nothing left open may keep us alive). */
function exitAfterFlush(log: Logger, code: number): void {
  log.flush(() => process.exit(code));
}

main().catch((err: unknown) => {
  process.stderr.write(`zoho-voice-gateway failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
