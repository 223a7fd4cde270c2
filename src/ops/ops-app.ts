import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import { GatewayError } from '../errors/gateway-error';
import { errorHandler } from '../http/error-handler';
import { requestContext } from '../http/request-id';
import type { Logger } from '../logger';
import { healthRoutes, type Readiness } from './health';
import type { GatewayMetrics } from './metrics';
import { buildOpenApiDocument } from './openapi';
import { opsRoutes } from './ops-routes';

export interface OpsAppDeps {
  log: Logger;
  readiness: Readiness;
  isShuttingDown(): boolean;
  metrics: GatewayMetrics;
}

/**
 * The front every listener shares: Express settings, request ids, metrics, helmet and the ops
 * routes (/healthz, /readyz, /metrics, /openapi.json). `tracking` runs right after the request
 * id (the API listener counts in-flight calls there). The test suite validates every answer
 * against `app.locals.openapi`, the document the app serves.
 */
export function createOpsFront(deps: OpsAppDeps, tracking: RequestHandler[] = []): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', false);
  const openapi = buildOpenApiDocument();
  app.locals.openapi = openapi;

  app.use(requestContext);
  for (const handler of tracking) app.use(handler);
  app.use(deps.metrics.requestObserver());
  app.use(helmet());
  app.use(healthRoutes({ readiness: deps.readiness, isShuttingDown: deps.isShuttingDown, log: deps.log }));
  app.use(opsRoutes({ metrics: deps.metrics, openapi }));
  return app;
}

/**
 * The app of the optional ops listener (OPS_PORT): the ops routes and nothing else. A sidecar
 * binds its API to loopback, where neither Prometheus nor the kubelet's HTTP probes can reach;
 * this listener gives them a door that cannot forward a call.
 */
export function createOpsApp(deps: OpsAppDeps): Express {
  const app = createOpsFront(deps);
  app.use((_req, _res, next) => next(new GatewayError('ROUTE_NOT_FOUND')));
  app.use(errorHandler(deps.log));
  return app;
}
