import { z } from 'zod';
import { DATA_CENTRE_NAMES } from './data-centres';

/**
 * Every environment variable the gateway reads, in one schema. Each field's description is the
 * README's configuration table (a test fails when the two drift apart).
 *
 * Values arrive as strings; the schema turns them into typed values once, at start.
 */
const int = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .transform((u) => u.replace(/\/+$/, ''));

const optionalText = z.string().min(1).optional();

export const envSchema = z.object({
  PORT: int(0, 65535, 8080).describe('TCP port the gateway listens on.'),
  HOST: z.string().min(1).default('127.0.0.1').describe('Address to bind. Loopback (127.0.0.1, ::1, localhost) is sidecar mode; any other address needs GATEWAY_CALLERS_FILE.'),

  ZOHO_CLIENT_ID: optionalText.describe('Zoho OAuth client id (or ZOHO_CLIENT_ID_FILE: a path whose content is the value). Required.'),
  ZOHO_CLIENT_SECRET: optionalText.describe('Zoho OAuth client secret (or ZOHO_CLIENT_SECRET_FILE). Required.'),
  ZOHO_REFRESH_TOKEN: optionalText.describe('Zoho OAuth refresh token with zohovoice.contacts scopes (or ZOHO_REFRESH_TOKEN_FILE). Required.'),
  ZOHO_DC: z.enum(DATA_CENTRE_NAMES).default('com').describe(`Zoho data centre: ${DATA_CENTRE_NAMES.join(', ')}. Chooses the accounts and Voice base URLs.`),
  ZOHO_ACCOUNTS_URL: httpUrl.optional().describe('Overrides the accounts server chosen by ZOHO_DC (any http(s) base URL: the simulator, a new DC).'),
  ZOHO_VOICE_URL: httpUrl.optional().describe('Overrides the Voice API base chosen by ZOHO_DC.'),

  TOKEN_EXPIRY_SKEW_SEC: int(0, 3600, 60).describe('A cached access token counts as expired this long before Zoho says it does (capped at 10% of its lifetime).'),
  TOKEN_REFRESH_AHEAD_SEC: int(0, 3600, 300).describe('Refresh proactively when a token has less than this left (capped at 25% of its lifetime), so callers never wait for a refresh.'),
  TOKEN_ENDPOINT_TIMEOUT_MS: int(100, 60000, 5000).describe('Timeout of one call to the accounts token endpoint.'),
  TOKEN_RATE_LIMIT_BACKOFF_SEC: int(1, 3600, 60).describe('After Zoho rate-limits the token endpoint, nobody in the fleet calls it again for this long (still-valid tokens keep serving; otherwise 503 with Retry-After).'),

  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional().describe('Redis (redis:// or rediss://) shared by every replica for the token cache, locks, back-off, idempotency and rate limits. Unset: everything in process memory.'),
  REDIS_CLUSTER: bool(false).describe('Treat REDIS_URL as a seed node of a Redis Cluster.'),
  REDIS_KEY_PREFIX: z.string().default('zvgw:').describe('Prefix of every Redis key the gateway writes.'),
  TOKEN_ENCRYPTION_KEY: optionalText.describe('256-bit key (64 hex characters or base64) sealing tokens at rest in Redis with AES-256-GCM (or TOKEN_ENCRYPTION_KEY_FILE). Required with REDIS_URL.'),
  TOKEN_ENCRYPTION_KEY_PREVIOUS: optionalText.describe('The key being rotated out: still accepted for reading (or TOKEN_ENCRYPTION_KEY_PREVIOUS_FILE).'),

  GATEWAY_CALLERS_FILE: optionalText.describe('JSON file of callers (name, keySha256, scopes). Unset: sidecar mode, no caller auth, loopback HOST only.'),
  ALLOW_UNAUTHENTICATED_NON_LOOPBACK: bool(false).describe('Allow binding a non-loopback HOST without callers (logged loudly). For a network namespace you control.'),
  AUDIT_LOG_FILE: optionalText.describe('Append one JSON audit line per request here. Unset: stdout, tagged "audit":true.'),

  BODY_LIMIT_BYTES: int(1024, 10 * 1024 * 1024, 64 * 1024).describe('Largest request body accepted; larger gets 413.'),
  RATE_LIMIT_RPS: z.coerce.number().min(0).max(100000).default(50).describe('Per-caller sustained requests per second (token bucket); 0 turns the limit off.'),
  RATE_LIMIT_BURST: int(1, 1000000, 100).describe('Per-caller bucket size (burst).'),

  UPSTREAM_CONNECT_TIMEOUT_MS: int(100, 60000, 3000).describe('Timeout to connect to the Voice API.'),
  UPSTREAM_TIMEOUT_MS: int(100, 120000, 10000).describe('Deadline of a whole upstream call: the wait for a token, every attempt and every back-off together; past it the caller gets 504.'),
  UPSTREAM_MAX_SOCKETS: int(1, 10000, 128).describe('Keep-alive sockets to the Voice API, at most.'),
  RETRY_MAX_ATTEMPTS: int(1, 10, 3).describe('Attempts per call, the first included. GET, PUT and DELETE retry connection errors, 502/503/504 and 429; a create only a connection that failed before anything was sent.'),
  RETRY_BASE_DELAY_MS: int(0, 10000, 100).describe('Base of the exponential back-off with full jitter between attempts.'),
  RETRY_MAX_DELAY_MS: int(0, 60000, 2000).describe('Cap of one back-off delay.'),
  IDEMPOTENCY_TTL_SEC: int(60, 7 * 86400, 86400).describe('How long the answer to a POST with an Idempotency-Key is kept for replay.'),
  BREAKER_FAILURE_THRESHOLD: int(1, 1000, 10).describe('Consecutive failed upstream attempts (connection errors, timeouts, 5xx) that open the circuit breaker.'),
  BREAKER_COOLDOWN_MS: int(100, 600000, 10000).describe('How long an open breaker fails fast before a half-open probe.'),

  OPS_PORT: z.coerce.number().int().min(0).max(65535).optional().describe('Also serve /healthz, /readyz, /metrics and /openapi.json (and nothing else) on this port, so Prometheus and HTTP probes reach a sidecar whose API is bound to loopback. Unset: they are served on PORT only.'),
  OPS_HOST: z.string().min(1).default('0.0.0.0').describe('Address of the OPS_PORT listener.'),

  SHUTDOWN_GRACE_MS: int(0, 600000, 10000).describe('On SIGTERM/SIGINT, how long in-flight calls may take to finish.'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('pino log level.'),
  LOG_PRETTY: bool(false).describe('Human-readable logs (development only; needs the dev dependency pino-pretty).'),
  WORKERS: int(0, 64, 1).describe('Worker processes (node:cluster). 0 means one per core; they share the token through Redis when REDIS_URL is set.'),
});

export type Env = z.infer<typeof envSchema>;

/** Variables that may instead be given as NAME_FILE: a path whose content is the value (mounted secrets). */
export const FILE_VARIABLES = [
  'ZOHO_CLIENT_ID',
  'ZOHO_CLIENT_SECRET',
  'ZOHO_REFRESH_TOKEN',
  'TOKEN_ENCRYPTION_KEY',
  'TOKEN_ENCRYPTION_KEY_PREVIOUS',
] as const;

/** Every variable name the gateway reads, _FILE variants included. */
export function allVariableNames(): string[] {
  return [...Object.keys(envSchema.shape), ...FILE_VARIABLES.map((n) => `${n}_FILE`)];
}
