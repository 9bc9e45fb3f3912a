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
 * - `nvsp_2_vsc_capability` holds an anonymous union of a `u64 data` and the bitfields; it is
 *   declared as the `u64 data` member.
 * - Anonymous union members (`nvsp_6_pd_api_req`, `nvsp_6_pd_api_comp`, `nvsp_message.msg` is
 *   named) are declared as `bytes` named `anon_union`; the union's variants, anonymous structs in
 *   the kernel, are codecs named `<struct>__<member>` (listed in {@link NVSP_ANONYMOUS_STRUCTS}).
 * - `nvsp_5_oid_query_ex` and `nvsp_5_oid_query_ex_comp` are not kernel structs (Linux has no
 *   layout for message types 131/132); they follow openvmm protocol.rs (listed in
 *   {@link NVSP_NON_KERNEL_STRUCTS}).
 *
 * @module
 */
import { array, bytes, nested, reserved, struct, u16, u32, u64, u8, type ValueOf } from '../wire/index.js';

// Layout: hyperv_net.h struct nvsp_message_header
export const nvsp_message_header = struct('nvsp_message_header', [u32('msg_type')]);

// Layout: hyperv_net.h struct nvsp_message_init
export const nvsp_message_init = struct('nvsp_message_init', [u32('min_protocol_ver'), u32('max_protocol_ver')]);

// Layout: hyperv_net.h struct nvsp_message_init_complete
export const nvsp_message_init_complete = struct('nvsp_message_init_complete', [
  u32('negotiated_protocol_ver'),
  u32('max_mdl_chain_len'),
  u32('status'),
]);

// Layout: hyperv_net.h struct nvsp_1_message_send_ndis_version
export const nvsp_1_message_send_ndis_version = struct('nvsp_1_message_send_ndis_version', [
  u32('ndis_major_ver'),
  u32('ndis_minor_ver'),
]);

// Layout: hyperv_net.h struct nvsp_1_message_send_receive_buffer (packed: 6 bytes)
export const nvsp_1_message_send_receive_buffer = struct('nvsp_1_message_send_receive_buffer', [
  u32('gpadl_handle'),
  u16('id'),
]);

// Layout: hyperv_net.h struct nvsp_1_receive_buffer_section
export const nvsp_1_receive_buffer_section = struct('nvsp_1_receive_buffer_section', [
  u32('offset'),
  u32('sub_alloc_size'),
  u32('num_sub_allocs'),
  u32('end_offset'),
]);

// Layout: hyperv_net.h struct nvsp_1_message_send_receive_buffer_complete. In 6.1.192 the array is
// declared with one element (24 bytes); mainline later made it flexible. Messages may carry more
// sections than the declared one: the message codec reads `num_sections` of them.
export const nvsp_1_message_send_receive_buffer_complete = struct('nvsp_1_message_send_receive_buffer_complete', [
  u32('status'),
  u32('num_sections'),
  array('sections', nvsp_1_receive_buffer_section, 1),
]);

// Layout: hyperv_net.h struct nvsp_1_message_revoke_receive_buffer
export const nvsp_1_message_revoke_receive_buffer = struct('nvsp_1_message_revoke_receive_buffer', [u16('id')]);

// Layout: hyperv_net.h struct nvsp_1_message_send_send_buffer (packed: 6 bytes)
export const nvsp_1_message_send_send_buffer = struct('nvsp_1_message_send_send_buffer', [
  u32('gpadl_handle'),
  u16('id'),
]);

// Layout: hyperv_net.h struct nvsp_1_message_send_send_buffer_complete
export const nvsp_1_message_send_send_buffer_complete = struct('nvsp_1_message_send_send_buffer_complete', [
  u32('status'),
  u32('section_size'),
]);

// Layout: hyperv_net.h struct nvsp_1_message_revoke_send_buffer
export const nvsp_1_message_revoke_send_buffer = struct('nvsp_1_message_revoke_send_buffer', [u16('id')]);

// Layout: hyperv_net.h struct nvsp_1_message_send_rndis_packet
export const nvsp_1_message_send_rndis_packet = struct('nvsp_1_message_send_rndis_packet', [
  u32('channel_type'),
  u32('send_buf_section_index'),
  u32('send_buf_section_size'),
]);

// Layout: hyperv_net.h struct nvsp_1_message_send_rndis_packet_complete
export const nvsp_1_message_send_rndis_packet_complete = struct('nvsp_1_message_send_rndis_packet_complete', [
  u32('status'),
]);

// Layout: hyperv_net.h struct nvsp_2_vsc_capability (anonymous union of `u64 data` and bitfields;
// bit masks in NVSP_2_VSC_CAPABILITY)
export const nvsp_2_vsc_capability = struct('nvsp_2_vsc_capability', [u64('data')]);

// Layout: hyperv_net.h struct nvsp_2_send_ndis_config
export const nvsp_2_send_ndis_config = struct('nvsp_2_send_ndis_config', [
  u32('mtu'),
  reserved('reserved', 4),
  nested('capability', nvsp_2_vsc_capability),
]);

// Layout: hyperv_net.h struct nvsp_2_alloc_rxbuf
export const nvsp_2_alloc_rxbuf = struct('nvsp_2_alloc_rxbuf', [u32('alloc_id'), u32('len')]);

// Layout: hyperv_net.h struct nvsp_2_alloc_rxbuf_comp (packed: recv_buf_id at 12)
export const nvsp_2_alloc_rxbuf_comp = struct('nvsp_2_alloc_rxbuf_comp', [
  u32('status'),
  u32('alloc_id'),
  u32('gpadl_handle'),
  u64('recv_buf_id'),
]);

// Layout: hyperv_net.h struct nvsp_2_free_rxbuf
export const nvsp_2_free_rxbuf = struct('nvsp_2_free_rxbuf', [u64('recv_buf_id')]);

// Layout: hyperv_net.h struct nvsp_4_send_vf_association
export const nvsp_4_send_vf_association = struct('nvsp_4_send_vf_association', [u32('allocated'), u32('serial')]);

// Layout: hyperv_net.h struct nvsp_4_sw_datapath
export const nvsp_4_sw_datapath = struct('nvsp_4_sw_datapath', [u32('active_datapath')]);

// Layout: openvmm vm/devices/net/netvsp/src/protocol.rs Message5OidQueryEx (NDIS object header
// {type u8, revision u8, size u16} then the OID). Not a Linux struct.
export const nvsp_5_oid_query_ex = struct('nvsp_5_oid_query_ex', [
  u8('header_type'),
  u8('header_revision'),
  u16('header_size'),
  u32('oid'),
]);

// Layout: openvmm protocol.rs Message5OidQueryExComplete. Not a Linux struct.
export const nvsp_5_oid_query_ex_comp = struct('nvsp_5_oid_query_ex_comp', [u32('status'), u32('bytes')]);

// Layout: hyperv_net.h struct nvsp_5_subchannel_request
export const nvsp_5_subchannel_request = struct('nvsp_5_subchannel_request', [u32('op'), u32('num_subchannels')]);

// Layout: hyperv_net.h struct nvsp_5_subchannel_complete
export const nvsp_5_subchannel_complete = struct('nvsp_5_subchannel_complete', [
  u32('status'),
  u32('num_subchannels'),
]);

// Layout: hyperv_net.h struct nvsp_5_send_indirect_table (`offset` counts from the start of the
// NVSP message, header included)
export const nvsp_5_send_indirect_table = struct('nvsp_5_send_indirect_table', [u32('count'), u32('offset')]);

// Layout: hyperv_net.h struct grp_affinity (packed: 16 bytes)
export const grp_affinity = struct('grp_affinity', [u64('mask'), u16('grp'), reserved('reserved', 6)]);

// Layouts: hyperv_net.h struct nvsp_6_pd_api_req, the anonymous packed structs of its union.
export const nvsp_6_pd_api_req__config = struct('nvsp_6_pd_api_req__config', [
  u64('mmio_pa'),
  u32('mmio_len'),
  u16('num_subchn'),
]);
export const nvsp_6_pd_api_req__sw_dpath = struct('nvsp_6_pd_api_req__sw_dpath', [
  u8('host_dpath_is_pd'),
  u8('guest_pd_enabled'),
]);
export const nvsp_6_pd_api_req__open_prov = struct('nvsp_6_pd_api_req__open_prov', [u32('prov_id'), u32('flag')]);
export const nvsp_6_pd_api_req__cls_prov = struct('nvsp_6_pd_api_req__cls_prov', [u32('prov_id')]);
export const nvsp_6_pd_api_req__cr_q = struct('nvsp_6_pd_api_req__cr_q', [
  u32('prov_id'),
  u16('q_id'),
  u16('q_size'),
  u8('is_recv_q'),
  u8('is_rss_q'),
  u32('recv_data_len'),
  nested('affy', grp_affinity),
]);
export const nvsp_6_pd_api_req__del_q = struct('nvsp_6_pd_api_req__del_q', [u32('prov_id'), u16('q_id')]);
export const nvsp_6_pd_api_req__flush_q = struct('nvsp_6_pd_api_req__flush_q', [u32('prov_id'), u16('q_id')]);
export const nvsp_6_pd_api_req__alloc_com_buf = struct('nvsp_6_pd_api_req__alloc_com_buf', [
  u32('len'),
  u32('pf_node'),
  u16('region_id'),
]);
export const nvsp_6_pd_api_req__free_com_buf = struct('nvsp_6_pd_api_req__free_com_buf', [
  u32('len'),
  u64('pa'),
  u32('pf_node'),
  u16('region_id'),
  u8('cache_type'),
]);

/** Size of the anonymous union in `nvsp_6_pd_api_req` (its largest member, `cr_q`). */
const PD_REQ_UNION_SIZE = 30;
// Layout: hyperv_net.h struct nvsp_6_pd_api_req (packed: 34 bytes)
export const nvsp_6_pd_api_req = struct('nvsp_6_pd_api_req', [u32('op'), bytes('anon_union', PD_REQ_UNION_SIZE)]);

// Layouts: hyperv_net.h struct nvsp_6_pd_api_comp, the anonymous packed structs of its union.
export const nvsp_6_pd_api_comp__config = struct('nvsp_6_pd_api_comp__config', [
  u16('num_pd_q'),
  u8('num_rss_q'),
  u8('is_supported'),
  u8('is_enabled'),
]);
export const nvsp_6_pd_api_comp__open_prov = struct('nvsp_6_pd_api_comp__open_prov', [u32('prov_id')]);
export const nvsp_6_pd_api_comp__cr_q = struct('nvsp_6_pd_api_comp__cr_q', [
  u32('prov_id'),
  u16('q_id'),
  u16('q_size'),
  u32('recv_data_len'),
  nested('affy', grp_affinity),
]);
export const nvsp_6_pd_api_comp__alloc_com_buf = struct('nvsp_6_pd_api_comp__alloc_com_buf', [
  u64('pa'),
  u32('len'),
  u32('pf_node'),
  u16('region_id'),
  u8('cache_type'),
]);

/** Size of the anonymous union in `nvsp_6_pd_api_comp` (its largest member, `cr_q`). */
const PD_COMP_UNION_SIZE = 28;
// Layout: hyperv_net.h struct nvsp_6_pd_api_comp (packed: 36 bytes, which makes nvsp_message 40)
export const nvsp_6_pd_api_comp = struct('nvsp_6_pd_api_comp', [
  u32('op'),
  u32('status'),
  bytes('anon_union', PD_COMP_UNION_SIZE),
]);

// Layout: hyperv_net.h struct nvsp_6_pd_buf (u16 bitfield word: is_partial bit 0, reserved 1..15)
export const nvsp_6_pd_buf = struct('nvsp_6_pd_buf', [u32('region_offset'), u16('region_id'), u16('flags')]);

// Layout: hyperv_net.h struct nvsp_6_pd_batch_msg (starts with its own header; u16 bitfield word:
// guest2host bit 0, is_recv bit 1, reserved 2..15; flexible pd_buf[] at 8)
export const nvsp_6_pd_batch_msg = struct('nvsp_6_pd_batch_msg', [
  nested('hdr', nvsp_message_header),
  u16('count'),
  u16('flags'),
  array('pd_buf', nvsp_6_pd_buf, 0),
]);

/** sizeof(union nvsp_all_messages) in 6.1.192 (its largest member is the v6 PD completion). */
export const NVSP_ALL_MESSAGES_SIZE = 36;
// Layout: hyperv_net.h struct nvsp_message (header + union of every body; 40 bytes)
export const nvsp_message = struct('nvsp_message', [
  nested('hdr', nvsp_message_header),
  bytes('msg', NVSP_ALL_MESSAGES_SIZE),
]);

// Layout: drivers/net/hyperv/netvsc.c struct recv_comp_msg (local to enq_receive_complete's
// sender; the 8-byte receive completion Linux sends in a VM_PKT_COMP)
export const recv_comp_msg = struct('recv_comp_msg', [nested('hdr', nvsp_message_header), u32('status')]);

/** Codec names here that are anonymous structs in the kernel (no BTF name to compare with). */
export const NVSP_ANONYMOUS_STRUCTS: readonly string[] = Object.freeze([
  'nvsp_6_pd_api_req__config',
  'nvsp_6_pd_api_req__sw_dpath',
  'nvsp_6_pd_api_req__open_prov',
  'nvsp_6_pd_api_req__cls_prov',
  'nvsp_6_pd_api_req__cr_q',
  'nvsp_6_pd_api_req__del_q',
  'nvsp_6_pd_api_req__flush_q',
  'nvsp_6_pd_api_req__alloc_com_buf',
  'nvsp_6_pd_api_req__free_com_buf',
  'nvsp_6_pd_api_comp__config',
  'nvsp_6_pd_api_comp__open_prov',
  'nvsp_6_pd_api_comp__cr_q',
  'nvsp_6_pd_api_comp__alloc_com_buf',
]);

/** Codec names here that have no Linux struct at all (layouts from openvmm). */
export const NVSP_NON_KERNEL_STRUCTS: readonly string[] = Object.freeze(['nvsp_5_oid_query_ex', 'nvsp_5_oid_query_ex_comp']);

/** Value of one receive-buffer section. */
export type NvspReceiveBufferSection = ValueOf<typeof nvsp_1_receive_buffer_section>;
/** Value of a `grp_affinity`. */
export type GrpAffinity = ValueOf<typeof grp_affinity>;
