/**
 * Per-packet info (§3.12): the element header and bitfield values against the kernel's BTF bit
 * positions, golden elements as Linux writes them, the list codec and its rules, and Linux's own
 * lookup with its infinite-loop cases.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as fc from 'fast-check';
import {
  decodePpiList,
  encodePpiList,
  findPpi,
  linuxGetPpi,
  ndisChecksumReceiveInfo,
  ndisChecksumTransmitInfo,
  ndisLsoV2TransmitInfo,
  ndisPkt8021qInfo,
  NdisPerPktInfoType,
  ppiChecksumReceive,
  ppiChecksumTransmit,
  ppiElement,
  ppiHashInfo,
  ppiHashValue,
  ppiList,
  ppiLsoV2Transmit,
  ppiPktinfoId,
  ppiVlan,
  readPpiValues,
  rndisPerPacketInfo,
  RndisPerPktInfoInternalType,
  type BitfieldCodec,
  type PpiElement,
} from '../../src/protocol/ppi.js';
import { encodeRndis, rndisPacket } from '../../src/protocol/rndis.js';
import { anyBytes, checkRoundTrip, mutatedBytes, roundTripProperty } from '../../src/testing/index.js';
import { decodesOrRejects, errorOf, toHex } from '../helpers.js';

interface KField {
  name: string;
  offset: number;
  size: number | null;
  bit_offset?: number;
  bit_size?: number;
  fields?: KField[];
}
const layouts: { structs: Record<string, { size: number; fields: KField[] }> } = JSON.parse(
  readFileSync(new URL('../../fixtures/kernel/layouts.json', import.meta.url), 'utf8'),
);

function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

describe('bit positions match the kernel BTF', () => {
  it('rndis_per_packet_info: size @0, type bits 32..62, internal bit 63, ppi_offset @8', () => {
    const k = layouts.structs['rndis_per_packet_info']!;
    expect(k.size).toBe(rndisPerPacketInfo.size);
    const f = Object.fromEntries(k.fields.map((x) => [x.name, x]));
    expect([f.size!.offset, f.ppi_offset!.offset]).toEqual([0, 8]);
    expect([f.type!.bit_offset, f.type!.bit_size]).toEqual([32, 31]);
    expect([f.internal!.bit_offset, f.internal!.bit_size]).toEqual([63, 1]);
    const b = rndisPerPacketInfo.encode({ size: 16, type: 0x7fffffff, internal: false, ppi_offset: 12 });
    expect(toHex(b)).toBe('10 00 00 00 ff ff ff 7f 0c 00 00 00');
    expect(rndisPerPacketInfo.decode(hex('10 00 00 00 01 00 00 80 0c 00 00 00'))).toEqual({ size: 16, type: 1, internal: true, ppi_offset: 12 });
  });
  const same = (codec: BitfieldCodec<unknown>, kernel: KField[]) => {
    const ours = codec.bits.map((b) => [b.name, b.bit_offset, b.bit_size]);
    const theirs = kernel.filter((f) => f.bit_size !== undefined).map((f) => [f.name, f.bit_offset, f.bit_size]);
    expect(ours).toEqual(theirs);
  };
  it('ndis_pkt_8021q_info', () => {
    same(ndisPkt8021qInfo as BitfieldCodec<unknown>, layouts.structs['ndis_pkt_8021q_info']!.fields);
  });
  it('ndis_tcp_ip_checksum_info.transmit and .receive', () => {
    const k = layouts.structs['ndis_tcp_ip_checksum_info']!.fields;
    same(ndisChecksumTransmitInfo as BitfieldCodec<unknown>, k.find((f) => f.name === 'transmit')!.fields!);
    same(ndisChecksumReceiveInfo as BitfieldCodec<unknown>, k.find((f) => f.name === 'receive')!.fields!);
  });
  it('ndis_tcp_lso_info.lso_v2_transmit', () => {
    const k = layouts.structs['ndis_tcp_lso_info']!.fields;
    same(ndisLsoV2TransmitInfo as BitfieldCodec<unknown>, k.find((f) => f.name === 'lso_v2_transmit')!.fields!);
  });
});

describe('golden elements as Linux writes them (16 bytes: 12-byte header + u32, ppi_offset 12)', () => {
  it('hash value', () => {
    expect(toHex(encodePpiList([ppiHashValue(0xdeadbeef)]))).toBe('10 00 00 00 08 00 00 00 0c 00 00 00 ef be ad de');
  });
  it('hash info 0x201 (Toeplitz | TCP_IPV4) in type 9, as a host sends it next to the hash value', () => {
    expect(toHex(encodePpiList([ppiHashInfo(0x201)]))).toBe('10 00 00 00 09 00 00 00 0c 00 00 00 01 02 00 00');
    expect(readPpiValues(decodePpiList(encodePpiList([ppiHashValue(5), ppiHashInfo(0x201)])), 'rx')).toEqual({ hash: 5, hash_info: 0x201 });
  });
  it('VLAN 100, priority 5: value 5 | 100 << 4 = 0x645', () => {
    expect(toHex(encodePpiList([ppiVlan({ pri: 5, cfi: 0, vlanid: 100 })]))).toBe('10 00 00 00 06 00 00 00 0c 00 00 00 45 06 00 00');
  });
  it('TX checksum, IPv4 TCP, header at 34: bits 0, 2 and 34 << 16', () => {
    const e = ppiChecksumTransmit({
      is_ipv4: true,
      is_ipv6: false,
      tcp_checksum: true,
      udp_checksum: false,
      ip_header_checksum: false,
      reserved: 0,
      tcp_header_offset: 34,
    });
    expect(toHex(encodePpiList([e]))).toBe('10 00 00 00 00 00 00 00 0c 00 00 00 05 00 22 00');
  });
  it('LSOv2 IPv4, mss 1448, header at 34: 0x5a8 | 34 << 20 | 1 << 30', () => {
    const e = ppiLsoV2Transmit({ mss: 1448, tcp_header_offset: 34, type: 1, ip_version: 0 });
    expect(toHex(encodePpiList([e]))).toBe('10 00 00 00 02 00 00 00 0c 00 00 00 a8 05 20 42');
  });
  it('internal RNDIS_PKTINFO_ID: type word 0x80000001', () => {
    const e = ppiPktinfoId({ ver: 1, flag: 0x3, pkt_id: 0x1234 });
    expect(toHex(encodePpiList([e]))).toBe('10 00 00 00 01 00 00 80 0c 00 00 00 01 03 34 12');
  });
  it('the Linux order (hash, VLAN, checksum) reads back typed', () => {
    const list = decodePpiList(
      encodePpiList([
        ppiHashValue(7),
        ppiVlan({ pri: 1, cfi: 1, vlanid: 4095 }),
        ppiChecksumReceive({ ...ndisChecksumReceiveInfo.unpack(0), tcp_checksum_succeeded: true, ip_checksum_succeeded: true }),
      ]),
    );
    const v = readPpiValues(list, 'rx');
    expect(v.hash).toBe(7);
    expect(v.vlan).toEqual({ pri: 1, cfi: 1, vlanid: 4095, reserved: 0 });
    expect(v.checksum).toMatchObject({ tcp_checksum_succeeded: true, ip_checksum_succeeded: true, loopback: false });
    expect(findPpi(list, NdisPerPktInfoType.IEEE_8021Q_INFO)).toBeDefined();
    expect(findPpi(list, RndisPerPktInfoInternalType.RNDIS_PKTINFO_ID, true)).toBeUndefined();
  });
});

const elementArb: fc.Arbitrary<PpiElement> = fc.record({
  type: fc.integer({ min: 0, max: 0x7fffffff }),
  internal: fc.boolean(),
  ppi_offset: fc.integer({ min: 12, max: 24 }),
  data: fc.uint8Array({ minLength: 1, maxLength: 16 }),
});
const listArb = fc.array(elementArb, { maxLength: 6 });

describe('PPI list codec', () => {
  it('round-trips (gaps between header and value re-encode as zeros)', () => {
    // The block carries no length of its own, so the shared helper's "decode from a larger buffer"
    // step runs here with the block's length given explicitly, as the packet's per_pkt_info_len gives it.
    fc.assert(
      fc.property(listArb, fc.integer({ min: 0, max: 64 }), (list, off) => {
        const b = encodePpiList(list);
        expect(b.length).toBe(ppiList.encodingLength(list));
        expect(decodePpiList(b)).toEqual(list);
        expect(toHex(encodePpiList(decodePpiList(b)))).toBe(toHex(b));
        const big = new Uint8Array(off + b.length + 5).fill(0xa5);
        encodePpiList(list, big, off);
        expect(toHex(big.subarray(off, off + b.length))).toBe(toHex(b));
        expect(big.subarray(0, off).every((x) => x === 0xa5) && big.subarray(off + b.length).every((x) => x === 0xa5)).toBe(true);
        expect(decodePpiList(big, off, b.length)).toEqual(list);
      }),
      { numRuns: 200 },
    );
  });
  it('bitfield codecs round-trip', () => {
    fc.assert(
      roundTripProperty(
        ndisPkt8021qInfo,
        fc.record({ pri: fc.integer({ min: 0, max: 7 }), cfi: fc.integer({ min: 0, max: 1 }), vlanid: fc.integer({ min: 0, max: 4095 }), reserved: fc.integer({ min: 0, max: 0xffff }) }),
      ),
      { numRuns: 100 },
    );
    fc.assert(
      roundTripProperty(
        ndisLsoV2TransmitInfo,
        fc.record({ mss: fc.integer({ min: 0, max: 0xfffff }), tcp_header_offset: fc.integer({ min: 0, max: 1023 }), type: fc.integer({ min: 0, max: 1 }), ip_version: fc.integer({ min: 0, max: 1 }) }),
      ),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (w) => {
        checkRoundTrip(ndisChecksumTransmitInfo, ndisChecksumTransmitInfo.unpack(w));
        checkRoundTrip(ndisChecksumReceiveInfo, ndisChecksumReceiveInfo.unpack(w));
      }),
      { numRuns: 100 },
    );
  });
  it('an empty block is an empty list', () => {
    expect(decodePpiList(new Uint8Array(0))).toEqual([]);
  });
  it('trailing bytes that are not a whole 12-byte header: BAD_LENGTH', () => {
    const b = new Uint8Array(20);
    b.set(encodePpiList([ppiHashValue(1)]));
    expect(errorOf(() => decodePpiList(b)).code).toBe('BAD_LENGTH');
  });
  it('size below 12 (size 0 included): BAD_LENGTH on size', () => {
    const e = errorOf(() => decodePpiList(hex('00 00 00 00 08 00 00 00 0c 00 00 00 01 00 00 00')));
    expect([e.code, e.field]).toEqual(['BAD_LENGTH', 'size']);
  });
  it('size past the end of the block: BAD_LENGTH', () => {
    expect(errorOf(() => decodePpiList(hex('14 00 00 00 08 00 00 00 0c 00 00 00 01 00 00 00'))).code).toBe('BAD_LENGTH');
  });
  it('ppi_offset inside the element header: BAD_OFFSET', () => {
    const e = errorOf(() => decodePpiList(hex('10 00 00 00 08 00 00 00 08 00 00 00 01 00 00 00')));
    expect([e.code, e.field, e.offset]).toEqual(['BAD_OFFSET', 'ppi_offset', 8]);
  });
  it('ppi_offset at or past size (no value; Linux would spin): BAD_OFFSET', () => {
    expect(errorOf(() => decodePpiList(hex('10 00 00 00 08 00 00 00 10 00 00 00 01 00 00 00'))).code).toBe('BAD_OFFSET');
  });
  it('the second element is checked from its own start (offsets are element-relative)', () => {
    const b = encodePpiList([ppiHashValue(1), ppiHashValue(2)]);
    new DataView(b.buffer).setUint32(16 + 8, 4, true);
    expect(errorOf(() => decodePpiList(b)).offset).toBe(24);
  });
  it('encode refuses an empty value, a value over the header, and a 32-bit type', () => {
    expect(errorOf(() => encodePpiList([ppiElement(8, new Uint8Array(0))])).code).toBe('BAD_LENGTH');
    expect(errorOf(() => encodePpiList([{ ...ppiHashValue(1), ppi_offset: 11 }])).code).toBe('BAD_OFFSET');
    expect(errorOf(() => encodePpiList([{ ...ppiHashValue(1), type: 0x80000000 }])).code).toBe('FIELD_RANGE');
  });
  it('a typed read of a too-short value is BAD_LENGTH', () => {
    expect(errorOf(() => readPpiValues([ppiElement(NdisPerPktInfoType.NBL_HASH_VALUE, new Uint8Array(2))], 'tx')).code).toBe('BAD_LENGTH');
  });
  it('arbitrary and mutated bytes: a list or a ProtocolError', () => {
    const total = decodesOrRejects(decodePpiList, (l) => {
      expect(decodePpiList(encodePpiList(l))).toEqual(l);
    });
    fc.assert(fc.property(anyBytes(96), total), { numRuns: 200 });
    fc.assert(fc.property(mutatedBytes(ppiList, listArb), total), { numRuns: 200 });
  });
});

describe('Linux’s lookup (rndis_get_ppi), quirks included', () => {
  const packet = (ppi: Uint8Array) => encodeRndis(rndisPacket(new Uint8Array(14), ppi));
  const patch = (b: Uint8Array, at: number, v: number) => (new DataView(b.buffer).setUint32(at, v, true), b);
  it('finds a value', () => {
    const r = linuxGetPpi(packet(encodePpiList([ppiVlan({ pri: 0, cfi: 0, vlanid: 5 }), ppiHashValue(0xabcdef)])), 8, false, 4);
    expect(r).toEqual({ result: 'found', value: hex('ef cd ab 00') });
  });
  it('absent: no such type, internal flag differs, per_pkt_info_offset 0', () => {
    const b = packet(encodePpiList([ppiPktinfoId({ ver: 1, flag: 1, pkt_id: 1 })]));
    expect(linuxGetPpi(b, 1, false, 4).result).toBe('absent');
    expect(linuxGetPpi(b, 1, true, 4).result).toBe('found');
    expect(linuxGetPpi(patch(packet(encodePpiList([ppiHashValue(1)])), 8 + 20, 0), 8, false, 4).result).toBe('absent');
  });
  it('absent: block offset below 36 or block length below 12 (packet still delivered)', () => {
    expect(linuxGetPpi(patch(packet(encodePpiList([ppiHashValue(1)])), 8 + 20, 32), 8, false, 4).result).toBe('absent');
    expect(linuxGetPpi(patch(packet(encodePpiList([ppiHashValue(1)])), 8 + 24, 11), 8, false, 4).result).toBe('absent');
  });
  it('hang: an element size past the block', () => {
    const b = packet(encodePpiList([ppiHashValue(1)]));
    expect(linuxGetPpi(patch(b, 44, 17), 8, false, 4)).toEqual({ result: 'hang', at: 44 });
  });
  it('hang: ppi_offset ≥ size, and size 0', () => {
    expect(linuxGetPpi(patch(packet(encodePpiList([ppiHashValue(1)])), 44 + 8, 16), 6, false, 4).result).toBe('hang');
    expect(linuxGetPpi(patch(packet(encodePpiList([ppiHashValue(1)])), 44, 0), 6, false, 4).result).toBe('hang');
  });
  it('hang: a matching element too small for the value', () => {
    const b = packet(encodePpiList([ppiElement(8, new Uint8Array(2)), ppiHashValue(1)]));
    expect(linuxGetPpi(b, 8, false, 4).result).toBe('hang');
  });
  it('overread: fewer than 12 bytes left for the next element header', () => {
    const b = packet(encodePpiList([ppiHashValue(1), ppiElement(6, new Uint8Array(4))]));
    // Shrink the block by 8 bytes: the second header is cut to 8 bytes.
    patch(b, 8 + 24, 24);
    expect(linuxGetPpi(b, 6, false, 4)).toEqual({ result: 'overread', at: 60 });
  });
});
