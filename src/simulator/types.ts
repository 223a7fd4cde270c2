/** Public types of the simulator (kept apart so modules can share them without import cycles). */
import type { FaultControl } from './faults';

export interface SimulatorOptions {
  host?: string; // default '127.0.0.1'
  port?: number; // default 0 (ephemeral)
  clientId?: string; // default 'sim-client-id'
  clientSecret?: string; // default 'sim-client-secret'
  refreshToken?: string; // default 'sim-refresh-token'
  tokenLifetimeSec?: number; // expires_in of minted tokens, default 3600
  /** Zoho's "10 per 10 minutes"; default null (off). Exceeding it answers the rate-limit body (HTTP 200). */
  mintLimit?: { count: number; windowMs: number } | null;
  tokenDelayMs?: number; // delay before answering a token call, default 0
  seedContacts?: boolean; // default true
}

export interface SimulatorLogEntry {
  seq: number;
  ts: number;
  kind: 'token' | 'contacts' | 'other';
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[] | undefined>;
  /** Raw request body; '' when the request was dropped before it was read. */
  body: string;
  /** Set (true) when a reset_on_connect fault destroyed the socket before the body was read. */
  dropped?: boolean;
  /** The fault kind applied to this call, if any. */
  fault?: string;
  /** HTTP status answered; absent when no answer was sent (reset faults, client gone). */
  status?: number;
}

export interface ZohoSimulator {
  /** e.g. http://127.0.0.1:54321 — serves BOTH /oauth/v2/token and /rest/json/zv/contacts... */
  url: string;
  /** Everything received (except /__sim/*), in arrival order. */
  log: SimulatorLogEntry[];
  /** Count of POST /oauth/v2/token received (faulted ones included). */
  tokenCalls(): number;
  /** Entries with kind 'contacts' (dropped ones included). */
  contactCalls(): SimulatorLogEntry[];
  /** Access tokens minted, oldest first. */
  issuedTokens(): string[];
  /** Ids (decimal strings) of contacts created via POST since the last reset. */
  createdContactIds(): string[];
  faults: FaultControl;
  revokeToken(token: string): void;
  revokeAllTokens(): void;
  expireAllTokens(): void;
  /** Makes the refresh token answer {"error":"invalid_code"} until reset(). */
  revokeRefreshToken(): void;
  /** Clears log, faults, created contacts (re-seeds), tokens, mint history and refresh revocation. */
  reset(): void;
  /** Stops listening, destroys open keep-alive sockets and cancels pending delays. */
  close(): Promise<void>;
}
