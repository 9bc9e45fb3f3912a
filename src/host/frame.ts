/**
 * Ethernet frames on the host's wire side: reading the flow of an inbound frame for RSS (what a
 * NIC's hash engine looks at: Ethernet, an optional 802.1Q tag, IPv4 or IPv6, TCP or UDP ports),
 * and building a frame for a flow (what a test or the command line injects).
 *
 * Parsing rules (Microsoft, "RSS hashing types"): an IPv4 packet with MF set or a non-zero fragment
 * offset is a fragment and is hashed on addresses only; an IPv6 packet whose next header is not TCP
 * or UDP (extension headers included) is hashed on addresses only; anything that is not IPv4 or
 * IPv6 is not hashed. Header lengths are checked against the frame; a truncated header makes the
 * frame unhashable rather than an error (a NIC delivers such frames to the default queue).
 *
 * @module
 */
import { ipAddressBytes } from '../rss/address.js';
import { IPPROTO_TCP, IPPROTO_UDP, type Flow } from '../rss/hash-input.js';

/** Ethernet header length. */
const ETH_HLEN = 14;
/** 802.1Q tag protocol identifier. */
const ETH_P_8021Q = 0x8100;
const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;

/** What {@link netvspParseFrame} reads from a frame. */
export interface NetvspParsedFrame {
  /** Destination MAC (a view into the frame). */
  readonly dst: Uint8Array;
  /** Source MAC (a view into the frame). */
  readonly src: Uint8Array;
  /** EtherType after any 802.1Q tag. */
  readonly etherType: number;
  /** The 802.1Q tag, when the frame carries one. */
  readonly vlan?: {
    /** VLAN id (TCI bits 0–11). */
    readonly id: number;
    /** Priority code point (TCI bits 13–15). */
    readonly priority: number;
    /** CFI/DEI bit (TCI bit 12). */
    readonly cfi: number;
  };
  /** Offset of the IP header. */
  readonly l3Offset: number;
  /** The flow RSS hashes, or null (not IP, or a truncated header). */
  readonly flow: Flow | null;
}

function rd16be(b: Uint8Array, p: number): number {
  return (b[p]! << 8) | b[p + 1]!;
}

/** Reads a frame's addresses, tag and flow; `null` for fewer than 14 bytes. */
export function netvspParseFrame(frame: Uint8Array): NetvspParsedFrame | null {
  if (frame.length < ETH_HLEN) return null;
  const dst = frame.subarray(0, 6);
  const src = frame.subarray(6, 12);
  let etherType = rd16be(frame, 12);
  let l3 = ETH_HLEN;
  let vlan: NetvspParsedFrame['vlan'];
  if (etherType === ETH_P_8021Q) {
    if (frame.length < ETH_HLEN + 4) return { dst, src, etherType, l3Offset: l3, flow: null };
    const tci = rd16be(frame, 14);
    vlan = { id: tci & 0xfff, priority: tci >>> 13, cfi: (tci >>> 12) & 1 };
    etherType = rd16be(frame, 16);
    l3 = ETH_HLEN + 4;
  }
  const base = { dst, src, etherType, l3Offset: l3, ...(vlan ? { vlan } : {}) };
  return { ...base, flow: readFlow(frame, etherType, l3) };
}

function readFlow(frame: Uint8Array, etherType: number, l3: number): Flow | null {
  if (etherType === ETH_P_IP) {
    if (frame.length < l3 + 20 || frame[l3]! >>> 4 !== 4) return null;
    const ihl = (frame[l3]! & 0xf) * 4;
    if (ihl < 20 || frame.length < l3 + ihl) return null;
    const proto = frame[l3 + 9]!;
    const fragField = rd16be(frame, l3 + 6);
    const fragment = (fragField & 0x2000) !== 0 || (fragField & 0x1fff) !== 0;
    const src = frame.slice(l3 + 12, l3 + 16);
    const dst = frame.slice(l3 + 16, l3 + 20);
    return withPorts(frame, src, dst, proto, fragment, l3 + ihl);
  }
  if (etherType === ETH_P_IPV6) {
    if (frame.length < l3 + 40 || frame[l3]! >>> 4 !== 6) return null;
    const next = frame[l3 + 6]!;
    const src = frame.slice(l3 + 8, l3 + 24);
    const dst = frame.slice(l3 + 24, l3 + 40);
    return withPorts(frame, src, dst, next, false, l3 + 40);
  }
  return null;
}

function withPorts(frame: Uint8Array, src: Uint8Array, dst: Uint8Array, proto: number, fragment: boolean, l4: number): Flow {
  const l4Proto = proto === IPPROTO_TCP || proto === IPPROTO_UDP;
  if (!l4Proto || fragment || frame.length < l4 + 4) return { src, dst, proto, ...(fragment ? { fragment } : {}) };
  return { src, dst, proto, sport: rd16be(frame, l4), dport: rd16be(frame, l4 + 2) };
}

/** What {@link netvspBuildFrame} builds. */
export interface NetvspFrameSpec {
  /** Addresses (IPv4 or IPv6, same family), protocol (`tcp`, `udp` or a number), ports, and `fragment` to set MF on IPv4. */
  readonly flow: Flow;
  /** Destination MAC (default broadcast ff:ff:ff:ff:ff:ff). */
  readonly dstMac?: Uint8Array;
  /** Source MAC (default 02:00:00:00:00:01, a locally administered address). */
  readonly srcMac?: Uint8Array;
  /** Payload bytes after the TCP/UDP header (default 0; filled with a counting pattern). */
  readonly payloadLength?: number;
  /** Insert an 802.1Q tag. */
  readonly vlan?: {
    /** VLAN id; only the low 12 bits are used. */
    readonly id: number;
    /** Priority code point, 0..7 (default 0). */
    readonly priority?: number;
  };
}

const BROADCAST = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
const DEFAULT_SRC = new Uint8Array([0x02, 0, 0, 0, 0, 1]);

function protoNumber(p: Flow['proto']): number {
  if (p === 'tcp') return IPPROTO_TCP;
  if (p === 'udp') return IPPROTO_UDP;
  if (!Number.isInteger(p) || p < 0 || p > 255) throw new RangeError(`netvspBuildFrame: protocol ${String(p)} is not 0..255`);
  return p;
}

function ipv4Checksum(b: Uint8Array, at: number, len: number): number {
  let sum = 0;
  for (let i = 0; i < len; i += 2) sum += (b[at + i]! << 8) | b[at + i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * An Ethernet frame carrying `spec.flow`: Ethernet (+ 802.1Q), IPv4 (20 bytes, correct header
 * checksum, DF clear, or MF set when `flow.fragment`) or IPv6 (40 bytes), then a TCP (20 bytes) or
 * UDP (8 bytes) header when the protocol is one of those, then the payload. L4 checksums are left
 * 0 (nothing on the simulated path verifies them).
 * @throws ProtocolError for an address that is not IPv4/IPv6 text or 4/16 bytes; RangeError for
 *   mixed families, a bad port, protocol or payload length.
 */
export function netvspBuildFrame(spec: NetvspFrameSpec): Uint8Array {
  const src = ipAddressBytes(spec.flow.src, 'src');
  const dst = ipAddressBytes(spec.flow.dst, 'dst');
  if (src.length !== dst.length) throw new RangeError('netvspBuildFrame: source and destination are of different families');
  const v6 = src.length === 16;
  const proto = protoNumber(spec.flow.proto);
  const l4Len = proto === IPPROTO_TCP ? 20 : proto === IPPROTO_UDP ? 8 : 0;
  const payload = spec.payloadLength ?? 0;
  if (!Number.isInteger(payload) || payload < 0 || payload > 65000) throw new RangeError(`netvspBuildFrame: payload length ${payload}`);
  const tag = spec.vlan ? 4 : 0;
  const ipLen = v6 ? 40 : 20;
  const out = new Uint8Array(ETH_HLEN + tag + ipLen + l4Len + payload);
  out.set(spec.dstMac ?? BROADCAST, 0);
  out.set(spec.srcMac ?? DEFAULT_SRC, 6);
  let p = 12;
  if (spec.vlan) {
    const tci = ((spec.vlan.priority ?? 0) << 13) | (spec.vlan.id & 0xfff);
    out[p++] = 0x81;
    out[p++] = 0x00;
    out[p++] = tci >>> 8;
    out[p++] = tci & 0xff;
  }
  const etherType = v6 ? ETH_P_IPV6 : ETH_P_IP;
  out[p++] = etherType >>> 8;
  out[p++] = etherType & 0xff;
  const l3 = p;
  const l3Payload = l4Len + payload;
  if (v6) {
    out[l3] = 0x60;
    out[l3 + 4] = l3Payload >>> 8;
    out[l3 + 5] = l3Payload & 0xff;
    out[l3 + 6] = proto;
    out[l3 + 7] = 64;
    out.set(src, l3 + 8);
    out.set(dst, l3 + 24);
  } else {
    const total = 20 + l3Payload;
    out[l3] = 0x45;
    out[l3 + 2] = total >>> 8;
    out[l3 + 3] = total & 0xff;
    if (spec.flow.fragment) out[l3 + 6] = 0x20; // MF
    out[l3 + 8] = 64;
    out[l3 + 9] = proto;
    out.set(src, l3 + 12);
    out.set(dst, l3 + 16);
    const sum = ipv4Checksum(out, l3, 20);
    out[l3 + 10] = sum >>> 8;
    out[l3 + 11] = sum & 0xff;
  }
  const l4 = l3 + ipLen;
  if (l4Len) {
    const port = (v: number | undefined, name: string) => {
      const x = v ?? 0;
      if (!Number.isInteger(x) || x < 0 || x > 0xffff) throw new RangeError(`netvspBuildFrame: ${name} ${x} is not a port`);
      return x;
    };
    const sport = port(spec.flow.sport, 'sport');
    const dport = port(spec.flow.dport, 'dport');
    out[l4] = sport >>> 8;
    out[l4 + 1] = sport & 0xff;
    out[l4 + 2] = dport >>> 8;
    out[l4 + 3] = dport & 0xff;
    if (proto === IPPROTO_TCP) out[l4 + 12] = 0x50; // data offset 5 words
    else {
      out[l4 + 4] = (8 + payload) >>> 8;
      out[l4 + 5] = (8 + payload) & 0xff;
    }
  }
  for (let i = 0; i < payload; i++) out[l4 + l4Len + i] = i & 0xff;
  return out;
}
