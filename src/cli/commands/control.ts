/**
 * `live-trading control pause | resume | kill [--reason R] | reset-kill [--state-dir D]`: queue a
 * command for a running engine in `<state-dir>/control.json` (src/control/controlFile.ts). The
 * engine applies it at its next cycle boundary; this command only queues and confirms.
 */
import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { SystemClock } from '../../core/clock.ts';
import { UsageError } from '../../core/errors.ts';
import { appendControlCommand, CONTROL_COMMANDS, controlFilePath, type ControlCommandName } from '../../control/controlFile.ts';
import { outputOf } from '../run-cli.ts';

interface ControlOptions {
  reason?: string;
  stateDir: string;
}

export const DEFAULT_STATE_DIR = 'state';

const DESCRIPTIONS: Record<ControlCommandName, string> = {
  pause: 'stop opening and changing positions at the next cycle; the process keeps running and marking',
  resume: 'resume trading after a pause',
  kill: 'trip the kill switch (latched until reset-kill); reason defaults to "manual"',
  'reset-kill': 'clear a latched kill switch',
};

export function registerControlCommand(program: Command): void {
  const control = program
    .command('control')
    .description('queue a pause, resume, kill or reset-kill for a running engine (applied at its next cycle boundary)');
  for (const name of CONTROL_COMMANDS) {
    control
      .command(name)
      .description(DESCRIPTIONS[name])
      .option('--reason <text>', name === 'kill' ? 'why (default: manual)' : 'why (optional)')
      .option('--state-dir <dir>', 'the engine\'s state directory', DEFAULT_STATE_DIR)
      .action((options: ControlOptions, command: Command) => {
        requireDirectory(options.stateDir);
        const entry = appendControlCommand(options.stateDir, name, options.reason ?? null, new SystemClock().now());
        const reason = entry.reason === null ? '' : ` (reason: ${entry.reason})`;
        outputOf(command).stdout(
          `queued ${entry.command}${reason} as #${entry.seq} in ${controlFilePath(options.stateDir)}; the engine applies it at the next cycle boundary\n`,
        );
      });
  }
}

// A mistyped --state-dir must not silently queue a command no engine will ever read.
function requireDirectory(dir: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UsageError('CONTROL_STATE_DIR_MISSING', `state directory '${dir}' does not exist`, {
      input: dir,
      hint: 'pass the --state-dir the engine runs with (default: state/ in the current directory)',
    });
  }
}
