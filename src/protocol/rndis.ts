/**
 * RNDIS, as carried inside NVSP `SEND_RNDIS_PKT` messages between `hv_netvsc` and NetVSP: every
 * message type and completion, their kernel struct declarations, status codes, and one codec for
 * the whole message as a discriminated union.
 *
 * ## Wire format (shared/spec/nvsp-rndis-netvsc.md §3; linux include/linux/rndis.h,
 * drivers/net/hyperv/hyperv_net.h, Debian 6.1.192)
 * Every message starts with an 8-byte header: `ndis_msg_type` u32 @0 and `msg_len` u32 @4 (the
 * whole message, header included). The body follows at absolute offset 8 and starts with the
 * type's fixed struct (`rndis_query_request`, `rndis_packet`, …).
 *
 * ## Offsets: relative to what (§3.3)
 * Every RNDIS `*_offset` field — query/set `info_buf_offset`, query-complete `info_buf_offset`,
 * indicate `status_buf_offset`, packet `data_offset`, `oob_data_offset`, `per_pkt_info_offset` —
 * counts from the start of the message *body* (absolute offset 8, where `req_id` lives), so the
 * absolute position is `8 + offset`. Linux writes `sizeof(body struct)`: 20 for QUERY/SET, 36 for
 * PACKET; a host typically answers QUERY_C with 16.
 *
 * ## Decoding rules
 * - Fewer than 8 bytes: `SHORT_BUFFER`. `msg_len` < 8 or larger than the bytes present:
 *   `BAD_LENGTH`. `msg_len` too small for the type's fixed struct: `BAD_LENGTH`.
 * - Each variable-length buffer is checked (a buffer of length 0 never is — its offset is kept
 *   as read): it must start at or after the fixed struct (`BAD_OFFSET`, "overlaps the fixed
 *   fields"), start inside the message (`BAD_OFFSET`) and end inside it (`BAD_LENGTH`), and the
 *   three PACKET regions must not overlap each other (`BAD_OFFSET`).
 * - Bytes after the content (up to `msg_len`) are ignored; the value then carries `msg_len`.
 * - **Unknown message types decode to a value**, `{ type: 'UNKNOWN', ndis_msg_type, body }`, not
 *   to an error. A host must tell "a well-framed message I do not handle" (Linux answers those with
 *   a FAIL receive completion; a host can complete them with `RNDIS_STATUS_NOT_SUPPORTED` or drop
 *   them) from "bytes that are not an RNDIS message" (a `ProtocolError`). `RESET_C` and
 *   `KEEPALIVE`, which Linux does not handle, still decode to their own types.
 * - By default regions are checked against `msg_len`. With `{ bound: 'buffer' }` they are checked
 *   against all bytes from the message start to the end of the buffer instead — what Linux does for
 *   PACKET data/PPI and for the LINK_SPEED_CHANGE status buffer, which it checks against the
 *   transfer-page range length because older vSwitches left the status buffer out of `msg_len`.
 *
 * ## Encoding rules
 * Values carry their offsets explicitly (builders such as {@link rndisSetRequest} fill in Linux's
 * values). The encoder writes `msg_len` = 8 + end of content (or the value's `msg_len`, which must
 * not be smaller), zero-fills gaps and padding, and applies the same region rules.
 *
 * @example
 * ```ts
 * const bytes = encodeRndis(rndisSetRequest(12, OID.GEN_CURRENT_PACKET_FILTER, u32le(0x0d)));
 * const msg = decodeRndis(bytes);
 * if (msg.type === 'SET') msg.oid; // 0x0001010e
 * ```
 *
 * @module
 */
import { bytes, reserved, struct, u32 } from '../wire/struct.js';
import type { Codec } from '../wire/struct.js';
import { ProtocolError } from '../wire/errors.js';
import {
  available,
  checkRegions,
  contentEnd,
  needBytes,
  needObject,
  needU32,
  outBuffer,
  rd32,
  wr32,
  type Region,
} from './rndis-util.js';

// ---------------------------------------------------------------------------------------------
// Constants

/** Size of the RNDIS header (`ndis_msg_type`, `msg_len`): `RNDIS_HEADER_SIZE` in hyperv_net.h. */
export const RNDIS_HEADER_SIZE = 8;

/** Extra bytes Linux reserves after its request/response copies (`RNDIS_EXT_LEN`, hyperv_net.h). */
export const RNDIS_EXT_LEN = 4096;

/** RNDIS protocol version Linux sends in INIT (`RNDIS_MAJOR_VERSION`/`RNDIS_MINOR_VERSION`, rndis.h). */
export const RNDIS_MAJOR_VERSION = 1;
/** See {@link RNDIS_MAJOR_VERSION}. */
export const RNDIS_MINOR_VERSION = 0;

/** `max_xfer_size` Linux puts in its INIT request (rndis_filter.c `rndis_filter_init_device`). */
export const RNDIS_LINUX_MAX_XFER_SIZE = 0x4000;

/** Packets per message Linux assumes before INIT_C arrives (`RNDIS_MAX_PKT_DEFAULT`, hyperv_net.h). */
export const RNDIS_MAX_PKT_DEFAULT = 8;
/** Packet alignment Linux assumes before INIT_C arrives (`RNDIS_PKT_ALIGN_DEFAULT`, hyperv_net.h). */
export const RNDIS_PKT_ALIGN_DEFAULT = 8;

/** RNDIS message type codes (`RNDIS_MSG_*`, rndis.h; SET_EX from openvmm rndisprot.rs). */
export const RNDIS_MSG = {
  PACKET: 0x00000001,
  INIT: 0x00000002,
  INIT_C: 0x80000002,
  HALT: 0x00000003,
  QUERY: 0x00000004,
  QUERY_C: 0x80000004,
  SET: 0x00000005,
  SET_C: 0x80000005,
  RESET: 0x00000006,
  RESET_C: 0x80000006,
  INDICATE: 0x00000007,
  KEEPALIVE: 0x00000008,
  KEEPALIVE_C: 0x80000008,
  SET_EX: 0x00000009,
  SET_EX_C: 0x80000009,
} as const;

/** The completion bit of a message type (`RNDIS_MSG_COMPLETION`). */
export const RNDIS_MSG_COMPLETION = 0x80000000;
/** Reserved private bus message type (`RNDIS_MSG_BUS`); decodes as `UNKNOWN`. */
export const RNDIS_MSG_BUS = 0xff000001;

/** The discriminant of an {@link RndisMessage}. */
export type RndisMessageType = keyof typeof RNDIS_MSG | 'UNKNOWN';

const TYPE_BY_CODE: ReadonlyMap<number, keyof typeof RNDIS_MSG> = new Map(
  (Object.entries(RNDIS_MSG) as [keyof typeof RNDIS_MSG, number][]).map(([k, v]) => [v, k]),
);

/** `RNDIS_MSG_SET` for 5, `RNDIS_MSG_BUS` for 0xff000001, otherwise 8-digit hex. */
export function rndisMsgTypeName(code: number): string {
  const t = TYPE_BY_CODE.get(code);
  if (t) return `RNDIS_MSG_${t}`;
  if (code === RNDIS_MSG_BUS) return 'RNDIS_MSG_BUS';
  return `0x${(code >>> 0).toString(16).padStart(8, '0')}`;
}

/** RNDIS/NDIS status codes (`RNDIS_STATUS_*`, rndis.h; TASK_OFFLOAD_CURRENT_CONFIG from openvmm). */
export const RNDIS_STATUS = {
  SUCCESS: 0x00000000,
  PENDING: 0x00000103,
  NOT_RECOGNIZED: 0x00010001,
  NOT_COPIED: 0x00010002,
  NOT_ACCEPTED: 0x00010003,
  CALL_ACTIVE: 0x00010007,
  ONLINE: 0x40010003,
  RESET_START: 0x40010004,
  RESET_END: 0x40010005,
  RING_STATUS: 0x40010006,
  CLOSED: 0x40010007,
  WAN_LINE_UP: 0x40010008,
  WAN_LINE_DOWN: 0x40010009,
  WAN_FRAGMENT: 0x4001000a,
  MEDIA_CONNECT: 0x4001000b,
  MEDIA_DISCONNECT: 0x4001000c,
  HARDWARE_LINE_UP: 0x4001000d,
  HARDWARE_LINE_DOWN: 0x4001000e,
  INTERFACE_UP: 0x4001000f,
  INTERFACE_DOWN: 0x40010010,
  MEDIA_BUSY: 0x40010011,
  MEDIA_SPECIFIC_INDICATION: 0x40010012,
  LINK_SPEED_CHANGE: 0x40010013,
  NETWORK_CHANGE: 0x40010018,
  TASK_OFFLOAD_CURRENT_CONFIG: 0x40020006,
  NOT_RESETTABLE: 0x80010001,
  SOFT_ERRORS: 0x80010003,
  HARD_ERRORS: 0x80010004,
  BUFFER_OVERFLOW: 0x80000005,
  FAILURE: 0xc0000001,
  RESOURCES: 0xc000009a,
  NOT_SUPPORTED: 0xc00000bb,
  CLOSING: 0xc0010002,
  BAD_VERSION: 0xc0010004,
  BAD_CHARACTERISTICS: 0xc0010005,
  ADAPTER_NOT_FOUND: 0xc0010006,
  OPEN_FAILED: 0xc0010007,
  DEVICE_FAILED: 0xc0010008,
  MULTICAST_FULL: 0xc0010009,
  MULTICAST_EXISTS: 0xc001000a,
  MULTICAST_NOT_FOUND: 0xc001000b,
  REQUEST_ABORTED: 0xc001000c,
  RESET_IN_PROGRESS: 0xc001000d,
  CLOSING_INDICATING: 0xc001000e,
  INVALID_PACKET: 0xc001000f,
  OPEN_LIST_FULL: 0xc0010010,
  ADAPTER_NOT_READY: 0xc0010011,
  ADAPTER_NOT_OPEN: 0xc0010012,
  NOT_INDICATING: 0xc0010013,
  INVALID_LENGTH: 0xc0010014,
  INVALID_DATA: 0xc0010015,
  BUFFER_TOO_SHORT: 0xc0010016,
  INVALID_OID: 0xc0010017,
  ADAPTER_REMOVED: 0xc0010018,
  UNSUPPORTED_MEDIA: 0xc0010019,
  GROUP_ADDRESS_IN_USE: 0xc001001a,
  FILE_NOT_FOUND: 0xc001001b,
  ERROR_READING_FILE: 0xc001001c,
  ALREADY_MAPPED: 0xc001001d,
  RESOURCE_CONFLICT: 0xc001001e,
  NO_CABLE: 0xc001001f,
  INVALID_SAP: 0xc0010020,
  SAP_IN_USE: 0xc0010021,
  INVALID_ADDRESS: 0xc0010022,
  VC_NOT_ACTIVATED: 0xc0010023,
  DEST_OUT_OF_ORDER: 0xc0010024,
  VC_NOT_AVAILABLE: 0xc0010025,
  CELLRATE_NOT_AVAILABLE: 0xc0010026,
  INCOMPATABLE_QOS: 0xc0010027,
  AAL_PARAMS_UNSUPPORTED: 0xc0010028,
  NO_ROUTE_TO_DESTINATION: 0xc0010029,
  TOKEN_RING_OPEN_ERROR: 0xc0011000,
} as const;

const STATUS_NAMES: ReadonlyMap<number, string> = new Map(
  (Object.entries(RNDIS_STATUS) as [string, number][]).map(([k, v]) => [v, `RNDIS_STATUS_${k}`]),
);

/** `RNDIS_STATUS_SUCCESS` for 0, …; 8-digit hex for a code netvsc-sim does not know. */
export function rndisStatusName(status: number): string {
  return STATUS_NAMES.get(status) ?? `0x${(status >>> 0).toString(16).padStart(8, '0')}`;
}

/** INIT_C `dev_flags` bits (`RNDIS_DF_*`, rndis.h). */
export const RNDIS_DF = { CONNECTIONLESS: 0x1, CONNECTION_ORIENTED: 0x2, RAW_DATA: 0x4 } as const;

/** INIT_C `medium` for Ethernet (`RNDIS_MEDIUM_802_3`, rndis.h). */
export const RNDIS_MEDIUM_802_3 = 0;

/** Values of OID_GEN_MEDIA_CONNECT_STATUS (`RNDIS_MEDIA_STATE_*`, rndis.h). */
export const RNDIS_MEDIA_STATE = { CONNECTED: 0, DISCONNECTED: 1 } as const;

/** Linux's RNDIS device states: the enumerators of `enum rndis_device_state` (hyperv_net.h). */
export const RndisDeviceState = {
  RNDIS_DEV_UNINITIALIZED: 0,
  RNDIS_DEV_INITIALIZING: 1,
  RNDIS_DEV_INITIALIZED: 2,
  RNDIS_DEV_DATAINITIALIZED: 3,
} as const;

// ---------------------------------------------------------------------------------------------
// Kernel struct declarations (hyperv_net.h). Bodies only: each sits at absolute offset 8.

/** The whole-message struct `rndis_message` (52 bytes: header + the 44-byte body union). */
export const rndis_message = struct('rndis_message', [u32('ndis_msg_type'), u32('msg_len'), bytes('msg', 44)]);
/** INIT body (16 bytes). */
export const rndis_initialize_request = struct('rndis_initialize_request', [
  u32('req_id'),
  u32('major_ver'),
  u32('minor_ver'),
  u32('max_xfer_size'),
]);
/** INIT_C body (44 bytes, the largest body: it sizes `rndis_message`). */
export const rndis_initialize_complete = struct('rndis_initialize_complete', [
  u32('req_id'),
  u32('status'),
  u32('major_ver'),
  u32('minor_ver'),
  u32('dev_flags'),
  u32('medium'),
  u32('max_pkt_per_msg'),
  u32('max_xfer_size'),
  u32('pkt_alignment_factor'),
  u32('af_list_offset'),
  u32('af_list_size'),
]);
/** HALT body (4 bytes). */
export const rndis_halt_request = struct('rndis_halt_request', [u32('req_id')]);
/** QUERY body (20 bytes); the input buffer follows at body offset `info_buf_offset`. */
export const rndis_query_request = struct('rndis_query_request', [
  u32('req_id'),
  u32('oid'),
  u32('info_buflen'),
  u32('info_buf_offset'),
  u32('dev_vc_handle'),
]);
/** QUERY_C body (16 bytes). */
export const rndis_query_complete = struct('rndis_query_complete', [
  u32('req_id'),
  u32('status'),
  u32('info_buflen'),
  u32('info_buf_offset'),
]);
/**
 * SET body (20 bytes). The kernel's flexible `info_buf[]` member (offset 20, size 0) is not declared:
 * the info buffer is handled by the message codec. SET_EX (openvmm) uses the same layout.
 */
export const rndis_set_request = struct('rndis_set_request', [
  u32('req_id'),
  u32('oid'),
  u32('info_buflen'),
  u32('info_buf_offset'),
  u32('dev_vc_handle'),
]);
/** SET_C body (8 bytes). */
export const rndis_set_complete = struct('rndis_set_complete', [u32('req_id'), u32('status')]);
/** RESET body (4 reserved bytes). */
export const rndis_reset_request = struct('rndis_reset_request', [reserved('reserved', 4)]);
/** RESET_C body (8 bytes; note: no `req_id`). */
export const rndis_reset_complete = struct('rndis_reset_complete', [u32('status'), u32('addressing_reset')]);
/** INDICATE body (12 bytes); the status buffer follows at body offset `status_buf_offset`. */
export const rndis_indicate_status = struct('rndis_indicate_status', [
  u32('status'),
  u32('status_buflen'),
  u32('status_buf_offset'),
]);
/** KEEPALIVE body (4 bytes). */
export const rndis_keepalive_request = struct('rndis_keepalive_request', [u32('req_id')]);
/** KEEPALIVE_C body (8 bytes). */
export const rndis_keepalive_complete = struct('rndis_keepalive_complete', [u32('req_id'), u32('status')]);
/** PACKET body (36 bytes); offsets count from its first byte. */
export const rndis_packet = struct('rndis_packet', [
  u32('data_offset'),
  u32('data_len'),
  u32('oob_data_offset'),
  u32('oob_data_len'),
  u32('num_oob_data_elements'),
  u32('per_pkt_info_offset'),
  u32('per_pkt_info_len'),
  u32('vc_handle'),
  reserved('reserved', 4),
]);

const H = RNDIS_HEADER_SIZE;

// Field positions inside the bodies, taken from the declarations above (one source of truth).
const Q = {
  oid: rndis_query_request.offsetOf('oid'),
  len: rndis_query_request.offsetOf('info_buflen'),
  off: rndis_query_request.offsetOf('info_buf_offset'),
  vc: rndis_query_request.offsetOf('dev_vc_handle'),
  size: rndis_query_request.size,
};
const QC = {
  status: rndis_query_complete.offsetOf('status'),
  len: rndis_query_complete.offsetOf('info_buflen'),
  off: rndis_query_complete.offsetOf('info_buf_offset'),
  size: rndis_query_complete.size,
};
const IND = {
  status: rndis_indicate_status.offsetOf('status'),
  len: rndis_indicate_status.offsetOf('status_buflen'),
  off: rndis_indicate_status.offsetOf('status_buf_offset'),
  size: rndis_indicate_status.size,
};
const PKT = {
  data_offset: rndis_packet.offsetOf('data_offset'),
  data_len: rndis_packet.offsetOf('data_len'),
  oob_data_offset: rndis_packet.offsetOf('oob_data_offset'),
  oob_data_len: rndis_packet.offsetOf('oob_data_len'),
  num_oob: rndis_packet.offsetOf('num_oob_data_elements'),
  ppi_offset: rndis_packet.offsetOf('per_pkt_info_offset'),
  ppi_len: rndis_packet.offsetOf('per_pkt_info_len'),
  vc: rndis_packet.offsetOf('vc_handle'),
  size: rndis_packet.size,
};
const INITC_FIELDS = rndis_initialize_complete.layout.fields.map((f) => f.name);
const INIT_FIELDS = rndis_initialize_request.layout.fields.map((f) => f.name);

// ---------------------------------------------------------------------------------------------
// Message values

/** Present on a decoded value only when `msg_len` is larger than the content needs (trailing padding). */
interface Padded {
  /** Total message length when larger than header + content; the extra bytes are zero on encode. */
  msg_len?: number;
}

/** `RNDIS_MSG_PACKET`: one Ethernet frame with its per-packet info (both directions). */
export interface RndisPacketMessage extends Padded {
  type: 'PACKET';
  /** Body-relative offset of the frame (Linux: 36 + PPI length). */
  data_offset: number;
  /** The frame (`data_len` bytes at `data_offset`). */
  data: Uint8Array;
  /** Body-relative offset of the out-of-band data (0 in netvsc). */
  oob_data_offset: number;
  /** Out-of-band data (`oob_data_len` bytes). */
  oob_data: Uint8Array;
  num_oob_data_elements: number;
  /** Body-relative offset of the PPI block (Linux: always 36, even with no PPI). */
  per_pkt_info_offset: number;
  /** The raw PPI block (`per_pkt_info_len` bytes); decode it with `ppiList`. */
  per_pkt_info: Uint8Array;
  vc_handle: number;
}

/** `RNDIS_MSG_INIT` (guest → host). */
export interface RndisInitializeRequest extends Padded {
  type: 'INIT';
  req_id: number;
  major_ver: number;
  minor_ver: number;
  max_xfer_size: number;
}

/**
 * `RNDIS_MSG_INIT_C` (host → guest). `af_list_offset`/`af_list_size` (call-manager address families)
 * are kept as numbers and never used to read: netvsc hosts send 0 and Linux ignores them.
 */
export interface RndisInitializeComplete extends Padded {
  type: 'INIT_C';
  req_id: number;
  status: number;
  major_ver: number;
  minor_ver: number;
  dev_flags: number;
  medium: number;
  max_pkt_per_msg: number;
  max_xfer_size: number;
  pkt_alignment_factor: number;
  af_list_offset: number;
  af_list_size: number;
}

/** `RNDIS_MSG_HALT` (guest → host; no completion exists). */
export interface RndisHaltRequest extends Padded {
  type: 'HALT';
  req_id: number;
}

/** `RNDIS_MSG_QUERY` (guest → host), with its input buffer (Linux pre-fills NDIS object headers). */
export interface RndisQueryRequest extends Padded {
  type: 'QUERY';
  req_id: number;
  oid: number;
  /** Body-relative (Linux: 20). */
  info_buf_offset: number;
  info_buf: Uint8Array;
  dev_vc_handle: number;
}

/** `RNDIS_MSG_QUERY_C` (host → guest). */
export interface RndisQueryComplete extends Padded {
  type: 'QUERY_C';
  req_id: number;
  status: number;
  /** Body-relative (typical host: 16). */
  info_buf_offset: number;
  info_buf: Uint8Array;
}

/** `RNDIS_MSG_SET` (guest → host). */
export interface RndisSetRequest extends Padded {
  type: 'SET';
  req_id: number;
  oid: number;
  /** Body-relative (Linux: 20). */
  info_buf_offset: number;
  info_buf: Uint8Array;
  dev_vc_handle: number;
}

/** `RNDIS_MSG_SET_C` (host → guest). */
export interface RndisSetComplete extends Padded {
  type: 'SET_C';
  req_id: number;
  status: number;
}

/** `RNDIS_MSG_RESET` (not sent by Linux). Its body is one reserved word. */
export interface RndisResetRequest extends Padded {
  type: 'RESET';
}

/** `RNDIS_MSG_RESET_C` (not handled by Linux). */
export interface RndisResetComplete extends Padded {
  type: 'RESET_C';
  status: number;
  addressing_reset: number;
}

/** `RNDIS_MSG_INDICATE` (host → guest status indication). */
export interface RndisIndicateStatus extends Padded {
  type: 'INDICATE';
  status: number;
  /** Body-relative (Linux requires ≥ 12 for LINK_SPEED_CHANGE). */
  status_buf_offset: number;
  status_buf: Uint8Array;
}

/** `RNDIS_MSG_KEEPALIVE`. */
export interface RndisKeepaliveRequest extends Padded {
  type: 'KEEPALIVE';
  req_id: number;
}

/** `RNDIS_MSG_KEEPALIVE_C`. */
export interface RndisKeepaliveComplete extends Padded {
  type: 'KEEPALIVE_C';
  req_id: number;
  status: number;
}

/** `SET_EX` (openvmm rndisprot.rs): same layout as SET. */
export interface RndisSetExRequest extends Padded {
  type: 'SET_EX';
  req_id: number;
  oid: number;
  info_buf_offset: number;
  info_buf: Uint8Array;
  dev_vc_handle: number;
}

/** `SET_EX_C` (openvmm rndisprot.rs): same layout as QUERY_C. */
export interface RndisSetExComplete extends Padded {
  type: 'SET_EX_C';
  req_id: number;
  status: number;
  info_buf_offset: number;
  info_buf: Uint8Array;
}

/** A well-framed message of a type netvsc-sim does not know (for example `RNDIS_MSG_BUS`). */
export interface RndisUnknownMessage {
  type: 'UNKNOWN';
  /** The raw type code; never one of {@link RNDIS_MSG}. */
  ndis_msg_type: number;
  /** Bytes 8..msg_len. */
  body: Uint8Array;
}

/** Any RNDIS message, discriminated by `type`. */
export type RndisMessage =
  | RndisPacketMessage
  | RndisInitializeRequest
  | RndisInitializeComplete
  | RndisHaltRequest
  | RndisQueryRequest
  | RndisQueryComplete
  | RndisSetRequest
  | RndisSetComplete
  | RndisResetRequest
  | RndisResetComplete
  | RndisIndicateStatus
  | RndisKeepaliveRequest
  | RndisKeepaliveComplete
  | RndisSetExRequest
  | RndisSetExComplete
  | RndisUnknownMessage;

/** The message value of one `type`: `RndisMessageOf<'SET'>` is {@link RndisSetRequest}. */
export type RndisMessageOf<T extends RndisMessageType> = Extract<RndisMessage, { type: T }>;

/** Options for {@link decodeRndis}. */
export interface RndisDecodeOptions {
  /**
   * What variable-length buffers must fit in: `'msg_len'` (default) — the message as its header
   * declares it; `'buffer'` — every byte from the message start to the end of the buffer given
   * (Linux's rule for PACKET and LINK_SPEED_CHANGE, which it checks against the transfer-range
   * length). A value decoded with `'buffer'` may not re-encode when a buffer lies past `msg_len`.
   */
  bound?: 'msg_len' | 'buffer';
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** The two header words of the message at `offset`, without checking `msg_len`. */
export function rndisHeader(buf: Uint8Array, offset = 0): { ndis_msg_type: number; msg_len: number } {
  const avail = available('rndis_message', buf, offset);
  if (avail < RNDIS_HEADER_SIZE) {
    throw new ProtocolError('SHORT_BUFFER', `needs 8 bytes but only ${avail} remain`, {
      struct: 'rndis_message',
      field: avail < 4 ? 'ndis_msg_type' : 'msg_len',
      offset,
    });
  }
  return { ndis_msg_type: rd32(buf, offset), msg_len: rd32(buf, offset + 4) };
}

/** Minimum body size (the fixed struct) of each known type. */
const FIXED: Record<keyof typeof RNDIS_MSG, number> = {
  PACKET: rndis_packet.size,
  INIT: rndis_initialize_request.size,
  INIT_C: rndis_initialize_complete.size,
  HALT: rndis_halt_request.size,
  QUERY: rndis_query_request.size,
  QUERY_C: rndis_query_complete.size,
  SET: rndis_set_request.size,
  SET_C: rndis_set_complete.size,
  RESET: rndis_reset_request.size,
  RESET_C: rndis_reset_complete.size,
  INDICATE: rndis_indicate_status.size,
  KEEPALIVE: rndis_keepalive_request.size,
  KEEPALIVE_C: rndis_keepalive_complete.size,
  SET_EX: rndis_set_request.size,
  SET_EX_C: rndis_query_complete.size,
};

const STRUCT_NAME: Record<keyof typeof RNDIS_MSG, string> = {
  PACKET: 'rndis_packet',
  INIT: 'rndis_initialize_request',
  INIT_C: 'rndis_initialize_complete',
  HALT: 'rndis_halt_request',
  QUERY: 'rndis_query_request',
  QUERY_C: 'rndis_query_complete',
  SET: 'rndis_set_request',
  SET_C: 'rndis_set_complete',
  RESET: 'rndis_reset_request',
  RESET_C: 'rndis_reset_complete',
  INDICATE: 'rndis_indicate_status',
  KEEPALIVE: 'rndis_keepalive_request',
  KEEPALIVE_C: 'rndis_keepalive_complete',
  SET_EX: 'rndis_set_request',
  SET_EX_C: 'rndis_query_complete',
};

function padded<T extends object>(value: T, msgLen: number, end: number): T {
  if (msgLen !== RNDIS_HEADER_SIZE + end) (value as Padded).msg_len = msgLen;
  return value;
}

/**
 * Decodes the RNDIS message at `offset` (module comment for the rules).
 * @throws {@link ProtocolError} `SHORT_BUFFER`, `BAD_LENGTH` or `BAD_OFFSET`, and nothing else.
 */
export function decodeRndis(buf: Uint8Array, offset = 0, options: RndisDecodeOptions = {}): RndisMessage {
  const { ndis_msg_type: code, msg_len: msgLen } = rndisHeader(buf, offset);
  const avail = buf.length - offset;
  if (msgLen < RNDIS_HEADER_SIZE) {
    throw new ProtocolError('BAD_LENGTH', 'is smaller than the 8-byte header', {
      struct: 'rndis_message',
      field: 'msg_len',
      value: msgLen,
      offset: offset + 4,
    });
  }
  if (msgLen > avail) {
    throw new ProtocolError('BAD_LENGTH', `exceeds the ${avail} bytes present`, {
      struct: 'rndis_message',
      field: 'msg_len',
      value: msgLen,
      offset: offset + 4,
    });
  }
  const type = TYPE_BY_CODE.get(code);
  const p = offset + RNDIS_HEADER_SIZE;
  if (type === undefined) {
    return { type: 'UNKNOWN', ndis_msg_type: code, body: buf.slice(p, offset + msgLen) };
  }
  const body = msgLen - RNDIS_HEADER_SIZE;
  const fixed = FIXED[type];
  const sname = STRUCT_NAME[type];
  if (body < fixed) {
    throw new ProtocolError('BAD_LENGTH', `is too small for ${rndisMsgTypeName(code)} (needs ${RNDIS_HEADER_SIZE + fixed})`, {
      struct: 'rndis_message',
      field: 'msg_len',
      value: msgLen,
      offset: offset + 4,
    });
  }
  const limit = options.bound === 'buffer' ? avail - RNDIS_HEADER_SIZE : body;

  switch (type) {
    case 'PACKET': {
      const dOff = rd32(buf, p + PKT.data_offset);
      const dLen = rd32(buf, p + PKT.data_len);
      const oOff = rd32(buf, p + PKT.oob_data_offset);
      const oLen = rd32(buf, p + PKT.oob_data_len);
      const iOff = rd32(buf, p + PKT.ppi_offset);
      const iLen = rd32(buf, p + PKT.ppi_len);
      const regions: Region[] = [
        { offsetField: 'data_offset', lengthField: 'data_len', offset: dOff, length: dLen, at: p + PKT.data_offset },
        { offsetField: 'oob_data_offset', lengthField: 'oob_data_len', offset: oOff, length: oLen, at: p + PKT.oob_data_offset },
        { offsetField: 'per_pkt_info_offset', lengthField: 'per_pkt_info_len', offset: iOff, length: iLen, at: p + PKT.ppi_offset },
      ];
      checkRegions(sname, regions, fixed, limit);
      const msg: RndisPacketMessage = {
        type,
        data_offset: dOff,
        data: dLen ? buf.slice(p + dOff, p + dOff + dLen) : new Uint8Array(0),
        oob_data_offset: oOff,
        oob_data: oLen ? buf.slice(p + oOff, p + oOff + oLen) : new Uint8Array(0),
        num_oob_data_elements: rd32(buf, p + PKT.num_oob),
        per_pkt_info_offset: iOff,
        per_pkt_info: iLen ? buf.slice(p + iOff, p + iOff + iLen) : new Uint8Array(0),
        vc_handle: rd32(buf, p + PKT.vc),
      };
      return padded(msg, msgLen, contentEnd(fixed, regions));
    }
    case 'INIT': {
      const msg = { type } as RndisInitializeRequest;
      const m = msg as unknown as Record<string, number>;
      for (let i = 0; i < INIT_FIELDS.length; i++) m[INIT_FIELDS[i]!] = rd32(buf, p + 4 * i);
      return padded(msg, msgLen, fixed);
    }
    case 'INIT_C': {
      const msg = { type } as RndisInitializeComplete;
      const m = msg as unknown as Record<string, number>;
      for (let i = 0; i < INITC_FIELDS.length; i++) m[INITC_FIELDS[i]!] = rd32(buf, p + 4 * i);
      return padded(msg, msgLen, fixed);
    }
    case 'HALT':
    case 'KEEPALIVE':
      return padded({ type, req_id: rd32(buf, p) }, msgLen, fixed);
    case 'SET_C':
    case 'KEEPALIVE_C':
      return padded({ type, req_id: rd32(buf, p), status: rd32(buf, p + 4) }, msgLen, fixed);
    case 'RESET':
      return padded({ type }, msgLen, fixed);
    case 'RESET_C':
      return padded({ type, status: rd32(buf, p), addressing_reset: rd32(buf, p + 4) }, msgLen, fixed);
    case 'QUERY':
    case 'SET':
    case 'SET_EX': {
      const iLen = rd32(buf, p + Q.len);
      const iOff = rd32(buf, p + Q.off);
      const regions: Region[] = [
        { offsetField: 'info_buf_offset', lengthField: 'info_buflen', offset: iOff, length: iLen, at: p + Q.off },
      ];
      checkRegions(sname, regions, fixed, limit);
      const msg = {
        type,
        req_id: rd32(buf, p),
        oid: rd32(buf, p + Q.oid),
        info_buf_offset: iOff,
        info_buf: iLen ? buf.slice(p + iOff, p + iOff + iLen) : new Uint8Array(0),
        dev_vc_handle: rd32(buf, p + Q.vc),
      } as RndisQueryRequest | RndisSetRequest | RndisSetExRequest;
      return padded(msg, msgLen, contentEnd(fixed, regions));
    }
    case 'QUERY_C':
    case 'SET_EX_C': {
      const iLen = rd32(buf, p + QC.len);
      const iOff = rd32(buf, p + QC.off);
      const regions: Region[] = [
        { offsetField: 'info_buf_offset', lengthField: 'info_buflen', offset: iOff, length: iLen, at: p + QC.off },
      ];
      checkRegions(sname, regions, fixed, limit);
      const msg = {
        type,
        req_id: rd32(buf, p),
        status: rd32(buf, p + QC.status),
        info_buf_offset: iOff,
        info_buf: iLen ? buf.slice(p + iOff, p + iOff + iLen) : new Uint8Array(0),
      } as RndisQueryComplete | RndisSetExComplete;
      return padded(msg, msgLen, contentEnd(fixed, regions));
    }
    case 'INDICATE': {
      const sLen = rd32(buf, p + IND.len);
      const sOff = rd32(buf, p + IND.off);
      const regions: Region[] = [
        { offsetField: 'status_buf_offset', lengthField: 'status_buflen', offset: sOff, length: sLen, at: p + IND.off },
      ];
      checkRegions(sname, regions, fixed, limit);
      const msg: RndisIndicateStatus = {
        type,
        status: rd32(buf, p + IND.status),
        status_buf_offset: sOff,
        status_buf: sLen ? buf.slice(p + sOff, p + sOff + sLen) : new Uint8Array(0),
      };
      return padded(msg, msgLen, contentEnd(fixed, regions));
    }
  }
}

/**
 * Decodes back-to-back RNDIS messages filling `buf[offset, offset + length)` exactly, as Linux
 * batches data packets in one send section (each padded message carries its padding in `msg_len`).
 * Returns each message with its offset in `buf`.
 * @throws {@link ProtocolError} when a message is malformed or the last one does not end exactly
 *   at `offset + length`.
 */
export function decodeRndisSequence(
  buf: Uint8Array,
  offset = 0,
  length?: number,
): { offset: number; message: RndisMessage }[] {
  const avail = available('rndis_message', buf, offset);
  const total = length ?? avail;
  if (!Number.isInteger(total) || total < 0 || total > avail) {
    throw new ProtocolError('BAD_LENGTH', `is not within the ${avail} bytes present`, {
      struct: 'rndis_message',
      field: 'length',
      value: length,
    });
  }
  const view = buf.subarray(0, offset + total);
  const out: { offset: number; message: RndisMessage }[] = [];
  let at = offset;
  while (at < offset + total) {
    const message = decodeRndis(view, at);
    out.push({ offset: at, message });
    at += rd32(view, at + 4);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Encoding

interface Plan {
  code: number;
  /** Bytes after the 8-byte header up to the end of the content. */
  end: number;
  total: number;
  regions: Region[];
  datas: Uint8Array[];
}

function region(
  offsetField: string,
  lengthField: string,
  offset: unknown,
  data: Uint8Array,
  at: number,
  lengthAt: number,
  sname: string,
): Region {
  return { offsetField, lengthField, offset: needU32(sname, offsetField, offset), length: data.length, at, lengthAt };
}

function plan(msg: RndisMessage): Plan {
  needObject('rndis_message', msg);
  const type = (msg as { type: unknown }).type;
  if (type === 'UNKNOWN') {
    const m = msg as RndisUnknownMessage;
    const code = needU32('rndis_message', 'ndis_msg_type', m.ndis_msg_type);
    if (TYPE_BY_CODE.has(code)) {
      throw new ProtocolError('BAD_VALUE', `is a known type (${rndisMsgTypeName(code)}); use its own shape`, {
        struct: 'rndis_message',
        field: 'ndis_msg_type',
        value: code,
      });
    }
    const body = needBytes('rndis_message', 'body', m.body, 0xffffffff - RNDIS_HEADER_SIZE);
    return { code, end: body.length, total: RNDIS_HEADER_SIZE + body.length, regions: [], datas: [] };
  }
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(RNDIS_MSG, type)) {
    throw new ProtocolError('BAD_VALUE', 'is not an RNDIS message type', { struct: 'rndis_message', field: 'type', value: type });
  }
  const t = type as keyof typeof RNDIS_MSG;
  const sname = STRUCT_NAME[t];
  const fixed = FIXED[t];
  const regions: Region[] = [];
  const datas: Uint8Array[] = [];
  const add = (offsetField: string, lengthField: string, off: unknown, data: unknown, at: number, lengthAt: number): void => {
    const d = needBytes(sname, lengthField, data);
    regions.push(region(offsetField, lengthField, off, d, at, lengthAt, sname));
    datas.push(d);
  };
  switch (t) {
    case 'PACKET': {
      const m = msg as RndisPacketMessage;
      add('data_offset', 'data_len', m.data_offset, m.data, H + PKT.data_offset, H + PKT.data_len);
      add('oob_data_offset', 'oob_data_len', m.oob_data_offset, m.oob_data, H + PKT.oob_data_offset, H + PKT.oob_data_len);
      add('per_pkt_info_offset', 'per_pkt_info_len', m.per_pkt_info_offset, m.per_pkt_info, H + PKT.ppi_offset, H + PKT.ppi_len);
      break;
    }
    case 'QUERY':
    case 'SET':
    case 'SET_EX': {
      const m = msg as RndisQueryRequest;
      add('info_buf_offset', 'info_buflen', m.info_buf_offset, m.info_buf, H + Q.off, H + Q.len);
      break;
    }
    case 'QUERY_C':
    case 'SET_EX_C': {
      const m = msg as RndisQueryComplete;
      add('info_buf_offset', 'info_buflen', m.info_buf_offset, m.info_buf, H + QC.off, H + QC.len);
      break;
    }
    case 'INDICATE': {
      const m = msg as RndisIndicateStatus;
      add('status_buf_offset', 'status_buflen', m.status_buf_offset, m.status_buf, H + IND.off, H + IND.len);
      break;
    }
    default:
      break;
  }
  checkRegions(sname, regions, fixed, Number.MAX_SAFE_INTEGER);
  const end = contentEnd(fixed, regions);
  let total = RNDIS_HEADER_SIZE + end;
  const given = (msg as Padded).msg_len;
  if (given !== undefined) {
    needU32('rndis_message', 'msg_len', given);
    if (given < total) {
      throw new ProtocolError('BAD_LENGTH', `is smaller than the ${total} bytes the content needs`, {
        struct: 'rndis_message',
        field: 'msg_len',
        value: given,
      });
    }
    total = given;
  }
  if (total > 0xffffffff) {
    throw new ProtocolError('FIELD_RANGE', 'does not fit u32', { struct: 'rndis_message', field: 'msg_len', value: total });
  }
  return { code: RNDIS_MSG[t], end, total, regions, datas };
}

/** The number of bytes {@link encodeRndis} writes for `msg` (its `msg_len`). */
export function rndisEncodingLength(msg: RndisMessage): number {
  return plan(msg).total;
}

/**
 * Encodes `msg` into `buf` at `offset` (or a fresh buffer of exactly `msg_len` bytes) and returns
 * the buffer.
 * @throws {@link ProtocolError} `FIELD_RANGE` for a field that does not fit, `BAD_OFFSET`/`BAD_LENGTH`
 *   for buffers placed against the rules, `BAD_VALUE` for an unknown `type` or an `UNKNOWN` message
 *   whose code is a known type, `SHORT_BUFFER` when `buf` has too little room.
 */
export function encodeRndis(msg: RndisMessage, buf?: Uint8Array, offset = 0): Uint8Array {
  const pl = plan(msg);
  const out = outBuffer('rndis_message', pl.total, buf, offset);
  // Validate every scalar before touching the caller's buffer.
  const m = msg as unknown as Record<string, unknown>;
  const p = offset + RNDIS_HEADER_SIZE;
  const scalars = scalarFields(msg);
  const sname = msg.type === 'UNKNOWN' ? 'rndis_message' : STRUCT_NAME[msg.type];
  for (const [name] of scalars) needU32(sname, name, m[name]);
  if (buf !== undefined) out.fill(0, offset, offset + pl.total);
  wr32(out, offset, pl.code);
  wr32(out, offset + 4, pl.total);
  if (msg.type === 'UNKNOWN') {
    out.set(msg.body, p);
    return out;
  }
  for (const [name, at] of scalars) wr32(out, p + at, m[name] as number);
  for (let i = 0; i < pl.regions.length; i++) {
    const r = pl.regions[i]!;
    wr32(out, offset + r.at, r.offset);
    wr32(out, offset + r.lengthAt!, r.length);
    if (r.length) out.set(pl.datas[i]!, p + r.offset);
  }
  return out;
}

/** The plain u32 fields of each type with their body offsets (regions are written separately). */
function scalarFields(msg: RndisMessage): readonly (readonly [string, number])[] {
  switch (msg.type) {
    case 'PACKET':
      return PACKET_SCALARS;
    case 'INIT':
      return INIT_SCALARS;
    case 'INIT_C':
      return INITC_SCALARS;
    case 'HALT':
    case 'KEEPALIVE':
      return REQ_ONLY;
    case 'SET_C':
    case 'KEEPALIVE_C':
      return REQ_STATUS;
    case 'RESET':
    case 'UNKNOWN':
      return [];
    case 'RESET_C':
      return RESETC_SCALARS;
    case 'QUERY':
    case 'SET':
    case 'SET_EX':
      return QUERY_SCALARS;
    case 'QUERY_C':
    case 'SET_EX_C':
      return QUERYC_SCALARS;
    case 'INDICATE':
      return INDICATE_SCALARS;
  }
}

const PACKET_SCALARS = [
  ['num_oob_data_elements', PKT.num_oob],
  ['vc_handle', PKT.vc],
] as const;
const INIT_SCALARS = INIT_FIELDS.map((n, i) => [n, 4 * i] as const);
const INITC_SCALARS = INITC_FIELDS.map((n, i) => [n, 4 * i] as const);
const REQ_ONLY = [['req_id', 0]] as const;
const REQ_STATUS = [
  ['req_id', 0],
  ['status', 4],
] as const;
const RESETC_SCALARS = [
  ['status', rndis_reset_complete.offsetOf('status')],
  ['addressing_reset', rndis_reset_complete.offsetOf('addressing_reset')],
] as const;
const QUERY_SCALARS = [
  ['req_id', 0],
  ['oid', Q.oid],
  ['dev_vc_handle', Q.vc],
] as const;
const QUERYC_SCALARS = [
  ['req_id', 0],
  ['status', QC.status],
] as const;
const INDICATE_SCALARS = [['status', IND.status]] as const;

/** The whole-message codec (dns-packet contract) over {@link decodeRndis} and {@link encodeRndis}. */
export const rndisCodec: Codec<RndisMessage> = {
  name: 'rndis_message',
  encode: encodeRndis,
  decode: (buf, offset = 0) => decodeRndis(buf, offset),
  encodingLength: rndisEncodingLength,
};

// ---------------------------------------------------------------------------------------------
// Builders: the messages as Linux (guest) or a typical host builds them.

const EMPTY = new Uint8Array(0);

/** INIT as Linux sends it: version 1.0, `max_xfer_size` 0x4000 (24 bytes). */
export function rndisInitRequest(req_id: number, max_xfer_size = RNDIS_LINUX_MAX_XFER_SIZE): RndisInitializeRequest {
  return { type: 'INIT', req_id, major_ver: RNDIS_MAJOR_VERSION, minor_ver: RNDIS_MINOR_VERSION, max_xfer_size };
}

/**
 * INIT_C from a host. Defaults: SUCCESS, version 1.0, connectionless 802.3, and Linux's pre-INIT_C
 * assumptions (8 packets per message, alignment factor 3 = 8 bytes); `max_xfer_size` 0.
 */
export function rndisInitComplete(
  req_id: number,
  fields: Partial<Omit<RndisInitializeComplete, 'type' | 'req_id'>> = {},
): RndisInitializeComplete {
  return {
    type: 'INIT_C',
    req_id,
    status: RNDIS_STATUS.SUCCESS,
    major_ver: RNDIS_MAJOR_VERSION,
    minor_ver: RNDIS_MINOR_VERSION,
    dev_flags: RNDIS_DF.CONNECTIONLESS,
    medium: RNDIS_MEDIUM_802_3,
    max_pkt_per_msg: RNDIS_MAX_PKT_DEFAULT,
    max_xfer_size: 0,
    pkt_alignment_factor: 3,
    af_list_offset: 0,
    af_list_size: 0,
    ...fields,
  };
}

/** HALT (12 bytes). */
export function rndisHaltRequest(req_id: number): RndisHaltRequest {
  return { type: 'HALT', req_id };
}

/** QUERY as Linux sends it: input buffer (often empty) at body offset 20, `dev_vc_handle` 0. */
export function rndisQueryRequest(req_id: number, oid: number, input: Uint8Array = EMPTY): RndisQueryRequest {
  return { type: 'QUERY', req_id, oid, info_buf_offset: Q.size, info_buf: input, dev_vc_handle: 0 };
}

/** QUERY_C as a host sends it: result at body offset 16. */
export function rndisQueryComplete(req_id: number, status: number, info: Uint8Array = EMPTY): RndisQueryComplete {
  return { type: 'QUERY_C', req_id, status, info_buf_offset: QC.size, info_buf: info };
}

/** SET as Linux sends it: info at body offset 20, `dev_vc_handle` 0. */
export function rndisSetRequest(req_id: number, oid: number, info: Uint8Array): RndisSetRequest {
  return { type: 'SET', req_id, oid, info_buf_offset: Q.size, info_buf: info, dev_vc_handle: 0 };
}

/** SET_C (16 bytes). */
export function rndisSetComplete(req_id: number, status: number): RndisSetComplete {
  return { type: 'SET_C', req_id, status };
}

/** RESET (12 bytes). */
export function rndisResetRequest(): RndisResetRequest {
  return { type: 'RESET' };
}

/** RESET_C (16 bytes). */
export function rndisResetComplete(status: number, addressing_reset = 0): RndisResetComplete {
  return { type: 'RESET_C', status, addressing_reset };
}

/** KEEPALIVE (12 bytes). */
export function rndisKeepaliveRequest(req_id: number): RndisKeepaliveRequest {
  return { type: 'KEEPALIVE', req_id };
}

/** KEEPALIVE_C (16 bytes). */
export function rndisKeepaliveComplete(req_id: number, status: number): RndisKeepaliveComplete {
  return { type: 'KEEPALIVE_C', req_id, status };
}

/** INDICATE with its status buffer at body offset 12 (right after the fixed fields). */
export function rndisIndicateStatus(status: number, statusBuf: Uint8Array = EMPTY): RndisIndicateStatus {
  return { type: 'INDICATE', status, status_buf_offset: IND.size, status_buf: statusBuf };
}

/**
 * A data PACKET laid out as Linux transmits it (netvsc_drv.c `netvsc_xmit`/`init_ppi_data`): PPI
 * block at body offset 36 (also when empty), the frame right after it, no OOB data.
 * `perPacketInfo` is the encoded PPI block (see `ppiList.encode` / `encodePpiList`).
 */
export function rndisPacket(data: Uint8Array, perPacketInfo: Uint8Array = EMPTY): RndisPacketMessage {
  return {
    type: 'PACKET',
    data_offset: PKT.size + perPacketInfo.length,
    data,
    oob_data_offset: 0,
    oob_data: EMPTY,
    num_oob_data_elements: 0,
    per_pkt_info_offset: PKT.size,
    per_pkt_info: perPacketInfo,
    vc_handle: 0,
  };
}

/** True when `msg` is a completion (`INIT_C`, `QUERY_C`, …): its type code has bit 31 set. */
export function isRndisCompletion(msg: RndisMessage): boolean {
  const code = msg.type === 'UNKNOWN' ? msg.ndis_msg_type : RNDIS_MSG[msg.type];
  return (code & RNDIS_MSG_COMPLETION) !== 0;
}

/** The request id of a request or completion (`undefined` for PACKET, RESET, RESET_C, INDICATE, UNKNOWN). */
export function rndisRequestId(msg: RndisMessage): number | undefined {
  return 'req_id' in msg ? msg.req_id : undefined;
}
