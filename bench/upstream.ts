/**
 * The bench's stand-in for the Voice API: node:http, keep-alive, every answer rendered once at
 * start (see ./answers), so it spends next to nothing per request and is never what limits a run.
 * It answers the six contact calls; the token call is the simulator's.
 *
 *   node dist/bench/upstream.js     (BENCH_UPSTREAM_PORT, default 0) prints {"url": "..."} when listening
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderBenchAnswers } from './answers';

const COLLECTION = '/rest/json/zv/contacts';
const STATUSES = '/rest/json/zv/contacts/contact_status';
const ITEM = /^\/rest\/json\/zv\/contacts\/(\d{1,19})$/;

interface Prepared {
  status: number;
  body: Buffer;
  headers: http.OutgoingHttpHeaders;
}

function prepared(status: number, text: string): Prepared {
  const body = Buffer.from(text, 'utf8');
  // Zoho's own content type; the length lets every answer ride a keep-alive connection.
  return { status, body, headers: { 'content-type': 'application/json;charset=UTF-8', 'content-length': body.length } };
}

/** Request handling that allocates nothing but the routing: every answer is a ready Buffer. */
export function createBenchUpstream(): http.Server {
  const answers = renderBenchAnswers();
  const list = prepared(200, answers.list);
  const statuses = prepared(200, answers.statuses);
  const created = prepared(200, answers.create);
  const singles = new Map([...answers.single].map(([id, text]) => [id, prepared(200, text)]));
  const deleted = new Map([...answers.single.keys()].map((id) => [id, prepared(200, answers.deleteOf(id))]));
  const notFound = prepared(404, '{"code":"NOT_FOUND","message":"Contact not found","status":"ERROR"}');
  const noRoute = prepared(404, '{"code":"INVALID_URL_PATTERN","message":"Invalid URL","status":"ERROR"}');

  function answerFor(method: string, url: string): Prepared {
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    if (path === COLLECTION) {
      if (method === 'GET') return list;
      if (method === 'POST') return created;
      return noRoute;
    }
    if (path === STATUSES) return method === 'GET' ? statuses : noRoute;
    const id = ITEM.exec(path)?.[1];
    if (id === undefined) return noRoute;
    if (method === 'GET' || method === 'PUT') return singles.get(id) ?? notFound;
    if (method === 'DELETE') return deleted.get(id) ?? notFound;
    return noRoute;
  }

  const server = http.createServer((req, res) => {
    const answer = answerFor(req.method ?? 'GET', req.url ?? '/');
    // Read (and drop) any body first, as a real server would before answering.
    req.on('end', () => {
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
    });
    req.resume();
  });
  server.keepAliveTimeout = 65_000;
  return server;
}

if (require.main === module) {
  const server = createBenchUpstream();
  server.listen(Number(process.env.BENCH_UPSTREAM_PORT ?? 0), '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
  });
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}
