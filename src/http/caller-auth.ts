import type { Request, RequestHandler, Response } from 'express';
import type { CallerDirectory } from '../callers/caller-directory';
import { scopesAllow } from '../callers/scopes';
import { GatewayError } from '../errors/gateway-error';
import { callContextOf } from './call-context';

const BEARER = /^Bearer +([^\s]+) *$/i;
const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="zoho-voice-gateway"' };

/**
 * Who is calling, and may they make this call? Runs right after the route is matched and before
 * any body is read, so a refused caller's body is never parsed and nothing goes upstream.
 * - no or unknown key: 401 UNAUTHENTICATED (with a Bearer challenge);
 * - a route whose scope the caller lacks: 403 FORBIDDEN.
 * Without a callers file (sidecar mode) every call passes and has no caller name.
 *
 * The caller's Authorization header is never forwarded: the forwarder builds upstream headers
 * from an allow-list and sets its own Authorization.
 */
export function callerAuth(directory: CallerDirectory | null): RequestHandler {
  if (directory === null) return (_req, _res, next) => next();
  return (req, res, next) => {
    const context = callContextOf(res);
    const key = presentedKey(req);
    const caller = key === undefined ? undefined : directory.current().authenticate(key);
    if (!caller) {
      closeIfBodyPending(req, res);
      throw new GatewayError('UNAUTHENTICATED', { headers: CHALLENGE });
    }
    context.caller = caller.name;
    const route = context.route!;
    if (!scopesAllow(caller.scopes, route.scope)) {
      closeIfBodyPending(req, res);
      throw new GatewayError('FORBIDDEN', { details: { needs_scope: route.scope } });
    }
    next();
  };
}

function presentedKey(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  return BEARER.exec(header)?.[1];
}

/**
 * A refused request's body is never read. Closing the connection after the answer stops Node
 * from draining (reading and discarding) whatever the caller is still sending.
 */
function closeIfBodyPending(req: Request, res: Response): void {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (hasBody) res.setHeader('Connection', 'close');
}
