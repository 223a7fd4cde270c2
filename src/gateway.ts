import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { AuditLog } from './audit/audit-log';
import { CallerDirectory, type ReloadOutcome } from './callers/caller-directory';
import { isLoopbackHost, type Config } from './config/config';
import { clientErrorHandler, connectHandler } from './http/client-error';
import type { Logger } from './logger';
import { systemClock, type Clock } from './oauth/clock';
import { ZohoTokenClient } from './oauth/token-client';
import { TokenSource } from './oauth/token-source';
import { createTokenStore } from './oauth/token-store/create-token-store';
import type { TokenStore } from './oauth/token-store/token-store';
import { createIdempotencyStore } from './idempotency/create-idempotency-store';
import type { IdempotencyStore } from './idempotency/idempotency-store';
import { Drain } from './ops/drain';
import { createOpsApp } from './ops/ops-app';
import { CircuitBreaker } from './proxy/circuit-breaker';
import { UpstreamForwarder } from './proxy/upstream-forwarder';
import { Registry } from 'prom-client';
import packageJson from '../package.json';
import { GatewayMetrics } from './ops/metrics';
import { closeRedisClient, createRedisClient, type RedisClient } from './redis/connection';
import { createRateLimiter } from './ratelimit/create-rate-limiter';
import { createApp } from './server';

/** A gateway listening for calls, with everything it built. */
export interface RunningGateway {
  url: string;
  /** The ops-only listener's base URL (OPS_PORT), when configured. */
  opsUrl?: string;
  server: http.Server;
  tokens: TokenSource;
  store: TokenStore;
  /**
   * The one Redis connection (or Cluster client) of this gateway when REDIS_URL is set, null
   * otherwise. Every Redis-backed feature shares it, with key names from src/redis/keys.ts.
   */
  redis: RedisClient | null;
  /** The breaker toward the Voice API: `state`, `snapshot()`, `onStateChange()`. */
  breaker: CircuitBreaker;
  /** Where the first answer to each Idempotency-Key is kept. */
  idempotency: IdempotencyStore;
  /** Its Prometheus metrics (own registry); the circuit breaker is wired in with metrics.watchCircuit(). */
  metrics: GatewayMetrics;
  /**
   * SIGHUP: re-reads the callers file (a bad file keeps the callers in use and logs why) and
   * reopens the audit file (log rotation). Resolves null in sidecar mode (no callers file).
   */
  reload(): Promise<ReloadOutcome | null>;
  /** Stops taking calls, lets in-flight ones finish (up to the grace period), closes what it opened. */
  close(): Promise<void>;
}

export interface GatewayOverrides {
  clock?: Clock;
}

/**
 * The composition root: builds every dependency from the configuration, wires them into the app
 * and listens. main.ts, the demo and the tests all start the gateway through here.
 */
export async function startGateway(config: Config, log: Logger, overrides: GatewayOverrides = {}): Promise<RunningGateway> {
  const clock = overrides.clock ?? systemClock;
  // Callers and the audit trail first: a bad callers file or an unwritable audit file stops the start.
  const callers = config.callersFile ? CallerDirectory.load(config.callersFile, log.child({ component: 'callers' })) : null;
  if (!callers) logUnauthenticatedMode(config, log);
  const audit = await AuditLog.open(config.auditLogFile, log.child({ component: 'audit' }));
  // Redis before anything that uses it: a wrong URL, password or TLS setting stops the start here.
  // One registry per gateway, never prom-client's global one: two gateways in a process stay apart.
  const metrics = new GatewayMetrics({ registry: new Registry(), version: packageJson.version });
  const redis = config.redis ? await createRedisClient(config.redis, log.child({ component: 'redis' })) : null;
  const rateLimiter = createRateLimiter(config, clock, redis ? { client: redis, log: log.child({ component: 'rate-limit' }), onError: () => metrics.redisError('rate_limit') } : undefined);
  const store = await createTokenStore(config, clock, redis ? { client: redis, log: log.child({ component: 'token' }) } : undefined);
  const client = new ZohoTokenClient({
    accountsUrl: config.zoho.accountsUrl,
    clientId: config.zoho.clientId,
    clientSecret: config.zoho.clientSecret,
    refreshToken: config.zoho.refreshToken,
    timeoutMs: config.token.endpointTimeoutMs,
  });
  const tokens = new TokenSource({
    store,
    client,
    clock,
    log: log.child({ component: 'token' }),
    expirySkewMs: config.token.expirySkewMs,
    refreshAheadMs: config.token.refreshAheadMs,
    endpointTimeoutMs: config.token.endpointTimeoutMs,
    rateLimitBackoffMs: config.token.rateLimitBackoffMs,
    observer: metrics.tokenObserver,
  });
  const forwarder = new UpstreamForwarder({
    voiceUrl: config.zoho.voiceUrl,
    connectTimeoutMs: config.upstream.connectTimeoutMs,
    maxSockets: config.upstream.maxSockets,
  });

  const breaker = new CircuitBreaker({ ...config.upstream.breaker, clock });
  breaker.onStateChange((to, from, snapshot) => {
    const line = { component: 'breaker', from, to, consecutive_failures: snapshot.consecutiveFailures, retry_in_ms: snapshot.retryInMs };
    if (to === 'open') log.warn(line, 'circuit breaker open: failing fast toward Zoho');
    else log.info(line, `circuit breaker ${to}`);
  });
  metrics.watchCircuit(() => breaker.state);
  const idempotency = createIdempotencyStore(config, clock, redis ?? undefined);
  const drain = new Drain();

  // Not ready when no token can be had; the breaker's state rides along in the detail log.
  const readiness = { ready: () => tokens.ready(), status: () => ({ ...tokens.status(), breaker: breaker.snapshot() }) };
  const app = createApp({
    log,
    tokens,
    readiness,
    forwarder,
    bodyLimitBytes: config.bodyLimitBytes,
    retry: config.upstream.retry,
    upstreamTimeoutMs: config.upstream.timeoutMs,
    isShuttingDown: () => drain.shuttingDown,
    drain,
    breaker,
    idempotency,
    onIdempotencyStoreError: redis ? () => metrics.redisError('idempotency') : undefined,
    metrics,
    callers,
    audit,
    rateLimiter,
  });

  // Node's own Host check answers a bare 400 outside the envelope and the audit; the app checks it.
  const server = http.createServer({ requireHostHeader: false }, app);
  // Longer than a load balancer's idle timeout, so it, not we, closes idle connections.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = config.upstream.timeoutMs + 30_000;
  server.on('clientError', clientErrorHandler(audit));
  server.on('connect', connectHandler(audit));
  // An Expect other than 100-continue: Node would answer a bare 417; the gateway ignores the
  // expectation (RFC 9110 allows it) and serves the call like any other. Expect never goes upstream.
  server.on('checkExpectation', app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const opsServer = config.ops
    ? await listen(http.createServer(createOpsApp({ log, readiness, isShuttingDown: () => drain.shuttingDown, metrics })), config.ops.port, config.ops.host)
    : null;
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    opsUrl: opsServer ? urlOf(opsServer) : undefined,
    server,
    tokens,
    store,
    redis,
    breaker,
    idempotency,
    metrics,
    reload: async () => {
      audit.reopen();
      return callers ? callers.reload() : null;
    },
    close: async () => {
      // /readyz 503 and new calls refused at once; no new connections; running calls finish.
      drain.begin();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const finished = await drain.idle(config.shutdownGraceMs);
      if (!finished) log.warn({ in_flight: drain.inFlight, grace_ms: config.shutdownGraceMs }, 'shutdown grace period over: cutting the calls still in flight');
      server.closeAllConnections();
      await closed;
      // The ops listener last: probes see /readyz 503 through the whole drain.
      if (opsServer) await new Promise<void>((resolve) => opsServer.close(() => resolve()).closeAllConnections());
      // Let the cut-off requests' 'close' events write their audit lines, then flush the trail.
      await nextTurn();
      await audit.close();
      await rateLimiter?.close();
      tokens.close();
      forwarder.close();
      await idempotency.close();
      await store.close();
      if (redis) await closeRedisClient(redis);
    },
  };
}

/** Without a callers file nobody is authenticated: fine on loopback (sidecar), loud anywhere else. */
function logUnauthenticatedMode(config: Config, log: Logger): void {
  if (isLoopbackHost(config.host)) {
    log.info({ host: config.host }, 'sidecar mode: no GATEWAY_CALLERS_FILE, so no caller auth; only this host can reach the gateway');
    return;
  }
  log.error(
    { host: config.host, ALLOW_UNAUTHENTICATED_NON_LOOPBACK: true },
    `SECURITY: listening on non-loopback ${config.host} WITHOUT caller authentication (ALLOW_UNAUTHENTICATED_NON_LOOPBACK=true): anyone who can reach this address can use the company's Zoho credential. Set GATEWAY_CALLERS_FILE unless the network namespace is yours alone`,
  );
}

/** Starts `server` listening; rejects when the port cannot be had. */
async function listen(server: http.Server, port: number, host: string): Promise<http.Server> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

function urlOf(server: http.Server): string {
  const address = server.address() as AddressInfo;
  return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
}
