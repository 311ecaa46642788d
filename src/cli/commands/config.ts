/**
 * `live-trading config check`: load and validate the configuration exactly as `run` would,
 * then print what the engine would use (YAML, or JSON with --json). Exit 2 on any problem.
 */
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { loadConfig, resolveSymbols, type LoadedConfig } from '../../config/loader.ts';
import { outputOf } from '../run-cli.ts';

interface CheckOptions {
  config?: string;
  json?: boolean;
  symbols?: string;
  symbolsFile?: string;
}

export function registerConfigCommand(program: Command): void {
  const config = program.command('config').description('inspect the configuration');
  config
    .command('check')
    .description('validate the configuration and print it as resolved (file, environment overrides, defaults)')
    .option('--config <path>', 'config file (default: the package config/live_trading.yaml)')
    .option('--symbols <list>', 'comma-separated symbols, overriding every symbols file')
    .option('--symbols-file <path>', 'symbols file: its default list, else universe + sectors + stocks')
    .option('--json', 'print JSON instead of YAML')
    .action((options: CheckOptions, command: Command) => {
      const loaded = loadConfig({ configPath: options.config });
      const symbols = resolveSymbols({
        symbols: options.symbols,
        symbolsFile: options.symbolsFile,
        symbolsConfig: loaded.symbols,
        symbolsConfigPath: loaded.symbolsPath,
      });
      outputOf(command).stdout(options.json ? renderJson(loaded, symbols) : renderYaml(loaded, symbols));
    });
}

function renderJson(loaded: LoadedConfig, symbols: string[]): string {
  const report = {
    config_path: loaded.configPath,
    symbols_path: loaded.symbolsPath,
    config_hash: loaded.hash,
    overrides: loaded.overrides.map((o) => o.name),
    symbols,
    live_trading: loaded.config,
  };
  return `${JSON.stringify(report, null, 2)}\n`;
}

// The metadata goes in comments so the printed YAML is itself a valid config file.
function renderYaml(loaded: LoadedConfig, symbols: string[]): string {
  const header = [
    `# config file: ${loaded.configPath}`,
    `# symbols file: ${loaded.symbolsPath ?? '(none; built-in defaults)'}`,
    `# environment overrides: ${loaded.overrides.map((o) => o.name).join(', ') || 'none'}`,
    `# config hash (sha256): ${loaded.hash}`,
    `# symbols: ${symbols.join(', ')}`,
  ];
  return `${header.join('\n')}\n${stringify({ live_trading: loaded.config }, { lineWidth: 0 })}`;
}
