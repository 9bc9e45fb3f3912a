/**
 * fast-check arbitraries for RNDIS (floor 3): every message type and completion, the NDIS objects
 * their info buffers carry (RSS capabilities, offload capabilities and parameters, the config
 * parameter that changes the MAC), and per-packet info — valid values that round-trip through
 * their codecs, and near-valid bytes judged by the spec's offset/length rules.
 *
 * @example "Any RNDIS message my driver's parser accepts round-trips", in a few lines
 * ```ts
 * import * as fc from 'fast-check';
 * import { test } from '@fast-check/vitest';
 * import { decodeRndis, encodeRndis, rndisCodec } from 'netvsc-sim';
 * import { arbNearValidRndis, arbRndisMessage, nearValidProperty, roundTripProperty } from 'netvsc-sim/testing';
 *
 * // netvsc-sim's own codec, as a reference:
 * fc.assert(roundTripProperty(rndisCodec, arbRndisMessage()));
 *
 * // Your parser (here decodeRndis stands in for it): whatever it accepts re-encodes to the same bytes.
 * test.prop([arbRndisMessage()])('my parser round-trips every RNDIS message', (m) => {
 *   const bytes = encodeRndis(m);
 *   const again = encodeRndis(decodeRndis(bytes)); // your parse + serialise here
 *   return again.length === bytes.length && again.every((x, i) => x === bytes[i]);
 * });
 *
 * // …and it rejects lying lengths and offsets instead of reading past the message.
 * fc.assert(nearValidProperty(arbNearValidRndis(), (bytes) => decodeRndis(bytes)));
 * ```
 * @module
 */
import * as fc from 'fast-check';
import type { Codec, StructCodec } from '../wire/struct.js';
import { ProtocolError } from '../wire/errors.js';
import {
  ndis_offload,
  ndis_offload_params,
  ndis_recv_scale_cap,
  NDIS_OBJECT_TYPE,
  NDIS_RECEIVE_SCALE_CAPABILITIES_REVISION_2,
  networkAddressParameter,
  rndis_config_parameter_info,
  encodeConfigParameter,
  type NdisOffload,
  type NdisOffloadParams,
  type NdisRecvScaleCap,
  type RndisConfigParameter,
} from '../protocol/ndis.js';
import { OID } from '../protocol/oids.js';
import {
  decodePpiList,
  encodePpiList,
  ppiChecksumReceive,
  ppiChecksumTransmit,
  ppiHashInfo,
  ppiHashValue,
  ppiLsoV2Transmit,
  ppiPktinfoId,
  ppiVlan,
  type PpiElement,
} from '../protocol/ppi.js';
import {
  decodeRndis,
  encodeRndis,
  rndis_halt_request,
  rndis_indicate_status,
  rndis_initialize_complete,
  rndis_initialize_request,
  rndis_keepalive_complete,
  rndis_keepalive_request,
  rndis_packet,
  rndis_query_complete,
  rndis_query_request,
  rndis_reset_complete,
  rndis_reset_request,
  rndis_set_complete,
  rndis_set_request,
  rndisEncodingLength,
  rndisInitComplete,
  rndisInitRequest,
  rndisPacket,
  rndisQueryComplete,
  RNDIS_MSG,
  RNDIS_STATUS,
  type RndisDecodeOptions,
  type RndisMessage,
  type RndisMessageType,
} from '../protocol/rndis.js';
import {
  rndisConfigParameterSetRequest,
  rndisLinkSpeedIndication,
  rndisMediaConnectIndication,
  rndisOffloadCapabilitiesQuery,
  rndisOffloadParametersSetRequest,
  rndisPacketFilterSetRequest,
  rndisRssCapabilitiesQuery,
  rndisRssSetRequest,
  rndisSetMacAddressRequest,
} from '../protocol/rndis-builders.js';
import { structArbitrary } from './arbitraries.js';
import {
  arbBytes,
  arbPlacement,
  arbU16,
  arbU32,
  arbU8,
  chooseMutation,
  extend,
  judgedBy,
  offByOne,
  readField,
  regionsFollowRules,
  setField,
  truncate,
  truncations,
  wf,
  type MutationCandidate,
  type NearValid,
  type SpecVerdict,
  type WireField,
} from './arb-common.js';
import { arbRssParameters } from './arb-rss.js';

// ---------------------------------------------------------------------------------------------
// Message shapes (one table for the arbitraries and the spec verdict)

type KnownType = Exclude<RndisMessageType, 'UNKNOWN'>;

/** The fixed body struct and the (offset field, length field) regions of each known type. */
interface Shape {
  readonly struct: StructCodec<any>;
  readonly regions: readonly (readonly [offsetField: string, lengthField: string])[];
}

const INFO = [['info_buf_offset', 'info_buflen']] as const;
const SHAPES: Readonly<Record<KnownType, Shape>> = {
  PACKET: {
    struct: rndis_packet,
    regions: [
      ['data_offset', 'data_len'],
      ['oob_data_offset', 'oob_data_len'],
      ['per_pkt_info_offset', 'per_pkt_info_len'],
    ],
  },
  INIT: { struct: rndis_initialize_request, regions: [] },
  INIT_C: { struct: rndis_initialize_complete, regions: [] },
  HALT: { struct: rndis_halt_request, regions: [] },
  QUERY: { struct: rndis_query_request, regions: INFO },
  QUERY_C: { struct: rndis_query_complete, regions: INFO },
  SET: { struct: rndis_set_request, regions: INFO },
  SET_C: { struct: rndis_set_complete, regions: [] },
  RESET: { struct: rndis_reset_request, regions: [] },
  RESET_C: { struct: rndis_reset_complete, regions: [] },
  INDICATE: { struct: rndis_indicate_status, regions: [['status_buf_offset', 'status_buflen']] },
  KEEPALIVE: { struct: rndis_keepalive_request, regions: [] },
  KEEPALIVE_C: { struct: rndis_keepalive_complete, regions: [] },
  SET_EX: { struct: rndis_set_request, regions: INFO },
  SET_EX_C: { struct: rndis_query_complete, regions: INFO },
};

const TYPE_OF_CODE: ReadonlyMap<number, KnownType> = new Map((Object.entries(RNDIS_MSG) as [KnownType, number][]).map(([k, v]) => [v, k]));

function rd32(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}

/**
 * What the RNDIS rules say about the message at the start of `b` (shared/spec/nvsp-rndis-netvsc.md
 * §3.2–3.4, as `rndis.ts` restates them): 8 header bytes; 8 ≤ `msg_len` ≤ the bytes present; a
 * known type's body at least its fixed struct; every non-empty buffer after the fixed struct,
 * inside the body (or, with `bound: 'buffer'`, inside the bytes present) and not overlapping
 * another. Unknown types are accepted. Written independently of the decoder.
 */
export function rndisSpecVerdict(b: Uint8Array, options: RndisDecodeOptions = {}): SpecVerdict {
  if (b.length < 8) return { verdict: 'reject', rule: 'shorter than the 8-byte RNDIS header' };
  const msgLen = rd32(b, 4);
  if (msgLen < 8) return { verdict: 'reject', rule: `msg_len ${msgLen} is below the header` };
  if (msgLen > b.length) return { verdict: 'reject', rule: `msg_len ${msgLen} is past the ${b.length} bytes present` };
  const type = TYPE_OF_CODE.get(rd32(b, 0));
  if (type === undefined) return { verdict: 'accept' };
  const shape = SHAPES[type];
  const body = msgLen - 8;
  const fixed = shape.struct.size;
  if (body < fixed) return { verdict: 'reject', rule: `msg_len ${msgLen} cannot hold the ${fixed}-byte ${shape.struct.name}` };
  const limit = options.bound === 'buffer' ? b.length - 8 : body;
  const regions = shape.regions.map(([o, l]) => ({
    offset: rd32(b, 8 + shape.struct.offsetOf(o)),
    length: rd32(b, 8 + shape.struct.offsetOf(l)),
  }));
  return regionsFollowRules(fixed, limit, regions)
    ? { verdict: 'accept' }
    : { verdict: 'reject', rule: `a ${shape.regions.map((r) => r[1]).join('/')} buffer outside the body, over the fixed fields or overlapping` };
}

// ---------------------------------------------------------------------------------------------
// Per-packet info

/** Options of {@link arbPpiList}. */
export interface PpiArbOptions {
  /** Most elements (default 4). */
  maxLength?: number;
}

const bool = fc.boolean();

/**
 * One PPI element `ppiList` accepts: a typed value as Linux or a host writes it (hash, hash info,
 * VLAN, checksum both ways, LSOv2, the internal packet id) or any type with a 1..16-byte value at
 * `ppi_offset` 12..24.
 */
export const arbPpiElement: fc.Arbitrary<PpiElement> = fc.oneof(
  arbU32.map(ppiHashValue),
  arbU32.map(ppiHashInfo),
  fc.record({ pri: fc.integer({ min: 0, max: 7 }), cfi: fc.integer({ min: 0, max: 1 }), vlanid: fc.integer({ min: 0, max: 4095 }) }).map(ppiVlan),
  fc
    .record({
      is_ipv4: bool,
      is_ipv6: bool,
      tcp_checksum: bool,
      udp_checksum: bool,
      ip_header_checksum: bool,
      reserved: fc.integer({ min: 0, max: 0x7ff }),
      tcp_header_offset: fc.integer({ min: 0, max: 1023 }),
    })
    .map(ppiChecksumTransmit),
  fc
    .record({
      tcp_checksum_failed: bool,
      udp_checksum_failed: bool,
      ip_checksum_failed: bool,
      tcp_checksum_succeeded: bool,
      udp_checksum_succeeded: bool,
      ip_checksum_succeeded: bool,
      loopback: bool,
      tcp_checksum_value_invalid: bool,
      ip_checksum_value_invalid: bool,
    })
    .map(ppiChecksumReceive),
  fc
    .record({ mss: fc.integer({ min: 0, max: 0xfffff }), tcp_header_offset: fc.integer({ min: 0, max: 1023 }), type: fc.constantFrom(0, 1), ip_version: fc.constantFrom(0, 1) })
    .map(ppiLsoV2Transmit),
  fc.record({ ver: arbU8, flag: arbU8, pkt_id: arbU16 }).map(ppiPktinfoId),
  fc.record({
    type: fc.integer({ min: 0, max: 0x7fffffff }),
    internal: bool,
    ppi_offset: fc.integer({ min: 12, max: 24 }),
    data: arbBytes(16, 1),
  }),
);

/** A PPI block's elements (`encodePpiList` / `decodePpiList`). */
export function arbPpiList(options: PpiArbOptions = {}): fc.Arbitrary<PpiElement[]> {
  return fc.array(arbPpiElement, { maxLength: options.maxLength ?? 4 });
}

/**
 * PPI lists as they travel: the per-packet info of an RNDIS PACKET (whose `per_pkt_info_len`
 * frames the block — a PPI block has no length of its own). A {@link Codec} over PPI lists, for
 * round-trip properties.
 */
export const ppiInPacketCodec: Codec<PpiElement[]> = {
  name: 'rndis_per_packet_info (in an RNDIS PACKET)',
  encodingLength: (list) => rndisEncodingLength(rndisPacket(new Uint8Array(0), encodePpiList(list))),
  encode: (list, buf, offset) => encodeRndis(rndisPacket(new Uint8Array(0), encodePpiList(list)), buf, offset),
  decode(buf, offset = 0) {
    const m = decodeRndis(buf, offset);
    if (m.type !== 'PACKET') throw new ProtocolError('BAD_VALUE', 'is not a PACKET', { struct: 'rndis_message', field: 'ndis_msg_type', value: m.type, offset });
    return decodePpiList(m.per_pkt_info);
  },
};

/**
 * What the PPI rules say about a whole block (shared/spec/nvsp-rndis-netvsc.md §3.12, as
 * `ppi.ts` restates them): tiled exactly by elements, each with a whole 12-byte header,
 * 12 ≤ `size` ≤ the rest of the block, 12 ≤ `ppi_offset` < `size`. Written independently.
 */
export function ppiSpecVerdict(block: Uint8Array): SpecVerdict {
  let p = 0;
  while (p < block.length) {
    const rest = block.length - p;
    if (rest < 12) return { verdict: 'reject', rule: `${rest} trailing bytes are not a 12-byte element header` };
    const size = rd32(block, p);
    const off = rd32(block, p + 8);
    if (size < 12 || size > rest) return { verdict: 'reject', rule: `element at ${p}: size ${size} outside 12..${rest}` };
    if (off < 12 || off >= size) return { verdict: 'reject', rule: `element at ${p}: ppi_offset ${off} outside 12..${size - 1}` };
    p += size;
  }
  return { verdict: 'accept' };
}

function ppiMutations(list: PpiElement[]): MutationCandidate[] {
  const b = encodePpiList(list);
  const out: MutationCandidate[] = [];
  const bounds: { at: number; label: string }[] = [];
  let p = 0;
  list.forEach((e, i) => {
    const size = e.ppi_offset + e.data.length;
    const fSize = wf(`rndis_per_packet_info[${i}].size`, p, 4);
    const fType = wf(`rndis_per_packet_info[${i}].type`, p + 4, 4);
    const fOff = wf(`rndis_per_packet_info[${i}].ppi_offset`, p + 8, 4);
    out.push(
      ...offByOne(b, fSize, () => 'any', 'length-lie'),
      setField(b, fSize, 11, 'length-lie', 'any', 'smaller than the header'),
      setField(b, fSize, 0, 'length-lie', 'any', 'Linux would loop forever'),
      setField(b, fSize, b.length - p + 1, 'length-lie', 'any', 'one byte past the block'),
      setField(b, fSize, 0xffffffff, 'length-lie', 'any', 'u32 max'),
      ...offByOne(b, fOff, () => 'any'),
      setField(b, fOff, 11, 'offset-into-header', 'any', 'over the element header'),
      setField(b, fOff, 0, 'offset-into-header', 'any', 'over the element header'),
      setField(b, fOff, size, 'offset-past-end', 'any', 'an empty value: Linux would loop forever'),
      setField(b, fOff, 0xffffffff, 'offset-past-end', 'any', 'u32 max'),
      ...offByOne(b, fType, () => 'any'),
    );
    bounds.push(
      { at: p, label: `element ${i}` },
      { at: p + 4, label: `element ${i} type` },
      { at: p + 8, label: `element ${i} ppi_offset` },
      { at: p + 12, label: `element ${i} after the header` },
      { at: p + e.ppi_offset, label: `element ${i} value` },
      { at: p + size - 1, label: `element ${i} last value byte` },
    );
    p += size;
  });
  out.push(...truncations(b, bounds, () => 'any'));
  out.push(
    extend(b, new Uint8Array(5), 'any', 'not a whole element header'),
    extend(b, new Uint8Array(12), 'any', 'an element of size 0'),
    extend(b, new Uint8Array([16, 0, 0, 0, 8, 0, 0, 0, 12, 0, 0, 0, 1, 2, 3, 4]), 'any', 'one more well-formed element'),
  );
  return judgedBy(out, ppiSpecVerdict);
}

/**
 * Near-valid PPI blocks: element sizes off by one, below the header, past the block; value
 * offsets into the header or at/after the element's end; truncations at every element and header
 * boundary; trailing partial or empty elements. `expect` comes from {@link ppiSpecVerdict}.
 * Decode with `decodePpiList(bytes)` (the block is all of `bytes`).
 */
export function arbNearValidPpiList(options: PpiArbOptions = {}): fc.Arbitrary<NearValid> {
  return chooseMutation(fc.array(arbPpiElement, { minLength: 1, maxLength: options.maxLength ?? 4 }), ppiMutations);
}

// ---------------------------------------------------------------------------------------------
// NDIS objects

/** RSS capabilities as a host answers them: header {0x88, 2, 18} mostly, any fields. */
export const arbRssCapabilities: fc.Arbitrary<NdisRecvScaleCap> = structArbitrary(ndis_recv_scale_cap, {
  hdr: fc.oneof(
    fc.constant({ type: NDIS_OBJECT_TYPE.RSS_CAPABILITIES, rev: NDIS_RECEIVE_SCALE_CAPABILITIES_REVISION_2, size: ndis_recv_scale_cap.size }),
    fc.record({ type: arbU8, rev: arbU8, size: arbU16 }),
  ),
  num_recv_que: fc.oneof(fc.integer({ min: 1, max: 64 }), arbU32),
});

/** Any offload capabilities object (`ndis_offload`, 156 bytes). */
export const arbNdisOffload: fc.Arbitrary<NdisOffload> = structArbitrary(ndis_offload);

/** Any offload parameters object (`ndis_offload_params`, 28 bytes). */
export const arbNdisOffloadParams: fc.Arbitrary<NdisOffloadParams> = structArbitrary(ndis_offload_params);

/**
 * Config parameter objects `rndisConfigParameter` round-trips: Linux's "NetworkAddress" one, or
 * any UTF-16 name (any code units), type and value, placed anywhere after the 20-byte header.
 */
export const arbConfigParameter: fc.Arbitrary<RndisConfigParameter> = fc.oneof(
  arbBytes(6, 6).map((mac) => networkAddressParameter(mac)),
  fc
    .record({
      name: fc.array(arbU16, { maxLength: 20 }).map((units) => String.fromCharCode(...units)),
      parameter_type: fc.oneof(fc.constantFrom(0, 2), arbU32),
      value: arbBytes(32),
    })
    .chain((v) =>
      arbPlacement(rndis_config_parameter_info.size, [2 * v.name.length, v.value.length]).map(
        ([nameOff, valueOff]): RndisConfigParameter => ({ ...v, parameter_name_offset: nameOff!, parameter_value_offset: valueOff! }),
      ),
    ),
);

/**
 * What the rules say about a config parameter object occupying all of `b` (§3.15, restated on
 * `decodeConfigParameter`): the 20-byte header, an even name length, name and value after the
 * header, inside the object and not overlapping.
 */
export function configParameterSpecVerdict(b: Uint8Array): SpecVerdict {
  if (b.length < 20) return { verdict: 'reject', rule: 'shorter than the 20-byte rndis_config_parameter_info' };
  const nameLen = rd32(b, 4);
  if (nameLen % 2 !== 0) return { verdict: 'reject', rule: `parameter_name_length ${nameLen} is odd (UTF-16)` };
  return regionsFollowRules(20, b.length, [
    { offset: rd32(b, 0), length: nameLen },
    { offset: rd32(b, 12), length: rd32(b, 16) },
  ])
    ? { verdict: 'accept' }
    : { verdict: 'reject', rule: 'name or value outside the object, over the header, or overlapping' };
}

function configMutations(v: RndisConfigParameter): MutationCandidate[] {
  const b = encodeConfigParameter(v);
  const F = (name: string, at: number): WireField => wf(`rndis_config_parameter_info.${name}`, at, 4);
  const nameOff = F('parameter_name_offset', 0);
  const nameLen = F('parameter_name_length', 4);
  const valueOff = F('parameter_value_offset', 12);
  const valueLen = F('parameter_value_length', 16);
  const out: MutationCandidate[] = [
    ...offByOne(b, nameLen, () => 'any', 'length-lie'),
    ...offByOne(b, valueLen, () => 'any', 'length-lie'),
    ...offByOne(b, nameOff, () => 'any'),
    ...offByOne(b, valueOff, () => 'any'),
    ...offByOne(b, F('parameter_type', 8), () => 'any'),
    setField(b, nameOff, 19, 'offset-into-header', 'any', 'over the header'),
    setField(b, valueOff, 0, 'offset-into-header', 'any', 'over the header'),
    setField(b, valueOff, b.length - readField(b, valueLen) + 1, 'offset-past-end', 'any', 'ends one byte past the object'),
    setField(b, nameLen, 0xfffffffe, 'length-lie', 'any', 'even but huge'),
    setField(b, valueLen, 0xffffffff, 'length-lie', 'any', 'u32 max'),
  ];
  const bounds = rndis_config_parameter_info.layout.fields.map((f) => ({ at: f.offset, label: f.name }));
  bounds.push({ at: 20, label: 'the variable part' }, { at: b.length - 1, label: 'the last byte' });
  out.push(...truncations(b, bounds, () => 'any'), extend(b, new Uint8Array(3), 'any', 'trailing bytes'));
  return judgedBy(out, configParameterSpecVerdict);
}

/**
 * Near-valid config parameter objects (the info buffer of a SET of OID_GEN_RNDIS_CONFIG_PARAMETER):
 * odd or lying name/value lengths, offsets into the header or past the end, truncations.
 * Decode with `decodeConfigParameter(bytes)`.
 */
export function arbNearValidConfigParameter(): fc.Arbitrary<NearValid> {
  return chooseMutation(arbConfigParameter, configMutations);
}

// ---------------------------------------------------------------------------------------------
// Valid messages

/** Options of {@link arbRndisMessage}. */
export interface RndisArbOptions {
  /** Restrict to these types (default: all, `UNKNOWN` included). */
  types?: readonly RndisMessageType[];
  /** Longest variable buffer (default 64). */
  maxData?: number;
  /**
   * `'linux'`: messages as Linux and a host build them (builders: INIT, queries with pre-filled
   * objects, the RSS/offload/MAC/filter SETs, data packets with PPI, indications); `'any'`: every
   * field free, buffers placed anywhere legal, `msg_len` padded or not. Default: both.
   */
  shape?: 'linux' | 'any';
}

const knownCodes = new Set<number>(Object.values(RNDIS_MSG));

/** An OID: one netvsc-sim knows (`OID`), or any u32. */
export const arbOid: fc.Arbitrary<number> = fc.oneof(fc.constantFrom(...Object.values(OID)), arbU32);
/** msg_len: exactly the content, or padded by 1..16 bytes. */
const extra = fc.option(fc.integer({ min: 1, max: 16 }), { nil: undefined });

function withPad(arb: fc.Arbitrary<RndisMessage>): fc.Arbitrary<RndisMessage> {
  return fc.tuple(arb, extra).map(([m, e]) => (e === undefined || m.type === 'UNKNOWN' ? m : { ...m, msg_len: rndisEncodingLength(m) + e }));
}

function freeShapes(maxData: number): Partial<Record<RndisMessageType, fc.Arbitrary<RndisMessage>>> {
  const data = (max: number) => arbBytes(max);
  const infoMsg = (type: 'QUERY' | 'SET' | 'SET_EX') =>
    data(maxData).chain((buf) =>
      fc.record({ req_id: arbU32, oid: arbOid, at: arbPlacement(20, [buf.length]), dev_vc_handle: arbU32 }).map(
        (r): RndisMessage => ({ type, req_id: r.req_id, oid: r.oid, info_buf_offset: r.at[0]!, info_buf: buf, dev_vc_handle: r.dev_vc_handle }),
      ),
    );
  const infoComplete = (type: 'QUERY_C' | 'SET_EX_C') =>
    data(maxData).chain((buf) =>
      fc.record({ req_id: arbU32, status: arbU32, at: arbPlacement(16, [buf.length]) }).map(
        (r): RndisMessage => ({ type, req_id: r.req_id, status: r.status, info_buf_offset: r.at[0]!, info_buf: buf }),
      ),
    );
  const packet = fc
    .tuple(data(maxData), data(16), data(40))
    .chain(([d, o, i]) => fc.tuple(fc.constant([d, o, i] as const), arbPlacement(36, [d.length, o.length, i.length]), arbU32, arbU32))
    .map(
      ([[d, o, i], [dOff, oOff, iOff], nOob, vc]): RndisMessage => ({
        type: 'PACKET',
        data_offset: dOff!,
        data: d,
        oob_data_offset: oOff!,
        oob_data: o,
        num_oob_data_elements: nOob,
        per_pkt_info_offset: iOff!,
        per_pkt_info: i,
        vc_handle: vc,
      }),
    );
  const u32s = <K extends string>(type: RndisMessageType, keys: readonly K[]) =>
    fc.record(Object.fromEntries(keys.map((k) => [k, arbU32])) as Record<K, fc.Arbitrary<number>>).map((v) => ({ type, ...v }) as unknown as RndisMessage);
  return {
    PACKET: withPad(packet),
    INIT: withPad(u32s('INIT', ['req_id', 'major_ver', 'minor_ver', 'max_xfer_size'])),
    INIT_C: withPad(u32s('INIT_C', rndis_initialize_complete.layout.fields.map((f) => f.name))),
    HALT: withPad(u32s('HALT', ['req_id'])),
    QUERY: withPad(infoMsg('QUERY')),
    QUERY_C: withPad(infoComplete('QUERY_C')),
    SET: withPad(infoMsg('SET')),
    SET_C: withPad(u32s('SET_C', ['req_id', 'status'])),
    RESET: withPad(fc.constant<RndisMessage>({ type: 'RESET' })),
    RESET_C: withPad(u32s('RESET_C', ['status', 'addressing_reset'])),
    INDICATE: withPad(
      data(maxData).chain((buf) =>
        fc.record({ status: fc.oneof(fc.constantFrom(...Object.values(RNDIS_STATUS)), arbU32), at: arbPlacement(12, [buf.length]) }).map(
          (r): RndisMessage => ({ type: 'INDICATE', status: r.status, status_buf_offset: r.at[0]!, status_buf: buf }),
        ),
      ),
    ),
    KEEPALIVE: withPad(u32s('KEEPALIVE', ['req_id'])),
    KEEPALIVE_C: withPad(u32s('KEEPALIVE_C', ['req_id', 'status'])),
    SET_EX: withPad(infoMsg('SET_EX')),
    SET_EX_C: withPad(infoComplete('SET_EX_C')),
    UNKNOWN: fc
      .record({ ndis_msg_type: fc.oneof(fc.constant(0xff000001), arbU32.filter((c) => !knownCodes.has(c))), body: data(maxData) })
      .map((r): RndisMessage => ({ type: 'UNKNOWN', ...r })),
  };
}

function linuxShapes(maxData: number): Partial<Record<RndisMessageType, fc.Arbitrary<RndisMessage>>> {
  const frame = arbBytes(maxData);
  return {
    PACKET: fc.tuple(frame, arbPpiList()).map(([f, ppis]) => rndisPacket(f, encodePpiList(ppis))),
    INIT: fc.tuple(arbU32, fc.oneof(fc.constant(0x4000), arbU32)).map(([id, x]) => rndisInitRequest(id, x)),
    INIT_C: fc
      .record({ req_id: arbU32, status: fc.oneof(fc.constant(0), arbU32), max_pkt_per_msg: fc.integer({ min: 1, max: 64 }), pkt_alignment_factor: fc.integer({ min: 0, max: 7 }) })
      .map(({ req_id, ...rest }) => rndisInitComplete(req_id, rest)),
    QUERY: fc.oneof(
      arbU32.map(rndisRssCapabilitiesQuery),
      fc.tuple(arbU32, fc.constantFrom<1 | 2 | 3>(1, 2, 3)).map(([id, rev]) => rndisOffloadCapabilitiesQuery(id, rev)),
    ),
    QUERY_C: fc.oneof(
      fc.tuple(arbU32, arbRssCapabilities).map(([id, caps]) => rndisQueryComplete(id, RNDIS_STATUS.SUCCESS, ndis_recv_scale_cap.encode(caps))),
      fc.tuple(arbU32, arbNdisOffload).map(([id, o]) => rndisQueryComplete(id, RNDIS_STATUS.SUCCESS, ndis_offload.encode(o))),
      fc.tuple(arbU32, arbBytes(6, 6)).map(([id, mac]) => rndisQueryComplete(id, RNDIS_STATUS.SUCCESS, mac)),
    ),
    SET: fc.oneof(
      fc.tuple(arbU32, arbRssParameters({ layout: 'linux', maxEntries: 128 })).map(([id, p]) => rndisRssSetRequest(id, p)),
      fc.tuple(arbU32, arbBytes(6, 6)).map(([id, mac]) => rndisSetMacAddressRequest(id, mac)),
      fc.tuple(arbU32, arbConfigParameter).map(([id, p]) => rndisConfigParameterSetRequest(id, p)),
      fc.tuple(arbU32, arbNdisOffloadParams, fc.constantFrom<28 | 22>(28, 22)).map(([id, p, n]) => rndisOffloadParametersSetRequest(id, p, n)),
      fc.tuple(arbU32, fc.oneof(fc.constantFrom(0, 0x0d, 0x20), arbU32)).map(([id, f]) => rndisPacketFilterSetRequest(id, f)),
    ),
    INDICATE: fc.oneof(arbU32.map(rndisLinkSpeedIndication), fc.constant(null).map(rndisMediaConnectIndication)),
  };
}

/**
 * Any RNDIS message `encodeRndis` encodes and `decodeRndis` decodes back to the same value (so it
 * round-trips through `rndisCodec`): every type and completion plus `UNKNOWN`, as Linux and hosts
 * build them and with every field and buffer placement the rules allow.
 */
export function arbRndisMessage(options: RndisArbOptions = {}): fc.Arbitrary<RndisMessage> {
  const maxData = options.maxData ?? 64;
  const pools: Partial<Record<RndisMessageType, fc.Arbitrary<RndisMessage>>>[] =
    options.shape === 'linux' ? [linuxShapes(maxData)] : options.shape === 'any' ? [freeShapes(maxData)] : [freeShapes(maxData), linuxShapes(maxData)];
  const types = options.types ?? ([...Object.keys(RNDIS_MSG), 'UNKNOWN'] as RndisMessageType[]);
  const arbs = pools.flatMap((pool) => types.flatMap((t) => (pool[t] ? [pool[t]!] : [])));
  if (arbs.length === 0) throw new Error('netvsc-sim/testing: arbRndisMessage has no shape for these options');
  return fc.oneof(...arbs);
}

// ---------------------------------------------------------------------------------------------
// Near-valid messages

function rndisMutations(m: RndisMessage): MutationCandidate[] {
  const b = encodeRndis(m);
  const msgLen = b.length;
  const body = msgLen - 8;
  const typeF = wf('rndis_message.ndis_msg_type', 0, 4);
  const lenF = wf('rndis_message.msg_len', 4, 4);
  const out: MutationCandidate[] = [
    ...offByOne(b, typeF, () => 'any', 'bad-value'),
    ...offByOne(b, lenF, () => 'any', 'length-lie'),
    setField(b, lenF, msgLen + 1, 'length-lie', 'any', 'one byte past the bytes present'),
    setField(b, lenF, 7, 'length-lie', 'any', 'below the header'),
    setField(b, lenF, 0, 'length-lie', 'any', 'zero'),
    setField(b, lenF, 0xffffffff, 'length-lie', 'any', 'u32 max'),
  ];
  const bounds: { at: number; label: string }[] = [
    { at: 0, label: 'ndis_msg_type' },
    { at: 4, label: 'msg_len' },
    { at: 8, label: 'the body' },
    { at: msgLen - 1, label: 'the last byte' },
  ];
  if (m.type !== 'UNKNOWN') {
    const shape = SHAPES[m.type];
    const fixed = shape.struct.size;
    out.push(setField(b, lenF, 8 + fixed - 1, 'length-lie', 'any', `one byte short of the ${fixed}-byte ${shape.struct.name}`));
    for (const f of shape.struct.layout.fields) {
      bounds.push({ at: 8 + f.offset, label: `${shape.struct.name}.${f.name}` });
      if (f.size === 4) out.push(...offByOne(b, wf(`${shape.struct.name}.${f.name}`, 8 + f.offset, 4), () => 'any'));
    }
    for (const [o, l] of shape.regions) {
      const offF = wf(`${shape.struct.name}.${o}`, 8 + shape.struct.offsetOf(o), 4);
      const lenRF = wf(`${shape.struct.name}.${l}`, 8 + shape.struct.offsetOf(l), 4);
      const off = readField(b, offF);
      const len = readField(b, lenRF);
      out.push(
        setField(b, offF, fixed - 1, 'offset-into-header', 'any', `over the last fixed field`),
        setField(b, offF, 0, 'offset-into-header', 'any', 'over the start of the body'),
        setField(b, offF, body - len + 1, 'offset-past-end', 'any', 'the buffer ends one byte past msg_len'),
        setField(b, offF, body, 'offset-past-end', 'any', 'at msg_len'),
        setField(b, offF, 0xffffffff, 'offset-past-end', 'any', 'u32 max'),
        ...offByOne(b, lenRF, () => 'any', 'length-lie'),
        setField(b, lenRF, body - off + 1, 'length-lie', 'any', 'one byte past msg_len'),
        setField(b, lenRF, 0xffffffff, 'length-lie', 'any', 'u32 max: must not wrap'),
      );
      if (len > 0 && off < body) bounds.push({ at: 8 + off, label: `the ${l} buffer` }, { at: Math.min(8 + off + len - 1, msgLen - 1), label: `the last ${l} byte` });
    }
  }
  out.push(...truncations(b, bounds, () => 'any'));
  out.push(truncate(b, msgLen - 1, 'one byte short of msg_len', 'any'));
  out.push(extend(b, new Uint8Array([0xee, 0xee, 0xee]), 'any', 'bytes after msg_len are not part of the message'));
  return judgedBy(out, (bytes) => rndisSpecVerdict(bytes));
}

/**
 * Near-valid RNDIS messages: a valid message with one thing broken — `msg_len` off by one, past
 * the bytes, below the header or the fixed struct; a buffer offset into the fixed fields or past
 * the end; a buffer length off by one, one past `msg_len` or u32 max; the type off by one; a
 * truncation at every field and buffer boundary; trailing bytes. `expect` comes from
 * {@link rndisSpecVerdict}. Decode with `decodeRndis(bytes)`.
 */
export function arbNearValidRndis(options: RndisArbOptions = {}): fc.Arbitrary<NearValid> {
  return chooseMutation(arbRndisMessage(options), rndisMutations);
}
