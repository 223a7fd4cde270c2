import { ERROR_CATALOG, type ErrorCode } from './catalog';

export interface GatewayErrorOptions {
  /** Safe, caller-facing detail (e.g. which fields are bad). Never input values or secrets. */
  details?: unknown;
  /** Seconds the caller should wait, sent as Retry-After. */
  retryAfterSec?: number;
  /** Extra response headers (e.g. Allow on 405). */
  headers?: Record<string, string>;
  /** The underlying cause, for the log only. */
  cause?: unknown;
}

/** The one error type the gateway raises; the error handler turns it into HTTP. */
export class GatewayError extends Error {
  readonly status: number;
  readonly details?: unknown;
  readonly retryAfterSec?: number;
  readonly headers?: Record<string, string>;

  constructor(readonly code: ErrorCode, options: GatewayErrorOptions = {}) {
    super(ERROR_CATALOG[code].message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.status = ERROR_CATALOG[code].status;
    this.details = options.details;
    this.retryAfterSec = options.retryAfterSec;
    this.headers = options.headers;
  }
}

export function isGatewayError(err: unknown): err is GatewayError {
  return err instanceof GatewayError;
}
