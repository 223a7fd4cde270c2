/**
 * HTTP control API under /__sim/, so tests in other processes (and the soak script) can drive a
 * running simulator. These requests are not logged.
 *
 * GET /__sim/log is a REDACTED copy of the log: the Authorization header and any client_secret,
 * refresh_token, access_token or code parameter are replaced by "[redacted sha256:<12 hex>]", a
 * fingerprint that still lets a test see whether two calls used the same token without the
 * token itself ever leaving the process. (The in-process `sim.log` keeps everything raw.)
 */
import { createHash } from 'node:crypto';
import type { Faults } from './faults';
import { jsonResponse, zohoError, type SimResponse } from './http-util';
import type { SimulatorLogEntry } from './types';

export interface ControlTarget {
  log: SimulatorLogEntry[];
  faults: Faults;
  tokenCalls(): number;
  contactCalls(): SimulatorLogEntry[];
  issuedTokens(): string[];
  createdContactIds(): string[];
  reset(): void;
  revokeAllTokens(): void;
  expireAllTokens(): void;
  revokeRefreshToken(): void;
}

const SECRET_PARAMS: ReadonlySet<string> = new Set(['client_secret', 'refresh_token', 'access_token', 'code']);

export function fingerprint(secret: string): string {
  return `[redacted sha256:${createHash('sha256').update(secret).digest('hex').slice(0, 12)}]`;
}

function redactAuthorization(value: string): string {
  const space = value.indexOf(' ');
  return space < 0 ? fingerprint(value) : `${value.slice(0, space)} ${fingerprint(value.slice(space + 1))}`;
}

function redactForm(text: string): string {
  const form = new URLSearchParams(text);
  if (![...form.keys()].some((k) => SECRET_PARAMS.has(k))) return text; // keep the exact bytes when nothing to hide
  for (const k of SECRET_PARAMS) if (form.has(k)) form.set(k, fingerprint(form.get(k)!));
  return form.toString();
}

export function redactEntry(e: SimulatorLogEntry): SimulatorLogEntry {
  const headers = { ...e.headers };
  const auth = headers.authorization;
  if (typeof auth === 'string') headers.authorization = redactAuthorization(auth);
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(e.query)) {
    query[k] = !SECRET_PARAMS.has(k) ? v : Array.isArray(v) ? v.map(fingerprint) : fingerprint(v);
  }
  return { ...e, headers, query, body: redactForm(e.body) };
}

function ok(): SimResponse {
  return jsonResponse(200, '{"ok":true}');
}

export function handleControl(sim: ControlTarget, method: string, path: string, body: string): SimResponse {
  const route = `${method} ${path}`;
  switch (route) {
    case 'GET /__sim/log':
      return jsonResponse(200, JSON.stringify(sim.log.map(redactEntry)));
    case 'GET /__sim/stats':
      // Token values are never printed, only how many were minted.
      return jsonResponse(200, JSON.stringify({
        tokenCalls: sim.tokenCalls(),
        contactCalls: sim.contactCalls().length,
        created: sim.createdContactIds(),
        issuedTokens: sim.issuedTokens().length,
      }));
    case 'GET /__sim/faults':
      return jsonResponse(200, JSON.stringify(sim.faults.pending(), (_k, v) => (v === Infinity ? 'Infinity' : v)));
    case 'POST /__sim/faults': {
      let spec: unknown;
      try {
        spec = JSON.parse(body);
      } catch {
        return zohoError(400, 'INVALID_PARAMETER', 'body must be JSON');
      }
      const problem = sim.faults.addFromJson(spec);
      return problem ? zohoError(400, 'INVALID_PARAMETER', problem) : ok();
    }
    case 'DELETE /__sim/faults':
      sim.faults.clear();
      return ok();
    case 'POST /__sim/reset':
      sim.reset();
      return ok();
    case 'POST /__sim/revoke-all':
      sim.revokeAllTokens();
      return ok();
    case 'POST /__sim/expire-all':
      sim.expireAllTokens();
      return ok();
    case 'POST /__sim/revoke-refresh':
      sim.revokeRefreshToken();
      return ok();
    default:
      return zohoError(404, 'URL_NOT_FOUND', `no control endpoint ${route}`);
  }
}
