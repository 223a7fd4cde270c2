import { parse as parseLossless } from 'lossless-json';
import { z } from 'zod';
import { CALLER_SCOPES, type CallerScope } from './scopes';

/**
 * The callers file (GATEWAY_CALLERS_FILE): a JSON array of
 *   {"name": "billing", "keySha256": "<64 hex>", "scopes": ["zohovoice.contacts.READ"]}
 * Names appear in the audit log and key the rate limit, so they are short and plain. Only the
 * key's SHA-256 is stored: the file is not a secret a reader could call the gateway with.
 */
const callerEntrySchema = z.strictObject({
  name: z
    .string({ error: 'must be a string' })
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: 'must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit' }),
  keySha256: z
    .string({ error: 'must be a string' })
    .regex(/^[0-9a-fA-F]{64}$/, { error: 'must be the SHA-256 of the key: 64 hex characters (npm run caller:new prints it)' }),
  scopes: z
    .array(z.enum(CALLER_SCOPES, { error: `must be one of ${CALLER_SCOPES.join(', ')}` }), { error: 'must be an array of scopes' })
    .min(1, { error: 'must grant at least one scope' }),
});

const callersFileSchema = z
  .array(callerEntrySchema, { error: 'the file must hold a JSON array of callers' })
  .min(1, { error: 'the file lists no callers (an empty file would lock every caller out; stop the gateway instead)' })
  .superRefine((entries, ctx) => {
    const names = new Map<string, number>();
    const hashes = new Map<string, number>();
    entries.forEach((entry, i) => {
      const name = names.get(entry.name);
      if (name !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `repeats the name of caller ${name}` });
      else names.set(entry.name, i);
      const hash = entry.keySha256.toLowerCase();
      const same = hashes.get(hash);
      if (same !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'keySha256'], message: `is the same key as caller ${same}: every caller needs its own key` });
      else hashes.set(hash, i);
    });
  });

/** One caller as the gateway holds it. */
export interface Caller {
  readonly name: string;
  /** SHA-256 of the caller's key, 32 bytes. */
  readonly keyDigest: Buffer;
  readonly scopes: ReadonlySet<CallerScope>;
}

/** The callers file cannot be used; `problems` names every one of them, with where it is. */
export class CallersFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`GATEWAY_CALLERS_FILE ${file} is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'CallersFileError';
  }
}

/**
 * Parses and validates the callers file's text. Throws CallersFileError listing every problem
 * at once (like the configuration), each located as `callers[2].scopes[0]`. Values are never
 * echoed: a key pasted where its hash belongs must not end up in a log.
 */
export function parseCallersFile(text: string, file: string): Caller[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CallersFileError(file, [whereJsonBroke(text)]);
  }
  const parsed = callersFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new CallersFileError(file, parsed.error.issues.map((issue) => `${locate(issue.path)}: ${issue.message}`));
  }
  return parsed.data.map((entry) => ({
    name: entry.name,
    keyDigest: Buffer.from(entry.keySha256, 'hex'),
    scopes: new Set(entry.scopes),
  }));
}

/**
 * Why and where the JSON broke. V8's own message quotes the text around the error, which may be
 * a key pasted by mistake, so the position comes from lossless-json, whose message quotes at most
 * one character, and that character is dropped too.
 */
function whereJsonBroke(text: string): string {
  if (text.trim() === '') return 'the file is empty';
  try {
    parseLossless(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : '';
    const position = /at position (\d+)/.exec(message);
    const reason = message.replace(/ (but|at position) .*$/s, '');
    if (position) {
      const before = text.slice(0, Number(position[1])).split('\n');
      return `not valid JSON: ${reason} (line ${before.length}, column ${before[before.length - 1]!.length + 1})`;
    }
  }
  return 'not valid JSON';
}

function locate(path: readonly PropertyKey[]): string {
  let where = 'callers';
  for (const part of path) where += typeof part === 'number' ? `[${part}]` : `.${String(part)}`;
  return where;
}
