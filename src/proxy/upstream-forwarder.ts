import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { TLSSocket } from 'node:tls';
import { createProxyMiddleware, type RequestHandler } from 'http-proxy-middleware';
import type { CallDeadline } from './deadline';

/** One request to the Voice API, entirely built by the gateway from validated input. */
export interface UpstreamRequest {
  method: string;
  /** Path and canonical query, e.g. /rest/json/zv/contacts?from=0&size=10 */
  pathAndQuery: string;
  token: string;
  /** application/x-www-form-urlencoded body, for create and update. */
  formBody?: string;
  /** The whole-call deadline: the attempt ends when it passes. */
  deadline?: CallDeadline;
}

export interface UpstreamAnswer {
  ok: true;
  status: number;
  contentType: string;
  retryAfter?: string;
  body: Buffer;
}

/**
 * How an attempt failed, sorted by what is safe afterwards:
 * - `not_sent`: the connection failed before any byte of the request left (refused, DNS, connect
 *   or TLS handshake timeout): any call may be sent again, creates included.
 * - `sent`: the connection broke after the request was (maybe) written: the outcome is unknown.
 * - `timeout`: the whole-call deadline passed; if anything was sent, its outcome is unknown too.
 */
export interface UpstreamFailure {
  ok: false;
  kind: 'not_sent' | 'sent' | 'timeout';
  /** Error code only (ECONNRESET, ...), for logs. */
  code: string;
}

export type UpstreamResult = UpstreamAnswer | UpstreamFailure;

export interface UpstreamForwarderOptions {
  voiceUrl: string;
  connectTimeoutMs: number;
  maxSockets: number;
  /** Largest answer the gateway reads from Zoho. */
  maxAnswerBytes?: number;
}

/** The answer was larger than maxAnswerBytes; not a connection failure, and not worth a retry. */
export const ANSWER_TOO_LARGE = 'EANSWER_TOO_LARGE';

const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNECT_TIMEOUT']);
const USER_AGENT = 'zoho-voice-gateway';
/**
 * Idle keep-alive sockets are dropped after this. It also lets Node's agent honour the server's
 * `Keep-Alive: timeout=N` hint (it only shortens a non-zero agent timeout), which closes the
 * classic race of sending on a socket the server is closing. On a busy socket it only emits an
 * event nobody listens to: the whole-call deadline is what bounds a call.
 */
const IDLE_SOCKET_TIMEOUT_MS = 30_000;

/**
 * What http-proxy takes for an incoming request. Each attempt gets its own instead of the caller's
 * IncomingMessage, so that:
 * - the headers are an allow-list by construction (http-proxy copies `headers` as they are);
 * - nothing the caller does (leaving, its socket erroring) aborts a create half way;
 * - every event http-proxy raises names exactly one attempt, so a late error of an earlier
 *   attempt can never settle a retry.
 */
type Carrier = Readable & { method: string; url: string; headers: http.OutgoingHttpHeaders; httpVersion: string; socket: { destroyed: boolean } };

/**
 * Sends one attempt of a call to the Voice API through http-proxy-middleware and hands back the
 * whole answer (the gateway normalizes it before the caller sees it). Upstream gets only Host,
 * Accept, Authorization, User-Agent and, with a body, Content-Type and Content-Length, whatever
 * the caller sent. Keep-alive sockets, at most `maxSockets`.
 */
export class UpstreamForwarder {
  private readonly attempts = new WeakMap<Carrier, Attempt>();
  private readonly proxy: RequestHandler;
  readonly agent: http.Agent;

  constructor(private readonly options: UpstreamForwarderOptions) {
    const target = new URL(options.voiceUrl);
    const agentOptions = {
      keepAlive: true,
      maxSockets: options.maxSockets,
      maxFreeSockets: Math.min(options.maxSockets, 64),
      scheduling: 'lifo' as const,
      timeout: IDLE_SOCKET_TIMEOUT_MS,
    };
    this.agent = target.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.proxy = createProxyMiddleware({
      target: options.voiceUrl,
      changeOrigin: true,
      selfHandleResponse: true,
      followRedirects: false,
      xfwd: false,
      agent: this.agent,
      ejectPlugins: true,
      plugins: [
        (proxyServer) => {
          // Everything about a request that exists is handled on the ClientRequest itself (see
          // Attempt.bind); this only catches a failure before one was made.
          proxyServer.on('error', (err, req) => this.attempts.get(req as unknown as Carrier)?.failedBeforeRequest(err));
        },
      ],
    });
  }

  /** Sends one attempt. Never rejects: failures come back as an UpstreamFailure. */
  forward(request: UpstreamRequest): Promise<UpstreamResult> {
    return new Promise<UpstreamResult>((resolve) => {
      if (request.deadline?.passed) {
        resolve({ ok: false, kind: 'timeout', code: 'EDEADLINE' });
        return;
      }
      const body = request.formBody === undefined ? undefined : Buffer.from(request.formBody, 'utf8');
      const attempt = new Attempt(resolve, request.deadline, this.options.connectTimeoutMs, this.options.maxAnswerBytes ?? 8 * 1024 * 1024);
      const carrier = carrierOf(request, body, (clientRequest) => attempt.bind(clientRequest));
      this.attempts.set(carrier, attempt);
      void this.proxy(carrier as never, new http.ServerResponse(carrier as never) as never, (err?: unknown) => {
        attempt.failedBeforeRequest((err ?? {}) as NodeJS.ErrnoException);
      });
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function carrierOf(request: UpstreamRequest, body: Buffer | undefined, onClientRequest: (req: http.ClientRequest) => void): Carrier {
  const carrier = Object.assign(Readable.from(body === undefined ? [] : [body]), {
    method: request.method,
    url: request.pathAndQuery,
    headers: headersOf(request, body),
    httpVersion: '1.1',
    socket: { destroyed: false },
  });
  // http-proxy creates the ClientRequest and pipes the carrier into it in the same tick, before
  // any byte can leave: the earliest moment the attempt can hold its request.
  carrier.pipe = <T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T => {
    onClientRequest(destination as unknown as http.ClientRequest);
    return Readable.prototype.pipe.call(carrier, destination, options) as T;
  };
  return carrier;
}

function headersOf(request: UpstreamRequest, body: Buffer | undefined): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = {
    accept: 'application/json',
    authorization: `Zoho-oauthtoken ${request.token}`,
    'user-agent': USER_AGENT,
  };
  if (body !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded; charset=utf-8';
    headers['content-length'] = String(body.length);
  } else if (request.method !== 'GET') {
    headers['content-length'] = '0';
  }
  return headers;
}

/** One attempt: settles exactly once, whatever order the request's events come in. */
class Attempt {
  private settled = false;
  private connected = false;
  private request?: http.ClientRequest;
  private connectTimer?: NodeJS.Timeout;
  private readonly stopWatchingDeadline?: () => void;

  constructor(
    private readonly resolve: (result: UpstreamResult) => void,
    deadline: CallDeadline | undefined,
    private readonly connectTimeoutMs: number,
    private readonly maxAnswerBytes: number,
  ) {
    // Armed before anything else, so a deadline ends the attempt even if no request ever gets a socket.
    this.stopWatchingDeadline = deadline?.onPass(() => {
      this.settle({ ok: false, kind: 'timeout', code: 'EDEADLINE' });
      this.request?.destroy();
    });
  }

  bind(request: http.ClientRequest): void {
    this.request = request;
    if (this.settled) {
      // The deadline passed before the request existed: stop it before a byte leaves.
      request.on('error', () => undefined);
      request.destroy();
      return;
    }
    request.on('error', (err: NodeJS.ErrnoException) => this.failed(err));
    request.on('socket', (socket: Socket) => this.onSocket(socket));
    request.on('response', (answer: http.IncomingMessage) => this.read(answer));
  }

  /** http-proxy or the middleware failed before any ClientRequest existed: nothing was sent. */
  failedBeforeRequest(err: NodeJS.ErrnoException): void {
    if (this.request) return; // the request's own 'error' listener already saw it
    this.settle({ ok: false, kind: 'not_sent', code: err.code ?? 'EPROXY' });
  }

  private onSocket(socket: Socket): void {
    if (!socket.connecting) {
      this.connected = true; // a reused keep-alive socket
      return;
    }
    const ready = socket instanceof TLSSocket ? 'secureConnect' : 'connect';
    this.connectTimer = setTimeout(() => {
      this.request?.destroy(Object.assign(new Error('connect timeout'), { code: 'ECONNECT_TIMEOUT' }));
    }, this.connectTimeoutMs);
    socket.once(ready, () => {
      this.connected = true;
      clearTimeout(this.connectTimer);
    });
  }

  private failed(err: NodeJS.ErrnoException): void {
    const code = err.code ?? 'EUPSTREAM';
    // Until the socket connected (TLS included) no byte of the request can have left.
    const kind = NOT_SENT_CODES.has(code) || !this.connected ? 'not_sent' : 'sent';
    this.settle({ ok: false, kind, code });
  }

  private read(answer: http.IncomingMessage): void {
    const chunks: Buffer[] = [];
    let size = 0;
    answer.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > this.maxAnswerBytes) {
        this.settle({ ok: false, kind: 'sent', code: ANSWER_TOO_LARGE });
        this.request?.destroy();
        return;
      }
      chunks.push(chunk);
    });
    answer.on('end', () => {
      const retryAfter = answer.headers['retry-after'];
      this.settle({
        ok: true,
        status: answer.statusCode ?? 502,
        contentType: answer.headers['content-type'] ?? '',
        retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined,
        body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size),
      });
    });
    answer.on('error', (err: NodeJS.ErrnoException) => this.settle({ ok: false, kind: 'sent', code: err.code ?? 'ERESPONSE' }));
    answer.on('close', () => {
      if (!answer.complete) this.settle({ ok: false, kind: 'sent', code: 'ECONNRESET' });
    });
  }

  private settle(result: UpstreamResult): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.connectTimer);
    this.stopWatchingDeadline?.();
    this.resolve(result);
  }
}
