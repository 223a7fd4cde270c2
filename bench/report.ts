/** The bench's figures: their shape in the JSON file, medians over runs, and the printed table. */

export interface TargetInfo {
  name: string;
  kind: 'direct' | 'passthrough' | 'nginx' | 'gateway';
  description: string;
  /** Why this gateway may use Redis on the warm path (the rate limiter's leases); unset: it must not. */
  redisUse?: string;
}

export interface Figures {
  /** At BENCH_CONNECTIONS connections. Latencies in ms. */
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
  /** At one connection: the hop's own latency, with no queueing. */
  latency1?: { p50: number; p99: number; rps: number };
  /** CPU time (user + system) of the target's processes per request, warm-up included. */
  cpuUsPerRequest?: number;
  /** Gateways with Redis: commands Redis ran per 10,000 requests (INFO commandstats delta). */
  redisCommandsPer10k?: number;
  /** Gateways: calls to the token endpoint per 10,000 requests (simulator's count). */
  tokenCallsPer10k?: number;
}

export interface CallFigures {
  label: string;
  method: string;
  path: string;
  /** Median over the runs, per target. */
  targets: Record<string, Figures>;
  perRun: Array<Record<string, Figures>>;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  machine: { cpus: number; cpuModel: string; memoryMb: number; node: string; platform: string; nginx?: string };
  /** 1/5/15-minute load averages: other work on the machine skews absolute figures. */
  load: { before: number[]; after: number[] };
  options: Record<string, unknown>;
  notes: string[];
  targets: TargetInfo[];
  calls: Record<string, CallFigures>;
  /** Per call, per gateway target: its throughput over the floors' and its added latency. */
  ratios: Record<string, Record<string, Ratios>>;
  /** Gateways: peak resident memory (VmHWM) over the whole run, all its processes summed. */
  rss: Record<string, { peakMb: number; perProcessMb: number[] }>;
}

/** The issue's targets for the single-process gateway. */
export const TARGETS = {
  throughputVsPassthrough: { get: 0.85, list: 0.8 } as Record<string, number>,
  addedLatencyP50Ms: 0.3,
  peakRssMb: 150,
};

function middle(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Every figure the median of the runs' (one run: that run's). */
export function median(runs: Figures[]): Figures {
  const pick = (f: (x: Figures) => number | undefined): number | undefined => {
    const values = runs.map(f).filter((v): v is number => v !== undefined);
    return values.length === 0 ? undefined : middle(values);
  };
  const out: Figures = {
    rps: pick((r) => r.rps)!,
    p50: pick((r) => r.p50)!,
    p99: pick((r) => r.p99)!,
    requests: pick((r) => r.requests)!,
    non2xx: Math.max(...runs.map((r) => r.non2xx)),
    errors: Math.max(...runs.map((r) => r.errors)),
    cpuUsPerRequest: pick((r) => r.cpuUsPerRequest),
    redisCommandsPer10k: pick((r) => r.redisCommandsPer10k),
    tokenCallsPer10k: pick((r) => r.tokenCallsPer10k),
  };
  if (runs.every((r) => r.latency1)) {
    out.latency1 = { p50: pick((r) => r.latency1!.p50)!, p99: pick((r) => r.latency1!.p99)!, rps: pick((r) => r.latency1!.rps)! };
  }
  return out;
}

export interface Ratios {
  gatewayOverPassthrough?: number;
  gatewayOverNginx?: number;
  addedLatencyP50Ms?: number;
}

/** Ratios of one gateway target to the floors, each the median of the per-run ratios. */
export function ratios(call: CallFigures, gateway: string): Ratios {
  const per = (f: (run: Record<string, Figures>) => number | undefined): number | undefined => {
    const values = call.perRun.map(f).filter((v): v is number => v !== undefined && Number.isFinite(v));
    return values.length === 0 ? undefined : middle(values);
  };
  return {
    gatewayOverPassthrough: round(per((r) => (r.passthrough && r[gateway] ? r[gateway]!.rps / r.passthrough.rps : undefined)), 3),
    gatewayOverNginx: round(per((r) => (r.nginx && r[gateway] ? r[gateway]!.rps / r.nginx.rps : undefined)), 3),
    addedLatencyP50Ms: round(per((r) => (r.passthrough?.latency1 && r[gateway]?.latency1 ? r[gateway]!.latency1!.p50 - r.passthrough.latency1.p50 : undefined)), 3),
  };
}

function round(n: number | undefined, digits: number): number | undefined {
  if (n === undefined) return undefined;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

const dash = '–';
const fmt = (n: number | undefined, digits = 0) => (n === undefined || !Number.isFinite(n) ? dash : n.toFixed(digits));
const mark = (ok: boolean) => (ok ? 'ok' : 'MISSED');

export function formatReport(report: BenchReport): string {
  const o = report.options as { connections: number; durationSec: number; warmupSec: number; latencySec: number; runs: number };
  const m = report.machine;
  const lines: string[] = [];
  lines.push(`zoho-voice-gateway bench: ${m.cpus} CPUs (${m.cpuModel}), Node ${m.node}${m.nginx ? `, ${m.nginx}` : ''}`);
  lines.push(`load average before ${report.load.before.join(' / ')}, after ${report.load.after.join(' / ')}`);
  lines.push(`${o.connections} connections, ${o.durationSec} s per target after ${o.warmupSec} s warm-up; 1-connection latency over ${o.latencySec} s; ${o.runs > 1 ? `median of ${o.runs} runs` : 'one run'}`);
  for (const note of report.notes) lines.push(`note: ${note}`);

  const gateways = report.targets.filter((t) => t.kind === 'gateway').map((t) => t.name);
  for (const [name, call] of Object.entries(report.calls)) {
    lines.push('');
    lines.push(`${call.label}: ${call.method} ${call.path}`);
    lines.push(
      `${'target'.padEnd(22)}${'req/s'.padStart(8)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}  ${'1-conn p50'.padStart(10)}${'p99'.padStart(8)}  ${'CPU µs/req'.padStart(10)}  ${'Redis/10k'.padStart(9)}  ${'tokens/10k'.padStart(10)}`,
    );
    for (const target of report.targets) {
      const f = call.targets[target.name];
      if (!f) continue;
      const bad = f.non2xx + f.errors > 0 ? `  (${f.non2xx} non-2xx, ${f.errors} errors)` : '';
      lines.push(
        `${target.name.padEnd(22)}${fmt(f.rps).padStart(8)}${fmt(f.p50, 2).padStart(9)}${fmt(f.p99, 2).padStart(9)}  ${fmt(f.latency1?.p50, 3).padStart(10)}${fmt(f.latency1?.p99, 3).padStart(8)}  ${fmt(f.cpuUsPerRequest).padStart(10)}  ${fmt(f.redisCommandsPer10k, 1).padStart(9)}  ${fmt(f.tokenCallsPer10k, 1).padStart(10)}${bad}`,
      );
    }
    for (const gateway of gateways) {
      const r = ratios(call, gateway);
      const floor = TARGETS.throughputVsPassthrough[name];
      const vsPass = r.gatewayOverPassthrough === undefined ? dash : `${fmt(r.gatewayOverPassthrough, 2)}${floor !== undefined && gateway === 'gateway' ? ` (target >= ${floor}: ${mark(r.gatewayOverPassthrough >= floor)})` : ''}`;
      const added = r.addedLatencyP50Ms === undefined ? dash : `${r.addedLatencyP50Ms >= 0 ? '+' : ''}${fmt(r.addedLatencyP50Ms, 3)} ms${gateway === 'gateway' ? ` (target <= ${TARGETS.addedLatencyP50Ms}: ${mark(r.addedLatencyP50Ms <= TARGETS.addedLatencyP50Ms)})` : ''}`;
      lines.push(`  ${gateway}: /passthrough ${vsPass}; /nginx ${fmt(r.gatewayOverNginx, 2)}; added p50 at 1 connection ${added}`);
    }
  }

  lines.push('');
  for (const [name, rss] of Object.entries(report.rss)) {
    const processes = rss.perProcessMb.length > 1 ? ` (${rss.perProcessMb.length} processes: ${rss.perProcessMb.join(' + ')})` : '';
    const check = rss.perProcessMb.length === 1 ? ` (target <= ${TARGETS.peakRssMb}: ${mark(rss.peakMb <= TARGETS.peakRssMb)})` : '';
    lines.push(`peak RSS ${name}: ${fmt(rss.peakMb, 1)} MB${processes}${check}`);
  }
  for (const target of report.targets.filter((t) => t.kind === 'gateway')) {
    const gateway = target.name;
    const all = Object.values(report.calls).map((c) => c.targets[gateway]).filter((f): f is Figures => f !== undefined);
    const redis = all.map((f) => f.redisCommandsPer10k).filter((v): v is number => v !== undefined);
    const tokens = all.map((f) => f.tokenCallsPer10k).filter((v): v is number => v !== undefined);
    const parts: string[] = [];
    if (redis.length > 0) parts.push(`Redis commands per 10,000 requests at most ${Math.max(...redis)} (${target.redisUse ?? mark(Math.max(...redis) === 0)})`);
    if (tokens.length > 0) parts.push(`token calls per 10,000 requests at most ${Math.max(...tokens)} (${mark(Math.max(...tokens) === 0)})`);
    if (parts.length > 0) lines.push(`${gateway}: ${parts.join('; ')}`);
  }
  return lines.join('\n');
}
