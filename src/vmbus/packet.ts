/**
 * VMBus packet framing: `vmpacket_descriptor` and the packet kinds netvsc uses — in-band (6),
 * transfer-page (7) with its ranges, GPA-direct (9) with page ranges, completion (11).
 *
 * Sources: include/linux/hyperv.h (struct vmpacket_descriptor, vmtransfer_page_packet_header,
 * vmtransfer_page_range, vmdata_gpa_direct, gpa_range, hv_page_buffer, hv_mpb_array,
 * vmbus_channel_packet_page_buffer, vmbus_packet_mpb_array, enum vmbus_packet_type);
 * drivers/hv/channel.c (vmbus_sendpacket_getid, vmbus_sendpacket_mpb_desc); openvmm
 * vm/devices/vmbus/vmbus_ring (checks on receipt); shared/spec/vmbus.md §2.
 *
 * @module
 */
import { ProtocolError } from '../wire/errors.js';
import { array, nested, reserved, struct, u16, u32, u64, u8, type Codec } from '../wire/struct.js';
import { PACKET_DESCRIPTOR_SIZE, type RingProducer, type RingWriteResult } from './ring.js';

/** `enum vmbus_packet_type` (include/linux/hyperv.h). */
export const VmbusPacketType = {
  /** Type 0: invalid packet (hyperv.h `enum vmbus_packet_type`). */
  VM_PKT_INVALID: 0x0,
  /** Type 1: synch packet (hyperv.h). */
  VM_PKT_SYNCH: 0x1,
  /** Type 2: add a transfer page set (hyperv.h). */
  VM_PKT_ADD_XFER_PAGESET: 0x2,
  /** Type 3: remove a transfer page set (hyperv.h). */
  VM_PKT_RM_XFER_PAGESET: 0x3,
  /** Type 4: establish a GPADL (hyperv.h). */
  VM_PKT_ESTABLISH_GPADL: 0x4,
  /** Type 5: tear down a GPADL (hyperv.h). */
  VM_PKT_TEARDOWN_GPADL: 0x5,
  /** Type 6: in-band data, payload inside the ring (hyperv.h). */
  VM_PKT_DATA_INBAND: 0x6,
  /** Type 7: data in transfer pages, e.g. the receive buffer (hyperv.h). */
  VM_PKT_DATA_USING_XFER_PAGES: 0x7,
  /** Type 8: data referenced through a GPADL (hyperv.h). */
  VM_PKT_DATA_USING_GPADL: 0x8,
  /** Type 9: data referenced by guest physical page ranges (hyperv.h). */
  VM_PKT_DATA_USING_GPA_DIRECT: 0x9,
  /** Type 10: cancel request (hyperv.h). */
  VM_PKT_CANCEL_REQUEST: 0xa,
  /** Type 11: completion (hyperv.h). */
  VM_PKT_COMP: 0xb,
  /** Type 12: data using an additional packet (hyperv.h). */
  VM_PKT_DATA_USING_ADDITIONAL_PKT: 0xc,
  /** Type 13: additional data (hyperv.h). */
  VM_PKT_ADDITIONAL_DATA: 0xd,
} as const;

/** Descriptor flag: the sender wants a completion (VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED). */
export const VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED = 1;
/** Linux's largest page-buffer count in one GPA-direct packet (MAX_PAGE_BUFFER_COUNT). */
export const MAX_PAGE_BUFFER_COUNT = 32;
/** MAX_MULTIPAGE_BUFFER_COUNT. */
export const MAX_MULTIPAGE_BUFFER_COUNT = 32;
/** Hyper-V page size: GPA ranges are counted in 4 KiB pages. */
export const HV_HYP_PAGE_SIZE = 4096;

/** `struct vmpacket_descriptor` (16 bytes, packed). */
export const vmpacket_descriptor = struct('vmpacket_descriptor', [
  u16('type'),
  u16('offset8'),
  u16('len8'),
  u16('flags'),
  u64('trans_id'),
]);

/** `struct vmtransfer_page_range` (8 bytes, packed). */
export const vmtransfer_page_range = struct('vmtransfer_page_range', [u32('byte_count'), u32('byte_offset')]);

/**
 * `struct vmtransfer_page_packet_header` as declared in 6.1, `ranges[1]`: 32 bytes (later mainline
 * uses a flexible array and is 24). A packet carries `range_cnt` ranges from offset 24.
 */
export const vmtransfer_page_packet_header = struct('vmtransfer_page_packet_header', [
  nested('d', vmpacket_descriptor),
  u16('xfer_pageset_id'),
  u8('sender_owns_set'),
  reserved('reserved', 1),
  u32('range_cnt'),
  array('ranges', vmtransfer_page_range, 1),
]);

/** `struct hv_page_buffer` (16 bytes): one page-sized GPA range. */
export const hv_page_buffer = struct('hv_page_buffer', [u32('len'), u32('offset'), u64('pfn')]);

/** `struct hv_multipage_buffer` (264 bytes). */
export const hv_multipage_buffer = struct('hv_multipage_buffer', [
  u32('len'),
  u32('offset'),
  array('pfn_array', 'u64', MAX_MULTIPAGE_BUFFER_COUNT),
]);

/** `struct gpa_range` without its flexible `pfn_array[]` (8 bytes). */
export const gpa_range = struct('gpa_range', [u32('byte_count'), u32('byte_offset')]);

/** `struct hv_mpb_array` without its flexible `pfn_array[]` (8 bytes). */
export const hv_mpb_array = struct('hv_mpb_array', [u32('len'), u32('offset')]);

/** `struct vmdata_gpa_direct` (32 bytes: descriptor, reserved, range_cnt, one 8-byte gpa_range). */
export const vmdata_gpa_direct = struct('vmdata_gpa_direct', [
  nested('d', vmpacket_descriptor),
  reserved('reserved', 4),
  u32('range_cnt'),
  array('range', gpa_range, 1),
]);

const gpaPrefix = [
  u16('type'),
  u16('dataoffset8'),
  u16('length8'),
  u16('flags'),
  u64('transactionid'),
  reserved('reserved', 4),
  u32('rangecount'),
] as const;

/** `struct vmbus_channel_packet_page_buffer` (536 bytes with all 32 ranges; Linux sends 24 + 16·n). */
export const vmbus_channel_packet_page_buffer = struct('vmbus_channel_packet_page_buffer', [
  ...gpaPrefix,
  array('range', hv_page_buffer, MAX_PAGE_BUFFER_COUNT),
]);

/** `struct vmbus_channel_packet_multipage_buffer` (288 bytes). */
export const vmbus_channel_packet_multipage_buffer = struct('vmbus_channel_packet_multipage_buffer', [
  ...gpaPrefix,
  nested('range', hv_multipage_buffer),
]);

/** `struct vmbus_packet_mpb_array` (32 bytes + 8 per PFN that follows). */
export const vmbus_packet_mpb_array = struct('vmbus_packet_mpb_array', [...gpaPrefix, nested('range', hv_mpb_array)]);

/** A transfer-page range: bytes in the transfer page set (netvsc: the receive buffer). */
export interface TransferPageRange {
  /** `vmtransfer_page_range.byte_count`: length of the data in bytes (for netvsc, one RNDIS message). */
  byte_count: number;
  /** `vmtransfer_page_range.byte_offset`: where the data starts, in bytes from the start of the transfer page set. */
  byte_offset: number;
}

/** A GPA range: a byte run over guest pages given by their PFNs. */
export interface GpaRange {
  /** `gpa_range.byte_count`: length of the run in bytes, starting `byte_offset` into the first page. */
  byte_count: number;
  /** Offset into the first page (0..4095). */
  byte_offset: number;
  /** One PFN per 4 KiB page the range touches: ceil((byte_offset + byte_count) / 4096). */
  pfns: bigint[];
}

interface PacketCommon {
  /** Descriptor flags (bit 0: completion requested). */
  flags: number;
  /** Transaction id. */
  trans_id: bigint;
  /**
   * Bytes after the header: `(len8 - offset8) * 8` on decode, so it includes the sender's zero
   * padding to 8 bytes. On encode any length; the encoder pads.
   */
  payload: Uint8Array;
}

/** In-band data (type 6). */
export interface InbandPacket extends PacketCommon {
  /** `'inband'`: descriptor `type` 6 (`VM_PKT_DATA_INBAND`); the data is the payload itself. */
  kind: 'inband';
}
/** Completion (type 11). */
export interface CompletionPacket extends PacketCommon {
  /** `'completion'`: descriptor `type` 11 (`VM_PKT_COMP`); `trans_id` echoes the request's id. */
  kind: 'completion';
}
/** Data in a transfer page set (type 7): netvsc's receive path. */
export interface TransferPagePacket extends PacketCommon {
  /** `'xfer-pages'`: descriptor `type` 7 (`VM_PKT_DATA_USING_XFER_PAGES`), sent by the host. */
  kind: 'xfer-pages';
  /** `vmtransfer_page_packet_header.xfer_pageset_id`: which transfer page set (netvsc: the receive buffer's id, 0xcafe). */
  xfer_pageset_id: number;
  /** `vmtransfer_page_packet_header.sender_owns_set` (u8); Linux does not read it. */
  sender_owns_set: number;
  /** The `range_cnt` ranges following the header at byte 24, one per RNDIS message for netvsc. */
  ranges: TransferPageRange[];
}
/** Data described by guest page numbers (type 9): netvsc's send path. */
export interface GpaDirectPacket extends PacketCommon {
  /** `'gpa-direct'`: descriptor `type` 9 (`VM_PKT_DATA_USING_GPA_DIRECT`), sent by the guest. */
  kind: 'gpa-direct';
  /** The `rangecount` GPA ranges after the 24-byte prefix, each with its PFNs (netvsc: the frame's pages). */
  ranges: GpaRange[];
}

/** Every VMBus packet kind a netvsc channel carries. */
export type VmbusPacket = InbandPacket | CompletionPacket | TransferPagePacket | GpaDirectPacket;

const KIND_TYPE = {
  inband: VmbusPacketType.VM_PKT_DATA_INBAND,
  completion: VmbusPacketType.VM_PKT_COMP,
  'xfer-pages': VmbusPacketType.VM_PKT_DATA_USING_XFER_PAGES,
  'gpa-direct': VmbusPacketType.VM_PKT_DATA_USING_GPA_DIRECT,
} as const;

/** Number of PFNs a GPA range needs. */
export function gpaRangePageCount(byteOffset: number, byteCount: number): number {
  return Math.ceil((byteOffset + byteCount) / HV_HYP_PAGE_SIZE);
}

function headerLength(p: VmbusPacket): number {
  switch (p.kind) {
    case 'inband':
    case 'completion':
      return PACKET_DESCRIPTOR_SIZE;
    case 'xfer-pages':
      return 24 + 8 * p.ranges.length;
    case 'gpa-direct': {
      let n = 24;
      for (const r of p.ranges) n += 8 + 8 * r.pfns.length;
      return n;
    }
  }
}

function range(value: number, field: string, max: number, offset: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new ProtocolError('FIELD_RANGE', `does not fit (0..${max})`, { struct: 'vmbus packet', field, value, offset });
  }
}

function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
}
function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
  b[o + 2] = v >>> 16;
  b[o + 3] = v >>> 24;
}
function put64(b: Uint8Array, o: number, v: bigint, field: string): void {
  if (typeof v !== 'bigint' || v < 0n || v > 0xffffffffffffffffn) {
    throw new ProtocolError('FIELD_RANGE', 'does not fit u64', { struct: 'vmbus packet', field, value: v, offset: o });
  }
  put32(b, o, Number(v & 0xffffffffn));
  put32(b, o + 4, Number(v >> 32n));
}
/** An integer in 0..0xffffffff (what {@link range} accepts for a u32). */
function isU32(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}
function put32pair(b: Uint8Array, o: number, lo: number, hi: number): void {
  put32(b, o, lo);
  put32(b, o + 4, hi);
}
function get16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
function get32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}
function get64(b: Uint8Array, o: number): bigint {
  return BigInt(get32(b, o)) | (BigInt(get32(b, o + 4)) << 32n);
}

/**
 * Writes the packet's header (descriptor and the kind's own header) into `b` at `o`; returns the
 * header length. `len8` covers header + payload + padding to 8.
 */
function writeHeader(p: VmbusPacket, b: Uint8Array, o: number, hdr: number, total: number, transId: bigint = p.trans_id): void {
  const type = KIND_TYPE[p.kind];
  if (type === undefined) {
    throw new ProtocolError('BAD_VALUE', 'is not a packet kind (inband, completion, xfer-pages, gpa-direct)', {
      struct: 'vmbus packet',
      field: 'kind',
      value: (p as { kind: unknown }).kind,
    });
  }
  range(p.flags, 'flags', 0xffff, o + 6);
  if (total / 8 > 0xffff) range(total / 8, 'len8', 0xffff, o + 4);
  put16(b, o, type);
  put16(b, o + 2, hdr / 8);
  put16(b, o + 4, total / 8);
  put16(b, o + 6, p.flags);
  put64(b, o + 8, transId, 'trans_id');
  if (p.kind === 'xfer-pages') {
    range(p.xfer_pageset_id, 'xfer_pageset_id', 0xffff, o + 16);
    range(p.sender_owns_set, 'sender_owns_set', 0xff, o + 18);
    put16(b, o + 16, p.xfer_pageset_id);
    b[o + 18] = p.sender_owns_set;
    b[o + 19] = 0;
    put32(b, o + 20, p.ranges.length);
    let q = o + 24;
    p.ranges.forEach((r, i) => {
      if (!isU32(r.byte_count)) range(r.byte_count, `ranges[${i}].byte_count`, 0xffffffff, q);
      if (!isU32(r.byte_offset)) range(r.byte_offset, `ranges[${i}].byte_offset`, 0xffffffff, q + 4);
      put32(b, q, r.byte_count);
      put32(b, q + 4, r.byte_offset);
      q += 8;
    });
  } else if (p.kind === 'gpa-direct') {
    put32(b, o + 16, 0);
    put32(b, o + 20, p.ranges.length);
    let q = o + 24;
    p.ranges.forEach((r, i) => {
      if (!isU32(r.byte_count)) range(r.byte_count, `ranges[${i}].byte_count`, 0xffffffff, q);
      if (!isU32(r.byte_offset)) range(r.byte_offset, `ranges[${i}].byte_offset`, 0xffffffff, q + 4);
      put32(b, q, r.byte_count);
      put32(b, q + 4, r.byte_offset);
      q += 8;
      r.pfns.forEach((pfn, j) => {
        if (typeof pfn === 'bigint' && pfn >= 0n && pfn <= 0xffffffffn) put32pair(b, q, Number(pfn), 0);
        else put64(b, q, pfn, `ranges[${i}].pfns[${j}]`); // the name is built only for the error
        q += 8;
      });
    });
  }
}

/** Encodes whole VMBus packets: header, payload and zero padding to 8 (as vmbus_sendpacket frames them). */
export const vmbusPacket: Codec<VmbusPacket> = {
  name: 'vmbus packet',
  encodingLength(p) {
    return (headerLength(p) + p.payload.length + 7) & ~7;
  },
  encode(p, buf, offset = 0) {
    const hdr = headerLength(p);
    const total = (hdr + p.payload.length + 7) & ~7;
    const out = buf ?? new Uint8Array(offset + total);
    if (!Number.isInteger(offset) || offset < 0 || out.length - offset < total) {
      throw new ProtocolError('SHORT_BUFFER', `needs ${total} bytes at offset ${offset}`, {
        struct: 'vmbus packet',
        offset,
      });
    }
    writeHeader(p, out, offset, hdr, total);
    out.set(p.payload, offset + hdr);
    out.fill(0, offset + hdr + p.payload.length, offset + total);
    return out;
  },
  decode(buf, offset = 0) {
    return decodePacket(buf.subarray(offset));
  },
};

function bad(field: string, value: number, reason: string, offset: number, code: 'RING_PACKET' | 'BAD_LENGTH' | 'BAD_VALUE' = 'RING_PACKET'): never {
  throw new ProtocolError(code, reason, { struct: 'vmpacket_descriptor', field, value, offset });
}

/** Options for {@link decodePacket}. */
export interface DecodePacketOptions {
  /**
   * Copy the payload out of `bytes` (default false: the payload is a view into `bytes`, which for a
   * ring packet is only valid until the reader moves on).
   */
  copy?: boolean;
}

/**
 * Decodes one packet (descriptor first, `len8 * 8` bytes or more; extra bytes are ignored).
 * Checks: the descriptor fits, offset8 ≥ 2, len8 ≥ offset8, len8·8 ≤ the bytes given, a known type
 * (6, 7, 9, 11), no flag bits but bit 0; for type 7 the header reaches range_cnt and holds
 * 24 + 8·range_cnt bytes; for type 9 at least one range, each with byte_count ≠ 0, byte_offset < 4096
 * and all its PFNs inside the header (openvmm's rules).
 * @throws {@link ProtocolError} for anything else.
 */
export function decodePacket(bytes: Uint8Array, options: DecodePacketOptions = {}): VmbusPacket {
  if (bytes.length < PACKET_DESCRIPTOR_SIZE) {
    throw new ProtocolError('SHORT_BUFFER', `a packet needs 16 bytes of descriptor, got ${bytes.length}`, {
      struct: 'vmpacket_descriptor',
      offset: 0,
    });
  }
  const type = get16(bytes, 0);
  const offset8 = get16(bytes, 2);
  const len8 = get16(bytes, 4);
  const flags = get16(bytes, 6);
  const trans_id = get64(bytes, 8);
  if (offset8 < 2) bad('offset8', offset8, 'is below 2', 2);
  if (len8 < offset8) bad('len8', len8, `is below offset8 (${offset8})`, 4);
  if (len8 * 8 > bytes.length) bad('len8', len8, `says ${len8 * 8} bytes but only ${bytes.length} are present`, 4, 'BAD_LENGTH');
  if ((flags & ~1) !== 0) bad('flags', flags, 'has bits other than COMPLETION_REQUESTED', 6);
  const hdr = offset8 * 8;
  const end = len8 * 8;
  const slice = (a: number, b: number) => (options.copy ? bytes.slice(a, b) : bytes.subarray(a, b));
  const payload = slice(hdr, end);
  switch (type) {
    case VmbusPacketType.VM_PKT_DATA_INBAND:
      return { kind: 'inband', flags, trans_id, payload };
    case VmbusPacketType.VM_PKT_COMP:
      return { kind: 'completion', flags, trans_id, payload };
    case VmbusPacketType.VM_PKT_DATA_USING_XFER_PAGES: {
      if (hdr < 24) bad('offset8', offset8, 'is too small for a transfer-page header (needs ≥ 3)', 2);
      const xfer_pageset_id = get16(bytes, 16);
      const sender_owns_set = bytes[18]!;
      const count = get32(bytes, 20);
      if (count > (hdr - 24) / 8) {
        throw new ProtocolError('BAD_LENGTH', `needs ${24 + 8 * count} header bytes but offset8 gives ${hdr}`, {
          struct: 'vmtransfer_page_packet_header',
          field: 'range_cnt',
          value: count,
          offset: 20,
        });
      }
      const ranges: TransferPageRange[] = new Array(count);
      for (let i = 0, q = 24; i < count; i++, q += 8) ranges[i] = { byte_count: get32(bytes, q), byte_offset: get32(bytes, q + 4) };
      return { kind: 'xfer-pages', flags, trans_id, xfer_pageset_id, sender_owns_set, ranges, payload };
    }
    case VmbusPacketType.VM_PKT_DATA_USING_GPA_DIRECT: {
      if (hdr < 24) bad('offset8', offset8, 'is too small for a GPA-direct header (needs ≥ 3)', 2);
      const count = get32(bytes, 20);
      if (count === 0) {
        throw new ProtocolError('BAD_VALUE', 'a GPA-direct packet needs at least one range', {
          struct: 'vmdata_gpa_direct',
          field: 'range_cnt',
          value: count,
          offset: 20,
        });
      }
      const ranges: GpaRange[] = [];
      let q = 24;
      for (let i = 0; i < count; i++) {
        if (q + 8 > hdr) {
          throw new ProtocolError('BAD_LENGTH', `range ${i} starts past the header (offset8·8 = ${hdr})`, {
            struct: 'gpa_range',
            field: 'range_cnt',
            value: count,
            offset: q,
          });
        }
        const byte_count = get32(bytes, q);
        const byte_offset = get32(bytes, q + 4);
        if (byte_count === 0) {
          throw new ProtocolError('BAD_VALUE', 'is 0', { struct: 'gpa_range', field: `range[${i}].byte_count`, value: 0, offset: q });
        }
        if (byte_offset >= HV_HYP_PAGE_SIZE) {
          throw new ProtocolError('BAD_VALUE', 'must be below 4096', {
            struct: 'gpa_range',
            field: `range[${i}].byte_offset`,
            value: byte_offset,
            offset: q + 4,
          });
        }
        const n = gpaRangePageCount(byte_offset, byte_count);
        if (q + 8 + 8 * n > hdr) {
          throw new ProtocolError('BAD_LENGTH', `needs ${n} PFNs but the header ends at ${hdr}`, {
            struct: 'gpa_range',
            field: `range[${i}].pfn_array`,
            value: n,
            offset: q + 8,
          });
        }
        const pfns: bigint[] = new Array(n);
        for (let j = 0; j < n; j++) pfns[j] = get64(bytes, q + 8 + 8 * j);
        ranges.push({ byte_count, byte_offset, pfns });
        q += 8 + 8 * n;
      }
      return { kind: 'gpa-direct', flags, trans_id, ranges, payload };
    }
    default:
      return bad('type', type, 'is not a packet type VMBus devices use (6, 7, 9, 11)', 0, 'BAD_VALUE');
  }
}

/**
 * @internal True when {@link decodePacket} would surely refuse `b`: its descriptor checks (too short,
 * offset8 below 2, len8 below offset8 or past the bytes, flag bits other than bit 0, an unknown
 * type, a transfer-page or GPA-direct header shorter than 24 bytes) without building an exception.
 * False says nothing: the decoder still decides. Keep in step with decodePacket (a property test
 * checks the implication).
 */
export function packetSurelyInvalid(b: Uint8Array): boolean {
  if (b.length < PACKET_DESCRIPTOR_SIZE) return true;
  const type = get16(b, 0);
  const offset8 = get16(b, 2);
  const len8 = get16(b, 4);
  if (offset8 < 2 || len8 < offset8 || len8 * 8 > b.length || (get16(b, 6) & ~1) !== 0) return true;
  if (type === VmbusPacketType.VM_PKT_DATA_INBAND || type === VmbusPacketType.VM_PKT_COMP) return false;
  if (type === VmbusPacketType.VM_PKT_DATA_USING_XFER_PAGES || type === VmbusPacketType.VM_PKT_DATA_USING_GPA_DIRECT) return offset8 < 3;
  return true;
}

/**
 * Frames `packet` and writes it into a ring (vmbus_sendpacket): descriptor, kind header, payload,
 * zero padding, then the ring's trailer. Returns the ring's decision.
 */
export function writePacket(ring: RingProducer, packet: VmbusPacket): RingWriteResult {
  const hdr = headerLength(packet);
  const total = (hdr + packet.payload.length + 7) & ~7;
  const head = new Uint8Array(hdr);
  writeHeader(packet, head, 0, hdr, total);
  const padLen = total - hdr - packet.payload.length;
  return padLen === 0 ? ring.write([head, packet.payload]) : ring.write([head, packet.payload, ZERO8.subarray(0, padLen)]);
}

const ZERO8 = new Uint8Array(8);

/** @internal A buffer reused by {@link encodePacketInto}. */
export interface PacketScratch {
  buf: Uint8Array;
}

/**
 * @internal `vmbusPacket.encode({ ...p, trans_id: transId })` into `scratch` (grown when short):
 * the same bytes, as a view of the scratch that is valid until its next use.
 */
export function encodePacketInto(p: VmbusPacket, transId: bigint, scratch: PacketScratch): Uint8Array {
  const hdr = headerLength(p);
  const total = (hdr + p.payload.length + 7) & ~7;
  if (scratch.buf.length < total) scratch.buf = new Uint8Array(Math.max(total, 2 * scratch.buf.length, 256));
  const out = scratch.buf;
  writeHeader(p, out, 0, hdr, total, transId);
  out.set(p.payload, hdr);
  out.fill(0, hdr + p.payload.length, total);
  return out.subarray(0, total);
}
