/**
 * CLI: node dist/src/simulator/main.js
 * Env: SIM_HOST (127.0.0.1), SIM_PORT (8090), SIM_TOKEN_LIFETIME_SEC, SIM_CLIENT_ID, SIM_CLIENT_SECRET,
 * SIM_REFRESH_TOKEN, SIM_MINT_LIMIT ("10/600000" = 10 mints per 600000 ms; unset = off),
 * SIM_TOKEN_DELAY_MS, SIM_SEED_CONTACTS ("false" to start empty).
 * Prints one line with its URL and never prints tokens or secrets.
 */
import { startZohoSimulator, type SimulatorOptions } from './zoho-simulator';

function intEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^[0-9]+$/.test(raw)) throw new Error(`${name} must be a non-negative integer`);
  return Number(raw);
}

function mintLimitEnv(): SimulatorOptions['mintLimit'] {
  const raw = process.env.SIM_MINT_LIMIT;
  if (raw === undefined || raw === '') return null;
  const m = /^([0-9]+)\/([0-9]+)$/.exec(raw);
  if (!m) throw new Error('SIM_MINT_LIMIT must look like "10/600000" (count/windowMs)');
  return { count: Number(m[1]), windowMs: Number(m[2]) };
}

async function main(): Promise<void> {
  const sim = await startZohoSimulator({
    host: process.env.SIM_HOST || '127.0.0.1',
    port: intEnv('SIM_PORT') ?? 8090,
    tokenLifetimeSec: intEnv('SIM_TOKEN_LIFETIME_SEC'),
    clientId: process.env.SIM_CLIENT_ID || undefined,
    clientSecret: process.env.SIM_CLIENT_SECRET || undefined,
    refreshToken: process.env.SIM_REFRESH_TOKEN || undefined,
    mintLimit: mintLimitEnv(),
    tokenDelayMs: intEnv('SIM_TOKEN_DELAY_MS'),
    seedContacts: process.env.SIM_SEED_CONTACTS !== 'false',
  });
  process.stdout.write(`zoho-simulator listening on ${sim.url}\n`);

  const stop = (): void => {
    sim.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`zoho-simulator failed to start: ${(e as Error).message}\n`);
  process.exit(1);
});
