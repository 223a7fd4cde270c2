import cluster, { type Worker } from 'node:cluster';
import os from 'node:os';
import type { Config } from './config/config';
import type { Logger } from './logger';

/**
 * WORKERS > 1 (or 0, one per core): several gateway processes behind one listening socket, so a
 * single gateway uses every core. Each worker is a whole gateway (src/main.ts run by
 * node:cluster), and the primary only forks, hands out connections (node:cluster's round-robin)
 * and relays signals.
 *
 * What the workers share is what Redis holds: with REDIS_URL they are one Zoho client (one access
 * token, one lock, one back-off), share rate-limit buckets and Idempotency-Keys. Without it each
 * worker mints its own token and keeps its own buckets, and keyed creates are refused (see
 * create-idempotency-store.ts); the primary says so at start.
 */

/** WORKERS as configured: 0 means one per core. */
export function workerCount(configured: number): number {
  return configured === 0 ? os.availableParallelism() : configured;
}

/** In a worker: lines carry its id, so the interleaved logs of a fleet of workers can be told apart. */
export function workerLogger(log: Logger): Logger {
  return cluster.isWorker && cluster.worker ? log.child({ worker: cluster.worker.id }) : log;
}

/** In a worker: whether it is one (a repeated stop signal is then the primary relaying, not "now"). */
export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

/** In a worker: `stop` runs when the primary is gone (killed), so no worker is left orphaned. */
export function onPrimaryGone(stop: () => void): void {
  if (cluster.isWorker) process.once('disconnect', stop);
}

/**
 * In the primary of WORKERS > 1: forks the workers and supervises them, and returns true (main.ts
 * then does nothing else). Returns false in a worker, or with WORKERS = 1: start the gateway here.
 */
export function startWorkers(config: Config, log: Logger): boolean {
  const workers = workerCount(config.workers);
  if (workers <= 1 || !cluster.isPrimary) return false;
  new ClusterPrimary(workers, config.shutdownGraceMs, log.child({ component: 'cluster' })).start(config.redis !== undefined);
  return true;
}

/** First restart delay of a worker that died; doubles up to the cap while they keep dying. */
const RESPAWN_DELAY_MS = 1_000;
const RESPAWN_DELAY_MAX_MS = 30_000;

class ClusterPrimary {
  private stopping = false;
  private exitCode = 0;
  private respawnDelayMs = RESPAWN_DELAY_MS;
  /** Workers that got as far as listening: one that dies before is a start failure, not a crash. */
  private readonly listened = new WeakSet<Worker>();

  constructor(
    private readonly workers: number,
    private readonly shutdownGraceMs: number,
    private readonly log: Logger,
  ) {}

  start(sharedStore: boolean): void {
    if (sharedStore) {
      this.log.info({ workers: this.workers }, `starting ${this.workers} workers; they share the access token, rate-limit buckets and idempotency keys through Redis`);
    } else {
      this.log.warn(
        { workers: this.workers },
        `starting ${this.workers} workers WITHOUT REDIS_URL: each mints its own access token (${this.workers} Zoho clients) and keeps its own rate-limit buckets, and creates with an Idempotency-Key are refused (503 IDEMPOTENCY_UNAVAILABLE); set REDIS_URL to share them`,
      );
    }
    cluster.on('exit', (worker, code, signal) => this.onExit(worker, code, signal));
    for (let i = 0; i < this.workers; i++) this.fork();
    process.on('SIGTERM', () => this.onStopSignal('SIGTERM'));
    process.on('SIGINT', () => this.onStopSignal('SIGINT'));
    // Every worker reloads its callers and reopens its audit file.
    process.on('SIGHUP', () => this.each((worker) => worker.process.kill('SIGHUP')));
  }

  private fork(): void {
    const worker = cluster.fork();
    worker.once('listening', () => {
      this.listened.add(worker);
      this.respawnDelayMs = RESPAWN_DELAY_MS;
    });
  }

  private onExit(worker: Worker, code: number | null, signal: string | null): void {
    if (code !== 0) this.exitCode = 1;
    if (this.stopping) {
      if (this.alive() === 0) this.exit(this.exitCode);
      return;
    }
    const line = { worker: worker.id, pid: worker.process.pid, code, signal };
    if (!this.listened.has(worker)) {
      // A configuration or dependency problem every worker would hit: no restart loop.
      this.log.error(line, 'a worker failed to start; stopping the gateway');
      this.stop(1);
      return;
    }
    this.log.error({ ...line, restart_in_ms: this.respawnDelayMs }, 'a worker died; starting another');
    setTimeout(() => {
      if (!this.stopping) this.fork();
    }, this.respawnDelayMs);
    this.respawnDelayMs = Math.min(this.respawnDelayMs * 2, RESPAWN_DELAY_MAX_MS);
  }

  private onStopSignal(signal: string): void {
    if (this.stopping) {
      // A second Ctrl-C means "now".
      this.log.warn({ signal }, 'second signal: stopping the workers without waiting for calls in flight');
      this.each((worker) => worker.process.kill('SIGKILL'));
      this.exit(1);
      return;
    }
    this.log.info({ signal, grace_ms: this.shutdownGraceMs }, 'shutting down the workers');
    this.stop(0);
  }

  /** Each worker stops the way a single gateway does on SIGTERM: drains, flushes, exits. */
  private stop(code: number): void {
    this.stopping = true;
    if (code !== 0) this.exitCode = code;
    if (this.alive() === 0) {
      this.exit(this.exitCode);
      return;
    }
    this.each((worker) => worker.process.kill('SIGTERM'));
    // A worker that hangs past its own grace period (plus its own safety margin) is killed.
    setTimeout(() => {
      this.log.error('workers did not stop in time');
      this.each((worker) => worker.process.kill('SIGKILL'));
      this.exit(1);
    }, this.shutdownGraceMs + 15_000).unref();
  }

  /** Writes out what the logger still buffers, then exits. */
  private exit(code: number): void {
    this.log.flush(() => process.exit(code));
  }

  private each(action: (worker: Worker) => void): void {
    for (const worker of Object.values(cluster.workers ?? {})) if (worker && !worker.isDead()) action(worker);
  }

  private alive(): number {
    return Object.values(cluster.workers ?? {}).filter((worker) => worker && !worker.isDead()).length;
  }
}
