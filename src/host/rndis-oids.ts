/**
 * The host's OID table: what it answers to each RNDIS QUERY and how it validates and applies each
 * SET. The values and the checks restate openvmm's NetVSP (vm/devices/net/netvsp/src/lib.rs
 * `Adapter::handle_oid_query`, `handle_oid_set`, `oid_set_rss_parameters`,
 * `oid_set_offload_parameters`, `oid_set_offload_encapsulation`, `oid_set_rndis_config_parameter`,
 * `read_ndis_object`, `validate_ndis_object_header`), which follows vmswitch; where this host
 * differs it says so.
 *
 * Status mapping (openvmm `OidError::as_status`): unknown OID or unsupported feature →
 * RNDIS_STATUS_NOT_SUPPORTED; a bad field → RNDIS_STATUS_INVALID_DATA; a read or write outside the
 * buffer → RNDIS_STATUS_FAILURE; an NDIS version the list does not cover → RNDIS_STATUS_BAD_VERSION.
 *
 * @module
 */
import { ProtocolError } from '../wire/errors.js';
import { OID, oidName } from '../protocol/oids.js';
import { RNDIS_MEDIA_STATE, RNDIS_STATUS } from '../protocol/rndis.js';
import {
  decodeConfigParameter,
  ndis_offload,
  NDIS_CSUM_CAP,
  NDIS_LSOV2_CAP,
  NDIS_OBJECT_TYPE,
  NDIS_OFFLOAD_ENCAP,
  NDIS_RSS_CAPS,
  NDIS_RSS_PARAM_FLAG,
  ndis_recv_scale_cap,
  parseNetworkAddressParameter,
  RNDIS_CONFIG_PARAM_TYPE,
  RNDIS_NETWORK_ADDRESS_PARAMETER,
  type NdisOffload,
} from '../protocol/ndis.js';
import { ToeplitzKey } from '../rss/toeplitz.js';
import { NDIS_HASH_FUNCTION_MASK } from '../rss/hash-input.js';
import { expandIndirectionTable } from '../rss/indirection.js';
import { NETVSC_HASH_KEYLEN } from '../rss/keys.js';
import type { ResolvedNetvspConfig } from './config.js';

/** The RSS state the host applies to inbound traffic (openvmm `RssState`). */
export interface NetvspRssState {
  /** `hashinfo` as the guest sent it (function and types). */
  readonly hashInfo: number;
  /** The 40-byte key. */
  readonly key: Uint8Array;
  /** {@link key} prepared for hashing: computes the Toeplitz hash of a flow's hash input. */
  readonly toeplitz: ToeplitzKey;
  /** The host's table: `indirectionTableSize` entries, the guest's entries repeated to fill it. */
  readonly table: Uint32Array;
  /** Entries the guest supplied (before repetition, capped at the host's size). */
  readonly guestEntries: number;
}

/**
 * Offloads as the host has them configured (openvmm `OffloadConfig`): all on at start, changed by
 * the guest's `OID_TCP_OFFLOAD_PARAMETERS` SET, reported in `OID_TCP_OFFLOAD_CURRENT_CONFIG` and
 * the TASK_OFFLOAD_CURRENT_CONFIG indication.
 */
export interface NetvspOffloadConfig {
  /** IPv4 header checksum on transmit (`ip_v4_csum` TX half). */
  txIpv4Header: boolean;
  /** IPv4 header checksum on receive (`ip_v4_csum` RX half). */
  rxIpv4Header: boolean;
  /** TCP/IPv4 checksum on transmit (`tcp_ip_v4_csum` TX half). */
  txTcp4: boolean;
  /** TCP/IPv4 checksum on receive (`tcp_ip_v4_csum` RX half). */
  rxTcp4: boolean;
  /** UDP/IPv4 checksum on transmit (`udp_ip_v4_csum` TX half). */
  txUdp4: boolean;
  /** UDP/IPv4 checksum on receive (`udp_ip_v4_csum` RX half). */
  rxUdp4: boolean;
  /** TCP/IPv6 checksum on transmit (`tcp_ip_v6_csum` TX half). */
  txTcp6: boolean;
  /** TCP/IPv6 checksum on receive (`tcp_ip_v6_csum` RX half). */
  rxTcp6: boolean;
  /** UDP/IPv6 checksum on transmit (`udp_ip_v6_csum` TX half). */
  txUdp6: boolean;
  /** UDP/IPv6 checksum on receive (`udp_ip_v6_csum` RX half). */
  rxUdp6: boolean;
  /** Large send offload v2 for IPv4 (`lso_v2_ipv4`). */
  lso4: boolean;
  /** Large send offload v2 for IPv6 (`lso_v2_ipv6`). */
  lso6: boolean;
}

/** The RNDIS side of a session (primary channel). */
export interface NetvspRndisState {
  /** `uninitialized` until INIT, `operational` after, `halted` after HALT. */
  state: 'uninitialized' | 'operational' | 'halted';
  /** `OID_GEN_CURRENT_PACKET_FILTER` as last set (`NDIS_PACKET_TYPE` bits); 0 drops every inbound frame. */
  packetFilter: number;
  /** Current MAC (OID_802_3_CURRENT_ADDRESS); changes with a NetworkAddress config parameter. */
  currentMac: Uint8Array;
  /** RSS as the last enabling `OID_GEN_RECEIVE_SCALE_PARAMETERS` SET programmed it; `null` until then and after a disabling SET. */
  rss: NetvspRssState | null;
  /** The offloads in force. */
  offload: NetvspOffloadConfig;
  /** An offload SET happened: INDICATE TASK_OFFLOAD_CURRENT_CONFIG is due. */
  offloadIndicationDue: boolean;
}

/** What a QUERY or SET needs to know about the session besides the RNDIS state. */
export interface NetvspOidEnv {
  /** The host's configuration in force (MTU cap, MAC, friendly name, queues, faults, …). */
  readonly config: ResolvedNetvspConfig;
  /** From SEND_NDIS_VER. */
  readonly ndisVersion: {
    /** `ndis_major_ver` (6 from Linux). */
    readonly major: number;
    /** `ndis_minor_ver` (e.g. 30 = NDIS 6.30). */
    readonly minor: number;
  } | null;
  /** MTU from NDIS_CONFIG (1514 when absent). */
  readonly ndisMtu: number;
  /** Link state now (the answer to OID_GEN_MEDIA_CONNECT_STATUS). */
  readonly linkUp: boolean;
  /** bit/s. */
  readonly linkSpeed: number;
}

/** Answer to a QUERY or SET. */
export interface NetvspOidResult {
  /** RNDIS status for the QUERY_C / SET_C (`RNDIS_STATUS.SUCCESS`, `NOT_SUPPORTED`, `INVALID_DATA`, …). */
  readonly status: number;
  /** QUERY: the information buffer (empty on failure). */
  readonly info: Uint8Array;
  /** A named reason for a failure status (for the event log). */
  readonly reason?: string;
  /** SET: what changed, for the host to act on. */
  readonly effect?: 'rss' | 'rss-disabled' | 'packet-filter' | 'offload' | 'mac';
}

const EMPTY = new Uint8Array(0);
const ok = (info: Uint8Array = EMPTY): NetvspOidResult => ({ status: RNDIS_STATUS.SUCCESS, info });
const applied = (effect: NonNullable<NetvspOidResult['effect']>): NetvspOidResult => ({ status: RNDIS_STATUS.SUCCESS, info: EMPTY, effect });
const fail = (status: number, reason: string): NetvspOidResult => ({ status, info: EMPTY, reason });

function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}
function rd16(b: Uint8Array, p: number): number {
  return b[p]! | (b[p + 1]! << 8);
}
function rd32(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}

/** Every offload on: what a capable host starts with (openvmm starts from its supported set). */
export function netvspFullOffload(): NetvspOffloadConfig {
  return {
    txIpv4Header: true,
    rxIpv4Header: true,
    txTcp4: true,
    rxTcp4: true,
    txUdp4: true,
    rxUdp4: true,
    txTcp6: true,
    rxTcp6: true,
    txUdp6: true,
    rxUdp6: true,
    lso4: true,
    lso6: true,
  };
}

/** Largest LSO size vmswitch accepts (openvmm rndisprot.rs `LSO_MAX_OFFLOAD_SIZE`). */
export const NETVSP_LSO_MAX_OFFLOAD_SIZE = 0xf53c;
/** openvmm rndisprot.rs `LSO_MIN_SEGMENT_COUNT`. */
export const NETVSP_LSO_MIN_SEGMENT_COUNT = 2;

function v4Flags(ip: boolean, tcp: boolean, udp: boolean): number {
  let f = 0;
  if (ip) f |= NDIS_CSUM_CAP.IP4OPT | NDIS_CSUM_CAP.IP4;
  if (tcp) f |= NDIS_CSUM_CAP.IP4OPT | NDIS_CSUM_CAP.TCP4OPT | NDIS_CSUM_CAP.TCP4;
  if (udp) f |= NDIS_CSUM_CAP.IP4OPT | NDIS_CSUM_CAP.UDP4;
  return f;
}
function v6Flags(tcp: boolean, udp: boolean): number {
  let f = 0;
  if (tcp) f |= NDIS_CSUM_CAP.IP6EXT | NDIS_CSUM_CAP.TCP6OPT | NDIS_CSUM_CAP.TCP6;
  if (udp) f |= NDIS_CSUM_CAP.IP6EXT | NDIS_CSUM_CAP.UDP6;
  return f;
}

/** The NDIS_OFFLOAD object (revision 3, 156 bytes) for an offload configuration (openvmm `OffloadConfig::ndis_offload`). */
export function netvspOffloadObject(o: NetvspOffloadConfig): NdisOffload {
  const v: NdisOffload = ndis_offload.zero();
  const enc = NDIS_OFFLOAD_ENCAP['8023'];
  v.header = { type: NDIS_OBJECT_TYPE.OFFLOAD, revision: 3, size: ndis_offload.size };
  v.csum = {
    ip4_txenc: enc,
    ip4_txcsum: v4Flags(o.txIpv4Header, o.txTcp4, o.txUdp4),
    ip4_rxenc: enc,
    ip4_rxcsum: v4Flags(o.rxIpv4Header, o.rxTcp4, o.rxUdp4),
    ip6_txenc: enc,
    ip6_txcsum: v6Flags(o.txTcp6, o.txUdp6),
    ip6_rxenc: enc,
    ip6_rxcsum: v6Flags(o.rxTcp6, o.rxUdp6),
  };
  v.lsov2 = {
    ip4_encap: o.lso4 ? enc : 0,
    ip4_maxsz: o.lso4 ? NETVSP_LSO_MAX_OFFLOAD_SIZE : 0,
    ip4_minsg: o.lso4 ? NETVSP_LSO_MIN_SEGMENT_COUNT : 0,
    ip6_encap: o.lso6 ? enc : 0,
    ip6_maxsz: o.lso6 ? NETVSP_LSO_MAX_OFFLOAD_SIZE : 0,
    ip6_minsg: o.lso6 ? NETVSP_LSO_MIN_SEGMENT_COUNT : 0,
    ip6_opts: o.lso6 ? NDIS_LSOV2_CAP.IP6EXT | NDIS_LSOV2_CAP.TCP6OPT : 0,
  };
  return v;
}

/** OID_GEN_MAC_OPTIONS bits openvmm reports (COPY_LOOKAHEAD_DATA, TRANSFERS_NOT_PEND, NO_LOOPBACK, 8021P_PRIORITY, 8021Q_VLAN). */
export const NETVSP_MAC_OPTIONS = 0x1 | 0x4 | 0x8 | 0x40 | 0x200;

const SUPPORTED_COMMON = [
  OID.GEN_SUPPORTED_LIST,
  OID.GEN_HARDWARE_STATUS,
  OID.GEN_MEDIA_SUPPORTED,
  OID.GEN_MEDIA_IN_USE,
  OID.GEN_MAXIMUM_LOOKAHEAD,
  OID.GEN_CURRENT_LOOKAHEAD,
  OID.GEN_MAXIMUM_FRAME_SIZE,
  OID.GEN_MAXIMUM_TOTAL_SIZE,
  OID.GEN_TRANSMIT_BLOCK_SIZE,
  OID.GEN_RECEIVE_BLOCK_SIZE,
  OID.GEN_LINK_SPEED,
  OID.GEN_TRANSMIT_BUFFER_SPACE,
  OID.GEN_RECEIVE_BUFFER_SPACE,
  OID.GEN_VENDOR_ID,
  OID.GEN_VENDOR_DESCRIPTION,
  OID.GEN_VENDOR_DRIVER_VERSION,
  OID.GEN_DRIVER_VERSION,
  OID.GEN_CURRENT_PACKET_FILTER,
  OID.GEN_PROTOCOL_OPTIONS,
  OID.GEN_MAC_OPTIONS,
  OID.GEN_MEDIA_CONNECT_STATUS,
  OID.GEN_MAXIMUM_SEND_PACKETS,
  OID.GEN_NETWORK_LAYER_ADDRESSES,
  OID.GEN_FRIENDLY_NAME,
  OID['802_3_PERMANENT_ADDRESS'],
  OID['802_3_CURRENT_ADDRESS'],
  OID['802_3_MULTICAST_LIST'],
  OID['802_3_MAXIMUM_LIST_SIZE'],
  OID['802_3_RCV_ERROR_ALIGNMENT'],
  OID['802_3_XMIT_ONE_COLLISION'],
  OID['802_3_XMIT_MORE_COLLISIONS'],
  OID.GEN_RNDIS_CONFIG_PARAMETER,
];
const SUPPORTED_NDIS6 = [
  OID.GEN_LINK_PARAMETERS,
  OID.GEN_LINK_STATE,
  OID.GEN_MAX_LINK_SPEED,
  OID.GEN_BYTES_RCV,
  OID.GEN_BYTES_XMIT,
  OID.TCP_OFFLOAD_PARAMETERS,
  OID.OFFLOAD_ENCAPSULATION,
  OID.TCP_OFFLOAD_HARDWARE_CAPABILITIES,
  OID.TCP_OFFLOAD_CURRENT_CONFIG,
];
const SUPPORTED_NDIS630 = [OID.GEN_RECEIVE_SCALE_CAPABILITIES, OID.GEN_RECEIVE_SCALE_PARAMETERS];

function u32List(list: readonly number[]): Uint8Array {
  const out = new Uint8Array(4 * list.length);
  const dv = new DataView(out.buffer);
  list.forEach((x, i) => dv.setUint32(4 * i, x, true));
  return out;
}

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0x7f);
}

/** The OID_GEN_FRIENDLY_NAME answer: 255 UTF-16 units and a terminator (openvmm `FriendlyName`, 512 bytes). */
function friendlyName(name: string): Uint8Array {
  const out = new Uint8Array(512);
  const n = Math.min(name.length, 255);
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    out[2 * i] = c & 0xff;
    out[2 * i + 1] = c >>> 8;
  }
  return out;
}

function u64(dv: DataView, at: number, v: number): void {
  dv.setBigUint64(at, BigInt(v), true);
}

/** The OID_GEN_LINK_STATE object (NDIS_LINK_STATE revision 1, 40 bytes). */
function linkState(up: boolean, speed: number): Uint8Array {
  const out = new Uint8Array(40);
  const dv = new DataView(out.buffer);
  out[0] = NDIS_OBJECT_TYPE.DEFAULT;
  out[1] = 1;
  dv.setUint16(2, 40, true);
  dv.setUint32(4, up ? 1 : 2, true); // MediaConnectStateConnected / Disconnected
  u64(dv, 16, speed);
  u64(dv, 24, speed);
  return out;
}

/** The OID_OFFLOAD_ENCAPSULATION object (revision 1, 28 bytes): IEEE 802.3 with a 14-byte header, both families. */
function offloadEncapsulation(): Uint8Array {
  const out = new Uint8Array(28);
  const dv = new DataView(out.buffer);
  out[0] = NDIS_OBJECT_TYPE.OFFLOAD_ENCAPSULATION;
  out[1] = 1;
  dv.setUint16(2, 28, true);
  dv.setUint32(4, 1, true); // NDIS_OFFLOAD_SUPPORTED
  dv.setUint32(8, NDIS_OFFLOAD_ENCAP['8023'], true);
  dv.setUint32(12, 14, true);
  dv.setUint32(16, 1, true);
  dv.setUint32(20, NDIS_OFFLOAD_ENCAP['8023'], true);
  dv.setUint32(24, 14, true);
  return out;
}

/** The RSS capabilities object openvmm answers: flags 0x301, one interrupt message, the host's queues and table size (18 bytes). */
export function netvspRssCapabilities(config: ResolvedNetvspConfig): Uint8Array {
  const v = ndis_recv_scale_cap.zero();
  v.hdr = { type: NDIS_OBJECT_TYPE.RSS_CAPABILITIES, rev: 2, size: ndis_recv_scale_cap.size };
  v.cap_flag = NDIS_RSS_CAPS.HASH_TYPE_TCP_IPV4 | NDIS_RSS_CAPS.HASH_TYPE_TCP_IPV6 | 0x1; // | NDIS_HASH_FUNCTION_TOEPLITZ
  v.num_int_msg = 1;
  v.num_recv_que = config.maxQueues;
  v.num_indirect_tabent = config.indirectionTableSize;
  return ndis_recv_scale_cap.encode(v);
}

/** The frame size the host reports: the NDIS_CONFIG MTU minus the Ethernet header, capped by the configured MTU. */
export function netvspFrameSize(env: NetvspOidEnv): number {
  return Math.min(env.config.mtu, env.ndisMtu - 14);
}

/** Answers a QUERY (openvmm `handle_oid_query`, plus the configured failures). */
export function netvspQueryOid(oid: number, s: NetvspRndisState, env: NetvspOidEnv): NetvspOidResult {
  const c = env.config;
  const forced = c.faults.failOids.find((f) => f.oid === oid && (f.request ?? 'query') === 'query');
  if (forced) return fail(forced.status ?? RNDIS_STATUS.FAILURE, 'INJECTED_FAILURE');
  switch (oid) {
    case OID.GEN_SUPPORTED_LIST: {
      const v = env.ndisVersion;
      if (!v || (v.major !== 5 && v.major !== 6)) return fail(RNDIS_STATUS.BAD_VERSION, 'BAD_VERSION');
      const list = v.major === 5 ? SUPPORTED_COMMON : [...SUPPORTED_COMMON, ...SUPPORTED_NDIS6, ...(v.minor >= 30 ? SUPPORTED_NDIS630 : [])];
      return ok(u32List(list));
    }
    case OID.GEN_HARDWARE_STATUS:
      return ok(u32(0)); // NdisHardwareStatusReady
    case OID.GEN_MEDIA_SUPPORTED:
    case OID.GEN_MEDIA_IN_USE:
      return ok(u32(0)); // NdisMedium802_3
    case OID.GEN_MAXIMUM_LOOKAHEAD:
    case OID.GEN_CURRENT_LOOKAHEAD:
    case OID.GEN_MAXIMUM_FRAME_SIZE:
      return ok(u32(netvspFrameSize(env)));
    case OID.GEN_MAXIMUM_TOTAL_SIZE:
    case OID.GEN_TRANSMIT_BLOCK_SIZE:
    case OID.GEN_RECEIVE_BLOCK_SIZE:
      return ok(u32(netvspFrameSize(env) + 14));
    case OID.GEN_LINK_SPEED:
      return ok(u32(Math.floor(env.linkSpeed / 100)));
    case OID.GEN_TRANSMIT_BUFFER_SPACE:
    case OID.GEN_RECEIVE_BUFFER_SPACE:
      return ok(u32(256 * 1024));
    case OID.GEN_VENDOR_ID:
      return ok(u32(0x0000155d));
    case OID.GEN_VENDOR_DESCRIPTION:
      return ok(ascii('Microsoft Corporation'));
    case OID.GEN_VENDOR_DRIVER_VERSION:
    case OID.GEN_DRIVER_VERSION:
      return ok(new Uint8Array([0x00, 0x01])); // u16 0x0100 = 1.0
    case OID.GEN_CURRENT_PACKET_FILTER:
      // openvmm answers 0 whatever was set (lib.rs handle_oid_query)
      return ok(u32(0));
    case OID.GEN_MAC_OPTIONS:
      return ok(u32(NETVSP_MAC_OPTIONS));
    case OID.GEN_MEDIA_CONNECT_STATUS:
      return ok(u32(env.linkUp ? RNDIS_MEDIA_STATE.CONNECTED : RNDIS_MEDIA_STATE.DISCONNECTED));
    case OID.GEN_MAXIMUM_SEND_PACKETS:
      return ok(u32(0xffffffff));
    case OID.GEN_FRIENDLY_NAME:
      return ok(friendlyName(c.friendlyName));
    case OID['802_3_PERMANENT_ADDRESS']:
      return ok(Uint8Array.from(c.mac));
    case OID['802_3_CURRENT_ADDRESS']:
      return ok(Uint8Array.from(s.currentMac));
    case OID['802_3_MAXIMUM_LIST_SIZE']:
    case OID['802_3_RCV_ERROR_ALIGNMENT']:
    case OID['802_3_XMIT_ONE_COLLISION']:
    case OID['802_3_XMIT_MORE_COLLISIONS']:
      return ok(u32(0));
    case OID.GEN_LINK_STATE:
      return ok(linkState(env.linkUp, env.linkSpeed));
    case OID.GEN_MAX_LINK_SPEED: {
      const out = new Uint8Array(16);
      const dv = new DataView(out.buffer);
      u64(dv, 0, env.linkSpeed);
      u64(dv, 8, env.linkSpeed);
      return ok(out);
    }
    case OID.TCP_OFFLOAD_HARDWARE_CAPABILITIES:
      return ok(ndis_offload.encode(netvspOffloadObject(netvspFullOffload())));
    case OID.TCP_OFFLOAD_CURRENT_CONFIG:
      return ok(ndis_offload.encode(netvspOffloadObject(s.offload)));
    case OID.OFFLOAD_ENCAPSULATION:
      return ok(offloadEncapsulation());
    case OID.GEN_RECEIVE_SCALE_CAPABILITIES:
      // answered whatever NDIS version the guest announced: only the supported list depends on it (lib.rs handle_oid_query)
      return ok(netvspRssCapabilities(c));
    default:
      return fail(RNDIS_STATUS.NOT_SUPPORTED, 'UNKNOWN_OID');
  }
}

/**
 * Reads an NDIS object the way openvmm's `read_ndis_object` does: the first min(length, size)
 * bytes over a zeroed struct, then the header checks (type, size within what was sent, revision,
 * size at least the revision-1 size).
 */
function ndisObjectHeaderError(info: Uint8Array, type: number, minRevision: number, minSize: number): string | null {
  const t = info.length > 0 ? info[0]! : 0;
  const rev = info.length > 1 ? info[1]! : 0;
  const size = info.length > 3 ? rd16(info, 2) : info.length > 2 ? info[2]! : 0;
  if (t !== type) return 'HEADER_OBJECT_TYPE';
  if (info.length < size) return 'HEADER_SIZE';
  if (rev < minRevision) return 'HEADER_REVISION';
  if (size < minSize) return 'HEADER_SIZE';
  return null;
}

/** `NDIS_OFFLOAD_PARAMETERS_*` value → (tx, rx), or null for "no change" (openvmm `OffloadParametersSimple::tx_rx`). */
function txRx(v: number): [boolean, boolean] | null {
  switch (v) {
    case 1:
      return [false, false];
    case 2:
      return [true, false];
    case 3:
      return [false, true];
    case 4:
      return [true, true];
    default:
      return null;
  }
}

function setOffloadParameters(info: Uint8Array, s: NetvspRndisState): NetvspOidResult {
  // NDIS_SIZEOF_OFFLOAD_PARAMETERS_REVISION_1 = 20
  const err = ndisObjectHeaderError(info, NDIS_OBJECT_TYPE.DEFAULT, 1, 20);
  if (err) return fail(RNDIS_STATUS.INVALID_DATA, err);
  const b = new Uint8Array(28);
  b.set(info.subarray(0, 28));
  const [ip4, tcp4, udp4, tcp6, udp6, lsov1, , lso4, lso6] = b.subarray(4, 13);
  if (lsov1 === 2) return fail(RNDIS_STATUS.NOT_SUPPORTED, 'LSOV1_NOT_SUPPORTED'); // OffloadParametersSimple::ENABLED
  const o = s.offload;
  const apply = (v: number, set: (tx: boolean, rx: boolean) => void) => {
    const tr = txRx(v);
    if (tr) set(tr[0], tr[1]);
  };
  apply(ip4!, (tx, rx) => ((o.txIpv4Header = tx), (o.rxIpv4Header = rx)));
  apply(tcp4!, (tx, rx) => ((o.txTcp4 = tx), (o.rxTcp4 = rx)));
  apply(tcp6!, (tx, rx) => ((o.txTcp6 = tx), (o.rxTcp6 = rx)));
  apply(udp4!, (tx, rx) => ((o.txUdp4 = tx), (o.rxUdp4 = rx)));
  apply(udp6!, (tx, rx) => ((o.txUdp6 = tx), (o.rxUdp6 = rx)));
  if (lso4 === 1 || lso4 === 2) o.lso4 = lso4 === 2;
  if (lso6 === 1 || lso6 === 2) o.lso6 = lso6 === 2;
  s.offloadIndicationDue = true;
  return applied('offload');
}

function setOffloadEncapsulation(info: Uint8Array): NetvspOidResult {
  const err = ndisObjectHeaderError(info, NDIS_OBJECT_TYPE.OFFLOAD_ENCAPSULATION, 1, 28);
  if (err) return fail(RNDIS_STATUS.INVALID_DATA, err);
  const b = new Uint8Array(28);
  b.set(info.subarray(0, 28));
  const on = 1; // NDIS_OFFLOAD_SET_ON
  if (rd32(b, 4) === on && (rd32(b, 8) !== NDIS_OFFLOAD_ENCAP['8023'] || rd32(b, 12) !== 14)) return fail(RNDIS_STATUS.NOT_SUPPORTED, 'IPV4_ENCAP');
  if (rd32(b, 16) === on && (rd32(b, 20) !== NDIS_OFFLOAD_ENCAP['8023'] || rd32(b, 24) !== 14)) return fail(RNDIS_STATUS.NOT_SUPPORTED, 'IPV6_ENCAP');
  return ok();
}

function hasUnpairedSurrogate(t: string): boolean {
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = t.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return true;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

/**
 * OID_GEN_RNDIS_CONFIG_PARAMETER. openvmm's rules: name and value lengths ≤ 255, valid UTF-16; a
 * STRING value must start with a decimal digit (openvmm panicked on a non-digit before PR #3183,
 * now INVALID_DATA) whose bits 0/1 enable TX/RX of the named offload keyword; an INTEGER value is a
 * u32. This host also handles "NetworkAddress" (Linux's MAC change, spec §3.15), which openvmm
 * ignores: 12 hex digits, applied when MAC changes are allowed, else RNDIS_STATUS_NOT_ACCEPTED.
 */
function setConfigParameter(info: Uint8Array, s: NetvspRndisState, config: ResolvedNetvspConfig): NetvspOidResult {
  if (info.length < 20) return fail(RNDIS_STATUS.FAILURE, 'SHORT_INFO_BUFFER');
  if (rd32(info, 4) > 255) return fail(RNDIS_STATUS.INVALID_DATA, 'NAME_LENGTH');
  if (rd32(info, 16) > 255) return fail(RNDIS_STATUS.INVALID_DATA, 'VALUE_LENGTH');
  let p;
  try {
    p = decodeConfigParameter(info);
  } catch (e) {
    if (e instanceof ProtocolError) return fail(RNDIS_STATUS.INVALID_DATA, `CONFIG_PARAMETER_${e.code}`);
    throw e;
  }
  if (hasUnpairedSurrogate(p.name)) return fail(RNDIS_STATUS.INVALID_DATA, 'NAME');
  if (p.parameter_type === RNDIS_CONFIG_PARAM_TYPE.STRING) {
    if (p.value.length % 2 !== 0) return fail(RNDIS_STATUS.INVALID_DATA, 'VALUE');
    let value = '';
    for (let i = 0; i < p.value.length; i += 2) value += String.fromCharCode(rd16(p.value, i));
    if (hasUnpairedSurrogate(value)) return fail(RNDIS_STATUS.INVALID_DATA, 'VALUE');
    if (p.name === RNDIS_NETWORK_ADDRESS_PARAMETER) {
      let mac: Uint8Array;
      try {
        mac = parseNetworkAddressParameter(p);
      } catch (e) {
        if (e instanceof ProtocolError) return fail(RNDIS_STATUS.INVALID_DATA, 'NETWORK_ADDRESS');
        throw e;
      }
      if (!config.allowMacChange) return fail(RNDIS_STATUS.NOT_ACCEPTED, 'MAC_CHANGE_NOT_ALLOWED');
      s.currentMac = mac;
      return applied('mac');
    }
    const d = value.length > 0 ? value.charCodeAt(0) - 0x30 : -1;
    if (!(d >= 0 && d <= 9)) return fail(RNDIS_STATUS.INVALID_DATA, 'VALUE_AS_NUM');
    const tx = (d & 1) !== 0;
    const rx = (d & 2) !== 0;
    const o = s.offload;
    switch (p.name) {
      case '*IPChecksumOffloadIPv4':
        o.txIpv4Header = tx;
        o.rxIpv4Header = rx;
        break;
      case '*LsoV2IPv4':
        o.lso4 = d !== 0;
        break;
      case '*LsoV2IPv6':
        o.lso6 = d !== 0;
        break;
      case '*TCPChecksumOffloadIPv4':
        o.txTcp4 = tx;
        o.rxTcp4 = rx;
        break;
      case '*TCPChecksumOffloadIPv6':
        o.txTcp6 = tx;
        o.rxTcp6 = rx;
        break;
      case '*UDPChecksumOffloadIPv4':
        o.txUdp4 = tx;
        o.rxUdp4 = rx;
        break;
      case '*UDPChecksumOffloadIPv6':
        o.txUdp6 = tx;
        o.rxUdp6 = rx;
        break;
      default:
        break;
    }
    return ok();
  }
  if (p.parameter_type === RNDIS_CONFIG_PARAM_TYPE.INTEGER && p.value.length < 4) return fail(RNDIS_STATUS.FAILURE, 'SHORT_VALUE');
  return ok();
}

/**
 * OID_GEN_RECEIVE_SCALE_PARAMETERS, openvmm's `oid_set_rss_parameters`: the NDIS header is not
 * checked (vmswitch does not); the first 40 bytes are read over zeros; DISABLE_RSS or a hash
 * function of 0 disables RSS; otherwise the key must be 40 bytes and the table a non-zero multiple
 * of 4 bytes (INVALID_DATA — a zero size once divided by zero in openvmm), the key and the first
 * min(entries, host size) entries are read at their object-relative offsets (outside the buffer:
 * FAILURE), every entry must be below the host's queue count (INVALID_DATA), and a short table is
 * repeated to fill the host's.
 */
function setRssParameters(info: Uint8Array, s: NetvspRndisState, config: ResolvedNetvspConfig): NetvspOidResult {
  const p = new Uint8Array(40);
  p.set(info.subarray(0, 40));
  const flag = rd16(p, 4);
  const hashInfo = rd32(p, 8);
  if ((flag & NDIS_RSS_PARAM_FLAG.DISABLE_RSS) !== 0 || (hashInfo & NDIS_HASH_FUNCTION_MASK) === 0) {
    s.rss = null;
    return applied('rss-disabled');
  }
  const tabBytes = rd16(p, 12);
  const tabOff = rd32(p, 16);
  const keySize = rd16(p, 20);
  const keyOff = rd32(p, 24);
  // The checks of rss/indirection.ts `checkRssTable`, in openvmm's order, without building error
  // objects on this hot, guest-driven path.
  if (keySize !== NETVSC_HASH_KEYLEN) return fail(RNDIS_STATUS.INVALID_DATA, 'HASH_SECRET_KEY_SIZE');
  if (tabBytes === 0 || tabBytes % 4 !== 0) return fail(RNDIS_STATUS.INVALID_DATA, 'INDIRECTION_TABLE_SIZE');
  const n = Math.min(tabBytes / 4, config.indirectionTableSize);
  if (keyOff + 40 > info.length) return fail(RNDIS_STATUS.FAILURE, 'HASH_SECRET_KEY_OUTSIDE_BUFFER');
  if (tabOff + 4 * n > info.length) return fail(RNDIS_STATUS.FAILURE, 'INDIRECTION_TABLE_OUTSIDE_BUFFER');
  const key = info.slice(keyOff, keyOff + 40);
  const entries = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const e = rd32(info, tabOff + 4 * i);
    if (e >= config.maxQueues) return fail(RNDIS_STATUS.INVALID_DATA, 'INDIRECTION_TABLE');
    entries[i] = e;
  }
  s.rss = new RssState(hashInfo, key, expandIndirectionTable(entries, config.indirectionTableSize), n);
  return applied('rss');
}

/**
 * {@link NetvspRssState} whose Toeplitz lookup tables (36 KiB, the costliest part of an RSS SET) are
 * built when the first frame is hashed: a reconfiguration sets RSS twice and may never see a frame.
 */
class RssState implements NetvspRssState {
  private prepared: ToeplitzKey | null = null;

  constructor(
    readonly hashInfo: number,
    readonly key: Uint8Array,
    readonly table: Uint32Array,
    readonly guestEntries: number,
  ) {}

  get toeplitz(): ToeplitzKey {
    return (this.prepared ??= new ToeplitzKey(this.key));
  }
}

/** Applies a SET (openvmm `handle_oid_set`, plus the configured failures and the refused vSwitch OID). */
export function netvspSetOid(oid: number, info: Uint8Array, s: NetvspRndisState, env: NetvspOidEnv): NetvspOidResult {
  const c = env.config;
  const forced = c.faults.failOids.find((f) => f.oid === oid && (f.request ?? 'set') === 'set');
  if (forced) return fail(forced.status ?? RNDIS_STATUS.FAILURE, 'INJECTED_FAILURE');
  switch (oid) {
    case OID.GEN_CURRENT_PACKET_FILTER:
      if (info.length < 4) return fail(RNDIS_STATUS.FAILURE, 'SHORT_INFO_BUFFER');
      s.packetFilter = rd32(info, 0);
      return applied('packet-filter');
    case OID.TCP_OFFLOAD_PARAMETERS:
      return setOffloadParameters(info, s);
    case OID.OFFLOAD_ENCAPSULATION:
      return setOffloadEncapsulation(info);
    case OID.GEN_RNDIS_CONFIG_PARAMETER:
      return setConfigParameter(info, s, c);
    case OID.GEN_NETWORK_LAYER_ADDRESSES:
      return ok();
    case OID.GEN_RECEIVE_SCALE_PARAMETERS:
      return setRssParameters(info, s, c);
    case OID.SWITCH_NIC_REQUEST:
      // Host-internal vSwitch OID (CVE-2021-28476: vmswitch dereferenced a guest pointer here). A
      // guest SET is refused like any OID the host does not take from guests.
      return fail(RNDIS_STATUS.NOT_SUPPORTED, 'SWITCH_NIC_REQUEST_REFUSED');
    default:
      return fail(RNDIS_STATUS.NOT_SUPPORTED, 'UNKNOWN_OID');
  }
}

