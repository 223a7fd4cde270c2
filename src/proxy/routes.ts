import type { QueryKind } from '../contacts/query';

/**
 * The six Zoho Voice contact calls, as data. Adding a Zoho call is one row here and, if its
 * answer needs it, one normalizer.
 */
export type ZohoScope = 'zohovoice.contacts.READ' | 'zohovoice.contacts.CREATE' | 'zohovoice.contacts.UPDATE' | 'zohovoice.contacts.DELETE';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type RouteName = 'contacts.list' | 'contacts.create' | 'contacts.statuses' | 'contacts.get' | 'contacts.update' | 'contacts.delete';

export interface ContactRoute {
  readonly name: RouteName;
  readonly method: HttpMethod;
  /** The path as Zoho documents it; also what metrics and the audit log show. */
  readonly template: string;
  readonly scope: ZohoScope;
  /** Query parameters the call accepts; anything else is refused. */
  readonly query: QueryKind;
  /** Create and update carry a contact. */
  readonly takesContact: boolean;
  /** Safe to send again after a failure (RFC 9110 idempotent methods). */
  readonly idempotent: boolean;
}

const COLLECTION = '/rest/json/zv/contacts';
const STATUSES = '/rest/json/zv/contacts/contact_status';
const ITEM = '/rest/json/zv/contacts/{contact_id}';

export const ROUTES: readonly ContactRoute[] = [
  { name: 'contacts.list', method: 'GET', template: COLLECTION, scope: 'zohovoice.contacts.READ', query: 'list', takesContact: false, idempotent: true },
  { name: 'contacts.create', method: 'POST', template: COLLECTION, scope: 'zohovoice.contacts.CREATE', query: 'contact', takesContact: true, idempotent: false },
  { name: 'contacts.statuses', method: 'GET', template: STATUSES, scope: 'zohovoice.contacts.READ', query: 'none', takesContact: false, idempotent: true },
  { name: 'contacts.get', method: 'GET', template: ITEM, scope: 'zohovoice.contacts.READ', query: 'none', takesContact: false, idempotent: true },
  { name: 'contacts.update', method: 'PUT', template: ITEM, scope: 'zohovoice.contacts.UPDATE', query: 'contact', takesContact: true, idempotent: true },
  { name: 'contacts.delete', method: 'DELETE', template: ITEM, scope: 'zohovoice.contacts.DELETE', query: 'none', takesContact: false, idempotent: true },
];

export const ROUTE_TEMPLATES = { COLLECTION, STATUSES, ITEM } as const;
