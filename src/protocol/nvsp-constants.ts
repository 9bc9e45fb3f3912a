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

/** NVSP message type 0: no message (hyperv_net.h NVSP_MSG_TYPE_NONE). */
export const NVSP_MSG_TYPE_NONE = 0;
/** NVSP message type 1: guest's INIT carrying the protocol version range (hyperv_net.h). */
export const NVSP_MSG_TYPE_INIT = 1;
/** NVSP message type 2: host's INIT completion with status and negotiated version (hyperv_net.h). */
export const NVSP_MSG_TYPE_INIT_COMPLETE = 2;
/** First versioned message type (the kernel's NVSP_VERSION_MSG_START). */
export const NVSP_VERSION_MSG_START = 100;

/** NVSP message type 100: guest announces its NDIS version (hyperv_net.h). */
export const NVSP_MSG1_TYPE_SEND_NDIS_VER = 100;
/** NVSP message type 101: guest offers the receive buffer GPADL (hyperv_net.h). */
export const NVSP_MSG1_TYPE_SEND_RECV_BUF = 101;
/** NVSP message type 102: host completes the receive buffer, returning its sections (hyperv_net.h). */
export const NVSP_MSG1_TYPE_SEND_RECV_BUF_COMPLETE = 102;
/** NVSP message type 103: guest revokes the receive buffer (hyperv_net.h). */
export const NVSP_MSG1_TYPE_REVOKE_RECV_BUF = 103;
/** NVSP message type 104: guest offers the send buffer GPADL (hyperv_net.h). */
export const NVSP_MSG1_TYPE_SEND_SEND_BUF = 104;
/** NVSP message type 105: host completes the send buffer, returning its section size (hyperv_net.h). */
export const NVSP_MSG1_TYPE_SEND_SEND_BUF_COMPLETE = 105;
/** NVSP message type 106: guest revokes the send buffer (hyperv_net.h). */
export const NVSP_MSG1_TYPE_REVOKE_SEND_BUF = 106;
/** NVSP message type 107: an RNDIS message in either direction (hyperv_net.h). */
export const NVSP_MSG1_TYPE_SEND_RNDIS_PKT = 107;
/** NVSP message type 108: completion of an RNDIS packet (hyperv_net.h). */
export const NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE = 108;

/** NVSP message type 109: chimney (TCP offload) delegated buffer; unused by Linux (hyperv_net.h). */
export const NVSP_MSG2_TYPE_SEND_CHIMNEY_DELEGATED_BUF = 109;
/** NVSP message type 110: chimney delegated-buffer completion; unused by Linux (hyperv_net.h). */
export const NVSP_MSG2_TYPE_SEND_CHIMNEY_DELEGATED_BUF_COMP = 110;
/** NVSP message type 111: revoke chimney delegated buffer; unused by Linux (hyperv_net.h). */
export const NVSP_MSG2_TYPE_REVOKE_CHIMNEY_DELEGATED_BUF = 111;
/** NVSP message type 112: resume chimney receive indication; unused by Linux (hyperv_net.h). */
export const NVSP_MSG2_TYPE_RESUME_CHIMNEY_RX_INDICATION = 112;
/** NVSP message type 113: terminate chimney; unused by Linux (hyperv_net.h). */
export const NVSP_MSG2_TYPE_TERMINATE_CHIMNEY = 113;
/** NVSP message type 114: terminate-chimney completion; unused by Linux (hyperv_net.h). */
export const NVSP_MSG2_TYPE_TERMINATE_CHIMNEY_COMP = 114;
/** NVSP message type 115: chimney event indication; unused by Linux (hyperv_net.h). */
export const NVSP_MSG2_TYPE_INDICATE_CHIMNEY_EVENT = 115;
/** NVSP message type 116: chimney packet send; unused by Linux (hyperv_net.h). */
export const NVSP_MSG2_TYPE_SEND_CHIMNEY_PKT = 116;
/** NVSP message type 117: chimney packet-send completion; unused by Linux (hyperv_net.h). */
export const NVSP_MSG2_TYPE_SEND_CHIMNEY_PKT_COMP = 117;
/** NVSP message type 118: post chimney receive request; unused by Linux (hyperv_net.h). */
export const NVSP_MSG2_TYPE_POST_CHIMNEY_RECV_REQ = 118;
/** NVSP message type 119: chimney receive-request completion; unused by Linux (hyperv_net.h). */
export const NVSP_MSG2_TYPE_POST_CHIMNEY_RECV_REQ_COMP = 119;
/** NVSP message type 120: allocate receive buffer (v2); unused by Linux (hyperv_net.h). */
export const NVSP_MSG2_TYPE_ALLOC_RXBUF = 120;
/** NVSP message type 121: allocate-receive-buffer completion (v2); unused by Linux (hyperv_net.h). */
export const NVSP_MSG2_TYPE_ALLOC_RXBUF_COMP = 121;
/** NVSP message type 122: free receive buffer (v2); unused by Linux (hyperv_net.h). */
export const NVSP_MSG2_TYPE_FREE_RXBUF = 122;
/** NVSP message type 123: VMQ RNDIS packet send; unused by Linux (hyperv_net.h). */
export const NVSP_MSG2_TYPE_SEND_VMQ_RNDIS_PKT = 123;
/** NVSP message type 124: VMQ RNDIS packet-send completion; unused by Linux (hyperv_net.h). */
export const NVSP_MSG2_TYPE_SEND_VMQ_RNDIS_PKT_COMP = 124;
/** NVSP message type 125: guest sends NDIS configuration (MTU, capabilities) (hyperv_net.h). */
export const NVSP_MSG2_TYPE_SEND_NDIS_CONFIG = 125;
/** NVSP message type 126: allocate chimney handle; unused by Linux (hyperv_net.h). */
export const NVSP_MSG2_TYPE_ALLOC_CHIMNEY_HANDLE = 126;
/** NVSP message type 127: allocate-chimney-handle completion; unused by Linux (hyperv_net.h). */
export const NVSP_MSG2_TYPE_ALLOC_CHIMNEY_HANDLE_COMP = 127;
/** Last NVSP version-2 message type, 127 (hyperv_net.h NVSP_MSG2_MAX). */
export const NVSP_MSG2_MAX = 127;

/** NVSP message type 128: host announces (or withdraws) an associated SR-IOV VF (hyperv_net.h). */
export const NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION = 128;
/** NVSP message type 129: switch the data path between synthetic and VF (hyperv_net.h). */
export const NVSP_MSG4_TYPE_SWITCH_DATA_PATH = 129;
/** NVSP message type 130: deprecated uplink connect state (hyperv_net.h). */
export const NVSP_MSG4_TYPE_UPLINK_CONNECT_STATE_DEPRECATED = 130;
/** Last NVSP version-4 message type, 130 (hyperv_net.h NVSP_MSG4_MAX). */
export const NVSP_MSG4_MAX = 130;

/** NVSP message type 131: extended OID query; unused by Linux (hyperv_net.h). */
export const NVSP_MSG5_TYPE_OID_QUERY_EX = 131;
/** NVSP message type 132: extended OID query completion; unused by Linux (hyperv_net.h). */
export const NVSP_MSG5_TYPE_OID_QUERY_EX_COMP = 132;
/** Request (guest→host) and completion (host→guest) share this type. */
export const NVSP_MSG5_TYPE_SUBCHANNEL = 133;
/** NVSP message type 134: host sends the send (TX) indirection table (hyperv_net.h). */
export const NVSP_MSG5_TYPE_SEND_INDIRECTION_TABLE = 134;
/** Last NVSP version-5 message type, 134 (hyperv_net.h NVSP_MSG5_MAX). */
export const NVSP_MSG5_MAX = 134;

/** Request (guest→host) and completion (host→guest) share this type. */
export const NVSP_MSG6_TYPE_PD_API = 135;
/** NVSP message type 136: PacketDirect post batch; unused by Linux (hyperv_net.h). */
export const NVSP_MSG6_TYPE_PD_POST_BATCH = 136;
/** Last NVSP version-6 message type, 136 (hyperv_net.h NVSP_MSG6_MAX). */
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

/** NVSP status 0: none (hyperv_net.h enum nvsp_status). */
export const NVSP_STAT_NONE = 0;
/** NVSP status 1: success (hyperv_net.h enum nvsp_status). */
export const NVSP_STAT_SUCCESS = 1;
/** NVSP status 2: failure (hyperv_net.h enum nvsp_status). */
export const NVSP_STAT_FAIL = 2;
/** NVSP status 3: protocol version too new (hyperv_net.h enum nvsp_status). */
export const NVSP_STAT_PROTOCOL_TOO_NEW = 3;
/** NVSP status 4: protocol version too old (hyperv_net.h enum nvsp_status). */
export const NVSP_STAT_PROTOCOL_TOO_OLD = 4;
/** NVSP status 5: invalid RNDIS packet (hyperv_net.h enum nvsp_status). */
export const NVSP_STAT_INVALID_RNDIS_PKT = 5;
/** NVSP status 6: busy (hyperv_net.h enum nvsp_status). */
export const NVSP_STAT_BUSY = 6;
/** NVSP status 7: protocol unsupported (hyperv_net.h enum nvsp_status). */
export const NVSP_STAT_PROTOCOL_UNSUPPORTED = 7;
/** NVSP status enum end marker, 8 (hyperv_net.h NVSP_STAT_MAX). */
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

/** Subchannel operation 0: none (hyperv_net.h NVSP_SUBCHANNEL_NONE). */
export const NVSP_SUBCHANNEL_NONE = 0;
/** Subchannel operation 1: allocate subchannels (hyperv_net.h NVSP_SUBCHANNEL_ALLOCATE). */
export const NVSP_SUBCHANNEL_ALLOCATE = 1;
/** Subchannel operation enum end marker, 2 (hyperv_net.h). */
export const NVSP_SUBCHANNEL_MAX = 2;
/** `enum nvsp_subchannel_operation` as a table (equal to its BTF enum). */
export const NvspSubchannelOperation = Object.freeze({ NVSP_SUBCHANNEL_NONE, NVSP_SUBCHANNEL_ALLOCATE, NVSP_SUBCHANNEL_MAX });

/** Data path 0: synthetic (VMBus) path (hyperv_net.h NVSP_DATAPATH_SYNTHETIC). */
export const NVSP_DATAPATH_SYNTHETIC = 0;
/** Data path 1: SR-IOV VF path (hyperv_net.h NVSP_DATAPATH_VF). */
export const NVSP_DATAPATH_VF = 1;
/** Data path enum end marker, 2 (hyperv_net.h NVSP_DATAPATH_MAX). */
export const NVSP_DATAPATH_MAX = 2;
/** `enum nvsp_vm_datapath` as a table (equal to its BTF enum). */
export const NvspVmDatapath = Object.freeze({ NVSP_DATAPATH_SYNTHETIC, NVSP_DATAPATH_VF, NVSP_DATAPATH_MAX });

/** PacketDirect API operation 1: configure (hyperv_net.h PD_API_OP_CONFIG). */
export const PD_API_OP_CONFIG = 1;
/** PacketDirect API operation 2: switch data path (hyperv_net.h). */
export const PD_API_OP_SW_DATAPATH = 2;
/** PacketDirect API operation 3: open provider (hyperv_net.h). */
export const PD_API_OP_OPEN_PROVIDER = 3;
/** PacketDirect API operation 4: close provider (hyperv_net.h). */
export const PD_API_OP_CLOSE_PROVIDER = 4;
/** PacketDirect API operation 5: create queue (hyperv_net.h). */
export const PD_API_OP_CREATE_QUEUE = 5;
/** PacketDirect API operation 6: flush queue (hyperv_net.h). */
export const PD_API_OP_FLUSH_QUEUE = 6;
/** PacketDirect API operation 7: free queue (hyperv_net.h). */
export const PD_API_OP_FREE_QUEUE = 7;
/** PacketDirect API operation 8: allocate common buffer (hyperv_net.h). */
export const PD_API_OP_ALLOC_COM_BUF = 8;
/** PacketDirect API operation 9: free common buffer (hyperv_net.h). */
export const PD_API_OP_FREE_COM_BUF = 9;
/** PacketDirect API operation enum end marker, 10 (hyperv_net.h PD_API_OP_MAX). */
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
  /** Bit 0: VMQ (virtual machine queue) support; Linux never sets it. */
  vmq: 1n << 0n,
  /** Bit 1: TCP chimney (connection) offload; Linux never sets it. */
  chimney: 1n << 1n,
  /** Bit 2: the guest can use an SR-IOV VF data path; Linux sets it from NVSP 5 unless it is an isolated guest. */
  sriov: 1n << 2n,
  /** Bit 3: 802.1Q VLAN tagging; Linux always sets it. */
  ieee8021q: 1n << 3n,
  /** Bit 4: packet correlation ids; Linux never sets it. */
  correlation_id: 1n << 4n,
  /** Bit 5: NIC teaming; Linux sets it from NVSP 5 (it makes the host send link-speed indications). */
  teaming: 1n << 5n,
  /** Bit 6: virtual subnet id (network virtualization); Linux never sets it. */
  vsubnetid: 1n << 6n,
  /** Bit 7: receive segment coalescing; Linux sets it from NVSP 6.1. */
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
