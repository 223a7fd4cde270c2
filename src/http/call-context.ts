import type { Response } from 'express';
import type { ContactRoute } from '../proxy/routes';

/**
 * What the gateway learns about one request as it passes the middleware chain; the audit line,
 * the metrics and the logs are written from it when the answer is finished.
 */
export interface CallContext {
  requestId: string;
  /** process.hrtime.bigint() at arrival. */
  startedAt: bigint;
  route?: ContactRoute;
  contactId?: string;
  caller?: string;
  /** Why the gateway refused the call, when it did (an error code). */
  denied?: string;
  upstreamStatus?: number;
  /** Time spent waiting for Zoho, all attempts together (ms). */
  upstreamMs?: number;
  tokenRefreshed: boolean;
  attempts: number;
}

export function callContextOf(res: Response): CallContext {
  return res.locals.call as CallContext;
}
