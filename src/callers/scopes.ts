import type { ZohoScope } from '../proxy/routes';

/**
 * The scopes a caller can be granted: Zoho's own contact scopes, so a caller can be given less
 * than the gateway's token holds. `zohovoice.contacts.ALL` covers every call, as it does at Zoho.
 */
export const ALL_SCOPE = 'zohovoice.contacts.ALL';
export const CALLER_SCOPES = [
  'zohovoice.contacts.READ',
  'zohovoice.contacts.CREATE',
  'zohovoice.contacts.UPDATE',
  'zohovoice.contacts.DELETE',
  ALL_SCOPE,
] as const satisfies readonly (ZohoScope | typeof ALL_SCOPE)[];

export type CallerScope = (typeof CALLER_SCOPES)[number];

/** May a caller holding `granted` make a call that needs `needed`? */
export function scopesAllow(granted: ReadonlySet<CallerScope>, needed: ZohoScope): boolean {
  return granted.has(ALL_SCOPE) || granted.has(needed);
}

/**
 * Reads a scope as an operator types it: the full name, or its last word in any case
 * (`read`, `DELETE`, `all`). Returns undefined for anything else.
 */
export function parseScope(text: string): CallerScope | undefined {
  const full = (CALLER_SCOPES as readonly string[]).includes(text) ? (text as CallerScope) : undefined;
  if (full) return full;
  const short = `zohovoice.contacts.${text.toUpperCase()}`;
  return (CALLER_SCOPES as readonly string[]).includes(short) ? (short as CallerScope) : undefined;
}
