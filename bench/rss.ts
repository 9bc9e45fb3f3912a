/**
 * RSS benchmarks: the precomputed-table Toeplitz ({@link ToeplitzKey}) against a naive bit-by-bit
 * Toeplitz written the way Microsoft's `ComputeHash` pseudocode reads ("RSS Hashing Functions"),
 * and against the allocation-free sliding window ({@link toeplitzHash}).
 *
 * Each call hashes the next input of a fixed pool of flows, so no case hashes a constant.
 */
import type { BenchSuite } from './harness.js';
import {
  ToeplitzKey,
  ipv4PortsHashInput,
  ipv6PortsHashInput,
  netvscHashKey,
  toeplitzHash,
} from '../src/rss/index.js';

/**
 * Naive Toeplitz: for input bit m, rebuild the key window [m, m + 32) bit by bit from the key
 * bytes, then XOR it in when the input bit is 1. O(32) per input bit.
 */
function naiveToeplitz(key: Uint8Array, input: Uint8Array): number {
  let result = 0;
  for (let m = 0; m < input.length * 8; m++) {
    if (((input[m >> 3]! >> (7 - (m & 7))) & 1) === 0) continue;
    let window = 0;
    for (let j = 0; j < 32; j++) {
      const b = m + j;
      window = (window << 1) | ((key[b >> 3]! >> (7 - (b & 7))) & 1);
    }
    result ^= window;
  }
  return result >>> 0;
}

const KEY = netvscHashKey();
const TOEPLITZ = new ToeplitzKey(KEY);
const POOL = 256;

/** A deterministic pseudo-random byte source (xorshift32), so runs are comparable. */
function bytesFrom(seed: number, n: number): Uint8Array {
  let x = seed >>> 0 || 1;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const v4Inputs = Array.from({ length: POOL }, (_, i) => {
  const r = bytesFrom(i + 1, 12);
  return ipv4PortsHashInput(r.subarray(0, 4), r.subarray(4, 8), (r[8]! << 8) | r[9]!, (r[10]! << 8) | r[11]!);
});
const v6Inputs = Array.from({ length: POOL }, (_, i) => {
  const r = bytesFrom(i + 1000, 36);
  return ipv6PortsHashInput(r.subarray(0, 16), r.subarray(16, 32), (r[32]! << 8) | r[33]!, (r[34]! << 8) | r[35]!);
});

/** Cycles through a pool; returns the next element on each call. */
function cycler<T>(pool: readonly T[]): () => T {
  let i = 0;
  return () => {
    const v = pool[i]!;
    i = (i + 1) % pool.length;
    return v;
  };
}

const nextV4Naive = cycler(v4Inputs);
const nextV4Fast = cycler(v4Inputs);
const nextV6Naive = cycler(v6Inputs);
const nextV6Fast = cycler(v6Inputs);
const nextV4Window = cycler(v4Inputs);
const nextV4Table = cycler(v4Inputs);

export const suite: BenchSuite = {
  name: 'rss',
  cases: [
    {
      name: 'toeplitz ipv4+tcp (12 bytes)',
      baseline: () => naiveToeplitz(KEY, nextV4Naive()),
      subject: () => TOEPLITZ.hash(nextV4Fast()),
    },
    {
      name: 'toeplitz ipv6+tcp (36 bytes)',
      baseline: () => naiveToeplitz(KEY, nextV6Naive()),
      subject: () => TOEPLITZ.hash(nextV6Fast()),
    },
    {
      name: 'toeplitz ipv4+tcp: sliding window (no precompute) vs table',
      baseline: () => toeplitzHash(KEY, nextV4Window()),
      subject: () => TOEPLITZ.hash(nextV4Table()),
    },
  ],
};
