import { CONTACT_TEXT_FIELDS } from '../contacts/contact-input';
import { ERROR_CATALOG, type ErrorCode } from '../errors/catalog';
import { ROUTES, type ContactRoute, type RouteName } from '../proxy/routes';

/**
 * The OpenAPI 3.1 description of the gateway's API, served at GET /openapi.json.
 *
 * Built from the same data the gateway runs on (the route table, the error catalog, the
 * contact's documented keys), so codes, paths and fields cannot drift from the code; the shapes
 * of the answers are checked by the test suite, which validates every answer a test receives
 * against this document.
 */
type Json = Record<string, unknown>;

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const responseRef = (name: string): Json => ({ $ref: `#/components/responses/${name}` });

const DIGITS = '^[0-9]{1,19}$';

const OPERATIONS: Record<RouteName, { operationId: string; summary: string; success: string; description: string }> = {
  'contacts.list': {
    operationId: 'listContacts',
    summary: 'List contacts',
    success: 'ListAnswer',
    description: 'A page of contacts. `meta.total` is -1 unless `totalCount=true`.',
  },
  'contacts.create': {
    operationId: 'createContact',
    summary: 'Create a contact',
    success: 'SingleAnswer',
    description:
      'Creates one contact. Send it in any one of Zoho\'s and the gateway\'s encodings: the `contact` query parameter (Zoho\'s form: JSON text), ' +
      'an application/x-www-form-urlencoded body with a `contact` field (JSON text), or an application/json body (`{"contact": {...}}` or the contact object itself). ' +
      'With an `Idempotency-Key`, a repeat of the same request replays the first answer instead of creating a second contact.',
  },
  'contacts.statuses': {
    operationId: 'listContactStatuses',
    summary: 'List contact statuses',
    success: 'StatusesAnswer',
    description: 'The statuses a contact can have; their ids go in `contact_status.id`.',
  },
  'contacts.get': { operationId: 'getContact', summary: 'Get a contact', success: 'SingleAnswer', description: 'One contact by id.' },
  'contacts.update': {
    operationId: 'updateContact',
    summary: 'Update a contact',
    success: 'SingleAnswer',
    description: 'Replaces a contact\'s fields. The contact is sent as for create.',
  },
  'contacts.delete': { operationId: 'deleteContact', summary: 'Delete a contact', success: 'DeleteAnswer', description: 'Deletes one contact; the answer names its id.' },
};

/** The HTTP statuses the gateway's own errors use, each with the codes that map to it. */
export function errorCodesByStatus(): Map<number, ErrorCode[]> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const [code, entry] of Object.entries(ERROR_CATALOG) as Array<[ErrorCode, { status: number }]>) {
    byStatus.set(entry.status, [...(byStatus.get(entry.status) ?? []), code]);
  }
  return new Map([...byStatus.entries()].sort(([a], [b]) => a - b));
}

function schemas(): Json {
  const textFields = Object.fromEntries(CONTACT_TEXT_FIELDS.map((name) => [name, { type: 'string' }]));
  const inputFields = Object.fromEntries(CONTACT_TEXT_FIELDS.map((name) => [name, { type: 'string', maxLength: 1000 }]));
  return {
    Digits: { type: 'string', pattern: DIGITS, description: 'A Zoho id: the exact digits, as a string (ids exceed 2^53).', examples: ['9223372036854775807'] },
    ContactOwner: {
      type: 'object',
      description: 'Always this shape, whichever form Zoho used (a bare number or an object).',
      required: ['id', 'display_value'],
      additionalProperties: false,
      properties: { id: ref('Digits'), display_value: { type: ['string', 'null'] } },
    },
    ContactStatus: {
      type: 'object',
      required: ['id', 'display_value'],
      properties: { id: ref('Digits'), display_value: { type: 'string' } },
    },
    Contact: {
      type: 'object',
      description:
        'A contact as the gateway answers it. Fields other than the ids pass through exactly as Zoho sent them; single-contact answers also carry `number` and `created_time`.',
      required: ['contact_id'],
      properties: {
        ...textFields,
        contact_id: ref('Digits'),
        contact_owner: { oneOf: [ref('ContactOwner'), { type: 'null' }] },
        contact_status: ref('ContactStatus'),
        number: { type: 'array', items: { type: 'string' } },
        created_time: { type: 'number' },
      },
    },
    ContactInput: {
      type: 'object',
      description: 'A contact to create or update: first_name and mobile are required; only these keys are accepted.',
      required: ['first_name', 'mobile'],
      additionalProperties: false,
      properties: {
        ...inputFields,
        first_name: { type: 'string', minLength: 1, maxLength: 1000 },
        mobile: { type: 'string', minLength: 1, maxLength: 1000 },
        contact_status: {
          type: 'object',
          required: ['id'],
          additionalProperties: false,
          properties: { id: ref('Digits'), display_value: { type: 'string', maxLength: 1000 } },
        },
      },
    },
    ContactJsonBody: {
      description: 'An application/json body: the contact itself, or wrapped as {"contact": ...} (an object or its JSON text).',
      oneOf: [
        ref('ContactInput'),
        {
          type: 'object',
          required: ['contact'],
          additionalProperties: false,
          properties: { contact: { oneOf: [ref('ContactInput'), { type: 'string', contentMediaType: 'application/json' }] } },
        },
      ],
    },
    ContactFormBody: {
      type: 'object',
      description: 'Zoho\'s own form: one field, `contact`, holding the contact as JSON text.',
      required: ['contact'],
      additionalProperties: false,
      properties: { contact: { type: 'string', contentMediaType: 'application/json' } },
    },
    SingleAnswer: {
      type: 'object',
      required: ['code', 'contacts', 'status'],
      properties: { code: { type: 'string', const: '200' }, contacts: ref('Contact'), status: { const: 'SUCCESS' } },
    },
    ListAnswer: {
      type: 'object',
      required: ['code', 'meta', 'contacts', 'status'],
      properties: {
        code: { type: 'string', const: '200' },
        meta: {
          type: 'object',
          required: ['total'],
          properties: { total: { type: 'integer', minimum: -1, description: 'The number of contacts with totalCount=true; -1 otherwise.' } },
        },
        contacts: { type: 'array', maxItems: 50, items: ref('Contact') },
        status: { const: 'SUCCESS' },
      },
    },
    DeleteAnswer: {
      type: 'object',
      required: ['code', 'contacts', 'status'],
      properties: { code: { type: 'string', const: '200' }, contacts: { ...ref('Digits'), description: 'The deleted contact\'s id.' }, status: { const: 'SUCCESS' } },
    },
    StatusesAnswer: {
      type: 'object',
      required: ['code', 'contact_status', 'status'],
      properties: { code: { type: 'string', const: '200' }, contact_status: { type: 'array', items: ref('ContactStatus') }, status: { const: 'SUCCESS' } },
    },
    ErrorCode: {
      type: 'string',
      description: 'The gateway\'s own stable error codes. Branch on these, not on the message.',
      enum: Object.keys(ERROR_CATALOG),
    },
    GatewayError: {
      type: 'object',
      description: 'An error of the gateway itself, in Zoho\'s envelope plus the request id.',
      required: ['status', 'code', 'message', 'request_id'],
      additionalProperties: false,
      properties: {
        status: { const: 'ERROR' },
        code: ref('ErrorCode'),
        message: { type: 'string' },
        request_id: { type: 'string', description: 'Also in the X-Request-Id header, the logs and the audit line.' },
        details: {
          type: 'object',
          description: 'Which fields are wrong (never their values).',
          properties: {
            fields: {
              type: 'array',
              items: { type: 'object', required: ['field', 'problem'], additionalProperties: false, properties: { field: { type: 'string' }, problem: { type: 'string' } } },
            },
            more: { type: 'integer', minimum: 1, description: 'How many more problems were found than listed.' },
          },
        },
      },
    },
    ZohoError: {
      type: 'object',
      description: 'An error answer of Zoho\'s itself, passed through with its status and body. It never has a request_id.',
      required: ['status', 'code'],
      not: { required: ['request_id'] },
      properties: { status: { const: 'ERROR' }, code: { type: 'string' }, message: { type: 'string' } },
    },
    Health: { type: 'object', required: ['status'], additionalProperties: false, properties: { status: { enum: ['UP'] } } },
    Readiness: { type: 'object', required: ['status'], additionalProperties: false, properties: { status: { enum: ['READY', 'NOT_READY'] } } },
  };
}

const REQUEST_ID_HEADER = {
  description: 'The request\'s id: the caller\'s X-Request-Id when well-formed, a new UUID otherwise.',
  required: true,
  schema: { type: 'string' },
};
const RETRY_AFTER_HEADER = { description: 'Seconds to wait before trying again.', schema: { type: 'string', pattern: '^[0-9]+$' } };

function responses(): Json {
  const out: Json = {};
  for (const [status, codes] of errorCodesByStatus()) {
    const headers: Json = { 'X-Request-Id': REQUEST_ID_HEADER };
    if (status === 429 || status === 503) headers['Retry-After'] = RETRY_AFTER_HEADER;
    if (status === 405) headers.Allow = { description: 'The methods this path takes.', required: true, schema: { type: 'string' } };
    out[`Error${status}`] = {
      description: `The gateway's own error (${codes.join(', ')}), or Zoho's error answer with this status, passed through.`,
      headers,
      content: {
        'application/json': {
          schema: {
            oneOf: [{ allOf: [ref('GatewayError'), { properties: { code: { enum: codes } } }] }, ref('ZohoError')],
          },
        },
      },
    };
  }
  out.ZohoErrorPassedThrough = {
    description: 'Zoho\'s own error answer, passed through with its status and body.',
    headers: { 'X-Request-Id': REQUEST_ID_HEADER, 'Retry-After': RETRY_AFTER_HEADER },
    content: { 'application/json': { schema: ref('ZohoError') } },
  };
  return out;
}

/** Error responses every contact call can give: the gateway's, by status, and Zoho's passed through. */
function errorResponses(): Json {
  const out: Json = {};
  for (const status of errorCodesByStatus().keys()) out[String(status)] = responseRef(`Error${status}`);
  out['4XX'] = responseRef('ZohoErrorPassedThrough');
  out['5XX'] = responseRef('ZohoErrorPassedThrough');
  return out;
}

function operation(route: ContactRoute): Json {
  const meta = OPERATIONS[route.name];
  const parameters: Json[] = [];
  if (route.template.includes('{contact_id}')) {
    parameters.push({ name: 'contact_id', in: 'path', required: true, description: 'The contact\'s id: 1 to 19 digits.', schema: ref('Digits') });
  }
  if (route.query === 'list') {
    parameters.push(
      { name: 'from', in: 'query', description: 'Offset of the first contact (default 0).', schema: { type: 'integer', minimum: 0, maximum: 999999999 } },
      { name: 'size', in: 'query', description: 'Page size (default 50).', schema: { type: 'integer', minimum: 1, maximum: 50 } },
      { name: 'totalCount', in: 'query', description: 'true: meta.total counts every contact.', schema: { type: 'string', enum: ['true', 'false'] } },
    );
  }
  if (route.query === 'contact') {
    parameters.push({
      name: 'contact',
      in: 'query',
      description: 'Zoho\'s form: the contact as JSON text. Give the contact here or in the body, not both. (A body keeps personal data out of URLs and access logs.)',
      content: { 'application/json': { schema: ref('ContactInput') } },
    });
  }
  if (route.method === 'POST') {
    parameters.push({
      name: 'Idempotency-Key',
      in: 'header',
      description:
        'Makes a create safe to repeat: the first answer is kept (per caller and key, IDEMPOTENCY_TTL_SEC) and a repeat with the same body replays it; the same key with another body gets 422, a repeat while the first is in flight 409. 8 to 255 visible ASCII characters without `"`, `,` or `\\` (a UUID is the usual choice), optionally in double quotes; anything else is 400 INVALID_HEADER.',
      schema: { type: 'string', pattern: '^"?[\\x21\\x23-\\x2b\\x2d-\\x5b\\x5d-\\x7e]{8,255}"?$' },
    });
  }
  const successHeaders: Json = { 'X-Request-Id': REQUEST_ID_HEADER };
  if (route.method === 'POST') {
    successHeaders['Idempotent-Replayed'] = { description: '`true` when this answer is a replay of an earlier request with the same Idempotency-Key.', schema: { const: 'true' } };
  }
  const op: Json = {
    operationId: meta.operationId,
    summary: meta.summary,
    description: `${meta.description}\n\nForwarded to Zoho as \`${route.method} ${route.template}\` (scope \`${route.scope}\`).`,
    tags: ['contacts'],
    'x-zoho-scope': route.scope,
    parameters,
    responses: {
      200: { description: 'Zoho\'s answer, normalized.', headers: successHeaders, content: { 'application/json': { schema: ref(meta.success) } } },
      ...errorResponses(),
    },
  };
  if (route.takesContact) {
    op.requestBody = {
      required: false,
      description: 'The contact (unless it is given in the `contact` query parameter).',
      content: {
        'application/json': { schema: ref('ContactJsonBody') },
        'application/x-www-form-urlencoded': { schema: ref('ContactFormBody'), encoding: { contact: { contentType: 'application/json' } } },
      },
    };
  }
  return op;
}

function opsPaths(): Json {
  const ops = { tags: ['operations'], security: [] };
  return {
    '/healthz': {
      get: {
        ...ops,
        operationId: 'health',
        summary: 'Liveness: the process is up',
        responses: { 200: { description: 'Up.', headers: { 'X-Request-Id': REQUEST_ID_HEADER }, content: { 'application/json': { schema: ref('Health') } } } },
      },
    },
    '/readyz': {
      get: {
        ...ops,
        operationId: 'readiness',
        summary: 'Readiness: a Zoho access token can be had and the gateway is not shutting down',
        description: 'The answer is generic on purpose (no key is needed to read it); the reason for NOT_READY is in the log.',
        responses: {
          200: { description: 'Ready.', headers: { 'X-Request-Id': REQUEST_ID_HEADER }, content: { 'application/json': { schema: ref('Readiness') } } },
          503: { description: 'Not ready.', headers: { 'X-Request-Id': REQUEST_ID_HEADER }, content: { 'application/json': { schema: ref('Readiness') } } },
        },
      },
    },
    '/metrics': {
      get: {
        ...ops,
        operationId: 'metrics',
        summary: 'Prometheus metrics',
        responses: {
          200: {
            description: 'The Prometheus text exposition format.',
            headers: { 'X-Request-Id': REQUEST_ID_HEADER },
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
        },
      },
    },
    '/openapi.json': {
      get: {
        ...ops,
        operationId: 'openapi',
        summary: 'This document',
        responses: {
          200: {
            description: 'The OpenAPI 3.1 document of the gateway.',
            headers: { 'X-Request-Id': REQUEST_ID_HEADER },
            content: { 'application/json': { schema: { type: 'object', required: ['openapi', 'info', 'paths'] } } },
          },
        },
      },
    },
  };
}

/** The OpenAPI 3.1 document. A plain JSON value: build it once and serve it. */
export function buildOpenApiDocument(): Json {
  const paths: Record<string, Json> = {};
  for (const route of ROUTES) {
    paths[route.template] ??= {};
    paths[route.template]![route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'zoho-voice-gateway',
      version: '1.0.0',
      summary: 'Egress gateway for the Zoho Voice Contacts API.',
      description:
        'Call the gateway exactly as you would call Zoho Voice (same paths, same parameters), without Zoho credentials. The gateway injects its ' +
        'OAuth token, validates every input before anything goes upstream, and answers in one lossless shape: every id is a string of its exact digits. ' +
        'Errors of the gateway use Zoho\'s envelope plus `request_id`; Zoho\'s own error answers pass through with their status.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: 'http://127.0.0.1:8080', description: 'A sidecar on loopback (the default HOST and PORT).' }],
    tags: [
      { name: 'contacts', description: 'The six Zoho Voice contact calls.' },
      { name: 'operations', description: 'Health, readiness, metrics and this document. No caller key needed.' },
    ],
    security: [{ callerKey: [] }, {}],
    paths: { ...paths, ...opsPaths() },
    components: {
      securitySchemes: {
        callerKey: {
          type: 'http',
          scheme: 'bearer',
          description:
            'A caller key from GATEWAY_CALLERS_FILE: `Authorization: Bearer <key>`. In sidecar mode (no callers file, loopback only) no key is needed.',
        },
      },
      schemas: schemas(),
      responses: responses(),
    },
  };
}
