/**
 * The snapshot envelope: what every `state-<cycle>.json` holds, and the checks a file must pass
 * before the engine trusts it (SPEC 8: validated with zod + checksum; a bad file is explained,
 * never silently used).
 */
import { createHash } from 'node:crypto';
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
  /**
   * sha256 hex of the payload's text (canonical JSON unless the store says plain), followed by
   * `,"binary":<reference>` when the snapshot has a binary section: the file text after
   * `"payload":` up to the envelope's closing brace.
   */
  checksum: string;
  payload: T;
  /**
   * Bulk binary state (the engine's packed window lanes). On disk it is a sidecar file next to
   * the JSON document, which holds its reference (`BinaryRef`, covered by the checksum); the
   * store writes, verifies and prunes the two together.
   */
  binary?: Uint8Array;
}

/**
 * The JSON document's reference to its binary sidecar: file name, length, the lengths of the
 * parts it was written in, and `sha256` = SHA-256 of the concatenated SHA-256 digests of the
 * parts, in order (a hash list: each part is hashed by libuv's pool while the next is built).
 */
export interface BinaryRef {
  file: string;
  bytes: number;
  parts: number[];
  sha256: string;
}

const BinaryRefSchema = z
  .strictObject({
    file: z.string().min(1),
    bytes: z.number().int().min(0),
    parts: z.array(z.number().int().min(0)),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex characters'),
  })
  .refine((ref) => ref.parts.reduce((a, b) => a + b, 0) === ref.bytes, 'parts do not add up to bytes');

/** binaryRefJson(ref) = its JSON text with the keys in a fixed order (part of the checksummed text). */
export function binaryRefJson(ref: BinaryRef): string {
  return JSON.stringify({ file: ref.file, bytes: ref.bytes, parts: ref.parts, sha256: ref.sha256 });
}

/** hashListHex(digests) = SHA-256 hex of the part digests concatenated in order. */
export function hashListHex(digests: readonly Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const digest of digests) hash.update(digest);
  return hash.digest('hex');
}

/** partDigest(part) = SHA-256 of the bytes, computed in libuv's pool (WebCrypto copies the input first). */
export async function partDigest(part: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', part));
}

const PAYLOAD_KEY = ',"payload":';
const BINARY_KEY = ',"binary":';

/**
 * Binary bytes produced region by region, in order: `emit` each region as soon as it is final,
 * so the store can write it while the next one is built. The regions must stay unchanged until
 * the write settles.
 */
export type BinaryProducer = (emit: (region: Uint8Array) => void) => void;

/**
 * What `write` takes: the checksum is computed by the store; schemaVersion defaults to the
 * store's; binary bytes come whole or from a producer.
 */
export type SnapshotInput<T> = Omit<SnapshotEnvelope<T>, 'checksum' | 'schemaVersion' | 'binary'> & { schemaVersion?: number; binary?: Uint8Array | BinaryProducer };

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
  binary: BinaryRefSchema.optional(),
});

/** A valid envelope (without its binary bytes: `binary` says which sidecar to read and check). */
export type Verdict<T> = { ok: true; envelope: SnapshotEnvelope<T>; binary?: BinaryRef } | { ok: false; reason: string };

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
    return { ok: false, reason: `schema version ${version}, expected ${expected.schemaVersion} (written by ${typeof version === 'number' && version < expected.schemaVersion ? 'an older' : 'another'} engine version)` };
  }
  const shape = EnvelopeSchema.safeParse(raw);
  if (!shape.success) return { ok: false, reason: `envelope invalid: ${zodReason(shape.error)}` };
  const { binary: ref, ...envelope } = shape.data as Omit<SnapshotEnvelope<unknown>, 'binary'> & { binary?: BinaryRef };
  if (envelope.cycle !== expected.cycle) {
    return { ok: false, reason: `cycle ${envelope.cycle} inside a file named for cycle ${expected.cycle}` };
  }
  let actual: string;
  try {
    // The writer stores the payload last, as exactly the text it hashed: hash those bytes as found
    // (no re-serialization of a large payload). Without the file text, re-canonicalize.
    const payloadText = fileText === undefined ? null : payloadTextOf(fileText);
    actual = payloadText !== null ? sha256Hex(payloadText) : ref === undefined ? checksumOf(envelope.payload) : sha256Hex(canonicalJson(envelope.payload) + BINARY_KEY + binaryRefJson(ref));
  } catch (err) {
    return { ok: false, reason: `payload not hashable: ${(err as Error).message}` };
  }
  if (actual !== envelope.checksum) {
    return { ok: false, reason: `checksum mismatch (file says ${envelope.checksum.slice(0, 12)}..., payload hashes to ${actual.slice(0, 12)}...)` };
  }
  let payload = envelope.payload as T;
  if (expected.payloadSchema) {
    const parsed = expected.payloadSchema.safeParse(envelope.payload);
    if (!parsed.success) return { ok: false, reason: `payload invalid: ${zodReason(parsed.error, ['payload'])}` };
    payload = parsed.data;
  }
  return ref === undefined ? { ok: true, envelope: { ...envelope, payload } } : { ok: true, envelope: { ...envelope, payload }, binary: ref };
}

/**
 * The payload's text inside a snapshot file: after the first `,"payload":` (no JSON string can hold
 * that sequence unescaped, and the head holds only strings and numbers) up to the final `}`.
 */
export function payloadTextOf(fileText: string): string | null {
  const start = fileText.indexOf(PAYLOAD_KEY);
  const end = fileText.lastIndexOf('}');
  if (start < 0 || end <= start) return null;
  return fileText.slice(start + PAYLOAD_KEY.length, end);
}

/**
 * A sealed envelope and the text after its `"payload":` key: the payload's text, then the binary
 * reference if any (hashed once, written as is).
 */
export interface Sealed<T> {
  envelope: SnapshotEnvelope<T>;
  payloadJson: string;
}

function writeProblem(cycle: number, what: string): StateError {
  return new StateError('STATE_WRITE_INVALID', `refusing to write snapshot for cycle ${cycle}: ${what}`, {
    hint: 'a snapshot that fails validation now would be rejected at the next restart',
  });
}

/** checkHead(input, schemaVersion) throws the StateError sealEnvelope would for a bad head field (cheap: no payload work). */
export function checkHead(input: SnapshotInput<unknown>, storeSchemaVersion: number): void {
  const schemaVersion = input.schemaVersion ?? storeSchemaVersion;
  const problem = (what: string) => writeProblem(input.cycle, what);
  if (schemaVersion !== storeSchemaVersion) throw problem(`schema version ${schemaVersion}, store expects ${storeSchemaVersion}`);
  if (!Number.isInteger(input.cycle) || input.cycle < 0 || input.cycle > MAX_CYCLE) throw problem(`cycle must be an integer in [0, ${MAX_CYCLE}]`);
  if (!Number.isFinite(input.writtenAtMs)) throw problem(`writtenAtMs ${input.writtenAtMs} is not a finite time`);
  if (typeof input.runId !== 'string' || input.runId.length === 0) throw problem('runId is empty');
  if (typeof input.configHash !== 'string') throw problem('configHash is not a string');
  if (input.binary !== undefined && !(input.binary instanceof Uint8Array) && typeof input.binary !== 'function') throw problem('binary is neither bytes nor a producer');
}

/** sealEnvelope(input) = the envelope with its checksum, or a StateError if it could never be loaded back. */
export function sealEnvelope<T>(
  input: SnapshotInput<T>,
  store: { schemaVersion: number; payloadSchema?: z.ZodType<T> | undefined; canonical?: boolean },
  binary?: BinaryRef,
): Sealed<T> {
  checkHead(input, store.schemaVersion);
  const schemaVersion = input.schemaVersion ?? store.schemaVersion;
  const problem = (what: string) => writeProblem(input.cycle, what);
  if ((input.binary === undefined) !== (binary === undefined)) throw problem('binary bytes and their sidecar reference must come together');
  if (store.payloadSchema) {
    const payload = store.payloadSchema.safeParse(input.payload);
    if (!payload.success) throw problem(`payload invalid: ${zodReason(payload.error, ['payload'])}`);
  }
  // Canonical text throws STATE_NOT_JSON with the path of a NaN, Map, ...; plain text is the fast path.
  const payloadText = store.canonical === false ? JSON.stringify(input.payload) : canonicalJson(input.payload);
  const payloadJson = binary === undefined ? payloadText : payloadText + BINARY_KEY + binaryRefJson(binary);
  const envelope = {
    schemaVersion,
    runId: input.runId,
    cycle: input.cycle,
    writtenAtMs: input.writtenAtMs,
    configHash: input.configHash,
    checksum: sha256Hex(payloadJson),
    payload: input.payload,
    ...(input.binary instanceof Uint8Array ? { binary: input.binary } : {}),
  };
  return { envelope, payloadJson };
}

/**
 * envelopeJson(sealed) = the file text: the envelope fields in their fixed order, then the payload
 * as the canonical text already hashed (saves a second serialization of a large payload, and the
 * file's payload is byte-for-byte what the checksum covers).
 */
export function envelopeJson<T>({ envelope, payloadJson }: Sealed<T>): string {
  const { payload: _payload, binary: _binary, ...head } = envelope;
  return `${JSON.stringify(head).slice(0, -1)},"payload":${payloadJson}}`;
}
