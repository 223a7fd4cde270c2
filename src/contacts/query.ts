import { GatewayError } from '../errors/gateway-error';
import type { FieldProblem } from './validate';

/** Which parameters a call takes: the list's paging, Zoho's `contact` form, or none. */
export type QueryKind = 'list' | 'contact' | 'none';

export interface ValidatedQuery {
  /** The canonical query to send upstream ('' or '?from=0&size=10...'), built from validated values. */
  upstream: string;
  /** Zoho's own form for create/update: the contact as JSON text in the query. */
  contactText?: string;
}

const LIST_PARAMS = new Set(['from', 'size', 'totalCount']);

/**
 * Checks the query of a call: no repeated parameters (query pollution), no unknown ones, and
 * the list call's paging within Zoho's bounds.
 */
export function validateQuery(kind: QueryKind, rawQuery: string): ValidatedQuery {
  if (rawQuery === '') return { upstream: '' };
  let params: URLSearchParams;
  try {
    // URLSearchParams never throws on bad %-escapes; it keeps them, so check them ourselves.
    if (/%(?![0-9A-Fa-f]{2})/.test(rawQuery)) throw new Error('bad escape');
    decodeURIComponent(rawQuery.replace(/\+/g, ' '));
    params = new URLSearchParams(rawQuery);
  } catch {
    throw new GatewayError('INVALID_QUERY', { details: { fields: [{ field: 'query', problem: 'is not a valid query string' }] } });
  }

  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  for (const name of params.keys()) {
    if (seen.has(name)) {
      problems.push({ field: printable(name), problem: 'is repeated' });
      continue;
    }
    seen.add(name);
    const allowed = kind === 'list' ? LIST_PARAMS.has(name) : kind === 'contact' && name === 'contact';
    if (!allowed) problems.push({ field: printable(name), problem: 'is not a parameter of this call' });
  }
  if (problems.length === 0 && kind === 'list') problems.push(...listProblems(params));
  if (problems.length > 0) throw new GatewayError('INVALID_QUERY', { details: { fields: problems.slice(0, 25) } });

  if (kind === 'contact') return { upstream: '', contactText: params.get('contact') ?? undefined };
  const canonical = new URLSearchParams();
  for (const name of ['totalCount', 'from', 'size']) {
    const value = params.get(name);
    if (value !== null) canonical.set(name, value);
  }
  const text = canonical.toString();
  return { upstream: text === '' ? '' : `?${text}` };
}

function listProblems(params: URLSearchParams): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const from = params.get('from');
  if (from !== null && !/^\d{1,9}$/.test(from)) problems.push({ field: 'from', problem: 'must be an integer >= 0' });
  const size = params.get('size');
  if (size !== null && !(/^\d{1,2}$/.test(size) && Number(size) >= 1 && Number(size) <= 50)) {
    problems.push({ field: 'size', problem: 'must be an integer from 1 to 50' });
  }
  const totalCount = params.get('totalCount');
  if (totalCount !== null && totalCount !== 'true' && totalCount !== 'false') {
    problems.push({ field: 'totalCount', problem: 'must be true or false' });
  }
  return problems;
}

function printable(name: string): string {
  // eslint-disable-next-line no-control-regex
  const safe = name.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return safe.length > 64 ? `${safe.slice(0, 64)}…` : safe;
}
