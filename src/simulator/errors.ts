/**
 * The application errors the simulator answers with. Zoho documents only the shape
 * ({"code":"<App Error Code>","message":"...","status":"ERROR"}), not the codes, so these are
 * the simulator's choices. Exported so tests can assert on them without guessing.
 */
export interface SimError {
  status: number;
  code: string;
  message: string;
}

export const SIM_ERRORS = {
  /** Missing, unknown, expired or revoked access token; also the invalid_oauthtoken fault. */
  invalidOauthToken: { status: 401, code: 'INVALID_OAUTHTOKEN', message: 'Invalid OAuth token' },
  /** `contact` absent/empty/not JSON/not an object; bad from/size; malformed contact id in the path. */
  invalidParameter: (message: string): SimError => ({ status: 400, code: 'INVALID_PARAMETER', message }),
  /** first_name or mobile missing or empty. */
  mandatoryMissing: (message: string): SimError => ({ status: 400, code: 'MANDATORY_PARAM_MISSING', message }),
  /** A value of the wrong type, an unknown key (e.g. the seed's mistranslated 'メール'), an unknown status id. */
  invalidData: (message: string): SimError => ({ status: 400, code: 'INVALID_DATA', message }),
  /** Well-formed id that names no contact (GET/PUT/DELETE). HTTP 404 so a client cannot mistake it for success. */
  contactNotFound: (id: string): SimError => ({ status: 404, code: 'CONTACT_NOT_FOUND', message: `Contact ${id} does not exist` }),
  urlNotFound: { status: 404, code: 'URL_NOT_FOUND', message: 'The requested URL was not found' },
  methodNotAllowed: { status: 405, code: 'METHOD_NOT_ALLOWED', message: 'Method not allowed for this URL' },
  payloadTooLarge: { status: 413, code: 'INVALID_PARAMETER', message: 'Request body too large' },
  /** http_429 fault (sent with Retry-After: 1). */
  tooManyRequests: { status: 429, code: 'TOO_MANY_REQUESTS', message: 'Too many requests. Please try again later.' },
  /** http_500 fault on the contacts API, or a simulator bug. */
  internal: { status: 500, code: 'INTERNAL_ERROR', message: 'Internal server error' },
} as const;
