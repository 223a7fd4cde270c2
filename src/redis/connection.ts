import { randomUUID } from 'node:crypto';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Logger } from '../logger';
import { redisKeys } from './keys';

/** One connection (or Cluster client) shared by every Redis-backed feature of the gateway. */
export type RedisClient = Redis | Cluster;

/** What createRedisClient needs: config.redis, plus timeouts tests may shorten. */
export interface RedisConnectionOptions {
  url: string;
  cluster: boolean;
  keyPrefix: string;
  /** Connecting (TCP + TLS + AUTH) must finish within this (default 5000 ms). */
  connectTimeoutMs?: number;
  /** A command without a reply by then fails, so a hung Redis cannot hang a request (default 1000 ms). */
  commandTimeoutMs?: number;
}

/** Redis could not be used at start: the message says what is wrong and what to check. */
export class RedisStartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisStartupError';
  }
}

/** A Redis command failed at run time; `reason` is short and secret-free (for logs and metrics). */
export class RedisUnavailableError extends Error {
  constructor(readonly reason: string) {
    super(`Redis unavailable: ${reason}`);
    this.name = 'RedisUnavailableError';
  }
}

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  name?: unknown;
}

/**
 * A short, secret-free reason for any ioredis error: the system error code (ECONNREFUSED), the
 * reply's error word (WRONGPASS, READONLY, CLUSTERDOWN) or the first words of the message.
 * Adapters use it to translate ioredis errors into their own domain errors.
 */
export function describeRedisError(err: unknown): string {
  const e = (err ?? {}) as ErrorLike;
  if (typeof e.code === 'string' && e.code) return e.code;
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (e.name === 'ReplyError') return message.split(/\s/, 1)[0] ?? 'ReplyError';
  if (/command timed out/i.test(message)) return 'command timeout';
  if (/enableOfflineQueue|connection is closed|stream isn't writeable/i.test(message)) return 'not connected';
  if (/max retries per request/i.test(message)) return 'not connected';
  return message.slice(0, 80);
}

/** Translates an ioredis error into RedisUnavailableError (what adapters above this one see). */
export function toRedisUnavailable(err: unknown): RedisUnavailableError {
  return err instanceof RedisUnavailableError ? err : new RedisUnavailableError(describeRedisError(err));
}

/** host:port of the URL, for messages: never the user or password. */
export function redisEndpoint(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.hostname}:${u.port || '6379'}`;
  } catch {
    return 'REDIS_URL';
  }
}

interface ParsedUrl {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
  tls: boolean;
}

/**
 * Our own reading of REDIS_URL, so only what we understand is used (ioredis would turn any query
 * parameter into a client option).
 */
function parseRedisUrl(url: string): ParsedUrl {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RedisStartupError('REDIS_URL is not a valid URL (expected redis://[user:password@]host[:port][/db] or rediss://...)');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new RedisStartupError('REDIS_URL must start with redis:// or rediss:// (TLS)');
  }
  const dbText = u.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d+$/.test(dbText)) throw new RedisStartupError('REDIS_URL: the path must be a database number, e.g. redis://host:6379/0');
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : 6379,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: dbText === '' ? 0 : Number(dbText),
    tls: u.protocol === 'rediss:',
  };
}

/** Reconnect for ever once started (Redis coming back must need no restart); give up at once during start-up. */
function reconnectDelay(started: () => boolean) {
  return (times: number): number | null => (started() ? Math.min(100 * times, 2000) : null);
}

/** Turns the error seen at start into a message an operator can act on. */
function startupMessage(endpoint: string, options: RedisConnectionOptions, err: unknown): string {
  const reason = describeRedisError(err);
  const message = typeof (err as ErrorLike)?.message === 'string' ? ((err as ErrorLike).message as string) : '';
  const at = `Redis at ${endpoint}`;
  const hint = (() => {
    if (reason === 'ECONNREFUSED') return 'connection refused: nothing listens there (is Redis running, is the port right?)';
    if (reason === 'ENOTFOUND' || reason === 'EAI_AGAIN') return 'the host name does not resolve';
    if (reason === 'ETIMEDOUT' || /timeout/i.test(reason)) return `no answer within ${options.connectTimeoutMs ?? 5000} ms (firewall, wrong port, or rediss:// against a plain server?)`;
    if (reason === 'ECONNRESET' || reason === 'not connected') return 'the connection was closed during the handshake (a TLS-only server needs rediss://; a plain one needs redis://)';
    if (/^(ERR_TLS|ERR_SSL|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO|CERT_)/.test(reason)) return `TLS failed (${reason}): a plain server needs redis://, an untrusted certificate needs its CA in NODE_EXTRA_CA_CERTS`;
    if (reason === 'WRONGPASS' || reason === 'NOAUTH' || /invalid password|AUTH/i.test(reason)) return 'authentication failed: check the user and password in REDIS_URL';
    if (reason === 'NOPERM') return `the Redis user may not run the gateway's commands on keys under "${options.keyPrefix}" (check its ACL)`;
    if (reason === 'READONLY') return 'this is a read-only replica: point REDIS_URL at the primary';
    if (/cluster support disabled/i.test(message)) return 'REDIS_CLUSTER=true but this server is not a Cluster node: unset REDIS_CLUSTER';
    if (reason === 'CLUSTERDOWN') return 'the Cluster is down (not every slot is served)';
    if (reason === 'MOVED' || reason === 'ASK') return 'this is a Redis Cluster node: set REDIS_CLUSTER=true';
    if (reason === 'LOADING') return 'Redis is still loading its data set; retry shortly';
    return reason;
  })();
  return `${at}: ${hint}`;
}

/**
 * Connects to Redis (or a Redis Cluster when `cluster`), checks it with a round trip at start and
 * returns the client every Redis-backed feature shares. Throws RedisStartupError saying what is
 * wrong (refused, wrong password, TLS mismatch, Cluster setting, read-only replica, ...).
 *
 * Once started the client reconnects by itself for ever, and while Redis is away commands fail
 * at once (no offline queue) or after `commandTimeoutMs`, so callers can fall back instead of wait.
 * Errors are logged once per outage, never with the URL (it may hold the password).
 */
export async function createRedisClient(options: RedisConnectionOptions, log: Logger): Promise<RedisClient> {
  const parsed = parseRedisUrl(options.url);
  const keys = redisKeys(options.keyPrefix);
  const endpoint = redisEndpoint(options.url);
  let started = false;
  let lastError: unknown = null;

  const connection: RedisOptions = {
    username: parsed.username,
    password: parsed.password,
    tls: parsed.tls ? {} : undefined,
    connectTimeout: options.connectTimeoutMs ?? 5000,
    commandTimeout: options.commandTimeoutMs ?? 1000,
    // A request must not wait for a reconnect: fail now, the caller has a fallback.
    maxRetriesPerRequest: 1,
    lazyConnect: true,
  };

  let client: RedisClient;
  if (options.cluster) {
    if (parsed.db !== 0) throw new RedisStartupError('REDIS_URL: a Redis Cluster has only database 0');
    const clusterOptions: ClusterOptions = {
      redisOptions: connection,
      lazyConnect: true,
      enableOfflineQueue: false,
      clusterRetryStrategy: reconnectDelay(() => started),
      slotsRefreshTimeout: options.connectTimeoutMs ?? 5000,
      // Managed TLS clusters announce node IPs whose certificates name the host: keep the name.
      dnsLookup: (address, callback) => callback(null, address),
    };
    client = new Cluster([{ host: parsed.host, port: parsed.port }], clusterOptions);
  } else {
    client = new Redis({
      ...connection,
      host: parsed.host,
      port: parsed.port,
      db: parsed.db,
      enableOfflineQueue: false,
      retryStrategy: reconnectDelay(() => started),
    });
  }

  let outage = false;
  client.on('error', (err: unknown) => {
    lastError = err;
    if (!started || outage) return;
    outage = true;
    log.warn({ reason: describeRedisError(err), redis: endpoint }, 'Redis connection lost; reconnecting in the background');
  });
  client.on('ready', () => {
    if (!outage) return;
    outage = false;
    log.info({ redis: endpoint }, 'Redis connection restored');
  });

  try {
    await client.connect();
    if (!options.cluster) await refuseClusterNode(client as Redis, endpoint);
    // The round trip proves we can write under our prefix (ACLs, read-only replicas), not just PING.
    // One key per connection: replicas starting together must not read each other's probe.
    const probe = randomUUID();
    const probeKey = keys.startupProbe(probe);
    await client.set(probeKey, probe, 'PX', 10_000);
    const read = await client.get(probeKey);
    if (read !== probe) throw new RedisStartupError(`Redis at ${endpoint}: a value written at start could not be read back`);
    await client.del(probeKey);
  } catch (err) {
    // connect() rejects with a generic "Connection is closed"; the 'error' event carried the cause.
    client.disconnect();
    if (err instanceof RedisStartupError) throw err;
    throw new RedisStartupError(startupMessage(endpoint, options, rootCause(lastError ?? err)));
  }
  started = true;
  log.info({ redis: endpoint, cluster: options.cluster }, 'Redis connected');
  return client;
}

/** A Cluster node answers PING like any Redis, then MOVED on most keys: refuse it up front. */
async function refuseClusterNode(client: Redis, endpoint: string): Promise<void> {
  let info: string;
  try {
    info = await client.info('cluster');
  } catch {
    return; // INFO may be disabled on managed services; the probe below still catches MOVED.
  }
  if (/cluster_enabled:1/.test(info)) throw new RedisStartupError(`Redis at ${endpoint} is a Redis Cluster node: set REDIS_CLUSTER=true`);
}

/** A Cluster client reports "all nodes failed"; the node's own error says why. */
function rootCause(err: unknown): unknown {
  const nodeError = (err as { lastNodeError?: unknown } | null)?.lastNodeError;
  return nodeError ?? err;
}

/** Closes the client: QUIT politely, then drop the socket if Redis does not answer soon. */
export async function closeRedisClient(client: RedisClient, timeoutMs = 1000): Promise<void> {
  if (client.status === 'end') return;
  const timer = setTimeout(() => client.disconnect(), timeoutMs);
  try {
    await client.quit();
  } catch {
    client.disconnect();
  } finally {
    clearTimeout(timer);
  }
}
