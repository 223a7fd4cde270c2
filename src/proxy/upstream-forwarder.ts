import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
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
 * Sends one attempt of a call to the Voice API and hands back the whole answer (the gateway
 * normalizes it before the caller sees it). Upstream gets only Host, Accept, Authorization,
 * User-Agent and, with a body, Content-Type and Content-Length, whatever the caller sent: the
 * headers are built here from an allow-list, and nothing of the caller's request (its headers,
 * its socket, its leaving) reaches the attempt, so a create is never aborted half way by it.
 * Keep-alive sockets, at most `maxSockets`.
 *
 * One plain node:http(s) request per attempt: the answer is read whole and the request is built
 * from validated parts, so a proxy library's per-request machinery (a stand-in incoming request
 * and response, header copying, URL joining) would only add cost on every call.
 */
export class UpstreamForwarder {
  readonly agent: http.Agent;
  private readonly send: typeof http.request;
  private readonly host: string;
  private readonly port: string;
  /** The path of ZOHO_VOICE_URL, if any, before every call's path. */
  private readonly basePath: string;

  constructor(private readonly options: UpstreamForwarderOptions) {
    const target = new URL(options.voiceUrl);
    const agentOptions = {
      keepAlive: true,
      maxSockets: options.maxSockets,
      maxFreeSockets: Math.min(options.maxSockets, 64),
      scheduling: 'lifo' as const,
      timeout: IDLE_SOCKET_TIMEOUT_MS,
    };
    const secure = target.protocol === 'https:';
    this.agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.send = secure ? https.request : http.request;
    // URL keeps an IPv6 literal's brackets; the socket wants the bare address.
    this.host = target.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = target.port;
    this.basePath = target.pathname === '/' ? '' : target.pathname.replace(/\/+$/, '');
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
      let clientRequest: http.ClientRequest;
      try {
        clientRequest = this.send({
          host: this.host,
          port: this.port,
          method: request.method,
          path: this.basePath + request.pathAndQuery,
          headers: headersOf(request, body),
          agent: this.agent,
        });
      } catch (err) {
        // A header node:http refuses (say, a token with a bad character): nothing left.
        attempt.failedBeforeRequest(err as NodeJS.ErrnoException);
        return;
      }
      attempt.bind(clientRequest);
      // Headers and body in one write.
      clientRequest.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
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

  /** The request could not even be made (node:http refused it): nothing was sent. */
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
