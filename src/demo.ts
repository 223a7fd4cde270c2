import { loadConfig } from './config/config';
import { startGateway } from './gateway';
import { createLogger } from './logger';
import { startZohoSimulator } from './simulator/zoho-simulator';

/**
 * `npm run demo`: the gateway in front of the built-in Zoho simulator, so a new user can try every
 * call with no Zoho account and no Redis. The simulator's demo credentials are not secrets.
 */
async function demo(): Promise<void> {
  const sim = await startZohoSimulator({ port: Number(process.env.SIM_PORT ?? 8090) });
  const config = loadConfig({
    PORT: process.env.PORT ?? '8080',
    HOST: '127.0.0.1',
    ZOHO_CLIENT_ID: 'sim-client-id',
    ZOHO_CLIENT_SECRET: 'sim-client-secret',
    ZOHO_REFRESH_TOKEN: 'sim-refresh-token',
    ZOHO_ACCOUNTS_URL: sim.url,
    ZOHO_VOICE_URL: sim.url,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  const gateway = await startGateway(config, createLogger(config.log));
  const base = gateway.url;
  process.stdout.write(`Zoho simulator on ${sim.url}; gateway on ${base} (sidecar mode, no Redis).

Try, in another terminal:
  curl -s '${base}/rest/json/zv/contacts?from=0&size=10&totalCount=true'
  curl -s ${base}/rest/json/zv/contacts/contact_status
  curl -s ${base}/rest/json/zv/contacts/9223372036854775807
  curl -s -X POST ${base}/rest/json/zv/contacts -H 'Content-Type: application/json' -d '{"first_name":"Ada","mobile":"+12015550123"}'
  curl -s -X PUT ${base}/rest/json/zv/contacts/1234567890123456789 -H 'Content-Type: application/json' -d '{"first_name":"Nineteen","mobile":"+12015550199","company":"Acme"}'
  curl -s -X DELETE ${base}/rest/json/zv/contacts/9007199254740993
  curl -s ${base}/rest/json/zv/contacts/12345678901234567890     # 20 digits: 400, nothing sent to Zoho

Ctrl-C stops both.
`);
  const stop = () => {
    void gateway.close().then(() => sim.close()).then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

demo().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${(err as Error).message}\n`);
  process.exit(1);
});
