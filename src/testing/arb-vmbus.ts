/**
 * fast-check arbitraries for floor 2 (VMBus): every packet kind a netvsc channel carries and every
 * `CHANNELMSG_*` channel message — valid values that round-trip through their codecs, and
 * near-valid byte strings (one field broken, tagged with what) for hunting validation gaps.
 *
 * @example Any VMBus packet round-trips; a packet parser never crashes on near-valid bytes
 * ```ts
 * import * as fc from 'fast-check';
 * import { decodePacket, vmbusPacket } from 'netvsc-sim';
 * import {
 *   arbNearValidPacket, arbVmbusPacket, nearValidProperty, normalizeVmbusPacket, roundTripProperty,
 * } from 'netvsc-sim/testing';
 *
 * // The decoder gives the payload back padded to 8 bytes, hence `normalize`.
 * fc.assert(roundTripProperty(vmbusPacket, arbVmbusPacket(), { normalize: normalizeVmbusPacket }));
 *
 * // Swap decodePacket for your own parser: it must return or throw a rejection, and it must reject
 * // every input marked `expect: 'reject'` (len8 past the bytes, a range count too large, …).
 * fc.assert(nearValidProperty(arbNearValidPacket(), (bytes) => decodePacket(bytes)));
 * ```
 * @module
 */
import * as fc from 'fast-check';
import { ProtocolError } from '../wire/errors.js';
import type { Codec, StructCodec } from '../wire/struct.js';
import {
  gpaRangePageCount,
  HV_HYP_PAGE_SIZE,
  vmbusPacket,
  type GpaRange,
  type TransferPageRange,
  type VmbusPacket,
} from '../vmbus/packet.js';
import {
  CHANNEL_MESSAGE_CODECS,
  CHANNELMSG,
  CHANNELMSG_COUNT,
  channelMessageMinSize,
  channelMessageTypeName,
  decodeChannelMessage,
  encodeChannelMessage,
  encodeSynicMessage,
  HV_MESSAGE_PAYLOAD_BYTE_COUNT,
  HV_MESSAGE_SIZE,
  hv_message,
  vmbus_channel_gpadl_body,
  vmbus_channel_gpadl_header,
  vmbus_channel_offer,
  vmbus_channel_offer_channel,
  type ChannelMessage,
  type ChannelMessageType,
  type GpadlBodyMessage,
  type GpadlHeaderMessage,
} from '../vmbus/messages.js';
import { HV_NIC_GUID } from '../vmbus/guids.js';
import { guidArbitrary, structArbitrary } from './arbitraries.js';
import {
  arbBytes,
  arbU16,
  arbU32,
  arbU64,
  arbU8,
  chooseMutation,
  extend,
  judgedBy,
  offByOne,
  readField,
  setField,
  truncations,
  wf,
  zeroPad,
  type MutationCandidate,
  type NearValid,
  type SpecVerdict,
} from './arb-common.js';

// ---------------------------------------------------------------------------------------------
// Packets

/** Options of {@link arbVmbusPacket}. */
export interface VmbusPacketArbOptions {
  /** Which kinds to make (default: all four). */
  kinds?: readonly VmbusPacket['kind'][];
  /** Longest payload (default 64). */
  maxPayload?: number;
  /** Most ranges in a transfer-page or GPA-direct packet (default 6 and 4). */
  maxRanges?: number;
}

const arbFlags = fc.constantFrom(0, 1);

/** A transfer-page range (any u32 count and offset: they index the receiver's page set). */
export const arbTransferPageRange: fc.Arbitrary<TransferPageRange> = fc.record({ byte_count: arbU32, byte_offset: arbU32 });

/**
 * A GPA range the decoders accept: byte_count ≥ 1, byte_offset < 4096, and exactly
 * `ceil((byte_offset + byte_count) / 4096)` PFNs.
 */
export function arbGpaRange(options: { maxPages?: number } = {}): fc.Arbitrary<GpaRange> {
  const maxPages = options.maxPages ?? 6;
  return fc
    .record({ byte_offset: fc.integer({ min: 0, max: HV_HYP_PAGE_SIZE - 1 }), pages: fc.integer({ min: 1, max: maxPages }) })
    .chain(({ byte_offset, pages }) => {
      // byte_count such that offset + count needs exactly `pages` pages.
      const lo = Math.max(1, (pages - 1) * HV_HYP_PAGE_SIZE - byte_offset + 1);
      const hi = pages * HV_HYP_PAGE_SIZE - byte_offset;
      return fc.record({
        byte_count: fc.integer({ min: lo, max: hi }),
        byte_offset: fc.constant(byte_offset),
        pfns: fc.array(arbU64, { minLength: pages, maxLength: pages }),
      });
    });
}

/**
 * Any VMBus packet that `vmbusPacket` encodes and `decodePacket` decodes back: in-band,
 * completion, transfer-page and GPA-direct, flags 0 or 1 (the only flag the decoder allows).
 * Decoding pads the payload to 8 bytes: round-trip with {@link normalizeVmbusPacket}.
 */
export function arbVmbusPacket(options: VmbusPacketArbOptions = {}): fc.Arbitrary<VmbusPacket> {
  const kinds = options.kinds ?? ['inband', 'completion', 'xfer-pages', 'gpa-direct'];
  const payload = arbBytes(options.maxPayload ?? 64);
  const common = { flags: arbFlags, trans_id: arbU64, payload };
  const make: Record<VmbusPacket['kind'], fc.Arbitrary<VmbusPacket>> = {
    inband: fc.record({ kind: fc.constant('inband' as const), ...common }),
    completion: fc.record({ kind: fc.constant('completion' as const), ...common }),
    'xfer-pages': fc.record({
      kind: fc.constant('xfer-pages' as const),
      ...common,
      xfer_pageset_id: fc.oneof(fc.constant(0xcafe), arbU16),
      sender_owns_set: arbU8,
      ranges: fc.array(arbTransferPageRange, { maxLength: options.maxRanges ?? 6 }),
    }),
    'gpa-direct': fc.record({
      kind: fc.constant('gpa-direct' as const),
      ...common,
      ranges: fc.array(arbGpaRange(), { minLength: 1, maxLength: options.maxRanges ?? 4 }),
    }),
  };
  return fc.oneof(...kinds.map((k) => make[k]));
}

/** Header length of a packet (descriptor plus the kind's own header), as the encoder lays it out. */
function packetHeaderLength(p: VmbusPacket): number {
  switch (p.kind) {
    case 'inband':
    case 'completion':
      return 16;
    case 'xfer-pages':
      return 24 + 8 * p.ranges.length;
    case 'gpa-direct':
      return p.ranges.reduce((n, r) => n + 8 + 8 * r.pfns.length, 24);
  }
}

/** The packet as `decodePacket` gives it back: the payload zero-padded to the 8-byte frame. */
export function normalizeVmbusPacket(p: VmbusPacket): VmbusPacket {
  const hdr = packetHeaderLength(p);
  const framed = ((hdr + p.payload.length + 7) & ~7) - hdr;
  return { ...p, payload: zeroPad(p.payload, framed) };
}

const D = {
  type: wf('vmpacket_descriptor.type', 0, 2),
  offset8: wf('vmpacket_descriptor.offset8', 2, 2),
  len8: wf('vmpacket_descriptor.len8', 4, 2),
  flags: wf('vmpacket_descriptor.flags', 6, 2),
  trans_id: wf('vmpacket_descriptor.trans_id', 8, 8),
};

const KNOWN_PACKET_TYPES = new Set([6, 7, 9, 11]);

/**
 * What the packet rules say about a byte string (shared/spec/vmbus.md §2: openvmm's checks on
 * receipt, as `decodePacket` restates them): a 16-byte descriptor, 2 ≤ offset8 ≤ len8,
 * len8·8 ≤ the bytes present, type 6, 7, 9 or 11, no flag but bit 0; a transfer-page packet's
 * header holds 24 + 8·range_cnt bytes; a GPA-direct packet has at least one range, each with
 * byte_count ≠ 0, byte_offset < 4096 and all its PFNs inside the header. Written independently of
 * the decoder.
 */
export function packetSpecVerdict(b: Uint8Array): SpecVerdict {
  const reject = (rule: string): SpecVerdict => ({ verdict: 'reject', rule });
  if (b.length < 16) return reject('shorter than the 16-byte descriptor');
  const u16 = (at: number) => readField(b, wf('', at, 2));
  const u32 = (at: number) => readField(b, wf('', at, 4));
  const [type, offset8, len8, flags] = [u16(0), u16(2), u16(4), u16(6)];
  if (offset8 < 2) return reject('offset8 below 2: the payload inside the descriptor');
  if (len8 < offset8) return reject('len8 below offset8');
  if (len8 * 8 > b.length) return reject(`len8 says ${len8 * 8} bytes, ${b.length} present`);
  if ((flags & ~1) !== 0) return reject('a flag other than COMPLETION_REQUESTED');
  if (!KNOWN_PACKET_TYPES.has(type)) return reject(`type ${type} is not 6, 7, 9 or 11`);
  const hdr = offset8 * 8;
  if (type === 7) {
    if (hdr < 24) return reject('a transfer-page header needs offset8 ≥ 3');
    return 24 + 8 * u32(20) > hdr ? reject('range_cnt ranges do not fit the header') : { verdict: 'accept' };
  }
  if (type === 9) {
    if (hdr < 24) return reject('a GPA-direct header needs offset8 ≥ 3');
    const count = u32(20);
    if (count === 0) return reject('a GPA-direct packet without ranges');
    let q = 24;
    for (let i = 0; i < count; i++) {
      if (q + 8 > hdr) return reject(`range ${i} starts past the header`);
      const byteCount = u32(q);
      const byteOffset = u32(q + 4);
      if (byteCount === 0) return reject(`range ${i} is empty`);
      if (byteOffset >= HV_HYP_PAGE_SIZE) return reject(`range ${i} byte_offset ${byteOffset} ≥ 4096`);
      q += 8 + 8 * gpaRangePageCount(byteOffset, byteCount);
      if (q > hdr) return reject(`range ${i}'s PFNs run past the header`);
    }
  }
  return { verdict: 'accept' };
}

/** Ways to break one encoded packet; each judged by {@link packetSpecVerdict}. */
function packetMutations(p: VmbusPacket): MutationCandidate[] {
  const b = vmbusPacket.encode(p);
  const len8 = readField(b, D.len8);
  const hdr = readField(b, D.offset8) * 8;
  const any = () => 'any' as const;
  const out: MutationCandidate[] = [
    ...offByOne(b, D.type, any, 'bad-value'),
    ...offByOne(b, D.offset8, any, 'length-lie'),
    setField(b, D.offset8, 0, 'offset-into-header', 'any', 'a payload inside the descriptor'),
    setField(b, D.offset8, len8 + 1, 'offset-past-end', 'any', 'the payload starts past len8'),
    ...offByOne(b, D.len8, any, 'length-lie'),
    setField(b, D.len8, 0xffff, 'length-lie', 'any', 'far longer than the bytes'),
    ...offByOne(b, D.flags, any),
    setField(b, D.flags, readField(b, D.flags) | 2, 'bad-value', 'any', 'a flag bit other than COMPLETION_REQUESTED'),
    ...offByOne(b, D.trans_id, any),
  ];
  if (p.kind === 'xfer-pages') {
    const cnt = wf('vmtransfer_page_packet_header.range_cnt', 20, 4);
    out.push(
      ...offByOne(b, cnt, any, 'count-too-large'),
      setField(b, cnt, 0xffffffff, 'count-too-large', 'any', 'u32 max'),
      ...offByOne(b, wf('vmtransfer_page_packet_header.xfer_pageset_id', 16, 2), any),
    );
    p.ranges.forEach((_, i) => out.push(...offByOne(b, wf(`vmtransfer_page_range[${i}].byte_count`, 24 + 8 * i, 4), any)));
  }
  if (p.kind === 'gpa-direct') {
    const cnt = wf('vmdata_gpa_direct.range_cnt', 20, 4);
    out.push(
      ...offByOne(b, cnt, any, 'count-too-large'),
      setField(b, cnt, 0xffffffff, 'count-too-large', 'any', 'u32 max'),
      setField(b, cnt, 0, 'bad-value', 'any', 'a GPA-direct packet needs a range'),
    );
    let q = 24;
    p.ranges.forEach((r, i) => {
      const count = wf(`gpa_range[${i}].byte_count`, q, 4);
      const off = wf(`gpa_range[${i}].byte_offset`, q + 4, 4);
      out.push(
        ...offByOne(b, count, any, 'length-lie'),
        ...offByOne(b, off, any),
        setField(b, count, readField(b, count) + HV_HYP_PAGE_SIZE, 'count-too-large', 'any', 'one page more than its PFNs'),
        setField(b, count, 0, 'bad-value', 'any', 'an empty range'),
        setField(b, off, HV_HYP_PAGE_SIZE, 'offset-past-end', 'any', 'byte_offset must be below 4096'),
      );
      q += 8 + 8 * r.pfns.length;
    });
  }
  const bounds = [
    { at: 0, label: 'type' },
    { at: 2, label: 'offset8' },
    { at: 4, label: 'len8' },
    { at: 6, label: 'flags' },
    { at: 8, label: 'trans_id' },
    { at: 16, label: p.kind === 'inband' || p.kind === 'completion' ? 'the payload' : 'the kind header' },
    { at: hdr, label: 'the payload' },
    { at: hdr + p.payload.length, label: 'the padding' },
  ];
  if (p.kind === 'xfer-pages' || p.kind === 'gpa-direct') bounds.push({ at: 20, label: 'range_cnt' }, { at: 24, label: 'the ranges' });
  if (p.kind === 'gpa-direct') {
    let q = 24;
    p.ranges.forEach((r, i) => {
      bounds.push({ at: q, label: `gpa_range[${i}]` }, { at: q + 8, label: `gpa_range[${i}].pfn_array` });
      q += 8 + 8 * r.pfns.length;
    });
  }
  out.push(...truncations(b, bounds, any));
  out.push(extend(b, new Uint8Array([0xa5, 0xa5, 0xa5]), 'any', 'bytes past len8·8 are not part of the packet'));
  return judgedBy(out, packetSpecVerdict);
}

/**
 * Near-valid VMBus packets: a valid packet's bytes with one field bent (type, offset8, len8,
 * flags, a range count, a GPA range's count or offset), truncated at a field boundary, or extended.
 * `expect` comes from {@link packetSpecVerdict}. Decode with `decodePacket(bytes)`.
 */
export function arbNearValidPacket(options: VmbusPacketArbOptions = {}): fc.Arbitrary<NearValid> {
  return chooseMutation(arbVmbusPacket(options), packetMutations);
}

// ---------------------------------------------------------------------------------------------
// Channel messages

/** Every channel message type, in numeric order. */
export const CHANNEL_MESSAGE_TYPES: readonly ChannelMessageType[] = Object.keys(CHANNEL_MESSAGE_CODECS) as ChannelMessageType[];

/** Words of range data a GPADL_HEADER can carry: (240 − 20) / 8. */
const GPADL_HEADER_WORDS = Math.floor((HV_MESSAGE_PAYLOAD_BYTE_COUNT - vmbus_channel_gpadl_header.size) / 8);
/** PFNs a GPADL_BODY can carry: (240 − 16) / 8. */
const GPADL_BODY_PFNS = Math.floor((HV_MESSAGE_PAYLOAD_BYTE_COUNT - vmbus_channel_gpadl_body.size) / 8);

/**
 * A GPADL_HEADER message that fits 240 bytes and decodes back to itself: every range but the last
 * carries all its PFNs; the last may carry fewer (the rest would follow in GPADL_BODY messages).
 */
export function arbGpadlHeaderMessage(): fc.Arbitrary<GpadlHeaderMessage> {
  const complete = fc
    .record({ byte_offset: fc.integer({ min: 0, max: 4095 }), byte_count: fc.integer({ min: 0, max: 6 * 4096 }) })
    .chain((r) => {
      const n = gpaRangePageCount(r.byte_offset, r.byte_count);
      return fc.record({ byte_count: fc.constant(r.byte_count), byte_offset: fc.constant(r.byte_offset), pfns: fc.array(arbU64, { minLength: n, maxLength: n }) });
    });
  const lastPartial = fc.record({ byte_count: arbU32, byte_offset: arbU32, keep: fc.nat(), pfns: fc.array(arbU64, { maxLength: GPADL_HEADER_WORDS }) });
  return fc
    .record({
      child_relid: arbU32,
      gpadl: arbU32,
      range_buflen: arbU16,
      rangecount: arbU16,
      ranges: fc.array(complete, { maxLength: 3 }),
      last: fc.option(lastPartial, { nil: undefined }),
    })
    .map(({ child_relid, gpadl, range_buflen, rangecount, ranges, last }) => {
      const range: GpaRange[] = [];
      let words = 0;
      for (const r of ranges) {
        if (words + 1 + r.pfns.length > GPADL_HEADER_WORDS) break;
        range.push(r);
        words += 1 + r.pfns.length;
      }
      if (last && words < GPADL_HEADER_WORDS) {
        const want = gpaRangePageCount(last.byte_offset, last.byte_count);
        const n = Math.min(want, GPADL_HEADER_WORDS - words - 1, last.pfns.length);
        range.push({ byte_count: last.byte_count, byte_offset: last.byte_offset, pfns: last.pfns.slice(0, n) });
      }
      return { header: { msgtype: CHANNELMSG.CHANNELMSG_GPADL_HEADER }, child_relid, gpadl, range_buflen, rangecount, range };
    });
}

/** A GPADL_BODY message of up to 28 PFNs. */
export function arbGpadlBodyMessage(): fc.Arbitrary<GpadlBodyMessage> {
  return fc.record({
    header: fc.constant({ msgtype: CHANNELMSG.CHANNELMSG_GPADL_BODY }),
    msgnumber: arbU32,
    gpadl: arbU32,
    pfn: fc.array(arbU64, { maxLength: GPADL_BODY_PFNS }),
  });
}

/** Options of {@link arbChannelMessage}. */
export interface ChannelMessageArbOptions {
  /** Which types to make (default: every type, 1..24). */
  types?: readonly ChannelMessageType[];
}

function arbChannelMessageOf(type: ChannelMessageType): fc.Arbitrary<ChannelMessage> {
  const msgtype = CHANNELMSG[type];
  const header = fc.constant({ msgtype });
  const tag = <M>(arb: fc.Arbitrary<M>) => arb.map((msg) => ({ type, msg }) as unknown as ChannelMessage);
  switch (type) {
    case 'CHANNELMSG_GPADL_HEADER':
      return tag(arbGpadlHeaderMessage());
    case 'CHANNELMSG_GPADL_BODY':
      return tag(arbGpadlBodyMessage());
    case 'CHANNELMSG_18':
    case 'CHANNELMSG_19':
    case 'CHANNELMSG_20':
    case 'CHANNELMSG_TL_CONNECT_RESULT':
      return tag(fc.record({ header, body: arbBytes(HV_MESSAGE_PAYLOAD_BYTE_COUNT - 8) }));
    case 'CHANNELMSG_OFFERCHANNEL': {
      const offer = structArbitrary(vmbus_channel_offer, { if_type: fc.oneof(fc.constant(HV_NIC_GUID), guidArbitrary) });
      return tag(structArbitrary(vmbus_channel_offer_channel, { header, offer }));
    }
    default: {
      const codec = CHANNEL_MESSAGE_CODECS[type] as StructCodec<any>;
      // Header-only messages (REQUESTOFFERS, UNLOAD, …) are the header itself.
      if (codec.size === 8) return tag(fc.constant({ msgtype }));
      return tag(structArbitrary(codec, { header }));
    }
  }
}

/**
 * Any channel message `encodeChannelMessage` encodes (at most 240 bytes, msgtype matching its
 * type) and `decodeChannelMessage` decodes back to the same value — every type 1..24, the
 * undeclared ones (18–20, 23) as header plus raw body.
 */
export function arbChannelMessage(options: ChannelMessageArbOptions = {}): fc.Arbitrary<ChannelMessage> {
  const types = options.types ?? CHANNEL_MESSAGE_TYPES;
  return fc.oneof(...types.map(arbChannelMessageOf));
}

/**
 * Channel messages as they travel: in a 256-byte SynIC message slot whose `payload_size` frames
 * the message (a channel message has no length of its own). A {@link Codec} over
 * {@link ChannelMessage}, for round-trip properties.
 */
export const channelMessageSlotCodec: Codec<ChannelMessage> = {
  name: 'hv_message (channel message)',
  encodingLength: () => HV_MESSAGE_SIZE,
  encode(m, buf, offset = 0) {
    const slot = encodeSynicMessage(encodeChannelMessage(m));
    const out = buf ?? new Uint8Array(offset + HV_MESSAGE_SIZE);
    if (!Number.isInteger(offset) || offset < 0 || out.length - offset < HV_MESSAGE_SIZE) {
      throw new ProtocolError('SHORT_BUFFER', `needs ${HV_MESSAGE_SIZE} bytes at offset ${offset}`, { struct: 'hv_message', offset });
    }
    out.set(slot, offset);
    return out;
  },
  decode(buf, offset = 0) {
    const slot = hv_message.decode(buf, offset);
    const size = slot.header.payload_size;
    if (size > HV_MESSAGE_PAYLOAD_BYTE_COUNT) {
      throw new ProtocolError('BAD_LENGTH', `is larger than ${HV_MESSAGE_PAYLOAD_BYTE_COUNT}`, {
        struct: 'hv_message_header',
        field: 'payload_size',
        value: size,
        offset: offset + 4,
      });
    }
    return decodeChannelMessage(slot.u.subarray(0, size));
  },
};

/** Field boundaries of a channel message's fixed struct (header included). */
function messageBoundaries(type: ChannelMessageType): { at: number; label: string }[] {
  const codec = (type === 'CHANNELMSG_GPADL_HEADER'
    ? vmbus_channel_gpadl_header
    : type === 'CHANNELMSG_GPADL_BODY'
      ? vmbus_channel_gpadl_body
      : CHANNEL_MESSAGE_CODECS[type]) as Codec<unknown> & { layout?: StructCodec<unknown>['layout'] };
  const rows: { at: number; label: string }[] = [
    { at: 0, label: 'vmbus_channel_message_header.msgtype' },
    { at: 4, label: 'vmbus_channel_message_header.padding' },
  ];
  if (codec.layout) {
    for (const f of codec.layout.fields) {
      if (f.name === 'header') continue;
      rows.push({ at: f.offset, label: `${codec.layout.name}.${f.name}` });
      const nested = (codec as StructCodec<unknown>).declaration.find((d) => d.name === f.name)?.codec;
      if (nested) for (const g of nested.layout.fields) rows.push({ at: f.offset + g.offset, label: `${nested.name}.${g.name}` });
    }
  }
  return rows;
}

/**
 * What the channel-message rules say about a posted payload (shared/spec/vmbus.md §4, as
 * `decodeChannelMessage` restates them): 8 ≤ length ≤ 240, msgtype 1..24, and at least the
 * type's struct (`channelMessageMinSize`). Written independently of the decoder.
 */
export function channelMessageSpecVerdict(b: Uint8Array): SpecVerdict {
  if (b.length < 8) return { verdict: 'reject', rule: 'shorter than the 8-byte header' };
  if (b.length > HV_MESSAGE_PAYLOAD_BYTE_COUNT) return { verdict: 'reject', rule: `longer than ${HV_MESSAGE_PAYLOAD_BYTE_COUNT} bytes` };
  const name = channelMessageTypeName(readField(b, wf('', 0, 4)));
  if (name === undefined || name === 'CHANNELMSG_INVALID') return { verdict: 'reject', rule: 'msgtype outside 1..24' };
  const min = channelMessageMinSize(name);
  return b.length < min ? { verdict: 'reject', rule: `${name} needs ${min} bytes` } : { verdict: 'accept' };
}

function channelMessageMutations(m: ChannelMessage): MutationCandidate[] {
  const b = encodeChannelMessage(m);
  const msgtype = wf('vmbus_channel_message_header.msgtype', 0, 4);
  const out: MutationCandidate[] = [];
  out.push(
    ...offByOne(b, msgtype, () => 'any', 'bad-value'),
    setField(b, msgtype, CHANNELMSG_COUNT, 'bad-value', 'reject', 'CHANNELMSG_COUNT: past the last type'),
    setField(b, msgtype, 0, 'bad-value', 'reject', 'CHANNELMSG_INVALID'),
  );
  const bounds = messageBoundaries(m.type);
  if (m.type === 'CHANNELMSG_GPADL_HEADER') {
    let q = vmbus_channel_gpadl_header.size;
    m.msg.range.forEach((r, i) => {
      bounds.push({ at: q, label: `range[${i}].byte_count` }, { at: q + 4, label: `range[${i}].byte_offset` });
      r.pfns.forEach((_, j) => bounds.push({ at: q + 8 + 8 * j, label: `range[${i}].pfn_array[${j}]` }));
      q += 8 + 8 * r.pfns.length;
    });
  }
  if (m.type === 'CHANNELMSG_GPADL_BODY') {
    m.msg.pfn.forEach((_, j) => bounds.push({ at: vmbus_channel_gpadl_body.size + 8 * j, label: `pfn[${j}]` }));
  }
  // Below the type's struct: SHORT_BUFFER. Inside GPADL range data: a partial word is ignored.
  out.push(...truncations(b, bounds, () => 'any'));
  if (b.length < HV_MESSAGE_PAYLOAD_BYTE_COUNT) {
    out.push(extend(b, new Uint8Array(HV_MESSAGE_PAYLOAD_BYTE_COUNT + 1 - b.length), 'reject', 'past the 240-byte payload'));
    out.push(extend(b, new Uint8Array(Math.min(8, HV_MESSAGE_PAYLOAD_BYTE_COUNT - b.length)), 'any', 'still within 240 bytes'));
  }
  if (m.type === 'CHANNELMSG_GPADL_HEADER') {
    // range_buflen and rangecount describe the whole GPADL (bodies included): no cross-check applies.
    out.push(
      ...offByOne(b, wf('vmbus_channel_gpadl_header.range_buflen', 16, 2), () => 'any', 'length-lie'),
      ...offByOne(b, wf('vmbus_channel_gpadl_header.rangecount', 18, 2), () => 'any', 'count-too-large'),
    );
    if (m.msg.range.length > 0) {
      const f = wf('gpa_range[0].byte_count', 20, 4);
      out.push(setField(b, f, readField(b, f) + HV_HYP_PAGE_SIZE, 'count-too-large', 'any', 'one more page than PFNs here; the rest may follow in bodies'));
    }
  }
  return judgedBy(out, channelMessageSpecVerdict);
}

/**
 * Near-valid channel messages (the posted payload, as `decodeChannelMessage` takes it): a valid
 * message with its msgtype off by one or out of range, truncated at every field boundary (GPADL
 * range data included), extended (past 240 bytes: must be rejected), or with GPADL counts that
 * disagree with the ranges present. `expect` comes from {@link channelMessageSpecVerdict}.
 */
export function arbNearValidChannelMessage(options: ChannelMessageArbOptions = {}): fc.Arbitrary<NearValid> {
  return chooseMutation(arbChannelMessage(options), channelMessageMutations);
}
