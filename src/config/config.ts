import { readFileSync } from 'node:fs';
import { DATA_CENTRES } from './data-centres';
import { envSchema, FILE_VARIABLES, type Env } from './schema';
import { encryptionKeyProblem } from '../oauth/sealed';

/** The gateway's configuration: validated once at start, trusted everywhere after. */
export interface Config {
  port: number;
  host: string;
  zoho: {
    clientId: string;
    clientSecret: string;
    refreshToken: string;
    dataCentre: Env['ZOHO_DC'];
    accountsUrl: string;
    voiceUrl: string;
  };
  token: { expirySkewMs: number; refreshAheadMs: number; endpointTimeoutMs: number; rateLimitBackoffMs: number };
  redis?: { url: string; cluster: boolean; keyPrefix: string; encryptionKey: string; previousEncryptionKey?: string };
  callersFile?: string;
  allowUnauthenticatedNonLoopback: boolean;
  auditLogFile?: string;
  bodyLimitBytes: number;
  rateLimit: { ratePerSec: number; burst: number };
  upstream: {
    connectTimeoutMs: number;
    timeoutMs: number;
    maxSockets: number;
    retry: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number };
    breaker: { failureThreshold: number; cooldownMs: number };
  };
  idempotencyTtlSec: number;
  shutdownGraceMs: number;
  /** The ops-only listener (OPS_PORT), when configured. */
  ops?: { port: number; host: string };
  log: { level: Env['LOG_LEVEL']; pretty: boolean };
  workers: number;
}

/** Every problem found in the environment, reported together. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Environment = Record<string, string | undefined>;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * Reads NAME_FILE variants into NAME. A file's trailing newline is dropped (editors and
 * `kubectl create secret --from-file` add one); giving both NAME and NAME_FILE is an error.
 */
function resolveFileVariables(env: Environment, problems: string[], readFile: (path: string) => string): Environment {
  const resolved: Environment = { ...env };
  for (const name of FILE_VARIABLES) {
    const path = env[`${name}_FILE`];
    if (path === undefined || path === '') continue;
    if (env[name] !== undefined && env[name] !== '') {
      problems.push(`${name} and ${name}_FILE are both set; give only one`);
      continue;
    }
    try {
      resolved[name] = readFile(path).replace(/\r?\n$/, '');
    } catch (err) {
      problems.push(`${name}_FILE: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  // An empty variable means "not set": docker-compose and k8s manifests often carry NAME= lines.
  for (const [key, value] of Object.entries(resolved)) if (value === '') delete resolved[key];
  return resolved;
}

/** Rules that span variables, checked on the raw values so they are reported with the rest. */
function crossFieldProblems(env: Environment): string[] {
  const problems: string[] = [];
  for (const name of ['ZOHO_CLIENT_ID', 'ZOHO_CLIENT_SECRET', 'ZOHO_REFRESH_TOKEN'] as const) {
    if (!env[name]) problems.push(`${name}: required (or ${name}_FILE)`);
  }
  if (env.REDIS_URL && !env.TOKEN_ENCRYPTION_KEY) {
    problems.push('TOKEN_ENCRYPTION_KEY: required when REDIS_URL is set, so no token is stored in plain text (or TOKEN_ENCRYPTION_KEY_FILE)');
  }
  for (const name of ['TOKEN_ENCRYPTION_KEY', 'TOKEN_ENCRYPTION_KEY_PREVIOUS'] as const) {
    const problem = encryptionKeyProblem(env[name], name);
    if (problem) problems.push(problem);
  }
  if (env.REDIS_KEY_PREFIX && /[{}]/.test(env.REDIS_KEY_PREFIX)) {
    problems.push('REDIS_KEY_PREFIX: must not contain "{" or "}" (they would become the Redis Cluster hash tag of every key)');
  }
  const host = env.HOST ?? '127.0.0.1';
  const override = ['true', '1', 'yes'].includes(env.ALLOW_UNAUTHENTICATED_NON_LOOPBACK ?? '');
  if (!isLoopbackHost(host) && !env.GATEWAY_CALLERS_FILE && !override) {
    problems.push(
      `HOST: ${host} is not a loopback address and GATEWAY_CALLERS_FILE is not set: anyone who can reach the gateway could use the company's Zoho credential. Set GATEWAY_CALLERS_FILE, bind 127.0.0.1, or set ALLOW_UNAUTHENTICATED_NON_LOOPBACK=true deliberately`,
    );
  }
  return problems;
}

/**
 * Parses the environment once. Throws ConfigError naming every problem at once, so an operator
 * fixes a deployment in one round instead of one variable per restart.
 */
export function loadConfig(
  env: Environment = process.env,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): Config {
  const problems: string[] = [];
  const resolved = resolveFileVariables(env, problems, readFile);
  const parsed = envSchema.safeParse(resolved);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.')}: ${issue.message}`);
  }
  problems.push(...crossFieldProblems(resolved));
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;

  const dc = DATA_CENTRES[e.ZOHO_DC];
  return {
    port: e.PORT,
    host: e.HOST,
    zoho: {
      clientId: e.ZOHO_CLIENT_ID!,
      clientSecret: e.ZOHO_CLIENT_SECRET!,
      refreshToken: e.ZOHO_REFRESH_TOKEN!,
      dataCentre: e.ZOHO_DC,
      accountsUrl: e.ZOHO_ACCOUNTS_URL ?? dc.accounts,
      voiceUrl: e.ZOHO_VOICE_URL ?? dc.voice,
    },
    token: {
      expirySkewMs: e.TOKEN_EXPIRY_SKEW_SEC * 1000,
      refreshAheadMs: e.TOKEN_REFRESH_AHEAD_SEC * 1000,
      endpointTimeoutMs: e.TOKEN_ENDPOINT_TIMEOUT_MS,
      rateLimitBackoffMs: e.TOKEN_RATE_LIMIT_BACKOFF_SEC * 1000,
    },
    redis: e.REDIS_URL
      ? {
          url: e.REDIS_URL,
          cluster: e.REDIS_CLUSTER,
          keyPrefix: e.REDIS_KEY_PREFIX,
          encryptionKey: e.TOKEN_ENCRYPTION_KEY!,
          previousEncryptionKey: e.TOKEN_ENCRYPTION_KEY_PREVIOUS,
        }
      : undefined,
    callersFile: e.GATEWAY_CALLERS_FILE,
    allowUnauthenticatedNonLoopback: e.ALLOW_UNAUTHENTICATED_NON_LOOPBACK,
    auditLogFile: e.AUDIT_LOG_FILE,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    rateLimit: { ratePerSec: e.RATE_LIMIT_RPS, burst: e.RATE_LIMIT_BURST },
    upstream: {
      connectTimeoutMs: e.UPSTREAM_CONNECT_TIMEOUT_MS,
      timeoutMs: e.UPSTREAM_TIMEOUT_MS,
      maxSockets: e.UPSTREAM_MAX_SOCKETS,
      retry: { maxAttempts: e.RETRY_MAX_ATTEMPTS, baseDelayMs: e.RETRY_BASE_DELAY_MS, maxDelayMs: e.RETRY_MAX_DELAY_MS },
      breaker: { failureThreshold: e.BREAKER_FAILURE_THRESHOLD, cooldownMs: e.BREAKER_COOLDOWN_MS },
    },
    idempotencyTtlSec: e.IDEMPOTENCY_TTL_SEC,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    ops: e.OPS_PORT === undefined ? undefined : { port: e.OPS_PORT, host: e.OPS_HOST },
    log: { level: e.LOG_LEVEL, pretty: e.LOG_PRETTY },
    workers: e.WORKERS,
  };
}
