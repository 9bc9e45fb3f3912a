/**
 * RSS benchmarks: the precomputed-table Toeplitz ({@link ToeplitzKey}) against a naive bit-by-bit
 * Toeplitz written the way Microsoft's `ComputeHash` pseudocode reads ("RSS Hashing Functions").
 *
 * Each call hashes the next input of a fixed pool of flows, so no case hashes a constant.
 */
import type { BenchSuite } from './harness.js';
import { ToeplitzKey, ipv4PortsHashInput, ipv6PortsHashInput, netvscHashKey } from '../src/rss/index.js';

/**
 * Naive Toeplitz, bit by bit as Microsoft's `ComputeHash` pseudocode reads: a 32-bit window over
 * the key; for each input bit from the left, XOR the window in when the bit is 1, then slide the
 * window one key bit further. Eight steps per input byte.
 */
function naiveToeplitz(key: Uint8Array, input: Uint8Array): number {
  let window = ((key[0]! << 24) | (key[1]! << 16) | (key[2]! << 8) | key[3]!) >>> 0;
  let result = 0;
  for (let m = 0; m < input.length * 8; m++) {
    if ((input[m >> 3]! >> (7 - (m & 7))) & 1) result ^= window;
    const next = m + 32;
    window = ((window << 1) | ((key[next >> 3]! >> (7 - (next & 7))) & 1)) >>> 0;
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

export const suite: BenchSuite = {
  name: 'rss',
  cases: [
    {
      name: 'toeplitz ipv4+tcp (12 bytes)',
      baselineName: 'naive bit-by-bit Toeplitz',
      baseline: () => naiveToeplitz(KEY, nextV4Naive()),
      subject: () => TOEPLITZ.hash(nextV4Fast()),
      goal: { minRatio: 2 },
      bytes: 12,
    },
    {
      name: 'toeplitz ipv6+tcp (36 bytes)',
      baselineName: 'naive bit-by-bit Toeplitz',
      baseline: () => naiveToeplitz(KEY, nextV6Naive()),
      subject: () => TOEPLITZ.hash(nextV6Fast()),
      goal: { minRatio: 2 },
      bytes: 36,
    },
  ],
};
