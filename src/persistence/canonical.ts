/**
 * Canonical JSON and SHA-256: the basis of snapshot checksums and the config hash.
 *
 * Canonical means: object keys sorted by UTF-16 code unit order, no whitespace, numbers as
 * JavaScript prints them (the shortest text that parses back to the same double), so the same
 * value always gives the same text and `canonicalJson(JSON.parse(JSON.stringify(v)))` equals
 * `canonicalJson(v)`. That second property is what lets a checksum computed on the in-memory
 * payload be verified on the payload read back from disk.
 *
 * Values that JSON would silently change are refused with a typed error naming the path
 * (NaN/Infinity become null, a Map or Set becomes {}, a function vanishes): a snapshot that
 * quietly loses data is worse than one that fails loudly at write time. `undefined` follows
 * JSON: an object key holding it is left out, an array slot becomes null.
 */
import { createHash } from 'node:crypto';
import { StateError } from '../core/errors.ts';

/** sha256Hex(text) = lowercase hex SHA-256 of the UTF-8 bytes of text. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** canonicalJson(v) = JSON text of v with object keys sorted at every depth, no whitespace. */
export function canonicalJson(value: unknown): string {
  const parts: string[] = [];
  const path: (string | number)[] = [];
  if (!write(value, parts, path)) throw notJson('undefined', path, 'the value itself is undefined');
  return parts.join('');
}

/** checksumOf(v) = sha256Hex(canonicalJson(v)). */
export function checksumOf(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

function isFiniteNumber(x: unknown): boolean {
  return typeof x === 'number' && Number.isFinite(x);
}

function notJson(kind: string, path: (string | number)[], why: string): StateError {
  const where = path.length === 0 ? '<root>' : path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
  return new StateError('STATE_NOT_JSON', `value at ${where} is ${kind}: ${why}`, {
    input: where,
    hint: 'snapshots and hashed documents must be plain JSON (finite numbers, plain objects, arrays, strings, booleans, null)',
  });
}

/** Appends the canonical text of `value` to `parts`; returns false when value is undefined (omitted). */
function write(value: unknown, parts: string[], path: (string | number)[]): boolean {
  switch (typeof value) {
    case 'string':
      parts.push(JSON.stringify(value));
      return true;
    case 'number':
      if (!Number.isFinite(value)) throw notJson(String(value), path, 'JSON would turn it into null');
      parts.push(String(value)); // String(-0) === '0', as in JSON.stringify
      return true;
    case 'boolean':
      parts.push(value ? 'true' : 'false');
      return true;
    case 'undefined':
      return false;
    case 'bigint':
      throw notJson('a bigint', path, 'JSON cannot represent it');
    case 'function':
    case 'symbol':
      throw notJson(`a ${typeof value}`, path, 'JSON would silently drop it');
  }
  if (value === null) {
    parts.push('null');
    return true;
  }
  const obj = value as { toJSON?: () => unknown };
  if (typeof obj.toJSON === 'function') return write(obj.toJSON(), parts, path);
  if (Array.isArray(value)) {
    // Fast path for the bulk of a snapshot (rolling windows): for finite numbers V8's own
    // stringify prints exactly our form, several times faster than one push per element.
    if (value.every(isFiniteNumber)) {
      parts.push(JSON.stringify(value));
      return true;
    }
    parts.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) parts.push(',');
      path.push(i);
      if (!write(value[i], parts, path)) parts.push('null');
      path.pop();
    }
    parts.push(']');
    return true;
  }
  if (value instanceof Map || value instanceof Set) {
    throw notJson(`a ${value instanceof Map ? 'Map' : 'Set'}`, path, 'JSON would turn it into {}');
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  parts.push('{');
  let first = true;
  for (const key of keys) {
    const mark = parts.length;
    parts.push(first ? '' : ',', JSON.stringify(key), ':');
    path.push(key);
    const written = write(record[key], parts, path);
    path.pop();
    if (written) first = false;
    else parts.length = mark; // undefined member: drop its key, as JSON does
  }
  parts.push('}');
  return true;
}
