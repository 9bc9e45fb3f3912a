/**
 * NVSP messages, v1 through v6.1: one discriminated union, a total decoder and a peer-aware encoder.
 *
 * ## Values
 * Every message is a plain object whose `type` names it (`'SUBCHANNEL_REQUEST'`, `'INIT_COMPLETE'`,
 * …) and whose other fields are the kernel's field names of the body struct (see `nvsp-structs.ts`).
 * A host and a guest both call {@link decodeNvsp} on the payload of a VMBus packet and `switch` on
 * `type`.
 *
 * ## Direction
 * Two message types carry different bodies in each direction: 133 (`SUBCHANNEL_REQUEST` from the
 * guest, `SUBCHANNEL_COMPLETE` from the host) and 135 (`PD_API_REQUEST` / `PD_API_COMPLETE`). The
 * decoder therefore needs to know who sent the bytes (`from`). Every other type is decoded by its
 * shape whatever the direction; whether a message is acceptable in a direction, a protocol version
 * or a state is the business of the state machine that receives it.
 *
 * ## Unknown types
 * A message type with no known body layout (0, the unused chimney/VMQ types 109–119, 123, 124,
 * 126, 127, 130, and anything undefined) decodes to `{ type: 'UNKNOWN', msg_type, body }` rather than
 * an error: a host needs the number to answer like its peer does (openvmm turns an unexpected type
 * into a channel-fatal worker error, and answers OID_QUERY_EX, which *is* decoded, with a
 * NOT_SUPPORTED completion) and a guest needs it to log and drop like Linux does.
 *
 * ## Sizes
 * The decoder takes the whole payload (`hv_pkt_datalen` bytes, padding included) and accepts any
 * length from the header plus the body struct upwards, so a peer's 28-, 32- or 40-byte form all
 * decode. Exceptions are listed on {@link decodeNvsp}. The encoder writes what a chosen peer writes
 * ({@link NvspPeer}): Linux pads every message to `sizeof(struct nvsp_message)` = 40, Windows hosts
 * send 28 bytes before 6.1 and 40 from 6.1 on, openvmm 32 / 40.
 *
 * Sources: drivers/net/hyperv/hyperv_net.h and netvsc.c (Debian 6.1.192); openvmm
 * vm/devices/net/netvsp/src/protocol.rs and lib.rs; shared/spec/nvsp-rndis-netvsc.md §2.
 *
 * @module
 */
import { checkRoom, ProtocolError, type Codec, type ValueOf } from '../wire/index.js';
import {
  NVSP_2_VSC_CAPABILITY,
  NVSP_MSG1_TYPE_SEND_RECV_BUF_COMPLETE,
  NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE,
  NVSP_MSG1_TYPE_SEND_SEND_BUF_COMPLETE,
  NVSP_MSG5_TYPE_SUBCHANNEL,
  NVSP_MSG_TYPE_INIT_COMPLETE,
  NVSP_PROTOCOL_VERSION_4,
  NVSP_PROTOCOL_VERSION_5,
  NVSP_PROTOCOL_VERSION_6,
  NVSP_PROTOCOL_VERSION_61,
  NVSP_PROTOCOL_VERSION_1,
  NVSP_PROTOCOL_VERSION_2,
} from './nvsp-constants.js';
import {
  nvsp_1_message_revoke_receive_buffer,
  nvsp_1_message_revoke_send_buffer,
  nvsp_1_message_send_ndis_version,
  nvsp_1_message_send_rndis_packet,
  nvsp_1_message_send_rndis_packet_complete,
  nvsp_1_message_send_receive_buffer,
  nvsp_1_message_send_receive_buffer_complete,
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
  nvsp_5_send_indirect_table,
  nvsp_5_subchannel_complete,
  nvsp_5_subchannel_request,
  NVSP_6_PD_API_COMP_MEMBERS,
  NVSP_6_PD_API_REQ_MEMBERS,
  nvsp_6_pd_batch_msg,
  nvsp_6_pd_buf,
  nvsp_message_init,
  nvsp_message_init_complete,
  type NvspReceiveBufferSection,
} from './nvsp-structs.js';

export * from './nvsp-constants.js';
export * from './nvsp-structs.js';

// ---------------------------------------------------------------------------------------------
// Sizes

/** Bytes of the NVSP header (`msg_type`); every body starts here. */
export const NVSP_HEADER_SIZE = 4;
/** `sizeof(struct nvsp_message)`: what Linux sends for every control message. */
export const NVSP_MESSAGE_SIZE = 40;
/** Windows' NVSP_LEGACY_MESSAGE_SIZE / openvmm PACKET_SIZE_V1: header + v1 union (hosts before 6.1). */
export const NVSP_LEGACY_MESSAGE_SIZE = 28;
/** openvmm's pre-6.1 payload: the 28-byte message rounded up to 8 (it writes the zero padding). */
export const NVSP_OPENVMM_V1_PAYLOAD_SIZE = 32;
/** Size of Linux's receive completion (`struct recv_comp_msg`: header + status). */
export const NVSP_RECV_COMPLETION_SIZE = 8;
/**
 * Where Linux (≤ 6.0 fix-up) and Windows hosts put the send indirection table: right after a full
 * 40-byte `nvsp_message` (`sizeof(header) + sizeof(union nvsp_6_message_uber)`).
 */
export const NVSP_SEND_TABLE_FIXED_OFFSET = 40;
/**
 * Largest message the encoder writes: a VMBus payload behind a 16-byte descriptor whose u16 `len8`
 * counts 8-byte units (65535 × 8 − 16).
 */
export const NVSP_MAX_ENCODED_LENGTH = 65535 * 8 - 16;
/** Entries of the host's send indirection table (hyperv_net.h VRSS_SEND_TAB_SIZE). */
export const VRSS_SEND_TAB_SIZE = 16;

// ---------------------------------------------------------------------------------------------
// Message values

/**
 * A fixed-body NVSP message value: the body struct's decoded value (its kernel field names, see
 * `nvsp-structs.ts`) plus the `type` tag naming the message. {@link NvspInit},
 * {@link NvspSendRndisPkt} and the other fixed-body messages are all of this form.
 * @typeParam T - The message tag (a key of {@link NVSP_MESSAGE_TYPE}).
 * @typeParam B - The body's value, `ValueOf<typeof nvsp_…>` of its struct codec.
 */
export type NvspTagged<T extends string, B> = {
  /** The message tag; {@link NVSP_MESSAGE_TYPE} maps it to the `msg_type` number sent in the 4-byte header. */
  type: T;
} & B;

/** 1, guest→host: the version being tried (Linux puts the same value in both words). */
export type NvspInit = NvspTagged<'INIT', ValueOf<typeof nvsp_message_init>>;
/** 2, host→guest: `status` 1 accepts the version; the other words are ignored by Linux. */
export type NvspInitComplete = NvspTagged<'INIT_COMPLETE', ValueOf<typeof nvsp_message_init_complete>>;
/** 100, guest→host. */
export type NvspSendNdisVer = NvspTagged<'SEND_NDIS_VER', ValueOf<typeof nvsp_1_message_send_ndis_version>>;
/** 101, guest→host. */
export type NvspSendRecvBuf = NvspTagged<'SEND_RECV_BUF', ValueOf<typeof nvsp_1_message_send_receive_buffer>>;
/** 102, host→guest: `num_sections` must equal `sections.length`. */
export interface NvspSendRecvBufComplete {
  /** Discriminant: `NVSP_MSG1_TYPE_SEND_RECV_BUF_COMPLETE` (102). */
  type: 'SEND_RECV_BUF_COMPLETE';
  /** u32 @4: an `NVSP_STAT_*` value; Linux requires 1 (SUCCESS). */
  status: number;
  /** u32 @8: number of 16-byte sections that follow; Linux requires exactly 1. */
  num_sections: number;
  /**
   * The receive-buffer sections (from @12). Linux requires `sections[0].offset` 0 and takes its
   * `sub_alloc_size` (≥ 68) and `num_sub_allocs` as the receive section size and count.
   */
  sections: NvspReceiveBufferSection[];
}
/** 103, guest→host. */
export type NvspRevokeRecvBuf = NvspTagged<'REVOKE_RECV_BUF', ValueOf<typeof nvsp_1_message_revoke_receive_buffer>>;
/** 104, guest→host. */
export type NvspSendSendBuf = NvspTagged<'SEND_SEND_BUF', ValueOf<typeof nvsp_1_message_send_send_buffer>>;
/** 105, host→guest. */
export type NvspSendSendBufComplete = NvspTagged<
  'SEND_SEND_BUF_COMPLETE',
  ValueOf<typeof nvsp_1_message_send_send_buffer_complete>
>;
/** 106, guest→host. */
export type NvspRevokeSendBuf = NvspTagged<'REVOKE_SEND_BUF', ValueOf<typeof nvsp_1_message_revoke_send_buffer>>;
/** 107, both directions. */
export type NvspSendRndisPkt = NvspTagged<'SEND_RNDIS_PKT', ValueOf<typeof nvsp_1_message_send_rndis_packet>>;
/** 108, both directions. */
export type NvspSendRndisPktComplete = NvspTagged<
  'SEND_RNDIS_PKT_COMPLETE',
  ValueOf<typeof nvsp_1_message_send_rndis_packet_complete>
>;
/** 120 (defined, unused by Linux). */
export type NvspAllocRxbuf = NvspTagged<'ALLOC_RXBUF', ValueOf<typeof nvsp_2_alloc_rxbuf>>;
/** 121 (defined, unused by Linux). */
export type NvspAllocRxbufComp = NvspTagged<'ALLOC_RXBUF_COMP', ValueOf<typeof nvsp_2_alloc_rxbuf_comp>>;
/** 122 (defined, unused by Linux). */
export type NvspFreeRxbuf = NvspTagged<'FREE_RXBUF', ValueOf<typeof nvsp_2_free_rxbuf>>;
/** 125, guest→host (v2+): `capability` is a mask of {@link NVSP_2_VSC_CAPABILITY} bits. */
export type NvspSendNdisConfig = NvspTagged<'SEND_NDIS_CONFIG', ValueOf<typeof nvsp_2_send_ndis_config>>;
/** 128, host→guest (v4+). */
export type NvspSendVfAssociation = NvspTagged<'SEND_VF_ASSOCIATION', ValueOf<typeof nvsp_4_send_vf_association>>;
/** 129, guest→host (v4+). */
export type NvspSwitchDataPath = NvspTagged<'SWITCH_DATA_PATH', ValueOf<typeof nvsp_4_sw_datapath>>;
/** 131 (v5, Windows layout; Linux never sends it). */
export type NvspOidQueryEx = NvspTagged<'OID_QUERY_EX', ValueOf<typeof nvsp_5_oid_query_ex>>;
/** 132 (v5, Windows layout). */
export type NvspOidQueryExComp = NvspTagged<'OID_QUERY_EX_COMP', ValueOf<typeof nvsp_5_oid_query_ex_comp>>;
/** 133 from the guest (v5+): `num_subchannels` is the number of *sub*channels wanted. */
export type NvspSubchannelRequest = NvspTagged<'SUBCHANNEL_REQUEST', ValueOf<typeof nvsp_5_subchannel_request>>;
/** 133 from the host: the number of subchannels granted. */
export type NvspSubchannelComplete = NvspTagged<'SUBCHANNEL_COMPLETE', ValueOf<typeof nvsp_5_subchannel_complete>>;
/**
 * 134, host→guest (v5+). `offset` is the field as sent; `table` holds `count` u32 channel numbers
 * read from where Linux reads them. `table_offset` is present only when that place differs from
 * `offset` (Linux's ≤ 6.0 host-bug fix-up); when encoding, it says where to put the table
 * (default: `offset`, or 40 for the `hyperv` peer).
 */
export interface NvspSendIndirectionTable {
  /** Discriminant: `NVSP_MSG5_TYPE_SEND_INDIRECTION_TABLE` (134). */
  type: 'SEND_INDIRECTION_TABLE';
  /** u32 @4: number of table entries; Linux requires exactly 16 ({@link VRSS_SEND_TAB_SIZE}). Equals `table.length`. */
  count: number;
  /** u32 @8: byte offset of the table from the start of the NVSP message, header included (openvmm: 12). */
  offset: number;
  /** The entries, u32 each: the channel index to transmit on for `skb hash & 15` (Linux's `tx_table[]`). */
  table: number[];
  /**
   * Decoded: where the table really was read, present only when that is not `offset` (Linux ≤ 6.0 reading at 40).
   * Encoding: where to write the table.
   */
  table_offset?: number;
}
/**
 * 135 from the guest (v6, unused by Linux). Exactly one union member is present, chosen by `op`
 * (see {@link PD_API_REQ_MEMBER}); ops without a member carry none.
 */
export interface NvspPdApiRequest {
  /** Discriminant: `NVSP_MSG6_TYPE_PD_API` (135) sent by the guest. */
  type: 'PD_API_REQUEST';
  /** u32 @4: the `PD_API_OP_*` operation (1–9); it selects the union member at @8. */
  op: number;
  /** Op 1 CONFIG: PacketDirect MMIO region (`mmio_pa` u64, `mmio_len`) and `num_subchn`. */
  config?: ValueOf<typeof NVSP_6_PD_API_REQ_MEMBERS.config>;
  /** Op 2 SW_DATAPATH: whether the host data path is PacketDirect and whether the guest has PD enabled (u8 flags). */
  sw_dpath?: ValueOf<typeof NVSP_6_PD_API_REQ_MEMBERS.sw_dpath>;
  /** Op 3 OPEN_PROVIDER: provider id and open flags. */
  open_prov?: ValueOf<typeof NVSP_6_PD_API_REQ_MEMBERS.open_prov>;
  /** Op 4 CLOSE_PROVIDER: the provider id to close. */
  cls_prov?: ValueOf<typeof NVSP_6_PD_API_REQ_MEMBERS.cls_prov>;
  /** Op 5 CREATE_QUEUE: provider, queue id and size, receive/RSS flags, receive data length, CPU affinity. */
  cr_q?: ValueOf<typeof NVSP_6_PD_API_REQ_MEMBERS.cr_q>;
  /** Op 7 FREE_QUEUE: provider and queue id of the queue to free. */
  del_q?: ValueOf<typeof NVSP_6_PD_API_REQ_MEMBERS.del_q>;
  /** Op 6 FLUSH_QUEUE: provider and queue id of the queue to flush. */
  flush_q?: ValueOf<typeof NVSP_6_PD_API_REQ_MEMBERS.flush_q>;
  /** Op 8 ALLOC_COM_BUF: length, NUMA node and region id of the common buffer wanted. */
  alloc_com_buf?: ValueOf<typeof NVSP_6_PD_API_REQ_MEMBERS.alloc_com_buf>;
  /** Op 9 FREE_COM_BUF: length, physical address, node, region id and cache type of the buffer to free. */
  free_com_buf?: ValueOf<typeof NVSP_6_PD_API_REQ_MEMBERS.free_com_buf>;
}
/** 135 from the host (v6, unused by Linux); union member chosen by `op` ({@link PD_API_COMP_MEMBER}). */
export interface NvspPdApiComplete {
  /** Discriminant: `NVSP_MSG6_TYPE_PD_API` (135) sent by the host. */
  type: 'PD_API_COMPLETE';
  /** u32 @4: the `PD_API_OP_*` of the request being completed; selects the union member at @12. */
  op: number;
  /** u32 @8: an `NVSP_STAT_*` result. */
  status: number;
  /** Op 1 CONFIG: PD and RSS queue counts, and whether PacketDirect is supported and enabled. */
  config?: ValueOf<typeof NVSP_6_PD_API_COMP_MEMBERS.config>;
  /** Op 3 OPEN_PROVIDER: the provider id opened. */
  open_prov?: ValueOf<typeof NVSP_6_PD_API_COMP_MEMBERS.open_prov>;
  /** Op 5 CREATE_QUEUE: the created queue's provider, id, size, receive data length and affinity. */
  cr_q?: ValueOf<typeof NVSP_6_PD_API_COMP_MEMBERS.cr_q>;
  /** Op 8 ALLOC_COM_BUF: physical address, length, node, region id and cache type of the allocated buffer. */
  alloc_com_buf?: ValueOf<typeof NVSP_6_PD_API_COMP_MEMBERS.alloc_com_buf>;
}
/** One `nvsp_6_pd_buf` with its bitfield decoded. */
export interface NvspPdBuf {
  /** u32 @0: byte offset of the packet inside its common-buffer region. */
  region_offset: number;
  /** u16 @4: the region (as allocated by ALLOC_COM_BUF). */
  region_id: number;
  /** Bit 0 of the bitfield word (0 or 1). */
  is_partial: number;
}
/** 136 (v6, unused by Linux): `count` must equal `pd_buf.length`; bitfields are 0 or 1. */
export interface NvspPdPostBatch {
  /** Discriminant: `NVSP_MSG6_TYPE_PD_POST_BATCH` (136). */
  type: 'PD_POST_BATCH';
  /** u16 @4: number of 8-byte `pd_buf` descriptors that follow at @8. */
  count: number;
  /** Bit 0 of the u16 @6: 1 when the batch goes guest → host. */
  guest2host: number;
  /** Bit 1 of the u16 @6: 1 for receive buffers, 0 for send. */
  is_recv: number;
  /** The buffer descriptors (`nvsp_6_pd_buf`). */
  pd_buf: NvspPdBuf[];
}
/** Any message type without a known body layout; `body` is every byte after the header. */
export interface NvspUnknown {
  /** Discriminant for every `msg_type` without a known body layout. */
  type: 'UNKNOWN';
  /** The u32 @0 as received (0, 109–119, 123, 124, 126, 127, 130, or an undefined number). */
  msg_type: number;
  /** Every byte after the 4-byte header, padding included. */
  body: Uint8Array;
}

/** Every NVSP message. */
export type NvspMessage =
  | NvspInit
  | NvspInitComplete
  | NvspSendNdisVer
  | NvspSendRecvBuf
  | NvspSendRecvBufComplete
  | NvspRevokeRecvBuf
  | NvspSendSendBuf
  | NvspSendSendBufComplete
  | NvspRevokeSendBuf
  | NvspSendRndisPkt
  | NvspSendRndisPktComplete
  | NvspAllocRxbuf
  | NvspAllocRxbufComp
  | NvspFreeRxbuf
  | NvspSendNdisConfig
  | NvspSendVfAssociation
  | NvspSwitchDataPath
  | NvspOidQueryEx
  | NvspOidQueryExComp
  | NvspSubchannelRequest
  | NvspSubchannelComplete
  | NvspSendIndirectionTable
  | NvspPdApiRequest
  | NvspPdApiComplete
  | NvspPdPostBatch
  | NvspUnknown;

/** The `type` tag of every message. */
export type NvspMessageTag = NvspMessage['type'];
/** The message with a given tag. */
export type NvspMessageOf<T extends NvspMessageTag> = Extract<
  NvspMessage,
  {
    /** The tag to select by. */
    type: T;
  }
>;

/** `msg_type` of each tag (every tag but `UNKNOWN`, which carries its own). */
export const NVSP_MESSAGE_TYPE = Object.freeze({
  /** 1: `NVSP_MSG_TYPE_INIT`, guest → host: the protocol version to try; completion requested. */
  INIT: 1,
  /** 2: `NVSP_MSG_TYPE_INIT_COMPLETE`, host → guest: INIT's completion; `status` 1 accepts the version. */
  INIT_COMPLETE: 2,
  /** 100: `NVSP_MSG1_TYPE_SEND_NDIS_VER`, guest → host: the NDIS version (6.1 or 6.30); no completion. */
  SEND_NDIS_VER: 100,
  /** 101: `NVSP_MSG1_TYPE_SEND_RECV_BUF`, guest → host: the receive buffer's GPADL handle and id 0xCAFE. */
  SEND_RECV_BUF: 101,
  /** 102: `NVSP_MSG1_TYPE_SEND_RECV_BUF_COMPLETE`, host → guest: status and the receive-buffer sections. */
  SEND_RECV_BUF_COMPLETE: 102,
  /** 103: `NVSP_MSG1_TYPE_REVOKE_RECV_BUF`, guest → host at teardown: stop using the receive buffer. */
  REVOKE_RECV_BUF: 103,
  /** 104: `NVSP_MSG1_TYPE_SEND_SEND_BUF`, guest → host: the send buffer's GPADL handle and id (Linux 0). */
  SEND_SEND_BUF: 104,
  /** 105: `NVSP_MSG1_TYPE_SEND_SEND_BUF_COMPLETE`, host → guest: status and the send-section size. */
  SEND_SEND_BUF_COMPLETE: 105,
  /** 106: `NVSP_MSG1_TYPE_REVOKE_SEND_BUF`, guest → host at teardown: stop using the send buffer. */
  REVOKE_SEND_BUF: 106,
  /** 107: `NVSP_MSG1_TYPE_SEND_RNDIS_PKT`, both ways: one RNDIS message (data or control; send section or page ranges). */
  SEND_RNDIS_PKT: 107,
  /** 108: `NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE`, both ways: completion of a 107 with an `NVSP_STAT_*` status. */
  SEND_RNDIS_PKT_COMPLETE: 108,
  /** 120: `NVSP_MSG2_TYPE_ALLOC_RXBUF` (v2): allocate an extra receive buffer; defined, unused by Linux. */
  ALLOC_RXBUF: 120,
  /** 121: `NVSP_MSG2_TYPE_ALLOC_RXBUF_COMP` (v2): ALLOC_RXBUF's completion; unused by Linux. */
  ALLOC_RXBUF_COMP: 121,
  /** 122: `NVSP_MSG2_TYPE_FREE_RXBUF` (v2): free a buffer from ALLOC_RXBUF; unused by Linux. */
  FREE_RXBUF: 122,
  /** 125: `NVSP_MSG2_TYPE_SEND_NDIS_CONFIG` (v2+), guest → host: MTU + 14 and capability bits; no completion. */
  SEND_NDIS_CONFIG: 125,
  /** 128: `NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION` (v4+), host → guest: an SR-IOV VF appeared (with its serial) or went away. */
  SEND_VF_ASSOCIATION: 128,
  /** 129: `NVSP_MSG4_TYPE_SWITCH_DATA_PATH` (v4+), guest → host: move the data path to the VF or back to synthetic. */
  SWITCH_DATA_PATH: 129,
  /** 131: `NVSP_MSG5_TYPE_OID_QUERY_EX` (v5): extended OID query, Windows/openvmm layout; never sent by Linux. */
  OID_QUERY_EX: 131,
  /** 132: `NVSP_MSG5_TYPE_OID_QUERY_EX_COMP` (v5): OID_QUERY_EX's completion (status, bytes). */
  OID_QUERY_EX_COMP: 132,
  /** 133: `NVSP_MSG5_TYPE_SUBCHANNEL` (v5+) from the guest: allocate `num_subchannels` subchannels. */
  SUBCHANNEL_REQUEST: 133,
  /** 133: `NVSP_MSG5_TYPE_SUBCHANNEL` (v5+) from the host: status and the number of subchannels granted. */
  SUBCHANNEL_COMPLETE: 133,
  /** 134: `NVSP_MSG5_TYPE_SEND_INDIRECTION_TABLE` (v5+), host → guest: the 16-entry send (TX) indirection table. */
  SEND_INDIRECTION_TABLE: 134,
  /** 135: `NVSP_MSG6_TYPE_PD_API` (v6) from the guest: a PacketDirect API request; unused by Linux. */
  PD_API_REQUEST: 135,
  /** 135: `NVSP_MSG6_TYPE_PD_API` (v6) from the host: a PacketDirect API completion; unused by Linux. */
  PD_API_COMPLETE: 135,
  /** 136: `NVSP_MSG6_TYPE_PD_POST_BATCH` (v6): a batch of PacketDirect buffer descriptors; unused by Linux. */
  PD_POST_BATCH: 136,
} as const satisfies Record<Exclude<NvspMessageTag, 'UNKNOWN'>, number>);

/** The `msg_type` number a message value is sent with. */
export function nvspMsgTypeOf(msg: NvspMessage): number {
  return msg.type === 'UNKNOWN' ? msg.msg_type : NVSP_MESSAGE_TYPE[msg.type];
}

/** Union member of `nvsp_6_pd_api_req` used by each op (PD_API_OP_*); op 7 FREE_QUEUE uses `del_q`. */
export const PD_API_REQ_MEMBER = Object.freeze({
  /** `PD_API_OP_CONFIG` (1): configure PacketDirect; member `config`. */
  1: 'config',
  /** `PD_API_OP_SW_DATAPATH` (2): switch the PacketDirect data path; member `sw_dpath`. */
  2: 'sw_dpath',
  /** `PD_API_OP_OPEN_PROVIDER` (3): open a provider; member `open_prov`. */
  3: 'open_prov',
  /** `PD_API_OP_CLOSE_PROVIDER` (4): close a provider; member `cls_prov`. */
  4: 'cls_prov',
  /** `PD_API_OP_CREATE_QUEUE` (5): create a queue; member `cr_q`. */
  5: 'cr_q',
  /** `PD_API_OP_FLUSH_QUEUE` (6): flush a queue; member `flush_q`. */
  6: 'flush_q',
  /** `PD_API_OP_FREE_QUEUE` (7): free a queue; member `del_q`. */
  7: 'del_q',
  /** `PD_API_OP_ALLOC_COM_BUF` (8): allocate a common buffer; member `alloc_com_buf`. */
  8: 'alloc_com_buf',
  /** `PD_API_OP_FREE_COM_BUF` (9): free a common buffer; member `free_com_buf`. */
  9: 'free_com_buf',
} as const);
/** Union member of `nvsp_6_pd_api_comp` used by each op; other ops carry no completion data. */
export const PD_API_COMP_MEMBER = Object.freeze({
  /** `PD_API_OP_CONFIG` (1): the completion carries `config` (queue counts, support flags). */
  1: 'config',
  /** `PD_API_OP_OPEN_PROVIDER` (3): the completion carries `open_prov` (provider id). */
  3: 'open_prov',
  /** `PD_API_OP_CREATE_QUEUE` (5): the completion carries `cr_q` (the created queue). */
  5: 'cr_q',
  /** `PD_API_OP_ALLOC_COM_BUF` (8): the completion carries `alloc_com_buf` (the allocated buffer). */
  8: 'alloc_com_buf',
} as const);

// ---------------------------------------------------------------------------------------------
// Options

/** Who wrote the bytes. Decides the body of types 133 and 135. */
export type NvspSender = 'guest' | 'host';

/**
 * Whose message sizes to write:
 * - `linux`: 40 bytes (`sizeof(struct nvsp_message)`) for everything, except the 8-byte receive
 *   completion (108, `struct recv_comp_msg`). DPDK also sends 40.
 * - `hyperv`: a Windows host: 28 bytes before 6.1, 40 from 6.1 (the {@link NvspEncodeOptions.version}
 *   option decides; none means before 6.1); the send indirection table goes after a full 40-byte
 *   message (104 bytes in all).
 * - `openvmm`: 32 bytes (28 rounded up to 8, zero-filled) before 6.1, 40 from 6.1; the send
 *   indirection table is the compact 76-byte form with the table at offset 12.
 * - `exact`: header + body struct, no padding (what Appendix A calls a minimal message).
 * A message longer than the peer's size (receive-buffer sections, the send table) is written whole.
 */
export type NvspPeer = 'linux' | 'hyperv' | 'openvmm' | 'exact';

/** Options of {@link decodeNvsp}. */
export interface NvspDecodeOptions {
  /** Who sent the bytes. */
  from: NvspSender;
  /**
   * The negotiated NVSP version. Only the send indirection table (134) uses it: at ≤ 6.0
   * (0x60000) Linux reads the table at 40 whenever the message has ≥ 104 bytes. Without it the
   * offset field is honoured, as Linux does at 6.1.
   */
  version?: number;
}

/** Options of {@link encodeNvsp}. */
export interface NvspEncodeOptions {
  /** Whose sizes to write (default `linux`). */
  peer?: NvspPeer;
  /** The NVSP version the peer has negotiated (for `hyperv` and `openvmm`: 40-byte messages from 6.1). */
  version?: number;
  /** Pad to this many bytes instead of the peer's size (a longer message is still written whole). */
  size?: number;
}

// ---------------------------------------------------------------------------------------------
// Fixed-body messages: one table drives decode, encode and sizes.

interface FixedBody {
  readonly type: NvspMessageTag;
  readonly codec: {
    readonly name: string;
    readonly size: number;
    decode(b: Uint8Array, o?: number): any;
    encode(v: any, b?: Uint8Array, o?: number): Uint8Array;
  };
}

const FIXED: Partial<Record<NvspMessageTag, FixedBody>> = Object.create(null);
const fixed = (type: NvspMessageTag, codec: FixedBody['codec']): FixedBody => (FIXED[type] = { type, codec });

/** Decoding table for messages with a fixed body: index = msg_type; [from guest, from host]. */
const BY_TYPE: (readonly [FixedBody, FixedBody] | undefined)[] = [];
const both = (msgType: number, body: FixedBody): void => {
  BY_TYPE[msgType] = [body, body];
};

both(1, fixed('INIT', nvsp_message_init));
both(2, fixed('INIT_COMPLETE', nvsp_message_init_complete));
both(100, fixed('SEND_NDIS_VER', nvsp_1_message_send_ndis_version));
both(101, fixed('SEND_RECV_BUF', nvsp_1_message_send_receive_buffer));
both(103, fixed('REVOKE_RECV_BUF', nvsp_1_message_revoke_receive_buffer));
both(104, fixed('SEND_SEND_BUF', nvsp_1_message_send_send_buffer));
both(105, fixed('SEND_SEND_BUF_COMPLETE', nvsp_1_message_send_send_buffer_complete));
both(106, fixed('REVOKE_SEND_BUF', nvsp_1_message_revoke_send_buffer));
both(107, fixed('SEND_RNDIS_PKT', nvsp_1_message_send_rndis_packet));
both(108, fixed('SEND_RNDIS_PKT_COMPLETE', nvsp_1_message_send_rndis_packet_complete));
both(120, fixed('ALLOC_RXBUF', nvsp_2_alloc_rxbuf));
both(121, fixed('ALLOC_RXBUF_COMP', nvsp_2_alloc_rxbuf_comp));
both(122, fixed('FREE_RXBUF', nvsp_2_free_rxbuf));
both(125, fixed('SEND_NDIS_CONFIG', nvsp_2_send_ndis_config));
both(128, fixed('SEND_VF_ASSOCIATION', nvsp_4_send_vf_association));
both(129, fixed('SWITCH_DATA_PATH', nvsp_4_sw_datapath));
both(131, fixed('OID_QUERY_EX', nvsp_5_oid_query_ex));
both(132, fixed('OID_QUERY_EX_COMP', nvsp_5_oid_query_ex_comp));
BY_TYPE[133] = [
  fixed('SUBCHANNEL_REQUEST', nvsp_5_subchannel_request),
  fixed('SUBCHANNEL_COMPLETE', nvsp_5_subchannel_complete),
];

interface PdMember {
  readonly key: string;
  readonly codec: FixedBody['codec'];
}
/** Union member codecs by op (index = PD_API_OP_*), from the public op → member tables. */
function pdTable(names: Readonly<Record<number, string>>, members: Readonly<Record<string, FixedBody['codec']>>) {
  const table: (PdMember | undefined)[] = [];
  for (const [op, key] of Object.entries(names)) table[Number(op)] = { key, codec: members[key]! };
  return table;
}
const PD_REQ_CODECS = pdTable(PD_API_REQ_MEMBER, NVSP_6_PD_API_REQ_MEMBERS);
const PD_COMP_CODECS = pdTable(PD_API_COMP_MEMBER, NVSP_6_PD_API_COMP_MEMBERS);

/** The union member an op selects (`op` already known to be a u32). */
function pdMember(table: readonly (PdMember | undefined)[], op: number): PdMember | undefined {
  return op < table.length ? table[op] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Little-endian helpers (callers have checked the bounds).

function rd32(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}
function wr32(b: Uint8Array, p: number, x: number): void {
  b[p] = x;
  b[p + 1] = x >>> 8;
  b[p + 2] = x >>> 16;
  b[p + 3] = x >>> 24;
}

function isU32(x: unknown): x is number {
  return typeof x === 'number' && x >>> 0 === x;
}
function checkU32(struct: string, field: string, x: unknown): number {
  if (!isU32(x)) throw new ProtocolError('FIELD_RANGE', 'does not fit u32 (0..4294967295)', { struct, field, value: x });
  return x;
}

// ---------------------------------------------------------------------------------------------
// Decoding

/**
 * Reads the `msg_type` of an NVSP payload without decoding the body. This is all Linux reads of the
 * NVSP message inside a transfer-page packet (`netvsc_receive` checks length ≥ 4 and type 107), so a
 * guest model uses this, not {@link decodeNvsp}, on the receive path.
 * @throws {@link ProtocolError} `SHORT_BUFFER` when fewer than 4 bytes remain.
 */
export function peekNvspType(buf: Uint8Array, offset = 0): number {
  checkRoom('nvsp_message_header', buf, offset, NVSP_HEADER_SIZE, 'decode');
  return rd32(buf, offset);
}

/**
 * True when `msgType` has no known body layout, i.e. {@link decodeNvsp} gives an `UNKNOWN`
 * message for it (0, the unused chimney/VMQ types, 130, and every number NVSP does not define).
 */
export function isNvspUnknownType(msgType: number): boolean {
  return (
    isU32(msgType) &&
    BY_TYPE[msgType] === undefined &&
    msgType !== NVSP_MSG1_TYPE_SEND_RECV_BUF_COMPLETE &&
    (msgType < 134 || msgType > 136)
  );
}

/**
 * Decodes one NVSP message. `buf` is the whole VMBus payload (`hv_pkt_datalen` bytes, padding
 * included): its length matters for the variable messages.
 *
 * Minimum lengths: header + body struct (so 28-, 32- and 40-byte forms all decode), except
 * - 102 SEND_RECV_BUF_COMPLETE: header + the 6.1.192 struct with one section (28) and at least
 *   `num_sections` sections (`BAD_LENGTH` otherwise);
 * - 134 SEND_INDIRECTION_TABLE: Linux's `netvsc_send_table` checks, in its order — length ≥ 12,
 *   `count` = 16 (`BAD_VALUE`), the ≤ 6.0 offset fix-up, then length ≥ 64 (`BAD_LENGTH`) and
 *   offset ≤ length − 64 (`BAD_OFFSET`); an offset inside the header or unaligned is accepted as
 *   Linux accepts it;
 * - 135 PD_API: header + op (+ status) + the union member the op selects;
 * - 136 PD_POST_BATCH: 8 + 8 × `count` (`BAD_LENGTH` otherwise).
 * Linux's own per-type minimums for completions are stricter in 6.1.192 (INIT_COMPLETE needs 28):
 * see {@link linuxCheckCompletion}.
 *
 * @throws {@link ProtocolError} and nothing else.
 */
export function decodeNvsp(buf: Uint8Array, options: NvspDecodeOptions): NvspMessage {
  if (!(buf instanceof Uint8Array)) {
    throw new ProtocolError('BAD_VALUE', 'decode needs a Uint8Array', { struct: 'nvsp_message', value: buf });
  }
  const from = options?.from;
  if (from !== 'guest' && from !== 'host') {
    throw new ProtocolError('BAD_VALUE', "must be 'guest' or 'host'", { struct: 'nvsp_message', field: 'from', value: from });
  }
  const len = buf.length;
  if (len < NVSP_HEADER_SIZE) {
    throw new ProtocolError('SHORT_BUFFER', `needs ${NVSP_HEADER_SIZE} bytes but only ${len} remain`, {
      struct: 'nvsp_message_header',
      field: 'msg_type',
      offset: 0,
    });
  }
  const msgType = rd32(buf, 0);
  const entry = BY_TYPE[msgType];
  if (entry !== undefined) {
    const body = entry[from === 'host' ? 1 : 0];
    const v = body.codec.decode(buf, NVSP_HEADER_SIZE);
    v.type = body.type;
    return v;
  }
  switch (msgType) {
    case NVSP_MSG1_TYPE_SEND_RECV_BUF_COMPLETE:
      return decodeRecvBufComplete(buf);
    case 134:
      return decodeSendTable(buf, options.version);
    case 135:
      return from === 'host' ? decodePdComplete(buf) : decodePdRequest(buf);
    case 136:
      return decodePdBatch(buf);
    default:
      return { type: 'UNKNOWN', msg_type: msgType, body: buf.slice(NVSP_HEADER_SIZE) };
  }
}

function decodeRecvBufComplete(buf: Uint8Array): NvspSendRecvBufComplete {
  // Throws SHORT_BUFFER (naming the struct and field) below header + 24 bytes.
  const head = nvsp_1_message_send_receive_buffer_complete.decode(buf, NVSP_HEADER_SIZE);
  const n = head.num_sections;
  const room = Math.floor((buf.length - 12) / nvsp_1_receive_buffer_section.size);
  if (n > room) {
    throw new ProtocolError('BAD_LENGTH', `needs ${12 + 16 * n} bytes but the message has ${buf.length}`, {
      struct: 'nvsp_1_message_send_receive_buffer_complete',
      field: 'num_sections',
      offset: 8,
      value: n,
    });
  }
  const sections: NvspReceiveBufferSection[] = new Array(n);
  for (let i = 0; i < n; i++) sections[i] = nvsp_1_receive_buffer_section.decode(buf, 12 + 16 * i);
  return { type: 'SEND_RECV_BUF_COMPLETE', status: head.status, num_sections: n, sections };
}

// Rules: drivers/net/hyperv/netvsc.c netvsc_send_table (6.1.192), in the same order.
function decodeSendTable(buf: Uint8Array, version: number | undefined): NvspSendIndirectionTable {
  const len = buf.length;
  const { count, offset } = nvsp_5_send_indirect_table.decode(buf, NVSP_HEADER_SIZE);
  if (count !== VRSS_SEND_TAB_SIZE) {
    throw new ProtocolError('BAD_VALUE', `must be ${VRSS_SEND_TAB_SIZE} (VRSS_SEND_TAB_SIZE)`, {
      struct: 'nvsp_5_send_indirect_table',
      field: 'count',
      offset: 4,
      value: count,
    });
  }
  const tableBytes = count * 4;
  let at = offset;
  if (version !== undefined && version <= NVSP_PROTOCOL_VERSION_6 && len >= NVSP_SEND_TABLE_FIXED_OFFSET + tableBytes) {
    at = NVSP_SEND_TABLE_FIXED_OFFSET;
  }
  if (len < tableBytes) {
    throw new ProtocolError('BAD_LENGTH', `has ${len} bytes, fewer than the ${tableBytes}-byte table`, {
      struct: 'nvsp_5_send_indirect_table',
      field: 'count',
      offset: 4,
      value: count,
    });
  }
  if (at > len - tableBytes) {
    throw new ProtocolError('BAD_OFFSET', `puts the ${tableBytes}-byte table past the ${len}-byte message`, {
      struct: 'nvsp_5_send_indirect_table',
      field: 'offset',
      offset: 8,
      value: offset,
    });
  }
  const table: number[] = new Array(count);
  for (let i = 0; i < count; i++) table[i] = rd32(buf, at + 4 * i);
  const msg: NvspSendIndirectionTable = { type: 'SEND_INDIRECTION_TABLE', count, offset, table };
  if (at !== offset) msg.table_offset = at;
  return msg;
}

function decodePdRequest(buf: Uint8Array): NvspPdApiRequest {
  if (buf.length < 8) throw short('nvsp_6_pd_api_req', 'op', 8, buf.length, NVSP_HEADER_SIZE);
  const op = rd32(buf, 4);
  const msg: NvspPdApiRequest = { type: 'PD_API_REQUEST', op };
  const member = pdMember(PD_REQ_CODECS, op);
  if (member) (msg as any)[member.key] = member.codec.decode(buf, 8);
  return msg;
}

function decodePdComplete(buf: Uint8Array): NvspPdApiComplete {
  if (buf.length < 12) {
    throw short('nvsp_6_pd_api_comp', buf.length < 8 ? 'op' : 'status', 12, buf.length, buf.length < 8 ? 4 : 8);
  }
  const msg: NvspPdApiComplete = { type: 'PD_API_COMPLETE', op: rd32(buf, 4), status: rd32(buf, 8) };
  const member = pdMember(PD_COMP_CODECS, msg.op);
  if (member) (msg as any)[member.key] = member.codec.decode(buf, 12);
  return msg;
}

function decodePdBatch(buf: Uint8Array): NvspPdPostBatch {
  const head = nvsp_6_pd_batch_msg.decode(buf, 0);
  const n = head.count;
  if (8 + 8 * n > buf.length) {
    throw new ProtocolError('BAD_LENGTH', `needs ${8 + 8 * n} bytes but the message has ${buf.length}`, {
      struct: 'nvsp_6_pd_batch_msg',
      field: 'count',
      offset: 4,
      value: n,
    });
  }
  const pd_buf: NvspPdBuf[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const e = nvsp_6_pd_buf.decode(buf, 8 + 8 * i);
    pd_buf[i] = { region_offset: e.region_offset, region_id: e.region_id, is_partial: e.flags & 1 };
  }
  return { type: 'PD_POST_BATCH', count: n, guest2host: head.flags & 1, is_recv: (head.flags >>> 1) & 1, pd_buf };
}

function short(struct: string, field: string, need: number, have: number, offset: number): ProtocolError {
  return new ProtocolError('SHORT_BUFFER', `needs ${need} bytes but only ${have} remain`, { struct, field, offset });
}

// ---------------------------------------------------------------------------------------------
// Encoding

function badValue(field: string, value: unknown, reason: string, struct = 'nvsp_message'): ProtocolError {
  return new ProtocolError('BAD_VALUE', reason, { struct, field, value });
}

/** Size the peer pads a message to (before taking the message's own length into account). */
function peerSize(msgType: number, options: NvspEncodeOptions): number {
  const size = options.size;
  if (size !== undefined) {
    if (!Number.isInteger(size) || size < 0 || size > NVSP_MAX_ENCODED_LENGTH) {
      throw new ProtocolError('FIELD_RANGE', `is not a message size (0..${NVSP_MAX_ENCODED_LENGTH})`, {
        struct: 'nvsp_message',
        field: 'size',
        value: size,
      });
    }
    return size;
  }
  const peer = options.peer ?? 'linux';
  switch (peer) {
    case 'linux':
      return msgType === NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE ? NVSP_RECV_COMPLETION_SIZE : NVSP_MESSAGE_SIZE;
    case 'hyperv':
      return (options.version ?? 0) >= NVSP_PROTOCOL_VERSION_61 ? NVSP_MESSAGE_SIZE : NVSP_LEGACY_MESSAGE_SIZE;
    case 'openvmm':
      return (options.version ?? 0) >= NVSP_PROTOCOL_VERSION_61 ? NVSP_MESSAGE_SIZE : NVSP_OPENVMM_V1_PAYLOAD_SIZE;
    case 'exact':
      return 0;
    default:
      throw badValue('peer', peer, "is not 'linux', 'hyperv', 'openvmm' or 'exact'");
  }
}

/** Where the send table goes, validated. */
function sendTableAt(msg: NvspSendIndirectionTable, options: NvspEncodeOptions): number {
  const at =
    msg.table_offset ??
    ((options.peer ?? 'linux') === 'hyperv' && options.size === undefined ? NVSP_SEND_TABLE_FIXED_OFFSET : msg.offset);
  if (!Number.isInteger(at) || at < 12 || at > NVSP_MAX_ENCODED_LENGTH) {
    throw new ProtocolError('FIELD_RANGE', 'must place the table after the 12-byte message head', {
      struct: 'nvsp_5_send_indirect_table',
      field: msg.table_offset === undefined ? 'offset' : 'table_offset',
      value: at,
    });
  }
  return at;
}

function checkCount(struct: string, field: string, count: unknown, items: unknown, itemsName: string): unknown[] {
  if (!Array.isArray(items)) throw badValue(itemsName, items, 'must be an array', struct);
  if (count !== items.length) {
    throw new ProtocolError('BAD_LENGTH', `must equal ${itemsName}.length (${items.length})`, {
      struct,
      field,
      value: count,
    });
  }
  return items;
}

/** The length of the message without peer padding; validates what the length depends on. */
function exactLength(msg: NvspMessage, options: NvspEncodeOptions): number {
  const f = FIXED[msg.type];
  if (f !== undefined) return NVSP_HEADER_SIZE + f.codec.size;
  switch (msg.type) {
    case 'SEND_RECV_BUF_COMPLETE': {
      const s = checkCount(
        'nvsp_1_message_send_receive_buffer_complete',
        'num_sections',
        msg.num_sections,
        msg.sections,
        'sections',
      );
      return Math.max(NVSP_HEADER_SIZE + nvsp_1_message_send_receive_buffer_complete.size, 12 + 16 * s.length);
    }
    case 'SEND_INDIRECTION_TABLE': {
      const t = checkCount('nvsp_5_send_indirect_table', 'count', msg.count, msg.table, 'table');
      return sendTableAt(msg, options) + 4 * t.length;
    }
    case 'PD_API_REQUEST': {
      const m = pdMember(PD_REQ_CODECS, checkU32('nvsp_6_pd_api_req', 'op', msg.op));
      return 8 + (m ? m.codec.size : 0);
    }
    case 'PD_API_COMPLETE': {
      const m = pdMember(PD_COMP_CODECS, checkU32('nvsp_6_pd_api_comp', 'op', msg.op));
      return 12 + (m ? m.codec.size : 0);
    }
    case 'PD_POST_BATCH': {
      const p = checkCount('nvsp_6_pd_batch_msg', 'count', msg.count, msg.pd_buf, 'pd_buf');
      return 8 + 8 * p.length;
    }
    case 'UNKNOWN': {
      checkU32('nvsp_message_header', 'msg_type', msg.msg_type);
      if (!(msg.body instanceof Uint8Array)) throw badValue('body', msg.body, 'must be a Uint8Array');
      return NVSP_HEADER_SIZE + msg.body.length;
    }
    default:
      throw badValue('type', (msg as { type?: unknown }).type, 'is not an NVSP message type');
  }
}

function checkMessage(msg: unknown): asserts msg is NvspMessage {
  if (msg === null || typeof msg !== 'object') throw badValue('type', msg, 'encode needs a message object');
}

/**
 * Bytes {@link encodeNvsp} writes for `msg`: the message's own length, padded up to the peer's
 * size.
 * @throws {@link ProtocolError} for a value that cannot be encoded.
 */
export function nvspEncodingLength(msg: NvspMessage, options: NvspEncodeOptions = {}): number {
  checkMessage(msg);
  const exact = exactLength(msg, options);
  const total = Math.max(exact, peerSize(nvspMsgTypeOf(msg), options));
  if (total > NVSP_MAX_ENCODED_LENGTH) {
    throw new ProtocolError('FIELD_RANGE', `is longer than a VMBus packet can carry (${NVSP_MAX_ENCODED_LENGTH})`, {
      struct: 'nvsp_message',
      value: total,
    });
  }
  return total;
}

/**
 * Encodes `msg` as `options.peer` would send it (default: Linux, 40 bytes), into `buf` at `offset`
 * (a new buffer when none is given). Padding is written as zeros.
 * @throws {@link ProtocolError} `FIELD_RANGE` for a field that does not fit, `BAD_VALUE` for an
 *   unknown `type` or an `UNKNOWN` message whose `msg_type` has a known layout, `BAD_LENGTH` when a
 *   count disagrees with its array, `SHORT_BUFFER` when `buf` has too little room.
 */
export function encodeNvsp(
  msg: NvspMessage,
  options: NvspEncodeOptions = {},
  buf?: Uint8Array,
  offset = 0,
): Uint8Array {
  const total = nvspEncodingLength(msg, options);
  const out = buf ?? new Uint8Array(offset + total);
  checkRoom('nvsp_message', out, offset, total, 'encode');
  if (buf !== undefined) out.fill(0, offset, offset + total);
  const f = FIXED[msg.type];
  if (f !== undefined) {
    wr32(out, offset, NVSP_MESSAGE_TYPE[msg.type as keyof typeof NVSP_MESSAGE_TYPE]);
    f.codec.encode(msg, out, offset + NVSP_HEADER_SIZE);
    return out;
  }
  switch (msg.type) {
    case 'SEND_RECV_BUF_COMPLETE': {
      // Layout: nvsp_1_message_send_receive_buffer_complete, with num_sections sections (checked
      // against sections.length by exactLength) in place of the declared one.
      wr32(out, offset, NVSP_MSG1_TYPE_SEND_RECV_BUF_COMPLETE);
      wr32(out, offset + 4, checkU32('nvsp_1_message_send_receive_buffer_complete', 'status', msg.status));
      wr32(out, offset + 8, msg.num_sections);
      const sections = msg.sections;
      for (let i = 0; i < sections.length; i++) nvsp_1_receive_buffer_section.encode(sections[i]!, out, offset + 12 + 16 * i);
      break;
    }
    case 'SEND_INDIRECTION_TABLE': {
      wr32(out, offset, 134);
      nvsp_5_send_indirect_table.encode(msg, out, offset + NVSP_HEADER_SIZE);
      const at = offset + sendTableAt(msg, options);
      msg.table.forEach((x, i) => {
        wr32(out, at + 4 * i, checkU32('nvsp_5_send_indirect_table', `table[${i}]`, x));
      });
      break;
    }
    case 'PD_API_REQUEST':
    case 'PD_API_COMPLETE': {
      const req = msg.type === 'PD_API_REQUEST';
      const struct = req ? 'nvsp_6_pd_api_req' : 'nvsp_6_pd_api_comp';
      wr32(out, offset, 135);
      wr32(out, offset + 4, msg.op);
      let at = offset + 8;
      if (!req) {
        wr32(out, at, checkU32(struct, 'status', (msg as NvspPdApiComplete).status));
        at += 4;
      }
      const m = pdMember(req ? PD_REQ_CODECS : PD_COMP_CODECS, msg.op);
      if (m) {
        const member = (msg as any)[m.key];
        if (member === null || typeof member !== 'object') {
          throw badValue(m.key, member, `must be present for op ${msg.op}`, struct);
        }
        m.codec.encode(member, out, at);
      }
      break;
    }
    case 'PD_POST_BATCH': {
      const bit = (field: string, x: unknown): number => {
        if (x !== 0 && x !== 1) {
          throw new ProtocolError('FIELD_RANGE', 'is a 1-bit field (0 or 1)', { struct: 'nvsp_6_pd_batch_msg', field, value: x });
        }
        return x;
      };
      const flags = bit('guest2host', msg.guest2host) | (bit('is_recv', msg.is_recv) << 1);
      nvsp_6_pd_batch_msg.encode({ hdr: { msg_type: 136 }, count: msg.count, flags }, out, offset);
      msg.pd_buf.forEach((e, i) => {
        if (e === null || typeof e !== 'object') throw badValue(`pd_buf[${i}]`, e, 'must be an object', 'nvsp_6_pd_batch_msg');
        nvsp_6_pd_buf.encode(
          { region_offset: e.region_offset, region_id: e.region_id, flags: bit(`pd_buf[${i}].is_partial`, e.is_partial) },
          out,
          offset + 8 + 8 * i,
        );
      });
      break;
    }
    case 'UNKNOWN': {
      const t = msg.msg_type;
      if (!isNvspUnknownType(t)) {
        throw badValue('msg_type', t, 'has a known layout; use its message type instead of UNKNOWN', 'nvsp_message_header');
      }
      wr32(out, offset, t);
      out.set(msg.body, offset + NVSP_HEADER_SIZE);
      break;
    }
  }
  return out;
}

/**
 * A {@link Codec} over whole NVSP messages for one direction and peer, for code written against
 * the codec contract (round-trip helpers, traces). `decode(buf, offset)` takes every byte from
 * `offset` to the end of `buf` as the message.
 */
export function nvspCodec(options: NvspDecodeOptions & NvspEncodeOptions): Codec<NvspMessage> {
  return {
    name: 'nvsp_message',
    encode: (value, buf, offset) => encodeNvsp(value, options, buf, offset),
    decode: (buf, offset = 0) => {
      checkRoom('nvsp_message', buf, offset, 0, 'decode');
      return decodeNvsp(offset === 0 ? buf : buf.subarray(offset), options);
    },
    encodingLength: (value) => nvspEncodingLength(value, options),
  };
}

// ---------------------------------------------------------------------------------------------
// Linux's rules on host completions (netvsc_send_completion) and what Linux sends.

/** Which Linux the rules follow: the Debian 6.1.192 oracle, or the 2025 mainline snapshot. */
export type LinuxKernel = '6.1.192' | 'mainline';

/**
 * The shortest payload `netvsc_send_completion` accepts for a completion of `msgType`, or
 * `undefined` for a type it does not handle (logged "unknown" and dropped).
 *
 * 6.1.192's cases fall through into each other (INIT_COMPLETE → SEND_RECV_BUF_COMPLETE →
 * SEND_SEND_BUF_COMPLETE → SUBCHANNEL), so each needs the largest minimum at or after its case:
 * 28 for INIT_COMPLETE there, 16 in mainline where each case stands alone.
 */
export function linuxCompletionMinLength(msgType: number, kernel: LinuxKernel = '6.1.192'): number | undefined {
  switch (msgType) {
    case NVSP_MSG_TYPE_INIT_COMPLETE:
      // header + nvsp_message_init_complete (16); 6.1.192 falls through to the 28-byte check.
      return kernel === '6.1.192' ? 28 : 16;
    case NVSP_MSG1_TYPE_SEND_RECV_BUF_COMPLETE:
      return 28; // header + the struct with one section
    case NVSP_MSG1_TYPE_SEND_SEND_BUF_COMPLETE:
    case NVSP_MSG5_TYPE_SUBCHANNEL:
      return 12;
    case NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE:
      return 8;
    default:
      return undefined;
  }
}

/** What Linux's `netvsc_send_completion` does with a host completion (VM_PKT_COMP) payload. */
export type LinuxCompletionVerdict =
  /** No payload: Linux maps the trans_id back to its request; only a SWITCH_DATA_PATH waiter wakes. */
  | {
      /** An empty completion: looked up by transaction id, not by content. */
      readonly action: 'lookup-request';
    }
  /** Dropped (logged); a waiter keeps waiting. */
  | {
      /** The completion is discarded. */
      readonly action: 'drop';
      /** Why: fewer than 4 bytes, shorter than the type's minimum, or a type Linux does not handle as a completion. */
      readonly reason: 'short-header' | 'short-body' | 'unknown-type';
      /** The NVSP `msg_type` read (absent for `short-header`). */
      readonly msg_type?: number;
      /** The minimum length the type needed (only for `short-body`), from {@link linuxCompletionMinLength}. */
      readonly min_length?: number;
    }
  /** 2, 102, 105, 133: the first 40 bytes are copied to `channel_init_pkt` and the one control waiter wakes. */
  | {
      /** The completion is accepted and wakes the single control-request waiter. */
      readonly action: 'wake-waiter';
      /** The NVSP `msg_type` (2, 102, 105 or 133). */
      readonly msg_type: number;
    }
  /** 108: the send is completed (a non-SUCCESS status is only logged). */
  | {
      /** The completion ends a data or control send (type 108). */
      readonly action: 'tx-complete';
      /** The u32 @4: an `NVSP_STAT_*` value (1 = SUCCESS). */
      readonly status: number;
    };

/**
 * Applies Linux's shape checks on a host completion payload (rules: netvsc.c
 * `netvsc_send_completion`, spec §2.7).
 */
export function linuxCheckCompletion(payload: Uint8Array, kernel: LinuxKernel = '6.1.192'): LinuxCompletionVerdict {
  const len = payload.length;
  if (len === 0) return { action: 'lookup-request' };
  if (len < NVSP_HEADER_SIZE) return { action: 'drop', reason: 'short-header' };
  const msgType = rd32(payload, 0);
  const min = linuxCompletionMinLength(msgType, kernel);
  if (min === undefined) return { action: 'drop', reason: 'unknown-type', msg_type: msgType };
  if (len < min) return { action: 'drop', reason: 'short-body', msg_type: msgType, min_length: min };
  if (msgType === NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE) return { action: 'tx-complete', status: rd32(payload, 4) };
  return { action: 'wake-waiter', msg_type: msgType };
}

/**
 * The NDIS_CONFIG capability mask Linux sends for a negotiated version (netvsc.c
 * `negotiate_nvsp_ver`): ieee8021q always; sriov (not on isolated guests) and teaming from v5;
 * rsc from 6.1. Linux sends no NDIS_CONFIG at v1.
 */
export function linuxNdisConfigCapability(nvspVersion: number, options: { isolated?: boolean } = {}): bigint {
  let cap = NVSP_2_VSC_CAPABILITY.ieee8021q;
  if (nvspVersion >= NVSP_PROTOCOL_VERSION_5) {
    if (!options.isolated) cap |= NVSP_2_VSC_CAPABILITY.sriov;
    cap |= NVSP_2_VSC_CAPABILITY.teaming;
  }
  if (nvspVersion >= NVSP_PROTOCOL_VERSION_61) cap |= NVSP_2_VSC_CAPABILITY.rsc;
  return cap;
}

/** The body of SEND_NDIS_VER (`nvsp_1_message_send_ndis_version`): the NDIS version a guest announces. */
export interface NvspNdisVersion {
  /** `ndis_major_ver` (u32 @4): NDIS major version; Linux sends 6. */
  ndis_major_ver: number;
  /** `ndis_minor_ver` (u32 @8): NDIS minor version; Linux sends 1 (NDIS 6.1) up to NVSP 4, 30 (NDIS 6.30) after. */
  ndis_minor_ver: number;
}

/** The NDIS version Linux announces in SEND_NDIS_VER: 6.1 up to NVSP v4, 6.30 after (netvsc.c `netvsc_connect_vsp`). */
export function linuxNdisVersion(nvspVersion: number): NvspNdisVersion {
  return nvspVersion <= NVSP_PROTOCOL_VERSION_4
    ? { ndis_major_ver: 6, ndis_minor_ver: 1 }
    : { ndis_major_ver: 6, ndis_minor_ver: 30 };
}

/** Linux's MTU field in NDIS_CONFIG: the netdev MTU plus the 14-byte Ethernet header. */
export function linuxNdisConfigMtu(netdevMtu: number): number {
  return netdevMtu + 14;
}

/** True when `version` is one Linux (and openvmm) negotiates. */
export function isNvspVersion(version: number): boolean {
  return (
    version === NVSP_PROTOCOL_VERSION_1 ||
    version === NVSP_PROTOCOL_VERSION_2 ||
    version === NVSP_PROTOCOL_VERSION_4 ||
    version === NVSP_PROTOCOL_VERSION_5 ||
    version === NVSP_PROTOCOL_VERSION_6 ||
    version === NVSP_PROTOCOL_VERSION_61
  );
}
