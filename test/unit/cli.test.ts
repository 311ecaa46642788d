import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildProgram, main, packageVersion } from '../../src/cli/main.ts';
import { CliExit, errorLines, exitCodeFor, runCli, type CliIo } from '../../src/cli/run-cli.ts';
import { defaultConfig } from '../../src/config/schema.ts';
import { ConfigError, ConfigErrors, LiveTradingError, UsageError } from '../../src/core/errors.ts';

function capture(): CliIo & { out: string; err: string } {
  const io = { out: '', err: '', stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
  return io;
}

const run = async (...args: string[]) => {
  const io = capture();
  const code = await main(['node', 'live-trading', ...args], io);
  return { code, out: io.out, err: io.err };
};

describe('runCli exit codes', () => {
  it('maps configuration and usage errors to 2, other failures to 1, success to 0', async () => {
    const io = capture();
    expect(await runCli(() => undefined, io)).toBe(0);
    expect(await runCli(() => 3, io)).toBe(3);
    expect(await runCli(() => { throw new ConfigErrors([new ConfigError('f.yaml', 'a.b', 'bad')]); }, io)).toBe(2);
    expect(await runCli(() => { throw new ConfigError('f.yaml', 'a.b', 'bad'); }, io)).toBe(2);
    expect(await runCli(() => { throw new UsageError('USAGE', 'no run id'); }, io)).toBe(2);
    expect(await runCli(async () => { throw new LiveTradingError('BROKER_DOWN', 'gone'); }, io)).toBe(1);
    expect(await runCli(() => { throw new TypeError('boom\nat line 2'); }, io)).toBe(1);
    expect(await runCli(() => { throw new CliExit(4); }, io)).toBe(4);
    expect(io.err.split('\n').filter(Boolean)).toEqual([
      'CONFIG_INVALID: f.yaml: a.b: bad',
      'CONFIG_INVALID: f.yaml: a.b: bad',
      'USAGE: no run id',
      'BROKER_DOWN: gone',
      'error: boom at line 2',
    ]);
  });

  it('prints one line per configuration problem and nothing for a CliExit', () => {
    const errors = new ConfigErrors([new ConfigError('f', 'x', 'p1', 'h'), new ConfigError('f', 'y', 'p2')]);
    expect(errorLines(errors)).toEqual(['CONFIG_INVALID: f: x: p1 (hint: h)', 'CONFIG_INVALID: f: y: p2']);
    expect(errorLines(new CliExit(1))).toEqual([]);
    expect(exitCodeFor('a string')).toBe(1);
  });
});

describe('live-trading program', () => {
  it('lists the config command in --help and exits 0', async () => {
    const { code, out } = await run('--help');
    expect(code).toBe(0);
    expect(out).toContain('Usage: live-trading');
    expect(out).toMatch(/config\s+inspect the configuration/);
  });

  it('prints the package.json version for --version', async () => {
    const { code, out } = await run('--version');
    expect(code).toBe(0);
    expect(out.trim()).toBe(packageVersion());
    expect(packageVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('exits 2 with commander usage errors for an unknown command, option or missing subcommand', async () => {
    const unknownCommand = await run('bogus');
    expect(unknownCommand.code).toBe(2);
    expect(unknownCommand.err).toContain("error: unknown command 'bogus'");
    const unknownOption = await run('config', 'check', '--bogus');
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.err).toContain("error: unknown option '--bogus'");
    expect((await run()).code).toBe(2);
    expect((await run('config')).code).toBe(2);
    expect((await run('config', 'check', 'extra')).code).toBe(2);
  });

  it('config check prints the default config as YAML, with symbols and hash, and exits 0', async () => {
    const { code, out, err } = await run('config', 'check');
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(parse(out)).toStrictEqual({ live_trading: defaultConfig() });
    expect(out).toContain('# symbols: SPY, QQQ, AAPL, MSFT');
    expect(out).toMatch(/# config hash \(sha256\): [0-9a-f]{64}/);
  });

  it('config check --json prints config, symbols, paths and hash as JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lt-cli-'));
    writeFileSync(join(dir, 'live_trading.yaml'), 'live_trading:\n  risk: {kill_action: block}\n');
    writeFileSync(join(dir, 'symbols.yaml'), 'default: [NVDA]\n');
    const { code, out } = await run('config', 'check', '--config', join(dir, 'live_trading.yaml'), '--json');
    expect(code).toBe(0);
    const report = JSON.parse(out);
    expect(report.symbols).toEqual(['NVDA']);
    expect(report.symbols_path).toBe(join(dir, 'symbols.yaml'));
    expect(report.config_path).toBe(join(dir, 'live_trading.yaml'));
    expect(report.config_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(report.live_trading.risk.kill_action).toBe('block');
  });

  it('config check --symbols overrides the symbols files', async () => {
    const { code, out } = await run('config', 'check', '--json', '--symbols', 'iwm,dia');
    expect(code).toBe(0);
    expect(JSON.parse(out).symbols).toEqual(['IWM', 'DIA']);
  });

  it('config check exits 2 with one stderr line per problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lt-cli-'));
    const path = join(dir, 'live_trading.yaml');
    writeFileSync(path, 'live_trading:\n  risk: {max_drawdown_pct: 0, bogus: 1}\n');
    const { code, out, err } = await run('config', 'check', '--config', path);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err.trimEnd().split('\n')).toEqual([
      `CONFIG_INVALID: ${path}: live_trading.risk.max_drawdown_pct: must be > 0, got 0`,
      expect.stringMatching(new RegExp(`^CONFIG_INVALID: ${path}: live_trading\\.risk\\.bogus: unknown key 'bogus'`)),
    ]);
  });

  it('registers commands under one program so more can be added by one call each', () => {
    const names = buildProgram(capture()).commands.map((c) => c.name());
    expect(names).toContain('config');
    expect(buildProgram(capture()).commands.find((c) => c.name() === 'config')?.commands.map((c) => c.name())).toEqual(['check']);
  });
});
