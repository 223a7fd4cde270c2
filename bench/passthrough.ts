/**
 * The platform floor: a bare node:http reverse proxy with keep-alive to the upstream and no
 * features at all (no validation, no token, no normalization, no logging). Whatever the gateway
 * costs above this is the price of what it does.
 *
 *   BENCH_UPSTREAM_URL=http://127.0.0.1:N node dist/bench/passthrough.js    prints {"url": "..."}
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export function createPassthrough(upstreamUrl: string): http.Server {
  const upstream = new URL(upstreamUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 128, scheduling: 'lifo' });
  const server = http.createServer((req, res) => {
    const headers = { ...req.headers, host: upstream.host };
    delete headers.connection;
    const outgoing = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    outgoing.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(outgoing);
  });
  server.keepAliveTimeout = 65_000;
  return server;
}

if (require.main === module) {
  const upstreamUrl = process.env.BENCH_UPSTREAM_URL;
  if (!upstreamUrl) throw new Error('BENCH_UPSTREAM_URL is required');
  const server = createPassthrough(upstreamUrl);
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
  });
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}
