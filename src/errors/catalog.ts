/**
 * The gateway's own error codes: one stable code, one HTTP status, one safe message each.
 * Callers branch on `code`; the message is for people and never carries input or secrets.
 */
export const ERROR_CATALOG = {
  INVALID_PATH: { status: 400, message: 'The request path is malformed (encoded or dot segments are not accepted).' },
  INVALID_CONTACT_ID: { status: 400, message: 'contact_id must be 1 to 19 digits.' },
  INVALID_QUERY: { status: 400, message: 'The query string is not valid for this call.' },
  INVALID_BODY: { status: 400, message: 'The contact in the request body is not valid.' },
  MALFORMED_BODY: { status: 400, message: 'The request body could not be parsed.' },
  INVALID_HEADER: { status: 400, message: 'A request header is not valid.' },
  MALFORMED_REQUEST: { status: 400, message: 'The request is not valid HTTP/1.1.' },
  UNAUTHENTICATED: { status: 401, message: 'A valid caller key is required: Authorization: Bearer <key>.' },
  FORBIDDEN: { status: 403, message: 'This caller is not allowed to make this call.' },
  ROUTE_NOT_FOUND: { status: 404, message: 'No such route. The gateway serves the six Zoho Voice contact calls under /rest/json/zv/contacts.' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'This method is not allowed on this route.' },
  REQUEST_TIMEOUT: { status: 408, message: 'The request was not received in time.' },
  IDEMPOTENCY_IN_FLIGHT: { status: 409, message: 'A request with this Idempotency-Key is still in flight.' },
  BODY_TOO_LARGE: { status: 413, message: 'The request body is larger than the gateway accepts.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send the contact as application/json or application/x-www-form-urlencoded.' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, message: 'This Idempotency-Key was used with a different request.' },
  RATE_LIMITED: { status: 429, message: 'Too many requests from this caller.' },
  HEADERS_TOO_LARGE: { status: 431, message: 'The request headers are larger than the gateway accepts.' },
  INTERNAL_ERROR: { status: 500, message: 'The gateway failed unexpectedly.' },
  UPSTREAM_BAD_RESPONSE: { status: 502, message: 'Zoho answered with something that is not a valid API answer.' },
  UPSTREAM_UNREACHABLE: { status: 502, message: 'Zoho could not be reached.' },
  UPSTREAM_OUTCOME_UNKNOWN: { status: 502, message: 'The connection to Zoho failed after the request was sent: the call may or may not have taken effect. Check before retrying.' },
  UPSTREAM_TOKEN_REJECTED: { status: 502, message: 'Zoho rejected the gateway\'s access token, also after a refresh.' },
  TOKEN_ENDPOINT_ERROR: { status: 502, message: 'Zoho\'s accounts server did not issue an access token.' },
  TOKEN_CREDENTIALS_INVALID: { status: 503, message: 'The gateway\'s Zoho credentials were rejected (invalid_client or invalid_code); an operator must fix them.' },
  TOKEN_RATE_LIMITED: { status: 503, message: 'Zoho is rate-limiting token requests; try again later.' },
  TOKEN_UNAVAILABLE: { status: 503, message: 'No access token is available right now.' },
  CIRCUIT_OPEN: { status: 503, message: 'Zoho is failing; the gateway is not sending calls for a short while.' },
  IDEMPOTENCY_UNAVAILABLE: { status: 503, message: 'Idempotency-Key cannot be honoured right now (its store is unavailable); nothing was sent to Zoho. Retry later.' },
  SHUTTING_DOWN: { status: 503, message: 'The gateway is shutting down.' },
  UPSTREAM_TIMEOUT: { status: 504, message: 'Zoho did not answer in time.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;
