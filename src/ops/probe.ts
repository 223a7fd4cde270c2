/**
 * CLI: node dist/src/ops/probe.js <url> [timeoutMs]
 *
 * Exits 0 when <url> answers 2xx within the timeout (default 2000 ms), 1 otherwise. For the
 * Dockerfile's HEALTHCHECK and Kubernetes exec probes: the image has no curl, and a gateway bound
 * to loopback is reachable only from inside its own network namespace.
 */
import http from 'node:http';

/** Does `url` answer 2xx within `timeoutMs`? Never throws. */
export function probe(url: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    let request: http.ClientRequest;
    try {
      request = http.get(url, { timeout: timeoutMs, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300);
      });
    } catch {
      resolve(false);
      return;
    }
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', () => resolve(false));
  });
}

if (require.main === module) {
  const [url, timeout] = process.argv.slice(2);
  if (!url) {
    process.stderr.write('usage: node dist/src/ops/probe.js <url> [timeoutMs]\n');
    process.exit(2);
  }
  void probe(url, timeout ? Number(timeout) : undefined).then((ok) => process.exit(ok ? 0 : 1));
}
