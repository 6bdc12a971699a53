/**
 * pino JSON logs. Secrets are redacted wherever they appear as fields, and message bodies are not
 * logged (the code logs ids and counts; the redaction list catches a slip).
 */
import pino from 'pino';

export const REDACT_PATHS = [
  'token',
  'secret',
  'webhookSecret',
  'authorization',
  'headers.authorization',
  '*.token',
  '*.secret',
  '*.authorization',
  'text',
  'markdown',
  'html',
  '*.text',
  '*.markdown',
  '*.html',
];

export function createLogger(level: string, destination?: pino.DestinationStream): pino.Logger {
  return pino(
    { level, base: { app: 'herald' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    destination ?? pino.destination(1),
  );
}
