import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Field names that may hold a secret anywhere in a log object. pino removes them before a line
 * is serialized, so a careless `log.info({ token })` cannot leak.
 */
const SECRET_KEYS = [
  'authorization',
  'Authorization',
  'cookie',
  'Cookie',
  'access_token',
  'accessToken',
  'refresh_token',
  'refreshToken',
  'client_secret',
  'clientSecret',
  'token',
  'secret',
  'password',
  'key',
  'apiKey',
  'encryptionKey',
  'url',
];

const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  ...SECRET_KEYS.map((k) => `*.*.${k}`),
  'req.headers',
  'headers',
  '*.headers',
];

/**
 * A URL's credentials and query string may hold secrets (redis://user:password@host,
 * ?access_token=...). Field names are redacted above; this also cleans URLs inside text, such as
 * an error message that quotes the URL it failed on.
 */
const URL_IN_TEXT = /\b([a-z][a-z0-9+.-]*:\/\/)(?:[^\s/?#@"']+@)?([^\s?#"']*)(\?[^\s#"']*)?/gi;

export function redactUrlsIn(text: string): string {
  return text.replace(URL_IN_TEXT, (_match, scheme: string, rest: string, query?: string) => `${scheme}${rest}${query ? '?[REDACTED]' : ''}`);
}

/** pino's error serializer, with URLs in the message and stack cleaned. */
function redactedError(err: Error): Record<string, unknown> {
  const serialized = pino.stdSerializers.err(err) as unknown as Record<string, unknown>;
  for (const field of ['message', 'stack'] as const) {
    if (typeof serialized[field] === 'string') serialized[field] = redactUrlsIn(serialized[field]);
  }
  return serialized;
}

export interface LoggerOptions {
  level: string;
  pretty?: boolean;
  /** Where lines go; tests pass a stream to capture them. */
  destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const transport = options.pretty ? { target: 'pino-pretty', options: { colorize: true } } : undefined;
  const base = {
    level: options.level,
    base: { service: 'zoho-voice-gateway' },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    serializers: { err: redactedError },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (transport && !options.destination) return pino({ ...base, transport });
  return pino(base, options.destination ?? pino.destination({ sync: false }));
}
