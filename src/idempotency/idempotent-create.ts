import type { RequestHandler, Response } from 'express';
import type { ErrorCode } from '../errors/catalog';
import { GatewayError, isGatewayError } from '../errors/gateway-error';
import { callContextOf } from '../http/call-context';
import { errorEnvelope } from '../http/error-handler';
import type { Logger } from '../logger';
import type { CallAnswer, PreparedCall } from '../proxy/contact-call';
import { fingerprintOf, idempotencyKeyOf } from './idempotency-key';
import { IdempotencyStoreUnavailableError, type IdempotencyScope, type IdempotencyStore, type StoredAnswer } from './idempotency-store';

export interface IdempotentCreateOptions {
  store: IdempotencyStore;
  /** The whole-call deadline (UPSTREAM_TIMEOUT_MS): a claim older than this plus a margin was cut off. */
  callTimeoutMs: number;
  log: Logger;
  /** Called on each store failure (metrics). */
  onStoreError?(): void;
}

/** Time a claim may outlive the call's deadline (store writes, the answer being written). */
const CLAIM_MARGIN_MS = 5000;

/**
 * Gateway errors that prove Zoho never ran the create: the key is freed so the caller can retry
 * with it. Every other failure after something was sent (timeout, reset, 5xx) may have created
 * the contact, so its answer is kept like a success: a retry replays it, never creates again.
 */
const NOT_PERFORMED: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'UPSTREAM_UNREACHABLE',
  'UPSTREAM_TOKEN_REJECTED',
  'CIRCUIT_OPEN',
  'SHUTTING_DOWN',
  'RATE_LIMITED',
  'TOKEN_ENDPOINT_ERROR',
  'TOKEN_CREDENTIALS_INVALID',
  'TOKEN_RATE_LIMITED',
  'TOKEN_UNAVAILABLE',
]);

/**
 * Idempotent creates: a POST with `Idempotency-Key` runs at most once per (caller, key).
 * Runs after prepareContactCall (the fingerprint is of the validated contact) and before the
 * call is forwarded:
 * - first time: takes the key and leaves an IdempotencyClaim for the forwarder to settle;
 * - same key, same body, finished: replays the stored answer with `Idempotent-Replayed: true`;
 * - same key, same body, still running: 409 IDEMPOTENCY_IN_FLIGHT (Retry-After: 1);
 * - same key, another body: 422 IDEMPOTENCY_KEY_REUSED;
 * - the store unreachable: 503 IDEMPOTENCY_UNAVAILABLE, and nothing is sent.
 * Other calls, and creates without the header, pass through untouched.
 */
export function idempotentCreate(options: IdempotentCreateOptions): RequestHandler {
  return async (req, res, next) => {
    const context = callContextOf(res);
    if (context.route?.name !== 'contacts.create') return next();
    const key = idempotencyKeyOf(req);
    if (key === undefined) return next();

    const scope: IdempotencyScope = { caller: context.caller ?? 'anonymous', key };
    const runsUntil = Date.now() + options.callTimeoutMs + CLAIM_MARGIN_MS;
    const outcome = await options.store.begin(scope, fingerprintOf(res.locals.prepared as PreparedCall), runsUntil).catch((err: unknown) => {
      if (!(err instanceof IdempotencyStoreUnavailableError)) throw err;
      options.onStoreError?.();
      // Going ahead without the store could create twice; nothing has been sent yet, so refuse.
      throw new GatewayError('IDEMPOTENCY_UNAVAILABLE', { retryAfterSec: 1, cause: err.reason });
    });
    switch (outcome.kind) {
      case 'started':
        res.locals.idempotency = new IdempotencyClaim(options, scope, outcome.claim);
        return next();
      case 'replay':
        res.setHeader('Idempotent-Replayed', 'true');
        res.status(outcome.answer.status).type('application/json').send(outcome.answer.body);
        return;
      case 'in_flight':
        throw new GatewayError('IDEMPOTENCY_IN_FLIGHT', { retryAfterSec: 1 });
      case 'reused':
        throw new GatewayError('IDEMPOTENCY_KEY_REUSED');
      case 'abandoned':
        throw new GatewayError('UPSTREAM_OUTCOME_UNKNOWN', {
          details: { reason: 'the first request with this Idempotency-Key was cut off before it finished' },
        });
    }
  };
}

/** The claim the current request holds, if it is an idempotent create. */
export function idempotencyClaimOf(res: Response): IdempotencyClaim | undefined {
  return res.locals.idempotency as IdempotencyClaim | undefined;
}

/**
 * A request's hold on its key, settled exactly once with what the caller is about to get. It is
 * settled BEFORE the answer is written, so a repeat sent the moment the first answer arrives
 * already finds it. A failing store never fails the call: the caller still gets its answer.
 */
export class IdempotencyClaim {
  private settled = false;

  constructor(
    private readonly options: IdempotentCreateOptions,
    private readonly scope: IdempotencyScope,
    private readonly claim: string,
  ) {}

  /** Zoho answered: keep the answer, unless it is a 429 (Zoho refused to run it). */
  async answered(answer: CallAnswer): Promise<void> {
    if (answer.status === 429) return this.release();
    return this.keep({ status: answer.status, body: answer.json.toString('utf8') });
  }

  /** The call failed with `err`: free the key if nothing ran upstream, otherwise keep the error the caller gets. */
  async failed(err: unknown, res: Response): Promise<void> {
    const context = callContextOf(res);
    const error = isGatewayError(err) ? err : new GatewayError('INTERNAL_ERROR');
    if (context.attempts === 0 || NOT_PERFORMED.has(error.code)) return this.release();
    return this.keep({ status: error.status, body: errorEnvelope(error, context.requestId) });
  }

  private async keep(answer: StoredAnswer): Promise<void> {
    if (!this.begin()) return;
    await this.options.store.complete(this.scope, this.claim, answer).catch((err: unknown) => this.storeFailed('complete', err));
  }

  private async release(): Promise<void> {
    if (!this.begin()) return;
    await this.options.store.release(this.scope, this.claim).catch((err: unknown) => this.storeFailed('release', err));
  }

  private begin(): boolean {
    if (this.settled) return false;
    this.settled = true;
    return true;
  }

  private storeFailed(step: string, err: unknown): void {
    // The key stays "in flight" until its deadline passes, then answers 502 UPSTREAM_OUTCOME_UNKNOWN.
    const reason = err instanceof IdempotencyStoreUnavailableError ? err.reason : (err as Error)?.message;
    this.options.onStoreError?.();
    this.options.log.warn({ step, reason }, 'idempotency record not updated');
  }
}
