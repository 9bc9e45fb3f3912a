/**
 * NVSP (Network VSP protocol) constants: protocol versions, message types, status values,
 * subchannel and data-path operations, PacketDirect operations, capability bits and the buffer ids
 * Linux uses, each with a name lookup.
 *
 * Values restated from drivers/net/hyperv/hyperv_net.h (Debian 6.1.192), cross-checked with
 * openvmm vm/devices/net/netvsp/src/protocol.rs.
 *
 * @module
 */

// ---------------------------------------------------------------------------------------------
// Protocol versions. Source: hyperv_net.h NVSP_PROTOCOL_VERSION_*. "Version 1" is encoded as 2,
// there is no version 3, and 6.1 is 0x60001.

/** NVSP version 1 (the number 2 on the wire). */
export const NVSP_PROTOCOL_VERSION_1 = 0x00000002;
/** NVSP version 2. */
export const NVSP_PROTOCOL_VERSION_2 = 0x00030002;
/** NVSP version 4 (VF association, data-path switch). */
export const NVSP_PROTOCOL_VERSION_4 = 0x00040000;
/** NVSP version 5 (subchannels / vRSS, send indirection table). */
export const NVSP_PROTOCOL_VERSION_5 = 0x00050000;
/** NVSP version 6 (PacketDirect messages defined). */
export const NVSP_PROTOCOL_VERSION_6 = 0x00060000;
/** NVSP version 6.1 (40-byte messages on Windows/openvmm hosts; RSC; required by isolated guests). */
export const NVSP_PROTOCOL_VERSION_61 = 0x00060001;
/** Marker for "no version" (hyperv_net.h NVSP_INVALID_PROTOCOL_VERSION); openvmm puts it in INIT_COMPLETE. */
export const NVSP_INVALID_PROTOCOL_VERSION = 0xffffffff;

/** Every version Linux knows, oldest first (the order of netvsc.c `ver_list`; Linux tries it newest first). */
export const NVSP_PROTOCOL_VERSIONS: readonly number[] = Object.freeze([
  NVSP_PROTOCOL_VERSION_1,
  NVSP_PROTOCOL_VERSION_2,
  NVSP_PROTOCOL_VERSION_4,
  NVSP_PROTOCOL_VERSION_5,
  NVSP_PROTOCOL_VERSION_6,
  NVSP_PROTOCOL_VERSION_61,
]);

const VERSION_NAMES: ReadonlyMap<number, string> = new Map([
  [NVSP_PROTOCOL_VERSION_1, 'NVSP_PROTOCOL_VERSION_1'],
  [NVSP_PROTOCOL_VERSION_2, 'NVSP_PROTOCOL_VERSION_2'],
  [NVSP_PROTOCOL_VERSION_4, 'NVSP_PROTOCOL_VERSION_4'],
  [NVSP_PROTOCOL_VERSION_5, 'NVSP_PROTOCOL_VERSION_5'],
  [NVSP_PROTOCOL_VERSION_6, 'NVSP_PROTOCOL_VERSION_6'],
  [NVSP_PROTOCOL_VERSION_61, 'NVSP_PROTOCOL_VERSION_61'],
  [NVSP_INVALID_PROTOCOL_VERSION, 'NVSP_INVALID_PROTOCOL_VERSION'],
]);

/** The kernel's constant name of an NVSP version (`NVSP_PROTOCOL_VERSION_61`), or `undefined`. */
export function nvspVersionName(version: number): string | undefined {
  return VERSION_NAMES.get(version);
}

// ---------------------------------------------------------------------------------------------
// Message types. Source: hyperv_net.h, the anonymous enum starting at NVSP_MSG_TYPE_NONE.

export const NVSP_MSG_TYPE_NONE = 0;
export const NVSP_MSG_TYPE_INIT = 1;
export const NVSP_MSG_TYPE_INIT_COMPLETE = 2;
/** First versioned message type (the kernel's NVSP_VERSION_MSG_START). */
export const NVSP_VERSION_MSG_START = 100;

export const NVSP_MSG1_TYPE_SEND_NDIS_VER = 100;
export const NVSP_MSG1_TYPE_SEND_RECV_BUF = 101;
export const NVSP_MSG1_TYPE_SEND_RECV_BUF_COMPLETE = 102;
export const NVSP_MSG1_TYPE_REVOKE_RECV_BUF = 103;
export const NVSP_MSG1_TYPE_SEND_SEND_BUF = 104;
export const NVSP_MSG1_TYPE_SEND_SEND_BUF_COMPLETE = 105;
export const NVSP_MSG1_TYPE_REVOKE_SEND_BUF = 106;
export const NVSP_MSG1_TYPE_SEND_RNDIS_PKT = 107;
export const NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE = 108;

export const NVSP_MSG2_TYPE_SEND_CHIMNEY_DELEGATED_BUF = 109;
export const NVSP_MSG2_TYPE_SEND_CHIMNEY_DELEGATED_BUF_COMP = 110;
export const NVSP_MSG2_TYPE_REVOKE_CHIMNEY_DELEGATED_BUF = 111;
export const NVSP_MSG2_TYPE_RESUME_CHIMNEY_RX_INDICATION = 112;
export const NVSP_MSG2_TYPE_TERMINATE_CHIMNEY = 113;
export const NVSP_MSG2_TYPE_TERMINATE_CHIMNEY_COMP = 114;
export const NVSP_MSG2_TYPE_INDICATE_CHIMNEY_EVENT = 115;
export const NVSP_MSG2_TYPE_SEND_CHIMNEY_PKT = 116;
export const NVSP_MSG2_TYPE_SEND_CHIMNEY_PKT_COMP = 117;
export const NVSP_MSG2_TYPE_POST_CHIMNEY_RECV_REQ = 118;
export const NVSP_MSG2_TYPE_POST_CHIMNEY_RECV_REQ_COMP = 119;
export const NVSP_MSG2_TYPE_ALLOC_RXBUF = 120;
export const NVSP_MSG2_TYPE_ALLOC_RXBUF_COMP = 121;
export const NVSP_MSG2_TYPE_FREE_RXBUF = 122;
export const NVSP_MSG2_TYPE_SEND_VMQ_RNDIS_PKT = 123;
export const NVSP_MSG2_TYPE_SEND_VMQ_RNDIS_PKT_COMP = 124;
export const NVSP_MSG2_TYPE_SEND_NDIS_CONFIG = 125;
export const NVSP_MSG2_TYPE_ALLOC_CHIMNEY_HANDLE = 126;
export const NVSP_MSG2_TYPE_ALLOC_CHIMNEY_HANDLE_COMP = 127;
export const NVSP_MSG2_MAX = 127;

export const NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION = 128;
export const NVSP_MSG4_TYPE_SWITCH_DATA_PATH = 129;
export const NVSP_MSG4_TYPE_UPLINK_CONNECT_STATE_DEPRECATED = 130;
export const NVSP_MSG4_MAX = 130;

export const NVSP_MSG5_TYPE_OID_QUERY_EX = 131;
export const NVSP_MSG5_TYPE_OID_QUERY_EX_COMP = 132;
/** Request (guest→host) and completion (host→guest) share this type. */
export const NVSP_MSG5_TYPE_SUBCHANNEL = 133;
export const NVSP_MSG5_TYPE_SEND_INDIRECTION_TABLE = 134;
export const NVSP_MSG5_MAX = 134;

/** Request (guest→host) and completion (host→guest) share this type. */
export const NVSP_MSG6_TYPE_PD_API = 135;
export const NVSP_MSG6_TYPE_PD_POST_BATCH = 136;
export const NVSP_MSG6_MAX = 136;

/**
 * The kernel's message-type enum as a table (names → values), in declaration order, aliases
 * included (NVSP_VERSION_MSG_START, NVSP_MSG*_MAX). Equal to BTF `enum@NVSP_MSG_TYPE_NONE`.
 */
export const NvspMsgType = Object.freeze({
  NVSP_MSG_TYPE_NONE,
  NVSP_MSG_TYPE_INIT,
  NVSP_MSG_TYPE_INIT_COMPLETE,
  NVSP_VERSION_MSG_START,
  NVSP_MSG1_TYPE_SEND_NDIS_VER,
  NVSP_MSG1_TYPE_SEND_RECV_BUF,
  NVSP_MSG1_TYPE_SEND_RECV_BUF_COMPLETE,
  NVSP_MSG1_TYPE_REVOKE_RECV_BUF,
  NVSP_MSG1_TYPE_SEND_SEND_BUF,
  NVSP_MSG1_TYPE_SEND_SEND_BUF_COMPLETE,
  NVSP_MSG1_TYPE_REVOKE_SEND_BUF,
  NVSP_MSG1_TYPE_SEND_RNDIS_PKT,
  NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE,
  NVSP_MSG2_TYPE_SEND_CHIMNEY_DELEGATED_BUF,
  NVSP_MSG2_TYPE_SEND_CHIMNEY_DELEGATED_BUF_COMP,
  NVSP_MSG2_TYPE_REVOKE_CHIMNEY_DELEGATED_BUF,
  NVSP_MSG2_TYPE_RESUME_CHIMNEY_RX_INDICATION,
  NVSP_MSG2_TYPE_TERMINATE_CHIMNEY,
  NVSP_MSG2_TYPE_TERMINATE_CHIMNEY_COMP,
  NVSP_MSG2_TYPE_INDICATE_CHIMNEY_EVENT,
  NVSP_MSG2_TYPE_SEND_CHIMNEY_PKT,
  NVSP_MSG2_TYPE_SEND_CHIMNEY_PKT_COMP,
  NVSP_MSG2_TYPE_POST_CHIMNEY_RECV_REQ,
  NVSP_MSG2_TYPE_POST_CHIMNEY_RECV_REQ_COMP,
  NVSP_MSG2_TYPE_ALLOC_RXBUF,
  NVSP_MSG2_TYPE_ALLOC_RXBUF_COMP,
  NVSP_MSG2_TYPE_FREE_RXBUF,
  NVSP_MSG2_TYPE_SEND_VMQ_RNDIS_PKT,
  NVSP_MSG2_TYPE_SEND_VMQ_RNDIS_PKT_COMP,
  NVSP_MSG2_TYPE_SEND_NDIS_CONFIG,
  NVSP_MSG2_TYPE_ALLOC_CHIMNEY_HANDLE,
  NVSP_MSG2_TYPE_ALLOC_CHIMNEY_HANDLE_COMP,
  NVSP_MSG2_MAX,
  NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION,
  NVSP_MSG4_TYPE_SWITCH_DATA_PATH,
  NVSP_MSG4_TYPE_UPLINK_CONNECT_STATE_DEPRECATED,
  NVSP_MSG4_MAX,
  NVSP_MSG5_TYPE_OID_QUERY_EX,
  NVSP_MSG5_TYPE_OID_QUERY_EX_COMP,
  NVSP_MSG5_TYPE_SUBCHANNEL,
  NVSP_MSG5_TYPE_SEND_INDIRECTION_TABLE,
  NVSP_MSG5_MAX,
  NVSP_MSG6_TYPE_PD_API,
  NVSP_MSG6_TYPE_PD_POST_BATCH,
  NVSP_MSG6_MAX,
});

/** Value → name, preferring the message-type name over aliases (…_MAX, NVSP_VERSION_MSG_START). */
const MSG_TYPE_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(NvspMsgType)
    .filter(([name]) => !name.endsWith('_MAX') && name !== 'NVSP_VERSION_MSG_START')
    .map(([name, value]) => [value, name]),
);

/** The kernel's constant name of an NVSP message type (`NVSP_MSG5_TYPE_SUBCHANNEL`), or `undefined`. */
export function nvspMsgTypeName(msgType: number): string | undefined {
  return MSG_TYPE_NAMES.get(msgType);
}

// ---------------------------------------------------------------------------------------------
// Status values. Source: hyperv_net.h enum of NVSP_STAT_*. Linux only ever tests for SUCCESS.
// openvmm names 2 FAILURE and 7 PROTOCOL_VERSION_UNSUPPORTED; the numbers are the same.

export const NVSP_STAT_NONE = 0;
export const NVSP_STAT_SUCCESS = 1;
export const NVSP_STAT_FAIL = 2;
export const NVSP_STAT_PROTOCOL_TOO_NEW = 3;
export const NVSP_STAT_PROTOCOL_TOO_OLD = 4;
export const NVSP_STAT_INVALID_RNDIS_PKT = 5;
export const NVSP_STAT_BUSY = 6;
export const NVSP_STAT_PROTOCOL_UNSUPPORTED = 7;
export const NVSP_STAT_MAX = 8;

/** The kernel's status enum as a table; equal to BTF `enum@NVSP_STAT_NONE`. */
export const NvspStat = Object.freeze({
  NVSP_STAT_NONE,
  NVSP_STAT_SUCCESS,
  NVSP_STAT_FAIL,
  NVSP_STAT_PROTOCOL_TOO_NEW,
  NVSP_STAT_PROTOCOL_TOO_OLD,
  NVSP_STAT_INVALID_RNDIS_PKT,
  NVSP_STAT_BUSY,
  NVSP_STAT_PROTOCOL_UNSUPPORTED,
  NVSP_STAT_MAX,
});

const STATUS_NAMES: readonly string[] = Object.keys(NvspStat);

/** The kernel's constant name of an NVSP status (`NVSP_STAT_SUCCESS`), or `undefined`. */
export function nvspStatusName(status: number): string | undefined {
  return Number.isInteger(status) && status >= 0 ? STATUS_NAMES[status] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Operation enums. Source: hyperv_net.h enum nvsp_subchannel_operation, enum nvsp_vm_datapath,
// enum nvsp_6_pd_api_op.

export const NVSP_SUBCHANNEL_NONE = 0;
export const NVSP_SUBCHANNEL_ALLOCATE = 1;
export const NVSP_SUBCHANNEL_MAX = 2;
/** `enum nvsp_subchannel_operation` as a table (equal to its BTF enum). */
export const NvspSubchannelOperation = Object.freeze({ NVSP_SUBCHANNEL_NONE, NVSP_SUBCHANNEL_ALLOCATE, NVSP_SUBCHANNEL_MAX });

export const NVSP_DATAPATH_SYNTHETIC = 0;
export const NVSP_DATAPATH_VF = 1;
export const NVSP_DATAPATH_MAX = 2;
/** `enum nvsp_vm_datapath` as a table (equal to its BTF enum). */
export const NvspVmDatapath = Object.freeze({ NVSP_DATAPATH_SYNTHETIC, NVSP_DATAPATH_VF, NVSP_DATAPATH_MAX });

export const PD_API_OP_CONFIG = 1;
export const PD_API_OP_SW_DATAPATH = 2;
export const PD_API_OP_OPEN_PROVIDER = 3;
export const PD_API_OP_CLOSE_PROVIDER = 4;
export const PD_API_OP_CREATE_QUEUE = 5;
export const PD_API_OP_FLUSH_QUEUE = 6;
export const PD_API_OP_FREE_QUEUE = 7;
export const PD_API_OP_ALLOC_COM_BUF = 8;
export const PD_API_OP_FREE_COM_BUF = 9;
export const PD_API_OP_MAX = 10;
/** `enum nvsp_6_pd_api_op` as a table (not in BTF: the compiled module never uses it). */
export const NvspPdApiOp = Object.freeze({
  PD_API_OP_CONFIG,
  PD_API_OP_SW_DATAPATH,
  PD_API_OP_OPEN_PROVIDER,
  PD_API_OP_CLOSE_PROVIDER,
  PD_API_OP_CREATE_QUEUE,
  PD_API_OP_FLUSH_QUEUE,
  PD_API_OP_FREE_QUEUE,
  PD_API_OP_ALLOC_COM_BUF,
  PD_API_OP_FREE_COM_BUF,
  PD_API_OP_MAX,
});

// ---------------------------------------------------------------------------------------------
// NDIS_CONFIG capability bits. Source: hyperv_net.h struct nvsp_2_vsc_capability (a u64 whose
// low bits are the bitfields vmq, chimney, sriov, ieee8021q, correlation_id, teaming, vsubnetid,
// rsc, in that order).

/** Bit masks of `nvsp_2_vsc_capability.data`, keyed by the kernel's bitfield names. */
export const NVSP_2_VSC_CAPABILITY = Object.freeze({
  vmq: 1n << 0n,
  chimney: 1n << 1n,
  sriov: 1n << 2n,
  ieee8021q: 1n << 3n,
  correlation_id: 1n << 4n,
  teaming: 1n << 5n,
  vsubnetid: 1n << 6n,
  rsc: 1n << 7n,
} as const);

// ---------------------------------------------------------------------------------------------
// Values Linux puts in NVSP fields. Source: hyperv_net.h and netvsc.c.

/** Receive-buffer id (SEND_RECV_BUF.id, REVOKE_RECV_BUF.id, transfer-page set id). */
export const NETVSC_RECEIVE_BUFFER_ID = 0xcafe;
/** Send-buffer id Linux uses (FreeBSD and DPDK use 0xFACE). */
export const NETVSC_SEND_BUFFER_ID = 0;
/** `send_buf_section_index` meaning "not in the send buffer" (NETVSC_INVALID_INDEX, -1 as u32). */
export const NETVSC_INVALID_INDEX = 0xffffffff;
/** SEND_RNDIS_PKT.channel_type for data packets (RMC_DATA, netvsc.c comment). */
export const NVSP_CHANNEL_TYPE_DATA = 0;
/** SEND_RNDIS_PKT.channel_type for RNDIS control messages (RMC_CONTROL). */
export const NVSP_CHANNEL_TYPE_CONTROL = 1;
