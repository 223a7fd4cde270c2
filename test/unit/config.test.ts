import { ConfigError, loadConfig } from '../../src/config/config';

const CREDENTIALS = { ZOHO_CLIENT_ID: 'id', ZOHO_CLIENT_SECRET: 'secret', ZOHO_REFRESH_TOKEN: 'refresh' };
const noFiles = (path: string): string => {
  throw Object.assign(new Error(`no file ${path}`), { code: 'ENOENT' });
};

function problemsOf(env: Record<string, string>, readFile = noFiles): string[] {
  try {
    loadConfig(env, readFile);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  test('with only the three credentials, every default holds', () => {
    const config = loadConfig(CREDENTIALS, noFiles);
    expect(config.port).toBe(8080);
    expect(config.host).toBe('127.0.0.1');
    expect(config.zoho).toEqual({
      clientId: 'id',
      clientSecret: 'secret',
      refreshToken: 'refresh',
      dataCentre: 'com',
      accountsUrl: 'https://accounts.zoho.com',
      voiceUrl: 'https://voice.zoho.com',
    });
    expect(config.redis).toBeUndefined();
    expect(config.bodyLimitBytes).toBe(65536);
  });

  test.each([
    ['eu', 'https://accounts.zoho.eu', 'https://voice.zoho.eu'],
    ['in', 'https://accounts.zoho.in', 'https://voice.zoho.in'],
    ['com.au', 'https://accounts.zoho.com.au', 'https://voice.zoho.com.au'],
    ['jp', 'https://accounts.zoho.jp', 'https://voice.zoho.jp'],
    ['ca', 'https://accounts.zohocloud.ca', 'https://voice.zoho.ca'],
    ['sa', 'https://accounts.zoho.sa', 'https://voice.zoho.sa'],
    ['uk', 'https://accounts.zoho.uk', 'https://voice.zoho.uk'],
    ['com.cn', 'https://accounts.zoho.com.cn', 'https://voice.zoho.com.cn'],
  ])('ZOHO_DC=%s maps to %s and %s', (dc, accounts, voice) => {
    const config = loadConfig({ ...CREDENTIALS, ZOHO_DC: dc }, noFiles);
    expect(config.zoho.accountsUrl).toBe(accounts);
    expect(config.zoho.voiceUrl).toBe(voice);
  });

  test('ZOHO_ACCOUNTS_URL and ZOHO_VOICE_URL override the data centre, trailing slash dropped', () => {
    const config = loadConfig({ ...CREDENTIALS, ZOHO_DC: 'eu', ZOHO_ACCOUNTS_URL: 'http://127.0.0.1:9000/', ZOHO_VOICE_URL: 'https://voice.example.test' }, noFiles);
    expect(config.zoho.accountsUrl).toBe('http://127.0.0.1:9000');
    expect(config.zoho.voiceUrl).toBe('https://voice.example.test');
  });

  test('every problem is reported at once', () => {
    const problems = problemsOf({ PORT: 'eighty', ZOHO_DC: 'mars', ZOHO_VOICE_URL: 'ftp://x', REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PORT: /),
        expect.stringMatching(/^ZOHO_DC: /),
        expect.stringMatching(/^ZOHO_VOICE_URL: /),
        'ZOHO_CLIENT_ID: required (or ZOHO_CLIENT_ID_FILE)',
        'ZOHO_CLIENT_SECRET: required (or ZOHO_CLIENT_SECRET_FILE)',
        'ZOHO_REFRESH_TOKEN: required (or ZOHO_REFRESH_TOKEN_FILE)',
        expect.stringMatching(/^TOKEN_ENCRYPTION_KEY: required when REDIS_URL is set/),
      ]),
    );
    expect(problems).toHaveLength(7);
  });

  test('a secret may come from NAME_FILE; the trailing newline of the file is dropped', () => {
    const files: Record<string, string> = { '/run/secrets/id': 'file-id\n', '/run/secrets/secret': 'file-secret' };
    const config = loadConfig(
      { ZOHO_CLIENT_ID_FILE: '/run/secrets/id', ZOHO_CLIENT_SECRET_FILE: '/run/secrets/secret', ZOHO_REFRESH_TOKEN: 'r' },
      (path) => files[path] ?? noFiles(path),
    );
    expect(config.zoho.clientId).toBe('file-id');
    expect(config.zoho.clientSecret).toBe('file-secret');
  });

  test('an unreadable NAME_FILE and a NAME given twice are both reported', () => {
    const problems = problemsOf({ ...CREDENTIALS, ZOHO_CLIENT_SECRET_FILE: '/nope', ZOHO_REFRESH_TOKEN_FILE: '/also-nope' });
    expect(problems).toContain('ZOHO_CLIENT_SECRET and ZOHO_CLIENT_SECRET_FILE are both set; give only one');
    expect(problems).toContain('ZOHO_REFRESH_TOKEN and ZOHO_REFRESH_TOKEN_FILE are both set; give only one');
    const unreadable = problemsOf({ ZOHO_CLIENT_ID_FILE: '/nope', ZOHO_CLIENT_SECRET: 's', ZOHO_REFRESH_TOKEN: 'r' });
    expect(unreadable).toEqual(['ZOHO_CLIENT_ID_FILE: cannot read /nope (ENOENT)', 'ZOHO_CLIENT_ID: required (or ZOHO_CLIENT_ID_FILE)']);
  });

  test('a problem message never contains the value of a secret', () => {
    const problems = problemsOf({ ZOHO_CLIENT_ID: 'id', ZOHO_CLIENT_SECRET: 'very-secret-value', ZOHO_REFRESH_TOKEN: 'r', PORT: '-1' });
    expect(problems.join('\n')).not.toContain('very-secret-value');
  });

  test('binding a non-loopback address without callers is refused, naming the problem', () => {
    const problems = problemsOf({ ...CREDENTIALS, HOST: '0.0.0.0' });
    expect(problems).toEqual([expect.stringContaining('HOST: 0.0.0.0 is not a loopback address and GATEWAY_CALLERS_FILE is not set')]);
    expect(loadConfig({ ...CREDENTIALS, HOST: '0.0.0.0', ALLOW_UNAUTHENTICATED_NON_LOOPBACK: 'true' }, noFiles).host).toBe('0.0.0.0');
    expect(loadConfig({ ...CREDENTIALS, HOST: '::1' }, noFiles).host).toBe('::1');
  });
});
