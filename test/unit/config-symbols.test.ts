import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveSymbols } from '../../src/config/loader.ts';
import { SymbolsFileSchema } from '../../src/config/schema.ts';
import { configErrorLines, tempDir } from './config-helpers.ts';

const symbolsConfig = SymbolsFileSchema.parse({ universe: ['SPY', 'QQQ'], default: ['AAPL', 'MSFT'] });

const symbolsFile = (content: string): string => join(tempDir({ 'mine.yaml': content }), 'mine.yaml');

describe('resolveSymbols: --symbols > --symbols-file > symbols.yaml default', () => {
  it('uses the default list of symbols.yaml when nothing else is given', () => {
    expect(resolveSymbols({ symbolsConfig })).toEqual(['AAPL', 'MSFT']);
  });

  it('prefers --symbols over a symbols file and symbols.yaml; upper-cases, trims and de-duplicates in order', () => {
    const file = symbolsFile('default: [NVDA]\n');
    expect(resolveSymbols({ symbols: ' spy, qqq ,SPY,,brk.b ', symbolsFile: file, symbolsConfig })).toEqual(['SPY', 'QQQ', 'BRK.B']);
  });

  it('prefers the default list of --symbols-file over symbols.yaml', () => {
    expect(resolveSymbols({ symbolsFile: symbolsFile('universe: [DIA]\ndefault: [NVDA, AMD, NVDA]\n'), symbolsConfig })).toEqual(['NVDA', 'AMD']);
  });

  it('without a default list, takes universe + sectors (as a list) + stocks from the file, de-duplicated in order', () => {
    const file = symbolsFile('universe: [SPY, QQQ]\nsectors: [XLK, SPY, XLF]\nstocks: [AAPL, XLK]\n');
    expect(resolveSymbols({ symbolsFile: file, symbolsConfig })).toEqual(['SPY', 'QQQ', 'XLK', 'XLF', 'AAPL']);
  });

  it('without a default list, takes sectors given as a map in file order', () => {
    const file = symbolsFile('sectors:\n  tech: [AAPL, MSFT]\n  energy: [XOM, AAPL]\nstocks: [JPM]\n');
    expect(resolveSymbols({ symbolsFile: file, symbolsConfig })).toEqual(['AAPL', 'MSFT', 'XOM', 'JPM']);
  });

  it('resolves a relative --symbols-file against cwd', () => {
    const file = symbolsFile('default: [TSLA]\n');
    expect(resolveSymbols({ symbolsFile: 'mine.yaml', cwd: join(file, '..'), symbolsConfig })).toEqual(['TSLA']);
  });

  it('rejects an empty result naming its source', () => {
    expect(configErrorLines(() => resolveSymbols({ symbolsConfig: SymbolsFileSchema.parse({ default: [] }), symbolsConfigPath: '/x/symbols.yaml' }))).toEqual([
      'CONFIG_INVALID: /x/symbols.yaml: default: no symbols to trade: the list is empty (hint: list at least one ticker under default, or pass --symbols)',
    ]);
    expect(configErrorLines(() => resolveSymbols({ symbols: ' , ', symbolsConfig }))[0]).toContain('command line: --symbols: no symbols to trade');
    const file = symbolsFile('default: []\nuniverse: [SPY]\n');
    expect(configErrorLines(() => resolveSymbols({ symbolsFile: file, symbolsConfig }))[0]).toContain(`${file}: default: no symbols to trade`);
  });

  it('rejects an invalid ticker naming it', () => {
    expect(configErrorLines(() => resolveSymbols({ symbols: 'SPY,S P Y,$X', symbolsConfig }))).toEqual([
      expect.stringContaining("command line: --symbols: invalid ticker 'S P Y'"),
      expect.stringContaining("command line: --symbols: invalid ticker '$X'"),
    ]);
  });

  it('reports a missing or invalid --symbols-file with its path', () => {
    expect(configErrorLines(() => resolveSymbols({ symbolsFile: '/nonexistent/s.yaml', symbolsConfig }))[0]).toContain('/nonexistent/s.yaml: <root>: file not found');
    const bad = symbolsFile('stocks: [AAPL]\nbogus: 1\n');
    expect(configErrorLines(() => resolveSymbols({ symbolsFile: bad, symbolsConfig }))[0]).toContain(`${bad}: bogus: unknown key 'bogus'`);
  });
});
