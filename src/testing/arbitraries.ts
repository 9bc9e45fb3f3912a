/**
 * fast-check arbitraries derived from wire declarations, and byte arbitraries.
 * @module
 */
import * as fc from 'fast-check';
import type { AnyField, ScalarType, StructCodec } from '../wire/struct.js';

/** An arbitrary for one scalar type over its whole range. */
export function scalarArbitrary(type: ScalarType): fc.Arbitrary<number | bigint> {
  switch (type) {
    case 'u8':
      return fc.integer({ min: 0, max: 0xff });
    case 'u16':
      return fc.integer({ min: 0, max: 0xffff });
    case 'u32':
      return fc.integer({ min: 0, max: 0xffffffff });
    case 'u64':
      return fc.bigInt({ min: 0n, max: 0xffffffffffffffffn });
    case 'i8':
      return fc.integer({ min: -0x80, max: 0x7f });
    case 'i16':
      return fc.integer({ min: -0x8000, max: 0x7fff });
    case 'i32':
      return fc.integer({ min: -0x80000000, max: 0x7fffffff });
  }
}

/** Any GUID, as the lowercase text the codecs decode to. */
export const guidArbitrary: fc.Arbitrary<string> = fc.uuid({ version: [1, 2, 3, 4, 5, 6, 7, 8, 15] }).map((s) =>
  s.toLowerCase(),
);

/** Byte arrays of exactly `length` bytes. */
export function fixedBytes(length: number): fc.Arbitrary<Uint8Array> {
  return fc.uint8Array({ minLength: length, maxLength: length });
}

/** Byte strings for "decoders never throw anything but ProtocolError" properties. */
export function anyBytes(maxLength = 512): fc.Arbitrary<Uint8Array> {
  return fc.uint8Array({ maxLength });
}

/**
 * Byte strings shaped like `codec`'s encoding: a valid encoding with some bytes flipped, truncated,
 * or extended — the inputs most likely to reach deep validation paths.
 */
export function mutatedBytes<T>(codec: { encode(v: T): Uint8Array }, valid: fc.Arbitrary<T>): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      valid,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      fc.option(fc.nat(), { nil: undefined }),
      fc.uint8Array({ maxLength: 8 }),
    )
    .map(([v, flips, cut, extra]) => {
      const b = codec.encode(v);
      for (const [pos, val] of flips) if (b.length) b[pos % b.length] = val;
      const kept = cut === undefined ? b : b.subarray(0, cut % (b.length + 1));
      const out = new Uint8Array(kept.length + extra.length);
      out.set(kept);
      out.set(extra, kept.length);
      return out;
    });
}

function fieldArbitrary(f: AnyField): fc.Arbitrary<unknown> {
  switch (f.kind) {
    case 'bytes':
      return fixedBytes(f.size);
    case 'guid':
      return guidArbitrary;
    case 'struct':
      return structArbitrary(f.codec!);
    case 'array': {
      const el = f.element!;
      const item = typeof el === 'string' ? scalarArbitrary(el) : structArbitrary(el);
      return fc.array(item as fc.Arbitrary<unknown>, { minLength: f.count!, maxLength: f.count! });
    }
    case 'reserved':
    case 'pad':
      throw new Error('unreachable');
    default:
      return scalarArbitrary(f.kind as ScalarType);
  }
}

/**
 * An arbitrary of every value a struct declaration can hold, derived from the declaration itself.
 * `overrides` replaces the arbitrary of named fields (for example to keep a type field valid).
 */
export function structArbitrary<T>(
  codec: StructCodec<T>,
  overrides: { [K in keyof T]?: fc.Arbitrary<T[K]> } = {},
): fc.Arbitrary<T> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of codec.declaration) {
    if (f.kind === 'reserved' || f.kind === 'pad') continue;
    model[f.name] = (overrides as Record<string, fc.Arbitrary<unknown>>)[f.name] ?? fieldArbitrary(f);
  }
  return fc.record(model) as unknown as fc.Arbitrary<T>;
}
