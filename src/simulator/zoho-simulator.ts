/**
 * A Zoho simulator: the Accounts token endpoint plus the six Voice contact calls, on one node:http
 * server. It shares no code with the gateway (node builtins only), so it cannot agree with the
 * gateway's mistakes; it answers with the seed's exact shapes and inconsistencies, written as JSON
 * text by hand so 64-bit ids keep every digit.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { TokenAuthority } from './accounts';
import { CONTACTS_FAULT_RESPONSES, LOGIN_PAGE_HTML, SIGNIN_PATH, TOKEN_FAULT_RESPONSES } from './canned';
import { ContactStore } from './contact-store';
import { handleContacts, isContactsPath } from './contacts-api';
import { handleControl } from './control-api';
import { SIM_ERRORS } from './errors';
import { Faults } from './faults';
import { BodyTooLargeError, Delays, htmlResponse, queryRecord, readBody, send, zohoError, type SimResponse } from './http-util';
import type { SimulatorLogEntry, SimulatorOptions, ZohoSimulator } from './types';

export type { SimulatorLogEntry, SimulatorOptions, ZohoSimulator } from './types';
export {
  CONTACTS_FAULT_KINDS, TOKEN_FAULT_KINDS, DEFAULT_FAULT_MS,
  type ContactsFaultKind, type ContactsFaultOptions, type FaultControl, type HttpMethod, type QueuedFault, type TokenFaultKind, type TokenFaultOptions,
} from './faults';
export { SIM_ERRORS, type SimError } from './errors';
export { CONTACT_STATUSES, FIRST_CREATED_ID, OWNER, SEEDED_CONTACT_IDS } from './contact-store';
export { SIGNIN_PATH } from './canned';
export { fingerprint } from './control-api';

export const TOKEN_PATH = '/oauth/v2/token';

function checkOptions(o: Required<Omit<SimulatorOptions, 'mintLimit'>> & Pick<SimulatorOptions, 'mintLimit'>): void {
  if (!(Number.isFinite(o.tokenLifetimeSec) && o.tokenLifetimeSec >= 0)) throw new RangeError('tokenLifetimeSec must be >= 0');
  if (!(Number.isFinite(o.tokenDelayMs) && o.tokenDelayMs >= 0)) throw new RangeError('tokenDelayMs must be >= 0');
  const m = o.mintLimit;
  if (m && !(Number.isInteger(m.count) && m.count >= 1 && m.windowMs > 0)) throw new RangeError('mintLimit needs count >= 1 and windowMs > 0');
}

export async function startZohoSimulator(opts: SimulatorOptions = {}): Promise<ZohoSimulator> {
  const o = {
    host: opts.host ?? '127.0.0.1',
    port: opts.port ?? 0,
    clientId: opts.clientId ?? 'sim-client-id',
    clientSecret: opts.clientSecret ?? 'sim-client-secret',
    refreshToken: opts.refreshToken ?? 'sim-refresh-token',
    tokenLifetimeSec: opts.tokenLifetimeSec ?? 3600,
    mintLimit: opts.mintLimit ?? null,
    tokenDelayMs: opts.tokenDelayMs ?? 0,
    seedContacts: opts.seedContacts ?? true,
  };
  checkOptions(o);

  const auth = new TokenAuthority(o);
  const store = new ContactStore(o.seedContacts);
  const faults = new Faults();
  const delays = new Delays();
  const log: SimulatorLogEntry[] = [];
  let seq = 0;

  /** Reads the body into the log entry; answers 413 or gives up (client gone) and returns false. */
  async function readInto(entry: SimulatorLogEntry, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    try {
      entry.body = await readBody(req);
      return true;
    } catch (e) {
      if (e instanceof BodyTooLargeError) {
        entry.status = 413;
        send(res, zohoError(413, SIM_ERRORS.payloadTooLarge.code, SIM_ERRORS.payloadTooLarge.message, { connection: 'close' }));
      }
      return false;
    }
  }

  async function onToken(entry: SimulatorLogEntry, req: IncomingMessage, res: ServerResponse, reply: (r: SimResponse) => void): Promise<void> {
    const fault = entry.method === 'POST' ? faults.take('token', 'POST') : undefined;
    if (fault) entry.fault = fault.kind;
    if (!(await readInto(entry, req, res))) return;
    if (o.tokenDelayMs > 0 && !(await delays.wait(o.tokenDelayMs, res))) return;
    if (entry.method !== 'POST') return reply(zohoError(405, SIM_ERRORS.methodNotAllowed.code, SIM_ERRORS.methodNotAllowed.message));

    if (fault?.kind === 'reset') return void req.socket.destroy();
    if (fault?.kind === 'slow' && !(await delays.wait(fault.ms, res))) return;
    if (fault && fault.kind in TOKEN_FAULT_RESPONSES) {
      return reply(TOKEN_FAULT_RESPONSES[fault.kind as keyof typeof TOKEN_FAULT_RESPONSES]());
    }
    reply(auth.handleTokenRequest(entry.headers, entry.body));
  }

  async function onContacts(entry: SimulatorLogEntry, url: URL, req: IncomingMessage, res: ServerResponse, reply: (r: SimResponse) => void): Promise<void> {
    const fault = faults.take('contacts', entry.method);
    if (fault) entry.fault = fault.kind;
    if (fault?.kind === 'reset_on_connect') {
      // Before the body is read and before anything is performed.
      entry.dropped = true;
      return void req.socket.destroy();
    }
    if (!(await readInto(entry, req, res))) return;
    if (fault && fault.kind in CONTACTS_FAULT_RESPONSES) {
      // Something in front of Zoho answered; the operation never ran.
      return reply(CONTACTS_FAULT_RESPONSES[fault.kind as keyof typeof CONTACTS_FAULT_RESPONSES]());
    }
    // A stall the client gives up on performs nothing: the request never "reached" Zoho.
    if (fault?.kind === 'stall' && !(await delays.wait(fault.ms, res))) return;

    const answer = handleContacts({ method: entry.method, path: entry.path, query: url.searchParams, headers: entry.headers, body: entry.body }, store, auth);
    // The operation happened (a create is stored), but the answer is lost on the way back.
    if (fault?.kind === 'reset_before_response') return void req.socket.destroy();
    reply(answer);
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const path = url.pathname;

    if (path.startsWith('/__sim/')) {
      const body = await readBody(req);
      return send(res, handleControl(sim, method, path, body));
    }

    const kind: SimulatorLogEntry['kind'] = path === TOKEN_PATH ? 'token' : isContactsPath(path) ? 'contacts' : 'other';
    // Logged on arrival (body filled in when read), so the log is in arrival order.
    const entry: SimulatorLogEntry = { seq: ++seq, ts: Date.now(), kind, method, path, query: queryRecord(url.searchParams), headers: { ...req.headers }, body: '' };
    log.push(entry);
    const reply = (r: SimResponse): void => {
      entry.status = r.status;
      send(res, r);
    };

    if (kind === 'token') return onToken(entry, req, res, reply);
    if (kind === 'contacts') return onContacts(entry, url, req, res, reply);
    if (!(await readInto(entry, req, res))) return;
    // Target of the token 'redirect' fault: a client that follows redirects lands on a login page.
    if (path === SIGNIN_PATH) return reply(htmlResponse(200, LOGIN_PAGE_HTML));
    reply(zohoError(SIM_ERRORS.urlNotFound.status, SIM_ERRORS.urlNotFound.code, SIM_ERRORS.urlNotFound.message));
  }

  const server = createServer((req, res) => {
    onRequest(req, res).catch(() => {
      // A simulator bug must still produce an answer rather than a hung client.
      if (!res.headersSent) send(res, zohoError(500, SIM_ERRORS.internal.code, SIM_ERRORS.internal.message));
      else res.destroy();
    });
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const hostInUrl = o.host.includes(':') ? `[${o.host}]` : o.host;

  let closing: Promise<void> | undefined;
  const sim: ZohoSimulator & { faults: Faults } = {
    url: `http://${hostInUrl}:${port}`,
    log,
    faults,
    tokenCalls: () => log.filter((e) => e.kind === 'token' && e.method === 'POST').length,
    contactCalls: () => log.filter((e) => e.kind === 'contacts'),
    issuedTokens: () => auth.issuedTokens(),
    createdContactIds: () => store.createdIds(),
    revokeToken: (token) => auth.revoke(token),
    revokeAllTokens: () => auth.revokeAll(),
    expireAllTokens: () => auth.expireAll(),
    revokeRefreshToken: () => auth.revokeRefreshToken(),
    reset: () => {
      log.length = 0; // same array object, so references to sim.log stay live
      seq = 0;
      faults.clear();
      store.reset();
      auth.reset();
    },
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        delays.cancelAll();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
  return sim;
}
