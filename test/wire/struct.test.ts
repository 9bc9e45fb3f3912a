import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import {
  array,
  bytes,
  guid,
  guidFromBytes,
  guidToBytes,
  i16,
  i32,
  i8,
  nested,
  pad,
  ProtocolError,
  reserved,
  struct,
  u16,
  u32,
  u64,
  u8,
} from '../../src/wire/index.js';
import { anyBytes, checkRoundTrip, deepEqual, roundTripProperty, structArbitrary } from '../../src/testing/index.js';
import { errorOf } from '../helpers.js';

const inner = struct('inner', [u16('a'), u16('b'), u32('c')]);
// A struct exercising every field kind, with a compiler hole (pad) and named reserved bytes.
const everything = struct('everything', [
  u8('f_u8'),
  pad(1),
  u16('f_u16'),
  u32('f_u32'),
  u64('f_u64'),
  i8('f_i8'),
  reserved('rsvd', 1),
  i16('f_i16'),
  i32('f_i32'),
  bytes('key', 5),
  guid('id'),
  nested('in', inner),
  array('small', 'u16', 3),
  array('big', 'u32', 20),
  array('many', inner, 2),
  array('wide', 'u64', 2),
]);


describe('wire: one declaration gives size, offsets, decoder and encoder', () => {
  it('size and offset table follow the declaration, padding unnamed', () => {
    expect(everything.size).toBe(1 + 1 + 2 + 4 + 8 + 1 + 1 + 2 + 4 + 5 + 16 + 8 + 6 + 80 + 16 + 16);
    expect(everything.layout.fields.map((f) => [f.name, f.offset])).toEqual([
      ['f_u8', 0],
      ['f_u16', 2],
      ['f_u32', 4],
      ['f_u64', 8],
      ['f_i8', 16],
      ['rsvd', 17],
      ['f_i16', 18],
      ['f_i32', 20],
      ['key', 24],
      ['id', 29],
      ['in', 45],
      ['small', 53],
      ['big', 59],
      ['many', 139],
      ['wide', 155],
    ]);
    expect(everything.offsetOf('id')).toBe(29);
    expect(everything.layout.fields.find((f) => f.name === 'many')!.type).toBe('inner[2]');
  });

  it('encodes little-endian at the declared offsets and zeroes reserved and padding bytes', () => {
    const v = everything.make({ f_u8: 0xab, f_u16: 0x1234, f_u32: 0xdeadbeef, f_u64: 0x0102030405060708n, f_i16: -2 });
    const buf = new Uint8Array(everything.size + 4).fill(0xff);
    everything.encode(v, buf, 2);
    expect(Array.from(buf.subarray(2, 10))).toEqual([0xab, 0, 0x34, 0x12, 0xef, 0xbe, 0xad, 0xde]);
    expect(Array.from(buf.subarray(10, 18))).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    expect(buf[2 + 17]).toBe(0); // reserved
    expect(Array.from(buf.subarray(2 + 18, 2 + 20))).toEqual([0xfe, 0xff]);
    expect(buf[0]).toBe(0xff);
    expect(buf[buf.length - 1]).toBe(0xff);
  });

  it('encoding a value that does not fit its field names field and value', () => {
    const d = struct('vmpacket_descriptor', [u16('type'), u16('offset8'), u16('len8'), u16('flags'), u64('trans_id')]);
    const e = errorOf(() => d.encode({ type: 6, offset8: 70000, len8: 4, flags: 0, trans_id: 0n }));
    expect(e.code).toBe('FIELD_RANGE');
    expect(e.struct).toBe('vmpacket_descriptor');
    expect(e.field).toBe('offset8');
    expect(e.value).toBe(70000);
    expect(e.offset).toBe(2);
    expect(e.message).toBe('FIELD_RANGE: vmpacket_descriptor.offset8 = 70000 does not fit u16 (0..65535) at offset 2');
    for (const [field, value] of [
      ['type', -1],
      ['type', 1.5],
      ['type', '6'],
      ['trans_id', -1n],
      ['trans_id', 2n ** 64n],
      ['trans_id', 5],
    ] as const) {
      expect(errorOf(() => d.encode({ ...d.zero(), [field]: value } as never)).field).toBe(field);
    }
    expect(errorOf(() => everything.encode({ ...everything.zero(), f_i8: 128 })).field).toBe('f_i8');
    expect(errorOf(() => everything.encode({ ...everything.zero(), f_i32: 2 ** 31 })).field).toBe('f_i32');
    expect(errorOf(() => everything.encode({ ...everything.zero(), key: new Uint8Array(4) })).field).toBe('key');
    expect(errorOf(() => everything.encode({ ...everything.zero(), big: [1, 2] })).field).toBe('big');
    expect(errorOf(() => everything.encode({ ...everything.zero(), big: new Array(20).fill(-1) })).field).toBe('big[0]');
    expect(errorOf(() => everything.encode({ ...everything.zero(), small: [1, 70000, 1] })).field).toBe('small[1]');
    expect(errorOf(() => everything.encode({ ...everything.zero(), id: 'nope' })).code).toBe('BAD_VALUE');
  });

  it('decoding a short buffer names the first field that does not fit and its offset', () => {
    const e = errorOf(() => everything.decode(new Uint8Array(30), 0));
    expect(e.code).toBe('SHORT_BUFFER');
    expect(e.field).toBe('id');
    expect(e.offset).toBe(29);
    const late = errorOf(() => everything.decode(new Uint8Array(500), 490));
    expect([late.field, late.offset]).toEqual(['f_u64', 498]);
    expect(errorOf(() => inner.decode(new Uint8Array(8), -1)).code).toBe('BAD_OFFSET');
    expect(errorOf(() => inner.decode(new Uint8Array(8), 1.5)).code).toBe('BAD_OFFSET');
    expect(errorOf(() => inner.encode(inner.zero(), new Uint8Array(7))).code).toBe('SHORT_BUFFER');
  });

  it('property: round trip of every value the declaration can hold (the shared helper)', () => {
    fc.assert(roundTripProperty(everything, structArbitrary(everything)), { numRuns: 200 });
  });

  it('property: the binary-parser decoder and the generated decoder agree on any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: everything.size, maxLength: everything.size + 8 }), fc.nat(8), (b, off) => {
        const o = Math.min(off, b.length - everything.size);
        expect(deepEqual(everything.decode(b, o), everything.decodeWithParser(b, o))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('property: arbitrary bytes decode to a value or a ProtocolError, nothing else', () => {
    fc.assert(
      fc.property(anyBytes(300), fc.integer({ min: -2, max: 310 }), (b, o) => {
        try {
          everything.decode(b, o);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the round-trip helper itself catches a codec that lies', () => {
    const liar = { ...inner, encodingLength: () => 9 };
    expect(() => checkRoundTrip(liar, inner.zero())).toThrow(/encodingLength/);
    const lossy = { ...inner, decode: (b: Uint8Array, o?: number) => ({ ...inner.decode(b, o), a: 0 }) };
    expect(() => checkRoundTrip(lossy, { a: 1, b: 2, c: 3 })).toThrow(/differs/);
  });

  it('rejects a declaration that names a field twice', () => {
    expect(() => struct('dup', [u8('a'), u8('a')])).toThrow(/twice/);
  });
});

describe('wire: GUIDs in VMBus (Microsoft) byte order — shared/spec/vmbus.md §7.1', () => {
  it('the example from old Linux headers', () => {
    const bytesOf = guidToBytes('628180B8-308D-4c5e-B7DB-1BEB62E62EF4');
    expect(Array.from(bytesOf).map((x) => x.toString(16).padStart(2, '0')).join(' ')).toBe(
      'b8 80 81 62 8d 30 5e 4c b7 db 1b eb 62 e6 2e f4',
    );
    expect(guidFromBytes(bytesOf)).toBe('628180b8-308d-4c5e-b7db-1beb62e62ef4');
  });
  it('the netvsc device class GUID', () => {
    expect(Buffer.from(guidToBytes('f8615163-df3e-46c5-913f-f2d2f965ed0e')).toString('hex')).toBe(
      '635161f83edfc546913ff2d2f965ed0e',
    );
  });
  it('bad text is a ProtocolError naming the field', () => {
    expect(errorOf(() => guidToBytes('{f8615163-df3e-46c5-913f-f2d2f965ed0e}', undefined, 0, 'if_type')).field).toBe('if_type');
  });
});
