/**
 * Seeded randomness for shuffles and a seed mixer (splitmix32), so shuffles are identical across runs,
 * machines and resumes. `Math.random` cannot be seeded, and the state must fit in a JSON number.
 */
import { mulberry32 } from '../prng.js';

/** A deterministic source of uniform numbers in [0, 1). */
export interface Prng {
  /** Next uniform float in [0, 1). */
  next(): number;
  /** Next uniform integer in [0, n). */
  nextInt(n: number): number;
}

/**
 * A `Prng` over the SDK's seeded generator (mulberry32, in src/prng.ts).
 *
 * @example
 * const rng = createPrng(42);
 * rng.nextInt(10); // same value on every run
 */
export function createPrng(seed: number): Prng {
  const next = mulberry32(seed);
  return { next, nextInt: (n: number) => Math.floor(next() * n) };
}

/**
 * splitmix32 finaliser over (seed, stream): independent-looking seeds for epoch 0, 1, 2, ... from one
 * user seed, so every epoch reshuffles differently but reproducibly.
 *
 * @example
 * const epochSeed = deriveSeed(42, 3);
 */
export function deriveSeed(seed: number, stream: number): number {
  let z = (seed >>> 0) ^ Math.imul((stream + 1) >>> 0, 0x9e3779b9);
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A fresh seed when the caller gave none; recorded in the dataset state so a resume repeats it. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 4294967296) >>> 0;
}
