/**
 * RSS hash inputs and hash types, as Microsoft defines them.
 *
 * Hash inputs (Microsoft, "RSS Hashing Functions"): the fields are concatenated in the order they
 * occur in the packet, in network byte order:
 * - IPv4 only: source address, destination address (8 bytes);
 * - IPv4 with TCP/UDP: source address, destination address, source port, destination port (12);
 * - IPv6 only: source address, destination address (32);
 * - IPv6 with TCP/UDP: source address, destination address, source port, destination port (36).
 *
 * Hash-type selection (Microsoft, "RSS Hashing Types"): with `TCP_IPV4 | IPV4` enabled a TCP
 * segment hashes the 4-tuple and anything else hashes the 2-tuple; with only `TCP_IPV4` a
 * non-TCP packet is not hashed; a fragmented IP packet (including its first fragment) always uses
 * the address-only type. UDP works the same with the `UDP_*` bits, IPv6 with the `*_IPV6` bits.
 * The `*_IPV6_EX` types hash the home address / type-2 routing header address when those
 * extension headers are present, and the plain addresses otherwise; flows here carry no extension
 * headers, so `*_EX` types hash the plain addresses (the regular type is preferred when both are
 * enabled, which Microsoft allows).
 *
 * Linux netvsc always programs hash information `TOEPLITZ | IPV4 | TCP_IPV4 | IPV6 | TCP_IPV6`
 * = 0x1701 (rndis_filter.c `rndis_set_rss_param_msg`; spec §3.9), so a host following these rules
 * hashes UDP by addresses only, which is what the Linux comment on `netvsc_get_hash` says of Azure.
 *
 * @module
 */
import { ProtocolError } from '../wire/errors.js';
import { NDIS_HASH, NDIS_LINUX_RSS_HASHINFO } from '../protocol/ndis.js';
import { ipAddressBytes, type IpAddressInput } from './address.js';
import type { ToeplitzKey } from './toeplitz.js';

// --- Hash information (NDIS_RECEIVE_SCALE_PARAMETERS.HashInformation) -------------------------
// The bits are declared once, in protocol/ndis.ts (NDIS_HASH, from hyperv_net.h and openvmm's
// rndisprot.rs); these names are the flat aliases the hashing code reads best with.

/** Hash-function field of the hash information (low byte). */
export const NDIS_HASH_FUNCTION_MASK = NDIS_HASH.FUNCTION_MASK;
/** The only hash function: Toeplitz. */
export const NDIS_HASH_FUNC_TOEPLITZ = NDIS_HASH.FUNC_TOEPLITZ;
/** Hash type bit 0x100: IPv4 addresses only (hyperv_net.h NDIS_HASH_IPV4). */
export const NDIS_HASH_IPV4 = NDIS_HASH.IPV4;
/** Hash type bit 0x200: IPv4 addresses and TCP ports (hyperv_net.h NDIS_HASH_TCP_IPV4). */
export const NDIS_HASH_TCP_IPV4 = NDIS_HASH.TCP_IPV4;
/** Hash type bit 0x400: IPv6 addresses only (hyperv_net.h NDIS_HASH_IPV6). */
export const NDIS_HASH_IPV6 = NDIS_HASH.IPV6;
/** Hash type bit 0x800: IPv6 with extension-header addresses (hyperv_net.h NDIS_HASH_IPV6_EX). */
export const NDIS_HASH_IPV6_EX = NDIS_HASH.IPV6_EX;
/** Hash type bit 0x1000: IPv6 addresses and TCP ports (hyperv_net.h NDIS_HASH_TCP_IPV6). */
export const NDIS_HASH_TCP_IPV6 = NDIS_HASH.TCP_IPV6;
/** Hash type bit 0x2000: IPv6 extension-header addresses and TCP ports (hyperv_net.h). */
export const NDIS_HASH_TCP_IPV6_EX = NDIS_HASH.TCP_IPV6_EX;
/** Hash type bit 0x4000: IPv4 addresses and UDP ports (openvmm; not in hyperv_net.h). */
export const NDIS_HASH_UDP_IPV4 = NDIS_HASH.UDP_IPV4;
/** Hash type bit 0x8000: IPv6 addresses and UDP ports (openvmm; not in hyperv_net.h). */
export const NDIS_HASH_UDP_IPV6 = NDIS_HASH.UDP_IPV6;
/** Hash type bit 0x10000: IPv6 extension-header addresses and UDP ports (openvmm; not in hyperv_net.h). */
export const NDIS_HASH_UDP_IPV6_EX = NDIS_HASH.UDP_IPV6_EX;
/** Every hash-type bit above. */
export const NDIS_HASH_TYPE_MASK = 0x0001ff00;

/** The hash information Linux netvsc sends in every RSS SET: 0x1701. */
export const NETVSC_HASH_INFO = NDIS_LINUX_RSS_HASHINFO;

// --- Linux netvsc's own L4-hash switches (ethtool -N rx-flow-hash), hyperv_net.h ---------------
// These only choose how Linux hashes on *transmit* (`netvsc_get_hash`); they are not sent to the host.
/** netvsc `l4_hash` bit: hash TCP/IPv4 on ports too (hyperv_net.h HV_TCP4_L4HASH). */
export const HV_TCP4_L4HASH = 1;
/** netvsc `l4_hash` bit: hash TCP/IPv6 on ports too (hyperv_net.h HV_TCP6_L4HASH). */
export const HV_TCP6_L4HASH = 2;
/** netvsc `l4_hash` bit: hash UDP/IPv4 on ports too (hyperv_net.h HV_UDP4_L4HASH). */
export const HV_UDP4_L4HASH = 4;
/** netvsc `l4_hash` bit: hash UDP/IPv6 on ports too (hyperv_net.h HV_UDP6_L4HASH). */
export const HV_UDP6_L4HASH = 8;
/** Default `l4_hash`: all four L4 bits set (hyperv_net.h HV_DEFAULT_L4HASH). */
export const HV_DEFAULT_L4HASH = HV_TCP4_L4HASH | HV_TCP6_L4HASH | HV_UDP4_L4HASH | HV_UDP6_L4HASH;

/** IP protocol numbers (IANA). */
export const IPPROTO_TCP = 6;
/** IP protocol number of UDP, 17. */
export const IPPROTO_UDP = 17;

// --- Hash input sizes ---------------------------------------------------------------------------
/** Toeplitz input length for IPv4 addresses only: 8 bytes. */
export const IPV4_HASH_INPUT_LENGTH = 8;
/** Toeplitz input length for IPv4 addresses plus ports: 12 bytes. */
export const IPV4_PORTS_HASH_INPUT_LENGTH = 12;
/** Toeplitz input length for IPv6 addresses only: 32 bytes. */
export const IPV6_HASH_INPUT_LENGTH = 32;
/** Toeplitz input length for IPv6 addresses plus ports: 36 bytes. */
export const IPV6_PORTS_HASH_INPUT_LENGTH = 36;

function checkPort(port: number, field: string): void {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
    throw new ProtocolError('FIELD_RANGE', 'is not a port (0..65535)', { struct: 'rss_hash_input', field, value: port });
  }
}

function familyBytes(address: IpAddressInput, length: 4 | 16, field: string): Uint8Array {
  const b = ipAddressBytes(address, field);
  if (b.length !== length) {
    throw new ProtocolError('BAD_VALUE', `is not an ${length === 4 ? 'IPv4' : 'IPv6'} address`, {
      struct: 'rss_hash_input',
      field,
      value: typeof address === 'string' ? address : address.length,
    });
  }
  return b;
}

function target(out: Uint8Array | undefined, offset: number, length: number): Uint8Array {
  const buf = out ?? new Uint8Array(offset + length);
  if (offset < 0 || offset + length > buf.length) {
    throw new ProtocolError('SHORT_BUFFER', `needs ${length} bytes at offset ${offset}`, {
      struct: 'rss_hash_input',
      offset,
      value: buf.length,
    });
  }
  return buf;
}

function putU16(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v >>> 8;
  buf[at + 1] = v & 0xff;
}

/**
 * Writes a hash input for one address family (`length` bytes per address) at `offset`: source
 * address, destination address, then — `withPorts` — source port and destination port. Ports are
 * checked first, then the room, then each address.
 */
function hashInput(
  length: 4 | 16,
  src: IpAddressInput,
  dst: IpAddressInput,
  withPorts: boolean,
  sport: number,
  dport: number,
  out: Uint8Array | undefined,
  offset: number,
): Uint8Array {
  if (withPorts) {
    checkPort(sport, 'sport');
    checkPort(dport, 'dport');
  }
  const buf = target(out, offset, 2 * length + (withPorts ? 4 : 0));
  buf.set(familyBytes(src, length, 'src'), offset);
  buf.set(familyBytes(dst, length, 'dst'), offset + length);
  if (withPorts) {
    putU16(buf, offset + 2 * length, sport);
    putU16(buf, offset + 2 * length + 2, dport);
  }
  return buf;
}

/** IPv4-only hash input (8 bytes): source address, destination address. */
export function ipv4HashInput(src: IpAddressInput, dst: IpAddressInput, out?: Uint8Array, offset = 0): Uint8Array {
  return hashInput(4, src, dst, false, 0, 0, out, offset);
}

/** IPv4 with TCP/UDP hash input (12 bytes): source address, destination address, source port, destination port. */
export function ipv4PortsHashInput(
  src: IpAddressInput,
  dst: IpAddressInput,
  sport: number,
  dport: number,
  out?: Uint8Array,
  offset = 0,
): Uint8Array {
  return hashInput(4, src, dst, true, sport, dport, out, offset);
}

/** IPv6-only hash input (32 bytes): source address, destination address. */
export function ipv6HashInput(src: IpAddressInput, dst: IpAddressInput, out?: Uint8Array, offset = 0): Uint8Array {
  return hashInput(16, src, dst, false, 0, 0, out, offset);
}

/** IPv6 with TCP/UDP hash input (36 bytes): source address, destination address, source port, destination port. */
export function ipv6PortsHashInput(
  src: IpAddressInput,
  dst: IpAddressInput,
  sport: number,
  dport: number,
  out?: Uint8Array,
  offset = 0,
): Uint8Array {
  return hashInput(16, src, dst, true, sport, dport, out, offset);
}

/** Transport protocol of a flow: a name or an IP protocol number. */
export type FlowProto = 'tcp' | 'udp' | number;

/** A parsed flow, as seen in a received packet (source = the sender). */
export interface Flow {
  /** Source address (IPv4 dotted / IPv6 text, or 4 / 16 bytes). */
  readonly src: IpAddressInput;
  /** Destination address; same family as `src`. */
  readonly dst: IpAddressInput;
  /** Source port (TCP/UDP only). */
  readonly sport?: number;
  /** Destination port (TCP/UDP only). */
  readonly dport?: number;
  /** Transport protocol. */
  readonly proto: FlowProto;
  /** The packet is an IP fragment (first fragment included): ports are never hashed. */
  readonly fragment?: boolean;
}

function protoNumber(proto: FlowProto): number {
  if (proto === 'tcp') return IPPROTO_TCP;
  if (proto === 'udp') return IPPROTO_UDP;
  if (!Number.isInteger(proto) || proto < 0 || proto > 255) {
    throw new ProtocolError('FIELD_RANGE', 'is not an IP protocol number (0..255)', {
      struct: 'flow',
      field: 'proto',
      value: proto,
    });
  }
  return proto;
}

/** What a host would hash for a flow: the input bytes and the single NDIS hash type it reports. */
export interface RssHashInput {
  /** The hash input (8, 12, 32 or 36 bytes). */
  readonly input: Uint8Array;
  /** One `NDIS_HASH_*` type bit naming the fields hashed (reported with the hash value). */
  readonly hashType: number;
}

/**
 * Chooses the hash type for `flow` under the enabled `hashInfo` bits and builds its input, per
 * the selection rules in the module text. Returns `null` when RSS would not hash the packet: the
 * hash function is not Toeplitz (0 means RSS is off), or no enabled type covers the packet.
 * @throws {@link ProtocolError} for malformed addresses, mixed families, or a TCP/UDP flow whose
 *   chosen type needs ports it does not have.
 */
export function selectHashInput(flow: Flow, hashInfo: number): RssHashInput | null {
  if ((hashInfo & NDIS_HASH_FUNCTION_MASK) !== NDIS_HASH_FUNC_TOEPLITZ) return null;
  const src = ipAddressBytes(flow.src, 'src');
  const dst = ipAddressBytes(flow.dst, 'dst');
  if (src.length !== dst.length) {
    throw new ProtocolError('BAD_VALUE', 'mixes IPv4 and IPv6 addresses', { struct: 'flow', field: 'dst' });
  }
  const v6 = src.length === 16;
  const proto = protoNumber(flow.proto);
  const l4 = !flow.fragment && (proto === IPPROTO_TCP || proto === IPPROTO_UDP);

  let l4Type = 0;
  if (l4) {
    const candidates = v6
      ? proto === IPPROTO_TCP
        ? [NDIS_HASH_TCP_IPV6, NDIS_HASH_TCP_IPV6_EX]
        : [NDIS_HASH_UDP_IPV6, NDIS_HASH_UDP_IPV6_EX]
      : proto === IPPROTO_TCP
        ? [NDIS_HASH_TCP_IPV4]
        : [NDIS_HASH_UDP_IPV4];
    l4Type = candidates.find((t) => (hashInfo & t) !== 0) ?? 0;
  }
  if (l4Type !== 0) {
    if (flow.sport === undefined || flow.dport === undefined) {
      throw new ProtocolError('BAD_VALUE', 'is a TCP/UDP flow without ports', { struct: 'flow', field: 'sport' });
    }
    const input = v6
      ? ipv6PortsHashInput(src, dst, flow.sport, flow.dport)
      : ipv4PortsHashInput(src, dst, flow.sport, flow.dport);
    return { input, hashType: l4Type };
  }
  const ipTypes = v6 ? [NDIS_HASH_IPV6, NDIS_HASH_IPV6_EX] : [NDIS_HASH_IPV4];
  const ipType = ipTypes.find((t) => (hashInfo & t) !== 0);
  if (ipType === undefined) return null;
  return { input: v6 ? ipv6HashInput(src, dst) : ipv4HashInput(src, dst), hashType: ipType };
}

/** An RSS hash value with the hash type that produced it. */
export interface RssHash {
  /** The 32-bit Toeplitz hash. */
  readonly hash: number;
  /** The `NDIS_HASH_*` type bit. */
  readonly hashType: number;
}

/**
 * Hashes `flow` the way an RSS host would with `key` and the enabled `hashInfo` (default: what
 * Linux netvsc enables, {@link NETVSC_HASH_INFO}). `null` when the packet is not hashed.
 */
export function rssHashFlow(key: ToeplitzKey, flow: Flow, hashInfo: number = NETVSC_HASH_INFO): RssHash | null {
  const sel = selectHashInput(flow, hashInfo);
  if (!sel) return null;
  return { hash: key.hash(sel.input), hashType: sel.hashType };
}
