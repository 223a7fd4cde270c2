import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AuditLog } from '../audit/audit-log';
import { auditRecordOf } from '../audit/audit-record';
import { ERROR_CATALOG, type ErrorCode } from '../errors/catalog';

/**
 * Requests Node's HTTP parser refuses before Express sees them: raw CR/LF or NUL in a header
 * (header injection), invalid header names, conflicting Content-Length / Transfer-Encoding
 * (request smuggling), oversized headers, garbage request lines. Node's default answer is a bare
 * status line; this one is the gateway's error envelope, and the attempt is audited like any
 * refused request.
 */
export function clientErrorHandler(audit: AuditLog): (err: NodeJS.ErrnoException, socket: Duplex) => void {
  return (err, socket) => {
    const code = codeFor(err.code);
    // Like Node's own handler: answer only when nothing was written on this connection yet
    // (otherwise an answer may be half-sent and a status line would corrupt it).
    const canAnswer = code !== null && socket.writable && ((socket as { bytesWritten?: number }).bytesWritten ?? 0) === 0;
    if (!canAnswer) {
      socket.destroy();
      return;
    }
    refuseOnSocket(socket, code, audit, undefined);
  };
}

/**
 * CONNECT asks the gateway to be a tunnel to any host. Node hands it to a 'connect' listener or
 * drops the connection without a word; this answers 405 in the envelope, audited.
 */
export function connectHandler(audit: AuditLog): (req: IncomingMessage, socket: Duplex) => void {
  return (req, socket) => refuseOnSocket(socket, 'METHOD_NOT_ALLOWED', audit, req.method, { Allow: 'GET, POST, PUT, DELETE' });
}

/** Writes the envelope straight on the socket, closes it, and audits the refusal. */
function refuseOnSocket(socket: Duplex, code: ErrorCode, audit: AuditLog, method: string | undefined, headers: Record<string, string> = {}): void {
  const requestId = randomUUID();
  const { status, message } = ERROR_CATALOG[code];
  const body = JSON.stringify({ status: 'ERROR', code, message, request_id: requestId });
  const extra = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Request-Id: ${requestId}\r\n` +
      extra +
      'Connection: close\r\n\r\n' +
      body,
  );
  const remote = (socket as { remoteAddress?: string }).remoteAddress;
  audit.record(
    auditRecordOf(
      { requestId, startedAt: process.hrtime.bigint(), denied: code, tokenRefreshed: false, attempts: 0 },
      { arrivedAt: Date.now(), remoteAddr: remote, method },
      status,
    ),
  );
}

/** Node's parser error → the gateway's code; null when there is nobody left to answer. */
function codeFor(nodeCode: string | undefined): ErrorCode | null {
  switch (nodeCode) {
    case 'ECONNRESET':
    case 'EPIPE':
      return null;
    case 'HPE_HEADER_OVERFLOW':
      return 'HEADERS_TOO_LARGE';
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'HPE_HEADERS_TIMEOUT':
      return 'REQUEST_TIMEOUT';
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_LF_EXPECTED':
    case 'HPE_CR_EXPECTED':
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return 'INVALID_HEADER';
    default:
      return 'MALFORMED_REQUEST';
  }
}
