/**
 * NDIS objects: every declared struct against the compiled kernel's BTF (fixtures/kernel/layouts.json),
 * the RSS parameters composite (table and key at object-relative offsets, with its rules), RSS
 * capabilities, offload objects, the NetworkAddress config parameter, packet-filter bits and OIDs.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as fc from 'fast-check';
import * as ndis from '../../src/protocol/ndis.js';
import * as rndis from '../../src/protocol/rndis.js';
import * as ppi from '../../src/protocol/ppi.js';
import {
  decodeRssSetRequest,
  encodeRssSetRequest,
  rndisRssSetMessage,
  decodeConfigParameter,
  decodeNdisOffloadInfo,
  decodeNdisOffloadParamsInfo,
  decodeRssParameters,
  encodeConfigParameter,
  encodeNdisOffloadInfo,
  encodeNdisOffloadParamsInfo,
  encodeRssParameters,
  ndis_offload,
  ndis_offload_params,
  ndis_recv_scale_cap,
  ndis_recv_scale_param,
  ndisOffloadQueryInput,
  ndisRssParameters,
  netvscDefaultRssKey,
  networkAddressParameter,
  NDIS_LINUX_OPEN_PACKET_FILTER,
  NDIS_OFFLOAD_SIZE,
  NDIS_OFFLOAD_SIZE_6_0,
  NDIS_OFFLOAD_SIZE_6_1,
  NDIS_PACKET_TYPE,
  packetFilterNames,
  parseNetworkAddressParameter,
  rndisConfigParameter,
  RNDIS_PACKET_TYPE,
  rssCapabilities,
  rssCapabilitiesQueryInput,
  rssParameters,
  utf16leDecode,
  utf16leEncode,
  type NdisRssParameters,
} from '../../src/protocol/ndis.js';
import { isKnownOid, OID, oidName } from '../../src/protocol/oids.js';
import { encodeRndis, rndisSetRequest } from '../../src/protocol/rndis.js';
import type { StructCodec } from '../../src/wire/struct.js';
import { anyBytes, checkRoundTrip, deepEqual, mutatedBytes, roundTripProperty, structArbitrary } from '../../src/testing/index.js';
import { decodesOrRejects, errorOf, toHex } from '../helpers.js';

interface KernelField {
  name: string;
  offset: number;
  size: number | null;
}
const layouts: {
  structs: Record<string, { size: number; fields: KernelField[] }>;
  enums: Record<string, Record<string, number>>;
} = JSON.parse(readFileSync(new URL('../../fixtures/kernel/layouts.json', import.meta.url), 'utf8'));

function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const isStructCodec = (x: unknown): x is StructCodec<unknown> =>
  !!x && typeof x === 'object' && 'layout' in x && 'declaration' in x && 'size' in x;

describe('every declared struct matches the compiled kernel (Debian 6.1.192 BTF)', () => {
  const exported: unknown[] = [...Object.values(ndis), ...Object.values(rndis), ...Object.values(ppi)];
  const mine = exported.filter(isStructCodec);
  it('declares the structs the issue names', () => {
    const names = mine.map((c) => c.name);
    for (const n of [
      'rndis_message',
      'rndis_initialize_request',
      'rndis_initialize_complete',
      'rndis_query_request',
      'rndis_query_complete',
      'rndis_set_request',
      'rndis_set_complete',
      'rndis_indicate_status',
      'rndis_packet',
      'ndis_obj_header',
      'ndis_object_header',
      'ndis_recv_scale_cap',
      'ndis_recv_scale_param',
      'ndis_offload',
      'ndis_offload_params',
      'rndis_config_parameter_info',
      'rndis_pktinfo_id',
    ]) {
      expect(names).toContain(n);
    }
  });
  for (const codec of mine) {
    it(`${codec.name}: size, field names, offsets and sizes`, () => {
      const k = layouts.structs[codec.name];
      expect(k, `${codec.name} is not in layouts.json`).toBeDefined();
      expect(codec.size).toBe(k!.size);
      const theirs = k!.fields.filter((f) => f.size !== 0);
      expect(codec.layout.fields.map((f) => [f.name, f.offset])).toEqual(theirs.map((f) => [f.name, f.offset]));
      codec.layout.fields.forEach((f, i) => {
        if (theirs[i]!.size !== null) expect([f.name, f.size]).toEqual([f.name, theirs[i]!.size]);
      });
    });
  }
  for (const codec of mine) {
    it(`${codec.name}: round-trips, and the binary-parser decoder agrees`, () => {
      fc.assert(
        fc.property(structArbitrary(codec), (v) => {
          checkRoundTrip(codec, v);
          const b = codec.encode(v);
          expect(codec.decodeWithParser(b)).toEqual(codec.decode(b));
        }),
        { numRuns: 50 },
      );
    });
  }
  it('the kernel enums equal the exported tables', () => {
    expect(ppi.NdisPerPktInfoType).toEqual(layouts.enums['ndis_per_pkt_info_type']);
    expect(ppi.RndisPerPktInfoInternalType).toEqual(layouts.enums['rndis_per_pkt_info_interal_type']);
    expect(rndis.RndisDeviceState).toEqual(layouts.enums['rndis_device_state']);
  });
});

describe('RSS capabilities (§3.9)', () => {
  it('Linux’s query input: header {0x88, 2, 18}, zeros', () => {
    expect(toHex(rssCapabilitiesQueryInput())).toBe(toHex(hex('88 02 12 00' + '00'.repeat(14))));
  });
  it('openvmm-style reply: cap_flag 0x301, 1 interrupt, 8 queues, 128 entries (18 bytes, packed)', () => {
    const golden = hex('88 02 12 00 01 03 00 00 01 00 00 00 08 00 00 00 80 00');
    const v = rssCapabilities({ cap_flag: 0x301, num_int_msg: 1, num_recv_que: 8, num_indirect_tabent: 128 });
    expect(toHex(ndis_recv_scale_cap.encode(v))).toBe(toHex(golden));
    expect(ndis_recv_scale_cap.decode(golden)).toEqual(v);
  });
  it('round-trips', () => {
    fc.assert(roundTripProperty(ndis_recv_scale_cap, structArbitrary(ndis_recv_scale_cap)), { numRuns: 100 });
  });
});

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });

/** RSS objects with table and key placed anywhere after the 40-byte struct, in either order. */
const rssArb: fc.Arbitrary<NdisRssParameters> = fc
  .record({
    hdr: fc.record({ type: fc.integer({ min: 0, max: 255 }), rev: fc.integer({ min: 0, max: 255 }), size: u16 }),
    flag: u16,
    base_cpu_number: u16,
    hashinfo: u32,
    table: fc.array(u32, { maxLength: 300 }),
    key: fc.uint8Array({ maxLength: 64 }),
    keyFirst: fc.boolean(),
    gap1: fc.integer({ min: 0, max: 9 }),
    gap2: fc.integer({ min: 0, max: 9 }),
    anyOff: u32,
    pmo: u32,
    npm: u32,
    pmes: u32,
  })
  .map((r) => {
    const tlen = r.table.length * 4;
    const [first, second] = r.keyFirst ? [r.key.length, tlen] : [tlen, r.key.length];
    const a = 40 + r.gap1;
    const b = a + first + r.gap2;
    let taboff = r.keyFirst ? b : a;
    let keyoff = r.keyFirst ? a : b;
    if (tlen === 0) taboff = r.anyOff;
    if (r.key.length === 0) keyoff = r.anyOff;
    void second;
    return {
      hdr: r.hdr,
      flag: r.flag,
      base_cpu_number: r.base_cpu_number,
      hashinfo: r.hashinfo,
      indirect_taboffset: taboff,
      indirection_table: r.table,
      hashkey_offset: keyoff,
      hash_key: r.key,
      processor_masks_offset: r.pmo,
      num_processor_masks: r.npm,
      processor_masks_entry_size: r.pmes,
    };
  });

describe('RSS parameters object (§3.9: offsets relative to the object)', () => {
  it('the 40-byte struct of the Linux SET (N = 128): golden bytes from the §3.9 table', () => {
    const golden = hex(
      '89 02 28 00 00 00 00 00 01 17 00 00 00 02 00 00 28 00 00 00 28 00 00 00 28 02 00 00 00 00 00 00 00 00 00 00 00 00 00 00',
    );
    const v = rssParameters({ indirection_table: new Array(128).fill(0) });
    const b = encodeRssParameters(v);
    expect(b.length).toBe(40 + 512 + 40);
    expect(toHex(b.subarray(0, 40))).toBe(toHex(golden));
    expect(ndis_recv_scale_param.decode(golden)).toEqual({
      hdr: { type: 0x89, rev: 2, size: 40 },
      flag: 0,
      base_cpu_number: 0,
      hashinfo: 0x1701,
      indirect_tabsize: 512,
      indirect_taboffset: 40,
      hashkey_size: 40,
      hashkey_offset: 552,
      processor_masks_offset: 0,
      num_processor_masks: 0,
      processor_masks_entry_size: 0,
    });
  });
  it('the holes at 14 and 22 are written as zeros and ignored when read', () => {
    const b = encodeRssParameters(rssParameters({ indirection_table: [1, 2] }));
    expect([b[14], b[15], b[22], b[23]]).toEqual([0, 0, 0, 0]);
    b[14] = 0xff;
    b[23] = 0xff;
    expect(decodeRssParameters(b).indirection_table).toEqual([1, 2]);
  });
  it('default key is Linux’s netvsc_hash_key (§3.10)', () => {
    expect(toHex(rssParameters({ indirection_table: [0] }).hash_key)).toBe(
      '6d 5a 56 da 25 5b 0e c2 41 67 25 3d 43 a3 8f b0 d0 ca 2b cb ae 7b 30 b4 77 cb 2d a3 80 30 f2 0c 6a 42 b7 3b be ac 01 fa',
    );
    const k = netvscDefaultRssKey();
    k[0] = 0;
    expect(netvscDefaultRssKey()[0]).toBe(0x6d);
  });
  it('round-trips with table and key anywhere (key before table too)', () => {
    fc.assert(roundTripProperty(ndisRssParameters, rssArb), { numRuns: 200 });
  });
  it('fewer than 40 bytes: SHORT_BUFFER', () => {
    expect(errorOf(() => decodeRssParameters(new Uint8Array(39))).code).toBe('SHORT_BUFFER');
  });
  const bytesWith = (patch: (v: DataView) => void) => {
    const b = encodeRssParameters(rssParameters({ indirection_table: [0, 1, 2, 3] }));
    patch(new DataView(b.buffer));
    return b;
  };
  it('indirect_tabsize not a multiple of 4: BAD_LENGTH', () => {
    const e = errorOf(() => decodeRssParameters(bytesWith((v) => v.setUint16(12, 14, true))));
    expect([e.code, e.field, e.offset]).toEqual(['BAD_LENGTH', 'indirect_tabsize', 12]);
  });
  it('table overlapping the 40-byte struct: BAD_OFFSET on indirect_taboffset', () => {
    const e = errorOf(() => decodeRssParameters(bytesWith((v) => v.setUint32(16, 36, true))));
    expect([e.code, e.field]).toEqual(['BAD_OFFSET', 'indirect_taboffset']);
  });
  it('table offset outside the object: BAD_OFFSET', () => {
    expect(errorOf(() => decodeRssParameters(bytesWith((v) => v.setUint32(16, 1000, true)))).code).toBe('BAD_OFFSET');
  });
  it('key running past the end of the object: BAD_LENGTH on hashkey_size', () => {
    const e = errorOf(() => decodeRssParameters(bytesWith((v) => v.setUint16(20, 41, true))));
    expect([e.code, e.field]).toEqual(['BAD_LENGTH', 'hashkey_size']);
  });
  it('key overlapping the table: BAD_OFFSET on hashkey_offset', () => {
    const e = errorOf(() => decodeRssParameters(bytesWith((v) => v.setUint32(24, 44, true))));
    expect([e.code, e.field]).toEqual(['BAD_OFFSET', 'hashkey_offset']);
  });
  it('an empty table (DISABLE with indirect_tabsize 0) keeps any offset', () => {
    const v = { ...rssParameters({ indirection_table: [], flag: 0x10 }), indirect_taboffset: 0xdeadbeef };
    expect(decodeRssParameters(encodeRssParameters(v))).toEqual(v);
  });
  it('encode refuses more than 16383 entries (indirect_tabsize is u16) and a key over 65535 bytes', () => {
    expect(errorOf(() => encodeRssParameters(rssParameters({ indirection_table: new Array(16384).fill(0) }))).code).toBe('FIELD_RANGE');
    expect(errorOf(() => encodeRssParameters(rssParameters({ indirection_table: [0], hash_key: new Uint8Array(65536) }))).code).toBe(
      'FIELD_RANGE',
    );
  });
  it('arbitrary and mutated bytes: a value or a ProtocolError', () => {
    const total = decodesOrRejects(decodeRssParameters, (v) => {
      expect(deepEqual(decodeRssParameters(encodeRssParameters(v)), v)).toBe(true);
    });
    fc.assert(fc.property(anyBytes(128), total), { numRuns: 200 });
    fc.assert(fc.property(mutatedBytes(ndisRssParameters, rssArb), total), { numRuns: 200 });
  });
});

describe('the whole RSS SET message (§3.10)', () => {
  const setArb = fc.record({
    req_id: u32,
    info_buf_offset: fc.integer({ min: 20, max: 40 }),
    dev_vc_handle: u32,
    params: rssArb,
  });
  it('round-trips, and writes the same bytes as a SET carrying encodeRssParameters', () => {
    fc.assert(roundTripProperty(rndisRssSetMessage, setArb), { numRuns: 150 });
    fc.assert(
      fc.property(setArb, (v) => {
        const viaSet = encodeRndis({
          ...rndisSetRequest(v.req_id, OID.GEN_RECEIVE_SCALE_PARAMETERS, encodeRssParameters(v.params)),
          info_buf_offset: v.info_buf_offset,
          dev_vc_handle: v.dev_vc_handle,
        });
        expect(toHex(encodeRssSetRequest(v))).toBe(toHex(viaSet));
      }),
      { numRuns: 100 },
    );
  });
  it('refuses an object placed over the SET fields (info_buf_offset < 20): BAD_OFFSET', () => {
    const v = decodeRssSetRequest(encodeRssSetRequest({ req_id: 1, info_buf_offset: 20, dev_vc_handle: 0, params: rssParameters({ indirection_table: [0] }) }));
    expect(errorOf(() => encodeRssSetRequest({ ...v, info_buf_offset: 16 })).code).toBe('BAD_OFFSET');
  });
  it('an out-of-range table entry is FIELD_RANGE, named by index', () => {
    const e = errorOf(() => encodeRssSetRequest({ req_id: 1, info_buf_offset: 20, dev_vc_handle: 0, params: rssParameters({ indirection_table: [0, 1, -1] }) }));
    expect([e.code, e.field]).toEqual(['FIELD_RANGE', 'indirection_table[2]']);
  });
});

describe('task offload objects (§3.11)', () => {
  it('sizes of the three revisions: 112, 144, 156', () => {
    expect([NDIS_OFFLOAD_SIZE_6_0, NDIS_OFFLOAD_SIZE_6_1, NDIS_OFFLOAD_SIZE]).toEqual([112, 144, 156]);
  });
  it('Linux’s query input for NVSP ≥ 5: header {0xA7, 3, 156}, zeros', () => {
    expect(toHex(ndisOffloadQueryInput(3, 156))).toBe(toHex(hex('a7 03 9c 00' + '00'.repeat(152))));
    expect(ndisOffloadQueryInput(1, 112).length).toBe(112);
  });
  it('a 112-byte (6.0) reply reads zero-extended, as Linux copies it into a zeroed struct', () => {
    const v = ndis_offload.make({
      header: { type: 0xa7, revision: 1, size: 112 },
      csum: { ...ndis_offload.zero().csum, ip4_txcsum: 0x14, ip6_txcsum: 0x15 },
      lsov2: { ...ndis_offload.zero().lsov2, ip4_encap: 2, ip4_maxsz: 62780, ip4_minsg: 2 },
      rsc: { ip4: 1, ip6: 1 },
    });
    const info = encodeNdisOffloadInfo(v, 112);
    expect(info.length).toBe(112);
    const back = decodeNdisOffloadInfo(info);
    expect(back.csum.ip4_txcsum).toBe(0x14);
    expect(back.lsov2.ip4_maxsz).toBe(62780);
    expect(back.rsc).toEqual({ ip4: 0, ip6: 0 }); // beyond 112: not sent, read as zero
    expect(decodeNdisOffloadInfo(new Uint8Array(0))).toEqual(ndis_offload.zero());
  });
  it('ndis_offload round-trips (hole at 146 written as zero)', () => {
    fc.assert(roundTripProperty(ndis_offload, structArbitrary(ndis_offload)), { numRuns: 100 });
  });
  it('offload parameters as Linux sets them: golden 28 bytes, and the 22-byte NVSP ≤ 4 form without UDP', () => {
    const p = ndis_offload_params.make({
      ip_v4_csum: 1,
      tcp_ip_v4_csum: 4,
      udp_ip_v4_csum: 4,
      tcp_ip_v6_csum: 4,
      udp_ip_v6_csum: 4,
      lso_v2_ipv4: 2,
      lso_v2_ipv6: 2,
      rsc_ip_v4: 2,
      rsc_ip_v6: 2,
    });
    const golden = hex('80 03 1c 00 01 04 04 04 04 00 00 02 02 00 00 00 00 00 00 00 00 00 02 02 00 00 00 00');
    expect(toHex(encodeNdisOffloadParamsInfo(p))).toBe(toHex(golden));
    const short = encodeNdisOffloadParamsInfo(p, 22);
    expect(toHex(short)).toBe(toHex(hex('80 03 16 00 01 04 00 04 00 00 00 02 02 00 00 00 00 00 00 00 00 00')));
    expect(decodeNdisOffloadParamsInfo(short).rsc_ip_v4).toBe(0);
    expect(errorOf(() => encodeNdisOffloadParamsInfo(p, 24 as 22)).code).toBe('FIELD_RANGE');
  });
  it('ndis_offload_params round-trips', () => {
    fc.assert(roundTripProperty(ndis_offload_params, structArbitrary(ndis_offload_params)), { numRuns: 100 });
  });
});

describe('config parameter: MAC address change (§3.15)', () => {
  const golden = hex(`
    14 00 00 00 1c 00 00 00 02 00 00 00 30 00 00 00 18 00 00 00
    4e 00 65 00 74 00 77 00 6f 00 72 00 6b 00 41 00 64 00 64 00 72 00 65 00 73 00 73 00
    30 00 30 00 31 00 35 00 35 00 64 00 30 00 31 00 30 00 32 00 30 00 61 00`);
  it('NetworkAddress for 00:15:5d:01:02:0a: 72 bytes, name at 20, value at 48', () => {
    expect(toHex(encodeConfigParameter(networkAddressParameter('00:15:5d:01:02:0a')))).toBe(toHex(golden));
    const p = decodeConfigParameter(golden);
    expect(p).toEqual({
      parameter_name_offset: 20,
      name: 'NetworkAddress',
      parameter_type: 2,
      parameter_value_offset: 48,
      value: utf16leEncode('00155d01020a'),
    });
    expect([...parseNetworkAddressParameter(p)]).toEqual([0x00, 0x15, 0x5d, 0x01, 0x02, 0x0a]);
  });
  it('a value that is not 12 hex digits is a BAD_VALUE, not a crash (openvmm’s fuzz finding)', () => {
    const p = networkAddressParameter(new Uint8Array(6));
    p.value = utf16leEncode('00155d01020g');
    expect(errorOf(() => parseNetworkAddressParameter(p)).code).toBe('BAD_VALUE');
    p.value = utf16leEncode('0015');
    expect(errorOf(() => parseNetworkAddressParameter(p)).code).toBe('BAD_VALUE');
  });
  it('odd name length: BAD_LENGTH; name over the 20-byte header: BAD_OFFSET; value past the end: BAD_LENGTH', () => {
    const b = golden.slice();
    new DataView(b.buffer).setUint32(4, 27, true);
    expect(errorOf(() => decodeConfigParameter(b)).code).toBe('BAD_LENGTH');
    const c = golden.slice();
    new DataView(c.buffer).setUint32(0, 16, true);
    expect(errorOf(() => decodeConfigParameter(c)).code).toBe('BAD_OFFSET');
    const d = golden.slice();
    new DataView(d.buffer).setUint32(16, 26, true);
    expect(errorOf(() => decodeConfigParameter(d)).field).toBe('parameter_value_length');
  });
  it('round-trips any UTF-16 name (lone surrogates included) and value', () => {
    const arb = fc
      .record({
        name: fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 20 }).map((u) => String.fromCharCode(...u)),
        value: fc.uint8Array({ maxLength: 30 }),
        type: u32,
        valueFirst: fc.boolean(),
        gap: fc.integer({ min: 0, max: 6 }),
      })
      .map((r) => {
        const nlen = r.name.length * 2;
        const first = r.valueFirst ? r.value.length : nlen;
        const a = 20;
        const b = 20 + first + r.gap;
        return {
          parameter_name_offset: r.valueFirst ? b : a,
          name: r.name,
          parameter_type: r.type,
          parameter_value_offset: r.valueFirst ? a : b,
          value: r.value,
        };
      });
    fc.assert(roundTripProperty(rndisConfigParameter, arb), { numRuns: 200 });
    fc.assert(fc.property(mutatedBytes(rndisConfigParameter, arb), decodesOrRejects(decodeConfigParameter)), { numRuns: 200 });
  });
  it('utf16le helpers', () => {
    expect(utf16leDecode(utf16leEncode('Network Adapter'))).toBe('Network Adapter');
    expect(errorOf(() => utf16leDecode(new Uint8Array(3))).code).toBe('BAD_LENGTH');
  });
});

describe('packet filter (§3.13)', () => {
  it('Linux opens with BROADCAST | ALL_MULTICAST | DIRECTED = 0x0D', () => {
    expect(NDIS_LINUX_OPEN_PACKET_FILTER).toBe(0x0d);
    expect(packetFilterNames(0x0d)).toEqual(['NDIS_PACKET_TYPE_DIRECTED', 'NDIS_PACKET_TYPE_ALL_MULTICAST', 'NDIS_PACKET_TYPE_BROADCAST']);
    expect(packetFilterNames(0x20)).toEqual(['NDIS_PACKET_TYPE_PROMISCUOUS']);
    expect(packetFilterNames(0x10000)).toEqual(['0x00010000']);
  });
  it('hyperv_net.h and rndis.h agree up to ALL_LOCAL and differ from GROUP on', () => {
    for (const k of ['DIRECTED', 'MULTICAST', 'ALL_MULTICAST', 'BROADCAST', 'SOURCE_ROUTING', 'PROMISCUOUS', 'SMT', 'ALL_LOCAL'] as const) {
      expect(NDIS_PACKET_TYPE[k]).toBe(RNDIS_PACKET_TYPE[k]);
    }
    expect([NDIS_PACKET_TYPE.GROUP, RNDIS_PACKET_TYPE.GROUP]).toEqual([0x100, 0x1000]);
    expect([NDIS_PACKET_TYPE.MAC_FRAME, RNDIS_PACKET_TYPE.MAC_FRAME]).toEqual([0x800, 0x8000]);
  });
});

describe('OIDs (§3.7)', () => {
  it('names the OIDs netvsc uses', () => {
    const names: [number, string][] = [
      [0x00010106, 'OID_GEN_MAXIMUM_FRAME_SIZE'],
      [0x00010107, 'OID_GEN_LINK_SPEED'],
      [0x0001010e, 'OID_GEN_CURRENT_PACKET_FILTER'],
      [0x00010114, 'OID_GEN_MEDIA_CONNECT_STATUS'],
      [0x00010203, 'OID_GEN_RECEIVE_SCALE_CAPABILITIES'],
      [0x00010204, 'OID_GEN_RECEIVE_SCALE_PARAMETERS'],
      [0x0001021b, 'OID_GEN_RNDIS_CONFIG_PARAMETER'],
      [0x00020216, 'OID_GEN_FRIENDLY_NAME'],
      [0x01010101, 'OID_802_3_PERMANENT_ADDRESS'],
      [0x0101010a, 'OID_OFFLOAD_ENCAPSULATION'],
      [0xfc01020c, 'OID_TCP_OFFLOAD_PARAMETERS'],
      [0xfc01020d, 'OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES'],
    ];
    expect(names.map(([oid]) => [oid, oidName(oid)])).toEqual(names);
  });
  it('recognises OID_SWITCH_NIC_REQUEST (0x00010270) so a host can refuse it', () => {
    expect(OID.SWITCH_NIC_REQUEST).toBe(0x00010270);
    expect(oidName(0x00010270)).toBe('OID_SWITCH_NIC_REQUEST');
    expect(isKnownOid(0x00010270)).toBe(true);
  });
  it('unknown OIDs print as 8-digit hex; every listed value has exactly one name', () => {
    expect(oidName(0x12)).toBe('0x00000012');
    expect(isKnownOid(0x12)).toBe(false);
    const values = Object.values(OID);
    expect(new Set(values).size).toBe(values.length);
  });
});

describe('composite codecs pass the shared round-trip helper on builder output', () => {
  it('RSS parameters, config parameter', () => {
    checkRoundTrip(ndisRssParameters, rssParameters({ indirection_table: Array.from({ length: 128 }, (_, i) => i % 3) }));
    checkRoundTrip(rndisConfigParameter, networkAddressParameter('00-15-5D-AA-BB-CC'));
  });
});
