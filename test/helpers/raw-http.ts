import net from 'node:net';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The whole answer as received. */
  raw: string;
}

/**
 * Sends bytes exactly as given over a new TCP connection and reads the answer until the server
 * closes (or `timeoutMs`). For what HTTP clients refuse to send: raw CR/LF in headers, bad
 * request lines, unencoded unicode, lying Content-Length.
 */
export function rawRequest(url: string, bytes: string | Buffer, options: { timeoutMs?: number; endAfterWrite?: boolean } = {}): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname.replace(/^\[|\]$/g, ''));
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), options.timeoutMs ?? 5000);
    socket.on('connect', () => {
      socket.write(bytes);
      if (options.endAfterWrite) socket.end();
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      // Interim answers (100 Continue) come first; the final one is what counts.
      const raw = Buffer.concat(chunks).toString('latin1').replace(/^(HTTP\/1\.[01] 1(?!01)\d\d[^\r]*\r\n(?:[^\r]+\r\n)*\r\n)+/, '');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
      if (!match) return reject(new Error(`no HTTP answer: ${JSON.stringify(raw.slice(0, 200))}`));
      const split = raw.indexOf('\r\n\r\n');
      const headers: Record<string, string> = {};
      for (const line of raw.slice(0, split).split('\r\n').slice(1)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(match[1]), headers, body: Buffer.from(raw.slice(split + 4), 'latin1').toString('utf8'), raw });
    });
  });
}

/** A request with `Connection: close`, so the server closes after answering. */
export function rawHttp(method: string, target: string, headers: Record<string, string> | string[], body = ''): string {
  const lines = Array.isArray(headers) ? headers : Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  const hasLength = lines.some((l) => /^content-length:/i.test(l) || /^transfer-encoding:/i.test(l));
  const all = ['Host: gateway.test', 'Connection: close', ...lines];
  if (body !== '' && !hasLength) all.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${method} ${target} HTTP/1.1\r\n${all.join('\r\n')}\r\n\r\n${body}`;
}
