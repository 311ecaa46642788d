/**
 * `live-trading diagram`: write the state-machine diagrams generated from the machine definitions
 * (SPEC 10): `<name>.mmd` (Mermaid) and `<name>.md` (the diagram, the state descriptions and, for
 * the order machine, its transition table) for engine, symbol, supervisor and order.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.ts';
import { machineDocFiles } from '../../observability/diagram.ts';
import { outputOf } from '../run-cli.ts';

interface DiagramOptions {
  out: string;
  format?: string;
}

const FORMATS = { mermaid: 'mermaid', md: 'md' } as const;

export function registerDiagramCommand(program: Command): void {
  program
    .command('diagram')
    .description('write Mermaid diagrams of the engine, symbol, supervisor and order machines, generated from their definitions')
    .option('--out <dir>', 'output directory', 'docs/machines')
    .option('--format <format>', 'mermaid (<name>.mmd) or md (<name>.md); both when omitted')
    .action((options: DiagramOptions, command: Command) => {
      const format = options.format === undefined ? 'both' : FORMATS[options.format as keyof typeof FORMATS];
      if (!format) {
        throw new UsageError('DIAGRAM_FORMAT', `unknown diagram format '${options.format}'`, { input: options.format, hint: 'use --format mermaid or --format md' });
      }
      const dir = resolve(options.out);
      mkdirSync(dir, { recursive: true });
      const io = outputOf(command);
      for (const { file, content } of machineDocFiles(format)) {
        const path = join(dir, file);
        writeFileSync(path, content);
        io.stdout(`wrote ${path}\n`);
      }
    });
}
