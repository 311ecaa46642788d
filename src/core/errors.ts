/**
 * Typed errors. Every error has a stable `code`, the offending `input` when there is one and a
 * `hint` for the user; `toLine()` is the one line a user sees.
 */
export interface ErrorDetails {
  input?: string;
  hint?: string;
  cause?: unknown;
}

export class LiveTradingError extends Error {
  readonly code: string;
  readonly input: string | undefined;
  readonly hint: string | undefined;

  constructor(code: string, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.input = details.input;
    this.hint = details.hint;
  }

  toLine(): string {
    return `${this.code}: ${this.message}${this.hint ? ` (hint: ${this.hint})` : ''}`;
  }
}

/** A configuration problem: exit code 2. `file` and `key` locate it. */
export class ConfigError extends LiveTradingError {
  readonly file: string;
  readonly key: string;
  constructor(file: string, key: string, problem: string, hint?: string) {
    super('CONFIG_INVALID', `${file}: ${key || '<root>'}: ${problem}`, { input: file, hint });
    this.file = file;
    this.key = key;
  }
}

/** Several configuration problems found at once; each keeps its own line. */
export class ConfigErrors extends LiveTradingError {
  readonly errors: ConfigError[];
  constructor(errors: ConfigError[]) {
    super('CONFIG_INVALID', errors.map((e) => e.message).join('\n'));
    this.errors = errors;
  }
  lines(): string[] {
    return this.errors.map((e) => e.toLine());
  }
}

/** Bad market data: NaN/Infinity, non-positive prices, crossed quotes, out-of-order times. */
export class DataError extends LiveTradingError {}

/** Quote too old or from the future. */
export class StaleDataError extends LiveTradingError {}

export class ModelLoadError extends LiveTradingError {}

export class BrokerError extends LiveTradingError {
  /** `definitive` outcomes are final; `ambiguous` ones must be resolved by a query. */
  readonly outcome: 'definitive' | 'ambiguous';
  constructor(code: string, message: string, outcome: 'definitive' | 'ambiguous', details: ErrorDetails = {}) {
    super(code, message, details);
    this.outcome = outcome;
  }
}

export class StateError extends LiveTradingError {}

export class UsageError extends LiveTradingError {}

/** Exit codes of the CLI (SPEC 13). */
export const EXIT = { ok: 0, runtime: 1, usage: 2 } as const;
