/**
 * The CLI's single exit-code policy (SPEC 13): 0 done, 1 runtime failure, 2 usage or
 * configuration error. Commands just throw typed errors; `runCli` prints one line per problem
 * (never a stack) and returns the exit code.
 */
import type { Command } from 'commander';
import { CommanderError } from 'commander';
import { ConfigError, ConfigErrors, EXIT, LiveTradingError, UsageError } from '../core/errors.ts';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

/** Throw to end a command with a given exit code after it has printed what it had to say. */
export class CliExit extends Error {
  readonly exitCode: number;
  constructor(exitCode: number) {
    super(`exit ${exitCode}`);
    this.exitCode = exitCode;
  }
}

/** 2 for configuration and usage errors, 0 for help/version, 1 for anything else. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CliExit) return error.exitCode;
  if (error instanceof CommanderError) {
    return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof ConfigErrors || error instanceof ConfigError || error instanceof UsageError) return EXIT.usage;
  return EXIT.runtime;
}

/** The lines a user sees for an error: one per configuration problem, else one. */
export function errorLines(error: unknown): string[] {
  if (error instanceof CliExit) return [];
  // Commander has already printed its own message (through the program's output config).
  if (error instanceof CommanderError) return [];
  if (error instanceof ConfigErrors) return error.lines();
  if (error instanceof LiveTradingError) return [oneLine(error.toLine())];
  if (error instanceof Error) return [oneLine(`error: ${error.message || error.name}`)];
  return [oneLine(`error: ${String(error)}`)];
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

/** Run `main`, print any error as its lines on stderr and give the exit code. */
export async function runCli(main: () => Promise<number | void> | number | void, io: CliIo = processIo): Promise<number> {
  try {
    return (await main()) ?? EXIT.ok;
  } catch (error) {
    for (const line of errorLines(error)) io.stderr(`${line}\n`);
    return exitCodeFor(error);
  }
}

/** The output a command should write to (the program's, so tests can capture it). */
export function outputOf(command: Command): CliIo {
  const out = command.configureOutput();
  return {
    stdout: (text) => (out.writeOut ?? processIo.stdout)(text),
    stderr: (text) => (out.writeErr ?? processIo.stderr)(text),
  };
}
