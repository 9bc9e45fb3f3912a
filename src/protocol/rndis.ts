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
  regionBytes,
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
  /** `RNDIS_MSG_PACKET` (0x1): one Ethernet frame with its per-packet info; sent both ways, never completed. */
  PACKET: 0x00000001,
  /** `RNDIS_MSG_INIT` (0x2), guest → host: first message, carries the RNDIS version and `max_xfer_size`; answered by INIT_C. */
  INIT: 0x00000002,
  /** `RNDIS_MSG_INIT_C` (0x80000002), host → guest: INIT's answer with status, medium and batching/alignment limits. */
  INIT_C: 0x80000002,
  /** `RNDIS_MSG_HALT` (0x3), guest → host: stops the device at teardown; no completion exists. */
  HALT: 0x00000003,
  /** `RNDIS_MSG_QUERY` (0x4), guest → host: read an OID's value; answered by QUERY_C. */
  QUERY: 0x00000004,
  /** `RNDIS_MSG_QUERY_C` (0x80000004), host → guest: QUERY's status and the OID's value in the info buffer. */
  QUERY_C: 0x80000004,
  /** `RNDIS_MSG_SET` (0x5), guest → host: write an OID's value (info buffer); answered by SET_C. */
  SET: 0x00000005,
  /** `RNDIS_MSG_SET_C` (0x80000005), host → guest: SET's status only. */
  SET_C: 0x80000005,
  /** `RNDIS_MSG_RESET` (0x6): soft reset of the device; Linux never sends it. */
  RESET: 0x00000006,
  /** `RNDIS_MSG_RESET_C` (0x80000006): RESET's answer (status, addressing_reset, no req_id); Linux treats it as unknown. */
  RESET_C: 0x80000006,
  /** `RNDIS_MSG_INDICATE` (0x7), host → guest: unsolicited status indication (link, speed, network change); not completed. */
  INDICATE: 0x00000007,
  /** `RNDIS_MSG_KEEPALIVE` (0x8): liveness check; Linux neither sends it nor handles one it receives. */
  KEEPALIVE: 0x00000008,
  /** `RNDIS_MSG_KEEPALIVE_C` (0x80000008): KEEPALIVE's answer (req_id, status); not handled by Linux. */
  KEEPALIVE_C: 0x80000008,
  /** SET_EX (0x9, openvmm rndisprot.rs; not in Linux): an extended SET with SET's layout. */
  SET_EX: 0x00000009,
  /** SET_EX_C (0x80000009, openvmm; not in Linux): SET_EX's answer, laid out like QUERY_C. */
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

/** `RNDIS_MSG_<name>` of each known code, built once. */
const FULL_NAME_BY_CODE: ReadonlyMap<number, string> = new Map([...TYPE_BY_CODE].map(([code, t]) => [code, `RNDIS_MSG_${t}`]));

/** `RNDIS_MSG_SET` for 5, `RNDIS_MSG_BUS` for 0xff000001, otherwise 8-digit hex. */
export function rndisMsgTypeName(code: number): string {
  const t = FULL_NAME_BY_CODE.get(code);
  if (t) return t;
  if (code === RNDIS_MSG_BUS) return 'RNDIS_MSG_BUS';
  return `0x${(code >>> 0).toString(16).padStart(8, '0')}`;
}

/** RNDIS/NDIS status codes (`RNDIS_STATUS_*`, rndis.h; TASK_OFFLOAD_CURRENT_CONFIG from openvmm). */
export const RNDIS_STATUS = {
  /**
   * `RNDIS_STATUS_SUCCESS` (0x00000000): the request succeeded; the only status Linux accepts in INIT_C and the checked
   * SET_Cs.
   */
  SUCCESS: 0x00000000,
  /**
   * `RNDIS_STATUS_PENDING` (0x00000103): NDIS: the request will complete later; not expected in an RNDIS completion,
   * which is final.
   */
  PENDING: 0x00000103,
  /** `RNDIS_STATUS_NOT_RECOGNIZED` (0x00010001): NDIS: the OID or request is not recognised (legacy informational code). */
  NOT_RECOGNIZED: 0x00010001,
  /** `RNDIS_STATUS_NOT_COPIED` (0x00010002): NDIS: the data was not copied (legacy informational code). */
  NOT_COPIED: 0x00010002,
  /** `RNDIS_STATUS_NOT_ACCEPTED` (0x00010003): NDIS: the packet was not accepted (legacy informational code). */
  NOT_ACCEPTED: 0x00010003,
  /** `RNDIS_STATUS_CALL_ACTIVE` (0x00010007): CoNDIS: a virtual-circuit call is active; unused by netvsc. */
  CALL_ACTIVE: 0x00010007,
  /** `RNDIS_STATUS_ONLINE` (0x40010003): indication: the adapter is online. */
  ONLINE: 0x40010003,
  /** `RNDIS_STATUS_RESET_START` (0x40010004): indication: the adapter has started a reset. */
  RESET_START: 0x40010004,
  /** `RNDIS_STATUS_RESET_END` (0x40010005): indication: the adapter has finished a reset. */
  RESET_END: 0x40010005,
  /** `RNDIS_STATUS_RING_STATUS` (0x40010006): indication: token-ring status change; unused by netvsc. */
  RING_STATUS: 0x40010006,
  /** `RNDIS_STATUS_CLOSED` (0x40010007): indication: the binding was closed. */
  CLOSED: 0x40010007,
  /** `RNDIS_STATUS_WAN_LINE_UP` (0x40010008): indication: a WAN line came up; unused by netvsc. */
  WAN_LINE_UP: 0x40010008,
  /** `RNDIS_STATUS_WAN_LINE_DOWN` (0x40010009): indication: a WAN line went down; unused by netvsc. */
  WAN_LINE_DOWN: 0x40010009,
  /** `RNDIS_STATUS_WAN_FRAGMENT` (0x4001000a): indication: a WAN fragment was received; unused by netvsc. */
  WAN_FRAGMENT: 0x4001000a,
  /**
   * `RNDIS_STATUS_MEDIA_CONNECT` (0x4001000b): indication: link up; Linux turns the carrier on (or, if already up,
   * notifies peers).
   */
  MEDIA_CONNECT: 0x4001000b,
  /** `RNDIS_STATUS_MEDIA_DISCONNECT` (0x4001000c): indication: link down; Linux turns the carrier off. */
  MEDIA_DISCONNECT: 0x4001000c,
  /** `RNDIS_STATUS_HARDWARE_LINE_UP` (0x4001000d): indication: hardware line up (legacy); ignored by Linux. */
  HARDWARE_LINE_UP: 0x4001000d,
  /** `RNDIS_STATUS_HARDWARE_LINE_DOWN` (0x4001000e): indication: hardware line down (legacy); ignored by Linux. */
  HARDWARE_LINE_DOWN: 0x4001000e,
  /** `RNDIS_STATUS_INTERFACE_UP` (0x4001000f): indication: interface up (legacy); ignored by Linux. */
  INTERFACE_UP: 0x4001000f,
  /** `RNDIS_STATUS_INTERFACE_DOWN` (0x40010010): indication: interface down (legacy); ignored by Linux. */
  INTERFACE_DOWN: 0x40010010,
  /** `RNDIS_STATUS_MEDIA_BUSY` (0x40010011): indication: the medium is busy; ignored by Linux. */
  MEDIA_BUSY: 0x40010011,
  /**
   * `RNDIS_STATUS_MEDIA_SPECIFIC_INDICATION` (0x40010012): indication: medium-specific data in the status buffer;
   * ignored by Linux.
   */
  MEDIA_SPECIFIC_INDICATION: 0x40010012,
  /**
   * `RNDIS_STATUS_LINK_SPEED_CHANGE` (0x40010013): indication: new link speed, a u32 in 100 bit/s units in the status
   * buffer (Linux reports it ÷ 10000 as Mbit/s).
   */
  LINK_SPEED_CHANGE: 0x40010013,
  /**
   * `RNDIS_STATUS_NETWORK_CHANGE` (0x40010018): indication (Hyper-V): the network behind the NIC changed; Linux bounces
   * the link (carrier off, MEDIA_CONNECT re-queued 2 s later).
   */
  NETWORK_CHANGE: 0x40010018,
  /**
   * `RNDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG` (0x40020006): indication (NDIS 6, openvmm): the current task-offload
   * configuration changed; ignored by Linux.
   */
  TASK_OFFLOAD_CURRENT_CONFIG: 0x40020006,
  /** `RNDIS_STATUS_NOT_RESETTABLE` (0x80010001): NDIS warning: the adapter cannot be reset. */
  NOT_RESETTABLE: 0x80010001,
  /** `RNDIS_STATUS_SOFT_ERRORS` (0x80010003): NDIS warning: recoverable errors occurred. */
  SOFT_ERRORS: 0x80010003,
  /** `RNDIS_STATUS_HARD_ERRORS` (0x80010004): NDIS warning: unrecoverable errors occurred. */
  HARD_ERRORS: 0x80010004,
  /**
   * `RNDIS_STATUS_BUFFER_OVERFLOW` (0x80000005): NDIS warning: the answer did not fit; Linux stores it in a response too
   * long to copy (> 4148 bytes).
   */
  BUFFER_OVERFLOW: 0x80000005,
  /** `RNDIS_STATUS_FAILURE` (0xc0000001): generic failure. */
  FAILURE: 0xc0000001,
  /** `RNDIS_STATUS_RESOURCES` (0xc000009a): not enough resources to carry out the request. */
  RESOURCES: 0xc000009a,
  /**
   * `RNDIS_STATUS_NOT_SUPPORTED` (0xc00000bb): the request or OID is not supported; what a host answers for a
   * well-framed message it does not handle.
   */
  NOT_SUPPORTED: 0xc00000bb,
  /** `RNDIS_STATUS_CLOSING` (0xc0010002): the binding is closing. */
  CLOSING: 0xc0010002,
  /** `RNDIS_STATUS_BAD_VERSION` (0xc0010004): unsupported (RNDIS/NDIS) version. */
  BAD_VERSION: 0xc0010004,
  /** `RNDIS_STATUS_BAD_CHARACTERISTICS` (0xc0010005): NDIS: invalid driver characteristics. */
  BAD_CHARACTERISTICS: 0xc0010005,
  /** `RNDIS_STATUS_ADAPTER_NOT_FOUND` (0xc0010006): the adapter was not found. */
  ADAPTER_NOT_FOUND: 0xc0010006,
  /** `RNDIS_STATUS_OPEN_FAILED` (0xc0010007): opening the adapter failed. */
  OPEN_FAILED: 0xc0010007,
  /** `RNDIS_STATUS_DEVICE_FAILED` (0xc0010008): the device failed. */
  DEVICE_FAILED: 0xc0010008,
  /** `RNDIS_STATUS_MULTICAST_FULL` (0xc0010009): the multicast address list is full. */
  MULTICAST_FULL: 0xc0010009,
  /** `RNDIS_STATUS_MULTICAST_EXISTS` (0xc001000a): the multicast address is already in the list. */
  MULTICAST_EXISTS: 0xc001000a,
  /** `RNDIS_STATUS_MULTICAST_NOT_FOUND` (0xc001000b): the multicast address is not in the list. */
  MULTICAST_NOT_FOUND: 0xc001000b,
  /** `RNDIS_STATUS_REQUEST_ABORTED` (0xc001000c): the request was aborted (for example by a reset). */
  REQUEST_ABORTED: 0xc001000c,
  /** `RNDIS_STATUS_RESET_IN_PROGRESS` (0xc001000d): the request was refused because a reset is in progress. */
  RESET_IN_PROGRESS: 0xc001000d,
  /** `RNDIS_STATUS_CLOSING_INDICATING` (0xc001000e): the binding is closing while indicating. */
  CLOSING_INDICATING: 0xc001000e,
  /** `RNDIS_STATUS_INVALID_PACKET` (0xc001000f): the packet is malformed. */
  INVALID_PACKET: 0xc001000f,
  /** `RNDIS_STATUS_OPEN_LIST_FULL` (0xc0010010): the open list is full. */
  OPEN_LIST_FULL: 0xc0010010,
  /** `RNDIS_STATUS_ADAPTER_NOT_READY` (0xc0010011): the adapter is not ready. */
  ADAPTER_NOT_READY: 0xc0010011,
  /** `RNDIS_STATUS_ADAPTER_NOT_OPEN` (0xc0010012): the adapter is not open. */
  ADAPTER_NOT_OPEN: 0xc0010012,
  /** `RNDIS_STATUS_NOT_INDICATING` (0xc0010013): NDIS: not indicating. */
  NOT_INDICATING: 0xc0010013,
  /** `RNDIS_STATUS_INVALID_LENGTH` (0xc0010014): the information buffer has the wrong length for the OID. */
  INVALID_LENGTH: 0xc0010014,
  /** `RNDIS_STATUS_INVALID_DATA` (0xc0010015): the information buffer holds invalid data for the OID. */
  INVALID_DATA: 0xc0010015,
  /** `RNDIS_STATUS_BUFFER_TOO_SHORT` (0xc0010016): the information buffer is too short for the answer. */
  BUFFER_TOO_SHORT: 0xc0010016,
  /** `RNDIS_STATUS_INVALID_OID` (0xc0010017): the OID is not valid for this device. */
  INVALID_OID: 0xc0010017,
  /** `RNDIS_STATUS_ADAPTER_REMOVED` (0xc0010018): the adapter has been removed. */
  ADAPTER_REMOVED: 0xc0010018,
  /** `RNDIS_STATUS_UNSUPPORTED_MEDIA` (0xc0010019): the medium is not supported. */
  UNSUPPORTED_MEDIA: 0xc0010019,
  /** `RNDIS_STATUS_GROUP_ADDRESS_IN_USE` (0xc001001a): the group address is in use. */
  GROUP_ADDRESS_IN_USE: 0xc001001a,
  /** `RNDIS_STATUS_FILE_NOT_FOUND` (0xc001001b): a file was not found (driver-load time). */
  FILE_NOT_FOUND: 0xc001001b,
  /** `RNDIS_STATUS_ERROR_READING_FILE` (0xc001001c): a file could not be read (driver-load time). */
  ERROR_READING_FILE: 0xc001001c,
  /** `RNDIS_STATUS_ALREADY_MAPPED` (0xc001001d): the resource is already mapped. */
  ALREADY_MAPPED: 0xc001001d,
  /** `RNDIS_STATUS_RESOURCE_CONFLICT` (0xc001001e): hardware resource conflict. */
  RESOURCE_CONFLICT: 0xc001001e,
  /** `RNDIS_STATUS_NO_CABLE` (0xc001001f): no cable is attached. */
  NO_CABLE: 0xc001001f,
  /** `RNDIS_STATUS_INVALID_SAP` (0xc0010020): CoNDIS: invalid service access point; unused by netvsc. */
  INVALID_SAP: 0xc0010020,
  /** `RNDIS_STATUS_SAP_IN_USE` (0xc0010021): CoNDIS: service access point in use; unused by netvsc. */
  SAP_IN_USE: 0xc0010021,
  /** `RNDIS_STATUS_INVALID_ADDRESS` (0xc0010022): CoNDIS: invalid address; unused by netvsc. */
  INVALID_ADDRESS: 0xc0010022,
  /** `RNDIS_STATUS_VC_NOT_ACTIVATED` (0xc0010023): CoNDIS: virtual circuit not activated; unused by netvsc. */
  VC_NOT_ACTIVATED: 0xc0010023,
  /** `RNDIS_STATUS_DEST_OUT_OF_ORDER` (0xc0010024): CoNDIS: destination out of order; unused by netvsc. */
  DEST_OUT_OF_ORDER: 0xc0010024,
  /** `RNDIS_STATUS_VC_NOT_AVAILABLE` (0xc0010025): CoNDIS: virtual circuit not available; unused by netvsc. */
  VC_NOT_AVAILABLE: 0xc0010025,
  /** `RNDIS_STATUS_CELLRATE_NOT_AVAILABLE` (0xc0010026): CoNDIS (ATM): cell rate not available; unused by netvsc. */
  CELLRATE_NOT_AVAILABLE: 0xc0010026,
  /** `RNDIS_STATUS_INCOMPATABLE_QOS` (0xc0010027): CoNDIS: incompatible QoS (the misspelling is rndis.h's); unused by netvsc. */
  INCOMPATABLE_QOS: 0xc0010027,
  /** `RNDIS_STATUS_AAL_PARAMS_UNSUPPORTED` (0xc0010028): CoNDIS (ATM): AAL parameters not supported; unused by netvsc. */
  AAL_PARAMS_UNSUPPORTED: 0xc0010028,
  /** `RNDIS_STATUS_NO_ROUTE_TO_DESTINATION` (0xc0010029): CoNDIS: no route to the destination; unused by netvsc. */
  NO_ROUTE_TO_DESTINATION: 0xc0010029,
  /** `RNDIS_STATUS_TOKEN_RING_OPEN_ERROR` (0xc0011000): token-ring open error; unused by netvsc. */
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
export const RNDIS_DF = {
  /** `RNDIS_DF_CONNECTIONLESS` (0x1): a connectionless (Ethernet-style) device; what a NetVSP host reports. */
  CONNECTIONLESS: 0x1,
  /** `RNDIS_DF_CONNECTION_ORIENTED` (0x2): a connection-oriented (CoNDIS) device; never used by netvsc. */
  CONNECTION_ORIENTED: 0x2,
  /** `RNDIS_DF_RAW_DATA` (0x4): the device carries raw data; never used by netvsc. */
  RAW_DATA: 0x4,
} as const;

/** INIT_C `medium` for Ethernet (`RNDIS_MEDIUM_802_3`, rndis.h). */
export const RNDIS_MEDIUM_802_3 = 0;

/** Values of OID_GEN_MEDIA_CONNECT_STATUS (`RNDIS_MEDIA_STATE_*`, rndis.h). */
export const RNDIS_MEDIA_STATE = {
  /** `RNDIS_MEDIA_STATE_CONNECTED` (0): link up; Linux turns the carrier on when the interface opens. */
  CONNECTED: 0,
  /** `RNDIS_MEDIA_STATE_DISCONNECTED` (1): link down (Linux reads any non-zero value so); the carrier stays off at open. */
  DISCONNECTED: 1,
} as const;

/** Linux's RNDIS device states: the enumerators of `enum rndis_device_state` (hyperv_net.h). */
export const RndisDeviceState = {
  /** 0: no INIT done (new device, INIT failed, or after HALT); Linux drops any RNDIS completion in this state. */
  RNDIS_DEV_UNINITIALIZED: 0,
  /** 1: INIT sent, waiting for INIT_C. */
  RNDIS_DEV_INITIALIZING: 1,
  /** 2: INIT_C accepted; no packet filter set (interface closed, or closed again by setting filter 0). */
  RNDIS_DEV_INITIALIZED: 2,
  /** 3: packet filter 0x0D set at open: the interface is up and receiving. */
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
  /** Discriminant: `RNDIS_MSG_PACKET` (0x1). */
  type: 'PACKET';
  /** Body-relative offset of the frame (Linux: 36 + PPI length). */
  data_offset: number;
  /** The frame (`data_len` bytes at `data_offset`). */
  data: Uint8Array;
  /** Body-relative offset of the out-of-band data (0 in netvsc). */
  oob_data_offset: number;
  /** Out-of-band data (`oob_data_len` bytes). */
  oob_data: Uint8Array;
  /** `rndis_packet.num_oob_data_elements`: count of OOB elements; 0 in netvsc (Linux neither sends nor reads OOB data). */
  num_oob_data_elements: number;
  /** Body-relative offset of the PPI block (Linux: always 36, even with no PPI). */
  per_pkt_info_offset: number;
  /** The raw PPI block (`per_pkt_info_len` bytes); decode it with `ppiList`. */
  per_pkt_info: Uint8Array;
  /** `rndis_packet.vc_handle`: CoNDIS virtual-circuit handle; always 0 for the connectionless netvsc device. */
  vc_handle: number;
}

/** `RNDIS_MSG_INIT` (guest → host). */
export interface RndisInitializeRequest extends Padded {
  /** Discriminant: `RNDIS_MSG_INIT` (0x2). */
  type: 'INIT';
  /** `rndis_initialize_request.req_id`: request id, echoed in INIT_C (Linux's per-device counter, starting at 1). */
  req_id: number;
  /** RNDIS major version offered: 1 ({@link RNDIS_MAJOR_VERSION}). */
  major_ver: number;
  /** RNDIS minor version offered: 0 ({@link RNDIS_MINOR_VERSION}). */
  minor_ver: number;
  /** Largest message, in bytes, the guest accepts from the host (Linux: 0x4000). */
  max_xfer_size: number;
}

/**
 * `RNDIS_MSG_INIT_C` (host → guest). `af_list_offset`/`af_list_size` (call-manager address families)
 * are kept as numbers and never used to read: netvsc hosts send 0 and Linux ignores them.
 */
export interface RndisInitializeComplete extends Padded {
  /** Discriminant: `RNDIS_MSG_INIT_C` (0x80000002). */
  type: 'INIT_C';
  /** The INIT's `req_id`, echoed; Linux drops a completion whose id matches no pending request. */
  req_id: number;
  /** {@link RNDIS_STATUS} code; anything but SUCCESS makes Linux fail the device add. */
  status: number;
  /** RNDIS major version the device speaks (1); Linux ignores it. */
  major_ver: number;
  /** RNDIS minor version the device speaks (0); Linux ignores it. */
  minor_ver: number;
  /** {@link RNDIS_DF} bits (hosts: CONNECTIONLESS); Linux ignores them. */
  dev_flags: number;
  /** Medium type: `RNDIS_MEDIUM_802_3` (0); Linux ignores it. */
  medium: number;
  /** Most RNDIS PACKETs the guest may batch in one send section; Linux adopts it (default 8 before INIT_C). */
  max_pkt_per_msg: number;
  /** Largest message, in bytes, the device accepts; Linux ignores it. */
  max_xfer_size: number;
  /** Packet alignment as a power of two: batched packets are padded to `1 << factor` bytes (Linux default 3 = 8). */
  pkt_alignment_factor: number;
  /** Offset of the CoNDIS address-family list; 0 from netvsc hosts, never read. */
  af_list_offset: number;
  /** Size of the CoNDIS address-family list; 0 from netvsc hosts, never read. */
  af_list_size: number;
}

/** `RNDIS_MSG_HALT` (guest → host; no completion exists). */
export interface RndisHaltRequest extends Padded {
  /** Discriminant: `RNDIS_MSG_HALT` (0x3). */
  type: 'HALT';
  /** `rndis_halt_request.req_id`: request id (nothing echoes it: HALT has no completion). */
  req_id: number;
}

/** `RNDIS_MSG_QUERY` (guest → host), with its input buffer (Linux pre-fills NDIS object headers). */
export interface RndisQueryRequest extends Padded {
  /** Discriminant: `RNDIS_MSG_QUERY` (0x4). */
  type: 'QUERY';
  /** `rndis_query_request.req_id`: request id, echoed in QUERY_C. */
  req_id: number;
  /** The {@link OID} being read. */
  oid: number;
  /** Body-relative offset of the input buffer (Linux: 20, i.e. absolute 28). */
  info_buf_offset: number;
  /** Input buffer (`info_buflen` bytes): often empty; a pre-filled NDIS object header for RSS and offload queries. */
  info_buf: Uint8Array;
  /** `rndis_query_request.dev_vc_handle`: CoNDIS virtual-circuit handle; Linux sends 0. */
  dev_vc_handle: number;
}

/** `RNDIS_MSG_QUERY_C` (host → guest). */
export interface RndisQueryComplete extends Padded {
  /** Discriminant: `RNDIS_MSG_QUERY_C` (0x80000004). */
  type: 'QUERY_C';
  /** The QUERY's `req_id`, echoed. */
  req_id: number;
  /** {@link RNDIS_STATUS} code; Linux's query path does not check it (only the buffer bounds). */
  status: number;
  /** Body-relative offset of the result (typical host: 16, i.e. absolute 24; Linux requires ≥ 16). */
  info_buf_offset: number;
  /** The OID's value (`info_buflen` bytes); Linux refuses more than the caller's buffer holds. */
  info_buf: Uint8Array;
}

/** `RNDIS_MSG_SET` (guest → host). */
export interface RndisSetRequest extends Padded {
  /** Discriminant: `RNDIS_MSG_SET` (0x5). */
  type: 'SET';
  /** `rndis_set_request.req_id`: request id, echoed in SET_C. */
  req_id: number;
  /** The {@link OID} being written. */
  oid: number;
  /** Body-relative offset of the value (Linux: 20, i.e. absolute 28). */
  info_buf_offset: number;
  /** The value to set (`info_buflen` bytes), e.g. a u32 packet filter or an NDIS object. */
  info_buf: Uint8Array;
  /** `rndis_set_request.dev_vc_handle`: CoNDIS virtual-circuit handle; Linux sends 0. */
  dev_vc_handle: number;
}

/** `RNDIS_MSG_SET_C` (host → guest). */
export interface RndisSetComplete extends Padded {
  /** Discriminant: `RNDIS_MSG_SET_C` (0x80000005). */
  type: 'SET_C';
  /** The SET's `req_id`, echoed. */
  req_id: number;
  /** {@link RNDIS_STATUS} code; Linux checks it for offload, RSS and MAC SETs but not for the packet filter. */
  status: number;
}

/** `RNDIS_MSG_RESET` (not sent by Linux). Its body is one reserved word. */
export interface RndisResetRequest extends Padded {
  /** Discriminant: `RNDIS_MSG_RESET` (0x6). */
  type: 'RESET';
}

/** `RNDIS_MSG_RESET_C` (not handled by Linux). */
export interface RndisResetComplete extends Padded {
  /** Discriminant: `RNDIS_MSG_RESET_C` (0x80000006). */
  type: 'RESET_C';
  /** {@link RNDIS_STATUS} code of the reset. */
  status: number;
  /** `rndis_reset_complete.addressing_reset`: non-zero when the guest must re-send its addressing OIDs (filter, multicast). */
  addressing_reset: number;
}

/** `RNDIS_MSG_INDICATE` (host → guest status indication). */
export interface RndisIndicateStatus extends Padded {
  /** Discriminant: `RNDIS_MSG_INDICATE` (0x7). */
  type: 'INDICATE';
  /** The event: an {@link RNDIS_STATUS} indication code (MEDIA_CONNECT, LINK_SPEED_CHANGE, NETWORK_CHANGE, …). */
  status: number;
  /** Body-relative offset of the status buffer (Linux requires ≥ 12 for LINK_SPEED_CHANGE). */
  status_buf_offset: number;
  /** Event data (`status_buflen` bytes): for LINK_SPEED_CHANGE a u32 speed in 100 bit/s units. */
  status_buf: Uint8Array;
}

/** `RNDIS_MSG_KEEPALIVE`. */
export interface RndisKeepaliveRequest extends Padded {
  /** Discriminant: `RNDIS_MSG_KEEPALIVE` (0x8). */
  type: 'KEEPALIVE';
  /** `rndis_keepalive_request.req_id`: request id, echoed in KEEPALIVE_C. */
  req_id: number;
}

/** `RNDIS_MSG_KEEPALIVE_C`. */
export interface RndisKeepaliveComplete extends Padded {
  /** Discriminant: `RNDIS_MSG_KEEPALIVE_C` (0x80000008). */
  type: 'KEEPALIVE_C';
  /** The KEEPALIVE's `req_id`, echoed. */
  req_id: number;
  /** {@link RNDIS_STATUS} code (SUCCESS when the device is alive). */
  status: number;
}

/** `SET_EX` (openvmm rndisprot.rs): same layout as SET. */
export interface RndisSetExRequest extends Padded {
  /** Discriminant: SET_EX (0x9). */
  type: 'SET_EX';
  /** Request id, echoed in SET_EX_C. */
  req_id: number;
  /** The {@link OID} being written. */
  oid: number;
  /** Body-relative offset of the value (20 when laid out like Linux's SET). */
  info_buf_offset: number;
  /** The value to set (`info_buflen` bytes). */
  info_buf: Uint8Array;
  /** CoNDIS virtual-circuit handle (0). */
  dev_vc_handle: number;
}

/** `SET_EX_C` (openvmm rndisprot.rs): same layout as QUERY_C. */
export interface RndisSetExComplete extends Padded {
  /** Discriminant: SET_EX_C (0x80000009). */
  type: 'SET_EX_C';
  /** The SET_EX's `req_id`, echoed. */
  req_id: number;
  /** {@link RNDIS_STATUS} code. */
  status: number;
  /** Body-relative offset of the returned buffer (16 when laid out like QUERY_C). */
  info_buf_offset: number;
  /** Data returned with the completion (`info_buflen` bytes). */
  info_buf: Uint8Array;
}

/** A well-framed message of a type netvsc-sim does not know (for example `RNDIS_MSG_BUS`). */
export interface RndisUnknownMessage {
  /** Discriminant for a type code netvsc-sim has no layout for; the code itself is in `ndis_msg_type`. */
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
export type RndisMessageOf<T extends RndisMessageType> = Extract<
  RndisMessage,
  {
    /** The discriminant to select by. */
    type: T;
  }
>;

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

/** The 8-byte header every RNDIS message starts with (`rndis_message` bytes 0–7). */
export interface RndisHeader {
  /** `rndis_message.ndis_msg_type` (u32 @0): the {@link RNDIS_MSG} code, bit 31 set for completions. */
  ndis_msg_type: number;
  /** `rndis_message.msg_len` (u32 @4): bytes of the whole message, header included (≥ 8; may include padding). */
  msg_len: number;
}

/** The two header words of the message at `offset`, without checking `msg_len`. */
export function rndisHeader(buf: Uint8Array, offset = 0): RndisHeader {
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
        data: regionBytes(buf, p + dOff, dLen),
        oob_data_offset: oOff,
        oob_data: regionBytes(buf, p + oOff, oLen),
        num_oob_data_elements: rd32(buf, p + PKT.num_oob),
        per_pkt_info_offset: iOff,
        per_pkt_info: regionBytes(buf, p + iOff, iLen),
        vc_handle: rd32(buf, p + PKT.vc),
      };
      return padded(msg, msgLen, contentEnd(fixed, regions));
    }
    case 'INIT':
    case 'INIT_C':
    case 'HALT':
    case 'KEEPALIVE':
    case 'SET_C':
    case 'KEEPALIVE_C':
    case 'RESET':
    case 'RESET_C': {
      // Fixed bodies of u32 fields only: read with the table the encoder writes them with.
      const msg: Record<string, unknown> = { type };
      const fields = scalarFields(type);
      for (let i = 0; i < fields.length; i++) msg[fields[i]![0]] = rd32(buf, p + fields[i]![1]);
      return padded(msg as unknown as RndisMessage, msgLen, fixed);
    }
    case 'QUERY':
    case 'SET':
    case 'SET_EX': {
      const info = oneBuffer(buf, p, 'info_buf_offset', 'info_buflen', Q.off, Q.len, sname, fixed, limit);
      const msg = {
        type,
        req_id: rd32(buf, p),
        oid: rd32(buf, p + Q.oid),
        info_buf_offset: info.offset,
        info_buf: info.bytes,
        dev_vc_handle: rd32(buf, p + Q.vc),
      } as RndisQueryRequest | RndisSetRequest | RndisSetExRequest;
      return padded(msg, msgLen, info.end);
    }
    case 'QUERY_C':
    case 'SET_EX_C': {
      const info = oneBuffer(buf, p, 'info_buf_offset', 'info_buflen', QC.off, QC.len, sname, fixed, limit);
      const msg = {
        type,
        req_id: rd32(buf, p),
        status: rd32(buf, p + QC.status),
        info_buf_offset: info.offset,
        info_buf: info.bytes,
      } as RndisQueryComplete | RndisSetExComplete;
      return padded(msg, msgLen, info.end);
    }
    case 'INDICATE': {
      const st = oneBuffer(buf, p, 'status_buf_offset', 'status_buflen', IND.off, IND.len, sname, fixed, limit);
      const msg: RndisIndicateStatus = {
        type,
        status: rd32(buf, p + IND.status),
        status_buf_offset: st.offset,
        status_buf: st.bytes,
      };
      return padded(msg, msgLen, st.end);
    }
  }
}

/**
 * Reads the one variable buffer of a QUERY/SET/SET_EX, QUERY_C/SET_EX_C or INDICATE body (offset
 * and length fields at body offsets `offAt`/`lenAt`), checked by the region rules: its offset as
 * read, a copy of its bytes, and where the body's content ends.
 */
function oneBuffer(
  buf: Uint8Array,
  p: number,
  offsetField: string,
  lengthField: string,
  offAt: number,
  lenAt: number,
  sname: string,
  fixed: number,
  limit: number,
): { offset: number; bytes: Uint8Array; end: number } {
  const length = rd32(buf, p + lenAt);
  const offset = rd32(buf, p + offAt);
  const regions: Region[] = [{ offsetField, lengthField, offset, length, at: p + offAt }];
  checkRegions(sname, regions, fixed, limit);
  return { offset, bytes: regionBytes(buf, p + offset, length), end: contentEnd(fixed, regions) };
}

/** One message of a batch decoded by {@link decodeRndisSequence}. */
export interface RndisSequenceEntry {
  /** Absolute offset of the message's first byte (its `ndis_msg_type`) in the buffer decoded. */
  offset: number;
  /** The decoded message; its `msg_len` (with padding) is where the next message starts. */
  message: RndisMessage;
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
): RndisSequenceEntry[] {
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
  const out: RndisSequenceEntry[] = [];
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
  const scalars = scalarFields(msg.type);
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

/**
 * The plain u32 fields of each type with their body offsets, in value order (regions are handled
 * separately); the encoder writes them and the decoder reads the all-scalar bodies with them.
 */
function scalarFields(type: RndisMessageType): readonly (readonly [string, number])[] {
  switch (type) {
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
