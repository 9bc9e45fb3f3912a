/**
 * RNDIS message codec: golden vectors transcribed by hand from shared/spec/nvsp-rndis-netvsc.md
 * (Appendix A and the §3.2/§3.10/§3.12/§3.14/§3.15 tables), a round-trip property per message
 * type, totality on arbitrary and mutated bytes, and one named test per offset/length rule.
 */
import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import {
  decodeRndis,
  decodeRndisSequence,
  encodeRndis,
  isRndisCompletion,
  rndisCodec,
  rndisEncodingLength,
  rndisHaltRequest,
  rndisHeader,
  rndisIndicateStatus,
  rndisInitComplete,
  rndisInitRequest,
  rndisMsgTypeName,
  rndisPacket,
  rndisQueryComplete,
  rndisQueryRequest,
  rndisRequestId,
  rndisSetRequest,
  rndisStatusName,
  RNDIS_MSG,
  RNDIS_STATUS,
  type RndisMessage,
} from '../../src/protocol/rndis.js';
import {
  encodeRndisDataPacket,
  rndisDataPacketLength,
  rndisLinkSpeedIndication,
  rndisPacketFilterSetRequest,
  rndisRssCapabilitiesQuery,
  rndisRssSetRequest,
  rndisSetMacAddressRequest,
  rssParametersOf,
} from '../../src/protocol/rndis-builders.js';
import { decodeRssSetRequest, rndisRssSetMessage, rssParameters } from '../../src/protocol/ndis.js';
import { encodePpiList, ppiHashValue, type PpiElement } from '../../src/protocol/ppi.js';
import { OID } from '../../src/protocol/oids.js';
import { anyBytes, arbRndisMessage, checkRoundTrip, deepEqual, mutatedBytes, roundTripProperty } from '../../src/testing/index.js';
import { decodesOrRejects, errorOf, toHex } from '../helpers.js';

/** Parses spec-style hex ("05 00 00 00 …", line prefixes "0000:" allowed). */
function hex(text: string): Uint8Array {
  const clean = text
    .split('\n')
    .map((l) => l.replace(/^\s*[0-9a-f]{4}:/i, ''))
    .join(' ')
    .replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}


/** The default key, transcribed from §3.10. */
const KEY_HEX = '6d 5a 56 da 25 5b 0e c2 41 67 25 3d 43 a3 8f b0 d0 ca 2b cb ae 7b 30 b4 77 cb 2d a3 80 30 f2 0c 6a 42 b7 3b be ac 01 fa';

describe('golden vectors (Appendix A and §3 tables)', () => {
  it('INIT, req_id 1 (Appendix A, 24 bytes)', () => {
    const golden = hex(`
      0000: 02 00 00 00 18 00 00 00 01 00 00 00 01 00 00 00
      0010: 00 00 00 00 00 40 00 00`);
    expect(toHex(encodeRndis(rndisInitRequest(1)))).toBe(toHex(golden));
    expect(decodeRndis(golden)).toEqual({ type: 'INIT', req_id: 1, major_ver: 1, minor_ver: 0, max_xfer_size: 0x4000 });
  });

  it('QUERY of RSS capabilities, req_id 9, with the pre-filled 18-byte object (Appendix A, 46 bytes)', () => {
    const golden = hex(`
      0000: 04 00 00 00 2e 00 00 00 09 00 00 00 03 02 01 00
      0010: 12 00 00 00 14 00 00 00 00 00 00 00 88 02 12 00
      0020: 00 00 00 00 00 00 00 00 00 00 00 00 00 00`);
    expect(toHex(encodeRndis(rndisRssCapabilitiesQuery(9)))).toBe(toHex(golden));
    const m = decodeRndis(golden);
    expect(m.type).toBe('QUERY');
    if (m.type !== 'QUERY') return;
    expect(m).toMatchObject({ req_id: 9, oid: 0x00010203, info_buf_offset: 20, dev_vc_handle: 0 });
    expect(m.info_buf.length).toBe(18);
  });

  it('RSS SET, N = 128, req_id 11, flag 0: the whole 620-byte map of §3.10', () => {
    // First 68 bytes exactly as Appendix A prints them.
    const head = hex(`
      0000: 05 00 00 00 6c 02 00 00 0b 00 00 00 04 02 01 00
      0010: 50 02 00 00 14 00 00 00 00 00 00 00 89 02 28 00
      0020: 00 00 00 00 01 17 00 00 00 02 00 00 28 00 00 00
      0030: 28 00 00 00 28 02 00 00 00 00 00 00 00 00 00 00
      0040: 00 00 00 00`);
    // Then 128 u32 entries at 68 (i mod 8: 8 channels) and the 40-byte key at 68 + 512 = 580.
    const golden = new Uint8Array(620);
    golden.set(head, 0);
    for (let i = 0; i < 128; i++) golden[68 + 4 * i] = i % 8;
    golden.set(hex(KEY_HEX), 580);

    const table = Array.from({ length: 128 }, (_, i) => i % 8);
    const bytes = encodeRndis(rndisRssSetRequest(11, rssParameters({ indirection_table: table })));
    expect(bytes.length).toBe(620);
    expect(toHex(bytes)).toBe(toHex(golden));

    const v = decodeRssSetRequest(golden);
    expect(v.req_id).toBe(11);
    expect(v.info_buf_offset).toBe(20);
    expect(v.params.hdr).toEqual({ type: 0x89, rev: 2, size: 40 });
    expect(v.params.flag).toBe(0);
    expect(v.params.hashinfo).toBe(0x1701);
    expect(v.params.indirect_taboffset).toBe(40);
    expect(v.params.hashkey_offset).toBe(552);
    expect(v.params.indirection_table).toEqual(table);
    expect(toHex(v.params.hash_key)).toBe(KEY_HEX);
    expect(toHex(rndisRssSetMessage.encode(v))).toBe(toHex(golden));
  });

  it('RSS SET with DISABLE (flag 0x10) differs from the enable SET only in req_id and flag', () => {
    const table = Array.from({ length: 128 }, (_, i) => i % 4);
    const off = encodeRndis(rndisRssSetRequest(10, rssParameters({ indirection_table: table, flag: 0x10 })));
    const on = encodeRndis(rndisRssSetRequest(11, rssParameters({ indirection_table: table })));
    const diff = [...off.keys()].filter((i) => off[i] !== on[i]);
    expect(diff).toEqual([8, 32]); // req_id low byte (abs 8), flag (abs 28 + 4)
  });

  it('SET packet filter 0x0D, req_id 12 (Appendix A, 32 bytes)', () => {
    const golden = hex(`
      0000: 05 00 00 00 20 00 00 00 0c 00 00 00 0e 01 01 00
      0010: 04 00 00 00 14 00 00 00 00 00 00 00 0d 00 00 00`);
    expect(toHex(encodeRndis(rndisPacketFilterSetRequest(12, 0x0d)))).toBe(toHex(golden));
    const m = decodeRndis(golden);
    expect(m).toEqual({ type: 'SET', req_id: 12, oid: 0x0001010e, info_buf_offset: 20, info_buf: hex('0d 00 00 00'), dev_vc_handle: 0 });
  });

  it('SET OID_GEN_RNDIS_CONFIG_PARAMETER NetworkAddress (§3.15, 100 bytes)', () => {
    const golden = hex(`
      05 00 00 00 64 00 00 00 07 00 00 00 1b 02 01 00
      48 00 00 00 14 00 00 00 00 00 00 00
      14 00 00 00 1c 00 00 00 02 00 00 00 30 00 00 00 18 00 00 00
      4e 00 65 00 74 00 77 00 6f 00 72 00 6b 00 41 00 64 00 64 00 72 00 65 00 73 00 73 00
      30 00 30 00 31 00 35 00 35 00 64 00 30 00 31 00 30 00 32 00 30 00 61 00`);
    expect(golden.length).toBe(100);
    expect(toHex(encodeRndis(rndisSetMacAddressRequest(7, '00:15:5d:01:02:0a')))).toBe(toHex(golden));
  });

  it('INIT_C (§3.2, 52 bytes)', () => {
    const golden = hex(`
      02 00 00 80 34 00 00 00 01 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00
      01 00 00 00 00 00 00 00 08 00 00 00 00 00 00 00 03 00 00 00 00 00 00 00 00 00 00 00`);
    expect(toHex(encodeRndis(rndisInitComplete(1)))).toBe(toHex(golden));
    expect(decodeRndis(golden)).toEqual(rndisInitComplete(1));
  });

  it('QUERY_C with the result at body offset 16 (§3.2: data at absolute 24)', () => {
    const golden = hex('04 00 00 80 1e 00 00 00 03 00 00 00 00 00 00 00 06 00 00 00 10 00 00 00 00 15 5d 01 02 0a');
    expect(toHex(encodeRndis(rndisQueryComplete(3, 0, hex('00 15 5d 01 02 0a'))))).toBe(toHex(golden));
    expect(decodeRndis(golden)).toEqual({ type: 'QUERY_C', req_id: 3, status: 0, info_buf_offset: 16, info_buf: hex('00 15 5d 01 02 0a') });
  });

  it('HALT, req_id 13 (§3.2, 12 bytes)', () => {
    const golden = hex('03 00 00 00 0c 00 00 00 0d 00 00 00');
    expect(toHex(encodeRndis(rndisHaltRequest(13)))).toBe(toHex(golden));
  });

  it('INDICATE LINK_SPEED_CHANGE 10 Gbit/s = 100000000 × 100 bit/s (§3.14)', () => {
    const golden = hex('07 00 00 00 18 00 00 00 13 00 01 40 04 00 00 00 0c 00 00 00 00 e1 f5 05');
    expect(toHex(encodeRndis(rndisLinkSpeedIndication(100_000_000)))).toBe(toHex(golden));
  });

  it('a Linux data PACKET with a hash PPI (§3.12: PPI at body 36, frame right after)', () => {
    const frame = hex('ff ff ff ff ff ff 00 15 5d 01 02 0a 08 06');
    const golden = hex(`
      01 00 00 00 4a 00 00 00 34 00 00 00 0e 00 00 00 00 00 00 00 00 00 00 00
      00 00 00 00 24 00 00 00 10 00 00 00 00 00 00 00 00 00 00 00
      10 00 00 00 08 00 00 00 0c 00 00 00 78 56 34 12
      ff ff ff ff ff ff 00 15 5d 01 02 0a 08 06`);
    const bytes = encodeRndis(rndisPacket(frame, encodePpiList([ppiHashValue(0x12345678)])));
    expect(toHex(bytes)).toBe(toHex(golden));
    const m = decodeRndis(golden);
    expect(m.type === 'PACKET' && toHex(m.data)).toBe(toHex(frame));
  });
});

// ---------------------------------------------------------------------------------------------
// Arbitraries: the toolkit's (netvsc-sim/testing), so users fuzz with the same messages.

const u32 = fc.integer({ min: 0, max: 0xffffffff });

/** Every message shape the codec knows, every field free, buffers placed anywhere legal. */
const messageArb: fc.Arbitrary<RndisMessage> = arbRndisMessage({ shape: 'any' });

describe('round trip', () => {
  it('every message type: encode/decode/re-encode, at any offset', () => {
    fc.assert(roundTripProperty(rndisCodec, messageArb), { numRuns: 300 });
  });

  it('each type is reached by the arbitrary', () => {
    const seen = new Set(fc.sample(messageArb, { numRuns: 2000, seed: 4 }).map((m) => m.type));
    expect([...seen].sort()).toEqual([...Object.keys(RNDIS_MSG), 'UNKNOWN'].sort());
  });

  it('msg_len on the wire equals encodingLength, and padding bytes are zero', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        const b = encodeRndis(m);
        expect(rndisHeader(b).msg_len).toBe(b.length);
        expect(b.length).toBe(rndisEncodingLength(m));
      }),
      { numRuns: 200 },
    );
  });

  it('builders produce values that round-trip', () => {
    for (const m of [
      rndisInitRequest(1),
      rndisInitComplete(1, { max_pkt_per_msg: 32 }),
      rndisQueryRequest(2, OID.GEN_MAXIMUM_FRAME_SIZE),
      rndisQueryComplete(2, RNDIS_STATUS.SUCCESS, new Uint8Array([0xea, 5, 0, 0])),
      rndisSetRequest(3, OID.GEN_CURRENT_PACKET_FILTER, new Uint8Array(4)),
      rndisIndicateStatus(RNDIS_STATUS.MEDIA_CONNECT),
      rndisPacket(new Uint8Array(60)),
    ]) {
      checkRoundTrip(rndisCodec, m);
    }
  });
});

describe('totality: any bytes give a message or one ProtocolError', () => {
  // Whatever decodes re-encodes to something that decodes to the same value.
  const total = decodesOrRejects(decodeRndis, (m) => {
    expect(deepEqual(decodeRndis(encodeRndis(m)), m)).toBe(true);
  });
  it('arbitrary bytes', () => {
    fc.assert(fc.property(anyBytes(128), total), { numRuns: 300 });
  });
  it('arbitrary bytes behind a plausible header', () => {
    const arb = fc
      .tuple(fc.constantFrom(...Object.values(RNDIS_MSG), 0xff000001), anyBytes(96))
      .map(([code, rest]) => {
        const b = new Uint8Array(8 + rest.length);
        new DataView(b.buffer).setUint32(0, code, true);
        new DataView(b.buffer).setUint32(4, b.length, true);
        b.set(rest, 8);
        return b;
      });
    fc.assert(fc.property(arb, total), { numRuns: 300 });
  });
  it('mutated valid messages', () => {
    fc.assert(fc.property(mutatedBytes(rndisCodec, messageArb), total), { numRuns: 300 });
  });
  it('with bound "buffer" too (never reads past the buffer)', () => {
    const bounded = decodesOrRejects((b) => decodeRndis(b, 0, { bound: 'buffer' }));
    fc.assert(fc.property(mutatedBytes(rndisCodec, messageArb), bounded), { numRuns: 200 });
  });
});

describe('header rules', () => {
  it('fewer than 8 bytes: SHORT_BUFFER', () => {
    expect(errorOf(() => decodeRndis(new Uint8Array(7))).code).toBe('SHORT_BUFFER');
    expect(errorOf(() => decodeRndis(new Uint8Array(0))).code).toBe('SHORT_BUFFER');
  });
  it('msg_len smaller than the header: BAD_LENGTH on msg_len', () => {
    const e = errorOf(() => decodeRndis(hex('05 00 00 00 07 00 00 00 00 00 00 00')));
    expect([e.code, e.field, e.offset]).toEqual(['BAD_LENGTH', 'msg_len', 4]);
  });
  it('msg_len past the end of the buffer: BAD_LENGTH on msg_len', () => {
    const e = errorOf(() => decodeRndis(hex('03 00 00 00 10 00 00 00 01 00 00 00')));
    expect([e.code, e.field, e.value]).toEqual(['BAD_LENGTH', 'msg_len', 16]);
  });
  it('msg_len too small for the type’s fixed struct: BAD_LENGTH (a 12-byte SET_C)', () => {
    const e = errorOf(() => decodeRndis(hex('05 00 00 80 0c 00 00 00 01 00 00 00')));
    expect([e.code, e.field]).toEqual(['BAD_LENGTH', 'msg_len']);
    expect(e.message).toContain('RNDIS_MSG_SET_C');
  });
  it('bytes after msg_len are not part of the message (a transfer range padded to 8)', () => {
    const b = new Uint8Array(16);
    b.set(hex('03 00 00 00 0c 00 00 00 05 00 00 00 ee ee ee ee'));
    expect(decodeRndis(b)).toEqual({ type: 'HALT', req_id: 5 });
  });
  it('msg_len larger than the content: trailing bytes ignored, msg_len kept, zero on re-encode', () => {
    const b = hex('05 00 00 80 14 00 00 00 01 00 00 00 00 00 00 00 ab cd ef 01');
    const m = decodeRndis(b);
    expect(m).toEqual({ type: 'SET_C', req_id: 1, status: 0, msg_len: 20 });
    expect(toHex(encodeRndis(m))).toBe(toHex(hex('05 00 00 80 14 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00')));
  });
  it('decoding at an offset reports error offsets relative to the buffer given', () => {
    const b = new Uint8Array(40);
    b.set(hex('05 00 00 00 07 00 00 00'), 10);
    expect(errorOf(() => decodeRndis(b, 10)).offset).toBe(14);
  });
  it('an unknown message type decodes to UNKNOWN with its body (RNDIS_MSG_BUS)', () => {
    const m = decodeRndis(hex('01 00 00 ff 0c 00 00 00 aa bb cc dd'));
    expect(m).toEqual({ type: 'UNKNOWN', ndis_msg_type: 0xff000001, body: hex('aa bb cc dd') });
    expect(rndisMsgTypeName(0xff000001)).toBe('RNDIS_MSG_BUS');
  });
  it('an UNKNOWN value whose code is a known type is refused on encode (BAD_VALUE)', () => {
    const e = errorOf(() => encodeRndis({ type: 'UNKNOWN', ndis_msg_type: 5, body: new Uint8Array(20) }));
    expect([e.code, e.field]).toEqual(['BAD_VALUE', 'ndis_msg_type']);
  });
  it('a value with an unknown type string is refused (BAD_VALUE)', () => {
    expect(errorOf(() => encodeRndis({ type: 'NOPE' } as unknown as RndisMessage)).code).toBe('BAD_VALUE');
  });
  it('RESET_C and KEEPALIVE decode to their own shapes (Linux drops them, a codec does not)', () => {
    expect(decodeRndis(hex('06 00 00 80 10 00 00 00 00 00 00 00 01 00 00 00'))).toEqual({ type: 'RESET_C', status: 0, addressing_reset: 1 });
    expect(decodeRndis(hex('08 00 00 00 0c 00 00 00 09 00 00 00'))).toEqual({ type: 'KEEPALIVE', req_id: 9 });
  });
});

describe('offset and length rules (offsets are body-relative: absolute = 8 + offset)', () => {
  /** QUERY_C with a 4-byte result, info_buf_offset and info_buflen as given. */
  const queryC = (off: number, len: number, msgLen = 28) => {
    const b = new Uint8Array(msgLen);
    const v = new DataView(b.buffer);
    v.setUint32(0, 0x80000004, true);
    v.setUint32(4, msgLen, true);
    v.setUint32(8, 1, true);
    v.setUint32(16, len, true);
    v.setUint32(20, off, true);
    return b;
  };
  it('offset 16 with 4 bytes: the data is at absolute 24', () => {
    const b = queryC(16, 4);
    b.set([1, 2, 3, 4], 24);
    const m = decodeRndis(b);
    expect(m.type === 'QUERY_C' && [...m.info_buf]).toEqual([1, 2, 3, 4]);
  });
  it('info buffer offset pointing outside the message: BAD_OFFSET on info_buf_offset', () => {
    const e = errorOf(() => decodeRndis(queryC(100, 4)));
    expect([e.code, e.field, e.value, e.offset]).toEqual(['BAD_OFFSET', 'info_buf_offset', 100, 20]);
  });
  it('info buffer length past the end of the message: BAD_LENGTH on info_buflen', () => {
    const e = errorOf(() => decodeRndis(queryC(16, 5)));
    expect([e.code, e.field, e.value]).toEqual(['BAD_LENGTH', 'info_buflen', 5]);
  });
  it('info buffer overlapping the fixed fields (offset 12 < 16): BAD_OFFSET', () => {
    const e = errorOf(() => decodeRndis(queryC(12, 4)));
    expect([e.code, e.field]).toEqual(['BAD_OFFSET', 'info_buf_offset']);
    expect(e.message).toContain('overlaps the fixed fields');
  });
  it('info buffer overlapping the header itself (offset 0): BAD_OFFSET', () => {
    expect(errorOf(() => decodeRndis(queryC(0, 4))).code).toBe('BAD_OFFSET');
  });
  it('a huge length does not wrap around (offset 16, length 0xFFFFFFFF): BAD_LENGTH', () => {
    expect(errorOf(() => decodeRndis(queryC(16, 0xffffffff))).code).toBe('BAD_LENGTH');
  });
  it('an empty info buffer: its offset is kept as read and never checked', () => {
    const m = decodeRndis(queryC(0xfffffff0, 0, 24));
    expect(m).toEqual({ type: 'QUERY_C', req_id: 1, status: 0, info_buf_offset: 0xfffffff0, info_buf: new Uint8Array(0) });
    expect(encodeRndis(m).length).toBe(24);
  });
  it('QUERY/SET info buffer before body offset 20 overlaps dev_vc_handle: BAD_OFFSET', () => {
    const b = encodeRndis(rndisSetRequest(1, OID.GEN_CURRENT_PACKET_FILTER, new Uint8Array(4)));
    new DataView(b.buffer).setUint32(20, 16, true);
    expect(errorOf(() => decodeRndis(b)).code).toBe('BAD_OFFSET');
  });
  it('PACKET data past the end: BAD_LENGTH on data_len', () => {
    const b = encodeRndis(rndisPacket(new Uint8Array(20)));
    new DataView(b.buffer).setUint32(12, 21, true);
    const e = errorOf(() => decodeRndis(b));
    expect([e.code, e.field]).toEqual(['BAD_LENGTH', 'data_len']);
  });
  it('PACKET data overlapping the PPI block: BAD_OFFSET', () => {
    const b = encodeRndis(rndisPacket(new Uint8Array(20), encodePpiList([ppiHashValue(1)])));
    new DataView(b.buffer).setUint32(8, 40, true); // data_offset into the PPI block (36..52)
    const e = errorOf(() => decodeRndis(b));
    // Regions are checked in wire order (data, OOB, PPI); the later one of a pair is reported.
    expect([e.code, e.field]).toEqual(['BAD_OFFSET', 'per_pkt_info_offset']);
    expect(e.message).toContain('overlaps data_len bytes at 40..60');
  });
  it('PACKET with no PPI: per_pkt_info_offset 36, length 0, data right after the header', () => {
    const m = decodeRndis(encodeRndis(rndisPacket(new Uint8Array([9, 9]))));
    expect(m).toMatchObject({ type: 'PACKET', data_offset: 36, per_pkt_info_offset: 36, per_pkt_info: new Uint8Array(0) });
  });
  it('PACKET with a gap between PPI block and frame: the gap bytes are ignored and re-encoded as zeros', () => {
    const m = { ...rndisPacket(new Uint8Array([1, 2, 3])), data_offset: 44 };
    const b = encodeRndis(m);
    expect(b.length).toBe(8 + 44 + 3);
    expect(decodeRndis(b)).toEqual(m);
  });
  it('INDICATE status buffer beyond msg_len (pre-"Fe" vSwitch): refused by default, accepted with bound "buffer"', () => {
    const b = hex('07 00 00 00 14 00 00 00 13 00 01 40 04 00 00 00 0c 00 00 00 00 e1 f5 05');
    expect(errorOf(() => decodeRndis(b)).code).toBe('BAD_LENGTH');
    const m = decodeRndis(b, 0, { bound: 'buffer' });
    expect(m.type === 'INDICATE' && [...m.status_buf]).toEqual([0x00, 0xe1, 0xf5, 0x05]);
  });
  it('encode refuses a buffer placed over the fixed fields, overlapping regions, and a msg_len below the content', () => {
    expect(errorOf(() => encodeRndis({ ...rndisSetRequest(1, 1, new Uint8Array(4)), info_buf_offset: 8 })).code).toBe('BAD_OFFSET');
    const pkt = rndisPacket(new Uint8Array(8), new Uint8Array(16));
    expect(errorOf(() => encodeRndis({ ...pkt, data_offset: 40 })).code).toBe('BAD_OFFSET');
    expect(errorOf(() => encodeRndis({ ...rndisHaltRequest(1), msg_len: 11 })).code).toBe('BAD_LENGTH');
  });
  it('encode refuses out-of-range scalars before writing into the caller’s buffer', () => {
    const buf = new Uint8Array(64).fill(0xa5);
    const e = errorOf(() => encodeRndis({ type: 'SET_C', req_id: 2 ** 32, status: 0 }, buf, 4));
    expect([e.code, e.field]).toEqual(['FIELD_RANGE', 'req_id']);
    expect(buf.every((x) => x === 0xa5)).toBe(true);
    expect(errorOf(() => encodeRndis({ type: 'SET_C', req_id: 1, status: 0 }, new Uint8Array(15))).code).toBe('SHORT_BUFFER');
  });
});

describe('RSS SET message codec', () => {
  it('refuses a SET of another OID and a message that is not a SET (BAD_VALUE)', () => {
    expect(errorOf(() => decodeRssSetRequest(encodeRndis(rndisPacketFilterSetRequest(1, 0)))).code).toBe('BAD_VALUE');
    expect(errorOf(() => decodeRssSetRequest(encodeRndis(rndisHaltRequest(1)))).code).toBe('BAD_VALUE');
  });
  it('round-trips through rndisRssSetMessage and rssParametersOf', () => {
    const table = fc.array(fc.integer({ min: 0, max: 63 }), { minLength: 1, maxLength: 256 });
    fc.assert(
      fc.property(table, u32, fc.integer({ min: 0, max: 0xffff }), (t, req, flag) => {
        const msg = rndisRssSetRequest(req, rssParameters({ indirection_table: t, flag }));
        expect(msg.type === 'SET' && rssParametersOf(msg).indirection_table).toEqual(t);
        checkRoundTrip(rndisRssSetMessage, decodeRssSetRequest(encodeRndis(msg)));
        expect(encodeRndis(msg).length).toBe(108 + 4 * t.length);
      }),
      { numRuns: 100 },
    );
  });
});

describe('data path encoder', () => {
  const ppiArb: fc.Arbitrary<PpiElement[]> = fc.array(
    fc.record({
      type: fc.integer({ min: 0, max: 0x7fffffff }),
      internal: fc.boolean(),
      ppi_offset: fc.integer({ min: 12, max: 20 }),
      data: fc.uint8Array({ minLength: 1, maxLength: 8 }),
    }),
    { maxLength: 4 },
  );
  it('encodeRndisDataPacket writes the same bytes as encodeRndis(rndisPacket(data, encodePpiList(ppis)))', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), ppiArb, fc.integer({ min: 0, max: 16 }), (frame, ppis, off) => {
        const expected = encodeRndis(rndisPacket(frame, encodePpiList(ppis)));
        expect(toHex(encodeRndisDataPacket(frame, ppis))).toBe(toHex(expected));
        expect(rndisDataPacketLength(frame, ppis)).toBe(expected.length);
        const big = new Uint8Array(off + expected.length + 3).fill(0xa5);
        encodeRndisDataPacket(frame, ppis, big, off);
        expect(toHex(big.subarray(off, off + expected.length))).toBe(toHex(expected));
        expect(big[off + expected.length]).toBe(0xa5);
      }),
      { numRuns: 150 },
    );
  });
});

describe('sequences (batched send sections)', () => {
  it('decodes back-to-back messages, padded ones included', () => {
    const a = { ...rndisPacket(new Uint8Array(5)), msg_len: 56 }; // 49 bytes padded to a multiple of 8
    const b = rndisPacket(new Uint8Array(3));
    const buf = new Uint8Array(rndisEncodingLength(a) + rndisEncodingLength(b));
    encodeRndis(a, buf, 0);
    encodeRndis(b, buf, 56);
    const seq = decodeRndisSequence(buf);
    expect(seq.map((s) => s.offset)).toEqual([0, 56]);
    expect(seq[0]!.message).toEqual(a);
    expect(seq[1]!.message).toEqual(b);
  });
  it('a message running past the given length is an error', () => {
    const b = encodeRndis(rndisHaltRequest(1));
    expect(errorOf(() => decodeRndisSequence(b, 0, 11)).code).toBe('BAD_LENGTH');
    expect(errorOf(() => decodeRndisSequence(b, 0, 13)).code).toBe('BAD_LENGTH');
  });
});

describe('names and helpers', () => {
  it('status names', () => {
    expect(rndisStatusName(0)).toBe('RNDIS_STATUS_SUCCESS');
    expect(rndisStatusName(0x80000005)).toBe('RNDIS_STATUS_BUFFER_OVERFLOW');
    expect(rndisStatusName(0x40010013)).toBe('RNDIS_STATUS_LINK_SPEED_CHANGE');
    expect(rndisStatusName(0xc00000bb)).toBe('RNDIS_STATUS_NOT_SUPPORTED');
    expect(rndisStatusName(0x12345678)).toBe('0x12345678');
  });
  it('message type names and the completion bit', () => {
    expect(rndisMsgTypeName(0x80000004)).toBe('RNDIS_MSG_QUERY_C');
    expect(rndisMsgTypeName(42)).toBe('0x0000002a');
    expect(isRndisCompletion(rndisQueryComplete(1, 0))).toBe(true);
    expect(isRndisCompletion(rndisQueryRequest(1, 1))).toBe(false);
    expect(rndisRequestId(rndisSetRequest(77, 1, new Uint8Array(0)))).toBe(77);
    expect(rndisRequestId(rndisPacket(new Uint8Array(1)))).toBeUndefined();
  });
});
