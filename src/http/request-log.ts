import type { Response } from 'express';
import type { Logger } from '../logger';
import { callContextOf } from './call-context';

/**
 * The logger for lines written while handling one request: the given logger with the request id
 * bound, so every such line carries `request_id`. Made on first use and kept for the request, so
 * a request that logs nothing (the common case) costs nothing.
 */
export function requestLog(res: Response, base: Logger): Logger {
  const locals = res.locals as { log?: Logger };
  if (locals.log) return locals.log;
  const context = callContextOf(res);
  locals.log = context ? base.child({ request_id: context.requestId }) : base;
  return locals.log;
}
