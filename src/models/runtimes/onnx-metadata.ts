/**
 * Reads `metadata_props` (ModelProto field 14, StringStringEntryProto {key = 1, value = 2})
 * from an ONNX file. onnxruntime-node does not expose custom metadata, and one repeated field
 * of string pairs does not justify a protobuf schema dependency: this walks the top-level
 * protobuf wire format and skips every other field (the graph included) by its length.
 */

interface Cursor {
  bytes: Uint8Array;
  pos: number;
}

/** Base-128 varint; numbers above 2^53 lose precision, which only matters for skipped fields. */
function varint(c: Cursor): number {
  let result = 0;
  let scale = 1;
  for (;;) {
    if (c.pos >= c.bytes.length) throw new Error('truncated varint');
    const b = c.bytes[c.pos++];
    result += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return result;
    scale *= 128;
    if (scale > 2 ** 63) throw new Error('varint too long');
  }
}

/** Calls visit(field, payload) for each length-delimited field; skips the other wire types. */
function forEachField(bytes: Uint8Array, visit: (field: number, payload: Uint8Array) => void): void {
  const c: Cursor = { bytes, pos: 0 };
  while (c.pos < bytes.length) {
    const key = varint(c);
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) varint(c);
    else if (wire === 1) c.pos += 8;
    else if (wire === 5) c.pos += 4;
    else if (wire === 2) {
      const len = varint(c);
      if (c.pos + len > bytes.length) throw new Error('length-delimited field runs past the end');
      visit(field, bytes.subarray(c.pos, c.pos + len));
      c.pos += len;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
    if (c.pos > bytes.length) throw new Error('field runs past the end');
  }
}

/** metadata_props of an ONNX ModelProto as a Map; throws on a malformed protobuf. */
export function readOnnxMetadata(bytes: Uint8Array): Map<string, string> {
  const props = new Map<string, string>();
  const decoder = new TextDecoder('utf-8');
  forEachField(bytes, (field, payload) => {
    if (field !== 14) return;
    let key = '';
    let value = '';
    forEachField(payload, (f, p) => {
      if (f === 1) key = decoder.decode(p);
      else if (f === 2) value = decoder.decode(p);
    });
    props.set(key, value);
  });
  return props;
}
