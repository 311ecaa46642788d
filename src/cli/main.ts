/**
 * The `live-trading` program. Each command lives in `commands/<name>.ts` and is added here by
 * one import and one `register<Name>Command(program)` call.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { registerConfigCommand } from './commands/config.ts';
import { registerControlCommand } from './commands/control.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerDiagramCommand } from './commands/diagram.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerValidateRunCommand } from './commands/validate-run.ts';
import { processIo, runCli, type CliIo } from './run-cli.ts';

const PACKAGE_JSON = new URL('../../package.json', import.meta.url);

export function packageVersion(): string {
  return (JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version: string }).version;
}

/** The whole command tree; output goes to `io` (tests pass their own). */
export function buildProgram(io: CliIo = processIo): Command {
  const program = new Command('live-trading')
    .description('Trade with the models of a training run: paper, Alpaca or Interactive Brokers.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    // Set before any subcommand exists: commander copies these settings into each one.
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  registerConfigCommand(program);
  registerRunCommand(program);
  registerDemoCommand(program);
  registerControlCommand(program);
  registerDiagramCommand(program);
  registerValidateRunCommand(program);
  return program;
}

/** Parse `argv` (node-style, with the two leading entries) and run the command. */
export async function main(argv: readonly string[] = process.argv, io: CliIo = processIo): Promise<number> {
  return runCli(async () => {
    await buildProgram(io).parseAsync([...argv]);
  }, io);
}

function invokedDirectly(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) process.exitCode = await main();
