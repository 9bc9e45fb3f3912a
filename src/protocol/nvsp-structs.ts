/**
 * NVSP wire structs, each declared once with the kernel's struct and field names.
 *
 * Layouts: drivers/net/hyperv/hyperv_net.h (Debian 6.1.192). Every NVSP struct there is `__packed`
 * except the two revoke messages and `nvsp_1_message_send_rndis_packet_complete`, whose natural
 * layout has no padding either. Offsets here are from the start of each struct; inside a message
 * the body starts after the 4-byte `nvsp_message_header`.
 *
 * Declaration conventions a layout comparison has to know about:
 * - C bitfield words (`nvsp_6_pd_buf`, `nvsp_6_pd_batch_msg`) are declared as one `u16` named
 *   `flags`; the bits are decoded at message level (see `nvsp.ts`).
 * - `nvsp_2_send_ndis_config.capability` (a struct holding an anonymous union of `u64 data` and the
 *   bitfields) is declared as a plain u64.
 * - `nvsp_6_pd_api_req` / `nvsp_6_pd_api_comp` are an op (and status) followed by an anonymous
 *   union of anonymous structs, which a sequential declaration cannot express; their members are
 *   codecs grouped in {@link NVSP_6_PD_API_REQ_MEMBERS} / {@link NVSP_6_PD_API_COMP_MEMBERS}.
 * - Codecs without a BTF struct of their name are listed in {@link NVSP_NOT_IN_BTF}.
 *
 * @module
 */
import { array, bytes, nested, reserved, struct, u16, u32, u64, u8, type ValueOf } from '../wire/index.js';

/** Layout: hyperv_net.h struct nvsp_message_header. */
export const nvsp_message_header = struct('nvsp_message_header', [u32('msg_type')]);

/** Layout: hyperv_net.h struct nvsp_message_init. */
export const nvsp_message_init = struct('nvsp_message_init', [u32('min_protocol_ver'), u32('max_protocol_ver')]);

/** Layout: hyperv_net.h struct nvsp_message_init_complete. */
export const nvsp_message_init_complete = struct('nvsp_message_init_complete', [
  u32('negotiated_protocol_ver'),
  u32('max_mdl_chain_len'),
  u32('status'),
]);

/** Layout: hyperv_net.h struct nvsp_1_message_send_ndis_version. */
export const nvsp_1_message_send_ndis_version = struct('nvsp_1_message_send_ndis_version', [
  u32('ndis_major_ver'),
  u32('ndis_minor_ver'),
]);

/** Layout: hyperv_net.h struct nvsp_1_message_send_receive_buffer (packed: 6 bytes). */
export const nvsp_1_message_send_receive_buffer = struct('nvsp_1_message_send_receive_buffer', [
  u32('gpadl_handle'),
  u16('id'),
]);

/** Layout: hyperv_net.h struct nvsp_1_receive_buffer_section. */
export const nvsp_1_receive_buffer_section = struct('nvsp_1_receive_buffer_section', [
  u32('offset'),
  u32('sub_alloc_size'),
  u32('num_sub_allocs'),
  u32('end_offset'),
]);

// Layout: hyperv_net.h struct nvsp_1_message_send_receive_buffer_complete. In 6.1.192 the array is
// declared with one element (24 bytes); mainline later made it flexible. Messages may carry more
// sections than the declared one: the message codec reads `num_sections` of them.
/** Layout of NVSP message 102 body, `struct nvsp_1_message_send_receive_buffer_complete` (hyperv_net.h). */
export const nvsp_1_message_send_receive_buffer_complete = struct('nvsp_1_message_send_receive_buffer_complete', [
  u32('status'),
  u32('num_sections'),
  array('sections', nvsp_1_receive_buffer_section, 1),
]);

/** Layout: hyperv_net.h struct nvsp_1_message_revoke_receive_buffer. */
export const nvsp_1_message_revoke_receive_buffer = struct('nvsp_1_message_revoke_receive_buffer', [u16('id')]);

/** Layout: hyperv_net.h struct nvsp_1_message_send_send_buffer (packed: 6 bytes). */
export const nvsp_1_message_send_send_buffer = struct('nvsp_1_message_send_send_buffer', [
  u32('gpadl_handle'),
  u16('id'),
]);

/** Layout: hyperv_net.h struct nvsp_1_message_send_send_buffer_complete. */
export const nvsp_1_message_send_send_buffer_complete = struct('nvsp_1_message_send_send_buffer_complete', [
  u32('status'),
  u32('section_size'),
]);

/** Layout: hyperv_net.h struct nvsp_1_message_revoke_send_buffer. */
export const nvsp_1_message_revoke_send_buffer = struct('nvsp_1_message_revoke_send_buffer', [u16('id')]);

/** Layout: hyperv_net.h struct nvsp_1_message_send_rndis_packet. */
export const nvsp_1_message_send_rndis_packet = struct('nvsp_1_message_send_rndis_packet', [
  u32('channel_type'),
  u32('send_buf_section_index'),
  u32('send_buf_section_size'),
]);

/** Layout: hyperv_net.h struct nvsp_1_message_send_rndis_packet_complete. */
export const nvsp_1_message_send_rndis_packet_complete = struct('nvsp_1_message_send_rndis_packet_complete', [
  u32('status'),
]);

// Layout: hyperv_net.h struct nvsp_2_send_ndis_config. `capability` is a struct
// nvsp_2_vsc_capability in the kernel: an anonymous union of `u64 data` and the one-bit fields, so
// it is declared here as that u64 (bit masks: NVSP_2_VSC_CAPABILITY).
/** Layout of NVSP message 125 body, `struct nvsp_2_send_ndis_config` (hyperv_net.h). */
export const nvsp_2_send_ndis_config = struct('nvsp_2_send_ndis_config', [
  u32('mtu'),
  reserved('reserved', 4),
  u64('capability'),
]);

/** Layout: hyperv_net.h struct nvsp_2_alloc_rxbuf. */
export const nvsp_2_alloc_rxbuf = struct('nvsp_2_alloc_rxbuf', [u32('alloc_id'), u32('len')]);

/** Layout: hyperv_net.h struct nvsp_2_alloc_rxbuf_comp (packed: recv_buf_id at 12). */
export const nvsp_2_alloc_rxbuf_comp = struct('nvsp_2_alloc_rxbuf_comp', [
  u32('status'),
  u32('alloc_id'),
  u32('gpadl_handle'),
  u64('recv_buf_id'),
]);

/** Layout: hyperv_net.h struct nvsp_2_free_rxbuf. */
export const nvsp_2_free_rxbuf = struct('nvsp_2_free_rxbuf', [u64('recv_buf_id')]);

/** Layout: hyperv_net.h struct nvsp_4_send_vf_association. */
export const nvsp_4_send_vf_association = struct('nvsp_4_send_vf_association', [u32('allocated'), u32('serial')]);

/** Layout: hyperv_net.h struct nvsp_4_sw_datapath. */
export const nvsp_4_sw_datapath = struct('nvsp_4_sw_datapath', [u32('active_datapath')]);

// Layout: openvmm vm/devices/net/netvsp/src/protocol.rs Message5OidQueryEx (NDIS object header
// {type u8, revision u8, size u16} then the OID). Not a Linux struct.
/** Layout of NVSP message 131 body, OID query (openvmm Message5OidQueryEx; not a Linux struct). */
export const nvsp_5_oid_query_ex = struct('nvsp_5_oid_query_ex', [
  u8('header_type'),
  u8('header_revision'),
  u16('header_size'),
  u32('oid'),
]);

/** Layout: openvmm protocol.rs Message5OidQueryExComplete. Not a Linux struct. */
export const nvsp_5_oid_query_ex_comp = struct('nvsp_5_oid_query_ex_comp', [u32('status'), u32('bytes')]);

/** Layout: hyperv_net.h struct nvsp_5_subchannel_request. */
export const nvsp_5_subchannel_request = struct('nvsp_5_subchannel_request', [u32('op'), u32('num_subchannels')]);

/** Layout: hyperv_net.h struct nvsp_5_subchannel_complete. */
export const nvsp_5_subchannel_complete = struct('nvsp_5_subchannel_complete', [
  u32('status'),
  u32('num_subchannels'),
]);

// Layout: hyperv_net.h struct nvsp_5_send_indirect_table (`offset` counts from the start of the
// NVSP message, header included)
/** Layout of NVSP message 134 body, `struct nvsp_5_send_indirect_table` (hyperv_net.h). */
export const nvsp_5_send_indirect_table = struct('nvsp_5_send_indirect_table', [u32('count'), u32('offset')]);

/** Layout: hyperv_net.h struct grp_affinity (packed: 16 bytes). */
export const grp_affinity = struct('grp_affinity', [u64('mask'), u16('grp'), reserved('reserved', 6)]);

// Layouts: hyperv_net.h struct nvsp_6_pd_api_req, the anonymous packed structs of its union.
const nvsp_6_pd_api_req__config = struct('nvsp_6_pd_api_req__config', [
  u64('mmio_pa'),
  u32('mmio_len'),
  u16('num_subchn'),
]);
const nvsp_6_pd_api_req__sw_dpath = struct('nvsp_6_pd_api_req__sw_dpath', [
  u8('host_dpath_is_pd'),
  u8('guest_pd_enabled'),
]);
const nvsp_6_pd_api_req__open_prov = struct('nvsp_6_pd_api_req__open_prov', [u32('prov_id'), u32('flag')]);
const nvsp_6_pd_api_req__cls_prov = struct('nvsp_6_pd_api_req__cls_prov', [u32('prov_id')]);
const nvsp_6_pd_api_req__cr_q = struct('nvsp_6_pd_api_req__cr_q', [
  u32('prov_id'),
  u16('q_id'),
  u16('q_size'),
  u8('is_recv_q'),
  u8('is_rss_q'),
  u32('recv_data_len'),
  nested('affy', grp_affinity),
]);
const nvsp_6_pd_api_req__del_q = struct('nvsp_6_pd_api_req__del_q', [u32('prov_id'), u16('q_id')]);
const nvsp_6_pd_api_req__flush_q = struct('nvsp_6_pd_api_req__flush_q', [u32('prov_id'), u16('q_id')]);
const nvsp_6_pd_api_req__alloc_com_buf = struct('nvsp_6_pd_api_req__alloc_com_buf', [
  u32('len'),
  u32('pf_node'),
  u16('region_id'),
]);
const nvsp_6_pd_api_req__free_com_buf = struct('nvsp_6_pd_api_req__free_com_buf', [
  u32('len'),
  u64('pa'),
  u32('pf_node'),
  u16('region_id'),
  u8('cache_type'),
]);

/**
 * The members of the anonymous union in `struct nvsp_6_pd_api_req` (after its u32 `op`), keyed by
 * the kernel's member names. Offsets in each codec count from the start of the union.
 */
export const NVSP_6_PD_API_REQ_MEMBERS = Object.freeze({
  /** Op 1 CONFIG (14 bytes): `mmio_pa` u64 @0, `mmio_len` u32 @8, `num_subchn` u16 @12. */
  config: nvsp_6_pd_api_req__config,
  /** Op 2 SW_DATAPATH (2 bytes): `host_dpath_is_pd` u8 @0, `guest_pd_enabled` u8 @1. */
  sw_dpath: nvsp_6_pd_api_req__sw_dpath,
  /** Op 3 OPEN_PROVIDER (8 bytes): `prov_id` u32 @0, `flag` u32 @4. */
  open_prov: nvsp_6_pd_api_req__open_prov,
  /** Op 4 CLOSE_PROVIDER (4 bytes): `prov_id` u32 @0. */
  cls_prov: nvsp_6_pd_api_req__cls_prov,
  /** Op 5 CREATE_QUEUE (30 bytes, the largest member): provider, queue id/size, flags, `recv_data_len`, `affy` @14. */
  cr_q: nvsp_6_pd_api_req__cr_q,
  /** Op 7 FREE_QUEUE (6 bytes): `prov_id` u32 @0, `q_id` u16 @4. */
  del_q: nvsp_6_pd_api_req__del_q,
  /** Op 6 FLUSH_QUEUE (6 bytes): `prov_id` u32 @0, `q_id` u16 @4. */
  flush_q: nvsp_6_pd_api_req__flush_q,
  /** Op 8 ALLOC_COM_BUF (10 bytes): `len` u32 @0, `pf_node` u32 @4, `region_id` u16 @8. */
  alloc_com_buf: nvsp_6_pd_api_req__alloc_com_buf,
  /** Op 9 FREE_COM_BUF (19 bytes): `len` u32 @0, `pa` u64 @4, `pf_node` u32 @12, `region_id` u16 @16, `cache_type` u8 @18. */
  free_com_buf: nvsp_6_pd_api_req__free_com_buf,
});
/** sizeof(struct nvsp_6_pd_api_req): op + the union (its largest member, `cr_q`, is 30). */
export const NVSP_6_PD_API_REQ_SIZE = 34;

// Layouts: hyperv_net.h struct nvsp_6_pd_api_comp, the anonymous packed structs of its union.
const nvsp_6_pd_api_comp__config = struct('nvsp_6_pd_api_comp__config', [
  u16('num_pd_q'),
  u8('num_rss_q'),
  u8('is_supported'),
  u8('is_enabled'),
]);
const nvsp_6_pd_api_comp__open_prov = struct('nvsp_6_pd_api_comp__open_prov', [u32('prov_id')]);
const nvsp_6_pd_api_comp__cr_q = struct('nvsp_6_pd_api_comp__cr_q', [
  u32('prov_id'),
  u16('q_id'),
  u16('q_size'),
  u32('recv_data_len'),
  nested('affy', grp_affinity),
]);
const nvsp_6_pd_api_comp__alloc_com_buf = struct('nvsp_6_pd_api_comp__alloc_com_buf', [
  u64('pa'),
  u32('len'),
  u32('pf_node'),
  u16('region_id'),
  u8('cache_type'),
]);

/**
 * The members of the anonymous union in `struct nvsp_6_pd_api_comp` (after `op` and `status`),
 * keyed by the kernel's member names. Offsets in each codec count from the start of the union.
 */
export const NVSP_6_PD_API_COMP_MEMBERS = Object.freeze({
  /** Op 1 CONFIG (5 bytes): `num_pd_q` u16 @0, `num_rss_q` u8 @2, `is_supported` u8 @3, `is_enabled` u8 @4. */
  config: nvsp_6_pd_api_comp__config,
  /** Op 3 OPEN_PROVIDER (4 bytes): `prov_id` u32 @0. */
  open_prov: nvsp_6_pd_api_comp__open_prov,
  /** Op 5 CREATE_QUEUE (28 bytes, the largest member): `prov_id`, `q_id`, `q_size`, `recv_data_len`, `affy` @12. */
  cr_q: nvsp_6_pd_api_comp__cr_q,
  /** Op 8 ALLOC_COM_BUF (19 bytes): `pa` u64 @0, `len` u32 @8, `pf_node` u32 @12, `region_id` u16 @16, `cache_type` u8 @18. */
  alloc_com_buf: nvsp_6_pd_api_comp__alloc_com_buf,
});
/** sizeof(struct nvsp_6_pd_api_comp): op + status + the union (largest member `cr_q`, 28) — the reason nvsp_message is 40. */
export const NVSP_6_PD_API_COMP_SIZE = 36;

/** Layout: hyperv_net.h struct nvsp_6_pd_buf (u16 bitfield word: is_partial bit 0, reserved 1..15). */
export const nvsp_6_pd_buf = struct('nvsp_6_pd_buf', [u32('region_offset'), u16('region_id'), u16('flags')]);

// Layout: hyperv_net.h struct nvsp_6_pd_batch_msg (starts with its own header; u16 bitfield word:
// guest2host bit 0, is_recv bit 1, reserved 2..15). The flexible pd_buf[] at 8 is not declared
// here: the message codec reads `count` of them.
/** Layout of NVSP message 136 body, `struct nvsp_6_pd_batch_msg` (hyperv_net.h). */
export const nvsp_6_pd_batch_msg = struct('nvsp_6_pd_batch_msg', [
  nested('hdr', nvsp_message_header),
  u16('count'),
  u16('flags'),
]);

/** sizeof(union nvsp_all_messages) in 6.1.192 (its largest member is the v6 PD completion). */
export const NVSP_ALL_MESSAGES_SIZE = 36;
/** Layout: hyperv_net.h struct nvsp_message (header + union of every body; 40 bytes). */
export const nvsp_message = struct('nvsp_message', [
  nested('hdr', nvsp_message_header),
  bytes('msg', NVSP_ALL_MESSAGES_SIZE),
]);

// Layout: drivers/net/hyperv/netvsc.c struct recv_comp_msg (local to enq_receive_complete's
// sender; the 8-byte receive completion Linux sends in a VM_PKT_COMP)
/** Layout of the 8-byte receive completion Linux sends, `struct recv_comp_msg` (netvsc.c). */
export const recv_comp_msg = struct('recv_comp_msg', [nested('hdr', nvsp_message_header), u32('status')]);

/**
 * Codecs here that have no struct of that name in the compiled kernel's BTF, with why: a layout
 * comparison checks their size against the spec instead.
 */
export const NVSP_NOT_IN_BTF: Readonly<
  Record<
    string,
    {
      /** The struct's size in bytes per the spec, which the codec's size is checked against instead of BTF. */
      readonly size: number;
      /** Why BTF lacks it: unused by hv_netvsc.ko, local to a .c file, or not a Linux struct at all. */
      readonly why: string;
    }
  >
> = Object.freeze({
  nvsp_6_pd_buf: { size: 8, why: 'hyperv_net.h declares it; hv_netvsc.ko never uses it, so BTF omits it (spec §2.5)' },
  nvsp_6_pd_batch_msg: { size: 8, why: 'hyperv_net.h declares it; unused, so not in BTF (spec §2.5; flexible pd_buf[] at 8)' },
  recv_comp_msg: { size: 8, why: 'local to netvsc.c send_recv_completions, not a header type (spec §2.4)' },
  nvsp_5_oid_query_ex: { size: 8, why: 'no Linux struct; openvmm protocol.rs Message5OidQueryEx' },
  nvsp_5_oid_query_ex_comp: { size: 8, why: 'no Linux struct; openvmm protocol.rs Message5OidQueryExComplete' },
});

/** Value of one receive-buffer section. */
export type NvspReceiveBufferSection = ValueOf<typeof nvsp_1_receive_buffer_section>;
/** Value of a `grp_affinity`. */
export type GrpAffinity = ValueOf<typeof grp_affinity>;
