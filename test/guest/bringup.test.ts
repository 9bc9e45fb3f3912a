/**
 * Bring-up of the synthetic NIC in Linux 6.1.192's order (spec §4.2), checked message by message
 * on the wire against the scripted host: bytes where the spec gives them (Appendix A), decoded
 * fields elsewhere.
 */
import { describe, expect, it } from 'vitest';
import { NVSP_PROTOCOL_VERSION_1, NVSP_PROTOCOL_VERSION_4, NVSP_PROTOCOL_VERSION_5, NVSP_PROTOCOL_VERSION_6, NVSP_PROTOCOL_VERSION_61, decodeNvsp } from '../../src/protocol/nvsp.js';
import { decodeRssSetRequest, netvscDefaultRssKey } from '../../src/protocol/ndis.js';
import { OID } from '../../src/protocol/oids.js';
import { VMBUS_RQST_ID_NO_RESPONSE } from '../../src/vmbus/requestor.js';
import { NETVSC_MAX_PKT_SIZE, netvscRqstorSize } from '../../src/guest/constants.js';
import { nicVm } from './harness.js';

const hex = (s: string) => Uint8Array.from(s.trim().split(/\s+/).map((b) => parseInt(b, 16)));
const pad40 = (s: string) => {
  const b = new Uint8Array(40);
  b.set(hex(s));
  return b;
};

function inits(vm: ReturnType<typeof nicVm>) {
  return vm.host.nvspSent().filter((m) => m.msg?.type === 'INIT');
}

describe('bring-up: channel and NVSP', () => {
  it('primary_channel_opens_with_128_page_rings_each_way_and_netvsc_packet_limits', () => {
    const vm = nicVm();
    const open = vm.bus.host.received.filter((m) => m.type === 'CHANNELMSG_OPENCHANNEL');
    expect(open[0]!.msg).toMatchObject({ child_relid: vm.host.primary.relid, downstream_ringbuffer_pageoffset: 128 });
    const ch = vm.dev.channel;
    expect(ch.ringBuffer!.pageCount).toBe(256);
    expect(ch.maxPktSize).toBe(NETVSC_MAX_PKT_SIZE);
    expect(NETVSC_MAX_PKT_SIZE).toBe(4624);
    expect(ch.rqstorSize).toBe(netvscRqstorSize(128 * 4096));
    expect(ch.callbackMode).toBe('HV_CALL_ISR');
  });

  it('nvsp_versions_are_tried_newest_first_until_the_host_accepts_one', () => {
    const vm = nicVm({ host: { versions: [NVSP_PROTOCOL_VERSION_4] } });
    const sent = inits(vm);
    expect(sent.map((m) => (m.msg as { min_protocol_ver: number }).min_protocol_ver)).toEqual([0x60001, 0x60000, 0x50000, 0x40000]);
    for (const m of sent) {
      expect(m.packet.kind).toBe('inband');
      expect(m.packet.flags).toBe(1);
      expect(m.packet.payload.length).toBe(40);
      expect(m.msg).toMatchObject({ max_protocol_ver: (m.msg as { min_protocol_ver: number }).min_protocol_ver });
    }
    // INIT_COMPLETE never frees its requestor slot: each try takes the next id
    expect(sent.map((m) => m.packet.trans_id)).toEqual([1n, 2n, 3n, 4n]);
    expect(vm.dev.nvspVersion).toBe(NVSP_PROTOCOL_VERSION_4);
  });

  it('init_bytes_for_6_1_match_appendix_a', () => {
    const vm = nicVm();
    expect(inits(vm)[0]!.packet.payload).toEqual(pad40('01 00 00 00 01 00 06 00 01 00 06 00'));
  });

  it('ndis_config_follows_the_accepted_init_without_completion_mtu_plus_14_caps_0xac', () => {
    const vm = nicVm();
    const all = vm.host.nvspSent();
    const i = all.findIndex((m) => m.msg?.type === 'SEND_NDIS_CONFIG');
    expect(all[i - 1]!.msg?.type).toBe('INIT');
    expect(all[i]!.packet.payload).toEqual(pad40('7d 00 00 00 ea 05 00 00 00 00 00 00 ac 00 00 00'));
    expect(all[i]!.packet.flags).toBe(0);
    expect(all[i]!.packet.trans_id).toBe(VMBUS_RQST_ID_NO_RESPONSE);
  });

  it('ndis_config_capabilities_are_0x2c_for_nvsp_5_and_6_and_0x08_for_4', () => {
    for (const [v, cap] of [
      [NVSP_PROTOCOL_VERSION_6, 0x2cn],
      [NVSP_PROTOCOL_VERSION_5, 0x2cn],
      [NVSP_PROTOCOL_VERSION_4, 0x08n],
    ] as const) {
      const vm = nicVm({ host: { versions: [v] } });
      const cfg = vm.host.nvspSent().find((m) => m.msg?.type === 'SEND_NDIS_CONFIG')!.msg as { capability: bigint };
      expect(cfg.capability).toBe(cap);
    }
  });

  it('send_ndis_ver_is_6_30_from_nvsp_5_and_6_1_up_to_nvsp_4', () => {
    const v6 = nicVm().host.nvspSent().find((m) => m.msg?.type === 'SEND_NDIS_VER')!;
    expect(v6.packet.payload).toEqual(pad40('64 00 00 00 06 00 00 00 1e 00 00 00'));
    expect(v6.packet.trans_id).toBe(VMBUS_RQST_ID_NO_RESPONSE);
    const v4 = nicVm({ host: { versions: [NVSP_PROTOCOL_VERSION_4] } }).host.nvspSent().find((m) => m.msg?.type === 'SEND_NDIS_VER')!;
    expect(v4.msg).toMatchObject({ ndis_major_ver: 6, ndis_minor_ver: 1 });
  });

  it('receive_buffer_is_16_MiB_handed_over_by_gpadl_with_id_0xcafe', () => {
    const vm = nicVm();
    const m = vm.host.nvspSent().find((x) => x.msg?.type === 'SEND_RECV_BUF')!;
    const msg = m.msg as { gpadl_handle: number; id: number };
    expect(msg.id).toBe(0xcafe);
    expect(m.packet.flags).toBe(1);
    expect(m.packet.trans_id).toBe(2n);
    expect(vm.host.primary.gpadl(msg.gpadl_handle)!.view!.length).toBe(16 * 1024 * 1024);
    expect(vm.dev.nvdev!.recvSectionSize).toBe(1728);
    expect(vm.dev.nvdev!.recvSectionCnt).toBe(Math.floor((16 * 1024 * 1024) / 1728));
  });

  it('send_buffer_is_170_sections_of_6144_rounded_to_pages_with_id_0', () => {
    const vm = nicVm();
    const m = vm.host.nvspSent().find((x) => x.msg?.type === 'SEND_SEND_BUF')!;
    const msg = m.msg as { gpadl_handle: number; id: number };
    expect(msg.id).toBe(0);
    expect(m.packet.trans_id).toBe(3n);
    expect(vm.host.primary.gpadl(msg.gpadl_handle)!.view!.length).toBe(1044480);
    expect(vm.dev.nvdev!.sendSectionCnt).toBe(170);
  });

  it('nvsp_1_host_gets_no_ndis_config_and_at_most_a_15_MiB_receive_buffer', () => {
    const vm = nicVm({ host: { versions: [NVSP_PROTOCOL_VERSION_1] } });
    const names = vm.host.nvspSent().map((m) => m.msg?.type);
    expect(names).not.toContain('SEND_NDIS_CONFIG');
    const m = vm.host.nvspSent().find((x) => x.msg?.type === 'SEND_RECV_BUF')!.msg as { gpadl_handle: number };
    expect(vm.host.primary.gpadl(m.gpadl_handle)!.view!.length).toBe(15 * 1024 * 1024);
    expect(vm.dev.getChannels()).toMatchObject({ max_combined: 1, combined_count: 1 });
  });

  it('no_nvsp_version_accepted_fails_probe_with_EPROTO_and_closes_the_channel', () => {
    const vm = nicVm({ host: { versions: [] } });
    expect(vm.dev.probeResult.value).toBe('EPROTO');
    expect(inits(vm)).toHaveLength(6);
    expect(vm.dev.registered).toBe(false);
    expect(vm.host.guestNames((e) => e.what === 'vmbus').slice(-2)).toEqual(['CLOSECHANNEL', 'GPADL_TEARDOWN']);
    expect(vm.dev.channel.state).toBe('CHANNEL_OPEN_STATE');
  });

  it('an_isolated_guest_refuses_a_host_below_nvsp_6_1_with_EPROTO', () => {
    const vm = nicVm({ host: { versions: [NVSP_PROTOCOL_VERSION_6] }, driver: { isolated: true } });
    expect(vm.dev.probeResult.value).toBe('EPROTO');
    const ok = nicVm({ driver: { isolated: true } });
    expect(ok.dev.probeResult.value).toBe(0);
    const cfg = ok.host.nvspSent().find((m) => m.msg?.type === 'SEND_NDIS_CONFIG')!.msg as { capability: bigint };
    expect(cfg.capability).toBe(0xa8n);
  });
});

describe('bring-up: RNDIS', () => {
  it('rndis_control_messages_go_as_gpa_direct_on_the_primary_with_one_range_and_no_section', () => {
    const vm = nicVm();
    const pkts = vm.host.nvspSent().filter((m) => m.msg?.type === 'SEND_RNDIS_PKT');
    expect(pkts.length).toBeGreaterThan(0);
    for (const p of pkts) {
      expect(p.queue).toBe(0);
      expect(p.packet.kind).toBe('gpa-direct');
      expect(p.packet.flags).toBe(1);
      expect(p.packet.payload).toEqual(pad40('6b 00 00 00 01 00 00 00 ff ff ff ff 00 00 00 00'));
      if (p.packet.kind !== 'gpa-direct') continue;
      expect(p.packet.ranges).toHaveLength(1);
      // the message sits at byte 4232 of its struct rndis_request: page 1, offset 136
      expect(p.packet.ranges[0]!.byte_offset).toBe(136);
    }
    const lens = vm.host.rndisSent().map((r) => r.bytes.length);
    expect(pkts.map((p) => (p.packet.kind === 'gpa-direct' ? p.packet.ranges[0]!.byte_count : 0))).toEqual(lens);
  });

  it('rndis_requests_follow_linux_order_and_ids_on_first_probe', () => {
    const vm = nicVm();
    const got = vm.host.rndisSent().map((r) => [r.msg.type, 'oid' in r.msg ? r.msg.oid : 0, 'req_id' in r.msg ? r.msg.req_id : -1]);
    expect(got).toEqual([
      ['INIT', 0, 1],
      ['QUERY', OID.GEN_MAXIMUM_FRAME_SIZE, 2],
      ['QUERY', OID['802_3_PERMANENT_ADDRESS'], 3],
      ['QUERY', OID.GEN_FRIENDLY_NAME, 4],
      ['QUERY', OID.TCP_OFFLOAD_HARDWARE_CAPABILITIES, 5],
      ['SET', OID.TCP_OFFLOAD_PARAMETERS, 6],
      ['QUERY', OID.GEN_MEDIA_CONNECT_STATUS, 7],
      ['QUERY', OID.GEN_LINK_SPEED, 8],
      ['QUERY', OID.GEN_RECEIVE_SCALE_CAPABILITIES, 9],
      ['SET', OID.GEN_RECEIVE_SCALE_PARAMETERS, 10],
      ['SET', OID.GEN_RECEIVE_SCALE_PARAMETERS, 11],
      ['SET', OID.GEN_CURRENT_PACKET_FILTER, 12],
    ]);
  });

  it('rndis_init_bytes_match_appendix_a', () => {
    const vm = nicVm();
    expect(vm.host.rndisSent()[0]!.bytes).toEqual(hex('02 00 00 00 18 00 00 00 01 00 00 00 01 00 00 00 00 00 00 00 00 40 00 00'));
  });

  it('rss_capabilities_query_carries_the_prefilled_18_byte_object', () => {
    const vm = nicVm();
    const q = vm.host.rndisSent().find((r) => r.msg.type === 'QUERY' && r.msg.oid === OID.GEN_RECEIVE_SCALE_CAPABILITIES)!;
    expect(q.bytes).toEqual(
      hex(`04 00 00 00 2e 00 00 00 09 00 00 00 03 02 01 00 12 00 00 00 14 00 00 00 00 00 00 00 88 02 12 00
           00 00 00 00 00 00 00 00 00 00 00 00 00 00`),
    );
  });

  it('offload_query_is_revision_3_156_bytes_and_the_set_turns_on_what_the_host_offers', () => {
    const vm = nicVm();
    const q = vm.host.rndisSent().find((r) => r.msg.type === 'QUERY' && r.msg.oid === OID.TCP_OFFLOAD_HARDWARE_CAPABILITIES)!;
    expect(q.bytes.length).toBe(28 + 156);
    expect([...q.bytes.subarray(28, 32)]).toEqual([0xa7, 3, 156, 0]);
    const s = vm.host.rndisSent().find((r) => r.msg.type === 'SET' && r.msg.oid === OID.TCP_OFFLOAD_PARAMETERS)!;
    const info = (s.msg as { info_buf: Uint8Array }).info_buf;
    expect(info.length).toBe(28);
    // header {0x80, rev 3, 28}; ip_v4_csum 1; tcp v4 4, udp v4 4, tcp v6 4, udp v6 4; lso v2 ipv4 2, ipv6 2
    expect([...info.subarray(0, 13)]).toEqual([0x80, 3, 28, 0, 1, 4, 4, 4, 4, 0, 0, 2, 2]);
  });

  it('rss_is_set_twice_disable_then_enable_with_the_default_key_and_table_i_mod_num_chn', () => {
    const vm = nicVm();
    const sets = vm.host.rndisSent().filter((r) => r.msg.type === 'SET' && r.msg.oid === OID.GEN_RECEIVE_SCALE_PARAMETERS);
    expect(sets).toHaveLength(2);
    const [dis, en] = sets.map((s) => decodeRssSetRequest(s.bytes));
    expect(dis!.params.flag).toBe(0x10);
    expect(en!.params.flag).toBe(0);
    for (const s of sets) expect(s.bytes.length).toBe(620);
    expect(en!.params.indirection_table).toEqual(Array.from({ length: 128 }, (_, i) => i % 8));
    expect(en!.params.hash_key).toEqual(netvscDefaultRssKey());
    expect(sets[1]!.bytes.subarray(0, 68)).toEqual(
      hex(`05 00 00 00 6c 02 00 00 0b 00 00 00 04 02 01 00 50 02 00 00 14 00 00 00 00 00 00 00 89 02 28 00
           00 00 00 00 01 17 00 00 00 02 00 00 28 00 00 00 28 00 00 00 28 02 00 00 00 00 00 00 00 00 00 00
           00 00 00 00`),
    );
    expect(vm.dev.rssKey).toEqual(netvscDefaultRssKey());
  });

  it('packet_filter_0x0d_is_set_when_the_interface_comes_up', () => {
    const vm = nicVm();
    const f = vm.host.rndisSent().at(-1)!;
    expect(f.bytes).toEqual(hex('05 00 00 00 20 00 00 00 0c 00 00 00 0e 01 01 00 04 00 00 00 14 00 00 00 00 00 00 00 0d 00 00 00'));
    expect(vm.dev.running).toBe(true);
    expect(vm.dev.carrier).toBe(true);
  });

  it('every_rndis_reply_is_completed_with_one_8_byte_success_receive_completion', () => {
    const vm = nicVm();
    const comps = vm.host.nvspSent().filter((m) => m.packet.kind === 'completion');
    expect(comps).toHaveLength(vm.host.rndisSent().filter((r) => r.msg.type !== 'HALT').length);
    for (const c of comps) {
      expect(c.packet.payload).toEqual(hex('6c 00 00 00 01 00 00 00'));
      expect(c.packet.flags).toBe(0);
    }
    expect(vm.host.outstandingReceives).toBe(0);
  });

  it('every_control_send_is_completed_and_queue_sends_drop_back_to_zero', () => {
    const vm = nicVm();
    expect(vm.dev.nvdev!.chanTable[0]!.queueSends).toBe(0);
    // INIT, SEND_RECV_BUF, SEND_SEND_BUF and SUBCHANNEL keep their slots: Linux only frees a slot
    // for RNDIS packet completions and empty completions
    expect(vm.dev.channel.rings!.requestor.outstanding).toBe(4);
  });

  it('rndis_request_ids_shift_by_one_when_an_ifalias_already_exists', () => {
    const vm = nicVm({ driver: { ifalias: 'uplink' } });
    const oids = vm.host.rndisSent().map((r) => ('oid' in r.msg ? r.msg.oid : 0));
    expect(oids).not.toContain(OID.GEN_FRIENDLY_NAME);
    expect(vm.host.rndisSent().at(-1)!.msg).toMatchObject({ req_id: 11 });
  });

  it('friendly_name_becomes_the_ifalias_unless_it_is_network_adapter', () => {
    expect(nicVm({ host: { friendlyName: 'Backend NIC' } }).dev.ifalias).toBe('Backend NIC');
    expect(nicVm().dev.ifalias).toBe(null);
  });

  it('maximum_frame_size_below_the_mtu_lowers_it', () => {
    expect(nicVm({ host: { maxFrameSize: 1400 } }).dev.mtu).toBe(1400);
    expect(nicVm({ host: { maxFrameSize: 9000 } }).dev.mtu).toBe(1500);
    const cfg = nicVm().host.nvspSent().find((m) => m.msg?.type === 'SEND_NDIS_CONFIG')!.msg as { mtu: number };
    expect(cfg.mtu).toBe(1514);
  });

  it('link_speed_in_100_bps_units_becomes_mbps', () => {
    expect(nicVm({ host: { linkSpeed: 400_000_000 } }).dev.speed).toBe(40000);
  });

  it('media_disconnected_at_probe_leaves_the_carrier_off_after_open', () => {
    const vm = nicVm({ host: { mediaState: 1 } });
    expect(vm.dev.running).toBe(true);
    expect(vm.dev.carrier).toBe(false);
  });

  it('mac_address_comes_from_the_permanent_address_query', () => {
    expect([...nicVm({ host: { mac: Uint8Array.of(2, 4, 6, 8, 10, 12) } }).dev.mac]).toEqual([2, 4, 6, 8, 10, 12]);
  });

  it('nvsp_4_host_gets_revision_2_caps_query_22_byte_offload_set_and_no_rss', () => {
    const vm = nicVm({ host: { versions: [NVSP_PROTOCOL_VERSION_4] } });
    const r = vm.host.rndisSent();
    const q = r.find((x) => x.msg.type === 'QUERY' && x.msg.oid === OID.TCP_OFFLOAD_HARDWARE_CAPABILITIES)!;
    expect([...q.bytes.subarray(28, 32)]).toEqual([0xa7, 2, 144, 0]);
    const s = r.find((x) => x.msg.type === 'SET' && x.msg.oid === OID.TCP_OFFLOAD_PARAMETERS)!;
    expect((s.msg as { info_buf: Uint8Array }).info_buf.length).toBe(22);
    const oids = r.map((x) => ('oid' in x.msg ? x.msg.oid : 0));
    expect(oids).not.toContain(OID.GEN_LINK_SPEED);
    expect(oids).not.toContain(OID.GEN_RECEIVE_SCALE_CAPABILITIES);
    expect(vm.dev.getChannels()).toMatchObject({ max_combined: 1, combined_count: 1 });
    expect(vm.dev.getRxfhIndirSize()).toBe(0);
  });
});

describe('bring-up: channel counts and subchannels', () => {
  it('max_chn_is_min_of_vcpus_and_host_queues_and_num_chn_min_of_that_and_8', () => {
    const cases: [number, number, number, number][] = [
      [4, 8, 4, 4],
      [16, 16, 16, 8],
      [64, 64, 64, 8],
      [80, 80, 64, 8],
      [8, 3, 3, 3],
    ];
    for (const [vcpus, queues, max, num] of cases) {
      const vm = nicVm({ driver: { vcpus }, host: { queues } });
      expect(vm.dev.getChannels()).toMatchObject({ max_combined: max, combined_count: num });
    }
  });

  it('subchannel_request_asks_for_num_chn_minus_1_and_every_offer_is_opened', () => {
    const vm = nicVm();
    const req = vm.host.nvspSent().find((m) => m.msg?.type === 'SUBCHANNEL_REQUEST')!;
    expect(req.packet.payload).toEqual(pad40('85 00 00 00 01 00 00 00 07 00 00 00'));
    expect(req.packet.flags).toBe(1);
    expect(vm.dev.openChannels).toBe(8);
    for (let i = 1; i < 8; i++) expect(vm.host.queue(i)!.state).toBe('open');
    expect(vm.dev.stats.subchannelRequests).toBe(1);
    expect(vm.dev.stats.subchannelsAsked).toBe(7);
    expect(vm.dev.stats.subchannelsGranted).toBe(7);
  });

  it('tx_table_is_i_mod_num_chn_and_the_real_queue_counts_follow_after_subchannels', () => {
    const vm = nicVm({ driver: { vcpus: 3 } });
    expect(Array.from(vm.dev.txTable)).toEqual(Array.from({ length: 16 }, (_, i) => i % 3));
    expect(vm.dev.realNumTxQueues).toBe(3);
    expect(vm.dev.realNumRxQueues).toBe(3);
  });

  it('rss_capabilities_below_two_queues_leave_one_channel_and_no_indirection_table', () => {
    const vm = nicVm({ host: { queues: 1 } });
    expect(vm.dev.getChannels()).toMatchObject({ max_combined: 1, combined_count: 1 });
    expect(vm.dev.getRxfhIndirSize()).toBe(0);
    expect(vm.host.nvspSent().some((m) => m.msg?.type === 'SUBCHANNEL_REQUEST')).toBe(false);
  });

  it('one_vcpu_keeps_the_rss_table_but_sends_no_subchannel_request_and_no_rss_set', () => {
    const vm = nicVm({ driver: { vcpus: 1 } });
    expect(vm.dev.getChannels()).toMatchObject({ max_combined: 1, combined_count: 1 });
    expect(vm.dev.getRxfhIndirSize()).toBe(128);
    expect(vm.host.nvspSent().some((m) => m.msg?.type === 'SUBCHANNEL_REQUEST')).toBe(false);
    expect(vm.host.rss).toHaveLength(0);
    expect(vm.dev.rssKey).toEqual(new Uint8Array(40));
  });

  it('indirection_table_size_is_the_host_entry_count_from_1_to_256_else_128', () => {
    expect(nicVm({ host: { tabent: 64 } }).dev.getRxfhIndirSize()).toBe(64);
    expect(nicVm({ host: { tabent: 256 } }).dev.getRxfhIndirSize()).toBe(256);
    expect(nicVm({ host: { tabent: 0 } }).dev.getRxfhIndirSize()).toBe(128);
    expect(nicVm({ host: { tabent: 300 } }).dev.getRxfhIndirSize()).toBe(128);
    const vm = nicVm({ host: { tabent: 64 } });
    expect(vm.host.rss.at(-1)!.indirection_table).toHaveLength(64);
  });

  it('subchannels_are_asked_for_after_probe_from_the_work_item_before_the_interface_comes_up', () => {
    const vm = nicVm();
    const names = vm.host.guestNames((e) => e.what === 'rndis' || (e.what === 'nvsp' && e.name === 'NVSP_MSG5_TYPE_SUBCHANNEL'));
    const sub = names.indexOf('NVSP_MSG5_TYPE_SUBCHANNEL');
    expect(names[sub - 1]).toBe('RNDIS_MSG_QUERY OID_GEN_RECEIVE_SCALE_CAPABILITIES');
    expect(names.slice(sub + 1)).toEqual([
      'RNDIS_MSG_SET OID_GEN_RECEIVE_SCALE_PARAMETERS',
      'RNDIS_MSG_SET OID_GEN_RECEIVE_SCALE_PARAMETERS',
      'RNDIS_MSG_SET OID_GEN_CURRENT_PACKET_FILTER',
    ]);
  });

  it('counters_count_messages_by_nvsp_type_and_rndis_type_and_oid', () => {
    const vm = nicVm();
    const { sent, received } = vm.dev.stats;
    expect(sent['NVSP_MSG_TYPE_INIT']).toBe(1);
    expect(sent['NVSP_MSG5_TYPE_SUBCHANNEL']).toBe(1);
    expect(sent['NVSP_MSG1_TYPE_SEND_RNDIS_PKT']).toBe(12);
    expect(sent['RNDIS_MSG_QUERY OID_GEN_RECEIVE_SCALE_CAPABILITIES']).toBe(1);
    expect(sent['RNDIS_MSG_SET OID_GEN_RECEIVE_SCALE_PARAMETERS']).toBe(2);
    expect(sent['NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE']).toBe(12);
    expect(received['NVSP_MSG_TYPE_INIT_COMPLETE']).toBe(1);
    expect(received['NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE']).toBe(12);
    expect(received['NVSP_MSG1_TYPE_SEND_RNDIS_PKT']).toBe(12);
    expect(received['RNDIS_MSG_QUERY_C']).toBe(7);
    expect(received['RNDIS_MSG_SET_C']).toBe(4);
    expect(received['RNDIS_MSG_INIT_C']).toBe(1);
  });

  it('the_same_seed_gives_the_same_bytes', () => {
    const bytes = (seed: number) =>
      nicVm({ bus: { seed } })
        .host.wire.map((e) => ('packet' in e ? Array.from(e.packet.payload).join(',') : 'bytes' in e ? Array.from(e.bytes).join(',') : e.name))
        .join('|');
    expect(bytes(7)).toBe(bytes(7));
  });

  it('completion_messages_decode_as_linux_reads_them', () => {
    // the host's 28-byte pre-6.1 completions and 40-byte 6.1 ones both work
    for (const versions of [[NVSP_PROTOCOL_VERSION_5], [NVSP_PROTOCOL_VERSION_61]]) {
      const vm = nicVm({ host: { versions } });
      expect(vm.dev.probeResult.value).toBe(0);
      expect(decodeNvsp(vm.dev.nvdev!.channelInitPkt, { from: 'host' }).type).toBe('SUBCHANNEL_COMPLETE');
    }
  });
});
