import { readFileSync } from 'node:fs';
import path from 'node:path';
import { allVariableNames } from '../../src/config/schema';
import { METRIC_NAMES } from '../../src/ops/metrics';
import { configTable, TABLE_END, TABLE_START, withTable } from '../../scripts/config-table';

const readme = readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');

/** The variable names in the first column of the README's configuration table. */
function namesInReadmeTable(): string[] {
  const section = readme.slice(readme.indexOf(TABLE_START), readme.indexOf(TABLE_END));
  return [...section.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]!);
}

describe('the README configuration table', () => {
  test('when the config schema reads a variable, then the README table has a row for it', () => {
    const missing = allVariableNames().filter((name) => !namesInReadmeTable().includes(name));
    // Fix: npm run docs:config -- --write
    expect(missing).toEqual([]);
  });

  test('it lists nothing the schema does not read', () => {
    const unknown = namesInReadmeTable().filter((name) => !allVariableNames().includes(name));
    expect(unknown).toEqual([]);
  });

  test('it is exactly the table generated from the schema (defaults and descriptions included)', () => {
    expect(withTable(readme)).toBe(readme);
  });

  test('defaults come from the schema: numbers, booleans before their transform, enums', () => {
    const table = configTable();
    expect(table).toContain('| `PORT` | `8080` |');
    expect(table).toContain('| `HOST` | `127.0.0.1` |');
    expect(table).toContain('| `REDIS_CLUSTER` | `false` |');
    expect(table).toContain('| `ZOHO_DC` | `com` |');
    expect(table).toContain('| `BODY_LIMIT_BYTES` | `65536` |');
    expect(table).toContain('| `ZOHO_CLIENT_ID` | — |');
    expect(table).toContain('| `ZOHO_CLIENT_ID_FILE` | — |');
  });
});

test('the README\'s Operations section names every metric the gateway exports', () => {
  const operations = readme.slice(readme.indexOf('## Operations'), readme.indexOf('## Deployment'));
  for (const name of Object.values(METRIC_NAMES)) expect(operations).toContain(`\`${name}\``);
});
