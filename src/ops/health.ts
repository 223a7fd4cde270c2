import type { Router } from 'express';
import express from 'express';
import { requestLog } from '../http/request-log';
import type { Logger } from '../logger';

export interface Readiness {
  /** Can a Zoho token be had right now? */
  ready(): Promise<boolean>;
  /** Secret-free detail for the log (never in the answer). */
  status(): object;
}

export interface HealthDeps {
  readiness: Readiness;
  isShuttingDown(): boolean;
  log: Logger;
}

/**
 * /healthz: the process is up. /readyz: it can serve calls. The readiness answer is generic on
 * purpose (it is reachable without a caller key); the reason goes to the log.
 */
export function healthRoutes(deps: HealthDeps): Router {
  const router = express.Router();
  let lastLogged = '';
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'UP' });
  });
  router.get('/readyz', async (_req, res) => {
    const ready = !deps.isShuttingDown() && (await deps.readiness.ready());
    if (!ready) {
      const detail = JSON.stringify({ shuttingDown: deps.isShuttingDown(), ...deps.readiness.status() });
      if (detail !== lastLogged) requestLog(res, deps.log).warn({ detail: JSON.parse(detail) }, 'not ready');
      lastLogged = detail;
      res.status(503).json({ status: 'NOT_READY' });
      return;
    }
    lastLogged = '';
    res.json({ status: 'READY' });
  });
  return router;
}
