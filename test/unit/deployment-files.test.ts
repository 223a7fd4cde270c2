/**
 * The deployment files, read as a person would check them (no Docker engine or cluster here):
 * the YAML parses, and the images, ports, probes, secret mounts and environment agree with the
 * gateway's own configuration schema and with each other.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { isLoopbackHost, loadConfig } from '../../src/config/config';
import { allVariableNames } from '../../src/config/schema';
import { callerKeySha256Hex } from '../../src/callers/caller-key';
import { parseCallersFile } from '../../src/callers/callers-file';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ROOT = path.resolve(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const VERSION = (JSON.parse(read('package.json')) as { version: string }).version;
const GATEWAY_IMAGE = `zoho-voice-gateway:${VERSION}`;
const KNOWN = new Set(allVariableNames());

/** The compiled file a `node dist/...js` command runs must come from a source file. */
function sourceOf(distPath: string): string {
  return distPath.replace(/^dist\//, '').replace(/\.js$/, '.ts');
}

/** Kubernetes reads YAML 1.1 (0440 is octal there); parse as it does. */
function k8sDocuments(file: string): Json[] {
  return parseAllDocuments(read(file), { version: '1.1' }).map((doc) => {
    expect(doc.errors).toEqual([]);
    return doc.toJS() as Json;
  }).filter((doc) => doc !== null);
}

function envOf(container: Json): Record<string, string> {
  return Object.fromEntries((container.env as Array<{ name: string; value: string }>).map((e) => [e.name, e.value]));
}

/** loadConfig with the files a pod would have mounted: every *_FILE path must be in a mount. */
function fileReaderFor(mountPaths: string[]): (file: string) => string {
  return (file) => {
    if (!mountPaths.some((m) => file.startsWith(`${m}/`))) throw Object.assign(new Error('not mounted'), { code: 'ENOENT' });
    return file.endsWith('token-encryption-key') ? `${'ab'.repeat(32)}\n` : 'value-from-a-mounted-secret\n';
  };
}

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const stages = dockerfile.split(/^FROM /m).slice(1).map((s) => `FROM ${s}`);
  const runtime = stages[stages.length - 1]!;

  test('multi-stage on a Node 22 or 24 slim image: build, production deps only, runtime', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:(22|24)-[a-z]+-slim$/m);
    expect(stages.map((s) => /^FROM (\S+)(?: AS (\S+))?/.exec(s)!.slice(1))).toEqual([
      ['${NODE_IMAGE}', 'build'],
      ['${NODE_IMAGE}', 'deps'],
      ['${NODE_IMAGE}', 'runtime'],
    ]);
    expect(stages[0]).toContain('npm ci');
    expect(stages[0]).toContain('npx tsc -p tsconfig.build.json');
    expect(stages[1]).toMatch(/npm ci --omit=dev/);
    expect(runtime).toContain('COPY --from=deps');
    expect(runtime).toContain('COPY --from=build');
    expect(runtime).not.toMatch(/npm (ci|install)/);
  });

  test('the runtime runs as a non-root user, with a HEALTHCHECK on /healthz through the probe CLI', () => {
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime.indexOf('USER node')).toBeLessThan(runtime.indexOf('CMD'));
    const healthcheck = /^HEALTHCHECK .*\\\n\s+CMD (.*)$/m.exec(runtime);
    expect(healthcheck?.[1]).toBe('node dist/src/ops/probe.js "http://127.0.0.1:${PORT:-8080}/healthz" 2000');
    expect(existsSync(path.join(ROOT, sourceOf('dist/src/ops/probe.js')))).toBe(true);
    expect(runtime).toMatch(/^CMD \["node", "dist\/src\/main.js"\]$/m);
    expect(existsSync(path.join(ROOT, sourceOf('dist/src/main.js')))).toBe(true);
    expect(runtime).toMatch(/^EXPOSE 8080$/m);
  });

  test('.dockerignore keeps node_modules, dist and tests out of the build context', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const entry of ['node_modules', 'dist', 'test', '.git']) expect(ignored).toContain(entry);
    for (const needed of ['src', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) expect(ignored).not.toContain(needed);
  });
});

describe('docker-compose.yml', () => {
  const compose = parseYaml(read('docker-compose.yml')) as Json;
  const { gateway, redis, simulator } = compose.services as Record<string, Json>;

  test('three services: the gateway and the simulator from this image, Redis from redis', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['gateway', 'redis', 'simulator']);
    expect(gateway!.image).toBe(GATEWAY_IMAGE);
    expect(gateway!.build).toBe('.');
    expect(simulator!.image).toBe(GATEWAY_IMAGE);
    expect(simulator!.command).toEqual(['node', 'dist/src/simulator/main.js']);
    expect(existsSync(path.join(ROOT, sourceOf(simulator!.command[1])))).toBe(true);
    expect(redis!.image).toMatch(/^redis:7(\.\d+)?-alpine$/);
  });

  test('every service has a healthcheck, and the gateway starts after Redis and the simulator are healthy', () => {
    expect(redis!.healthcheck.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(simulator!.healthcheck.test).toEqual(['CMD', 'node', 'dist/src/ops/probe.js', `http://127.0.0.1:${simulator!.environment.SIM_PORT}/__sim/stats`]);
    expect(gateway!.healthcheck.test).toEqual(['CMD', 'node', 'dist/src/ops/probe.js', `http://127.0.0.1:${gateway!.environment.PORT}/readyz`]);
    expect(gateway!.depends_on).toEqual({ simulator: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
  });

  test('the gateway\'s environment points at the simulator and Redis, and passes the config schema', () => {
    const env = gateway!.environment as Record<string, string>;
    for (const name of Object.keys(env)) expect(KNOWN).toContain(name);
    expect(env.ZOHO_ACCOUNTS_URL).toBe(`http://simulator:${simulator!.environment.SIM_PORT}`);
    expect(env.ZOHO_VOICE_URL).toBe(env.ZOHO_ACCOUNTS_URL);
    expect(simulator!.environment.SIM_HOST).toBe('0.0.0.0');
    expect(env.REDIS_URL).toBe('redis://redis:6379');
    expect(env.TOKEN_ENCRYPTION_KEY).toMatch(/^[0-9a-f]{64}$/);
    expect(read('docker-compose.yml')).toMatch(/DEMO ONLY[^\n]*\n[^\n]*\n\s+TOKEN_ENCRYPTION_KEY:/);

    const config = loadConfig(env);
    expect(config.zoho.voiceUrl).toBe('http://simulator:8090');
    expect(config.redis?.url).toBe('redis://redis:6379');
    expect(config.port).toBe(8080);
    expect(gateway!.ports).toEqual([`127.0.0.1:${config.port}:${config.port}`]);
  });

  test('the demo callers file is mounted where GATEWAY_CALLERS_FILE says, parses, and matches the documented demo key', () => {
    const [source, target, mode] = (gateway!.volumes[0] as string).split(':');
    expect(target).toBe(gateway!.environment.GATEWAY_CALLERS_FILE);
    expect(mode).toBe('ro');
    const callers = parseCallersFile(read(source!), source!);
    const demoKey = /Bearer (zvgw_[A-Za-z0-9-]+)/.exec(read('docker-compose.yml'))![1]!;
    expect(callers.map((c) => c.keyDigest.toString('hex'))).toEqual([callerKeySha256Hex(demoKey)]);
    expect(read('config/demo/README.md')).toContain(demoKey);
  });
});

describe('config/k8s/sidecar.yaml', () => {
  const docs = k8sDocuments('config/k8s/sidecar.yaml');
  const deployment = docs.find((d) => d.kind === 'Deployment')!;
  const pod = deployment.spec.template.spec as Json;
  const gateway = (pod.containers as Json[]).find((c) => c.image === GATEWAY_IMAGE)!;
  const env = envOf(gateway);

  test('the gateway runs beside an app container in the same pod, bound to loopback', () => {
    expect(pod.containers).toHaveLength(2);
    const app = (pod.containers as Json[]).find((c) => c !== gateway)!;
    expect(app.image).not.toContain('zoho-voice-gateway');
    expect(isLoopbackHost(env.HOST!)).toBe(true);
    expect(envOf(app).ZOHO_VOICE_BASE_URL).toBe(`http://127.0.0.1:${env.PORT}`);
    // The API port is not exposed; only the ops listener is.
    expect(gateway.ports).toEqual([{ name: 'ops', containerPort: Number(env.OPS_PORT) }]);
  });

  test('Zoho\'s credentials come as files from a mounted Secret that has every key they name', () => {
    const secret = docs.find((d) => d.kind === 'Secret')!;
    const volume = (pod.volumes as Json[]).find((v) => v.secret?.secretName === secret.metadata.name)!;
    const mount = (gateway.volumeMounts as Json[]).find((m) => m.name === volume.name)!;
    expect(mount.readOnly).toBe(true);
    expect(volume.secret.defaultMode).toBe(0o440);
    for (const name of ['ZOHO_CLIENT_ID', 'ZOHO_CLIENT_SECRET', 'ZOHO_REFRESH_TOKEN']) {
      expect(env[name]).toBeUndefined();
      const file = env[`${name}_FILE`]!;
      expect(path.posix.dirname(file)).toBe(mount.mountPath);
      expect(Object.keys(secret.stringData)).toContain(path.posix.basename(file));
    }
    const config = loadConfig(env, fileReaderFor([mount.mountPath]));
    expect(config.zoho.clientSecret).toBe('value-from-a-mounted-secret');
    expect(config.ops).toEqual({ port: 9464, host: '0.0.0.0' });
    expect(config.callersFile).toBeUndefined();
  });

  test('liveness probes /healthz and readiness /readyz on the ops port; the pod runs non-root', () => {
    expect(gateway.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'ops' });
    expect(gateway.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'ops' });
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(gateway.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(Number(env.SHUTDOWN_GRACE_MS));
    for (const name of Object.keys(env)) expect(KNOWN).toContain(name);
  });
});

describe('config/k8s/shared.yaml', () => {
  const docs = k8sDocuments('config/k8s/shared.yaml');
  const deployments = docs.filter((d) => d.kind === 'Deployment');
  const services = docs.filter((d) => d.kind === 'Service');
  const deployment = deployments.find((d) => d.spec.template.spec.containers[0].image === GATEWAY_IMAGE)!;
  const pod = deployment.spec.template.spec as Json;
  const gateway = pod.containers[0] as Json;
  const env = envOf(gateway);
  const mountOf = (volumeName: string) => (gateway.volumeMounts as Json[]).find((m) => m.name === volumeName)!;

  test('several replicas of the gateway behind a Service that selects them and targets the gateway\'s PORT', () => {
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    const service = services.find((s) => s.metadata.name === deployment.metadata.name)!;
    expect(service.spec.selector).toEqual(deployment.spec.template.metadata.labels);
    const named = (gateway.ports as Json[]).find((p) => p.name === service.spec.ports[0].targetPort)!;
    expect(named.containerPort).toBe(Number(env.PORT));
    expect(env.HOST).toBe('0.0.0.0');
    expect(docs.find((d) => d.kind === 'PodDisruptionBudget')!.spec.minAvailable).toBeLessThan(deployment.spec.replicas);
  });

  test('Redis: its own Deployment and Service, and REDIS_URL names that Service and port', () => {
    const redis = deployments.find((d) => d !== deployment)!;
    expect(redis.spec.template.spec.containers[0].image).toMatch(/^redis:7(\.\d+)?-alpine$/);
    const redisService = services.find((s) => s.metadata.name !== deployment.metadata.name)!;
    expect(redisService.spec.selector).toEqual(redis.spec.template.metadata.labels);
    expect(env.REDIS_URL).toBe(`redis://${redisService.metadata.name}:${redisService.spec.ports[0].port}`);
  });

  test('callers from a mounted ConfigMap; credentials and the encryption key from a mounted Secret; the config loads', () => {
    const configMap = docs.find((d) => d.kind === 'ConfigMap')!;
    const callersVolume = (pod.volumes as Json[]).find((v) => v.configMap?.name === configMap.metadata.name)!;
    expect(env.GATEWAY_CALLERS_FILE).toBe(`${mountOf(callersVolume.name).mountPath}/callers.json`);
    expect(JSON.parse(configMap.data['callers.json'])[0]).toMatchObject({ name: 'billing', scopes: ['zohovoice.contacts.READ'] });

    const secret = docs.find((d) => d.kind === 'Secret')!;
    const secretVolume = (pod.volumes as Json[]).find((v) => v.secret?.secretName === secret.metadata.name)!;
    const secretMount = mountOf(secretVolume.name);
    expect(secretMount.readOnly).toBe(true);
    for (const name of ['ZOHO_CLIENT_ID', 'ZOHO_CLIENT_SECRET', 'ZOHO_REFRESH_TOKEN', 'TOKEN_ENCRYPTION_KEY']) {
      const file = env[`${name}_FILE`]!;
      expect(path.posix.dirname(file)).toBe(secretMount.mountPath);
      expect(Object.keys(secret.stringData)).toContain(path.posix.basename(file));
    }
    for (const name of Object.keys(env)) expect(KNOWN).toContain(name);
    const config = loadConfig(env, fileReaderFor([secretMount.mountPath]));
    expect(config.redis).toMatchObject({ url: env.REDIS_URL, keyPrefix: 'zvgw:' });
    expect(config.callersFile).toBe(env.GATEWAY_CALLERS_FILE);
  });

  test('probes: liveness /healthz and readiness /readyz over HTTP on the gateway\'s port', () => {
    expect(gateway.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(gateway.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(Number(env.SHUTDOWN_GRACE_MS));
  });
});
