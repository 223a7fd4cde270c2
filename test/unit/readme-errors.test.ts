import { readFileSync } from 'node:fs';
import path from 'node:path';
import { errorTable } from '../../scripts/error-table';

test('the README error table is the catalog, row for row', () => {
  const readme = readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
  for (const row of errorTable().split('\n')) expect(readme).toContain(row);
});
