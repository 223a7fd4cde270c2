import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closeRedisClient, createRedisClient, RedisStartupError } from '../../src/redis/connection';
import { startZohoSimulator } from '../../src/simulator/zoho-simulator';
import { spawnGateway } from '../helpers/gateway-process';
import { simulatorEnv } from '../helpers/harness';
import { capturedLogger } from '../helpers/log-capture';
import { makeTlsFiles, startRedisServer, type RedisTopology } from '../helpers/redis-cluster';

/** createRedisClient against real redis-server processes: what works, and what each mistake says. */
const { log, lines } = capturedLogger();
const connect = (url: string, cluster = false, extra: { connectTimeoutMs?: number } = {}) =>
  createRedisClient({ url, cluster, keyPrefix: `test:${randomUUID().slice(0, 8)}:`, ...extra }, log);

describe('createRedisClient', () => {
  it('when Redis answers, then the client is ready and the start-up probe left no key behind', async () => {
    const prefix = `test:${randomUUID().slice(0, 8)}:`;
    const client = await createRedisClient({ url: 'redis://127.0.0.1:6379', cluster: false, keyPrefix: prefix }, log);
    try {
      expect(await client.ping()).toBe('PONG');
      expect(await client.keys(`${prefix}*`)).toEqual([]);
    } finally {
      await closeRedisClient(client);
    }
  });

  it.each([
    ['nothing listens on the port', 'redis://127.0.0.1:1', false, /^Redis at redis:\/\/127\.0\.0\.1:1: connection refused/],
    ['the password is wrong', 'redis://gateway:s3cret-pass@127.0.0.1:6379', false, /authentication failed: check the user and password in REDIS_URL/],
    ['REDIS_CLUSTER=true points at a plain Redis', 'redis://127.0.0.1:6379', true, /REDIS_CLUSTER=true but this server is not a Cluster node/],
    ['the URL names a database that is not a number', 'redis://127.0.0.1:6379/zero', false, /the path must be a database number/],
  ])('when %s, then start-up fails with a message saying so (and never the password)', async (_what, url, cluster, message) => {
    const error = await connect(url, cluster).then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(RedisStartupError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('s3cret-pass');
    expect(lines.join('\n')).not.toContain('s3cret-pass');
  });

  describe('against a Cluster node while REDIS_CLUSTER is off', () => {
    let node: RedisTopology;
    beforeAll(async () => {
      node = await startRedisServer({ cluster: true });
    });
    afterAll(async () => node.close());

    it('then start-up fails asking for REDIS_CLUSTER=true', async () => {
      await expect(connect(node.url)).rejects.toThrow(/is a Redis Cluster node: set REDIS_CLUSTER=true/);
    });
  });

  describe('with TLS (rediss://)', () => {
    let dir: string;
    let tlsRedis: RedisTopology;
    beforeAll(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'zvgw-tls-'));
      tlsRedis = await startRedisServer({ tls: await makeTlsFiles(dir) });
    }, 30_000);
    afterAll(async () => {
      await tlsRedis.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('when the server certificate is not trusted, then start-up fails naming TLS and NODE_EXTRA_CA_CERTS', async () => {
      await expect(connect(tlsRedis.url)).rejects.toThrow(/TLS failed \(\w+\).*NODE_EXTRA_CA_CERTS/);
    });

    it('when redis:// is used against the TLS-only server, then start-up fails instead of hanging', async () => {
      const plain = tlsRedis.url.replace('rediss://', 'redis://');
      await expect(connect(plain, false, { connectTimeoutMs: 1000 })).rejects.toThrow(RedisStartupError);
    });

    it('when the CA is trusted, then a gateway process caches its token through rediss://', async () => {
      const sim = await startZohoSimulator();
      const env = simulatorEnv(sim.url, {
        REDIS_URL: tlsRedis.url,
        REDIS_KEY_PREFIX: 'tls:',
        TOKEN_ENCRYPTION_KEY: 'cd'.repeat(32),
        NODE_EXTRA_CA_CERTS: path.join(dir, 'ca.pem'),
      });
      const gateway = await spawnGateway(env);
      try {
        const res = await fetch(`${gateway.url}/rest/json/zv/contacts/contact_status`);
        expect(res.status).toBe(200);
        expect(sim.tokenCalls()).toBe(1);
        expect(gateway.stdout()).toContain('"msg":"Redis connected"');
      } finally {
        await gateway.stop('SIGTERM');
        await sim.close();
      }
    }, 30_000);
  });
});
