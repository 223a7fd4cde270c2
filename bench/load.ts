/**
 * The load generator, in its own process so it does not share an event loop with anything it
 * measures: autocannon against one URL, a warm-up whose figures are dropped, then the measured
 * run. Latency percentiles are computed from every response's own time (autocannon's histogram
 * rounds to whole milliseconds, too coarse for a sub-millisecond hop).
 *
 *   BENCH_LOAD='{"url":...,"method":"GET","connections":16,"warmupSec":1,"durationSec":5}' node dist/bench/load.js
 * prints one JSON line: LoadResult.
 */
import autocannon from 'autocannon';

export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  warmupSec: number;
  durationSec: number;
}

export interface LoadResult {
  /** Requests of the measured run; the warm-up's are counted apart. */
  requests: number;
  warmupRequests: number;
  seconds: number;
  rps: number;
  /** Milliseconds, from every 2xx response of the measured run. */
  p50: number;
  p99: number;
  mean: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

function run(spec: LoadSpec, durationSec: number, onResponse?: (status: number, ms: number) => void): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        method: spec.method,
        headers: spec.headers,
        body: spec.body,
        connections: spec.connections,
        duration: durationSec,
        timeout: 10,
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
    if (onResponse) instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => onResponse(status, ms));
  });
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

export async function measure(spec: LoadSpec): Promise<LoadResult> {
  const warmup = spec.warmupSec > 0 ? await run(spec, spec.warmupSec) : undefined;
  let times = new Float64Array(1 << 16);
  let count = 0;
  let sum = 0;
  const started = process.hrtime.bigint();
  const result = await run(spec, spec.durationSec, (status, ms) => {
    if (status < 200 || status >= 300) return;
    if (count === times.length) {
      const bigger = new Float64Array(times.length * 2);
      bigger.set(times);
      times = bigger;
    }
    times[count++] = ms;
    sum += ms;
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const sorted = times.subarray(0, count).sort();
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  return {
    requests: result.requests.total,
    warmupRequests: warmup?.requests.total ?? 0,
    seconds: Math.round(seconds * 100) / 100,
    rps: Math.round(result.requests.total / spec.durationSec),
    p50: round(percentile(sorted, 50)),
    p99: round(percentile(sorted, 99)),
    mean: round(count === 0 ? NaN : sum / count),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

if (require.main === module) {
  const spec = JSON.parse(process.env.BENCH_LOAD ?? '') as LoadSpec;
  measure(spec).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (err: unknown) => {
      process.stderr.write(`load failed: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
