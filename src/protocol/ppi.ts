/**
 * Per-packet info (PPI): the list of typed elements an RNDIS PACKET carries before its frame — RSS
 * hash value, VLAN tag, checksum offload, LSO, and the internal packet id used for RSC.
 *
 * ## Wire format (shared/spec/nvsp-rndis-netvsc.md §3.12; hyperv_net.h, Debian 6.1.192)
 * Each element is `struct rndis_per_packet_info` — `size` u32 @0 (the whole element, header
 * included), `type` bits 0–30 and `internal` bit 31 of the u32 @4, `ppi_offset` u32 @8 (where the
 * value starts, **relative to the element**; Linux writes 12) — followed by the value. Elements are
 * back to back: the next starts `size` bytes after this one. The block sits at the packet's
 * `per_pkt_info_offset` (body-relative) and is `per_pkt_info_len` bytes long.
 *
 * ## Decoding rules ({@link ppiList})
 * The block must be tiled exactly by elements. Per element: a whole 12-byte header
 * (`BAD_LENGTH`), `size` ≥ 12 and not past the block (`BAD_LENGTH`), `ppi_offset` ≥ 12 (`BAD_OFFSET`,
 * the value would overlap the header) and < `size` (`BAD_OFFSET`; an empty value is refused because
 * Linux's walker loops forever on `ppi_offset ≥ size`). The value is bytes `ppi_offset..size`.
 *
 * Linux itself is laxer and buggy (it spins forever on some malformed elements): {@link linuxGetPpi}
 * reproduces its lookup exactly, hang included, for simulating the guest.
 *
 * @module
 */
import { struct, u16, u8 } from '../wire/struct.js';
import type { Codec } from '../wire/struct.js';
import { ProtocolError } from '../wire/errors.js';
import { available, availableAtLeast, needBytes, needObject, needU32, needUint, outBuffer, rd32, wr32 } from './rndis-util.js';
import { RNDIS_HEADER_SIZE, rndis_packet } from './rndis.js';

// ---------------------------------------------------------------------------------------------
// Types and constants

/** PPI types: the enumerators of `enum ndis_per_pkt_info_type` (hyperv_net.h). */
export const NdisPerPktInfoType = {
  /** `TCPIP_CHKSUM_PKTINFO` (0): checksum offload (u32): transmit request (guest → host) or receive result (host → guest). */
  TCPIP_CHKSUM_PKTINFO: 0,
  /** `IPSEC_PKTINFO` (1): IPsec offload info; unused by netvsc. */
  IPSEC_PKTINFO: 1,
  /** `TCP_LARGESEND_PKTINFO` (2): large-send offload (u32): LSOv2 MSS and TCP header offset, guest → host. */
  TCP_LARGESEND_PKTINFO: 2,
  /** `CLASSIFICATION_HANDLE_PKTINFO` (3): classification handle; unused by netvsc. */
  CLASSIFICATION_HANDLE_PKTINFO: 3,
  /** `NDIS_RESERVED` (4): reserved. */
  NDIS_RESERVED: 4,
  /** `SG_LIST_PKTINFO` (5): scatter-gather list; unused by netvsc. */
  SG_LIST_PKTINFO: 5,
  /** `IEEE_8021Q_INFO` (6): 802.1Q tag (u32: priority, CFI, VLAN id), both ways. */
  IEEE_8021Q_INFO: 6,
  /** `ORIGINAL_PKTINFO` (7): original packet info; unused by netvsc. */
  ORIGINAL_PKTINFO: 7,
  /** `PACKET_CANCEL_ID` (8): packet cancel id; shares slot 8 with NBL_HASH_VALUE, unused by netvsc. */
  PACKET_CANCEL_ID: 8,
  /**
   * `NBL_HASH_VALUE` (8): the 32-bit RSS hash: host → guest on receive (Linux sets the skb hash), guest → host on
   * multi-queue transmit.
   */
  NBL_HASH_VALUE: 8,
  /**
   * `ORIGINAL_NET_BUFLIST` (9): a Windows-internal slot Linux never reads; hosts put the RSS hash info here
   * ({@link PPI_HASH_INFO_TYPE}).
   */
  ORIGINAL_NET_BUFLIST: 9,
  /** `CACHED_NET_BUFLIST` (10): cached net buffer list (Windows-internal); unused by netvsc. */
  CACHED_NET_BUFLIST: 10,
  /** `SHORT_PKT_PADINFO` (11): short-packet padding info; unused by netvsc. */
  SHORT_PKT_PADINFO: 11,
  /** `MAX_PER_PKT_INFO` (12): end marker of the enum (number of types), not a type. */
  MAX_PER_PKT_INFO: 12,
} as const;

/**
 * The PPI type a host uses for the RSS *hash info* (hash function and type bits, `NDIS_HASH`-style,
 * e.g. 0x201 = Toeplitz | TCP_IPV4): 9, the slot Linux names ORIGINAL_NET_BUFLIST and never reads.
 * FreeBSD hn(4) reads it as `HN_NDIS_PKTINFO_TYPE_HASHINF` = `NDIS_PKTINFO_TYPE_ORIG_NBLIST`
 * (sys/dev/hyperv/netvsc/if_hnreg.h), next to the hash value in slot 8.
 */
export const PPI_HASH_INFO_TYPE = NdisPerPktInfoType.ORIGINAL_NET_BUFLIST;

/** Internal PPI types (with `internal` set): `enum rndis_per_pkt_info_interal_type` (sic, hyperv_net.h). */
export const RndisPerPktInfoInternalType = {
  /** `RNDIS_PKTINFO_ID` (1): internal type 1: a `rndis_pktinfo_id` (RSC fragment flags and packet id), host → guest. */
  RNDIS_PKTINFO_ID: 1,
  /** `RNDIS_PKTINFO_MAX` (2): end marker of the enum, not a type. */
  RNDIS_PKTINFO_MAX: 2,
} as const;

/** `rndis_pktinfo_id.flag` bits (`RNDIS_PKTINFO_*`): RSC fragment marking. */
export const RNDIS_PKTINFO = {
  /** `RNDIS_PKTINFO_SUBALLOC` (0x1): the packet is one fragment of an RSC-coalesced packet. */
  SUBALLOC: 0x1,
  /** `RNDIS_PKTINFO_1ST_FRAG` (0x2): first fragment; Linux restarts accumulating (a later fragment without one is dropped). */
  '1ST_FRAG': 0x2,
  /** `RNDIS_PKTINFO_LAST_FRAG` (0x4): last fragment; Linux then delivers the coalesced packet. */
  LAST_FRAG: 0x4,
} as const;
/** `rndis_pktinfo_id.ver` Linux expects (`RNDIS_PKTINFO_ID_V1`). */
export const RNDIS_PKTINFO_ID_V1 = 1;

/** Size of the PPI element header (`sizeof(struct rndis_per_packet_info)`). */
export const RNDIS_PER_PACKET_INFO_SIZE = 12;

/** Largest `type` (31 bits). */
const TYPE_MAX = 0x7fffffff;

/** One decoded `struct rndis_per_packet_info` header. */
export interface RndisPerPacketInfo {
  /** `size` (u32 @0): bytes of the whole element, header included (Linux: 16 for a u32 value). */
  size: number;
  /** Bits 0–30 of the word at 4. */
  type: number;
  /** Bit 31 of the word at 4. */
  internal: boolean;
  /** Element-relative offset of the value. */
  ppi_offset: number;
}

/**
 * The 12-byte element header, `struct rndis_per_packet_info` (its `type:31`/`internal:1` bitfields
 * share the word at offset 4, so this is a hand-written codec rather than a declared struct).
 */
export const rndisPerPacketInfo: Codec<RndisPerPacketInfo> & {
  /** Bytes of the header: 12 ({@link RNDIS_PER_PACKET_INFO_SIZE}). */
  readonly size: number;
} = {
  name: 'rndis_per_packet_info',
  size: RNDIS_PER_PACKET_INFO_SIZE,
  decode(buf, offset = 0) {
    availableAtLeast('rndis_per_packet_info', buf, offset, RNDIS_PER_PACKET_INFO_SIZE);
    const w = rd32(buf, offset + 4);
    return { size: rd32(buf, offset), type: w & TYPE_MAX, internal: w >>> 31 === 1, ppi_offset: rd32(buf, offset + 8) };
  },
  encode(v, buf, offset = 0) {
    needObject('rndis_per_packet_info', v);
    const size = needU32('rndis_per_packet_info', 'size', v.size);
    const type = needUint('rndis_per_packet_info', 'type', v.type, TYPE_MAX, 31);
    const ppiOffset = needU32('rndis_per_packet_info', 'ppi_offset', v.ppi_offset);
    const internal = checkBool('rndis_per_packet_info', 'internal', v.internal);
    const out = outBuffer('rndis_per_packet_info', RNDIS_PER_PACKET_INFO_SIZE, buf, offset);
    wr32(out, offset, size);
    wr32(out, offset + 4, (type | (internal ? 0x80000000 : 0)) >>> 0);
    wr32(out, offset + 8, ppiOffset);
    return out;
  },
  encodingLength: () => RNDIS_PER_PACKET_INFO_SIZE,
};

function checkBool(struct: string, field: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new ProtocolError('FIELD_RANGE', 'must be a boolean', { struct, field, value: v });
  return v;
}

// ---------------------------------------------------------------------------------------------
// The PPI list

/** One PPI element: its header fields and its value bytes (`size` = `ppi_offset` + value length). */
export interface PpiElement {
  /** Bits 0–30 of the word @4: an {@link NdisPerPktInfoType}, or an {@link RndisPerPktInfoInternalType} when `internal`. */
  type: number;
  /** Bit 31 of the word @4: the type is in the internal (RNDIS) space, e.g. RNDIS_PKTINFO_ID. */
  internal: boolean;
  /** Element-relative offset of the value (≥ 12; Linux: 12). Bytes between 12 and it are zero on encode. */
  ppi_offset: number;
  /** The value (at least 1 byte). */
  data: Uint8Array;
}

const LIST = 'rndis_per_packet_info';

/**
 * Decodes a whole PPI block: `length` bytes of `buf` from `offset` (default: to the end of `buf`).
 * The block has no length of its own (the packet's `per_pkt_info_len` gives it), so bytes after it
 * must be excluded by `length` or by the buffer's end.
 */
export function decodePpiList(buf: Uint8Array, offset = 0, length?: number): PpiElement[] {
  const avail = available(LIST, buf, offset);
  if (length !== undefined && (!Number.isInteger(length) || length < 0 || length > avail)) {
    throw new ProtocolError('BAD_LENGTH', `is not within the ${avail} bytes present`, { struct: LIST, field: 'length', value: length, offset });
  }
  const end = offset + (length ?? avail);
  const out: PpiElement[] = [];
  let p = offset;
  while (p < end) {
    const rest = end - p;
    if (rest < RNDIS_PER_PACKET_INFO_SIZE) {
      throw new ProtocolError('BAD_LENGTH', `leaves ${rest} trailing bytes, not a whole 12-byte element header`, {
        struct: LIST,
        field: 'size',
        value: rest,
        offset: p,
      });
    }
    const size = rd32(buf, p);
    const w = rd32(buf, p + 4);
    const ppiOffset = rd32(buf, p + 8);
    if (size < RNDIS_PER_PACKET_INFO_SIZE || size > rest) {
      throw new ProtocolError('BAD_LENGTH', `must be 12..${rest} (the element header to the end of the block)`, {
        struct: LIST,
        field: 'size',
        value: size,
        offset: p,
      });
    }
    if (ppiOffset < RNDIS_PER_PACKET_INFO_SIZE) {
      throw new ProtocolError('BAD_OFFSET', 'overlaps the 12-byte element header', {
        struct: LIST,
        field: 'ppi_offset',
        value: ppiOffset,
        offset: p + 8,
      });
    }
    if (ppiOffset >= size) {
      throw new ProtocolError('BAD_OFFSET', `must be below the element size ${size} (Linux would loop forever)`, {
        struct: LIST,
        field: 'ppi_offset',
        value: ppiOffset,
        offset: p + 8,
      });
    }
    out.push({ type: w & TYPE_MAX, internal: w >>> 31 === 1, ppi_offset: ppiOffset, data: buf.slice(p + ppiOffset, p + size) });
    p += size;
  }
  return out;
}

/** Throws the precise error for element `i` (only called once a cheap check has failed). */
function badElement(e: PpiElement, i: number): never {
  needObject(LIST, e);
  needUint(LIST, `[${i}].type`, e.type, TYPE_MAX, 31);
  checkBool(LIST, `[${i}].internal`, e.internal);
  const off = needU32(LIST, `[${i}].ppi_offset`, e.ppi_offset);
  const data = needBytes(LIST, `[${i}].data`, e.data);
  if (off < RNDIS_PER_PACKET_INFO_SIZE) {
    throw new ProtocolError('BAD_OFFSET', 'overlaps the 12-byte element header', { struct: LIST, field: `[${i}].ppi_offset`, value: off });
  }
  if (data.length === 0) {
    throw new ProtocolError('BAD_LENGTH', 'an element needs a value of at least 1 byte', { struct: LIST, field: `[${i}].data`, value: data });
  }
  throw new ProtocolError('FIELD_RANGE', 'does not fit u32', { struct: LIST, field: `[${i}].size`, value: off + data.length });
}

function ppiListLength(list: readonly PpiElement[]): number {
  if (!Array.isArray(list)) throw new ProtocolError('BAD_VALUE', 'must be an array of PPI elements', { struct: LIST, value: list });
  let n = 0;
  for (let i = 0; i < list.length; i++) {
    const e = list[i]!;
    if (
      e === null ||
      typeof e !== 'object' ||
      typeof e.type !== 'number' ||
      (e.type & TYPE_MAX) !== e.type ||
      typeof e.internal !== 'boolean' ||
      typeof e.ppi_offset !== 'number' ||
      (e.ppi_offset >>> 0) !== e.ppi_offset ||
      e.ppi_offset < RNDIS_PER_PACKET_INFO_SIZE ||
      !(e.data instanceof Uint8Array) ||
      e.data.length === 0 ||
      e.ppi_offset + e.data.length > 0xffffffff
    ) {
      badElement(e, i);
    }
    n += e.ppi_offset + e.data.length;
  }
  return n;
}

/** Encodes a PPI block (elements back to back). */
export function encodePpiList(list: readonly PpiElement[], buf?: Uint8Array, offset = 0): Uint8Array {
  const total = ppiListLength(list);
  const out = outBuffer(LIST, total, buf, offset);
  let p = offset;
  for (const e of list) {
    const size = e.ppi_offset + e.data.length;
    wr32(out, p, size);
    wr32(out, p + 4, (e.type | (e.internal ? 0x80000000 : 0)) >>> 0);
    wr32(out, p + 8, e.ppi_offset);
    if (e.ppi_offset > RNDIS_PER_PACKET_INFO_SIZE) out.fill(0, p + RNDIS_PER_PACKET_INFO_SIZE, p + e.ppi_offset);
    out.set(e.data, p + e.ppi_offset);
    p += size;
  }
  return out;
}

/**
 * The PPI block codec (dns-packet contract). `decode(buf, offset)` reads to the end of `buf`: pass
 * exactly the block (`per_pkt_info`), or use {@link decodePpiList} with a length.
 */
export const ppiList: Codec<PpiElement[]> = {
  name: 'ppi_list',
  encode: encodePpiList,
  decode: (buf, offset = 0) => decodePpiList(buf, offset),
  encodingLength: ppiListLength,
};

/** The first element of `type` (and `internal`), or `undefined`. */
export function findPpi(list: readonly PpiElement[], type: number, internal = false): PpiElement | undefined {
  return list.find((e) => e.type === type && e.internal === internal);
}

// ---------------------------------------------------------------------------------------------
// Bitfield values (the unions of hyperv_net.h)

/** One bitfield of a 32-bit PPI value: name, first bit, width, and whether it reads as a boolean. */
export interface BitField {
  /** The kernel's bitfield member name, also the key in the decoded value. */
  readonly name: string;
  /** First bit, counted from bit 0 (least significant) of the little-endian u32. */
  readonly bit_offset: number;
  /** Width in bits. */
  readonly bit_size: number;
  /** True for a 1-bit flag decoded as a boolean; false for a numeric field. */
  readonly bool: boolean;
}

/** A codec for a 32-bit bitfield value, plus `pack`/`unpack` to and from the plain u32. */
export interface BitfieldCodec<T> extends Codec<T> {
  /** Bytes on the wire: always 4 (one little-endian u32). */
  readonly size: 4;
  /** The fields, in the kernel's order, with their bit positions (checked against BTF). */
  readonly bits: readonly BitField[];
  /** The u32 the value packs to. */
  pack(value: T): number;
  /** The value a u32 holds; bits the kernel does not name are ignored. */
  unpack(word: number): T;
}

function bitfield32<T>(name: string, bits: readonly BitField[]): BitfieldCodec<T> {
  const pack = (v: T): number => {
    needObject(name, v);
    let w = 0;
    for (const f of bits) {
      const x = (v as Record<string, unknown>)[f.name];
      let n: number;
      if (f.bool) n = checkBool(name, f.name, x) ? 1 : 0;
      else n = needUint(name, f.name, x, 2 ** f.bit_size - 1, f.bit_size);
      w += n * 2 ** f.bit_offset;
    }
    return w >>> 0;
  };
  const unpack = (word: number): T => {
    const v: Record<string, number | boolean> = {};
    for (const f of bits) {
      const n = Math.floor((word >>> 0) / 2 ** f.bit_offset) % 2 ** f.bit_size;
      v[f.name] = f.bool ? n === 1 : n;
    }
    return v as T;
  };
  return {
    name,
    size: 4,
    bits,
    pack,
    unpack,
    encode(v, buf, offset = 0) {
      const w = pack(v);
      const out = outBuffer(name, 4, buf, offset);
      wr32(out, offset, w);
      return out;
    },
    decode(buf, offset = 0) {
      availableAtLeast(name, buf, offset, 4);
      return unpack(rd32(buf, offset));
    },
    encodingLength: () => 4,
  };
}

const flag = (name: string, bit: number): BitField => ({ name, bit_offset: bit, bit_size: 1, bool: true });
const uint = (name: string, bit: number, size: number): BitField => ({ name, bit_offset: bit, bit_size: size, bool: false });

/** The 802.1Q tag (`struct ndis_pkt_8021q_info`; PPI type IEEE_8021Q_INFO). */
export interface Ndis8021qInfo {
  /** User priority (3 bits). */
  pri: number;
  /** Canonical format id / DEI (1 bit). */
  cfi: number;
  /** VLAN id (12 bits). */
  vlanid: number;
  /** Bits 16–31 (16 bits; Linux sends 0). */
  reserved: number;
}
/** Codec for {@link Ndis8021qInfo}. */
export const ndisPkt8021qInfo = bitfield32<Ndis8021qInfo>('ndis_pkt_8021q_info', [
  uint('pri', 0, 3),
  uint('cfi', 3, 1),
  uint('vlanid', 4, 12),
  uint('reserved', 16, 16),
]);

/** Transmit checksum request (`ndis_tcp_ip_checksum_info.transmit`; PPI type TCPIP_CHKSUM_PKTINFO, guest → host). */
export interface NdisChecksumTransmit {
  /** Bit 0: the frame is IPv4 (Linux sets it for an IPv4 CHECKSUM_PARTIAL skb). */
  is_ipv4: boolean;
  /** Bit 1: the frame is IPv6. */
  is_ipv6: boolean;
  /** Bit 2: the host must fill in the TCP checksum. */
  tcp_checksum: boolean;
  /** Bit 3: the host must fill in the UDP checksum. */
  udp_checksum: boolean;
  /** Bit 4: the host must compute the IPv4 header checksum (Linux never asks). */
  ip_header_checksum: boolean;
  /** Bits 5–15. */
  reserved: number;
  /** Bits 16–25: where the TCP/UDP header starts in the frame. */
  tcp_header_offset: number;
}
/** Codec for {@link NdisChecksumTransmit} (bits 26–31 are unnamed: ignored, written as 0). */
export const ndisChecksumTransmitInfo = bitfield32<NdisChecksumTransmit>('ndis_tcp_ip_checksum_info.transmit', [
  flag('is_ipv4', 0),
  flag('is_ipv6', 1),
  flag('tcp_checksum', 2),
  flag('udp_checksum', 3),
  flag('ip_header_checksum', 4),
  uint('reserved', 5, 11),
  uint('tcp_header_offset', 16, 10),
]);

/** Receive checksum result (`ndis_tcp_ip_checksum_info.receive`; host → guest). */
export interface NdisChecksumReceive {
  /** Bit 0: the host found a bad TCP checksum; Linux ignores it (the stack verifies again). */
  tcp_checksum_failed: boolean;
  /** Bit 1: the host found a bad UDP checksum; Linux ignores it. */
  udp_checksum_failed: boolean;
  /** Bit 2: the host found a bad IPv4 header checksum; Linux ignores it. */
  ip_checksum_failed: boolean;
  /** Bit 3: TCP checksum verified; with RX checksumming on, Linux marks the skb CHECKSUM_UNNECESSARY. */
  tcp_checksum_succeeded: boolean;
  /** Bit 4: UDP checksum verified; handled like `tcp_checksum_succeeded`. */
  udp_checksum_succeeded: boolean;
  /** Bit 5: IPv4 header checksum verified (with `ip_checksum_value_invalid`, Linux recomputes the field). */
  ip_checksum_succeeded: boolean;
  /** Bit 6: the packet was looped back by the host; Linux ignores it. */
  loopback: boolean;
  /** Bit 7: the TCP checksum field itself is not valid (e.g. after RSC coalescing); Linux ignores it. */
  tcp_checksum_value_invalid: boolean;
  /** Bit 8: the IPv4 header checksum field is not valid (after RSC); Linux recomputes it if `ip_checksum_succeeded`. */
  ip_checksum_value_invalid: boolean;
}
/** Codec for {@link NdisChecksumReceive} (bits 9–31 are unnamed: ignored, written as 0). */
export const ndisChecksumReceiveInfo = bitfield32<NdisChecksumReceive>('ndis_tcp_ip_checksum_info.receive', [
  flag('tcp_checksum_failed', 0),
  flag('udp_checksum_failed', 1),
  flag('ip_checksum_failed', 2),
  flag('tcp_checksum_succeeded', 3),
  flag('udp_checksum_succeeded', 4),
  flag('ip_checksum_succeeded', 5),
  flag('loopback', 6),
  flag('tcp_checksum_value_invalid', 7),
  flag('ip_checksum_value_invalid', 8),
]);

/** LSOv2 transmit request (`ndis_tcp_lso_info.lso_v2_transmit`; PPI type TCP_LARGESEND_PKTINFO). */
export interface NdisLsoV2Transmit {
  /** Bits 0–19. */
  mss: number;
  /** Bits 20–29. */
  tcp_header_offset: number;
  /** Bit 30: 1 = LSO v2 (`NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE`). */
  type: number;
  /** Bit 31: 0 IPv4, 1 IPv6. */
  ip_version: number;
}
/** Codec for {@link NdisLsoV2Transmit}. */
export const ndisLsoV2TransmitInfo = bitfield32<NdisLsoV2Transmit>('ndis_tcp_lso_info.lso_v2_transmit', [
  uint('mss', 0, 20),
  uint('tcp_header_offset', 20, 10),
  uint('type', 30, 1),
  uint('ip_version', 31, 1),
]);

/** `NDIS_TCP_LARGE_SEND_OFFLOAD_*` (hyperv_net.h). */
export const NDIS_TCP_LARGE_SEND_OFFLOAD = {
  /** `NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE` (1): `lso_v2_transmit.type` for LSOv2, what Linux always sends. */
  V2_TYPE: 1,
  /** `NDIS_TCP_LARGE_SEND_OFFLOAD_IPV4` (0): `lso_v2_transmit.ip_version` for an IPv4 segment. */
  IPV4: 0,
  /** `NDIS_TCP_LARGE_SEND_OFFLOAD_IPV6` (1): `lso_v2_transmit.ip_version` for an IPv6 segment. */
  IPV6: 1,
} as const;

/** A decoded {@link rndis_pktinfo_id}: the value of the internal PPI RNDIS_PKTINFO_ID (host → guest). */
export interface RndisPktinfoId {
  /** `ver` (u8 @0): structure version, {@link RNDIS_PKTINFO_ID_V1}; Linux does not check it. */
  ver: number;
  /** `flag` (u8 @1): {@link RNDIS_PKTINFO} bits (SUBALLOC, 1ST_FRAG, LAST_FRAG). */
  flag: number;
  /** `pkt_id` (u16 @2): id of the coalesced packet the fragment belongs to; Linux does not read it. */
  pkt_id: number;
}

/** `struct rndis_pktinfo_id` (4 bytes; internal PPI RNDIS_PKTINFO_ID, host → guest RSC fragments). */
export const rndis_pktinfo_id = struct('rndis_pktinfo_id', [u8('ver'), u8('flag'), u16('pkt_id')]);

// ---------------------------------------------------------------------------------------------
// Builders (one element each, `ppi_offset` 12 as Linux writes it)

function u32le(v: number): Uint8Array {
  const b = new Uint8Array(4);
  wr32(b, 0, v);
  return b;
}

/** A PPI element of any type with `ppi_offset` 12. */
export function ppiElement(type: number, data: Uint8Array, internal = false): PpiElement {
  return { type, internal, ppi_offset: RNDIS_PER_PACKET_INFO_SIZE, data };
}

/** NBL_HASH_VALUE: the 32-bit RSS hash (16-byte element). */
export function ppiHashValue(hash: number): PpiElement {
  return ppiElement(NdisPerPktInfoType.NBL_HASH_VALUE, u32le(needU32(LIST, 'hash', hash)));
}

/** Hash info (type 9, see {@link PPI_HASH_INFO_TYPE}): hash function and type bits (16-byte element). */
export function ppiHashInfo(hashinfo: number): PpiElement {
  return ppiElement(PPI_HASH_INFO_TYPE, u32le(needU32(LIST, 'hash_info', hashinfo)));
}

/** IEEE_8021Q_INFO from a tag; `reserved` defaults to 0. */
export function ppiVlan(info: Omit<Ndis8021qInfo, 'reserved'> & { reserved?: number }): PpiElement {
  return ppiElement(NdisPerPktInfoType.IEEE_8021Q_INFO, ndisPkt8021qInfo.encode({ reserved: 0, ...info }));
}

/** TCPIP_CHKSUM_PKTINFO, transmit form (guest → host). */
export function ppiChecksumTransmit(info: NdisChecksumTransmit): PpiElement {
  return ppiElement(NdisPerPktInfoType.TCPIP_CHKSUM_PKTINFO, ndisChecksumTransmitInfo.encode(info));
}

/** TCPIP_CHKSUM_PKTINFO, receive form (host → guest). */
export function ppiChecksumReceive(info: NdisChecksumReceive): PpiElement {
  return ppiElement(NdisPerPktInfoType.TCPIP_CHKSUM_PKTINFO, ndisChecksumReceiveInfo.encode(info));
}

/** TCP_LARGESEND_PKTINFO, LSOv2 transmit form. */
export function ppiLsoV2Transmit(info: NdisLsoV2Transmit): PpiElement {
  return ppiElement(NdisPerPktInfoType.TCP_LARGESEND_PKTINFO, ndisLsoV2TransmitInfo.encode(info));
}

/** Internal RNDIS_PKTINFO_ID (RSC fragment marking). */
export function ppiPktinfoId(info: RndisPktinfoId): PpiElement {
  return ppiElement(RndisPerPktInfoInternalType.RNDIS_PKTINFO_ID, rndis_pktinfo_id.encode(info), true);
}

/** The values a PPI list carries, typed (first element of each kind; absent kinds are missing). */
export interface PpiValues {
  /** NBL_HASH_VALUE (type 8): the 32-bit RSS hash; Linux uses it as the skb's L4 hash. */
  hash?: number;
  /** Type 9 (FreeBSD's reading; Linux ignores it). */
  hash_info?: number;
  /** IEEE_8021Q_INFO (type 6): the 802.1Q tag. */
  vlan?: Ndis8021qInfo;
  /** TCPIP_CHKSUM_PKTINFO (type 0), in the transmit or receive form chosen by `direction`. */
  checksum?: NdisChecksumTransmit | NdisChecksumReceive;
  /** TCP_LARGESEND_PKTINFO (type 2), LSOv2 transmit form. */
  lso?: NdisLsoV2Transmit;
  /** Internal RNDIS_PKTINFO_ID (type 1, `internal`): RSC fragment flags and packet id. */
  pktinfo_id?: RndisPktinfoId;
}

/**
 * Reads the known values of a PPI list. `direction` picks the checksum form: `'tx'` (guest → host,
 * transmit bits) or `'rx'` (host → guest, receive bits).
 * @throws {@link ProtocolError} `BAD_LENGTH` when a known element's value is shorter than its type needs.
 */
export function readPpiValues(list: readonly PpiElement[], direction: 'tx' | 'rx'): PpiValues {
  const out: PpiValues = {};
  // Every known value is 4 bytes; the first element of each kind is read, in this order.
  const read = <K extends keyof PpiValues>(
    key: K,
    type: number,
    what: string,
    decode: (data: Uint8Array) => PpiValues[K],
    internal = false,
  ): void => {
    const e = findPpi(list, type, internal);
    if (!e) return;
    if (e.data.length < 4) {
      throw new ProtocolError('BAD_LENGTH', `is ${e.data.length} bytes; ${what} needs 4`, { struct: LIST, field: 'size', value: e.data.length });
    }
    out[key] = decode(e.data);
  };
  const word = (data: Uint8Array): number => rd32(data, 0);
  const checksum = direction === 'tx' ? ndisChecksumTransmitInfo : ndisChecksumReceiveInfo;
  read('hash', NdisPerPktInfoType.NBL_HASH_VALUE, 'NBL_HASH_VALUE', word);
  read('hash_info', PPI_HASH_INFO_TYPE, 'hash info', word);
  read('vlan', NdisPerPktInfoType.IEEE_8021Q_INFO, 'IEEE_8021Q_INFO', (d) => ndisPkt8021qInfo.decode(d));
  read('checksum', NdisPerPktInfoType.TCPIP_CHKSUM_PKTINFO, 'TCPIP_CHKSUM_PKTINFO', (d) => checksum.decode(d));
  read('lso', NdisPerPktInfoType.TCP_LARGESEND_PKTINFO, 'TCP_LARGESEND_PKTINFO', (d) => ndisLsoV2TransmitInfo.decode(d));
  read('pktinfo_id', RndisPerPktInfoInternalType.RNDIS_PKTINFO_ID, 'RNDIS_PKTINFO_ID', (d) => rndis_pktinfo_id.decode(d), true);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Linux's lookup, quirks included

/** What Linux's `rndis_get_ppi` does for one lookup. */
export type LinuxPpiLookup =
  /** Returns a pointer to `valueSize` bytes: here they are. */
  | {
      /** A matching element with a large enough value was found. */
      result: 'found';
      /** The first `valueSize` bytes of its value (from `ppi_offset`). */
      value: Uint8Array;
    }
  /** Returns NULL (no such element, or the block failed the packet-level checks). */
  | {
      /** Nothing found: the guest proceeds without this PPI. */
      result: 'absent';
    }
  /** Loops forever (element size past the block, `ppi_offset ≥ size`, size 0, or a too-small match). */
  | {
      /** The walk never ends: the guest's receive path hangs. */
      result: 'hang';
      /** Offset in `range` of the element the walk gets stuck on. */
      at: number;
    }
  /** Reads an element header past the block (fewer than 12 bytes left), i.e. stale memory. */
  | {
      /** The walk reads a header beyond the PPI block. */
      result: 'overread';
      /** Offset in `range` where that 12-byte header read starts. */
      at: number;
    };

/**
 * Linux's PPI lookup for one (type, internal) pair, step for step (6.1.192 rndis_filter.c
 * `rndis_get_ppi`), on a whole transfer range `range` holding the RNDIS PACKET at offset 0.
 * Packet-level checks first (`per_pkt_info_offset` 0 ⇒ absent; < 36 or > range length − 8 ⇒ absent;
 * `per_pkt_info_len` < 12 or > range length − 8 − offset ⇒ absent), then the element walk, which
 * never advances past a bad element — reported here as `'hang'` instead of looping.
 * The caller is expected to have checked the range holds the 44-byte packet header, as Linux does.
 */
export function linuxGetPpi(range: Uint8Array, type: number, internal: boolean, valueSize: number): LinuxPpiLookup {
  const base = RNDIS_HEADER_SIZE;
  if (range.length < base + rndis_packet.size) return { result: 'absent' };
  const rpktLen = range.length - base;
  const ppiOff = rd32(range, base + rndis_packet.offsetOf('per_pkt_info_offset'));
  const ppiLen = rd32(range, base + rndis_packet.offsetOf('per_pkt_info_len'));
  if (ppiOff === 0) return { result: 'absent' };
  if (ppiOff < rndis_packet.size || ppiOff > rpktLen) return { result: 'absent' };
  if (ppiLen < RNDIS_PER_PACKET_INFO_SIZE || ppiLen > rpktLen - ppiOff) return { result: 'absent' };
  let p = base + ppiOff;
  let len = ppiLen;
  const end = base + ppiOff + ppiLen;
  while (len > 0) {
    if (end - p < RNDIS_PER_PACKET_INFO_SIZE) return { result: 'overread', at: p };
    const size = rd32(range, p);
    const w = rd32(range, p + 4);
    const off = rd32(range, p + 8);
    if (size > len) return { result: 'hang', at: p };
    if (off >= size) return { result: 'hang', at: p };
    if ((w & TYPE_MAX) === type && w >>> 31 === (internal ? 1 : 0)) {
      if (size - off < valueSize) return { result: 'hang', at: p };
      return { result: 'found', value: range.slice(p + off, p + off + valueSize) };
    }
    len -= size;
    p += size;
  }
  return { result: 'absent' };
}
