/**
 * Reading one YAML config file into plain data. Every failure becomes a ConfigError that names
 * the file (and the line:col for syntax errors), so the user sees one clear line.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { ConfigError, ConfigErrors } from '../core/errors.ts';

/** Parsed content of a YAML file; `undefined` for an empty file (or one holding only comments). */
export function readYamlFile(path: string, missingHint: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigErrors([new ConfigError(path, '', 'file not found', missingHint)]);
    throw new ConfigErrors([new ConfigError(path, '', `cannot read file (${code ?? String(error)})`)]);
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigErrors(
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        const where = pos ? `line ${pos.line}:${pos.col}` : `offset ${e.pos[0]}`;
        const hint = e.code === 'DUPLICATE_KEY' ? 'a key may appear only once in a mapping' : 'check indentation, colons and quotes there';
        return new ConfigError(path, '', `invalid YAML at ${where}: ${firstLine(e.message)}`, hint);
      }),
    );
  }
  try {
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    return value === null ? undefined : value;
  } catch (error) {
    throw new ConfigErrors([new ConfigError(path, '', `invalid YAML: ${firstLine(String((error as Error).message))}`)]);
  }
}

// yaml's messages carry the location and a code excerpt on later lines; we already give line:col.
function firstLine(message: string): string {
  return (message.split('\n')[0] ?? '').replace(/\s*at line \d+, column \d+:?\s*$/, '').trim();
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** YAML-ish name of a value's type for messages: "string 'abc'", "list", "mapping", "null". */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `string '${value}'`;
  return `${typeof value} ${String(value)}`;
}
