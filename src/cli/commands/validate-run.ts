/**
 * `live-trading validate-run`: every check `run` makes on a training run (SPEC 6), as a table:
 * per model directory its horizon/role, view, family, format, features, checksum and interval,
 * then each problem and warning on its own line and a final `OK` or `N problems`.
 * Exit 0 when the run would load, 1 when it would not, 2 for usage/configuration errors.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config/loader.ts';
import { UsageError } from '../../core/errors.ts';
import { closeRuntimes, inspectRun, resolveRunRoot, type ModelReport, type RunInspection } from '../../models/index.ts';
import { CliExit, outputOf } from '../run-cli.ts';

interface ValidateRunOptions {
  runId?: string;
  runRoot?: string;
  resultsRoot?: string;
  dataInterval: string;
  config?: string;
  symbols?: string;
  json?: boolean;
}

export function registerValidateRunCommand(program: Command): void {
  program
    .command('validate-run')
    .description('check a training run the way `run` loads it: checksums, intervals, features, horizon mapping')
    .option('--run-id <id>', 'training run id: the newest <timestamp> under <results-root>/runs/<id>/')
    .option('--run-root <path>', 'one training run root directory (<results_root>/runs/<id>/<timestamp>)')
    .option('--results-root <path>', 'TRAINING results root for --run-id (default: $LT_RESULTS_ROOT, else ./results)')
    .option('--data-interval <minutes>', 'bar interval of the data the models will see (1440 or 390 = daily)', '1')
    .option('--config <path>', 'config file (default config/live_trading.yaml): horizons and the models section')
    .option('--symbols <list>', 'comma-separated traded symbols (SYMBOL_SPECIFIC models of others are not loaded)')
    .option('--json', 'print the report as JSON')
    .action(async (options: ValidateRunOptions, command: Command) => {
      const out = outputOf(command);
      const barMinutes = Number(options.dataInterval);
      if (!Number.isInteger(barMinutes) || barMinutes <= 0) {
        throw new UsageError('BAD_OPTION', `--data-interval must be a positive whole number of minutes, got '${options.dataInterval}'`);
      }
      const runRoot = resolveRunRoot({ runId: options.runId, runRoot: options.runRoot, resultsRoot: options.resultsRoot });
      const { config } = loadConfig({ configPath: options.config });
      const symbols = options.symbols ? options.symbols.split(',').map((s) => s.trim()).filter((s) => s !== '') : null;
      const inspection = await inspectRun(runRoot, { config, barMinutes, symbols });
      await closeRuntimes(inspection.models);
      const problems = inspection.problems.flatMap((p) => p.message.split('\n'));
      out.stdout(options.json ? renderJson(inspection, problems) : renderTable(inspection, problems));
      if (problems.length > 0) throw new CliExit(1);
    });
}

function featureCell(r: ModelReport): string {
  if (r.nFeatures === null) return '-';
  if (r.inputMode === 'raw_sequence') return `${r.nFeatures} channels (raw sequence)`;
  return r.unknownFeatures.length > 0 ? `${r.nFeatures}, unknown: ${r.unknownFeatures.join(',')}` : `${r.nFeatures}, all known`;
}

function checksumCell(r: ModelReport): string {
  return { ok: 'ok', mismatch: 'MISMATCH', null: 'null (warning)', unchecked: '-' }[r.checksum];
}

function intervalCell(r: ModelReport): string {
  if (r.interval.model === null) return '-';
  return r.interval.ok ? `ok (${r.interval.model}m)` : `MISMATCH (model ${r.interval.model}m, data ${r.interval.data}m)`;
}

/** A problem belongs to a row when it names a file inside the row's directory. */
function statusCell(r: ModelReport, problems: readonly string[]): string {
  if (problems.some((p) => p.includes(`${r.dir}/`) || p.endsWith(r.dir) || p.includes(`${r.dir}:`))) return 'PROBLEM';
  if (r.used) return 'ok';
  return r.horizon === null ? 'unused (no horizon)' : 'not loaded';
}

/** Columns padded to their widest cell. */
function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  return rows.map((row) => row.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n');
}

function renderTable(inspection: RunInspection, problems: string[]): string {
  const header = ['TARGET', 'HORIZON', 'ROLE', 'VIEW', 'FAMILY', 'FORMAT', 'FEATURES', 'CHECKSUM', 'INTERVAL', 'STATUS'];
  const rows = inspection.reports.map((r) => [
    r.target,
    r.horizon ?? '-',
    r.role ?? '-',
    r.symbol ? `${r.view}:${r.symbol}` : r.view,
    r.family,
    r.format ?? '-',
    featureCell(r),
    checksumCell(r),
    intervalCell(r),
    statusCell(r, problems),
  ]);
  const lines = [`run root: ${inspection.runRoot}`];
  if (inspection.manifest) lines.push(`run id: ${inspection.manifest.run_id}, timestamp: ${inspection.manifest.timestamp}`);
  lines.push('', rows.length > 0 ? table([header, ...rows]) : '(no model directories)', '');
  const served = [...new Set(inspection.slots.map((s) => s.horizon))];
  lines.push(`horizons with models: ${served.join(', ') || 'none'}; features needed: ${inspection.featureNames.length}`);
  const shorten = (line: string): string => line.split(inspection.runRoot + '/').join('');
  if (inspection.warnings.length > 0) lines.push('', 'warnings:', ...inspection.warnings.map((w) => `  ${shorten(w)}`));
  if (problems.length > 0) lines.push('', 'problems:', ...problems.map((p) => `  ${shorten(p)}`));
  lines.push('', problems.length === 0 ? 'OK' : `${problems.length} problem${problems.length === 1 ? '' : 's'}`);
  return `${lines.join('\n')}\n`;
}

function renderJson(inspection: RunInspection, problems: string[]): string {
  const report = {
    run_root: inspection.runRoot,
    manifest: inspection.manifest,
    ok: problems.length === 0,
    problems,
    warnings: inspection.warnings,
    models: inspection.reports.map((r) => ({ ...r, status: statusCell(r, problems) })),
    slots: inspection.slots,
    feature_names: inspection.featureNames,
  };
  return `${JSON.stringify(report, null, 2)}\n`;
}
