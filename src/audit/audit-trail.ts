import type { RequestHandler } from 'express';
import { callContextOf } from '../http/call-context';
import type { AuditLog } from './audit-log';
import { auditRecordOf, CLIENT_CLOSED_REQUEST, type Arrival } from './audit-record';

/**
 * Writes one audit line per request when its answer is finished, or when the connection closes
 * first. Mounted before the contact routes, so refused and invalid requests are audited too
 * (health probes, mounted earlier, are not: they are not calls).
 */
export function auditTrail(audit: AuditLog): RequestHandler {
  return (req, res, next) => {
    const arrival: Arrival = { arrivedAt: Date.now(), remoteAddr: req.socket.remoteAddress, method: req.method };
    let written = false;
    const write = (status: number) => {
      if (written) return;
      written = true;
      audit.record(auditRecordOf(callContextOf(res), arrival, status));
    };
    res.once('finish', () => write(res.statusCode));
    // Closed before the answer was complete: the caller went away (or the gateway cut it off).
    res.once('close', () => write(res.writableEnded ? res.statusCode : CLIENT_CLOSED_REQUEST));
    next();
  };
}
