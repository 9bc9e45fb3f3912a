import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import { ProtocolError } from '../../src/wire/errors.js';
import {
  decodePacket,
  gpaRangePageCount,
  packetSurelyInvalid,
  vmbusPacket,
  writePacket,
  type VmbusPacket,
} from '../../src/vmbus/packet.js';
import { createRingMemory, initRing, RingConsumer, RingProducer } from '../../src/vmbus/ring.js';
import { anyBytes, checkRoundTrip, mutatedBytes, roundTripProperty } from '../../src/testing/index.js';
import { decodesOrRejects, errorOf } from '../helpers.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const payload = fc.uint8Array({ maxLength: 64 });

const gpaRange = fc
  .tuple(fc.integer({ min: 1, max: 3 * 4096 }), fc.integer({ min: 0, max: 4095 }))
  .chain(([count, off]) =>
    fc
      .array(fc.bigInt({ min: 0n, max: 2n ** 52n }), {
        minLength: gpaRangePageCount(off, count),
        maxLength: gpaRangePageCount(off, count),
      })
      .map((pfns) => ({ byte_count: count, byte_offset: off, pfns })),
  );

const anyPacket: fc.Arbitrary<VmbusPacket> = fc.oneof(
  fc.record({ kind: fc.constant('inband' as const), flags: fc.integer({ min: 0, max: 1 }), trans_id: u64, payload }),
  fc.record({ kind: fc.constant('completion' as const), flags: fc.constant(0), trans_id: u64, payload }),
  fc.record({
    kind: fc.constant('xfer-pages' as const),
    flags: fc.integer({ min: 0, max: 1 }),
    trans_id: u64,
    xfer_pageset_id: fc.integer({ min: 0, max: 0xffff }),
    sender_owns_set: fc.integer({ min: 0, max: 255 }),
    ranges: fc.array(fc.record({ byte_count: u32, byte_offset: u32 }), { maxLength: 5 }),
    payload,
  }),
  fc.record({
    kind: fc.constant('gpa-direct' as const),
    flags: fc.integer({ min: 0, max: 1 }),
    trans_id: u64,
    ranges: fc.array(gpaRange, { minLength: 1, maxLength: 3 }),
    payload,
  }),
);

/** decode gives the payload back padded with the sender's zeros to 8 bytes. */
const padded = (p: VmbusPacket): VmbusPacket => {
  const len = (p.payload.length + 7) & ~7;
  const out = new Uint8Array(len);
  out.set(p.payload);
  return { ...p, payload: out };
};

describe('vmbus packets', () => {
  it('frames an in-band packet as vmbus_sendpacket does: offset8 2, len8 rounded up, zero pad', () => {
    const bytes = vmbusPacket.encode({ kind: 'inband', flags: 1, trans_id: 0x1234n, payload: new Uint8Array([1, 2, 3]) });
    expect(hex(bytes)).toBe('0600' + '0200' + '0300' + '0100' + '3412000000000000' + '0102030000000000');
  });

  it('frames a transfer-page packet with its ranges (netvsc receive, pageset 0xCAFE)', () => {
    const bytes = vmbusPacket.encode({
      kind: 'xfer-pages',
      flags: 0,
      trans_id: 7n,
      xfer_pageset_id: 0xcafe,
      sender_owns_set: 0,
      ranges: [{ byte_count: 0x100, byte_offset: 0x1000 }],
      payload: new Uint8Array(8).fill(0xaa),
    });
    expect(hex(bytes)).toBe(
      '0700' + '0400' + '0500' + '0000' + '0700000000000000' + 'feca' + '00' + '00' + '01000000' + '00010000' + '00100000' + 'aa'.repeat(8),
    );
  });

  it('frames a GPA-direct packet: reserved 0, range_cnt, each range with its PFNs', () => {
    const bytes = vmbusPacket.encode({
      kind: 'gpa-direct',
      flags: 1,
      trans_id: 1n,
      ranges: [{ byte_count: 4096, byte_offset: 16, pfns: [0x10n, 0x11n] }],
      payload: new Uint8Array(0),
    });
    expect(hex(bytes)).toBe(
      '0900' + '0600' + '0600' + '0100' + '0100000000000000' + '00000000' + '01000000' + '00100000' + '10000000' + '1000000000000000' + '1100000000000000',
    );
  });

  it('property: every packet kind round-trips through the shared helper', () => {
    fc.assert(roundTripProperty(vmbusPacket, anyPacket, { normalize: padded }), { numRuns: 300 });
  });

  it('property: arbitrary and mutated bytes decode to a packet or a ProtocolError only', () => {
    fc.assert(fc.property(fc.oneof(anyBytes(200), mutatedBytes(vmbusPacket, anyPacket)), decodesOrRejects(decodePacket)), { numRuns: 500 });
  });

  it('property: what packetSurelyInvalid refuses, decodePacket refuses too (the host’s fast refusal never drops a valid packet)', () => {
    fc.assert(
      fc.property(fc.oneof(anyBytes(200), mutatedBytes(vmbusPacket, anyPacket), anyPacket.map((p) => vmbusPacket.encode(p))), (b) => {
        if (packetSurelyInvalid(b)) expect(() => decodePacket(b)).toThrow(ProtocolError);
      }),
      { numRuns: 1000 },
    );
  });

  const reject = (b: Uint8Array, field: string | RegExp) => expect(errorOf(() => decodePacket(b)).field).toMatch(field);
  /** Each patch applied to a fresh `make()` must make the decoder refuse the bytes naming `field`. */
  const rejectPatched = (make: () => Uint8Array, cases: readonly (readonly [(b: Uint8Array) => void, string | RegExp])[]) => {
    for (const [patch, field] of cases) {
      const b = make();
      patch(b);
      reject(b, field);
    }
  };
  const base = () => vmbusPacket.encode({ kind: 'inband', flags: 0, trans_id: 0n, payload: new Uint8Array(8) });

  it('rejects offset8 below 2, len8 below offset8, len8 past the bytes, flag bits other than 0, unknown types', () => {
    rejectPatched(base, [
      [(b) => (b[2] = 1), 'offset8'],
      [(b) => (b[4] = 1), 'len8'],
      [(b) => (b[4] = 9), 'len8'],
      [(b) => (b[6] = 4), 'flags'],
      [(b) => (b[0] = 8), 'type'],
    ]);
  });

  it('rejects a transfer-page packet whose range_cnt does not fit offset8 (netvsc_receive rule)', () => {
    const b = vmbusPacket.encode({ kind: 'xfer-pages', flags: 0, trans_id: 0n, xfer_pageset_id: 0xcafe, sender_owns_set: 0, ranges: [{ byte_count: 1, byte_offset: 0 }], payload: new Uint8Array(8) });
    b[20] = 2;
    reject(b, 'range_cnt');
    b[20] = 0xff;
    b[23] = 0x80; // a "negative" count when read as int, as Linux does
    reject(b, 'range_cnt');
  });

  it('rejects GPA-direct ranges that are empty, start past page 0 offset 4095, or lack PFNs', () => {
    const good = () =>
      vmbusPacket.encode({ kind: 'gpa-direct', flags: 0, trans_id: 0n, ranges: [{ byte_count: 100, byte_offset: 0, pfns: [1n] }], payload: new Uint8Array(0) });
    rejectPatched(good, [
      [(b) => (b[20] = 0), 'range_cnt'],
      [(b) => b.fill(0, 24, 28), /byte_count/],
      [(b) => (b[29] = 0x10), /byte_offset/], // byte_offset 4096
      [(b) => (b[25] = 0x10), /pfn_array/], // byte_count 4196: two pages, one PFN present
    ]);
  });

  it('writePacket puts exactly the encoded bytes in the ring, and they decode back', () => {
    fc.assert(
      fc.property(anyPacket, (p) => {
        const mem = createRingMemory(8192);
        initRing(mem);
        const res = writePacket(new RingProducer(mem), p);
        expect(res.ok).toBe(true);
        const got = new RingConsumer(mem).read()!;
        expect(hex(got.packet)).toBe(hex(vmbusPacket.encode(p)));
        checkRoundTrip(vmbusPacket, decodePacket(got.packet, { copy: true }));
      }),
      { numRuns: 150 },
    );
  });
});
