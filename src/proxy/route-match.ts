import { GatewayError } from '../errors/gateway-error';
import { ROUTES, ROUTE_TEMPLATES, type ContactRoute } from './routes';

export interface MatchedRoute {
  route: ContactRoute;
  /** Exactly 1-19 digits, for the item routes. */
  contactId?: string;
  /** The raw query string (without '?'), validated later per route. */
  rawQuery: string;
}

const ITEM_PREFIX = `${ROUTE_TEMPLATES.COLLECTION}/`;
const CONTACT_ID = /^\d{1,19}$/;

/** Methods per path template, for 405's Allow header. */
const METHODS_BY_TEMPLATE = new Map<string, Map<string, ContactRoute>>();
for (const route of ROUTES) {
  const methods = METHODS_BY_TEMPLATE.get(route.template) ?? new Map<string, ContactRoute>();
  methods.set(route.method, route);
  METHODS_BY_TEMPLATE.set(route.template, methods);
}

/**
 * Finds the call for a method and the raw request target. The path must be literally one of
 * Zoho's: percent-encoding, dot segments, doubled or trailing slashes never reach the table, so
 * what goes upstream is built from the template, not from the caller's path.
 */
export function matchRoute(method: string, rawUrl: string): MatchedRoute {
  const queryAt = rawUrl.indexOf('?');
  const path = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
  const rawQuery = queryAt === -1 ? '' : rawUrl.slice(queryAt + 1);

  if (!/^\/[A-Za-z0-9_/]*$/.test(path) || path.includes('//')) {
    // Anything outside plain segments: %-encoding, '.', '..', backslashes, unicode.
    throw new GatewayError(path.startsWith(ITEM_PREFIX) || path.startsWith('/rest/') ? 'INVALID_PATH' : 'ROUTE_NOT_FOUND');
  }

  let template: string;
  let contactId: string | undefined;
  if (path === ROUTE_TEMPLATES.COLLECTION || path === ROUTE_TEMPLATES.STATUSES) {
    template = path;
  } else if (path.startsWith(ITEM_PREFIX) && !path.slice(ITEM_PREFIX.length).includes('/')) {
    const segment = path.slice(ITEM_PREFIX.length);
    if (!CONTACT_ID.test(segment)) throw new GatewayError('INVALID_CONTACT_ID');
    template = ROUTE_TEMPLATES.ITEM;
    contactId = segment;
  } else {
    throw new GatewayError('ROUTE_NOT_FOUND');
  }

  const methods = METHODS_BY_TEMPLATE.get(template)!;
  const route = methods.get(method);
  if (!route) {
    throw new GatewayError('METHOD_NOT_ALLOWED', { headers: { Allow: [...methods.keys()].join(', ') } });
  }
  return { route, contactId, rawQuery };
}

/** The upstream path for a matched call: the template with the validated id, never the caller's path. */
export function upstreamPathOf(match: MatchedRoute): string {
  return match.contactId === undefined ? match.route.template : match.route.template.replace('{contact_id}', match.contactId);
}
