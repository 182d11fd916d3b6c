/**
 * Seeded pseudo-random numbers for the synthetic dataset.
 *
 * Every component draws from its own stream (`stream(seed, 'label')`), so changing how many
 * numbers one part consumes does not shift the output of any other part: regenerating after a
 * local tweak keeps the rest of the dataset byte-identical.
 */

/** 32-bit FNV-1a hash of a string: used to turn stream labels into seeds. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Mixes integers into one well-distributed 32-bit value (murmur3 finaliser). */
export function mix32(...values: number[]): number {
  let h = 0x9e3779b9;
  for (const v of values) {
    h ^= Math.imul((v | 0) ^ (v >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [a, b). */
  range(a: number, b: number): number;
  /** Integer uniform in [a, b] (inclusive). */
  int(a: number, b: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** Standard normal (Box–Muller). */
  normal(): number;
  pick<T>(items: readonly T[]): T;
}

/** sfc32 generator: small, fast, passes PractRand; plenty for synthetic geometry. */
export function createRng(seedA: number, seedB = 0x243f6a88, seedC = 0x85a308d3): Rng {
  let a = seedA >>> 0;
  let b = seedB >>> 0;
  let c = seedC >>> 0;
  let d = 1;
  const raw = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) raw(); // warm up: the first outputs of sfc32 correlate with the seed
  return {
    next: raw,
    range: (lo, hi) => lo + (hi - lo) * raw(),
    int: (lo, hi) => lo + Math.floor((hi - lo + 1) * raw()),
    chance: (p) => raw() < p,
    normal: () => {
      const u = Math.max(raw(), 1e-12);
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * raw());
    },
    pick: (items) => items[Math.floor(raw() * items.length)],
  };
}

/** An independent stream for one named component of the dataset. */
export function stream(seed: number, label: string): Rng {
  return createRng(mix32(seed, hashString(label)), hashString(label + '#b'), mix32(seed, 0x51ed27));
}

/** Deterministic value in [0, 1) for integer coordinates (lattice noise, per-item jitter). */
export function hash01(seed: number, ...ints: number[]): number {
  return mix32(seed, ...ints) / 4294967296;
}
