import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';
const REDIS_CLI = process.env.REDIS_CLI_BIN ?? 'redis-cli';

/**
 * Private redis-server processes on loopback for tests that must own their Redis: stop it mid-traffic,
 * count its commands undisturbed, or form a Cluster. Nothing is persisted except a Cluster node's
 * nodes.conf, so a restarted node rejoins its Cluster (with an empty data set, like a crash).
 */
export interface RedisNode {
  readonly port: number;
  readonly url: string;
  /** Stops the process (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and directory; resolves when it answers PING. */
  start(): Promise<void>;
}

/** One Redis (single node or a Cluster) as the code under test sees it. */
export interface RedisTopology {
  readonly name: 'single Redis' | 'Redis Cluster';
  readonly cluster: boolean;
  /** REDIS_URL to give the gateway (a seed node for a Cluster). */
  readonly url: string;
  readonly nodes: readonly RedisNode[];
  /** Stops every node (an outage), then `restart()` brings them back and waits until they serve. */
  stopAll(): Promise<void>;
  restart(): Promise<void>;
  /** Runs redis-cli on every primary node; returns each node's output. */
  eachNode(...args: string[]): Promise<string[]>;
  /** Kills every process and removes the directory. */
  close(): Promise<void>;
}

/** A port P with P and P + 10000 (the Cluster bus port) free on loopback. */
async function freePortPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20000 + Math.floor(Math.random() * 25000);
    if ((await isFree(port)) && (await isFree(port + 10000))) return port;
  }
  throw new Error('no free loopback port pair found');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run(REDIS_CLI, ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 });
  return stdout;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** PEM files of a certificate for 127.0.0.1 and the CA that signed it. */
export interface TlsFiles {
  cert: string;
  key: string;
  ca: string;
}

interface NodeOptions {
  /** cluster-enabled yes (a Cluster node, whether or not a Cluster was created). */
  cluster?: boolean;
  /** Serve TLS only (rediss://) with these files. */
  tls?: TlsFiles;
}

function startNode(port: number, dir: string, options: NodeOptions = {}): RedisNode {
  let child: ChildProcess | null = null;
  const args = [
    ...(options.tls
      ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', options.tls.cert, '--tls-key-file', options.tls.key, '--tls-ca-cert-file', options.tls.ca, '--tls-auth-clients', 'no']
      : ['--port', String(port)]),
    '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
    '--protected-mode', 'no', '--daemonize', 'no', '--loglevel', 'warning',
    ...(options.cluster ? ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000'] : []),
  ];
  const tlsCli = options.tls ? ['--tls', '--cacert', options.tls.ca] : [];
  const node: RedisNode = {
    port,
    url: `${options.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    start: async () => {
      child = spawn(REDIS_SERVER, args, { stdio: 'ignore' });
      await waitFor(`redis-server on ${port}`, async () => (await cli(port, ...tlsCli, 'PING')).trim() === 'PONG');
    },
    stop: async () => {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      c.kill('SIGTERM');
      const killer = setTimeout(() => c.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    },
  };
  return node;
}

/**
 * A single private redis-server on a free loopback port; `cluster: true` makes it a Cluster node
 * that belongs to no Cluster, `tls` makes it serve rediss:// only.
 */
export async function startRedisServer(options: NodeOptions = {}): Promise<RedisTopology> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'zvgw-redis-'));
  const node = startNode(await freePortPair(), dir, options);
  await node.start();
  return topology('single Redis', false, [node], dir);
}

/**
 * A Redis Cluster of `size` (>= 3) primaries on loopback, created with
 * `redis-cli --cluster create ... --cluster-yes`; resolves once every node reports cluster_state:ok.
 */
export async function startRedisCluster(size = 3): Promise<RedisTopology> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'zvgw-cluster-'));
  const nodes: RedisNode[] = [];
  for (let i = 0; i < size; i++) nodes.push(startNode(await freePortPair(), dir, { cluster: true }));
  const t = topology('Redis Cluster', true, nodes, dir);
  try {
    await Promise.all(nodes.map((n) => n.start()));
    await run(REDIS_CLI, ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'], { timeout: 20_000 });
    await waitClusterOk(nodes);
  } catch (err) {
    await t.close();
    throw err;
  }
  return t;
}

async function waitClusterOk(nodes: readonly RedisNode[]): Promise<void> {
  await waitFor('cluster_state:ok on every node', async () => {
    const infos = await Promise.all(nodes.map((n) => cli(n.port, 'CLUSTER', 'INFO')));
    return infos.every((info) => info.includes('cluster_state:ok'));
  });
}

function topology(name: RedisTopology['name'], cluster: boolean, nodes: RedisNode[], dir: string): RedisTopology {
  return {
    name,
    cluster,
    url: nodes[0]!.url,
    nodes,
    stopAll: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
    },
    restart: async () => {
      await Promise.all(nodes.map((n) => n.start()));
      if (cluster) await waitClusterOk(nodes);
    },
    eachNode: (...args) => Promise.all(nodes.map((n) => cli(n.port, ...args))),
    close: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A throw-away CA and a certificate for 127.0.0.1 signed by it, written to `dir` with openssl. */
export async function makeTlsFiles(dir: string): Promise<TlsFiles> {
  const f = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => run('openssl', args, { timeout: 20_000 });
  await openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=zvgw test CA', '-keyout', f('ca.key'), '-out', f('ca.pem'));
  await openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', f('server.key'), '-out', f('server.csr'));
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  await openssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', f('san.ext'), '-out', f('server.pem'));
  return { cert: f('server.pem'), key: f('server.key'), ca: f('ca.pem') };
}

/** Sum of `calls` over INFO commandstats of every node, by command (cmdstat_get -> get). */
export async function commandCounts(t: RedisTopology): Promise<Map<string, number>> {
  const totals = new Map<string, number>();
  for (const text of await t.eachNode('INFO', 'commandstats')) {
    for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      totals.set(match[1]!, (totals.get(match[1]!) ?? 0) + Number(match[2]));
    }
  }
  return totals;
}

/** Per-command increase between two commandCounts snapshots, zero entries left out. */
export function commandDelta(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [command, calls] of after) {
    const d = calls - (before.get(command) ?? 0);
    if (d !== 0) delta[command] = d;
  }
  return delta;
}
