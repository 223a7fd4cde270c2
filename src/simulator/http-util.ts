/** Small HTTP helpers shared by the simulator's modules (node builtins only). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { jsonObj, jsonStr } from './json-text';

/** An answer computed before it is sent, so a fault can decide to drop it instead. */
export interface SimResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

// Zoho's servers label JSON this way.
export const JSON_TYPE = 'application/json;charset=UTF-8';
export const HTML_TYPE = 'text/html;charset=UTF-8';

export function jsonResponse(status: number, text: string, extraHeaders: Record<string, string> = {}): SimResponse {
  return { status, headers: { 'content-type': JSON_TYPE, ...extraHeaders }, body: text };
}

/** The seed's failure shape: {"code":"<app code>","message":"...","status":"ERROR"}. */
export function zohoError(status: number, code: string, message: string, extraHeaders: Record<string, string> = {}): SimResponse {
  return jsonResponse(status, jsonObj([['code', jsonStr(code)], ['message', jsonStr(message)], ['status', jsonStr('ERROR')]]), extraHeaders);
}

export function htmlResponse(status: number, html: string, extraHeaders: Record<string, string> = {}): SimResponse {
  return { status, headers: { 'content-type': HTML_TYPE, ...extraHeaders }, body: html };
}

export function send(res: ServerResponse, r: SimResponse): void {
  if (res.headersSent || res.destroyed) return;
  const body = Buffer.from(r.body, 'utf8');
  res.writeHead(r.status, { ...r.headers, 'content-length': String(body.length) });
  res.end(body);
}

export class BodyTooLargeError extends Error {}

/** Reads the whole request body as UTF-8; rejects if the client goes away or sends too much. */
export function readBody(req: IncomingMessage, limitBytes = 1024 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        reject(new BodyTooLargeError(`body over ${limitBytes} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
    req.on('aborted', () => reject(new Error('client aborted')));
  });
}

/** Query parameters as a plain record; repeated keys become arrays (so the log shows them all). */
export function queryRecord(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of params) {
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else out[k] = [prev, v];
  }
  return out;
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function mediaType(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return (value ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * Delays that can be cut short: when the client goes away (the response closes) or when the
 * simulator shuts down. Tracking them lets close() finish without waiting on a long stall.
 */
export class Delays {
  private readonly cancels = new Set<() => void>();

  /** Resolves true after `ms`, or false if `res` closed first or cancelAll() ran. */
  wait(ms: number, res?: ServerResponse): Promise<boolean> {
    return new Promise((resolve) => {
      const finish = (completed: boolean): void => {
        clearTimeout(timer);
        this.cancels.delete(cancel);
        res?.off('close', cancel);
        resolve(completed);
      };
      const cancel = (): void => finish(false);
      const timer = setTimeout(() => finish(true), Math.max(0, ms));
      this.cancels.add(cancel);
      res?.once('close', cancel);
    });
  }

  cancelAll(): void {
    for (const cancel of [...this.cancels]) cancel();
  }
}
