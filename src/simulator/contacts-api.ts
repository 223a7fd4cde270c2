/**
 * The six Voice contact calls under /rest/json/zv/contacts.
 *
 * Order of checks: route → token → method → parameters. An unknown route is answered 404 only
 * after the token check fails or passes, like a real API behind auth would.
 * `contact` (create/update) is read from an x-www-form-urlencoded body if the body has it,
 * otherwise from the query string. A JSON body is not a form, so it is ignored (→ 400).
 * List: from defaults to 0, size to 50; totalCount=true (case-insensitive) gives the real total,
 * anything else gives -1 (Java's Boolean.parseBoolean semantics).
 */
import { zohoOauthToken, type TokenAuthority } from './accounts';
import { deleteAnswer, listAnswer, singleAnswer, statusesAnswer } from './contact-render';
import { parseContactParam } from './contact-input';
import type { ContactStore } from './contact-store';
import { SIM_ERRORS, type SimError } from './errors';
import { jsonResponse, mediaType, zohoError, type SimResponse } from './http-util';

export const CONTACTS_PATH = '/rest/json/zv/contacts';
const MAX_ID = (1n << 63n) - 1n;

export interface ContactsRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

type Route = { kind: 'collection' } | { kind: 'statuses' } | { kind: 'item'; rawId: string };

export function isContactsPath(path: string): boolean {
  return path === CONTACTS_PATH || path.startsWith(`${CONTACTS_PATH}/`);
}

function route(path: string): Route | undefined {
  if (path === CONTACTS_PATH) return { kind: 'collection' };
  const rest = path.slice(CONTACTS_PATH.length + 1);
  if (!path.startsWith(`${CONTACTS_PATH}/`) || rest === '' || rest.includes('/')) return undefined;
  if (rest === 'contact_status') return { kind: 'statuses' };
  return { kind: 'item', rawId: rest };
}

const err = (e: SimError): SimResponse => zohoError(e.status, e.code, e.message);

/** Path id → bigint. Leading zeros are tolerated (a Java Long parse would), the value must fit a signed 64-bit long. */
function parseId(raw: string): bigint | undefined {
  let text: string;
  try {
    text = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  if (!/^[0-9]{1,20}$/.test(text)) return undefined;
  const id = BigInt(text);
  return id > 0n && id <= MAX_ID ? id : undefined;
}

function contactParam(req: ContactsRequest): string | undefined {
  if (req.body !== '' && mediaType(req.headers['content-type']) === 'application/x-www-form-urlencoded') {
    const fromBody = new URLSearchParams(req.body).get('contact');
    if (fromBody !== null) return fromBody;
  }
  return req.query.get('contact') ?? undefined;
}

function intParam(q: URLSearchParams, name: string, dflt: number, min: number, max: number): number | SimError {
  const raw = q.get(name);
  if (raw === null || raw === '') return dflt;
  if (!/^[0-9]{1,9}$/.test(raw)) return SIM_ERRORS.invalidParameter(`'${name}' must be an integer between ${min} and ${max}`);
  const n = Number(raw);
  return n >= min && n <= max ? n : SIM_ERRORS.invalidParameter(`'${name}' must be an integer between ${min} and ${max}`);
}

export function handleContacts(req: ContactsRequest, store: ContactStore, auth: TokenAuthority): SimResponse {
  const r = route(req.path);
  if (!auth.isValid(zohoOauthToken(req.headers.authorization))) return err(SIM_ERRORS.invalidOauthToken);
  if (!r) return err(SIM_ERRORS.urlNotFound);

  if (r.kind === 'statuses') {
    return req.method === 'GET' ? jsonResponse(200, statusesAnswer()) : err(SIM_ERRORS.methodNotAllowed);
  }

  if (r.kind === 'collection') {
    if (req.method === 'GET') {
      const from = intParam(req.query, 'from', 0, 0, 999_999_999);
      if (typeof from !== 'number') return err(from);
      const size = intParam(req.query, 'size', 50, 1, 50);
      if (typeof size !== 'number') return err(size);
      const all = store.all();
      const total = (req.query.get('totalCount') ?? '').toLowerCase() === 'true' ? all.length : -1;
      return jsonResponse(200, listAnswer(all.slice(from, from + size), total));
    }
    if (req.method === 'POST') {
      const parsed = parseContactParam(contactParam(req));
      if (!parsed.ok) return err(parsed.error);
      return jsonResponse(200, singleAnswer(store.create(parsed.input)));
    }
    return err(SIM_ERRORS.methodNotAllowed);
  }

  const id = parseId(r.rawId);
  if (!['GET', 'PUT', 'DELETE'].includes(req.method)) return err(SIM_ERRORS.methodNotAllowed);
  if (id === undefined) return err(SIM_ERRORS.invalidParameter(`Invalid contact id '${r.rawId}'`));

  if (req.method === 'GET') {
    const c = store.get(id);
    return c ? jsonResponse(200, singleAnswer(c)) : err(SIM_ERRORS.contactNotFound(id.toString()));
  }
  if (req.method === 'PUT') {
    // Validate before looking up, so a bad body is 400 whether or not the id exists.
    const parsed = parseContactParam(contactParam(req));
    if (!parsed.ok) return err(parsed.error);
    const c = store.update(id, parsed.input);
    return c ? jsonResponse(200, singleAnswer(c)) : err(SIM_ERRORS.contactNotFound(id.toString()));
  }
  return store.delete(id) ? jsonResponse(200, deleteAnswer(id)) : err(SIM_ERRORS.contactNotFound(id.toString()));
}
