import { ERROR_CATALOG } from '../src/errors/catalog';

/** Prints the README's error-code table from the catalog: `npm run docs:errors`. */
export function errorTable(): string {
  const rows = Object.entries(ERROR_CATALOG).map(([code, { status, message }]) => `| \`${code}\` | ${status} | ${message.replace(/\|/g, '\\|')} |`);
  return ['| code | HTTP | meaning |', '|---|---|---|', ...rows].join('\n');
}

if (require.main === module) process.stdout.write(`${errorTable()}\n`);
