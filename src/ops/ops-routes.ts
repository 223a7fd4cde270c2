import express, { type Router } from 'express';
import type { GatewayMetrics } from './metrics';

export interface OpsRoutesDeps {
  metrics: GatewayMetrics;
  /** The OpenAPI document of this gateway. */
  openapi: object;
}

/**
 * GET /metrics (Prometheus exposition) and GET /openapi.json. Like /healthz they come before
 * caller auth: they carry no secrets and scrapers and tooling must reach them without a key.
 */
export function opsRoutes(deps: OpsRoutesDeps): Router {
  const router = express.Router();
  // Serialized once: the document does not change while the gateway runs.
  const openapiText = JSON.stringify(deps.openapi);
  router.get('/metrics', async (_req, res) => {
    const { contentType, text } = await deps.metrics.exposition();
    res.setHeader('Content-Type', contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.send(text);
  });
  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(openapiText);
  });
  return router;
}
