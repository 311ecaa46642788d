/**
 * The logger shape persistence needs: a pino logger fits it as is (`logger.error(obj, msg)`).
 */
export interface PersistenceLogger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  info?(obj: object, msg: string): void;
}

/** Without an injected logger, problems still reach the operator as one JSON line on stderr. */
export const stderrLogger: PersistenceLogger = {
  error: (obj, msg) => process.stderr.write(`${JSON.stringify({ level: 'error', msg, ...obj })}\n`),
  warn: (obj, msg) => process.stderr.write(`${JSON.stringify({ level: 'warn', msg, ...obj })}\n`),
};
