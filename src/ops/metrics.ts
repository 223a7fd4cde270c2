import type { RequestHandler, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { callContextOf } from '../http/call-context';
import type { TokenSourceObserver } from '../oauth/token-source';

/** Every metric name the gateway exports, in one place (the dashboard and its test read them). */
export const METRIC_NAMES = {
  requests: 'zvgw_requests_total',
  requestsInFlight: 'zvgw_requests_in_flight',
  requestDuration: 'zvgw_request_duration_seconds',
  upstreamDuration: 'zvgw_upstream_duration_seconds',
  upstreamRetries: 'zvgw_upstream_retries_total',
  tokenMints: 'zvgw_token_mints_total',
  tokenCache: 'zvgw_token_cache_lookups_total',
  tokenStoreFallbacks: 'zvgw_token_store_fallbacks_total',
  redisErrors: 'zvgw_redis_errors_total',
  circuitState: 'zvgw_circuit_state',
  buildInfo: 'zvgw_build_info',
} as const;

/** The `route` label of a request that matched no route: never the raw path, which callers choose. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Circuit breaker states and the gauge values they export (0 is healthy, higher is worse). */
export type CircuitState = 'closed' | 'half_open' | 'open';
const CIRCUIT_STATE_VALUE: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };

/** Who talks to Redis; a closed set so the label stays bounded. */
export type RedisComponent = 'token_store' | 'idempotency' | 'rate_limit';

/** Status 499 (nginx's convention): the caller went away before the answer was written. */
const CLIENT_CLOSED = 499;

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);

/** Seconds. From a warm-path hop (~1 ms) to the longest upstream deadline. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface GatewayMetricsOptions {
  /** Built by the composition root; the gateway never touches prom-client's global registry. */
  registry: Registry;
  /** Process metrics (CPU, memory, event loop lag, GC); on for a real gateway. */
  processMetrics?: boolean;
  version?: string;
}


/**
 * The gateway's Prometheus metrics. Label values come from the route table, the status code and
 * the configured caller names, so every label is bounded; a raw path or a contact id never
 * becomes a label. Recording happens when the answer is done, off the caller's wait.
 */
export class GatewayMetrics {
  readonly registry: Registry;
  private readonly requests: Counter<'route' | 'method' | 'status' | 'caller'>;
  private readonly duration: Histogram<'route' | 'method' | 'status_class'>;
  private readonly upstream: Histogram<'route' | 'method'>;
  private readonly retries: Counter<'route' | 'method'>;
  private readonly mints: Counter<'outcome'>;
  private readonly redis: Counter<'component'>;
  private inFlight = 0;
  private circuit: (() => CircuitState) | null = null;

  /** Hooks for the TokenSource: mints by outcome, cache hits and misses, store errors. */
  readonly tokenObserver: TokenSourceObserver;

  constructor(options: GatewayMetricsOptions) {
    const registers = [options.registry];
    this.registry = options.registry;
    this.requests = new Counter({
      name: METRIC_NAMES.requests,
      help: 'Requests answered by the gateway, by route template, method, status and caller.',
      labelNames: ['route', 'method', 'status', 'caller'],
      registers,
    });
    const metrics = this;
    new Gauge({
      name: METRIC_NAMES.requestsInFlight,
      help: 'Requests being handled right now.',
      registers,
      collect() {
        this.set(metrics.inFlight);
      },
    });
    this.duration = new Histogram({
      name: METRIC_NAMES.requestDuration,
      help: 'Whole time from arrival to the last byte of the answer, in seconds.',
      labelNames: ['route', 'method', 'status_class'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.upstream = new Histogram({
      name: METRIC_NAMES.upstreamDuration,
      help: 'Time spent waiting for Zoho per call, all attempts and back-off together, in seconds.',
      labelNames: ['route', 'method'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.retries = new Counter({
      name: METRIC_NAMES.upstreamRetries,
      help: 'Upstream attempts beyond the first (retries after failures and after a rejected token).',
      labelNames: ['route', 'method'],
      registers,
    });
    this.mints = new Counter({
      name: METRIC_NAMES.tokenMints,
      help: 'Calls to Zoho\'s token endpoint, by outcome: success, fatal (invalid_client/invalid_code), rate_limited, transient.',
      labelNames: ['outcome'],
      registers,
    });
    const cache = new Counter({
      name: METRIC_NAMES.tokenCache,
      help: 'Access-token look-ups: hit (the in-process copy served) or miss (a refresh was needed).',
      labelNames: ['result'],
      registers,
    });
    const fallbacks = new Counter({
      name: METRIC_NAMES.tokenStoreFallbacks,
      help: 'Token store operations that fell back to in-process coordination because the store was down.',
      registers,
    });
    this.redis = new Counter({
      name: METRIC_NAMES.redisErrors,
      help: 'Redis operations that failed, by component.',
      labelNames: ['component'],
      registers,
    });
    new Gauge({
      name: METRIC_NAMES.circuitState,
      help: 'Circuit breaker toward Zoho: 0 closed, 1 half-open, 2 open.',
      registers,
      collect() {
        this.set(metrics.circuit ? CIRCUIT_STATE_VALUE[metrics.circuit()] : 0);
      },
    });
    new Gauge({
      name: METRIC_NAMES.buildInfo,
      help: 'Always 1; the labels say which gateway and Node.js version run.',
      labelNames: ['version', 'node'],
      registers,
    }).set({ version: options.version ?? 'unknown', node: process.version }, 1);
    if (options.processMetrics !== false) collectDefaultMetrics({ register: options.registry });

    // Zero the series a dashboard divides by, so ratios exist before the first event.
    for (const outcome of ['success', 'fatal', 'rate_limited', 'transient']) this.mints.inc({ outcome }, 0);
    const hit = cache.labels('hit');
    const miss = cache.labels('miss');
    hit.inc(0);
    miss.inc(0);
    const tokenStoreErrors = this.redis.labels('token_store');
    tokenStoreErrors.inc(0);
    this.tokenObserver = {
      cacheHit: () => hit.inc(),
      cacheMiss: () => miss.inc(),
      mint: (outcome) => this.mints.inc({ outcome }),
      storeError: () => tokenStoreErrors.inc(),
      localFallback: () => fallbacks.inc(),
    };
  }

  /**
   * Express middleware that records each request when its answer is done (or the caller left).
   * Put it right after the request context, so every answer, errors included, is counted.
   */
  requestObserver(): RequestHandler {
    const metrics = this;
    // One listener function for every request: no closure is allocated per request.
    function onClose(this: Response): void {
      metrics.inFlight--;
      metrics.record(this);
    }
    return (_req, res, next) => {
      this.inFlight++;
      // 'close' comes exactly once per response; on() avoids the wrapper once() allocates.
      res.on('close', onClose);
      next();
    };
  }

  /**
   * Wires the circuit breaker's state into `zvgw_circuit_state`. The getter is read at scrape
   * time only; until one is wired the gauge reads 0 (closed).
   */
  watchCircuit(state: () => CircuitState): void {
    this.circuit = state;
  }

  /** For Redis users other than the token source (idempotency, rate limits). */
  redisError(component: RedisComponent): void {
    this.redis.inc({ component });
  }

  /** The exposition text and its content type, for GET /metrics. */
  async exposition(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }

  private record(res: Response): void {
    const context = callContextOf(res);
    if (!context) return;
    const req = res.req;
    const route = context.route?.template ?? opsRouteOf(req.route) ?? UNMATCHED_ROUTE;
    const method = context.route?.method ?? (KNOWN_METHODS.has(req.method) ? req.method : 'OTHER');
    const statusCode = res.writableFinished ? res.statusCode : CLIENT_CLOSED;
    const status = String(statusCode);
    const caller = context.caller ?? 'none';

    this.requests.inc({ route, method, status, caller });
    const statusClass = STATUS_CLASS[Math.floor(statusCode / 100)] ?? 'other';
    this.duration.observe({ route, method, status_class: statusClass }, Number(process.hrtime.bigint() - context.startedAt) / 1e9);
    if (context.upstreamMs !== undefined) this.upstream.observe({ route, method }, context.upstreamMs / 1000);
    if (context.attempts > 1) this.retries.inc({ route, method }, context.attempts - 1);
  }
}

const STATUS_CLASS: Record<number, string> = { 1: '1xx', 2: '2xx', 3: '3xx', 4: '4xx', 5: '5xx' };


/** Express's matched route (the ops routes: /healthz, /metrics, ...): a path the gateway defined. */
function opsRouteOf(route: unknown): string | undefined {
  const path = (route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? path : undefined;
}
