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
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (transport && !options.destination) return pino({ ...base, transport });
  return pino(base, options.destination ?? pino.destination({ sync: false }));
}
