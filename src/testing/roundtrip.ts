/**
 * The one round-trip check every codec in netvsc-sim is run through (after dns-packet's helper).
 *
 * For a value `x` and a codec `c` it checks that:
 * 1. `c.encode(x)` writes exactly `c.encodingLength(x)` bytes (a fresh buffer has that length);
 * 2. `c.decode(c.encode(x))` equals `x` (deep equality, `Uint8Array`s and `bigint`s included);
 * 3. re-encoding the decoded value gives the same bytes (encoding is stable);
 * 4. encoding at a non-zero offset into a larger, pre-filled buffer writes the same bytes there,
 *    leaves every other byte alone, and decodes back from that offset.
 *
 * @module
 */
import * as fc from 'fast-check';
import type { Codec } from '../wire/struct.js';

/** Thrown by {@link checkRoundTrip} with a message naming the codec and what differed. */
export class RoundTripError extends Error {
  /** Always `RoundTripError` (the name stack traces and `String(error)` show). */
  override readonly name = 'RoundTripError';
}

/** Deep equality that understands `Uint8Array`, `bigint`, arrays and plain objects. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
    const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function show(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? `hex:${hex(x)}` : x,
  );
}

/** Options for {@link checkRoundTrip}. */
export interface RoundTripOptions<T> {
  /** Offset used for the "encode into a larger buffer" check (default 7, deliberately unaligned). */
  offset?: number;
  /**
   * Maps a value to the form `decode` gives back, for codecs whose decode normalises
   * (for example fills in a default). Defaults to identity.
   */
  normalize?: (value: T) => T;
}

/**
 * Runs the round-trip checks on one value and returns the encoded bytes.
 * @throws {@link RoundTripError} naming the codec and the first check that failed.
 */
export function checkRoundTrip<T>(codec: Codec<T>, value: T, options: RoundTripOptions<T> = {}): Uint8Array {
  const offset = options.offset ?? 7;
  const expected = options.normalize ? options.normalize(value) : value;
  const len = codec.encodingLength(value);
  const bytes = codec.encode(value);
  if (bytes.length !== len) {
    throw new RoundTripError(`${codec.name}: encode wrote ${bytes.length} bytes, encodingLength says ${len}`);
  }
  const back = codec.decode(bytes);
  if (!deepEqual(back, expected)) {
    throw new RoundTripError(`${codec.name}: decode(encode(x)) differs\n  x:    ${show(expected)}\n  back: ${show(back)}`);
  }
  const again = codec.encode(back);
  if (hex(again) !== hex(bytes)) {
    throw new RoundTripError(`${codec.name}: re-encoding is not stable\n  first:  ${hex(bytes)}\n  second: ${hex(again)}`);
  }
  const big = new Uint8Array(offset + len + 5).fill(0xa5);
  const out = codec.encode(value, big, offset);
  if (out !== big) throw new RoundTripError(`${codec.name}: encode(value, buf, offset) did not return buf`);
  if (hex(big.subarray(offset, offset + len)) !== hex(bytes)) {
    throw new RoundTripError(`${codec.name}: encoding at offset ${offset} wrote different bytes`);
  }
  for (let i = 0; i < big.length; i++) {
    if ((i < offset || i >= offset + len) && big[i] !== 0xa5) {
      throw new RoundTripError(`${codec.name}: encoding at offset ${offset} touched byte ${i} outside its ${len} bytes`);
    }
  }
  const backAt = codec.decode(big, offset);
  if (!deepEqual(backAt, expected)) {
    throw new RoundTripError(`${codec.name}: decode at offset ${offset} differs\n  x:    ${show(expected)}\n  back: ${show(backAt)}`);
  }
  return bytes;
}

/**
 * A fast-check property: every value the arbitrary makes survives {@link checkRoundTrip}.
 * Use with `fc.assert(roundTripProperty(codec, arb))`; a failure prints the seed and the shrunk value.
 */
export function roundTripProperty<T>(
  codec: Codec<T>,
  arbitrary: fc.Arbitrary<T>,
  options: RoundTripOptions<T> = {},
): fc.IPropertyWithHooks<[T, number]> {
  return fc.property(arbitrary, fc.integer({ min: 0, max: 64 }), (value, offset) => {
    checkRoundTrip(codec, value, { ...options, offset });
  });
}
