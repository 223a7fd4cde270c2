import type { ZohoSimulator } from '../../src/simulator/zoho-simulator';

/**
 * Counts creates on both sides of the gateway for one test: what the simulator created since the
 * ledger was opened, against what callers were told was created (the contact ids in their 200s).
 */
export class CreateLedger {
  private readonly before: number;
  private readonly told = new Set<string>();

  constructor(private readonly sim: ZohoSimulator) {
    this.before = sim.createdContactIds().length;
  }

  /** Records what a caller was told: a 200 create answer adds its contact id. */
  note(status: number, body: unknown): void {
    const id = (body as { contacts?: { contact_id?: unknown } } | undefined)?.contacts?.contact_id;
    if (status === 200 && typeof id === 'string') this.told.add(id);
  }

  /** Contact ids the simulator created since the ledger was opened. */
  created(): string[] {
    return this.sim.createdContactIds().slice(this.before);
  }

  /** Distinct contact ids callers were told about. */
  acknowledged(): string[] {
    return [...this.told];
  }
}

/** A valid contact whose last_name tags it, so a test can tell its creates apart. */
export function taggedContact(tag: string): { first_name: string; last_name: string; mobile: string } {
  return { first_name: 'Fault', last_name: tag, mobile: '+12015550123' };
}

/** Resolves once `predicate` holds (checked every 10 ms), or rejects after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
