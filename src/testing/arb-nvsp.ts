/**
 * fast-check arbitraries for NVSP (floor 3): every message of every protocol version, valid for a
 * chosen direction, version and peer, and near-valid byte strings judged by the spec's rules.
 *
 * @example Any NVSP message a host sends round-trips; a parser never crashes on near-valid bytes
 * ```ts
 * import * as fc from 'fast-check';
 * import { test } from '@fast-check/vitest';
 * import { decodeNvsp, encodeNvsp, nvspCodec, NVSP_PROTOCOL_VERSION_61 } from 'netvsc-sim';
 * import {
 *   arbNearValidNvsp, arbNvspMessage, nearValidProperty, normalizeNvsp, roundTripProperty,
 * } from 'netvsc-sim/testing';
 *
 * const options = { from: 'host', version: NVSP_PROTOCOL_VERSION_61, peer: 'hyperv' } as const;
 * fc.assert(roundTripProperty(nvspCodec(options), arbNvspMessage(options), { normalize: normalizeNvsp }));
 *
 * // With @fast-check/vitest: whatever netvsc-sim encodes, your parser reads the same type.
 * test.prop([arbNvspMessage(options)])('my parser reads every host message', (m) => {
 *   const bytes = encodeNvsp(m, options);
 *   return decodeNvsp(bytes, options).type === m.type; // replace decodeNvsp by your parser
 * });
 *
 * // Near-valid: a lying count, an offset past the end, a truncation… must be a clean rejection.
 * fc.assert(nearValidProperty(arbNearValidNvsp(options), (bytes, input) => decodeNvsp(bytes, input.options)));
 * ```
 * @module
 */
import * as fc from 'fast-check';
import { ProtocolError } from '../wire/errors.js';
import type { Codec, StructCodec } from '../wire/struct.js';
import { decodePacket, vmbusPacket } from '../vmbus/packet.js';
import {
  decodeNvsp,
  encodeNvsp,
  isNvspUnknownType,
  NVSP_6_PD_API_COMP_MEMBERS,
  NVSP_6_PD_API_REQ_MEMBERS,
  NVSP_MESSAGE_TYPE,
  NVSP_PROTOCOL_VERSION_1,
  NVSP_PROTOCOL_VERSION_2,
  NVSP_PROTOCOL_VERSION_4,
  NVSP_PROTOCOL_VERSION_5,
  NVSP_PROTOCOL_VERSION_6,
  NVSP_PROTOCOL_VERSION_61,
  NVSP_PROTOCOL_VERSIONS,
  NVSP_SEND_TABLE_FIXED_OFFSET,
  nvspEncodingLength,
  nvsp_1_message_revoke_receive_buffer,
  nvsp_1_message_revoke_send_buffer,
  nvsp_1_message_send_ndis_version,
  nvsp_1_message_send_receive_buffer,
  nvsp_1_message_send_rndis_packet,
  nvsp_1_message_send_rndis_packet_complete,
  nvsp_1_message_send_send_buffer,
  nvsp_1_message_send_send_buffer_complete,
  nvsp_1_receive_buffer_section,
  nvsp_2_alloc_rxbuf,
  nvsp_2_alloc_rxbuf_comp,
  nvsp_2_free_rxbuf,
  nvsp_2_send_ndis_config,
  nvsp_4_send_vf_association,
  nvsp_4_sw_datapath,
  nvsp_5_oid_query_ex,
  nvsp_5_oid_query_ex_comp,
  nvsp_5_subchannel_complete,
  nvsp_5_subchannel_request,
  nvsp_message_init,
  nvsp_message_init_complete,
  PD_API_COMP_MEMBER,
  PD_API_REQ_MEMBER,
  VRSS_SEND_TAB_SIZE,
  type NvspDecodeOptions,
  type NvspEncodeOptions,
  type NvspMessage,
  type NvspMessageTag,
  type NvspPeer,
  type NvspSender,
} from '../protocol/nvsp.js';
import { structArbitrary } from './arbitraries.js';
import {
  arbBytes,
  arbU16,
  arbU32,
  chooseMutation,
  extend,
  judgedBy,
  offByOne,
  setField,
  truncate,
  truncations,
  wf,
  zeroPad,
  type MutationCandidate,
  type NearValid,
  type WireField,
  type SpecVerdict,
} from './arb-common.js';

// ---------------------------------------------------------------------------------------------
// Tables

/** The body struct of each fixed-size message tag. */
export const NVSP_FIXED_BODIES: Readonly<Partial<Record<NvspMessageTag, StructCodec<any>>>> = Object.freeze({
  INIT: nvsp_message_init,
  INIT_COMPLETE: nvsp_message_init_complete,
  SEND_NDIS_VER: nvsp_1_message_send_ndis_version,
  SEND_RECV_BUF: nvsp_1_message_send_receive_buffer,
  REVOKE_RECV_BUF: nvsp_1_message_revoke_receive_buffer,
  SEND_SEND_BUF: nvsp_1_message_send_send_buffer,
  SEND_SEND_BUF_COMPLETE: nvsp_1_message_send_send_buffer_complete,
  REVOKE_SEND_BUF: nvsp_1_message_revoke_send_buffer,
  SEND_RNDIS_PKT: nvsp_1_message_send_rndis_packet,
  SEND_RNDIS_PKT_COMPLETE: nvsp_1_message_send_rndis_packet_complete,
  ALLOC_RXBUF: nvsp_2_alloc_rxbuf,
  ALLOC_RXBUF_COMP: nvsp_2_alloc_rxbuf_comp,
  FREE_RXBUF: nvsp_2_free_rxbuf,
  SEND_NDIS_CONFIG: nvsp_2_send_ndis_config,
  SEND_VF_ASSOCIATION: nvsp_4_send_vf_association,
  SWITCH_DATA_PATH: nvsp_4_sw_datapath,
  OID_QUERY_EX: nvsp_5_oid_query_ex,
  OID_QUERY_EX_COMP: nvsp_5_oid_query_ex_comp,
  SUBCHANNEL_REQUEST: nvsp_5_subchannel_request,
  SUBCHANNEL_COMPLETE: nvsp_5_subchannel_complete,
});

/**
 * The first NVSP version that defines each message (hyperv_net.h groups them as NVSP_MSG1_*,
 * NVSP_MSG2_*, NVSP_MSG4_*, NVSP_MSG5_*, NVSP_MSG6_*); `UNKNOWN` at every version.
 */
export const NVSP_MESSAGE_SINCE: Readonly<Record<NvspMessageTag, number>> = Object.freeze({
  INIT: 0,
  INIT_COMPLETE: 0,
  SEND_NDIS_VER: NVSP_PROTOCOL_VERSION_1,
  SEND_RECV_BUF: NVSP_PROTOCOL_VERSION_1,
  SEND_RECV_BUF_COMPLETE: NVSP_PROTOCOL_VERSION_1,
  REVOKE_RECV_BUF: NVSP_PROTOCOL_VERSION_1,
  SEND_SEND_BUF: NVSP_PROTOCOL_VERSION_1,
  SEND_SEND_BUF_COMPLETE: NVSP_PROTOCOL_VERSION_1,
  REVOKE_SEND_BUF: NVSP_PROTOCOL_VERSION_1,
  SEND_RNDIS_PKT: NVSP_PROTOCOL_VERSION_1,
  SEND_RNDIS_PKT_COMPLETE: NVSP_PROTOCOL_VERSION_1,
  ALLOC_RXBUF: NVSP_PROTOCOL_VERSION_2,
  ALLOC_RXBUF_COMP: NVSP_PROTOCOL_VERSION_2,
  FREE_RXBUF: NVSP_PROTOCOL_VERSION_2,
  SEND_NDIS_CONFIG: NVSP_PROTOCOL_VERSION_2,
  SEND_VF_ASSOCIATION: NVSP_PROTOCOL_VERSION_4,
  SWITCH_DATA_PATH: NVSP_PROTOCOL_VERSION_4,
  OID_QUERY_EX: NVSP_PROTOCOL_VERSION_5,
  OID_QUERY_EX_COMP: NVSP_PROTOCOL_VERSION_5,
  SUBCHANNEL_REQUEST: NVSP_PROTOCOL_VERSION_5,
  SUBCHANNEL_COMPLETE: NVSP_PROTOCOL_VERSION_5,
  SEND_INDIRECTION_TABLE: NVSP_PROTOCOL_VERSION_5,
  PD_API_REQUEST: NVSP_PROTOCOL_VERSION_6,
  PD_API_COMPLETE: NVSP_PROTOCOL_VERSION_6,
  PD_POST_BATCH: NVSP_PROTOCOL_VERSION_6,
  UNKNOWN: 0,
});

/** Message types without a known body layout (chimney/VMQ leftovers, 130, and undefined numbers). */
export const NVSP_UNKNOWN_TYPE_SAMPLES: readonly number[] = Object.freeze([
  0, 3, 99, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 123, 124, 126, 127, 130, 137, 1000, 0xffffffff,
]);

type PdReqKey = keyof typeof NVSP_6_PD_API_REQ_MEMBERS;
type PdCompKey = keyof typeof NVSP_6_PD_API_COMP_MEMBERS;
const reqMember = (op: number): PdReqKey | undefined => (PD_API_REQ_MEMBER as Record<number, PdReqKey>)[op];
const compMember = (op: number): PdCompKey | undefined => (PD_API_COMP_MEMBER as Record<number, PdCompKey>)[op];

// ---------------------------------------------------------------------------------------------
// Valid messages

/** Options of {@link arbNvspMessage} (the same object configures `nvspCodec`). */
export interface NvspArbOptions {
  /** Who sends: decides the bodies of types 133 and 135 (default `'guest'`). */
  from?: NvspSender;
  /**
   * The negotiated version: only messages defined at that version are made (default: all), and
   * the send indirection table is laid out the way a decoder at that version reads it (at ≤ 6.0
   * Linux reads it at 40 whenever the message has 104 bytes or more).
   */
  version?: number;
  /** The peer whose sizes the message will be encoded with (default `'linux'`). */
  peer?: NvspPeer;
  /** Restrict to these tags. */
  tags?: readonly NvspMessageTag[];
  /**
   * Include `UNKNOWN` messages (default false). Their body is every byte after the header, so
   * they round-trip through {@link nvspInbandCodec} (with {@link normalizeNvspInband}) but not
   * through `nvspCodec` at an offset with bytes after them.
   */
  unknown?: boolean;
}

const arbVersionWord = fc.oneof(fc.constantFrom(...NVSP_PROTOCOL_VERSIONS), arbU32);
const arbStatus = fc.oneof(fc.constantFrom(0, 1, 2), arbU32);

function fixedArb(tag: NvspMessageTag, codec: StructCodec<any>): fc.Arbitrary<NvspMessage> {
  const overrides: Record<string, fc.Arbitrary<unknown>> = {};
  if (tag === 'INIT') Object.assign(overrides, { min_protocol_ver: arbVersionWord, max_protocol_ver: arbVersionWord });
  if (tag === 'INIT_COMPLETE') Object.assign(overrides, { negotiated_protocol_ver: arbVersionWord, status: arbStatus });
  if (tag === 'SEND_RECV_BUF' || tag === 'SEND_SEND_BUF') overrides.id = fc.oneof(fc.constantFrom(0xcafe, 0xface), arbU16);
  return structArbitrary(codec, overrides as never).map((v) => ({ type: tag, ...(v as object) }) as NvspMessage);
}

const recvBufCompleteArb: fc.Arbitrary<NvspMessage> = fc
  .tuple(arbStatus, fc.array(structArbitrary(nvsp_1_receive_buffer_section), { maxLength: 4 }))
  .map(([status, sections]) => ({ type: 'SEND_RECV_BUF_COMPLETE', status, num_sections: sections.length, sections }));

/**
 * Send tables the decoder reads back as encoded: the table where the decoder will look for it.
 * At ≤ 6.0 a message of ≥ 104 bytes has its table read at 40 whatever `offset` says (Windows hosts
 * send such offsets), so the table is either at 40 or in a message shorter than 104 bytes.
 */
function sendTableArb(version: number | undefined, peer: NvspPeer): fc.Arbitrary<NvspMessage> {
  const table = fc.array(arbU32, { minLength: VRSS_SEND_TAB_SIZE, maxLength: VRSS_SEND_TAB_SIZE });
  const fixup = version !== undefined && version <= NVSP_PROTOCOL_VERSION_6;
  const atForty = fc.tuple(arbU32, table).map(([offset, t]): NvspMessage => ({
    type: 'SEND_INDIRECTION_TABLE',
    count: VRSS_SEND_TAB_SIZE,
    offset,
    table: t,
    table_offset: NVSP_SEND_TABLE_FIXED_OFFSET,
  }));
  // hyperv's encoder puts the table at 40 unless told otherwise: the offset field must say 40.
  if (peer === 'hyperv') {
    return fixup
      ? atForty
      : table.map((t): NvspMessage => ({ type: 'SEND_INDIRECTION_TABLE', count: VRSS_SEND_TAB_SIZE, offset: NVSP_SEND_TABLE_FIXED_OFFSET, table: t }));
  }
  // Below 104 bytes even once padded to 8 and followed by a few bytes: offsets 12..32.
  const maxOffset = fixup ? 32 : 300;
  const honoured = fc
    .tuple(fc.integer({ min: 12, max: maxOffset }), table)
    .map(([offset, t]): NvspMessage => ({ type: 'SEND_INDIRECTION_TABLE', count: VRSS_SEND_TAB_SIZE, offset, table: t }));
  return fixup ? fc.oneof(honoured, atForty) : honoured;
}

const opArb = fc.oneof(fc.integer({ min: 0, max: 11 }), arbU32);
const pdReqArb: fc.Arbitrary<NvspMessage> = opArb.chain((op) => {
  const key = reqMember(op);
  if (!key) return fc.constant<NvspMessage>({ type: 'PD_API_REQUEST', op });
  return structArbitrary(NVSP_6_PD_API_REQ_MEMBERS[key] as StructCodec<any>).map((m) => ({ type: 'PD_API_REQUEST', op, [key]: m }) as NvspMessage);
});
const pdCompArb: fc.Arbitrary<NvspMessage> = fc.tuple(opArb, arbU32).chain(([op, status]) => {
  const key = compMember(op);
  if (!key) return fc.constant<NvspMessage>({ type: 'PD_API_COMPLETE', op, status });
  return structArbitrary(NVSP_6_PD_API_COMP_MEMBERS[key] as StructCodec<any>).map(
    (m) => ({ type: 'PD_API_COMPLETE', op, status, [key]: m }) as NvspMessage,
  );
});
const bit = fc.constantFrom(0, 1);
const pdBatchArb: fc.Arbitrary<NvspMessage> = fc
  .tuple(bit, bit, fc.array(fc.record({ region_offset: arbU32, region_id: arbU16, is_partial: bit }), { maxLength: 5 }))
  .map(([guest2host, is_recv, pd_buf]) => ({ type: 'PD_POST_BATCH', count: pd_buf.length, guest2host, is_recv, pd_buf }));
const unknownArb: fc.Arbitrary<NvspMessage> = fc
  .tuple(fc.oneof(fc.constantFrom(...NVSP_UNKNOWN_TYPE_SAMPLES), arbU32.filter(isNvspUnknownType)), arbBytes(48))
  .map(([msg_type, body]) => ({ type: 'UNKNOWN', msg_type, body }));

/** The tags {@link arbNvspMessage} makes for these options. */
export function nvspTagsFor(options: NvspArbOptions = {}): NvspMessageTag[] {
  const from = options.from ?? 'guest';
  const version = options.version;
  const all = Object.keys(NVSP_MESSAGE_SINCE) as NvspMessageTag[];
  return all.filter((t) => {
    if (options.tags && !options.tags.includes(t)) return false;
    if (t === 'UNKNOWN') return options.unknown === true;
    if (from === 'guest' && (t === 'SUBCHANNEL_COMPLETE' || t === 'PD_API_COMPLETE')) return false;
    if (from === 'host' && (t === 'SUBCHANNEL_REQUEST' || t === 'PD_API_REQUEST')) return false;
    return version === undefined || NVSP_MESSAGE_SINCE[t] <= version;
  });
}

/**
 * Any NVSP message that `encodeNvsp` (with `options.peer` and `options.version`) encodes and
 * `decodeNvsp` (with `options.from` and `options.version`) decodes back to the same value, up to
 * {@link normalizeNvsp}. Types 133 and 135 take the body of `options.from`'s direction; all other
 * types are made whatever the direction (their bodies decode the same either way).
 */
export function arbNvspMessage(options: NvspArbOptions = {}): fc.Arbitrary<NvspMessage> {
  const tags = nvspTagsFor(options);
  if (tags.length === 0) throw new Error('netvsc-sim/testing: arbNvspMessage has no message type for these options');
  const peer = options.peer ?? 'linux';
  return fc.oneof(
    ...tags.map((t): fc.Arbitrary<NvspMessage> => {
      const body = NVSP_FIXED_BODIES[t];
      if (body) return fixedArb(t, body);
      switch (t) {
        case 'SEND_RECV_BUF_COMPLETE':
          return recvBufCompleteArb;
        case 'SEND_INDIRECTION_TABLE':
          return sendTableArb(options.version, peer);
        case 'PD_API_REQUEST':
          return pdReqArb;
        case 'PD_API_COMPLETE':
          return pdCompArb;
        case 'PD_POST_BATCH':
          return pdBatchArb;
        default:
          return unknownArb;
      }
    }),
  );
}

/**
 * The message as `decodeNvsp` gives it back: a send table whose `table_offset` equals its
 * `offset` carries no `table_offset`.
 */
export function normalizeNvsp(m: NvspMessage): NvspMessage {
  if (m.type === 'SEND_INDIRECTION_TABLE' && m.table_offset !== undefined && m.table_offset === m.offset) {
    const { table_offset: _dropped, ...rest } = m;
    return rest;
  }
  return m;
}

/**
 * NVSP messages as they travel: the payload of a VMBus in-band packet (which frames them and pads
 * them to 8 bytes). A {@link Codec} over {@link NvspMessage}: round-trips every message,
 * `UNKNOWN` included, with {@link normalizeNvspInband}.
 */
export function nvspInbandCodec(options: NvspDecodeOptions & NvspEncodeOptions): Codec<NvspMessage> {
  const frame = (m: NvspMessage) => ({ kind: 'inband' as const, flags: 0, trans_id: 0n, payload: encodeNvsp(m, options) });
  return {
    name: 'nvsp_message (in-band packet)',
    encodingLength: (m) => vmbusPacket.encodingLength(frame(m)),
    encode: (m, buf, offset) => vmbusPacket.encode(frame(m), buf, offset),
    decode(buf, offset = 0) {
      const p = decodePacket(buf.subarray(offset));
      if (p.kind !== 'inband') {
        throw new ProtocolError('BAD_VALUE', 'is not an in-band packet', { struct: 'vmpacket_descriptor', field: 'type', value: p.kind, offset });
      }
      return decodeNvsp(p.payload, options);
    },
  };
}

/**
 * What {@link nvspInbandCodec} gives back: {@link normalizeNvsp}, and an `UNKNOWN` body grown by
 * the peer's padding and the packet's padding to 8 (zeros).
 */
export function normalizeNvspInband(options: NvspEncodeOptions): (m: NvspMessage) => NvspMessage {
  return (m) => {
    if (m.type !== 'UNKNOWN') return normalizeNvsp(m);
    const framed = (nvspEncodingLength(m, options) + 7) & ~7;
    return { ...m, body: zeroPad(m.body, framed - 4) };
  };
}

// ---------------------------------------------------------------------------------------------
// The spec's verdict on bytes

function rd32(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}
function rd16(b: Uint8Array, p: number): number {
  return b[p]! | (b[p + 1]! << 8);
}
const reject = (rule: string): SpecVerdict => ({ verdict: 'reject', rule });
const ACCEPT: SpecVerdict = { verdict: 'accept' };

/**
 * What the NVSP rules say about one payload (shared/spec/nvsp-rndis-netvsc.md §2; the minimum
 * lengths `decodeNvsp` documents): at least the 4-byte header; a known fixed-size type needs its
 * whole body struct; 102 needs 28 bytes and all `num_sections` sections; 134 needs 12 bytes,
 * `count` = 16 and the 64-byte table inside the message at `offset` (at 40 when `version` ≤ 6.0
 * and the message has ≥ 104 bytes); 135 needs op (and status from a host) and the union member
 * its op selects; 136 needs all `count` descriptors. Written from the spec, independently of the
 * decoder, to judge near-valid inputs.
 */
export function nvspSpecVerdict(b: Uint8Array, options: NvspDecodeOptions): SpecVerdict {
  const len = b.length;
  if (len < 4) return reject('shorter than the 4-byte NVSP header');
  const t = rd32(b, 0);
  const tag = (Object.keys(NVSP_MESSAGE_TYPE) as (keyof typeof NVSP_MESSAGE_TYPE)[]).find(
    (k) =>
      NVSP_MESSAGE_TYPE[k] === t &&
      !(t === 133 && k !== (options.from === 'host' ? 'SUBCHANNEL_COMPLETE' : 'SUBCHANNEL_REQUEST')) &&
      !(t === 135 && k !== (options.from === 'host' ? 'PD_API_COMPLETE' : 'PD_API_REQUEST')),
  );
  if (tag === undefined) return ACCEPT; // UNKNOWN: any body
  const body = NVSP_FIXED_BODIES[tag];
  if (body) return len < 4 + body.size ? reject(`${tag} needs header + ${body.name} (${4 + body.size} bytes)`) : ACCEPT;
  switch (tag) {
    case 'SEND_RECV_BUF_COMPLETE': {
      if (len < 28) return reject('SEND_RECV_BUF_COMPLETE needs 28 bytes (one declared section)');
      const n = rd32(b, 8);
      return 12 + 16 * n > len ? reject(`num_sections ${n} needs ${12 + 16 * n} bytes`) : ACCEPT;
    }
    case 'SEND_INDIRECTION_TABLE': {
      if (len < 12) return reject('SEND_INDIRECTION_TABLE needs 12 bytes');
      const count = rd32(b, 4);
      if (count !== VRSS_SEND_TAB_SIZE) return reject(`count ${count} is not VRSS_SEND_TAB_SIZE (16)`);
      const v = options.version;
      const at = v !== undefined && v <= NVSP_PROTOCOL_VERSION_6 && len >= NVSP_SEND_TABLE_FIXED_OFFSET + 64 ? NVSP_SEND_TABLE_FIXED_OFFSET : rd32(b, 8);
      return at + 64 > len ? reject(`the 64-byte table at ${at} runs past the ${len}-byte message`) : ACCEPT;
    }
    case 'PD_API_REQUEST': {
      if (len < 8) return reject('PD_API request needs its op');
      const key = reqMember(rd32(b, 4));
      const need = 8 + (key ? NVSP_6_PD_API_REQ_MEMBERS[key].size : 0);
      return len < need ? reject(`op ${rd32(b, 4)} needs ${need} bytes`) : ACCEPT;
    }
    case 'PD_API_COMPLETE': {
      if (len < 12) return reject('PD_API completion needs op and status');
      const key = compMember(rd32(b, 4));
      const need = 12 + (key ? NVSP_6_PD_API_COMP_MEMBERS[key].size : 0);
      return len < need ? reject(`op ${rd32(b, 4)} needs ${need} bytes`) : ACCEPT;
    }
    case 'PD_POST_BATCH': {
      if (len < 8) return reject('PD_POST_BATCH needs 8 bytes');
      const n = rd16(b, 4);
      return 8 + 8 * n > len ? reject(`count ${n} needs ${8 + 8 * n} bytes`) : ACCEPT;
    }
    default:
      return ACCEPT;
  }
}

// ---------------------------------------------------------------------------------------------
// Near-valid bytes

/** A near-valid NVSP payload and the decode options it is meant for. */
export interface NearValidNvsp extends NearValid {
  /** Pass these to the decoder (`from` and `version` change what the bytes mean). */
  options: NvspDecodeOptions;
}

/** Options of {@link arbNearValidNvsp}. */
export interface NearValidNvspOptions {
  /** Who sent the bytes (default: either). */
  from?: NvspSender;
  /** The negotiated version (default: none, or a random one). */
  version?: number;
  /** The peer whose encoding is bent (default: any). */
  peer?: NvspPeer;
}

function bodyBoundaries(codec: StructCodec<any>, base: number, prefix: string): { at: number; label: string }[] {
  return codec.layout.fields.map((f) => ({ at: base + f.offset, label: `${prefix}.${f.name}` }));
}

function nvspMutations(m: NvspMessage, enc: NvspEncodeOptions, dec: NvspDecodeOptions): MutationCandidate[] {
  const b = encodeNvsp(m, enc);
  const exact = nvspEncodingLength(m, { peer: 'exact' });
  const field = (name: string, at: number, size: 1 | 2 | 4 | 8) => wf(name, at, size);
  const set = (f: WireField, value: number, kind: MutationCandidate['kind'], why: string) => setField(b, f, value, kind, 'any', why);
  const bumps = (f: WireField, kind: MutationCandidate['kind'] = 'off-by-one') => offByOne(b, f, () => 'any', kind);

  const out: MutationCandidate[] = [];
  const bounds: { at: number; label: string }[] = [{ at: 0, label: 'nvsp_message_header.msg_type' }, { at: 4, label: 'the body' }];
  out.push(...bumps(field('nvsp_message_header.msg_type', 0, 4), 'bad-value'));

  const body = NVSP_FIXED_BODIES[m.type];
  if (body) {
    bounds.push(...bodyBoundaries(body, 4, body.name));
    for (const f of body.layout.fields) {
      if (f.size === 1 || f.size === 2 || f.size === 4 || f.size === 8) out.push(...bumps(field(`${body.name}.${f.name}`, 4 + f.offset, f.size)));
    }
  }
  switch (m.type) {
    case 'SEND_RECV_BUF_COMPLETE': {
      const n = field('nvsp_1_message_send_receive_buffer_complete.num_sections', 8, 4);
      out.push(...bumps(n, 'count-too-large'), set(n, 0xffffffff, 'count-too-large', 'u32 max'), set(n, Math.floor((b.length - 12) / 16) + 1, 'count-too-large', 'one more section than the bytes hold'));
      bounds.push({ at: 8, label: 'num_sections' });
      m.sections.forEach((_, i) => bounds.push(...bodyBoundaries(nvsp_1_receive_buffer_section, 12 + 16 * i, `sections[${i}]`)));
      break;
    }
    case 'SEND_INDIRECTION_TABLE': {
      const count = field('nvsp_5_send_indirect_table.count', 4, 4);
      const offset = field('nvsp_5_send_indirect_table.offset', 8, 4);
      out.push(
        ...bumps(count, 'count-too-large'),
        ...bumps(offset),
        set(offset, b.length - 64 + 1, 'offset-past-end', 'the table would end one byte past the message'),
        set(offset, b.length, 'offset-past-end', 'at the end of the message'),
        set(offset, 0xffffffff, 'offset-past-end', 'u32 max'),
        set(offset, 4, 'offset-into-header', 'Linux accepts a table overlapping the message head'),
        set(offset, 0, 'offset-into-header', 'the table over the header'),
      );
      const at = m.table_offset ?? (enc.peer === 'hyperv' ? NVSP_SEND_TABLE_FIXED_OFFSET : m.offset);
      bounds.push({ at: 8, label: 'offset' }, { at: 12, label: 'the gap before the table' }, { at, label: 'table[0]' }, { at: at + 32, label: 'table[8]' }, { at: at + 60, label: 'table[15]' });
      break;
    }
    case 'PD_API_REQUEST':
    case 'PD_API_COMPLETE': {
      const req = m.type === 'PD_API_REQUEST';
      const op = field(`${req ? 'nvsp_6_pd_api_req' : 'nvsp_6_pd_api_comp'}.op`, 4, 4);
      out.push(...bumps(op, 'length-lie'), set(op, 5, 'length-lie', 'CREATE_QUEUE: the largest union member'));
      bounds.push({ at: 4, label: 'op' }, { at: 8, label: req ? 'the union' : 'status' });
      if (!req) bounds.push({ at: 12, label: 'the union' });
      const key = req ? reqMember(m.op) : compMember(m.op);
      if (key) {
        const codec = (req ? NVSP_6_PD_API_REQ_MEMBERS : NVSP_6_PD_API_COMP_MEMBERS)[key as never] as StructCodec<any>;
        bounds.push(...bodyBoundaries(codec, req ? 8 : 12, key));
      }
      break;
    }
    case 'PD_POST_BATCH': {
      const count = field('nvsp_6_pd_batch_msg.count', 4, 2);
      out.push(...bumps(count, 'count-too-large'), set(count, 0xffff, 'count-too-large', 'u16 max'), set(count, Math.floor((b.length - 8) / 8) + 1, 'count-too-large', 'one more descriptor than the bytes hold'));
      bounds.push({ at: 4, label: 'count' }, { at: 6, label: 'flags' });
      m.pd_buf.forEach((_, i) => bounds.push({ at: 8 + 8 * i, label: `pd_buf[${i}]` }, { at: 12 + 8 * i, label: `pd_buf[${i}].region_id` }));
      break;
    }
    case 'UNKNOWN':
      for (let k = 1; k < m.body.length; k += 8) bounds.push({ at: 4 + k, label: `body[${k}]` });
      break;
    default:
      break;
  }
  if (exact < b.length) bounds.push({ at: exact, label: "the peer's padding" });
  out.push(...truncations(b, bounds, () => 'any'));
  if (exact > 0 && exact <= b.length) out.push(truncate(b, exact - 1, 'one byte short of the message', 'any'));
  out.push(extend(b, new Uint8Array([0xa5, 0x5a, 0xa5, 0x5a, 0xa5]), 'any', 'trailing bytes'));
  return judgedBy(out, (x) => nvspSpecVerdict(x, dec));
}

/**
 * Near-valid NVSP payloads: a valid message (any type, `UNKNOWN` included) encoded by a peer, with
 * one thing broken — msg_type or a field off by one, a section/descriptor count too large, a send
 * table count ≠ 16 or offset past the end or into the header, a PD op selecting a bigger member,
 * a truncation at every field boundary, trailing bytes. `expect` comes from
 * {@link nvspSpecVerdict}. Decode with `decodeNvsp(bytes, input.options)`.
 */
export function arbNearValidNvsp(options: NearValidNvspOptions = {}): fc.Arbitrary<NearValidNvsp> {
  const from = options.from !== undefined ? fc.constant(options.from) : fc.constantFrom<NvspSender>('guest', 'host');
  const version =
    options.version !== undefined
      ? fc.constant<number | undefined>(options.version)
      : fc.constantFrom<number | undefined>(undefined, NVSP_PROTOCOL_VERSION_5, NVSP_PROTOCOL_VERSION_6, NVSP_PROTOCOL_VERSION_61);
  const peer = options.peer !== undefined ? fc.constant(options.peer) : fc.constantFrom<NvspPeer>('linux', 'hyperv', 'openvmm', 'exact');
  return fc.tuple(from, version, peer).chain(([f, v, p]) => {
    const dec: NvspDecodeOptions = v === undefined ? { from: f } : { from: f, version: v };
    const enc: NvspEncodeOptions = v === undefined ? { peer: p } : { peer: p, version: v };
    return chooseMutation(arbNvspMessage({ from: f, peer: p, unknown: true, ...(v === undefined ? {} : { version: v }) }), (m) => nvspMutations(m, enc, dec)).map(
      (n): NearValidNvsp => ({ ...n, options: dec }),
    );
  });
}
