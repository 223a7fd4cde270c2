/**
 * Checks every answer a gateway gives inside the test process against the OpenAPI document that
 * gateway serves (app.locals.openapi, the same object as GET /openapi.json), so the document
 * cannot drift from what the gateway really answers.
 *
 * How answers are seen: Node publishes every request an http.Server receives on the diagnostics
 * channel `http.server.request.start`. The recorder subscribes, recognises the gateway's servers
 * (their request listener is an Express app carrying `locals.openapi`), tees the answer's bytes
 * and validates status, headers, media type and body with ajv (JSON Schema 2020-12, the dialect
 * of OpenAPI 3.1) when the answer is finished. Whatever client a test uses (supertest, fetch,
 * node:http), and however it started the gateway (harness, startGateway, createApp), its answers
 * are checked. test/setup/openapi-conformance.ts fails the test in which a mismatch happened.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One finished answer, as the client received it. */
export interface RecordedAnswer {
  method: string;
  /** Request target as sent (path and query). */
  url: string;
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: Buffer;
}

export interface Mismatch {
  method: string;
  url: string;
  status: number;
  problems: string[];
  body: string;
}

const SCHEMA_BASE = 'urn:zvgw:openapi';
const CHANNEL = 'http.server.request.start';

/**
 * Validates answers against one OpenAPI document. Schemas are compiled on first use and kept,
 * so checking thousands of answers stays cheap.
 */
export class OpenApiAnswerValidator {
  private readonly ajv: Ajv2020;
  private readonly doc: Json;
  private readonly paths: Array<{ template: string; pattern: RegExp; item: Json }>;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(document: object) {
    // $refs point into components; make them absolute so every schema compiles on its own.
    this.doc = JSON.parse(JSON.stringify(document).replaceAll('"#/components/schemas/', `"${SCHEMA_BASE}#/$defs/`)) as Json;
    this.ajv = new Ajv2020({ strict: true, strictTypes: false, strictRequired: false, allErrors: true, allowUnionTypes: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: SCHEMA_BASE, $defs: this.doc.components.schemas });
    // Literal paths before templated ones: /contacts/contact_status is not a contact id.
    this.paths = Object.entries(this.doc.paths as Json)
      .map(([template, item]) => ({
        template,
        item: item as Json,
        pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}$`),
      }))
      .sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0));
  }

  /** Every way `answer` departs from the document; empty when it conforms. */
  problems(answer: RecordedAnswer): string[] {
    const path = answer.url.split('?')[0]!;
    const matched = this.paths.find((p) => p.pattern.test(path));
    const operation = matched?.item[answer.method.toLowerCase()] as Json | undefined;
    if (!matched || !operation) return this.checkUndocumentedRequest(answer, matched ? 'method' : 'path');

    const where = `${answer.method} ${matched.template} → ${answer.status}`;
    const responses = operation.responses as Json;
    const response = responses[String(answer.status)] ?? responses[`${Math.floor(answer.status / 100)}XX`] ?? responses.default;
    if (!response) return [`${where}: status ${answer.status} is not documented for this operation`];
    return this.checkResponse(where, this.resolve(response), answer);
  }

  /**
   * A path or method the document does not describe can only get the gateway's own error
   * envelope (404, 405, 400 for a malformed path), never anything from Zoho.
   */
  private checkUndocumentedRequest(answer: RecordedAnswer, what: 'path' | 'method'): string[] {
    const where = `${answer.method} ${answer.url.split('?')[0]} (undocumented ${what}) → ${answer.status}`;
    const response = (this.doc.components.responses as Json)[`Error${answer.status}`] as Json | undefined;
    if (!response) return [`${where}: no gateway error is documented with status ${answer.status}`];
    const gatewayOnly = {
      ...response,
      content: { 'application/json': { schema: response.content['application/json'].schema.oneOf[0] } },
    };
    return this.checkResponse(where, gatewayOnly, answer, `undocumented:${answer.status}`);
  }

  private checkResponse(where: string, response: Json, answer: RecordedAnswer, cacheKey = where): string[] {
    const problems: string[] = [];
    for (const [name, header] of Object.entries((response.headers ?? {}) as Json)) {
      const value = answer.headers[name.toLowerCase()];
      if (value === undefined) {
        if (header.required) problems.push(`${where}: header ${name} is required but absent`);
        continue;
      }
      if (header.schema) {
        const validate = this.compile(`${cacheKey} header ${name}`, header.schema as Json);
        if (!validate(String(value))) problems.push(`${where}: header ${name}=${String(value)} ${this.ajv.errorsText(validate.errors)}`);
      }
    }

    const content = response.content as Json | undefined;
    if (answer.method === 'HEAD') return problems;
    if (!content) {
      if (answer.body.length > 0) problems.push(`${where}: no body is documented but ${answer.body.length} bytes came`);
      return problems;
    }
    const mediaType = String(answer.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const media = content[mediaType] as Json | undefined;
    if (!media) return [...problems, `${where}: content type "${mediaType}" is not documented (documented: ${Object.keys(content).join(', ')})`];
    if (!media.schema) return problems;

    const text = answer.body.toString('utf8');
    let value: unknown = text;
    if (mediaType === 'application/json') {
      try {
        value = JSON.parse(text);
      } catch {
        return [...problems, `${where}: the body is not JSON`];
      }
    }
    const validate = this.compile(`${cacheKey} ${mediaType}`, media.schema as Json);
    if (!validate(value)) problems.push(`${where}: body ${this.ajv.errorsText(validate.errors, { separator: '; ' })}`);
    return problems;
  }

  private resolve(maybeRef: Json): Json {
    const ref = maybeRef.$ref as string | undefined;
    if (!ref) return maybeRef;
    const name = ref.replace('#/components/responses/', '');
    const target = (this.doc.components.responses as Json)[name];
    if (!target) throw new Error(`the document refers to a missing response ${ref}`);
    return target as Json;
  }

  private compile(key: string, schema: Json): ValidateFunction {
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.compiled.set(key, validate);
    }
    return validate;
  }
}

interface RequestStart {
  request: IncomingMessage;
  response: ServerResponse;
  server: Server;
}

/** Watches every gateway in this process and keeps what did not conform. */
export class OpenApiRecorder {
  private static installed: OpenApiRecorder | null = null;
  private readonly validators = new WeakMap<object, OpenApiAnswerValidator>();
  private mismatches: Mismatch[] = [];
  /** Answers checked since install. */
  checked = 0;
  private readonly onRequest = (message: unknown): void => this.watch(message as RequestStart);

  /** Starts watching (once per test file: the setup file calls it). */
  static install(): OpenApiRecorder {
    if (!OpenApiRecorder.installed) {
      const recorder = new OpenApiRecorder();
      subscribe(CHANNEL, recorder.onRequest);
      OpenApiRecorder.installed = recorder;
    }
    return OpenApiRecorder.installed;
  }

  /** The recorder watching now, if any. */
  static current(): OpenApiRecorder | null {
    return OpenApiRecorder.installed;
  }

  uninstall(): void {
    unsubscribe(CHANNEL, this.onRequest);
    if (OpenApiRecorder.installed === this) OpenApiRecorder.installed = null;
  }

  /** The mismatches seen since the last call, and forgets them. */
  takeMismatches(): Mismatch[] {
    const taken = this.mismatches;
    this.mismatches = [];
    return taken;
  }

  private watch({ request, response, server }: RequestStart): void {
    const document = gatewayDocumentOf(server);
    if (!document) return;
    let validator = this.validators.get(document);
    if (!validator) this.validators.set(document, (validator = new OpenApiAnswerValidator(document)));
    const chunks: Buffer[] = [];
    teeBody(response, chunks);
    const method = request.method ?? 'GET';
    const url = request.url ?? '/';
    response.once('finish', () => {
      const answer: RecordedAnswer = { method, url, status: response.statusCode, headers: response.getHeaders(), body: Buffer.concat(chunks) };
      this.checked++;
      let problems: string[];
      try {
        problems = validator.problems(answer);
      } catch (err) {
        // A broken document must fail the test, not crash the server under test.
        problems = [`the recorder could not check this answer: ${(err as Error).message}`];
      }
      if (problems.length > 0) this.mismatches.push({ method, url, status: answer.status, problems, body: answer.body.toString('utf8').slice(0, 500) });
    });
  }
}

/** The OpenAPI document of a gateway's server, or undefined for any other server (the simulator...). */
function gatewayDocumentOf(server: Server): object | undefined {
  const listener = server.listeners('request')[0] as { locals?: { openapi?: unknown } } | undefined;
  const document = listener?.locals?.openapi;
  return typeof document === 'object' && document !== null ? document : undefined;
}

/** Copies what the server writes into `chunks`, leaving the answer itself untouched. */
function teeBody(response: ServerResponse, chunks: Buffer[]): void {
  const capture = (chunk: unknown, encoding: unknown): void => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    if (typeof chunk === 'string') chunks.push(Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'));
    else if (chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
  };
  const write = response.write;
  const end = response.end;
  response.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    capture(chunk, rest[0]);
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as ServerResponse['write'];
  response.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    capture(chunk, rest[0]);
    return (end as (...args: unknown[]) => ServerResponse).call(this, chunk, ...rest);
  } as ServerResponse['end'];
}

/** A readable report of mismatches, for a failing test. */
export function formatMismatches(mismatches: Mismatch[]): string {
  return mismatches
    .map((m) => `${m.method} ${m.url} → ${m.status}\n  ${m.problems.join('\n  ')}\n  body: ${m.body}`)
    .join('\n');
}
