/**
 * `npm run caller:new -- <name> <scope...>`: makes a caller key.
 *
 * Prints the key once (the gateway never stores it: only its SHA-256 goes in the callers file)
 * and the entry to paste into GATEWAY_CALLERS_FILE. Scopes may be written in full
 * (zohovoice.contacts.READ) or by their last word (read, create, update, delete, all).
 * The entry is checked with the same schema the gateway loads the file with.
 */
import { callerKeySha256Hex, newCallerKey } from '../src/callers/caller-key';
import { CallersFileError, parseCallersFile } from '../src/callers/callers-file';
import { CALLER_SCOPES, parseScope } from '../src/callers/scopes';

const USAGE = `usage: npm run caller:new -- <name> <scope...>
  scopes: ${CALLER_SCOPES.join(', ')} (or read, create, update, delete, all)
  e.g.    npm run caller:new -- billing read create`;

function main(args: string[]): number {
  const [name, ...scopeArgs] = args;
  if (!name || scopeArgs.length === 0 || name === '--help' || name === '-h') {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const unknown = scopeArgs.filter((s) => parseScope(s) === undefined);
  if (unknown.length > 0) {
    process.stderr.write(`unknown scope(s): ${unknown.join(', ')}\n${USAGE}\n`);
    return 2;
  }
  const scopes = [...new Set(scopeArgs.map((s) => parseScope(s)!))];
  const key = newCallerKey();
  const entry = { name, keySha256: callerKeySha256Hex(key), scopes };
  try {
    parseCallersFile(JSON.stringify([entry]), 'the new entry');
  } catch (err) {
    const problems = err instanceof CallersFileError ? err.problems.map((p) => p.replace(/^callers\[0\]\./, '')) : [String(err)];
    process.stderr.write(`${problems.join('\n')}\n`);
    return 2;
  }
  process.stdout.write(
    `Caller key for "${name}" (shown once; give it to the caller over a secure channel, the gateway keeps only its hash):\n\n` +
      `  ${key}\n\n` +
      `Entry to add to the JSON array in GATEWAY_CALLERS_FILE, then send the gateway SIGHUP to load it:\n\n` +
      `  ${JSON.stringify(entry)}\n\n` +
      `The caller sends:  Authorization: Bearer <key>\n`,
  );
  return 0;
}

process.exitCode = main(process.argv.slice(2));
