import { loadConfig, type Config } from '../../src/config/config';
import { startGateway, type GatewayOverrides, type RunningGateway } from '../../src/gateway';
import { startZohoSimulator, type SimulatorLogEntry, type SimulatorOptions, type ZohoSimulator } from '../../src/simulator/zoho-simulator';
import { capturedLogger } from './log-capture';

export const SIM_CREDENTIALS = {
  ZOHO_CLIENT_ID: 'sim-client-id',
  ZOHO_CLIENT_SECRET: 'sim-client-secret',
  ZOHO_REFRESH_TOKEN: 'sim-refresh-token',
};

export interface Harness {
  sim: ZohoSimulator;
  gateway: RunningGateway;
  config: Config;
  url: string;
  logLines: string[];
  close(): Promise<void>;
}

/** The environment a gateway needs to talk to a simulator at `simUrl`. */
export function simulatorEnv(simUrl: string, env: Record<string, string> = {}): Record<string, string> {
  return {
    ...SIM_CREDENTIALS,
    ZOHO_ACCOUNTS_URL: simUrl,
    ZOHO_VOICE_URL: simUrl,
    PORT: '0',
    RETRY_BASE_DELAY_MS: '5',
    RETRY_MAX_DELAY_MS: '20',
    ...env,
  };
}

/** A simulator and a gateway in front of it, both on loopback with ephemeral ports. */
export async function startHarness(
  options: { env?: Record<string, string>; sim?: SimulatorOptions; simulator?: ZohoSimulator; overrides?: GatewayOverrides } = {},
): Promise<Harness> {
  const sim = options.simulator ?? (await startZohoSimulator(options.sim));
  const config = loadConfig(simulatorEnv(sim.url, options.env));
  const { log, lines } = capturedLogger();
  const gateway = await startGateway(config, log, options.overrides);
  return {
    sim,
    gateway,
    config,
    url: gateway.url,
    logLines: lines,
    close: async () => {
      await gateway.close();
      if (!options.simulator) await sim.close();
    },
  };
}

/**
 * What the simulator received since the current test began: each test of a file sharing one
 * simulator looks only at its own calls (resetting the simulator would revoke the gateway's token).
 * Registers a beforeEach, which also clears leftover faults.
 */
export function simulatorLogPerTest(sim: () => ZohoSimulator): { received(): SimulatorLogEntry[]; contactCalls(): SimulatorLogEntry[] } {
  let start = 0;
  beforeEach(() => {
    sim().faults.clear();
    start = sim().log.length;
  });
  const received = () => sim().log.slice(start);
  return { received, contactCalls: () => received().filter((e) => e.kind === 'contacts') };
}
