/**
 * NDIS objects carried in RNDIS info buffers: the NDIS object headers, RSS capabilities and
 * parameters (with the indirection table and hash key, and the codec of the whole RSS SET message
 * that carries them), task-offload capabilities and parameters,
 * the config-parameter object used to change the MAC address, and the packet-filter bits.
 *
 * Layouts: drivers/net/hyperv/hyperv_net.h (Debian 6.1.192), checked against the compiled module's
 * BTF (fixtures/kernel/layouts.json); facts: shared/spec/nvsp-rndis-netvsc.md §3.8–3.11, §3.13, §3.15.
 *
 * Offsets inside NDIS objects are relative to the start of the object (its header byte 0): the RSS
 * parameters' `indirect_taboffset`/`hashkey_offset` and the config parameter's name/value offsets.
 * Variable parts follow the same region rules as RNDIS buffers (see `rndis.ts`): an empty region is
 * never checked, a non-empty one must lie after the fixed struct and inside the object, and two
 * regions must not overlap.
 *
 * @module
 */
import { nested, pad, struct, u16, u32, u8 } from '../wire/struct.js';
import type { Codec, StructCodec, ValueOf } from '../wire/struct.js';
import { ProtocolError } from '../wire/errors.js';
import { OID } from './oids.js';
import { decodeRndis, rndis_set_request, RNDIS_HEADER_SIZE, RNDIS_MSG } from './rndis.js';
import {
  available,
  availableAtLeast,
  checkRegions,
  contentEnd,
  needBytes,
  needObject,
  needU16,
  needU32,
  needUint,
  outBuffer,
  rd16,
  rd32,
  regionBytes,
  wr16,
  wr32,
  type Region,
} from './rndis-util.js';

// ---------------------------------------------------------------------------------------------
// Object headers (§3.8)

/** The packed header of the RSS objects (`struct ndis_obj_header`, `__packed`, 4 bytes). */
export const ndis_obj_header = struct('ndis_obj_header', [u8('type'), u8('rev'), u16('size')]);
/** The header of the offload objects (`struct ndis_object_header`, 4 bytes; fields type/revision/size). */
export const ndis_object_header = struct('ndis_object_header', [u8('type'), u8('revision'), u16('size')]);

/** NDIS object types (`NDIS_OBJECT_TYPE_*`, hyperv_net.h; OID_REQUEST and OFFLOAD_ENCAPSULATION from openvmm). */
export const NDIS_OBJECT_TYPE = {
  /**
   * `NDIS_OBJECT_TYPE_DEFAULT` (0x80): generic object; the header type of the offload-parameters object (revision 3,
   * size 28 or 22).
   */
  DEFAULT: 0x80,
  /** `NDIS_OBJECT_TYPE_RSS_CAPABILITIES` (0x88): header type of `ndis_recv_scale_cap` (revision 2, size 18). */
  RSS_CAPABILITIES: 0x88,
  /** `NDIS_OBJECT_TYPE_RSS_PARAMETERS` (0x89): header type of `ndis_recv_scale_param` (revision 2, size 40). */
  RSS_PARAMETERS: 0x89,
  /** `NDIS_OBJECT_TYPE_OID_REQUEST` (0x96): (openvmm) an NDIS OID request object; not used by Linux. */
  OID_REQUEST: 0x96,
  /**
   * `NDIS_OBJECT_TYPE_OFFLOAD` (0xa7): header type of `ndis_offload` (revision 1/2/3 = 112/144/156 bytes); Linux
   * requires it in the capabilities reply.
   */
  OFFLOAD: 0xa7,
  /**
   * `NDIS_OBJECT_TYPE_OFFLOAD_ENCAPSULATION` (0xa8): (openvmm) header type of the `NDIS_OFFLOAD_ENCAPSULATION` object;
   * not used by Linux.
   */
  OFFLOAD_ENCAPSULATION: 0xa8,
} as const;

/** Revision of the RSS capabilities object Linux asks for (`NDIS_RECEIVE_SCALE_CAPABILITIES_REVISION_2`). */
export const NDIS_RECEIVE_SCALE_CAPABILITIES_REVISION_2 = 2;
/** Revision of the RSS parameters object Linux sends (`NDIS_RECEIVE_SCALE_PARAMETERS_REVISION_2`). */
export const NDIS_RECEIVE_SCALE_PARAMETERS_REVISION_2 = 2;

// ---------------------------------------------------------------------------------------------
// RSS capabilities (§3.9)

/** `struct ndis_recv_scale_cap` (`__packed`, 18 bytes): the OID_GEN_RECEIVE_SCALE_CAPABILITIES object. */
export const ndis_recv_scale_cap = struct('ndis_recv_scale_cap', [
  nested('hdr', ndis_obj_header),
  u32('cap_flag'),
  u32('num_int_msg'),
  u32('num_recv_que'),
  u16('num_indirect_tabent'),
]);
/** A decoded {@link ndis_recv_scale_cap}. */
export type NdisRecvScaleCap = ValueOf<typeof ndis_recv_scale_cap>;

/** `cap_flag` bits (`NDIS_RSS_CAPS_*`, hyperv_net.h; the UDP and INDEPENDENT_ENTRY_MOVE bits from openvmm). */
export const NDIS_RSS_CAPS = {
  /** `NDIS_RSS_CAPS_MESSAGE_SIGNALED_INTERRUPTS` (0x01000000): the NIC uses message-signalled interrupts. */
  MESSAGE_SIGNALED_INTERRUPTS: 0x01000000,
  /**
   * `NDIS_RSS_CAPS_CLASSIFICATION_AT_ISR` (0x02000000): the NIC can classify packets to queues in its interrupt service
   * routine.
   */
  CLASSIFICATION_AT_ISR: 0x02000000,
  /**
   * `NDIS_RSS_CAPS_CLASSIFICATION_AT_DPC` (0x04000000): the NIC can classify packets to queues in its deferred procedure
   * call.
   */
  CLASSIFICATION_AT_DPC: 0x04000000,
  /** `NDIS_RSS_CAPS_USING_MSI_X` (0x08000000): the NIC uses MSI-X. */
  USING_MSI_X: 0x08000000,
  /** `NDIS_RSS_CAPS_RSS_AVAILABLE_ON_PORTS` (0x10000000): RSS is available on NDIS ports other than the default one. */
  RSS_AVAILABLE_ON_PORTS: 0x10000000,
  /** `NDIS_RSS_CAPS_SUPPORTS_MSI_X` (0x20000000): the NIC supports MSI-X. */
  SUPPORTS_MSI_X: 0x20000000,
  /**
   * `NDIS_RSS_CAPS_SUPPORTS_INDEPENDENT_ENTRY_MOVE` (0x40000000): (openvmm) indirection-table entries can be moved one
   * at a time.
   */
  SUPPORTS_INDEPENDENT_ENTRY_MOVE: 0x40000000,
  /** `NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV4` (0x00000100): can hash the TCP/IPv4 4-tuple. */
  HASH_TYPE_TCP_IPV4: 0x00000100,
  /** `NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV6` (0x00000200): can hash the TCP/IPv6 4-tuple. */
  HASH_TYPE_TCP_IPV6: 0x00000200,
  /** `NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV6_EX` (0x00000400): can hash TCP/IPv6 using addresses from IPv6 extension headers. */
  HASH_TYPE_TCP_IPV6_EX: 0x00000400,
  /** `NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV4` (0x00000800): (openvmm) can hash the UDP/IPv4 4-tuple. */
  HASH_TYPE_UDP_IPV4: 0x00000800,
  /** `NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV6` (0x00001000): (openvmm) can hash the UDP/IPv6 4-tuple. */
  HASH_TYPE_UDP_IPV6: 0x00001000,
  /**
   * `NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV6_EX` (0x00002000): (openvmm) can hash UDP/IPv6 using addresses from IPv6 extension
   * headers.
   */
  HASH_TYPE_UDP_IPV6_EX: 0x00002000,
} as const;

/** The RSS capabilities header Linux sends and hosts answer with: {0x88, rev 2, size 18}. */
const rssCapabilitiesHeader = (): NdisObjHeader => ({
  type: NDIS_OBJECT_TYPE.RSS_CAPABILITIES,
  rev: NDIS_RECEIVE_SCALE_CAPABILITIES_REVISION_2,
  size: ndis_recv_scale_cap.size,
});

/**
 * The 18-byte input object Linux pre-fills in its RSS-capabilities QUERY (rndis_filter.c
 * `rndis_filter_query_device`): header {0x88, rev 2, size 18}, every other field 0.
 */
export function rssCapabilitiesQueryInput(): Uint8Array {
  return ndis_recv_scale_cap.encode(ndis_recv_scale_cap.make({ hdr: rssCapabilitiesHeader() }));
}

/** An RSS capabilities object as a host answers it; the header defaults to {0x88, 2, 18}. */
export function rssCapabilities(fields: Partial<NdisRecvScaleCap> & { num_recv_que: number }): NdisRecvScaleCap {
  return ndis_recv_scale_cap.make({ hdr: rssCapabilitiesHeader(), ...fields });
}

// ---------------------------------------------------------------------------------------------
// RSS parameters (§3.9, §3.10)

/**
 * `struct ndis_recv_scale_param` (natural alignment, 40 bytes; compiler holes at 14 and 22). The
 * indirection table and key follow in the same info buffer at object-relative offsets.
 */
export const ndis_recv_scale_param = struct('ndis_recv_scale_param', [
  nested('hdr', ndis_obj_header),
  u16('flag'),
  u16('base_cpu_number'),
  u32('hashinfo'),
  u16('indirect_tabsize'),
  pad(2),
  u32('indirect_taboffset'),
  u16('hashkey_size'),
  pad(2),
  u32('hashkey_offset'),
  u32('processor_masks_offset'),
  u32('num_processor_masks'),
  u32('processor_masks_entry_size'),
]);
/** A decoded {@link ndis_recv_scale_param} (the fixed part only). */
export type NdisRecvScaleParam = ValueOf<typeof ndis_recv_scale_param>;

/** `flag` bits (`NDIS_RSS_PARAM_FLAG_*`, hyperv_net.h; DEFAULT_PROCESSOR_UNCHANGED from openvmm). */
export const NDIS_RSS_PARAM_FLAG = {
  /** `NDIS_RSS_PARAM_FLAG_BASE_CPU_UNCHANGED` (0x0001): ignore `base_cpu_number`, keep the current one. */
  BASE_CPU_UNCHANGED: 0x0001,
  /** `NDIS_RSS_PARAM_FLAG_HASH_INFO_UNCHANGED` (0x0002): ignore `hashinfo`, keep the current hash function and types. */
  HASH_INFO_UNCHANGED: 0x0002,
  /** `NDIS_RSS_PARAM_FLAG_ITABLE_UNCHANGED` (0x0004): ignore the indirection table, keep the current one. */
  ITABLE_UNCHANGED: 0x0004,
  /** `NDIS_RSS_PARAM_FLAG_HASH_KEY_UNCHANGED` (0x0008): ignore the key, keep the current one. */
  HASH_KEY_UNCHANGED: 0x0008,
  /** `NDIS_RSS_PARAM_FLAG_DISABLE_RSS` (0x0010): turn RSS off; Linux sends a SET with this flag first, then one with flag 0. */
  DISABLE_RSS: 0x0010,
  /** `NDIS_RSS_PARAM_FLAG_DEFAULT_PROCESSOR_UNCHANGED` (0x0020): (openvmm) keep the current default processor. */
  DEFAULT_PROCESSOR_UNCHANGED: 0x0020,
} as const;

/**
 * `hashinfo` bits (`NDIS_HASH_*`, hyperv_net.h; UDP bits from openvmm). The low byte is the hash
 * function (`FUNCTION_MASK`); Linux always sends TOEPLITZ | IPV4 | TCP_IPV4 | IPV6 | TCP_IPV6 = 0x1701.
 */
export const NDIS_HASH = {
  /** `NDIS_HASH_FUNCTION_MASK` (0x000000ff): the hash-function byte of `hashinfo`; openvmm treats 0 there as "RSS disabled". */
  FUNCTION_MASK: 0x000000ff,
  /** `NDIS_HASH_FUNC_TOEPLITZ` (0x00000001): hash function: Toeplitz (the only one defined). */
  FUNC_TOEPLITZ: 0x00000001,
  /** `NDIS_HASH_IPV4` (0x00000100): hash IPv4 source and destination addresses. */
  IPV4: 0x00000100,
  /** `NDIS_HASH_TCP_IPV4` (0x00000200): hash the TCP/IPv4 4-tuple (addresses and ports). */
  TCP_IPV4: 0x00000200,
  /** `NDIS_HASH_IPV6` (0x00000400): hash IPv6 source and destination addresses. */
  IPV6: 0x00000400,
  /** `NDIS_HASH_IPV6_EX` (0x00000800): hash IPv6 addresses taken from extension headers (home address, routing header). */
  IPV6_EX: 0x00000800,
  /** `NDIS_HASH_TCP_IPV6` (0x00001000): hash the TCP/IPv6 4-tuple. */
  TCP_IPV6: 0x00001000,
  /** `NDIS_HASH_TCP_IPV6_EX` (0x00002000): hash TCP/IPv6 with addresses from extension headers. */
  TCP_IPV6_EX: 0x00002000,
  /** `NDIS_HASH_UDP_IPV4` (0x00004000): (openvmm) hash the UDP/IPv4 4-tuple. */
  UDP_IPV4: 0x00004000,
  /** `NDIS_HASH_UDP_IPV6` (0x00008000): (openvmm) hash the UDP/IPv6 4-tuple. */
  UDP_IPV6: 0x00008000,
  /** `NDIS_HASH_UDP_IPV6_EX` (0x00010000): (openvmm) hash UDP/IPv6 with addresses from extension headers. */
  UDP_IPV6_EX: 0x00010000,
} as const;

/** The `hashinfo` Linux sends: 0x1701 (rndis_filter.c `rndis_set_rss_param_msg`). */
export const NDIS_LINUX_RSS_HASHINFO =
  NDIS_HASH.FUNC_TOEPLITZ | NDIS_HASH.IPV4 | NDIS_HASH.TCP_IPV4 | NDIS_HASH.IPV6 | NDIS_HASH.TCP_IPV6;

/** Key size of revision 2 (`NDIS_RSS_HASH_SECRET_KEY_MAX_SIZE_REVISION_2`): 40 bytes. */
export const NDIS_RSS_HASH_SECRET_KEY_MAX_SIZE_REVISION_2 = 40;
/** `NDIS_RSS_INDIRECTION_TABLE_MAX_SIZE_REVISION_2` (hyperv_net.h): 128 × 4 bytes. */
export const NDIS_RSS_INDIRECTION_TABLE_MAX_SIZE_REVISION_2 = 128 * 4;

/** Linux's default key `netvsc_hash_key` (§3.10; the Microsoft RSS verification key). */
const NETVSC_DEFAULT_KEY = [
  0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
  0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
];

/** The 4-byte header of the RSS objects (`struct ndis_obj_header`, see {@link ndis_obj_header}). */
export interface NdisObjHeader {
  /** `type` (u8 @0): the object's {@link NDIS_OBJECT_TYPE} (0x88 RSS capabilities, 0x89 RSS parameters). */
  type: number;
  /** `rev` (u8 @1): object revision (Linux: 2 for both RSS objects). */
  rev: number;
  /** `size` (u16 @2): bytes of the object's fixed part, header included (18 capabilities, 40 parameters). */
  size: number;
}

/**
 * The whole RSS parameters object of an OID_GEN_RECEIVE_SCALE_PARAMETERS SET: the 40-byte
 * `ndis_recv_scale_param`, the indirection table (one **u32** per entry on the wire) and the hash
 * key, with the object-relative offsets as they are on the wire. `indirect_tabsize` (= 4 ×
 * entries) and `hashkey_size` (= key length) are derived from the arrays.
 */
export interface NdisRssParameters {
  /** Object header, returned as read; Linux sends {0x89 RSS_PARAMETERS, revision 2, size 40}. */
  hdr: NdisObjHeader;
  /** `flag` (u16 @4): {@link NDIS_RSS_PARAM_FLAG} bits; Linux sends 0x10 (DISABLE_RSS) first, then 0. */
  flag: number;
  /** `base_cpu_number` (u16 @6): lowest CPU number RSS may use; Linux sends 0. */
  base_cpu_number: number;
  /** `hashinfo` (u32 @8): hash function and hashed fields ({@link NDIS_HASH} bits); Linux sends 0x1701. */
  hashinfo: number;
  /** Object-relative offset of the table (Linux: 40). */
  indirect_taboffset: number;
  /** Indirection table entries (channel indices), u32 each. */
  indirection_table: number[];
  /** Object-relative offset of the key (Linux: 40 + 4N). */
  hashkey_offset: number;
  /** Toeplitz secret key (`hashkey_size` bytes; Linux: 40, `netvsc_hash_key` unless changed with ethtool -X). */
  hash_key: Uint8Array;
  /** `processor_masks_offset` (u32 @28): object-relative offset of the processor masks; Linux sends 0 (none). */
  processor_masks_offset: number;
  /** `num_processor_masks` (u32 @32): count of processor masks; Linux sends 0. */
  num_processor_masks: number;
  /** `processor_masks_entry_size` (u32 @36): bytes per processor mask; Linux sends 0. */
  processor_masks_entry_size: number;
}

const RSP = {
  flag: ndis_recv_scale_param.offsetOf('flag'),
  base: ndis_recv_scale_param.offsetOf('base_cpu_number'),
  hashinfo: ndis_recv_scale_param.offsetOf('hashinfo'),
  tabsize: ndis_recv_scale_param.offsetOf('indirect_tabsize'),
  taboff: ndis_recv_scale_param.offsetOf('indirect_taboffset'),
  keysize: ndis_recv_scale_param.offsetOf('hashkey_size'),
  keyoff: ndis_recv_scale_param.offsetOf('hashkey_offset'),
  pmo: ndis_recv_scale_param.offsetOf('processor_masks_offset'),
  npm: ndis_recv_scale_param.offsetOf('num_processor_masks'),
  pmes: ndis_recv_scale_param.offsetOf('processor_masks_entry_size'),
  size: ndis_recv_scale_param.size,
};
const RSS_NAME = 'ndis_recv_scale_param';

/**
 * Decodes an RSS parameters object occupying `buf` from `offset` to its end (an info buffer).
 *
 * Rules: at least 40 bytes (`SHORT_BUFFER`); `indirect_tabsize` a multiple of 4 (`BAD_LENGTH`);
 * table and key regions after the 40-byte struct, inside the object, not overlapping
 * (`BAD_OFFSET`/`BAD_LENGTH`). The header, flags and hash info are returned as read, not judged:
 * openvmm ignores the header, and a host that treats DISABLE_RSS before looking at the table can
 * read the fixed part alone with {@link ndis_recv_scale_param}.
 */
export function decodeRssParameters(buf: Uint8Array, offset = 0): NdisRssParameters {
  const avail = availableAtLeast(RSS_NAME, buf, offset, RSP.size);
  const o = offset;
  const tabsize = rd16(buf, o + RSP.tabsize);
  const taboff = rd32(buf, o + RSP.taboff);
  const keysize = rd16(buf, o + RSP.keysize);
  const keyoff = rd32(buf, o + RSP.keyoff);
  if (tabsize % 4 !== 0) {
    throw new ProtocolError('BAD_LENGTH', 'is not a multiple of 4 (entries are u32)', {
      struct: RSS_NAME,
      field: 'indirect_tabsize',
      value: tabsize,
      offset: o + RSP.tabsize,
    });
  }
  const regions: Region[] = [
    { offsetField: 'indirect_taboffset', lengthField: 'indirect_tabsize', offset: taboff, length: tabsize, at: o + RSP.taboff },
    { offsetField: 'hashkey_offset', lengthField: 'hashkey_size', offset: keyoff, length: keysize, at: o + RSP.keyoff },
  ];
  checkRegions(RSS_NAME, regions, RSP.size, avail);
  const n = tabsize >>> 2;
  const table = new Array<number>(n);
  for (let i = 0, q = o + taboff; i < n; i++, q += 4) table[i] = rd32(buf, q);
  return {
    hdr: { type: buf[o]!, rev: buf[o + 1]!, size: rd16(buf, o + 2) },
    flag: rd16(buf, o + RSP.flag),
    base_cpu_number: rd16(buf, o + RSP.base),
    hashinfo: rd32(buf, o + RSP.hashinfo),
    indirect_taboffset: taboff,
    indirection_table: table,
    hashkey_offset: keyoff,
    hash_key: regionBytes(buf, o + keyoff, keysize),
    processor_masks_offset: rd32(buf, o + RSP.pmo),
    num_processor_masks: rd32(buf, o + RSP.npm),
    processor_masks_entry_size: rd32(buf, o + RSP.pmes),
  };
}

function rssPlan(v: NdisRssParameters): { regions: Region[]; end: number; key: Uint8Array; table: number[] } {
  needObject(RSS_NAME, v);
  needObject('ndis_obj_header', v.hdr);
  needUint('ndis_obj_header', 'type', v.hdr.type, 0xff, 8);
  needUint('ndis_obj_header', 'rev', v.hdr.rev, 0xff, 8);
  needU16('ndis_obj_header', 'size', v.hdr.size);
  needU16(RSS_NAME, 'flag', v.flag);
  needU16(RSS_NAME, 'base_cpu_number', v.base_cpu_number);
  needU32(RSS_NAME, 'hashinfo', v.hashinfo);
  needU32(RSS_NAME, 'processor_masks_offset', v.processor_masks_offset);
  needU32(RSS_NAME, 'num_processor_masks', v.num_processor_masks);
  needU32(RSS_NAME, 'processor_masks_entry_size', v.processor_masks_entry_size);
  const table = v.indirection_table;
  if (!Array.isArray(table) || table.length > 0xffff >>> 2) {
    throw new ProtocolError('FIELD_RANGE', 'must be an array of at most 16383 entries (indirect_tabsize is u16)', {
      struct: RSS_NAME,
      field: 'indirection_table',
      value: table,
    });
  }
  // Entries are range-checked as they are written (writeRss).
  const key = needBytes(RSS_NAME, 'hash_key', v.hash_key, 0xffff);
  const regions: Region[] = [
    {
      offsetField: 'indirect_taboffset',
      lengthField: 'indirect_tabsize',
      offset: needU32(RSS_NAME, 'indirect_taboffset', v.indirect_taboffset),
      length: table.length * 4,
      at: RSP.taboff,
    },
    {
      offsetField: 'hashkey_offset',
      lengthField: 'hashkey_size',
      offset: needU32(RSS_NAME, 'hashkey_offset', v.hashkey_offset),
      length: key.length,
      at: RSP.keyoff,
    },
  ];
  checkRegions(RSS_NAME, regions, RSP.size, Number.MAX_SAFE_INTEGER);
  return { regions, end: contentEnd(RSP.size, regions), key, table };
}

/** Writes a planned RSS object at `o` (the bytes there must already be zero). */
function writeRss(v: NdisRssParameters, pl: ReturnType<typeof rssPlan>, out: Uint8Array, o: number): void {
  out[o] = v.hdr.type;
  out[o + 1] = v.hdr.rev;
  wr16(out, o + 2, v.hdr.size);
  wr16(out, o + RSP.flag, v.flag);
  wr16(out, o + RSP.base, v.base_cpu_number);
  wr32(out, o + RSP.hashinfo, v.hashinfo);
  wr16(out, o + RSP.tabsize, pl.table.length * 4);
  wr32(out, o + RSP.taboff, v.indirect_taboffset);
  wr16(out, o + RSP.keysize, pl.key.length);
  wr32(out, o + RSP.keyoff, v.hashkey_offset);
  wr32(out, o + RSP.pmo, v.processor_masks_offset);
  wr32(out, o + RSP.npm, v.num_processor_masks);
  wr32(out, o + RSP.pmes, v.processor_masks_entry_size);
  const t = pl.table;
  if (t.length) {
    const dv = new DataView(out.buffer, out.byteOffset + o + v.indirect_taboffset, t.length * 4);
    for (let i = 0; i < t.length; i++) {
      const x = t[i]!;
      if ((x >>> 0) !== x) needU32(RSS_NAME, `indirection_table[${i}]`, x);
      dv.setUint32(i * 4, x, true);
    }
  }
  if (pl.key.length) out.set(pl.key, o + v.hashkey_offset);
}

/** Encodes an RSS parameters object; its length is the end of the furthest part (≥ 40). */
export function encodeRssParameters(v: NdisRssParameters, buf?: Uint8Array, offset = 0): Uint8Array {
  const pl = rssPlan(v);
  const out = outBuffer(RSS_NAME, pl.end, buf, offset);
  if (buf !== undefined) out.fill(0, offset, offset + pl.end);
  writeRss(v, pl, out, offset);
  return out;
}

/** The composite codec for the whole RSS parameters object (struct + table + key). */
export const ndisRssParameters: Codec<NdisRssParameters> = {
  name: 'NDIS_RECEIVE_SCALE_PARAMETERS',
  encode: encodeRssParameters,
  decode: decodeRssParameters,
  encodingLength: (v) => rssPlan(v).end,
};

/** What {@link rssParameters} needs; everything but the table has Linux's default. */
export interface RssParametersOptions {
  /** Channel index per entry (Linux: `rx_table`, default 128 entries of i mod num_chn); copied. */
  indirection_table: ArrayLike<number>;
  /** 40-byte key (default: Linux's `netvsc_hash_key`). */
  hash_key?: Uint8Array;
  /** `flag` (default 0; Linux sends 0x10 DISABLE_RSS first, then 0). */
  flag?: number;
  /** `hashinfo` (default 0x1701). */
  hashinfo?: number;
  /** `base_cpu_number` (default 0, as Linux sends). */
  base_cpu_number?: number;
}

/**
 * An RSS parameters object laid out exactly as Linux builds it (rndis_filter.c
 * `rndis_set_rss_param_msg`): header {0x89, rev 2, size 40}, table at 40, key at 40 + 4N, no
 * processor masks.
 */
export function rssParameters(options: RssParametersOptions): NdisRssParameters {
  const from = options.indirection_table;
  const table = new Array<number>(from.length);
  for (let i = 0; i < from.length; i++) table[i] = from[i]!;
  return {
    hdr: { type: NDIS_OBJECT_TYPE.RSS_PARAMETERS, rev: NDIS_RECEIVE_SCALE_PARAMETERS_REVISION_2, size: RSP.size },
    flag: options.flag ?? 0,
    base_cpu_number: options.base_cpu_number ?? 0,
    hashinfo: options.hashinfo ?? NDIS_LINUX_RSS_HASHINFO,
    indirect_taboffset: RSP.size,
    indirection_table: table,
    hashkey_offset: RSP.size + 4 * table.length,
    hash_key: options.hash_key ?? Uint8Array.from(NETVSC_DEFAULT_KEY),
    processor_masks_offset: 0,
    num_processor_masks: 0,
    processor_masks_entry_size: 0,
  };
}

/** A fresh copy of Linux's default RSS key (`netvsc_hash_key`, 40 bytes). */
export function netvscDefaultRssKey(): Uint8Array {
  return Uint8Array.from(NETVSC_DEFAULT_KEY);
}

// ---------------------------------------------------------------------------------------------
// The whole RSS SET message (§3.10)

/** A SET of OID_GEN_RECEIVE_SCALE_PARAMETERS with its info buffer decoded. */
export interface RndisRssSetRequest {
  /** `rndis_set_request.req_id`: request id, echoed in SET_C. */
  req_id: number;
  /** Body-relative offset of the RSS object (Linux: 20, i.e. absolute 28). */
  info_buf_offset: number;
  /** `rndis_set_request.dev_vc_handle`: CoNDIS virtual-circuit handle; Linux sends 0. */
  dev_vc_handle: number;
  /** The RSS parameters object carried as the info buffer (`info_buflen` = its length, 80 + 4N for Linux). */
  params: NdisRssParameters;
}

const SET = {
  oid: rndis_set_request.offsetOf('oid'),
  len: rndis_set_request.offsetOf('info_buflen'),
  off: rndis_set_request.offsetOf('info_buf_offset'),
  vc: rndis_set_request.offsetOf('dev_vc_handle'),
  size: rndis_set_request.size,
};

/**
 * Decodes a whole RSS SET message: an RNDIS SET whose OID is OID_GEN_RECEIVE_SCALE_PARAMETERS and
 * whose info buffer is an RSS parameters object ({@link decodeRssParameters} rules; the table and
 * key offsets count from the object, i.e. from absolute `8 + info_buf_offset`). Bytes after the
 * object inside the info buffer are ignored.
 * @throws {@link ProtocolError} `BAD_VALUE` for another message type or OID; any RNDIS or RSS
 *   object error.
 */
export function decodeRssSetRequest(buf: Uint8Array, offset = 0): RndisRssSetRequest {
  const m = decodeRndis(buf, offset);
  if (m.type !== 'SET') {
    throw new ProtocolError('BAD_VALUE', `is ${m.type}, not SET`, { struct: 'rndis_message', field: 'ndis_msg_type', value: m.type, offset });
  }
  if (m.oid !== OID.GEN_RECEIVE_SCALE_PARAMETERS) {
    throw new ProtocolError('BAD_VALUE', 'is not OID_GEN_RECEIVE_SCALE_PARAMETERS', {
      struct: 'rndis_set_request',
      field: 'oid',
      value: m.oid,
      offset: offset + RNDIS_HEADER_SIZE + SET.oid,
    });
  }
  return { req_id: m.req_id, info_buf_offset: m.info_buf_offset, dev_vc_handle: m.dev_vc_handle, params: decodeRssParameters(m.info_buf) };
}

function rssSetPlan(v: RndisRssSetRequest): { pl: ReturnType<typeof rssPlan>; total: number } {
  needObject('rndis_set_request', v);
  needU32('rndis_set_request', 'req_id', v.req_id);
  needU32('rndis_set_request', 'dev_vc_handle', v.dev_vc_handle);
  const off = needU32('rndis_set_request', 'info_buf_offset', v.info_buf_offset);
  const pl = rssPlan(v.params);
  // The object is never empty, so the info-buffer rules always apply.
  checkRegions(
    'rndis_set_request',
    [{ offsetField: 'info_buf_offset', lengthField: 'info_buflen', offset: off, length: pl.end, at: RNDIS_HEADER_SIZE + SET.off }],
    SET.size,
    Number.MAX_SAFE_INTEGER,
  );
  return { pl, total: RNDIS_HEADER_SIZE + off + pl.end };
}

/** Encodes a whole RSS SET message, the object written straight into the message. */
export function encodeRssSetRequest(v: RndisRssSetRequest, buf?: Uint8Array, offset = 0): Uint8Array {
  const { pl, total } = rssSetPlan(v);
  const out = outBuffer('rndis_set_request', total, buf, offset);
  if (buf !== undefined) out.fill(0, offset, offset + total);
  const p = offset + RNDIS_HEADER_SIZE;
  wr32(out, offset, RNDIS_MSG.SET);
  wr32(out, offset + 4, total);
  wr32(out, p, v.req_id);
  wr32(out, p + SET.oid, OID.GEN_RECEIVE_SCALE_PARAMETERS);
  wr32(out, p + SET.len, pl.end);
  wr32(out, p + SET.off, v.info_buf_offset);
  wr32(out, p + SET.vc, v.dev_vc_handle);
  writeRss(v.params, pl, out, p + v.info_buf_offset);
  return out;
}

/**
 * The whole RSS SET message codec (RNDIS header + SET body + RSS parameters + table + key); its bytes
 * equal `encodeRndis(rndisSetRequest(…, encodeRssParameters(params)))` with the value's offsets.
 */
export const rndisRssSetMessage: Codec<RndisRssSetRequest> = {
  name: 'rndis_rss_set',
  encode: encodeRssSetRequest,
  decode: decodeRssSetRequest,
  encodingLength: (v) => rssSetPlan(v).total,
};

// ---------------------------------------------------------------------------------------------
// Task offload (§3.11)

/** `struct ndis_csum_offload` (32 bytes). */
export const ndis_csum_offload = struct('ndis_csum_offload', [
  u32('ip4_txenc'),
  u32('ip4_txcsum'),
  u32('ip4_rxenc'),
  u32('ip4_rxcsum'),
  u32('ip6_txenc'),
  u32('ip6_txcsum'),
  u32('ip6_rxenc'),
  u32('ip6_rxcsum'),
]);
/** `struct ndis_lsov1_offload` (16 bytes). */
export const ndis_lsov1_offload = struct('ndis_lsov1_offload', [u32('encap'), u32('maxsize'), u32('minsegs'), u32('opts')]);
/** `struct ndis_ipsecv1_offload` (28 bytes). */
export const ndis_ipsecv1_offload = struct('ndis_ipsecv1_offload', [
  u32('encap'),
  u32('ah_esp'),
  u32('xport_tun'),
  u32('ip4_opts'),
  u32('flags'),
  u32('ip4_ah'),
  u32('ip4_esp'),
]);
/** `struct ndis_lsov2_offload` (28 bytes). */
export const ndis_lsov2_offload = struct('ndis_lsov2_offload', [
  u32('ip4_encap'),
  u32('ip4_maxsz'),
  u32('ip4_minsg'),
  u32('ip6_encap'),
  u32('ip6_maxsz'),
  u32('ip6_minsg'),
  u32('ip6_opts'),
]);
/** `struct ndis_ipsecv2_offload` (32 bytes; hole at 15). */
export const ndis_ipsecv2_offload = struct('ndis_ipsecv2_offload', [
  u32('encap'),
  u8('ip6'),
  u8('ip4opt'),
  u8('ip6ext'),
  u8('ah'),
  u8('esp'),
  u8('ah_esp'),
  u8('xport'),
  u8('tun'),
  u8('xport_tun'),
  u8('lso'),
  u8('extseq'),
  pad(1),
  u32('udp_esp'),
  u32('auth'),
  u32('crypto'),
  u32('sa_caps'),
]);
/** `struct ndis_rsc_offload` (2 bytes). */
export const ndis_rsc_offload = struct('ndis_rsc_offload', [u8('ip4'), u8('ip6')]);
/** `struct ndis_encap_offload` (8 bytes). */
export const ndis_encap_offload = struct('ndis_encap_offload', [u32('flags'), u32('maxhdr')]);
/**
 * `struct ndis_offload` (156 bytes; hole at 146): the OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES object.
 * Shorter revisions end early: 6.0 = 112 bytes (through `flags`), 6.1 = 144 (through `ipsecv2`).
 */
export const ndis_offload = struct('ndis_offload', [
  nested('header', ndis_object_header),
  nested('csum', ndis_csum_offload),
  nested('lsov1', ndis_lsov1_offload),
  nested('ipsecv1', ndis_ipsecv1_offload),
  nested('lsov2', ndis_lsov2_offload),
  u32('flags'),
  nested('ipsecv2', ndis_ipsecv2_offload),
  nested('rsc', ndis_rsc_offload),
  pad(2),
  nested('encap_gre', ndis_encap_offload),
]);
/** A decoded {@link ndis_offload}. */
export type NdisOffload = ValueOf<typeof ndis_offload>;

/** `NDIS_OFFLOAD_SIZE` (156, NDIS 6.30). */
export const NDIS_OFFLOAD_SIZE = ndis_offload.size;
/** `NDIS_OFFLOAD_SIZE_6_0` = offsetof(ipsecv2) = 112. */
export const NDIS_OFFLOAD_SIZE_6_0 = ndis_offload.offsetOf('ipsecv2');
/** `NDIS_OFFLOAD_SIZE_6_1` = offsetof(rsc) = 144. */
export const NDIS_OFFLOAD_SIZE_6_1 = ndis_offload.offsetOf('rsc');

/** Offload object revision 1 (`NDIS_OFFLOAD_PARAMETERS_REVISION_1`; Linux: 112-byte caps, NVSP < 4). */
export const NDIS_OFFLOAD_PARAMETERS_REVISION_1 = 1;
/** Offload object revision 2 (144-byte caps, NVSP 4). */
export const NDIS_OFFLOAD_PARAMETERS_REVISION_2 = 2;
/** Offload object revision 3 (156-byte caps for NVSP ≥ 5; always used for the parameters object). */
export const NDIS_OFFLOAD_PARAMETERS_REVISION_3 = 3;

/** Encapsulation bits of `*_txenc`, `ip4_encap`, … (`NDIS_OFFLOAD_ENCAP_*`). */
export const NDIS_OFFLOAD_ENCAP = {
  /** `NDIS_OFFLOAD_ENCAP_NONE` (0x0000): no encapsulation supported: the offload is unavailable. */
  NONE: 0x0000,
  /** `NDIS_OFFLOAD_ENCAP_NULL` (0x0001): frames without a link-layer header. */
  NULL: 0x0001,
  /**
   * `NDIS_OFFLOAD_ENCAP_8023` (0x0002): IEEE 802.3 (Ethernet) framing; Linux requires it in
   * `lsov2.ip4_encap`/`ip6_encap` to use LSOv2.
   */
  '8023': 0x0002,
  /** `NDIS_OFFLOAD_ENCAP_8023PQ` (0x0004): 802.3 with the 802.1p/Q tag inside the frame. */
  '8023PQ': 0x0004,
  /** `NDIS_OFFLOAD_ENCAP_8023PQ_OOB` (0x0008): 802.3 with priority and VLAN passed out of band. */
  '8023PQ_OOB': 0x0008,
  /** `NDIS_OFFLOAD_ENCAP_RFC1483` (0x0010): RFC 1483 (LLC/SNAP over ATM) framing. */
  RFC1483: 0x0010,
} as const;

/** Checksum capability bits (`NDIS_TXCSUM_CAP_*` / `NDIS_RXCSUM_CAP_*`; same values both ways). */
export const NDIS_CSUM_CAP = {
  /** `NDIS_{TX,RX}CSUM_CAP_IP4OPT` (0x001, `csum.ip4_*csum`): IPv4 packets with IP options are handled. */
  IP4OPT: 0x001,
  /** `NDIS_{TX,RX}CSUM_CAP_TCP4OPT` (0x004, `csum.ip4_*csum`): TCP checksum also with TCP options; Linux needs it with TCP4. */
  TCP4OPT: 0x004,
  /** `NDIS_{TX,RX}CSUM_CAP_TCP4` (0x010, `csum.ip4_*csum`): TCP checksum over IPv4; Linux needs it with TCP4OPT. */
  TCP4: 0x010,
  /** `NDIS_{TX,RX}CSUM_CAP_UDP4` (0x040, `csum.ip4_*csum`): UDP checksum over IPv4. */
  UDP4: 0x040,
  /** `NDIS_{TX,RX}CSUM_CAP_IP4` (0x100, `csum.ip4_*csum`): IPv4 header checksum. */
  IP4: 0x100,
  /** `NDIS_{TX,RX}CSUM_CAP_IP6EXT` (0x001, `csum.ip6_*csum`): IPv6 extension headers are handled; Linux needs it for TCP6. */
  IP6EXT: 0x001,
  /** `NDIS_{TX,RX}CSUM_CAP_TCP6OPT` (0x004, `csum.ip6_*csum`): TCP checksum also with TCP options; Linux needs it for TCP6. */
  TCP6OPT: 0x004,
  /** `NDIS_{TX,RX}CSUM_CAP_TCP6` (0x010, `csum.ip6_*csum`): TCP checksum over IPv6. */
  TCP6: 0x010,
  /** `NDIS_{TX,RX}CSUM_CAP_UDP6` (0x040, `csum.ip6_*csum`): UDP checksum over IPv6. */
  UDP6: 0x040,
} as const;
/** `NDIS_TXCSUM_ALL_TCP4`: both needed for IPv4 TCP checksum offload. */
export const NDIS_TXCSUM_ALL_TCP4 = NDIS_CSUM_CAP.TCP4 | NDIS_CSUM_CAP.TCP4OPT;
/** `NDIS_TXCSUM_ALL_TCP6`: all needed for IPv6 TCP checksum offload. */
export const NDIS_TXCSUM_ALL_TCP6 = NDIS_CSUM_CAP.TCP6 | NDIS_CSUM_CAP.TCP6OPT | NDIS_CSUM_CAP.IP6EXT;
/** LSOv2 IPv6 option bits (`NDIS_LSOV2_CAP_*`); `IP6` is what Linux requires. */
export const NDIS_LSOV2_CAP = {
  /** `NDIS_LSOV2_CAP_IP6EXT` (0x001): LSOv2 over IPv6 with extension headers. */
  IP6EXT: 0x001,
  /** `NDIS_LSOV2_CAP_TCP6OPT` (0x004): LSOv2 over IPv6 with TCP options. */
  TCP6OPT: 0x004,
  /** `NDIS_LSOV2_CAP_IP6` (0x005): both bits; Linux uses IPv6 LSO only when `lsov2.ip6_opts` contains them. */
  IP6: 0x005,
} as const;

/** The offload-capabilities query input Linux pre-fills: header {0xA7, revision, size}, rest zero. */
export function ndisOffloadQueryInput(revision: number, size: number): Uint8Array {
  const value = ndis_offload.make({ header: { type: NDIS_OBJECT_TYPE.OFFLOAD, revision, size } });
  return encodeNdisOffloadInfo(value, size);
}

/**
 * The first `length` bytes (default 156) of an encoded {@link ndis_offload}: what a host returns for a
 * 6.0 (112) or 6.1 (144) revision.
 * @throws {@link ProtocolError} `FIELD_RANGE` when `length` is not in 0..156.
 */
export function encodeNdisOffloadInfo(value: NdisOffload, length: number = NDIS_OFFLOAD_SIZE): Uint8Array {
  needUint('ndis_offload', 'length', length, NDIS_OFFLOAD_SIZE, 8);
  return ndis_offload.encode(value).slice(0, length);
}

/**
 * Reads an offload capabilities object of any length the way Linux does (rndis_filter.c
 * `rndis_query_hwcaps`): zero-filled 156-byte struct, then the first min(length, 156) bytes copied.
 * The header is returned as read; Linux then requires type 0xA7, revision ≥ 1 and
 * 112 ≤ size ≤ returned length.
 */
export function decodeNdisOffloadInfo(info: Uint8Array): NdisOffload {
  return decodeZeroExtended(ndis_offload, info);
}

/** Decodes `info` copied into a zero-filled struct of the codec's size (extra bytes ignored), as Linux reads a short object. */
function decodeZeroExtended<T>(codec: StructCodec<T>, info: Uint8Array): T {
  available(codec.name, info, 0);
  const full = new Uint8Array(codec.size);
  full.set(info.subarray(0, codec.size));
  return codec.decode(full);
}

/**
 * `struct ndis_offload_params` (28 bytes; hole at 15, 2 bytes tail padding): the
 * OID_TCP_OFFLOAD_PARAMETERS object. The kernel's two anonymous inner structs are flattened
 * (rsc_ip_v4/rsc_ip_v6 at 22, encapsulated_packet_task_offload/encapsulation_types at 24), as BTF
 * lists them.
 */
export const ndis_offload_params = struct('ndis_offload_params', [
  nested('header', ndis_object_header),
  u8('ip_v4_csum'),
  u8('tcp_ip_v4_csum'),
  u8('udp_ip_v4_csum'),
  u8('tcp_ip_v6_csum'),
  u8('udp_ip_v6_csum'),
  u8('lso_v1'),
  u8('ip_sec_v1'),
  u8('lso_v2_ipv4'),
  u8('lso_v2_ipv6'),
  u8('tcp_connection_ip_v4'),
  u8('tcp_connection_ip_v6'),
  pad(1),
  u32('flags'),
  u8('ip_sec_v2'),
  u8('ip_sec_v2_ip_v4'),
  u8('rsc_ip_v4'),
  u8('rsc_ip_v6'),
  u8('encapsulated_packet_task_offload'),
  u8('encapsulation_types'),
  pad(2),
]);
/** A decoded {@link ndis_offload_params}. */
export type NdisOffloadParams = ValueOf<typeof ndis_offload_params>;

/** Size Linux sends to NVSP ≤ 4 hosts (`VERSION_4_OFFLOAD_SIZE`); UDP checksum fields forced to 0. */
export const VERSION_4_OFFLOAD_SIZE = 22;

/** Values of the offload-parameter fields (`NDIS_OFFLOAD_PARAMETERS_*`). */
export const NDIS_OFFLOAD_PARAMETERS = {
  /** `NDIS_OFFLOAD_PARAMETERS_NO_CHANGE` (0): any field: leave this offload as it is. */
  NO_CHANGE: 0,
  /**
   * `NDIS_OFFLOAD_PARAMETERS_TX_RX_DISABLED` (1): `*_csum` fields: offload off both ways (Linux always sends it for
   * `ip_v4_csum`).
   */
  TX_RX_DISABLED: 1,
  /** `NDIS_OFFLOAD_PARAMETERS_TX_ENABLED_RX_DISABLED` (2): `*_csum` fields: offload on transmit only. */
  TX_ENABLED_RX_DISABLED: 2,
  /** `NDIS_OFFLOAD_PARAMETERS_RX_ENABLED_TX_DISABLED` (3): `*_csum` fields: offload on receive only. */
  RX_ENABLED_TX_DISABLED: 3,
  /**
   * `NDIS_OFFLOAD_PARAMETERS_TX_RX_ENABLED` (4): `*_csum` fields: offload on both ways (Linux's value for each TCP/UDP
   * checksum the host offers).
   */
  TX_RX_ENABLED: 4,
  /** `NDIS_OFFLOAD_PARAMETERS_LSOV2_DISABLED` (1): `lso_v2_ipv4`/`lso_v2_ipv6`: LSOv2 off. */
  LSOV2_DISABLED: 1,
  /**
   * `NDIS_OFFLOAD_PARAMETERS_LSOV2_ENABLED` (2): `lso_v2_ipv4`/`lso_v2_ipv6`: LSOv2 on (Linux's value when the host
   * offers LSOv2 for that family).
   */
  LSOV2_ENABLED: 2,
  /** `NDIS_OFFLOAD_PARAMETERS_LSOV1_ENABLED` (2): `lso_v1`: LSOv1 on. */
  LSOV1_ENABLED: 2,
  /** `NDIS_OFFLOAD_PARAMETERS_RSC_DISABLED` (1): `rsc_ip_v4`/`rsc_ip_v6`: receive segment coalescing off. */
  RSC_DISABLED: 1,
  /**
   * `NDIS_OFFLOAD_PARAMETERS_RSC_ENABLED` (2): `rsc_ip_v4`/`rsc_ip_v6`: receive segment coalescing on (Linux sends it
   * when the host offers RSC for both IPv4 and IPv6 and LRO is enabled).
   */
  RSC_ENABLED: 2,
} as const;

/**
 * The OID_TCP_OFFLOAD_PARAMETERS info buffer as Linux sends it (rndis_filter.c
 * `rndis_filter_set_offload_params`): header {0x80, rev 3, size = length}, the first `length`
 * bytes (28, or 22 for NVSP ≤ 4 — then the UDP checksum fields are sent as 0).
 */
export function encodeNdisOffloadParamsInfo(value: NdisOffloadParams, length: 28 | 22 = 28): Uint8Array {
  const v: NdisOffloadParams = {
    ...value,
    header: { type: NDIS_OBJECT_TYPE.DEFAULT, revision: NDIS_OFFLOAD_PARAMETERS_REVISION_3, size: length },
  };
  if (length === VERSION_4_OFFLOAD_SIZE) {
    v.udp_ip_v4_csum = 0;
    v.udp_ip_v6_csum = 0;
  } else if (length !== ndis_offload_params.size) {
    throw new ProtocolError('FIELD_RANGE', 'must be 28 or 22', { struct: 'ndis_offload_params', field: 'length', value: length });
  }
  return ndis_offload_params.encode(v).slice(0, length);
}

/** Reads an offload-parameters object of 0..28 bytes, zero-extended to 28 (a 22-byte one included). */
export function decodeNdisOffloadParamsInfo(info: Uint8Array): NdisOffloadParams {
  return decodeZeroExtended(ndis_offload_params, info);
}

// ---------------------------------------------------------------------------------------------
// Packet filter (§3.13)

/**
 * Packet-filter bits the driver uses (`NDIS_PACKET_TYPE_*`, hyperv_net.h). rndis.h's
 * `RNDIS_PACKET_TYPE_*` agrees up to ALL_LOCAL but puts GROUP…MAC_FRAME at 0x1000…0x8000; Linux
 * never sends those four bits (see {@link RNDIS_PACKET_TYPE}).
 */
export const NDIS_PACKET_TYPE = {
  /**
   * `NDIS_PACKET_TYPE_DIRECTED` (0x00000001): unicast frames to the NIC's own MAC; Linux sets it whenever the
   * interface is open and not promiscuous.
   */
  DIRECTED: 0x00000001,
  /** `NDIS_PACKET_TYPE_MULTICAST` (0x00000002): multicast frames to addresses in the multicast list. */
  MULTICAST: 0x00000002,
  /**
   * `NDIS_PACKET_TYPE_ALL_MULTICAST` (0x00000004): every multicast frame; Linux sets it when any multicast address is
   * joined or IFF_ALLMULTI is set.
   */
  ALL_MULTICAST: 0x00000004,
  /** `NDIS_PACKET_TYPE_BROADCAST` (0x00000008): broadcast frames; Linux sets it when the interface has IFF_BROADCAST. */
  BROADCAST: 0x00000008,
  /** `NDIS_PACKET_TYPE_SOURCE_ROUTING` (0x00000010): token-ring source-routed frames. */
  SOURCE_ROUTING: 0x00000010,
  /** `NDIS_PACKET_TYPE_PROMISCUOUS` (0x00000020): every frame; Linux sends exactly this bit for IFF_PROMISC. */
  PROMISCUOUS: 0x00000020,
  /** `NDIS_PACKET_TYPE_SMT` (0x00000040): FDDI station-management frames. */
  SMT: 0x00000040,
  /** `NDIS_PACKET_TYPE_ALL_LOCAL` (0x00000080): every frame, including the ones this NIC sends. */
  ALL_LOCAL: 0x00000080,
  /** `NDIS_PACKET_TYPE_GROUP` (0x00000100): token-ring group-address frames (rndis.h puts it at 0x1000). */
  GROUP: 0x00000100,
  /** `NDIS_PACKET_TYPE_ALL_FUNCTIONAL` (0x00000200): token-ring frames to any functional address (rndis.h: 0x2000). */
  ALL_FUNCTIONAL: 0x00000200,
  /** `NDIS_PACKET_TYPE_FUNCTIONAL` (0x00000400): token-ring frames to the NIC's functional addresses (rndis.h: 0x4000). */
  FUNCTIONAL: 0x00000400,
  /** `NDIS_PACKET_TYPE_MAC_FRAME` (0x00000800): token-ring/FDDI MAC frames (rndis.h: 0x8000). */
  MAC_FRAME: 0x00000800,
} as const;

/** The same bits as rndis.h defines them (`RNDIS_PACKET_TYPE_*`). */
export const RNDIS_PACKET_TYPE = {
  /** `RNDIS_PACKET_TYPE_DIRECTED` (0x00000001): unicast frames to the NIC's own MAC. */
  DIRECTED: 0x00000001,
  /** `RNDIS_PACKET_TYPE_MULTICAST` (0x00000002): frames to addresses in the multicast list. */
  MULTICAST: 0x00000002,
  /** `RNDIS_PACKET_TYPE_ALL_MULTICAST` (0x00000004): every multicast frame. */
  ALL_MULTICAST: 0x00000004,
  /** `RNDIS_PACKET_TYPE_BROADCAST` (0x00000008): broadcast frames. */
  BROADCAST: 0x00000008,
  /** `RNDIS_PACKET_TYPE_SOURCE_ROUTING` (0x00000010): token-ring source-routed frames. */
  SOURCE_ROUTING: 0x00000010,
  /** `RNDIS_PACKET_TYPE_PROMISCUOUS` (0x00000020): every frame. */
  PROMISCUOUS: 0x00000020,
  /** `RNDIS_PACKET_TYPE_SMT` (0x00000040): FDDI station-management frames. */
  SMT: 0x00000040,
  /** `RNDIS_PACKET_TYPE_ALL_LOCAL` (0x00000080): every frame, including the ones this NIC sends. */
  ALL_LOCAL: 0x00000080,
  /** `RNDIS_PACKET_TYPE_GROUP` (0x00001000): token-ring group-address frames (hyperv_net.h: 0x100). */
  GROUP: 0x00001000,
  /** `RNDIS_PACKET_TYPE_ALL_FUNCTIONAL` (0x00002000): token-ring frames to any functional address (hyperv_net.h: 0x200). */
  ALL_FUNCTIONAL: 0x00002000,
  /** `RNDIS_PACKET_TYPE_FUNCTIONAL` (0x00004000): token-ring frames to the NIC's functional addresses (hyperv_net.h: 0x400). */
  FUNCTIONAL: 0x00004000,
  /** `RNDIS_PACKET_TYPE_MAC_FRAME` (0x00008000): token-ring/FDDI MAC frames (hyperv_net.h: 0x800). */
  MAC_FRAME: 0x00008000,
} as const;

/** The filter Linux sets when the interface opens: BROADCAST | ALL_MULTICAST | DIRECTED = 0x0D. */
export const NDIS_LINUX_OPEN_PACKET_FILTER =
  NDIS_PACKET_TYPE.BROADCAST | NDIS_PACKET_TYPE.ALL_MULTICAST | NDIS_PACKET_TYPE.DIRECTED;

/** Names of the `NDIS_PACKET_TYPE_*` bits set in `filter`, lowest first; unknown bits as hex. */
export function packetFilterNames(filter: number): string[] {
  const out: string[] = [];
  let rest = filter >>> 0;
  for (const [name, bit] of Object.entries(NDIS_PACKET_TYPE)) {
    if (rest & bit) {
      out.push(`NDIS_PACKET_TYPE_${name}`);
      rest &= ~bit;
    }
  }
  if (rest) out.push(`0x${(rest >>> 0).toString(16).padStart(8, '0')}`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Config parameter: MAC address change (§3.15)

/** `struct rndis_config_parameter_info` (20 bytes); offsets relative to its first byte. */
export const rndis_config_parameter_info = struct('rndis_config_parameter_info', [
  u32('parameter_name_offset'),
  u32('parameter_name_length'),
  u32('parameter_type'),
  u32('parameter_value_offset'),
  u32('parameter_value_length'),
]);

/** `parameter_type` values (`RNDIS_CONFIG_PARAM_TYPE_*`). */
export const RNDIS_CONFIG_PARAM_TYPE = {
  /** `RNDIS_CONFIG_PARAM_TYPE_INTEGER` (0): the value is an integer. */
  INTEGER: 0,
  /** `RNDIS_CONFIG_PARAM_TYPE_STRING` (2): the value is UTF-16LE text; what Linux sends for "NetworkAddress". */
  STRING: 2,
} as const;

/** The name Linux sets to change the MAC (`NWADR_STR`). */
export const RNDIS_NETWORK_ADDRESS_PARAMETER = 'NetworkAddress';

/**
 * An OID_GEN_RNDIS_CONFIG_PARAMETER info buffer: header, UTF-16LE name and raw value, with their
 * object-relative offsets. `name` is decoded code unit by code unit, so any even-length byte string
 * survives a round trip; its byte length must be even.
 */
export interface RndisConfigParameter {
  /** `parameter_name_offset` (u32 @0): offset of the name from the object's first byte (Linux: 20). */
  parameter_name_offset: number;
  /** The parameter name, UTF-16LE on the wire (`parameter_name_length` = 2 × length); Linux: "NetworkAddress". */
  name: string;
  /** `parameter_type` (u32 @8): a {@link RNDIS_CONFIG_PARAM_TYPE} value (Linux: 2, STRING). */
  parameter_type: number;
  /** `parameter_value_offset` (u32 @12): offset of the value from the object's first byte (Linux: 48). */
  parameter_value_offset: number;
  /** The raw value (for a STRING parameter, UTF-16LE text: see {@link utf16leDecode}). */
  value: Uint8Array;
}

const CPI = {
  nameOff: rndis_config_parameter_info.offsetOf('parameter_name_offset'),
  nameLen: rndis_config_parameter_info.offsetOf('parameter_name_length'),
  type: rndis_config_parameter_info.offsetOf('parameter_type'),
  valueOff: rndis_config_parameter_info.offsetOf('parameter_value_offset'),
  valueLen: rndis_config_parameter_info.offsetOf('parameter_value_length'),
  size: rndis_config_parameter_info.size,
};
const CPI_NAME = 'rndis_config_parameter_info';

/** Text → UTF-16LE code units (no terminator). */
export function utf16leEncode(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) wr16(out, i * 2, text.charCodeAt(i));
  return out;
}

/**
 * UTF-16LE bytes → text, one code unit per two bytes (unpaired surrogates kept as they are).
 * @throws {@link ProtocolError} `BAD_LENGTH` for an odd byte count.
 */
export function utf16leDecode(b: Uint8Array): string {
  if (b.length % 2 !== 0) {
    throw new ProtocolError('BAD_LENGTH', 'is odd; UTF-16 needs two bytes per code unit', { value: b.length });
  }
  let s = '';
  for (let i = 0; i < b.length; i += 2) s += String.fromCharCode(rd16(b, i));
  return s;
}

/** Decodes a config parameter object occupying `buf` from `offset` to its end. */
export function decodeConfigParameter(buf: Uint8Array, offset = 0): RndisConfigParameter {
  const avail = availableAtLeast(CPI_NAME, buf, offset, CPI.size);
  const o = offset;
  const nameOff = rd32(buf, o + CPI.nameOff);
  const nameLen = rd32(buf, o + CPI.nameLen);
  const valueOff = rd32(buf, o + CPI.valueOff);
  const valueLen = rd32(buf, o + CPI.valueLen);
  if (nameLen % 2 !== 0) {
    throw new ProtocolError('BAD_LENGTH', 'is odd; the name is UTF-16', {
      struct: CPI_NAME,
      field: 'parameter_name_length',
      value: nameLen,
      offset: o + CPI.nameLen,
    });
  }
  const regions: Region[] = [
    { offsetField: 'parameter_name_offset', lengthField: 'parameter_name_length', offset: nameOff, length: nameLen, at: o + CPI.nameOff },
    { offsetField: 'parameter_value_offset', lengthField: 'parameter_value_length', offset: valueOff, length: valueLen, at: o + CPI.valueOff },
  ];
  checkRegions(CPI_NAME, regions, CPI.size, avail);
  return {
    parameter_name_offset: nameOff,
    name: nameLen ? utf16leDecode(buf.subarray(o + nameOff, o + nameOff + nameLen)) : '',
    parameter_type: rd32(buf, o + CPI.type),
    parameter_value_offset: valueOff,
    value: regionBytes(buf, o + valueOff, valueLen),
  };
}

function cpiPlan(v: RndisConfigParameter): { regions: Region[]; end: number; name: Uint8Array } {
  needObject(CPI_NAME, v);
  if (typeof v.name !== 'string') {
    throw new ProtocolError('FIELD_RANGE', 'must be a string', { struct: CPI_NAME, field: 'name', value: v.name });
  }
  const name = utf16leEncode(v.name);
  const value = needBytes(CPI_NAME, 'value', v.value);
  needU32(CPI_NAME, 'parameter_type', v.parameter_type);
  const regions: Region[] = [
    {
      offsetField: 'parameter_name_offset',
      lengthField: 'parameter_name_length',
      offset: needU32(CPI_NAME, 'parameter_name_offset', v.parameter_name_offset),
      length: name.length,
      at: CPI.nameOff,
    },
    {
      offsetField: 'parameter_value_offset',
      lengthField: 'parameter_value_length',
      offset: needU32(CPI_NAME, 'parameter_value_offset', v.parameter_value_offset),
      length: value.length,
      at: CPI.valueOff,
    },
  ];
  checkRegions(CPI_NAME, regions, CPI.size, Number.MAX_SAFE_INTEGER);
  return { regions, end: contentEnd(CPI.size, regions), name };
}

/** Encodes a config parameter object. */
export function encodeConfigParameter(v: RndisConfigParameter, buf?: Uint8Array, offset = 0): Uint8Array {
  const pl = cpiPlan(v);
  const out = outBuffer(CPI_NAME, pl.end, buf, offset);
  const o = offset;
  if (buf !== undefined) out.fill(0, o, o + pl.end);
  wr32(out, o + CPI.nameOff, v.parameter_name_offset);
  wr32(out, o + CPI.nameLen, pl.name.length);
  wr32(out, o + CPI.type, v.parameter_type);
  wr32(out, o + CPI.valueOff, v.parameter_value_offset);
  wr32(out, o + CPI.valueLen, v.value.length);
  if (pl.name.length) out.set(pl.name, o + v.parameter_name_offset);
  if (v.value.length) out.set(v.value, o + v.parameter_value_offset);
  return out;
}

/** The composite codec for a config parameter object (header + name + value). */
export const rndisConfigParameter: Codec<RndisConfigParameter> = {
  name: 'rndis_config_parameter_info',
  encode: encodeConfigParameter,
  decode: decodeConfigParameter,
  encodingLength: (v) => cpiPlan(v).end,
};

function macBytes(mac: Uint8Array | string): Uint8Array {
  if (typeof mac === 'string') {
    const hex = mac.replace(/[:-]/g, '');
    if (!/^[0-9a-fA-F]{12}$/.test(hex)) {
      throw new ProtocolError('FIELD_RANGE', 'is not a MAC address', { struct: CPI_NAME, field: 'mac', value: mac });
    }
    const out = new Uint8Array(6);
    for (let i = 0; i < 6; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    return out;
  }
  if (!(mac instanceof Uint8Array) || mac.length !== 6) {
    throw new ProtocolError('FIELD_RANGE', 'must be 6 bytes', { struct: CPI_NAME, field: 'mac', value: mac });
  }
  return mac;
}

/**
 * The "NetworkAddress" parameter exactly as Linux builds it (rndis_filter.c
 * `rndis_filter_set_device_mac`): name at 20 (28 bytes), type STRING, value at 48 — the MAC as 12
 * lower-case hex digits in UTF-16LE (24 bytes); 72 bytes in all.
 */
export function networkAddressParameter(mac: Uint8Array | string): RndisConfigParameter {
  const b = macBytes(mac);
  const text = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  const nameLen = RNDIS_NETWORK_ADDRESS_PARAMETER.length * 2;
  return {
    parameter_name_offset: CPI.size,
    name: RNDIS_NETWORK_ADDRESS_PARAMETER,
    parameter_type: RNDIS_CONFIG_PARAM_TYPE.STRING,
    parameter_value_offset: CPI.size + nameLen,
    value: utf16leEncode(text),
  };
}

/**
 * The MAC a "NetworkAddress" STRING parameter carries (12 hex digits, either case).
 * @throws {@link ProtocolError} `BAD_VALUE` for another name or type, or a value that is not 12 hex
 *   digits (openvmm once panicked on a non-digit here — PR #3183).
 */
export function parseNetworkAddressParameter(p: RndisConfigParameter): Uint8Array {
  if (p.name !== RNDIS_NETWORK_ADDRESS_PARAMETER || p.parameter_type !== RNDIS_CONFIG_PARAM_TYPE.STRING) {
    throw new ProtocolError('BAD_VALUE', 'is not a NetworkAddress string parameter', { struct: CPI_NAME, field: 'name', value: p.name });
  }
  if (p.value.length !== 24) {
    throw new ProtocolError('BAD_VALUE', 'must be 12 UTF-16 hex digits (24 bytes)', {
      struct: CPI_NAME,
      field: 'parameter_value_length',
      value: p.value.length,
    });
  }
  const text = utf16leDecode(p.value);
  if (!/^[0-9a-fA-F]{12}$/.test(text)) {
    throw new ProtocolError('BAD_VALUE', 'is not 12 hex digits', { struct: CPI_NAME, field: 'value', value: text });
  }
  return macBytes(text);
}
