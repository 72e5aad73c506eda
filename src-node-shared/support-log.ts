/**
 * The support log: a file per day (and per 10 MB), kept 14 files, in the installation's log
 * folder; what IT reads when a regulator calls about a workstation. pino writes it, pino-roll turns
 * it over. It holds events of the program (start, configuration sources, connection, errors),
 * never patient data nor a secret: callers log identifiers and codes only, and the redaction below
 * blanks any field that could carry a credential should one slip into an error object.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import roll from 'pino-roll';

export const SUPPORT_LOG_REDACTED = [
  'password',
  '*.password',
  'token',
  '*.token',
  'key',
  '*.key',
  'secret',
  '*.secret',
  'authorization',
  '*.authorization',
  'headers.cookie',
  '*.headers.cookie',
];

export async function openSupportLog(logDir: string, name: string): Promise<Logger> {
  mkdirSync(logDir, { recursive: true, mode: 0o700 });
  const stream = await roll({
    file: join(logDir, name),
    extension: '.log',
    frequency: 'daily',
    size: '10m',
    limit: { count: 14 },
    mkdir: true,
  });
  return pino({ level: 'info', base: { app: name }, redact: { paths: SUPPORT_LOG_REDACTED, censor: '[masqué]' } }, stream);
}
