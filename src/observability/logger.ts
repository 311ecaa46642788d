/**
 * pino logging: JSON lines to `<log-dir>/live-trading.log` and readable lines on the console,
 * timestamps from the engine clock (virtual in replay), secrets redacted.
 */
import fs from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { Clock } from '../core/clock.ts';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export const REDACT_PATHS = ['apiKey', 'secret', 'secretKey', '*.apiKey', '*.secret', '*.secretKey', '*.key_id', '*.secret_key', 'headers.authorization', '*.headers.authorization', '*.headers["APCA-API-KEY-ID"]', '*.headers["APCA-API-SECRET-KEY"]'];

export interface LoggerOptions {
  logDir: string | null;
  level: LogLevel;
  clock: Clock;
  /** Console stream (default stderr, so stdout keeps the cycle lines). */
  console?: NodeJS.WritableStream | null;
}

export function createLogger(options: LoggerOptions): { logger: Logger; file: string | null; flush: () => void } {
  const streams: pino.StreamEntry[] = [];
  let file: string | null = null;
  let destination: pino.DestinationStream & { flushSync?: () => void } | null = null;
  if (options.logDir) {
    fs.mkdirSync(options.logDir, { recursive: true });
    file = path.join(options.logDir, 'live-trading.log');
    destination = pino.destination({ dest: file, sync: true, mkdir: true });
    streams.push({ level: options.level === 'silent' ? 'fatal' : options.level, stream: destination });
  }
  if (options.console !== null) {
    const consoleStream = pretty({ colorize: false, sync: true, destination: options.console ?? process.stderr, translateTime: false, ignore: 'pid,hostname,time', singleLine: true });
    streams.push({ level: options.level === 'silent' ? 'fatal' : options.level, stream: consoleStream });
  }
  const logger = pino(
    {
      level: options.level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: undefined,
      timestamp: () => `,"time":"${new Date(options.clock.now()).toISOString()}"`,
    },
    pino.multistream(streams),
  );
  return { logger, file, flush: () => destination?.flushSync?.() };
}
