export {
  appendControlCommand,
  CONTROL_COMMANDS,
  CONTROL_FILE_NAME,
  CONTROL_HISTORY_LIMIT,
  controlFilePath,
  DEFAULT_KILL_REASON,
  normaliseReason,
  readControlCommands,
  readControlFile,
  type AppendOptions,
  type ControlCommand,
  type ControlCommandName,
  type ControlFile,
} from './controlFile.ts';
export { LOCK_STALE_MS, lockPathFor, withFileLock, type LockOptions } from './lockFile.ts';
