/**
 * fast-check arbitraries for RSS (floor 4, and the RSS objects of floor 3): flows as a host hashes
 * them, Toeplitz keys, hash-information words, indirection and send tables, the RSS parameters
 * object and the whole RSS SET message — valid values, and near-valid bytes / flows.
 *
 * @example RSS parameters round-trip; every flow hashes the same from text and from bytes
 * ```ts
 * import * as fc from 'fast-check';
 * import { test } from '@fast-check/vitest';
 * import { ndisRssParameters, netvscDefaultToeplitzKey, rssHashFlow } from 'netvsc-sim';
 * import { arbFlowWithBytes, arbRssParameters, roundTripProperty } from 'netvsc-sim/testing';
 *
 * fc.assert(roundTripProperty(ndisRssParameters, arbRssParameters({ queues: 8 })));
 *
 * // Your own hash must agree with the host's for every flow (replace the right-hand side).
 * test.prop([arbFlowWithBytes()])('flows hash alike', ({ flow, src, dst }) => {
 *   const key = netvscDefaultToeplitzKey();
 *   const byText = rssHashFlow(key, flow);
 *   return JSON.stringify(byText) === JSON.stringify(rssHashFlow(key, { ...flow, src, dst }));
 * });
 * ```
 * @module
 */
import * as fc from 'fast-check';
import {
  encodeRssParameters,
  NDIS_HASH,
  NDIS_LINUX_RSS_HASHINFO,
  ndis_recv_scale_param,
  rssParameters,
  type NdisRssParameters,
  type RndisRssSetRequest,
} from '../protocol/ndis.js';
import { OID } from '../protocol/oids.js';
import { encodeRndis, rndisSetRequest } from '../protocol/rndis.js';
import { VRSS_SEND_TAB_SIZE } from '../protocol/nvsp.js';
import { NETVSC_HASH_KEYLEN, netvscHashKey } from '../rss/keys.js';
import type { Flow, FlowProto } from '../rss/hash-input.js';
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
  truncations,
  wf,
  type MutationCandidate,
  type MutationKind,
  type NearValid,
  type SpecVerdict,
} from './arb-common.js';

// ---------------------------------------------------------------------------------------------
// Addresses and flows

/** An IP address in one of its text forms, with the network-order bytes it stands for. */
export interface IpAddressCase {
  /** The address as text: dotted decimal for IPv4; for IPv6 any RFC 4291 §2.2 form (`::`, either case, optional leading zeros, dotted IPv4 tail). */
  text: string;
  /** The address in network byte order: 4 bytes (IPv4) or 16 (IPv6). */
  bytes: Uint8Array;
}

const hexGroup = (g: number, upper: boolean, pad: boolean): string => {
  const s = g.toString(16);
  const t = pad ? s.padStart(4, '0') : s;
  return upper ? t.toUpperCase() : t;
};

/** IPv4 text (dotted decimal, no leading zeros) with its 4 bytes. */
export const arbIpv4Address: fc.Arbitrary<IpAddressCase> = fc
  .tuple(arbU8, arbU8, arbU8, arbU8)
  .map((b) => ({ text: b.join('.'), bytes: Uint8Array.from(b) }));

/**
 * IPv6 text with its 16 bytes, in every RFC 4291 §2.2 form: eight full groups, `::` standing for
 * any run of zero groups, upper- or lower-case, with or without leading zeros, and a dotted IPv4
 * tail.
 */
export const arbIpv6Address: fc.Arbitrary<IpAddressCase> = fc
  .record({
    groups: fc.array(fc.oneof(fc.constant(0), arbU16), { minLength: 8, maxLength: 8 }),
    style: fc.constantFrom('full', 'compressed', 'v4-tail'),
    pick: fc.nat(),
    span: fc.nat(),
    upper: fc.boolean(),
    pad: fc.boolean(),
  })
  .map(({ groups, style, pick, span, upper, pad }) => {
    const bytes = new Uint8Array(16);
    groups.forEach((g, i) => {
      bytes[2 * i] = g >>> 8;
      bytes[2 * i + 1] = g & 0xff;
    });
    const v4Tail = style === 'v4-tail';
    const hexCount = v4Tail ? 6 : 8;
    const hex = groups.slice(0, hexCount).map((g) => hexGroup(g, upper, pad));
    const tail = v4Tail ? [`${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`] : [];
    const zeros = groups.slice(0, hexCount).flatMap((g, i) => (g === 0 ? [i] : []));
    if (style === 'full' || zeros.length === 0) {
      return { text: [...hex, ...tail].join(':'), bytes };
    }
    // Compress a run of zero groups starting at a chosen zero group.
    const start = zeros[pick % zeros.length]!;
    let end = start + 1;
    while (end < hexCount && groups[end] === 0 && span-- > 0) end++;
    const head = hex.slice(0, start).join(':');
    const rest = [...hex.slice(end), ...tail].join(':');
    return { text: `${head}::${rest}`, bytes };
  });

/** Options of {@link arbIpAddress} and {@link arbFlow}. */
export interface AddressArbOptions {
  /** 4 or 6 (default: either). */
  family?: 4 | 6;
}

/** An IPv4 or IPv6 address case. */
export function arbIpAddress(options: AddressArbOptions = {}): fc.Arbitrary<IpAddressCase> {
  return options.family === 4 ? arbIpv4Address : options.family === 6 ? arbIpv6Address : fc.oneof(arbIpv4Address, arbIpv6Address);
}

/** Options of {@link arbFlow}. */
export interface FlowArbOptions extends AddressArbOptions {
  /** Transport: `'tcp'`, `'udp'`, `'other'` (any protocol number but 6 and 17), or any (default). */
  proto?: 'tcp' | 'udp' | 'other';
  /** Addresses as text, as bytes, or either (default). */
  form?: 'text' | 'bytes';
  /** Whether the packet is an IP fragment (default: either). */
  fragment?: boolean;
}

/** A flow together with the network-order bytes of its addresses (whatever form the flow uses). */
export interface FlowWithBytes {
  /** The flow, its addresses as text or as bytes. */
  flow: Flow;
  /** The source address in network byte order (4 or 16 bytes), whatever form `flow.src` has. */
  src: Uint8Array;
  /** The destination address in network byte order, same family as `src`. */
  dst: Uint8Array;
}

const arbPort = fc.oneof(fc.constantFrom(0, 22, 80, 443, 0xffff), arbU16);

/**
 * Flows `rssHashFlow` hashes without error under any hash information: both addresses of one
 * family, ports on every TCP/UDP flow (named or numbered), optional ports on other protocols,
 * fragments or not — with the bytes each address stands for.
 */
export function arbFlowWithBytes(options: FlowArbOptions = {}): fc.Arbitrary<FlowWithBytes> {
  const family = options.family !== undefined ? fc.constant(options.family) : fc.constantFrom<4 | 6>(4, 6);
  const l4: fc.Arbitrary<FlowProto> = fc.constantFrom<FlowProto>('tcp', 'udp', 6, 17);
  const other: fc.Arbitrary<FlowProto> = fc.integer({ min: 0, max: 255 }).filter((p) => p !== 6 && p !== 17);
  const proto =
    options.proto === 'tcp'
      ? fc.constantFrom<FlowProto>('tcp', 6)
      : options.proto === 'udp'
        ? fc.constantFrom<FlowProto>('udp', 17)
        : options.proto === 'other'
          ? other
          : fc.oneof(l4, other);
  return family.chain((fam) =>
    fc
      .record({
        src: arbIpAddress({ family: fam }),
        dst: arbIpAddress({ family: fam }),
        proto,
        sport: arbPort,
        dport: arbPort,
        withPorts: fc.boolean(),
        fragment: options.fragment !== undefined ? fc.constant(options.fragment) : fc.boolean(),
        asText: options.form === 'text' ? fc.constant(true) : options.form === 'bytes' ? fc.constant(false) : fc.boolean(),
      })
      .map(({ src, dst, proto: p, sport, dport, withPorts, fragment, asText }) => {
        const isL4 = p === 'tcp' || p === 'udp' || p === 6 || p === 17;
        const flow: Flow = {
          src: asText ? src.text : src.bytes.slice(),
          dst: asText ? dst.text : dst.bytes.slice(),
          proto: p,
          fragment,
          ...(isL4 || withPorts ? { sport, dport } : {}),
        };
        return { flow, src: src.bytes, dst: dst.bytes };
      }),
  );
}

/** Flows `rssHashFlow` hashes without error (see {@link arbFlowWithBytes}). */
export function arbFlow(options: FlowArbOptions = {}): fc.Arbitrary<Flow> {
  return arbFlowWithBytes(options).map((x) => x.flow);
}

/** A flow with one thing wrong, that `rssHashFlow` must refuse under the default (Linux) hash info. */
export interface NearValidFlow {
  /** The broken flow (a TCP flow, otherwise valid). */
  flow: Flow;
  /** What was broken, e.g. `bad-value: sport 65536 is not a port`. */
  mutation: string;
  /** The category: `bad-value`, `length-lie` (an address of the wrong length) or `off-by-one` (protocol 256). */
  kind: MutationKind;
}

/**
 * Near-valid flows: a valid TCP flow with one thing broken — a port out of range or not an
 * integer, a missing port, the two addresses of different families, an address of the wrong
 * length, malformed address text, a protocol number out of range. Each must make
 * `rssHashFlow(key, flow)` throw a `ProtocolError` with Linux's hash information (0x1701, which
 * hashes TCP 4-tuples); with hash function 0 nothing is hashed and nothing is checked.
 */
export function arbNearValidFlow(): fc.Arbitrary<NearValidFlow> {
  const badText = fc.constantFrom('256.0.0.1', '1.2.3', '01.2.3.4', '1.2.3.4.5', '1::2::3', '12345::', ':::', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', '');
  return fc
    .tuple(arbFlowWithBytes({ proto: 'tcp', fragment: false }), fc.nat(), badText, fc.constantFrom(65536, -1, 1.5, Number.NaN), arbIpAddress())
    .map(([{ flow }, k, text, port, other]): NearValidFlow => {
      const v6 = typeof flow.src === 'string' ? flow.src.includes(':') : flow.src.length === 16;
      const cands: NearValidFlow[] = [
        { flow: { ...flow, sport: port }, mutation: `bad-value: sport ${port} is not a port`, kind: 'bad-value' },
        { flow: { ...flow, dport: port }, mutation: `bad-value: dport ${port} is not a port`, kind: 'bad-value' },
        { flow: { src: flow.src, dst: flow.dst, proto: flow.proto, ...(flow.dport !== undefined ? { dport: flow.dport } : {}) }, mutation: 'bad-value: a TCP flow without sport', kind: 'bad-value' },
        { flow: { ...flow, dst: v6 ? '192.0.2.1' : '2001:db8::1' }, mutation: 'bad-value: dst of the other address family', kind: 'bad-value' },
        { flow: { ...flow, src: new Uint8Array(v6 ? 15 : 5) }, mutation: `length-lie: src of ${v6 ? 15 : 5} bytes`, kind: 'length-lie' },
        { flow: { ...flow, dst: text }, mutation: `bad-value: dst text ${JSON.stringify(text)}`, kind: 'bad-value' },
        { flow: { ...flow, proto: 256 }, mutation: 'off-by-one: proto 256 (0..255)', kind: 'off-by-one' },
      ];
      if (other.bytes.length !== (v6 ? 16 : 4)) cands.push({ flow: { ...flow, src: other.bytes }, mutation: 'bad-value: src bytes of the other family', kind: 'bad-value' });
      return cands[k % cands.length]!;
    });
}

// ---------------------------------------------------------------------------------------------
// Keys, hash information, tables

/** A Toeplitz key: Linux's default or random bytes (default length 40, the NDIS key size). */
export function arbRssKey(options: { length?: number } = {}): fc.Arbitrary<Uint8Array> {
  const length = options.length ?? NETVSC_HASH_KEYLEN;
  const random = fc.uint8Array({ minLength: length, maxLength: length });
  return length === NETVSC_HASH_KEYLEN ? fc.oneof(fc.constant(null).map(() => netvscHashKey()), random) : random;
}

const HASH_TYPE_BITS: number[] = [
  NDIS_HASH.IPV4,
  NDIS_HASH.TCP_IPV4,
  NDIS_HASH.IPV6,
  NDIS_HASH.IPV6_EX,
  NDIS_HASH.TCP_IPV6,
  NDIS_HASH.TCP_IPV6_EX,
  NDIS_HASH.UDP_IPV4,
  NDIS_HASH.UDP_IPV6,
  NDIS_HASH.UDP_IPV6_EX,
];

/**
 * Hash-information words (`NDIS_RECEIVE_SCALE_PARAMETERS.HashInformation`): Linux's 0x1701, Toeplitz
 * with any subset of the type bits, function 0 (RSS off), or any u32.
 */
export const arbHashInfo: fc.Arbitrary<number> = fc.oneof(
  fc.constant(NDIS_LINUX_RSS_HASHINFO),
  fc.subarray(HASH_TYPE_BITS).map((bits) => bits.reduce((a: number, b) => a | b, NDIS_HASH.FUNC_TOEPLITZ as number) >>> 0),
  fc.subarray(HASH_TYPE_BITS).map((bits) => bits.reduce((a, b) => a | b, 0) >>> 0),
  arbU32,
);

/** Options of {@link arbIndirectionTable}. */
export interface IndirectionTableArbOptions {
  /** Entries are below this (default: a random 1..64 per table). */
  queues?: number;
  /** Fewest entries (default 1). */
  minSize?: number;
  /** Most entries (default 256, Linux's ITAB_NUM_MAX). */
  maxSize?: number;
  /** Only power-of-two sizes (Windows' rule). */
  powerOfTwo?: boolean;
}

/** An indirection table: entries (channel numbers) below `queues`. */
export function arbIndirectionTable(options: IndirectionTableArbOptions = {}): fc.Arbitrary<number[]> {
  const minSize = options.minSize ?? 1;
  const maxSize = options.maxSize ?? 256;
  const queues = options.queues !== undefined ? fc.constant(options.queues) : fc.integer({ min: 1, max: 64 });
  const pow2 = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024].filter((n) => n >= minSize && n <= maxSize);
  const size = options.powerOfTwo
    ? fc.constantFrom(...pow2)
    : fc.oneof(fc.constantFrom(...[128, 16].filter((n) => n >= minSize && n <= maxSize), minSize), fc.integer({ min: minSize, max: maxSize }));
  return fc.tuple(queues, size).chain(([q, n]) => fc.array(fc.integer({ min: 0, max: Math.max(0, q - 1) }), { minLength: n, maxLength: n }));
}

/** A 16-entry send indirection table (NVSP 134) with entries below `queues` (default 1..64). */
export function arbSendTable(options: { queues?: number } = {}): fc.Arbitrary<number[]> {
  return arbIndirectionTable({ ...options, minSize: VRSS_SEND_TAB_SIZE, maxSize: VRSS_SEND_TAB_SIZE });
}

// ---------------------------------------------------------------------------------------------
// The RSS parameters object and the RSS SET message

/** Options of {@link arbRssParameters}. */
export interface RssParametersArbOptions {
  /** Table entries are below this (default: any u32 for the free layout, 1..64 for Linux's). */
  queues?: number;
  /**
   * `'linux'`: as `rndis_set_rss_param_msg` builds it (header {0x89, 2, 40}, table at 40, key right
   * after); `'any'`: every field free, table and key placed anywhere after the 40-byte struct in
   * either order with gaps, including empty ones. Default: both.
   */
  layout?: 'linux' | 'any';
  /** Most table entries (default 256). */
  maxEntries?: number;
}

/**
 * RSS parameters objects `ndisRssParameters` encodes and decodes back to the same value, laid out
 * like Linux's or freely (see {@link RssParametersArbOptions}).
 */
export function arbRssParameters(options: RssParametersArbOptions = {}): fc.Arbitrary<NdisRssParameters> {
  const maxEntries = options.maxEntries ?? 256;
  const linux = fc
    .record({
      indirection_table: arbIndirectionTable({ maxSize: maxEntries, ...(options.queues !== undefined ? { queues: options.queues } : {}) }),
      hash_key: arbRssKey(),
      flag: fc.oneof(fc.constantFrom(0, 0x10), arbU16),
      hashinfo: arbHashInfo,
      base_cpu_number: fc.oneof(fc.constant(0), arbU16),
    })
    .map((o) => rssParameters(o));
  const entry = options.queues !== undefined ? fc.integer({ min: 0, max: Math.max(0, options.queues - 1) }) : arbU32;
  const free = fc
    .record({
      hdr: fc.record({ type: arbU8, rev: arbU8, size: arbU16 }),
      flag: arbU16,
      base_cpu_number: arbU16,
      hashinfo: arbHashInfo,
      indirection_table: fc.array(entry, { maxLength: maxEntries }),
      hash_key: arbBytes(64),
      processor_masks_offset: arbU32,
      num_processor_masks: arbU32,
      processor_masks_entry_size: arbU32,
    })
    .chain((v) =>
      arbPlacement(ndis_recv_scale_param.size, [4 * v.indirection_table.length, v.hash_key.length]).map(
        ([taboff, keyoff]): NdisRssParameters => ({ ...v, indirect_taboffset: taboff!, hashkey_offset: keyoff! }),
      ),
    );
  return options.layout === 'linux' ? linux : options.layout === 'any' ? free : fc.oneof(linux, free);
}

/**
 * Whole RSS SET messages (`rndisRssSetMessage`): request id, the object at body offset 20 as Linux
 * puts it or further on, and {@link arbRssParameters}.
 */
export function arbRssSetRequest(options: RssParametersArbOptions = {}): fc.Arbitrary<RndisRssSetRequest> {
  return fc.record({
    req_id: arbU32,
    info_buf_offset: fc.oneof(fc.constant(20), fc.integer({ min: 20, max: 64 })),
    dev_vc_handle: fc.oneof(fc.constant(0), arbU32),
    params: arbRssParameters(options),
  });
}

/**
 * What the rules say about an RSS parameters object occupying all of `b`
 * (shared/spec/nvsp-rndis-netvsc.md §3.9, restated on `decodeRssParameters`): the 40-byte struct
 * present, `indirect_tabsize` a multiple of 4, and the table and key regions after the struct,
 * inside the object and not overlapping. Written independently of the decoder.
 */
export function rssParametersSpecVerdict(b: Uint8Array): SpecVerdict {
  if (b.length < ndis_recv_scale_param.size) return { verdict: 'reject', rule: 'shorter than the 40-byte ndis_recv_scale_param' };
  const tabsize = b[12]! | (b[13]! << 8);
  const taboff = readField(b, wf('', 16, 4));
  const keysize = b[20]! | (b[21]! << 8);
  const keyoff = readField(b, wf('', 24, 4));
  if (tabsize % 4 !== 0) return { verdict: 'reject', rule: `indirect_tabsize ${tabsize} is not a multiple of 4` };
  const ok = regionsFollowRules(ndis_recv_scale_param.size, b.length, [
    { offset: taboff, length: tabsize },
    { offset: keyoff, length: keysize },
  ]);
  return ok ? { verdict: 'accept' } : { verdict: 'reject', rule: 'table or key outside the object, over the struct, or overlapping' };
}

const RSSF = {
  hdrSize: wf('ndis_obj_header.size', 2, 2),
  flag: wf('ndis_recv_scale_param.flag', 4, 2),
  hashinfo: wf('ndis_recv_scale_param.hashinfo', 8, 4),
  tabsize: wf('ndis_recv_scale_param.indirect_tabsize', 12, 2),
  taboff: wf('ndis_recv_scale_param.indirect_taboffset', 16, 4),
  keysize: wf('ndis_recv_scale_param.hashkey_size', 20, 2),
  keyoff: wf('ndis_recv_scale_param.hashkey_offset', 24, 4),
  pmo: wf('ndis_recv_scale_param.processor_masks_offset', 28, 4),
};

function rssMutations(v: NdisRssParameters): MutationCandidate[] {
  const b = encodeRssParameters(v);
  const tab = readField(b, RSSF.tabsize);
  const key = readField(b, RSSF.keysize);
  const out: MutationCandidate[] = [
    ...offByOne(b, RSSF.tabsize, () => 'any', 'length-lie'),
    ...offByOne(b, RSSF.taboff, () => 'any'),
    ...offByOne(b, RSSF.keysize, () => 'any', 'length-lie'),
    ...offByOne(b, RSSF.keyoff, () => 'any'),
    ...offByOne(b, RSSF.hdrSize, () => 'any', 'length-lie'),
    ...offByOne(b, RSSF.flag, () => 'any'),
    ...offByOne(b, RSSF.hashinfo, () => 'any'),
    ...offByOne(b, RSSF.pmo, () => 'any'),
    setField(b, RSSF.tabsize, tab + 4, 'count-too-large', 'any', 'one entry more than present'),
    setField(b, RSSF.tabsize, 0xfffc, 'count-too-large', 'any', 'the largest multiple of 4'),
    setField(b, RSSF.taboff, ndis_recv_scale_param.size - 1, 'offset-into-header', 'any', 'over the last struct byte'),
    setField(b, RSSF.taboff, 0, 'offset-into-header', 'any', 'over the object header'),
    setField(b, RSSF.taboff, b.length - tab + 1, 'offset-past-end', 'any', 'ends one byte past the object'),
    setField(b, RSSF.taboff, 0xffffffff, 'offset-past-end', 'any', 'u32 max'),
    setField(b, RSSF.keysize, key + 1, 'length-lie', 'any', 'one byte more than present'),
    setField(b, RSSF.keysize, 0xffff, 'length-lie', 'any', 'u16 max'),
    setField(b, RSSF.keyoff, ndis_recv_scale_param.size - 4, 'offset-into-header', 'any', 'over processor_masks_entry_size'),
    setField(b, RSSF.keyoff, b.length - key + 1, 'offset-past-end', 'any', 'ends one byte past the object'),
    setField(b, RSSF.keyoff, 0xffffffff, 'offset-past-end', 'any', 'u32 max'),
    extend(b, new Uint8Array([1, 2, 3]), 'any', 'bytes after the object'),
  ];
  const bounds = ndis_recv_scale_param.layout.fields.map((f) => ({ at: f.offset, label: `ndis_recv_scale_param.${f.name}` }));
  bounds.push({ at: ndis_recv_scale_param.size, label: 'the variable part' });
  if (tab) bounds.push({ at: v.indirect_taboffset, label: 'the table' }, { at: v.indirect_taboffset + tab - 1, label: 'the last table byte' });
  if (key) bounds.push({ at: v.hashkey_offset, label: 'the key' }, { at: v.hashkey_offset + key - 1, label: 'the last key byte' });
  out.push(...truncations(b, bounds, () => 'any'));
  return judgedBy(out, rssParametersSpecVerdict);
}

/**
 * Near-valid RSS parameters objects (the info buffer of an RSS SET): table or key size off by one
 * or too large, offsets into the struct or past the end, truncations at every field boundary,
 * trailing bytes. `expect` comes from {@link rssParametersSpecVerdict}. Decode with
 * `decodeRssParameters(bytes)`.
 */
export function arbNearValidRssParameters(options: RssParametersArbOptions = {}): fc.Arbitrary<NearValid> {
  return chooseMutation(arbRssParameters(options), rssMutations);
}

/**
 * Near-valid whole RSS SET messages: a well-framed RNDIS SET of OID_GEN_RECEIVE_SCALE_PARAMETERS
 * whose info buffer is a near-valid RSS object ({@link arbNearValidRssParameters}). Decode with
 * `decodeRssSetRequest(bytes)`.
 */
export function arbNearValidRssSetRequest(options: RssParametersArbOptions = {}): fc.Arbitrary<NearValid> {
  return fc.tuple(arbNearValidRssParameters(options), arbU32).map(([n, req]) => ({
    ...n,
    mutation: `in an RSS SET's info buffer: ${n.mutation}`,
    bytes: encodeRndis(rndisSetRequest(req, OID.GEN_RECEIVE_SCALE_PARAMETERS, n.bytes)),
  }));
}
