/**
 * A tiny seeded PRNG. Hand-written on purpose: mulberry32 is 6 lines, passes the usual
 * statistical smoke tests for simulation use, and keeps the market simulator free of a runtime
 * dependency whose output could change between versions (same seed -> same bytes, forever).
 */

/** mulberry32: 32-bit state -> uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a 32-bit hash of a string; used to give each symbol its own stream from one seed. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Seed of one symbol's stream: seed and symbol hash mixed (murmur3 finaliser) so nearby seeds diverge. */
export function symbolSeed(seed: number, symbol: string): number {
  let h = (Math.imul(seed | 0, 0x9e3779b1) ^ fnv1a(symbol)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Standard normal by Box-Muller: z = sqrt(-2 ln(1-u1)) cos(2 pi u2). */
export function standardNormal(uniform: () => number): number {
  const u1 = 1 - uniform();
  const u2 = uniform();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
