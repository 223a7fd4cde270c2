import type { Express, RequestHandler } from 'express';
import type { AuditLog } from './audit/audit-log';
import { auditTrail } from './audit/audit-trail';
import type { CallerDirectory } from './callers/caller-directory';
import { callerAuth } from './http/caller-auth';
import { errorHandler } from './http/error-handler';
import { contactBodyParsers, matchContactRoute, prepareContactCall } from './http/contact-request';
import { rateLimit } from './http/rate-limit';
import type { Logger } from './logger';
import type { AccessTokenProvider } from './oauth/access-token-provider';
import type { Readiness } from './ops/health';
import type { GatewayMetrics } from './ops/metrics';
import { createOpsFront } from './ops/ops-app';
import { idempotencyClaimOf, idempotentCreate } from './idempotency/idempotent-create';
import type { IdempotencyStore } from './idempotency/idempotency-store';
import type { Drain } from './ops/drain';
import type { CircuitBreaker } from './proxy/circuit-breaker';
import { runContactCall, type CallAnswer, type PreparedCall } from './proxy/contact-call';
import type { RetryPolicy } from './proxy/retry-policy';
import type { UpstreamForwarder } from './proxy/upstream-forwarder';
import type { RateLimiter } from './ratelimit/rate-limiter';

export interface AppDeps {
  log: Logger;
  tokens: AccessTokenProvider;
  readiness: Readiness;
  forwarder: UpstreamForwarder;
  bodyLimitBytes: number;
  retry: RetryPolicy;
  upstreamTimeoutMs: number;
  isShuttingDown(): boolean;
  /** In-flight requests and the shutdown gate. */
  drain: Drain;
  breaker: CircuitBreaker;
  idempotency: IdempotencyStore;
  /** Called when the idempotency store fails (metrics). */
  onIdempotencyStoreError?(): void;
  metrics: GatewayMetrics;
  /** The callers (GATEWAY_CALLERS_FILE); null in sidecar mode: no caller auth. */
  callers: CallerDirectory | null;
  audit: AuditLog;
  /** Per-caller token buckets; null when RATE_LIMIT_RPS=0. */
  rateLimiter: RateLimiter | null;
}

/**
 * Builds the gateway's Express app without listening, so the server and the tests build it the
 * same way. The chain reads top to bottom: the front every listener shares (id, in-flight
 * tracking, metrics, helmet, ops routes), audit, match the call, turn it away
 * when shutting down, caller and scope, rate limit, read and validate it, idempotent creates,
 * forward it, and one error handler.
 */
export function createApp(deps: AppDeps): Express {
  const app = createOpsFront(
    { log: deps.log, readiness: deps.readiness, isShuttingDown: deps.isShuttingDown, metrics: deps.metrics },
    [deps.drain.track],
  );

  app.use(auditTrail(deps.audit));
  app.use(matchContactRoute);
  app.use(deps.drain.refuseWhenDraining);
  // Who calls and may they: before any body is read, so a refused caller's body never is.
  app.use(callerAuth(deps.callers));
  app.use(rateLimit(deps.rateLimiter));
  app.use(...contactBodyParsers(deps.bodyLimitBytes));
  app.use(prepareContactCall);
  // After validation: the key's fingerprint is a hash of the validated contact.
  app.use(idempotentCreate({ store: deps.idempotency, callTimeoutMs: deps.upstreamTimeoutMs, log: deps.log, onStoreError: deps.onIdempotencyStoreError }));
  app.use(forwardContactCall(deps));
  app.use(errorHandler(deps.log));
  return app;
}

function forwardContactCall(deps: AppDeps): RequestHandler {
  const callDeps = { tokens: deps.tokens, forwarder: deps.forwarder, breaker: deps.breaker, retry: deps.retry, timeoutMs: deps.upstreamTimeoutMs, log: deps.log };
  return async (_req, res) => {
    // An idempotent create's claim is settled before the answer is written (see IdempotencyClaim).
    const claim = idempotencyClaimOf(res);
    let answer: CallAnswer;
    try {
      answer = await runContactCall(callDeps, res, res.locals.prepared as PreparedCall);
    } catch (err) {
      await claim?.failed(err, res);
      throw err;
    }
    await claim?.answered(answer);
    if (answer.retryAfterSec !== undefined) res.setHeader('Retry-After', String(answer.retryAfterSec));
    res.status(answer.status).type('application/json').send(answer.json);
  };
}
