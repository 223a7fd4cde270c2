import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { callersFixture } from '../helpers/callers';
import { startHarness } from '../helpers/harness';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');

/** Runs `npm run caller:new -- <args>` the way npm does (tsx), without npm's own output. */
async function callerNew(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/caller-new.ts'), ...args], { cwd: ROOT, timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function parseOutput(stdout: string): { key: string; entry: { name: string; keySha256: string; scopes: string[] } } {
  const key = /^ {2}(zvgw_\S+)$/m.exec(stdout)?.[1];
  const entry = /^ {2}(\{.*\})$/m.exec(stdout)?.[1];
  if (!key || !entry) throw new Error(`unexpected output:\n${stdout}`);
  return { key, entry: JSON.parse(entry) };
}

describe('npm run caller:new', () => {
  test('prints a new random key once and the entry to paste; the entry holds only its SHA-256; the key then works', async () => {
    const [first, second] = await Promise.all([callerNew('reporting', 'read', 'zohovoice.contacts.DELETE', 'READ'), callerNew('reporting', 'read')]);
    expect(first.code).toBe(0);
    const { key, entry } = parseOutput(first.stdout);
    // 32 random bytes, base64url, behind the prefix; a second run makes another key.
    expect(key).toMatch(/^zvgw_[A-Za-z0-9_-]{43}$/);
    expect(parseOutput(second.stdout).key).not.toBe(key);
    expect(entry).toEqual({
      name: 'reporting',
      keySha256: createHash('sha256').update(key).digest('hex'),
      scopes: ['zohovoice.contacts.READ', 'zohovoice.contacts.DELETE'],
    });
    expect(first.stdout.split(key)).toHaveLength(2); // shown exactly once
    expect(first.stdout).toContain('Authorization: Bearer <key>');

    // Pasted into a callers file, the key authenticates with exactly the scopes printed.
    const fixture = callersFixture([{ name: 'other', scopes: ['zohovoice.contacts.ALL'] }]);
    writeFileSync(fixture.file, JSON.stringify([entry]));
    const h = await startHarness({ env: { GATEWAY_CALLERS_FILE: fixture.file } });
    try {
      await request(h.url).get('/rest/json/zv/contacts/contact_status').set('Authorization', `Bearer ${key}`).expect(200);
      await request(h.url).delete('/rest/json/zv/contacts/347000014281004').set('Authorization', `Bearer ${key}`).expect(200);
      const create = await request(h.url).post('/rest/json/zv/contacts').set('Authorization', `Bearer ${key}`).send({ first_name: 'A', mobile: '1' });
      expect(create.status).toBe(403);
      expect(h.sim.contactCalls().map((c) => c.method)).toEqual(['GET', 'DELETE']);
    } finally {
      await h.close();
      fixture.remove();
    }
  });

  test.each([
    [[], /^usage: npm run caller:new -- <name> <scope\.\.\.>/],
    [['billing'], /^usage:/],
    [['billing', 'write'], /^unknown scope\(s\): write\n/],
    [['bad name', 'read'], /^name: must be 1 to 64 letters, digits/],
  ])('with %j: exit 2, the reason on stderr, no key printed', async (args, message) => {
    const result = await callerNew(...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });
});
