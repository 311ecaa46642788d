/**
 * The two hot loops of tree-kernel.ts as a WebAssembly module, written out byte by byte:
 * `forest` (the branch-free walk) and `encode` (rows -> the encoded columns the walk reads).
 *
 * Why WebAssembly: the walk is ~1.8 million load-compare steps per cycle at 500 symbols x 12
 * tree models. As generated JavaScript each step cost ~20 instructions (typed-array bounds
 * checks, int32 overflow checks, register spills), here ~10: wasm memory needs no bounds checks
 * (V8 guards it with unmapped pages) and nothing is tagged. Measured on the bench models (100
 * trees of depth 6, 500 rows, 2 cores): walk ~0.25 ms per model against ~0.4 ms in JavaScript;
 * encoding ~0.06 ms against ~0.2 ms (JavaScript compiled its NaN checks and selects to branches).
 *
 * Why written by hand: the module is two small functions over ~40 distinct MVP opcodes; an
 * assembler from npm (wabt, binaryen: megabytes of emscripten output) would be a runtime
 * dependency or a build step with a checked-in binary for that. The bytes follow the
 * WebAssembly 1.0 binary format; the tests check them with `WebAssembly.validate` and pin the
 * results to the node-array walks bit for bit.
 *
 * Nothing from a model reaches the code: its only inputs are the precision and the constants
 * below; every model-dependent number is data in memory.
 */

/** Rows walked side by side (independent load-compare chains); measured best among 6..16. */
export const LANES = 10;
/** Row blocks per tile: every tree runs over ~60 rows before the next tree, so their encoded rows stay in L1. */
export const TILE_BLOCKS = 6;

/** Memory layout constants per precision: value width W, node record size S = 2W, column offset in the record. */
export function recordLayout(precision: 'float64' | 'float32'): { width: number; record: number; columnAt: number } {
  return precision === 'float64' ? { width: 8, record: 16, columnAt: 8 } : { width: 4, record: 8, columnAt: 4 };
}

// MVP opcodes used below.
const OP = {
  block: 0x02, loop: 0x03, end: 0x0b, br: 0x0c, brIf: 0x0d, select: 0x1b,
  get: 0x20, set: 0x21, tee: 0x22,
  i32Load: 0x28, f32Load: 0x2a, f64Load: 0x2b, f32Store: 0x38, f64Store: 0x39,
  i32Const: 0x41, i32Eqz: 0x45, i32GtU: 0x4b, i32GeU: 0x4f, f32Gt: 0x5e,
  f64Gt: 0x64,
  i32Add: 0x6a, i32Sub: 0x6b, i32Mul: 0x6c, i32DivU: 0x6e, i32RemU: 0x70, i32And: 0x71, i32Or: 0x72, i32Shl: 0x74, i32ShrU: 0x76,
  f32Add: 0x92, f64Add: 0xa0, f32DemoteF64: 0xb6, f64PromoteF32: 0xbb,
  i64Load: 0x29, i64Store: 0x37, i64Const: 0x42, i64Eqz: 0x50, i64GtU: 0x56,
  i64Sub: 0x7d, i64And: 0x83, i64Or: 0x84, i64Xor: 0x85, i64Shl: 0x86, i64ShrU: 0x88,
  i64ExtendI32U: 0xad, i64ReinterpretF64: 0xbd, f64ReinterpretI64: 0xbf,
} as const;
const VOID = 0x40;
const I32 = 0x7f;
const I64 = 0x7e;
const F64 = 0x7c;

/** Unsigned LEB128 (used for every count, index and memory offset). */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (i32.const immediates). */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const vector = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (s: string): number[] => vector([...s].map((ch) => [ch.charCodeAt(0)]));
const get = (i: number): number[] => [OP.get, ...uleb(i)];
const set = (i: number, ...value: number[][]): number[] => [...value.flat(), OP.set, ...uleb(i)];
const i32 = (n: number): number[] => [OP.i32Const, ...sleb(n)];
const i32Load = (offset: number): number[] => [OP.i32Load, 2, ...uleb(offset)];
const f64Load = (offset: number): number[] => [OP.f64Load, 3, ...uleb(offset)];
/** `while (!(a >= b)) { body }` as block/loop: exits when the unsigned compare holds. */
const until = (a: number[], b: number[], body: number[]): number[] =>
  [OP.block, VOID, OP.loop, VOID, ...a, ...b, OP.i32GeU, OP.brIf, 1, ...body, OP.br, 0, OP.end, OP.end];

/** A precision's value ops: load, store, compare, add. */
function valueOps(precision: 'float64' | 'float32') {
  const wide = precision === 'float64';
  const align = wide ? 3 : 2;
  return {
    load: (offset: number): number[] => [wide ? OP.f64Load : OP.f32Load, align, ...uleb(offset)],
    store: (offset: number): number[] => [wide ? OP.f64Store : OP.f32Store, align, ...uleb(offset)],
    gt: wide ? OP.f64Gt : OP.f32Gt,
    add: wide ? OP.f64Add : OP.f32Add,
  };
}

/**
 * `forest(x, stride, blocks, table, tableEnd, acc)`: adds the leaves of the trees whose table
 * entries lie in [table, tableEnd) to acc, for `blocks` blocks of LANES rows:
 *
 *   for each tile of TILE_BLOCKS blocks, for each tree {root, c, leafAt, depth} (16 bytes), for each block:
 *     a_j = root; repeat depth times: a_j = 2 a_j + c + S * (X[block + column(a_j) + W j] > threshold(a_j))
 *     acc[block row j] += leaf at (a_j >> 1) + leafAt
 *
 * a_j is the byte address of row j's node record (level order: children of node i are 2i+1
 * and 2i+2, so with records of S bytes from `root` the step is 2a - root + S (+S to the right),
 * c = S - root). Leaves are W = S/2 bytes wide, hence the leaf address (a >> 1) + leafAt.
 * Every row's sum adds the trees in table order.
 */
function forestFunction(precision: 'float64' | 'float32'): number[] {
  const { width: W, record: S, columnAt } = recordLayout(precision);
  const { load, store, gt, add } = valueOps(precision);
  // params 0..5, then q0 q1 t q xq aq root c leafAt depth d, then a_0..a_{LANES-1}
  const [x, stride, blocks, table, tableEnd, acc] = [0, 1, 2, 3, 4, 5];
  const [q0, q1, t, q, xq, aq, root, c, leafAt, depth, d] = [6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
  const lane = (j: number): number => 17 + j;
  const lanes = (f: (j: number) => number[]): number[] => Array.from({ length: LANES }, (_, j) => f(j)).flat();
  const step = (j: number): number[] => set(lane(j),
    get(lane(j)), i32(1), [OP.i32Shl], get(c), [OP.i32Add],
    get(xq), get(lane(j)), i32Load(columnAt), [OP.i32Add], load(W * j),
    get(lane(j)), load(0), [gt], i32(Math.log2(S)), [OP.i32Shl], [OP.i32Add]);
  const addLeaf = (j: number): number[] => [
    ...get(aq), ...get(aq), ...load(W * j),
    ...get(lane(j)), ...i32(1), OP.i32ShrU, ...get(leafAt), OP.i32Add, ...load(0), add, ...store(W * j),
  ];
  const oneBlock = [
    ...lanes((j) => set(lane(j), get(root))),
    OP.block, VOID, ...get(depth), OP.i32Eqz, OP.brIf, 0, // depth 0: the root is the leaf
    ...set(d, get(depth)),
    OP.loop, VOID, ...lanes(step), ...get(d), ...i32(1), OP.i32Sub, OP.tee, ...uleb(d), OP.brIf, 0, OP.end,
    OP.end,
    ...lanes(addLeaf),
    ...set(q, get(q), i32(1), [OP.i32Add]),
    ...set(xq, get(xq), get(stride), [OP.i32Add]),
    ...set(aq, get(aq), i32(LANES * W), [OP.i32Add]),
  ];
  const oneTree = [
    ...set(root, get(t), i32Load(0)), ...set(c, get(t), i32Load(4)), ...set(leafAt, get(t), i32Load(8)), ...set(depth, get(t), i32Load(12)),
    ...set(q, get(q0)),
    ...set(xq, get(x), get(q0), get(stride), [OP.i32Mul, OP.i32Add]),
    ...set(aq, get(acc), get(q0), i32(LANES * W), [OP.i32Mul, OP.i32Add]),
    ...until(get(q), get(q1), oneBlock),
    ...set(t, get(t), i32(16), [OP.i32Add]),
  ];
  const oneTile = [
    ...set(q1, get(q0), i32(TILE_BLOCKS), [OP.i32Add]),
    ...set(q1, get(blocks), get(q1), get(q1), get(blocks), [OP.i32GtU, OP.select]), // min(q0 + TILE_BLOCKS, blocks)
    ...set(t, get(table)),
    ...until(get(t), get(tableEnd), oneTree),
    ...set(q0, get(q1)),
  ];
  return [...vector([[...uleb(11 + LANES), I32]]), ...until(get(q0), get(blocks), oneTile), OP.end];
}

/** Bytes of one column in the encoder's plan: {feature byte offset i32, zeroToo i32, keep i64, special f64}. */
export const PLAN_ENTRY = 24;

/**
 * `encode(src, nRows, rowBytes, plan, planEnd, x, stride, zeroBelow)`: the rows at src (float64,
 * rowBytes apart) after the input rule, one value per plan column, into blocks of LANES rows at
 * x as the forest function reads them: tree-layout.ts `encodeRows`, on the values' bits so that
 * nothing branches (float compares and selects compile to branches):
 *
 *   b = bits(float32 ? fround(x) : x); |x| <= zeroBelow -> b = 0 (a = b without the sign)
 *   special = a > bits(Infinity) (NaN) | zeroToo & a == 0;  m = special ? ~0 : 0
 *   out = (b & keep) & ~m | bits(special value) & m     (keep = 0 for 0/1 flag columns, else ~0)
 */
function encodeFunction(precision: 'float64' | 'float32'): number[] {
  const { width: W } = recordLayout(precision);
  const [src, nRows, rowBytes, plan, planEnd, x, stride, zeroBelow] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [r, row, dst, k, b, a, m, small, infinity, abs] = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
  const i64 = (n: number): number[] => [OP.i64Const, ...sleb(n)]; // small constants only
  const mask = (cond: number[]): number[] => [...i64(0), ...cond, OP.i64ExtendI32U, OP.i64Sub]; // 0 - cond: ~0 or 0
  const round = precision === 'float32'
    ? set(b, get(b), [OP.f64ReinterpretI64, OP.f32DemoteF64, OP.f64PromoteF32, OP.i64ReinterpretF64]) : [];
  const oneColumn = [
    ...set(b, get(row), get(k), i32Load(0), [OP.i32Add, OP.i64Load, 3, 0]),
    ...round,
    ...set(m, mask([...get(b), ...get(abs), OP.i64And, ...get(small), OP.i64GtU])), // ~0 unless |x| <= zeroBelow
    ...set(b, get(b), get(m), [OP.i64And]),
    ...set(a, get(b), get(abs), [OP.i64And]),
    ...set(m, mask([...get(a), ...get(infinity), OP.i64GtU, ...get(k), ...i32Load(4), ...get(a), OP.i64Eqz, OP.i32And, OP.i32Or])),
    ...get(dst),
    ...get(b), ...get(k), OP.i64Load, 3, 8, OP.i64And, ...get(m), ...i64(-1), OP.i64Xor, OP.i64And,
    ...get(k), OP.i64Load, 3, 16, ...get(m), OP.i64And, OP.i64Or,
    ...(precision === 'float32' ? [OP.f64ReinterpretI64, OP.f32DemoteF64, OP.f32Store, 2, 0] : [OP.i64Store, 3, 0]),
    ...set(k, get(k), i32(PLAN_ENTRY), [OP.i32Add]),
    ...set(dst, get(dst), i32(LANES * W), [OP.i32Add]),
  ];
  const oneRow = [
    ...set(dst, get(x), get(r), i32(LANES), [OP.i32DivU], get(stride), [OP.i32Mul, OP.i32Add],
      get(r), i32(LANES), [OP.i32RemU], i32(W), [OP.i32Mul, OP.i32Add]),
    ...set(k, get(plan)),
    ...until(get(k), get(planEnd), oneColumn),
    ...set(r, get(r), i32(1), [OP.i32Add]),
    ...set(row, get(row), get(rowBytes), [OP.i32Add]),
  ];
  return [
    ...vector([[...uleb(4), I32], [...uleb(6), I64]]),
    ...set(small, get(zeroBelow), [OP.i64ReinterpretF64]),
    ...set(infinity, i64(0x7ff), i64(52), [OP.i64Shl]),
    ...set(abs, i64(-1), i64(1), [OP.i64ShrU]),
    ...set(row, get(src)),
    ...until(get(r), get(nRows), oneRow),
    OP.end,
  ];
}

/** The module: imports env.memory, exports `forest` and `encode` for one precision. */
export function forestModule(precision: 'float64' | 'float32'): Uint8Array {
  const types = [
    [0x60, ...vector(Array.from({ length: 6 }, () => [I32])), 0], // forest: (i32 x6) -> ()
    [0x60, ...vector([...Array.from({ length: 7 }, () => [I32]), [F64]]), 0], // encode: (i32 x7, f64) -> ()
  ];
  const bodies = [forestFunction(precision), encodeFunction(precision)];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
    ...section(1, vector(types)),
    ...section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])), // import env.memory, min 1 page
    ...section(3, vector([[0], [1]])),
    ...section(7, vector([[...name('forest'), 0x00, 0], [...name('encode'), 0x00, 1]])),
    ...section(10, vector(bodies.map((body) => [...uleb(body.length), ...body]))),
  ];
  return Uint8Array.from(bytes);
}
