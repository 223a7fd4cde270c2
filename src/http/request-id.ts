import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { CallContext } from './call-context';

const WELL_FORMED = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Gives every request an id (the caller's X-Request-Id when it is well-formed, so traces join
 * up; a new one otherwise) and the context the rest of the chain fills in.
 */
export const requestContext: RequestHandler = (req, res, next) => {
  const offered = req.headers['x-request-id'];
  const requestId = typeof offered === 'string' && WELL_FORMED.test(offered) ? offered : randomUUID();
  const context: CallContext = { requestId, startedAt: process.hrtime.bigint(), tokenRefreshed: false, attempts: 0 };
  res.locals.call = context;
  res.setHeader('X-Request-Id', requestId);
  next();
};
