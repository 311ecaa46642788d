/**
 * The snapshot envelope: what every `state-<cycle>.json` holds, and the checks a file must pass
 * before the engine trusts it (SPEC 8: validated with zod + checksum; a bad file is explained,
 * never silently used).
 */
import { z } from 'zod';
import { StateError } from '../core/errors.ts';
import { canonicalJson, checksumOf, sha256Hex } from './canonical.ts';

export interface SnapshotEnvelope<T> {
  schemaVersion: number;
  runId: string;
  cycle: number;
  /** Engine clock (virtual in replay/backtest), not wall clock: a replayed run writes the same file. */
  writtenAtMs: number;
  configHash: string;
  /** sha256 hex of canonicalJson(payload). */
  checksum: string;
  payload: T;
}

/** What `write` takes: the checksum is computed by the store; schemaVersion defaults to the store's. */
export type SnapshotInput<T> = Omit<SnapshotEnvelope<T>, 'checksum' | 'schemaVersion'> & { schemaVersion?: number };

/** The largest cycle a 10-digit file name can carry. */
export const MAX_CYCLE = 9_999_999_999;

const EnvelopeSchema = z.strictObject({
  schemaVersion: z.number().int(),
  runId: z.string().min(1),
  cycle: z.number().int().min(0).max(MAX_CYCLE),
  writtenAtMs: z.number().finite(),
  configHash: z.string(),
  checksum: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex characters'),
  payload: z.unknown().refine((p) => p !== undefined, 'payload is missing'),
});

export type Verdict<T> = { ok: true; envelope: SnapshotEnvelope<T> } | { ok: false; reason: string };

/** issuePath(['payload','a',3]) = 'payload.a[3]': the location a user can search for in the file. */
function issuePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '<root>';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

/** zodReason(error, prefix) = the first three issues as `path: message`, joined by '; '. */
export function zodReason(error: z.ZodError, prefix: readonly PropertyKey[] = []): string {
  const shown = error.issues.slice(0, 3).map((issue) => `${issuePath([...prefix, ...issue.path])}: ${issue.message}`);
  const more = error.issues.length > 3 ? ` (+${error.issues.length - 3} more)` : '';
  return shown.join('; ') + more;
}

/**
 * verifyEnvelope(raw) checks, in order: schema version (first, because a file from another
 * version of the engine fails everything else for an uninteresting reason), envelope shape,
 * cycle agrees with the file name, checksum, then the payload schema.
 */
export function verifyEnvelope<T>(
  raw: unknown,
  expected: { schemaVersion: number; cycle: number; payloadSchema?: z.ZodType<T> | undefined },
  fileText?: string,
): Verdict<T> {
  const version = (raw as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof version === 'number' && version !== expected.schemaVersion) {
    return { ok: false, reason: `schema version ${version}, expected ${expected.schemaVersion}` };
  }
  const shape = EnvelopeSchema.safeParse(raw);
  if (!shape.success) return { ok: false, reason: `envelope invalid: ${zodReason(shape.error)}` };
  const envelope = shape.data as SnapshotEnvelope<unknown>;
  if (envelope.cycle !== expected.cycle) {
    return { ok: false, reason: `cycle ${envelope.cycle} inside a file named for cycle ${expected.cycle}` };
  }
  let actual: string;
  try {
    // The writer stores the payload last, as exactly the text it hashed: hash those bytes as found
    // (no re-serialization of a large payload). Without the file text, re-canonicalize.
    const payloadText = fileText === undefined ? null : payloadTextOf(fileText);
    actual = payloadText === null ? checksumOf(envelope.payload) : sha256Hex(payloadText);
  } catch (err) {
    return { ok: false, reason: `payload not hashable: ${(err as Error).message}` };
  }
  if (actual !== envelope.checksum) {
    return { ok: false, reason: `checksum mismatch (file says ${envelope.checksum.slice(0, 12)}..., payload hashes to ${actual.slice(0, 12)}...)` };
  }
  if (expected.payloadSchema) {
    const payload = expected.payloadSchema.safeParse(envelope.payload);
    if (!payload.success) return { ok: false, reason: `payload invalid: ${zodReason(payload.error, ['payload'])}` };
    return { ok: true, envelope: { ...envelope, payload: payload.data } };
  }
  return { ok: true, envelope: envelope as SnapshotEnvelope<T> };
}

/**
 * The payload's text inside a snapshot file: after the first `,"payload":` (no JSON string can hold
 * that sequence unescaped, and the head holds only strings and numbers) up to the final `}`.
 */
export function payloadTextOf(fileText: string): string | null {
  const start = fileText.indexOf(',"payload":');
  const end = fileText.lastIndexOf('}');
  if (start < 0 || end <= start) return null;
  return fileText.slice(start + ',"payload":'.length, end);
}

/** A sealed envelope and the canonical text of its payload (hashed once, written as is). */
export interface Sealed<T> {
  envelope: SnapshotEnvelope<T>;
  payloadJson: string;
}

/** sealEnvelope(input) = the envelope with its checksum, or a StateError if it could never be loaded back. */
export function sealEnvelope<T>(
  input: SnapshotInput<T>,
  store: { schemaVersion: number; payloadSchema?: z.ZodType<T> | undefined; canonical?: boolean },
): Sealed<T> {
  const schemaVersion = input.schemaVersion ?? store.schemaVersion;
  const problem = (what: string) =>
    new StateError('STATE_WRITE_INVALID', `refusing to write snapshot for cycle ${input.cycle}: ${what}`, {
      hint: 'a snapshot that fails validation now would be rejected at the next restart',
    });
  if (schemaVersion !== store.schemaVersion) throw problem(`schema version ${schemaVersion}, store expects ${store.schemaVersion}`);
  if (!Number.isInteger(input.cycle) || input.cycle < 0 || input.cycle > MAX_CYCLE) throw problem(`cycle must be an integer in [0, ${MAX_CYCLE}]`);
  if (!Number.isFinite(input.writtenAtMs)) throw problem(`writtenAtMs ${input.writtenAtMs} is not a finite time`);
  if (typeof input.runId !== 'string' || input.runId.length === 0) throw problem('runId is empty');
  if (typeof input.configHash !== 'string') throw problem('configHash is not a string');
  if (store.payloadSchema) {
    const payload = store.payloadSchema.safeParse(input.payload);
    if (!payload.success) throw problem(`payload invalid: ${zodReason(payload.error, ['payload'])}`);
  }
  // Canonical text throws STATE_NOT_JSON with the path of a NaN, Map, ...; plain text is the fast path.
  const payloadJson = store.canonical === false ? JSON.stringify(input.payload) : canonicalJson(input.payload);
  const envelope = {
    schemaVersion,
    runId: input.runId,
    cycle: input.cycle,
    writtenAtMs: input.writtenAtMs,
    configHash: input.configHash,
    checksum: sha256Hex(payloadJson),
    payload: input.payload,
  };
  return { envelope, payloadJson };
}

/**
 * envelopeJson(sealed) = the file text: the envelope fields in their fixed order, then the payload
 * as the canonical text already hashed (saves a second serialization of a large payload, and the
 * file's payload is byte-for-byte what the checksum covers).
 */
export function envelopeJson<T>({ envelope, payloadJson }: Sealed<T>): string {
  const { payload: _payload, ...head } = envelope;
  return `${JSON.stringify(head).slice(0, -1)},"payload":${payloadJson}}`;
}
