/**
 * The near-valid machinery every floor shares: field reads and writes, truncations, candidate
 * choice, and the property that judges a decoder — checked to have teeth (a lax decoder and a
 * crashing decoder both fail it).
 */
import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import { decodeRndis } from '../../src/protocol/index.js';
import { ProtocolError } from '../../src/wire/index.js';
import {
  arbNearValidNvsp,
  arbNearValidPacket,
  arbNearValidRndis,
  arbPlacement,
  chooseMutation,
  decodeTotal,
  nearValidProperty,
  readField,
  regionsFollowRules,
  setField,
  truncations,
  wf,
  withField,
} from '../../src/testing/index.js';

describe('field helpers', () => {
  it('withField writes little-endian modulo the width and readField reads it back; the input is not touched', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 12, maxLength: 12 }), fc.constantFrom<1 | 2 | 4 | 8>(1, 2, 4, 8), fc.integer({ min: 0, max: 4 }), fc.integer({ min: -1, max: 2 ** 40 }), (b, size, at, v) => {
        const before = b.slice();
        const f = wf('x', at, size);
        const out = withField(b, f, v);
        const mod = 2 ** (8 * size);
        expect(readField(out, f)).toBe(((v % mod) + mod) % mod);
        expect([...b]).toEqual([...before]);
        for (let i = 0; i < 12; i++) if (i < at || i >= at + size) expect(out[i]).toBe(b[i]);
      }),
      { numRuns: 150 },
    );
  });

  it('setField names the field, the old and the new value', () => {
    const b = new Uint8Array([0x18, 0, 0, 0]);
    const c = setField(b, wf('rndis_message.msg_len', 0, 4), 25, 'length-lie', 'reject', 'past the bytes');
    expect(c.mutation).toBe('length-lie: rndis_message.msg_len 24 → 25 (past the bytes)');
    expect([...c.bytes()]).toEqual([25, 0, 0, 0]);
  });

  it('truncations cut once per distinct boundary below the length, in order', () => {
    const b = new Uint8Array(10);
    const cs = truncations(b, [{ at: 4, label: 'b' }, { at: 0, label: 'a' }, { at: 4, label: 'dup' }, { at: 10, label: 'end' }, { at: 12, label: 'past' }], (cut) => (cut < 4 ? 'reject' : 'any'));
    expect(cs.map((c) => c.bytes().length)).toEqual([0, 4]);
    expect(cs.map((c) => c.expect)).toEqual(['reject', 'any']);
  });

  it('arbPlacement places non-empty regions after the fixed part without overlap', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 4 }).chain((lengths) => fc.tuple(fc.constant(lengths), arbPlacement(16, lengths))), ([lengths, offsets]) => {
        const regions = lengths.map((length, i) => ({ offset: offsets[i]!, length }));
        expect(regionsFollowRules(16, Number.MAX_SAFE_INTEGER, regions)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('regionsFollowRules: empty regions are never checked; overlap, fixed-field and end violations are', () => {
    expect(regionsFollowRules(20, 40, [{ offset: 0xffffffff, length: 0 }])).toBe(true);
    expect(regionsFollowRules(20, 40, [{ offset: 19, length: 1 }])).toBe(false);
    expect(regionsFollowRules(20, 40, [{ offset: 36, length: 5 }])).toBe(false);
    expect(regionsFollowRules(20, 40, [{ offset: 20, length: 8 }, { offset: 27, length: 2 }])).toBe(false);
    expect(regionsFollowRules(20, 40, [{ offset: 20, length: 8 }, { offset: 28, length: 12 }])).toBe(true);
  });

  it('chooseMutation reaches every candidate of a plan', () => {
    const arb = chooseMutation(fc.constant(new Uint8Array([1, 2, 3])), (b) => truncations(b, [0, 1, 2].map((at) => ({ at, label: `${at}` })), () => 'any'));
    expect(new Set(fc.sample(arb, { numRuns: 200, seed: 5 }).map((x) => x.bytes.length))).toEqual(new Set([0, 1, 2]));
  });
});

/** The error a property fails with (the empty string when it holds). */
function failure<T>(property: fc.IPropertyWithHooks<[T]>): string {
  const r = fc.check(property, { numRuns: 200 });
  return r.failed ? String(r.errorInstance) : '';
}

describe('the near-valid property has teeth', () => {
  it('decodeTotal passes rejections through and wraps anything else', () => {
    expect(decodeTotal(() => 1, new Uint8Array(0))).toEqual({ ok: true, value: 1 });
    const err = new ProtocolError('SHORT_BUFFER', 'x');
    expect(decodeTotal(() => { throw err; }, new Uint8Array(0))).toEqual({ ok: false, error: err });
    expect(() => decodeTotal(() => { throw new RangeError('offset out of bounds'); }, new Uint8Array([0xab]))).toThrow(/RangeError: offset out of bounds.*not a rejection.*ab/);
  });

  it('a decoder that accepts everything fails it (lying lengths get through)', () => {
    expect(failure(nearValidProperty(arbNearValidRndis(), () => ({})))).toMatch(/accepted an input the rules reject — \w[\w-]*: /);
    expect(failure(nearValidProperty(arbNearValidNvsp(), () => ({})))).toMatch(/accepted an input the rules reject/);
  });

  it('a decoder that reads past the buffer (RangeError) fails it', () => {
    const overread = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.length).getUint32(b.length - 2, true);
    expect(failure(nearValidProperty(arbNearValidPacket(), overread))).toMatch(/RangeError.*not a rejection/);
  });

  it('a custom rejection type is honoured, and requireRejection can be turned off', () => {
    class MyParseError extends Error {}
    const mine = (b: Uint8Array) => {
      try {
        return decodeRndis(b);
      } catch {
        throw new MyParseError('bad');
      }
    };
    fc.assert(nearValidProperty(arbNearValidRndis(), mine, { isRejection: (e) => e instanceof MyParseError }), { numRuns: 100 });
    fc.assert(nearValidProperty(arbNearValidRndis(), () => ({}), { requireRejection: false }), { numRuns: 50 });
  });
});
