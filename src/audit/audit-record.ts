import { ERROR_CATALOG, type ErrorCode } from '../errors/catalog';
import type { CallContext } from '../http/call-context';

/**
 * One audit line: who asked for what, what the gateway decided, and how it ended. Never a body,
 * a query string, a header, a token or a caller key: only the route's template and the validated
 * contact id say what was asked for.
 */
export interface AuditRecord {
  /** When the request arrived (ISO 8601, UTC). */
  ts: string;
  request_id: string;
  /** The caller's name from the callers file; null in sidecar mode or before authentication. */
  caller: string | null;
  /** The TCP peer (forwarding headers are not trusted). */
  remote_addr: string | null;
  method: string | null;
  /** The route template, e.g. /rest/json/zv/contacts/{contact_id}; null when none matched. */
  route: string | null;
  contact_id: string | null;
  /** `allowed`, or `denied:<CODE>` when the gateway refused the request itself (a 4xx of its own). */
  decision: string;
  /** The status the caller got; 499 when the caller went away before an answer. */
  status: number;
  /** Zoho's status on the last attempt; null when nothing was answered upstream. */
  upstream_status: number | null;
  duration_ms: number;
  token_refreshed: boolean;
  /** More than one attempt went upstream. */
  retried: boolean;
}

/** nginx's "client closed request": the caller left before the answer was written. */
export const CLIENT_CLOSED_REQUEST = 499;

export interface Arrival {
  arrivedAt: number;
  remoteAddr: string | undefined;
  method: string | undefined;
}

/** Builds the line from what the middleware chain learnt (res.locals.call) and how the answer ended. */
export function auditRecordOf(context: CallContext, arrival: Arrival, status: number): AuditRecord {
  return {
    ts: new Date(arrival.arrivedAt).toISOString(),
    request_id: context.requestId,
    caller: context.caller ?? null,
    remote_addr: arrival.remoteAddr ?? null,
    method: arrival.method ?? null,
    route: context.route?.template ?? null,
    contact_id: context.contactId ?? null,
    decision: decisionOf(context.denied),
    status,
    upstream_status: context.upstreamStatus ?? null,
    duration_ms: Math.round(Number(process.hrtime.bigint() - context.startedAt) / 1e5) / 10,
    token_refreshed: context.tokenRefreshed,
    retried: context.attempts > 1,
  };
}

/**
 * Refusals are the gateway's own 4xx answers (bad key, scope, input, rate limit). A call that was
 * let through and then failed (Zoho down, no token: 5xx) was allowed; its status says how it ended.
 */
export function decisionOf(errorCode: string | undefined): string {
  if (errorCode === undefined || !(errorCode in ERROR_CATALOG)) return 'allowed';
  return ERROR_CATALOG[errorCode as ErrorCode].status < 500 ? `denied:${errorCode}` : 'allowed';
}
