import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { validateQuery } from '../contacts/query';
import { toZohoContactParam, validateContact, type ContactSource } from '../contacts/validate';
import { GatewayError } from '../errors/gateway-error';
import type { PreparedCall } from '../proxy/contact-call';
import { matchRoute, upstreamPathOf, type MatchedRoute } from '../proxy/route-match';
import { callContextOf } from './call-context';

/** Finds the call (or answers 400/404/405) before anything else looks at the request. */
export const matchContactRoute: RequestHandler = (req, res, next) => {
  // HTTP/1.1 requires Host (RFC 9112); the upstream Host comes from config either way.
  if (req.headers.host === undefined && req.httpVersionMajor === 1 && req.httpVersionMinor >= 1) {
    throw new GatewayError('INVALID_HEADER', { details: { fields: [{ field: 'host', problem: 'is required in HTTP/1.1' }] } });
  }
  const match = matchRoute(req.method, req.url);
  const context = callContextOf(res);
  context.route = match.route;
  context.contactId = match.contactId;
  res.locals.match = match;
  next();
};

/**
 * Body parsers for create and update. They run only on those calls and only for the two media
 * types the gateway accepts; any other call must come without a body, since nothing the gateway
 * did not validate may travel upstream.
 */
export function contactBodyParsers(limitBytes: number): RequestHandler[] {
  const json = express.json({ limit: limitBytes, strict: true, type: 'application/json' });
  const form = express.urlencoded({ limit: limitBytes, extended: false, parameterLimit: 32, type: 'application/x-www-form-urlencoded' });
  const onlyForContacts = (parser: RequestHandler): RequestHandler => (req, res, next) =>
    callContextOf(res).route?.takesContact ? parser(req, res, next) : next();
  return [rejectUnexpectedBody, onlyForContacts(json), onlyForContacts(form)];
}

function rejectUnexpectedBody(req: Request, res: Response, next: NextFunction): void {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (!callContextOf(res).route?.takesContact && hasBody) {
    next(new GatewayError('INVALID_BODY', { details: { fields: [{ field: 'body', problem: 'this call takes no body' }] } }));
    return;
  }
  next();
}

/**
 * Validates the query and the contact and builds what goes upstream. Zoho takes the contact as
 * JSON text in a `contact` parameter; the gateway sends it as a form field in the body (not in the
 * URL, where personal data would end up in access logs) holding JSON it serialized itself.
 */
export const prepareContactCall: RequestHandler = (req, res, next) => {
  const match = res.locals.match as MatchedRoute;
  const query = validateQuery(match.route.query, match.rawQuery);
  const call: PreparedCall = { pathAndQuery: upstreamPathOf(match) + query.upstream };
  if (match.route.takesContact) {
    const contact = validateContact(contactSourceOf(req, query.contactText));
    call.formBody = new URLSearchParams({ contact: toZohoContactParam(contact) }).toString();
  }
  res.locals.prepared = call;
  next();
};

function contactSourceOf(req: Request, queryText: string | undefined): ContactSource {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (queryText !== undefined) {
    if (hasBody) throw invalidBody('body', 'give the contact either in the query or in the body, not both');
    return { kind: 'json-text', text: queryText, field: 'contact' };
  }
  if (!hasBody) throw invalidBody('contact', 'is required');
  if (req.body === undefined) throw new GatewayError('UNSUPPORTED_MEDIA_TYPE');
  if (req.is('application/x-www-form-urlencoded')) {
    const form = req.body as Record<string, unknown>;
    const extra = Object.keys(form).filter((k) => k !== 'contact');
    if (extra.length > 0) throw invalidBody(extra[0]!.slice(0, 64), 'is not a parameter of this call');
    if (typeof form.contact !== 'string') throw invalidBody('contact', 'is required');
    return { kind: 'json-text', text: form.contact, field: 'contact' };
  }
  const body = req.body as unknown;
  if (isPlainObject(body) && Object.keys(body).length === 1 && 'contact' in body) {
    const inner = body.contact;
    return typeof inner === 'string' ? { kind: 'json-text', text: inner, field: 'contact' } : { kind: 'object', value: inner, field: 'contact' };
  }
  return { kind: 'object', value: body, field: 'body' };
}

function invalidBody(field: string, problem: string): GatewayError {
  return new GatewayError('INVALID_BODY', { details: { fields: [{ field, problem }] } });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
