import { setTimeout as sleep } from 'node:timers/promises';
import type { Request, Response } from 'express';
import { normalizeAnswer } from '../contacts/normalize';
import { GatewayError } from '../errors/gateway-error';
import { callContextOf } from '../http/call-context';
import type { AccessTokenProvider, TokenLease } from '../oauth/access-token-provider';
import { nextAttemptDelay, retryAfterToMs, type RetryPolicy } from './retry-policy';
import type { UpstreamAnswer, UpstreamForwarder, UpstreamResult } from './upstream-forwarder';

/** A call ready to go upstream: everything in it was validated and built by the gateway. */
export interface PreparedCall {
  pathAndQuery: string;
  formBody?: string;
}

export interface ContactCallDeps {
  tokens: AccessTokenProvider;
  forwarder: UpstreamForwarder;
  retry: RetryPolicy;
  /** Whole-call deadline, retries included. */
  timeoutMs: number;
}

/** What the gateway tells the caller; the HTTP layer writes it. */
export interface CallAnswer {
  status: number;
  json: string;
  /** Zoho's own Retry-After on a 429 it sent, passed on. */
  retryAfterSec?: number;
}

const TOKEN_REJECTED_CODE = /"code"\s*:\s*"INVALID_(?:OAUTH)?TOKEN"/;

/**
 * Runs one contact call against Zoho: token, attempts under one deadline, at most one retry
 * with a fresh token when Zoho rejects ours, and the normalized answer.
 */
export async function runContactCall(deps: ContactCallDeps, req: Request, res: Response, call: PreparedCall): Promise<CallAnswer> {
  const context = callContextOf(res);
  const route = context.route!;
  const deadline = AbortSignal.timeout(deps.timeoutMs);
  let lease: TokenLease = await deps.tokens.getAccessToken();
  context.tokenRefreshed = lease.refreshed;
  let tokenRetryUsed = false;
  const upstreamStarted = process.hrtime.bigint();

  try {
    for (let attempt = 1; ; attempt++) {
      context.attempts = attempt;
      const result = await deps.forwarder.forward(req, res, {
        method: route.method,
        pathAndQuery: call.pathAndQuery,
        token: lease.value,
        formBody: call.formBody,
        signal: deadline,
      });
      if (result.ok) context.upstreamStatus = result.status;

      if (result.ok && isTokenRejected(result)) {
        // Zoho refused the token itself, so the call did not run: safe to send once more, creates too.
        if (tokenRetryUsed) throw new GatewayError('UPSTREAM_TOKEN_REJECTED');
        tokenRetryUsed = true;
        await deps.tokens.reportRejected(lease.value);
        lease = await deps.tokens.getAccessToken();
        context.tokenRefreshed = true;
        continue;
      }

      const delay = nextAttemptDelay(route.idempotent, result, attempt, deps.retry);
      if (delay !== null && !deadline.aborted) {
        await sleep(delay, undefined, { signal: deadline }).catch(() => undefined);
        if (!deadline.aborted) continue;
      }
      return finalAnswer(result, deadline.aborted);
    }
  } finally {
    context.upstreamMs = Number(process.hrtime.bigint() - upstreamStarted) / 1e6;
  }
}

function finalAnswer(result: UpstreamResult, deadlinePassed: boolean): CallAnswer {
  if (!result.ok) {
    if (result.kind === 'timeout' || deadlinePassed) throw new GatewayError('UPSTREAM_TIMEOUT');
    if (result.kind === 'not_sent') throw new GatewayError('UPSTREAM_UNREACHABLE', { cause: result.code });
    throw new GatewayError('UPSTREAM_OUTCOME_UNKNOWN', { cause: result.code });
  }
  const normalized = normalizeAnswer(result.body.toString('utf8'));
  if (!normalized.ok) throw new GatewayError('UPSTREAM_BAD_RESPONSE', { cause: `HTTP ${result.status} ${result.contentType}` });
  const retryAfterMs = result.status === 429 ? retryAfterToMs(result.retryAfter) : undefined;
  return { status: result.status, json: normalized.json, retryAfterSec: retryAfterMs === undefined ? undefined : Math.ceil(retryAfterMs / 1000) };
}

/** Zoho's ways of saying "not this token": 401, an INVALID_OAUTHTOKEN body, or its HTML login page. */
function isTokenRejected(answer: UpstreamAnswer): boolean {
  if (answer.status === 401) return true;
  if (answer.contentType.includes('text/html')) return true;
  // Error answers are small; a full page of contacts is never a token error.
  return answer.body.length < 1024 && TOKEN_REJECTED_CODE.test(answer.body.toString('utf8'));
}
