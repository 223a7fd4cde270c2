import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { createProxyMiddleware, type RequestHandler } from 'http-proxy-middleware';

/** One request to the Voice API, entirely built by the gateway from validated input. */
export interface UpstreamRequest {
  method: string;
  /** Path and canonical query, e.g. /rest/json/zv/contacts?from=0&size=10 */
  pathAndQuery: string;
  token: string;
  /** application/x-www-form-urlencoded body, for create and update. */
  formBody?: string;
  /** Abort the attempt when this fires (whole-call deadline, client gone). */
  signal?: AbortSignal;
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
 * - `not_sent`: the connection failed before any byte of the request left (refused, connect
 *   timeout): any call may be sent again, creates included.
 * - `sent`: the connection broke after the request was (maybe) written: the outcome is unknown.
 * - `timeout`: the deadline passed while waiting.
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

/** State of one attempt, kept beside the request while http-proxy works on it. */
interface Attempt {
  request: UpstreamRequest;
  connected: boolean;
  settle(result: UpstreamResult): void;
}

const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNECT_TIMEOUT']);
const USER_AGENT = 'zoho-voice-gateway';

/**
 * Sends one attempt of a call to the Voice API through http-proxy-middleware and hands back the
 * whole answer (the gateway normalizes it before the caller sees it). Headers are allow-listed by
 * construction: whatever the caller sent, upstream gets only Host, Accept, Authorization,
 * User-Agent and, with a body, Content-Type and Content-Length.
 */
export class UpstreamForwarder {
  private readonly attempts = new WeakMap<http.IncomingMessage, Attempt>();
  private readonly proxy: RequestHandler;
  readonly agent: http.Agent;
  private readonly maxAnswerBytes: number;

  constructor(private readonly options: UpstreamForwarderOptions) {
    const target = new URL(options.voiceUrl);
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets, maxFreeSockets: Math.min(options.maxSockets, 64), scheduling: 'lifo' as const };
    this.agent = target.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.maxAnswerBytes = options.maxAnswerBytes ?? 8 * 1024 * 1024;
    this.proxy = createProxyMiddleware({
      target: options.voiceUrl,
      changeOrigin: true,
      selfHandleResponse: true,
      followRedirects: false,
      xfwd: false,
      agent: this.agent,
      ejectPlugins: true,
      // The upstream path comes from the route table, never from req.url.
      pathRewrite: (_path, req) => this.attempts.get(req)!.request.pathAndQuery,
      plugins: [
        (proxyServer) => {
          proxyServer.on('proxyReq', (proxyReq, req) => this.onProxyRequest(proxyReq, req));
          proxyServer.on('proxyRes', (proxyRes, req) => this.onProxyResponse(proxyRes, req));
          proxyServer.on('error', (err, req) => this.onError(err, req as http.IncomingMessage));
          proxyServer.on('econnreset', (err, req) => this.onError(err, req as http.IncomingMessage));
        },
      ],
    });
  }

  /** Sends one attempt. Never rejects: failures come back as an UpstreamFailure. */
  forward(req: http.IncomingMessage, res: http.ServerResponse, request: UpstreamRequest): Promise<UpstreamResult> {
    return new Promise<UpstreamResult>((resolve) => {
      let settled = false;
      const attempt: Attempt = {
        request,
        connected: false,
        settle: (result) => {
          if (settled) return;
          settled = true;
          this.attempts.delete(req);
          resolve(result);
        },
      };
      this.attempts.set(req, attempt);
      // http-proxy reads the method from the incoming request.
      req.method = request.method;
      void this.proxy(req as never, res as never, (err?: unknown) => {
        attempt.settle({ ok: false, kind: 'not_sent', code: (err as NodeJS.ErrnoException | undefined)?.code ?? 'EPROXY' });
      });
    });
  }

  close(): void {
    this.agent.destroy();
  }

  private onProxyRequest(proxyReq: http.ClientRequest, req: http.IncomingMessage): void {
    const attempt = this.attempts.get(req);
    if (!attempt) return;
    const { request } = attempt;
    for (const name of proxyReq.getHeaderNames()) if (name !== 'host') proxyReq.removeHeader(name);
    proxyReq.setHeader('Accept', 'application/json');
    proxyReq.setHeader('Authorization', `Zoho-oauthtoken ${request.token}`);
    proxyReq.setHeader('User-Agent', USER_AGENT);

    const socket = proxyReq.socket as Socket | null;
    if (socket && socket.connecting) this.armConnectTimeout(proxyReq, socket, attempt);
    else attempt.connected = true;

    if (request.signal) {
      const abort = () => proxyReq.destroy(Object.assign(new Error('deadline'), { code: 'EDEADLINE' }));
      if (request.signal.aborted) abort();
      else request.signal.addEventListener('abort', abort, { once: true });
      proxyReq.once('close', () => request.signal!.removeEventListener('abort', abort));
    }

    if (request.formBody !== undefined) {
      const body = Buffer.from(request.formBody, 'utf8');
      proxyReq.setHeader('Content-Type', 'application/x-www-form-urlencoded; charset=utf-8');
      proxyReq.setHeader('Content-Length', body.length);
      proxyReq.write(body);
    } else if (request.method !== 'GET') {
      proxyReq.setHeader('Content-Length', 0);
    }
  }

  private armConnectTimeout(proxyReq: http.ClientRequest, socket: Socket, attempt: Attempt): void {
    const timer = setTimeout(() => {
      proxyReq.destroy(Object.assign(new Error('connect timeout'), { code: 'ECONNECT_TIMEOUT' }));
    }, this.options.connectTimeoutMs);
    socket.once('connect', () => {
      attempt.connected = true;
      clearTimeout(timer);
    });
    socket.once('secureConnect', () => clearTimeout(timer));
    proxyReq.once('close', () => clearTimeout(timer));
  }

  private onProxyResponse(proxyRes: http.IncomingMessage, req: http.IncomingMessage): void {
    const attempt = this.attempts.get(req);
    if (!attempt) {
      proxyRes.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    proxyRes.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > this.maxAnswerBytes) {
        proxyRes.destroy();
        attempt.settle({ ok: false, kind: 'sent', code: 'EANSWER_TOO_LARGE' });
        return;
      }
      chunks.push(chunk);
    });
    proxyRes.on('end', () => {
      const retryAfter = proxyRes.headers['retry-after'];
      attempt.settle({
        ok: true,
        status: proxyRes.statusCode ?? 502,
        contentType: proxyRes.headers['content-type'] ?? '',
        retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined,
        body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size),
      });
    });
    proxyRes.on('error', (err: NodeJS.ErrnoException) => attempt.settle({ ok: false, kind: 'sent', code: err.code ?? 'ERESPONSE' }));
    proxyRes.on('aborted', () => attempt.settle({ ok: false, kind: 'sent', code: 'ECONNRESET' }));
  }

  private onError(err: NodeJS.ErrnoException, req: http.IncomingMessage): void {
    const attempt = this.attempts.get(req);
    if (!attempt) return;
    const code = err.code ?? 'EUPSTREAM';
    if (code === 'EDEADLINE') attempt.settle({ ok: false, kind: 'timeout', code });
    else if (NOT_SENT_CODES.has(code) || !attempt.connected) attempt.settle({ ok: false, kind: 'not_sent', code });
    else attempt.settle({ ok: false, kind: 'sent', code });
  }
}
