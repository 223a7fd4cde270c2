import type { ErrorRequestHandler, Response } from 'express';
import { ERROR_CATALOG } from '../errors/catalog';
import { GatewayError, isGatewayError } from '../errors/gateway-error';
import type { Logger } from '../logger';
import { callContextOf } from './call-context';
import { requestLog } from './request-log';

/**
 * The gateway's error envelope as JSON text: Zoho's own shape, plus the request id. Idempotent
 * creates store this very text, so a replay is byte for byte what the first caller got.
 */
export function errorEnvelope(error: GatewayError, requestId: string): string {
  const body: Record<string, unknown> = {
    status: 'ERROR',
    code: error.code,
    message: ERROR_CATALOG[error.code].message,
    request_id: requestId,
  };
  if (error.details !== undefined) body.details = error.details;
  return JSON.stringify(body);
}

/** Writes a GatewayError as HTTP: its status, Retry-After and headers, and the envelope. */
export function sendError(res: Response, error: GatewayError): void {
  const context = callContextOf(res);
  context.denied ??= error.code;
  if (error.retryAfterSec !== undefined) res.setHeader('Retry-After', String(error.retryAfterSec));
  for (const [name, value] of Object.entries(error.headers ?? {})) res.setHeader(name, value);
  res.status(error.status).type('application/json').send(errorEnvelope(error, context.requestId));
}

/**
 * The one place errors become HTTP. Body-parser's errors are translated here because they are
 * raised inside Express's own parsers; anything unknown is a 500 and logged with its stack.
 */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    const error = isGatewayError(err) ? err : fromBodyParser(err);
    if (!error) {
      requestLog(res, log).error({ err }, 'unexpected error');
    } else if (error.status >= 500) {
      requestLog(res, log).warn({ code: error.code, cause: describeCause(error.cause) }, 'call failed');
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendError(res, error ?? new GatewayError('INTERNAL_ERROR'));
  };
}

function fromBodyParser(err: unknown): GatewayError | null {
  const type = (err as { type?: unknown }).type;
  switch (type) {
    case 'entity.too.large':
      return new GatewayError('BODY_TOO_LARGE');
    case 'entity.parse.failed':
    case 'request.size.invalid':
    case 'request.aborted':
      return new GatewayError('MALFORMED_BODY');
    case 'parameters.too.many':
      return new GatewayError('INVALID_BODY', { details: { fields: [{ field: 'body', problem: 'has too many parameters' }] } });
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new GatewayError('UNSUPPORTED_MEDIA_TYPE');
    default:
      return null;
  }
}

function describeCause(cause: unknown): string | undefined {
  if (cause === undefined) return undefined;
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  return undefined;
}
