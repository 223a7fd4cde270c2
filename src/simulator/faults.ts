/**
 * Queued faults. Each fault applies to the next `times` matching calls (default 1, Infinity allowed);
 * when several are queued, the oldest matching one wins. A call that takes a fault is still logged
 * (entry.fault names it) and still counts in tokenCalls()/contactCalls().
 */

export const TOKEN_FAULT_KINDS = [
  'invalid_client', // 200 {"error":"invalid_client"}
  'invalid_code', // 200 {"error":"invalid_code"}
  'rate_limit', // 200 {"error":"Access Denied",...,"status":"failure"}
  'rate_limit_400', // same body, HTTP 400
  'http_500', // 500 text/html
  'reset', // body read, then socket destroyed with no answer
  'redirect', // 302 to /accounts/signin (relative; that page is a 200 HTML login page)
  'slow', // wait `ms` (default 5000), then answer normally
] as const;

export const CONTACTS_FAULT_KINDS = [
  'http_500', // 500 JSON {"code":"INTERNAL_ERROR",...}
  'http_502', // 502 text/html (load balancer page)
  'http_503', // 503 text/html (load balancer page)
  'http_429', // 429 JSON {"code":"TOO_MANY_REQUESTS",...} with Retry-After: 1
  'reset_before_response', // request read, logged AND performed, then socket destroyed
  'reset_on_connect', // socket destroyed before reading the body; not performed; logged with dropped: true
  'stall', // wait `ms` (default 5000) then answer normally; if the client leaves first, nothing is performed
  'html_login', // 200 text/html Zoho sign-in page
  'invalid_oauthtoken', // 401 {"code":"INVALID_OAUTHTOKEN",...} even for a good token
] as const;

export type TokenFaultKind = (typeof TOKEN_FAULT_KINDS)[number];
export type ContactsFaultKind = (typeof CONTACTS_FAULT_KINDS)[number];
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface TokenFaultOptions {
  /** Delay for 'slow'. */
  ms?: number;
}
export interface ContactsFaultOptions {
  /** Only calls with this method match (default: any method). */
  method?: HttpMethod;
  /** Delay for 'stall'. */
  ms?: number;
}

export const DEFAULT_FAULT_MS = 5000;

export interface QueuedFault {
  target: 'token' | 'contacts';
  kind: TokenFaultKind | ContactsFaultKind;
  remaining: number;
  method?: HttpMethod;
  ms: number;
}

export interface FaultControl {
  token(kind: TokenFaultKind, times?: number, opts?: TokenFaultOptions): void;
  contacts(kind: ContactsFaultKind, times?: number, opts?: ContactsFaultOptions): void;
  clear(): void;
  /** Snapshot of what is still queued. */
  pending(): QueuedFault[];
}

function checkTimes(times: number): void {
  if (!(times === Infinity || (Number.isInteger(times) && times > 0))) {
    throw new RangeError(`times must be a positive integer or Infinity, got ${times}`);
  }
}

function checkMs(ms: number | undefined): number {
  if (ms === undefined) return DEFAULT_FAULT_MS;
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`ms must be a non-negative number, got ${ms}`);
  return ms;
}

export class Faults implements FaultControl {
  private queue: QueuedFault[] = [];

  token(kind: TokenFaultKind, times = 1, opts: TokenFaultOptions = {}): void {
    if (!(TOKEN_FAULT_KINDS as readonly string[]).includes(kind)) throw new RangeError(`unknown token fault '${kind}'`);
    checkTimes(times);
    this.queue.push({ target: 'token', kind, remaining: times, ms: checkMs(opts.ms) });
  }

  contacts(kind: ContactsFaultKind, times = 1, opts: ContactsFaultOptions = {}): void {
    if (!(CONTACTS_FAULT_KINDS as readonly string[]).includes(kind)) throw new RangeError(`unknown contacts fault '${kind}'`);
    checkTimes(times);
    const method = opts.method?.toUpperCase() as HttpMethod | undefined;
    if (method !== undefined && !['GET', 'POST', 'PUT', 'DELETE'].includes(method)) throw new RangeError(`unknown method '${opts.method}'`);
    this.queue.push({ target: 'contacts', kind, remaining: times, method, ms: checkMs(opts.ms) });
  }

  clear(): void {
    this.queue = [];
  }

  pending(): QueuedFault[] {
    return this.queue.map((f) => ({ ...f }));
  }

  /** Consumes one use of the oldest fault matching this call, if any. */
  take(target: 'token' | 'contacts', method: string): QueuedFault | undefined {
    const i = this.queue.findIndex((f) => f.target === target && (f.method === undefined || f.method === method));
    if (i < 0) return undefined;
    const f = this.queue[i]!;
    f.remaining -= 1;
    if (f.remaining <= 0) this.queue.splice(i, 1);
    return { ...f };
  }

  /** For POST /__sim/faults: {"target","kind","times","method","ms"}; times may be "Infinity". Returns an error text or undefined. */
  addFromJson(spec: unknown): string | undefined {
    if (typeof spec !== 'object' || spec === null) return 'body must be a JSON object';
    const s = spec as Record<string, unknown>;
    const times = s.times === undefined || s.times === null ? 1 : s.times === 'Infinity' ? Infinity : s.times;
    if (typeof times !== 'number') return 'times must be a number or "Infinity"';
    if (s.ms !== undefined && typeof s.ms !== 'number') return 'ms must be a number';
    if (s.method !== undefined && typeof s.method !== 'string') return 'method must be a string';
    try {
      if (s.target === 'token') this.token(s.kind as TokenFaultKind, times, { ms: s.ms as number | undefined });
      else if (s.target === 'contacts') this.contacts(s.kind as ContactsFaultKind, times, { ms: s.ms as number | undefined, method: s.method as HttpMethod | undefined });
      else return 'target must be "token" or "contacts"';
    } catch (e) {
      return (e as Error).message;
    }
    return undefined;
  }
}
