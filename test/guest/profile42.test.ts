/**
 * The `linux-4.2` profile: the 2015 driver of the poster (shared/seeds/000_bf257f2ab3ef2c43.txt)
 * and spec §6 — max_chn from the host's raw queue count, silent clamping, the 2015 check order, the
 * default channel rule of 8ebdcc52b9b8 — plus the wire differences the profile documents.
 */
import { describe, expect, it } from 'vitest';
import { NVSP_PROTOCOL_VERSION_4, NVSP_PROTOCOL_VERSION_5, NVSP_PROTOCOL_VERSION_61, encodeNvsp } from '../../src/protocol/nvsp.js';
import { OID } from '../../src/protocol/oids.js';
import { RNDIS_STATUS, encodeRndis, rndisInitComplete } from '../../src/protocol/rndis.js';
import { decodeRssSetRequest, netvscDefaultRssKey } from '../../src/protocol/ndis.js';
import { combined, nicVm, result } from './harness.js';

const v42 = (o: Parameters<typeof nicVm>[0] = {}) => nicVm({ ...o, driver: { profile: 'linux-4.2', vcpus: 4, ...o.driver } });

describe('linux-4.2 profile', () => {
  it('tries_nvsp_5_4_2_1_and_never_6_or_6_1', () => {
    const vm = v42({ host: { versions: [NVSP_PROTOCOL_VERSION_4] } });
    expect(vm.host.nvspSent().filter((m) => m.msg?.type === 'INIT').map((m) => (m.msg as { min_protocol_ver: number }).min_protocol_ver)).toEqual([0x50000, 0x40000]);
    expect(v42({ host: { versions: [NVSP_PROTOCOL_VERSION_61] } }).dev.probeResult.value).toBe('EPROTO');
  });

  it('an_unanswered_init_times_out_after_one_second_and_the_next_version_is_tried', () => {
    const vm = v42({
      host: {
        interceptNvsp: (_h, m) => m.msg.type === 'INIT' && m.msg.min_protocol_ver === NVSP_PROTOCOL_VERSION_5,
      },
    });
    const inits = vm.host.wire.filter((e) => e.dir === 'g2h' && e.name === 'NVSP_MSG_TYPE_INIT');
    expect(inits).toHaveLength(2);
    expect(inits[1]!.time - inits[0]!.time).toBeGreaterThanOrEqual(1_000_000_000);
    expect(vm.dev.nvspVersion).toBe(NVSP_PROTOCOL_VERSION_4);
  });

  it('ndis_config_carries_ieee8021q_and_sriov_only', () => {
    const cfg = v42().host.nvspSent().find((m) => m.msg?.type === 'SEND_NDIS_CONFIG')!.msg as { capability: bigint };
    expect(cfg.capability).toBe(0x0cn);
  });

  it('request_ids_are_kernel_addresses_without_a_requestor', () => {
    const vm = v42();
    const init = vm.host.nvspSent().find((m) => m.msg?.type === 'INIT')!;
    const cfg = vm.host.nvspSent().find((m) => m.msg?.type === 'SEND_NDIS_CONFIG')!;
    expect(init.packet.trans_id >= 0xffff888000000000n).toBe(true);
    expect(cfg.packet.trans_id).toBe(init.packet.trans_id);
    expect(vm.dev.channel.rqstorSize).toBe(0);
  });

  it('bring_up_asks_mac_sets_fixed_offloads_media_status_and_rss_caps_then_subchannels_and_one_rss_set', () => {
    const vm = v42();
    const r = vm.host.rndisSent().map((x) => [x.msg.type, 'oid' in x.msg ? x.msg.oid : 0]);
    expect(r).toEqual([
      ['INIT', 0],
      ['QUERY', OID['802_3_PERMANENT_ADDRESS']],
      ['SET', OID.TCP_OFFLOAD_PARAMETERS],
      ['QUERY', OID.GEN_MEDIA_CONNECT_STATUS],
      ['QUERY', OID.GEN_RECEIVE_SCALE_CAPABILITIES],
      ['SET', OID.GEN_RECEIVE_SCALE_PARAMETERS],
      ['SET', OID.GEN_CURRENT_PACKET_FILTER],
    ]);
    const rss = decodeRssSetRequest(vm.host.rndisSent()[5]!.bytes).params;
    expect(rss.flag).toBe(0);
    expect(rss.indirection_table).toEqual(Array.from({ length: 128 }, (_, i) => i % 4));
    expect(rss.hash_key).toEqual(netvscDefaultRssKey());
    const names = vm.host.guestNames((e) => e.what === 'rndis' || e.name === 'NVSP_MSG5_TYPE_SUBCHANNEL');
    expect(names.indexOf('NVSP_MSG5_TYPE_SUBCHANNEL')).toBe(names.indexOf('RNDIS_MSG_QUERY OID_GEN_RECEIVE_SCALE_CAPABILITIES') + 1);
  });

  it('max_combined_is_the_hosts_raw_queue_count_and_the_default_is_min_of_node_cpus_8_and_queues', () => {
    const poster = v42({ host: { queues: 64 } });
    expect(poster.dev.getChannels()).toMatchObject({ max_combined: 64, combined_count: 4 });
    expect(v42({ host: { queues: 64 }, driver: { vcpus: 16 } }).dev.getChannels()).toMatchObject({ max_combined: 64, combined_count: 8 });
    expect(v42({ host: { queues: 3 }, driver: { vcpus: 16 } }).dev.getChannels()).toMatchObject({ max_combined: 3, combined_count: 3 });
  });

  it('a_count_above_min_of_max_chn_and_cpus_is_clamped_silently', () => {
    const vm = v42({ host: { queues: 64 } });
    expect(result(vm.bus, vm.dev.setChannels(combined(16)))).toBe(0);
    expect(vm.dev.getChannels()).toMatchObject({ max_combined: 64, combined_count: 4 });
    expect(vm.dev.warnings.map((w) => w.code)).toContain('COMBINED_CLAMPED');
  });

  it('combined_1_then_back_as_in_the_poster', () => {
    const vm = v42({ host: { queues: 64 } });
    expect(result(vm.bus, vm.dev.setChannels(combined(1)))).toBe(0);
    expect(vm.dev.getChannels()).toMatchObject({ max_combined: 64, combined_count: 1 });
    expect(result(vm.bus, vm.dev.setChannels(combined(0)))).toBe('EINVAL');
    expect(result(vm.bus, vm.dev.setChannels(combined(2)))).toBe(0);
    expect(vm.dev.getChannels()).toMatchObject({ combined_count: 2 });
  });

  it('the_2015_check_order_is_enodev_then_nvsp_then_the_counts', () => {
    const none = v42({ host: { versions: [] } });
    expect(result(none.bus, none.dev.setChannels(combined(0)))).toBe('ENODEV');
    const old = v42({ host: { versions: [NVSP_PROTOCOL_VERSION_4] } });
    expect(result(old.bus, old.dev.setChannels({ ...combined(0), rx_count: 1 }))).toBe('EINVAL');
    expect(old.dev.warnings).toEqual([]);
  });

  it('a_refused_subchannel_request_leaves_one_channel_and_set_channels_returns_0', () => {
    const vm = v42();
    vm.host.options.subchannels = () => ({ status: 2, granted: 0 });
    expect(result(vm.bus, vm.dev.setChannels(combined(3)))).toBe(0);
    expect(vm.dev.getChannels()).toMatchObject({ max_combined: 1, combined_count: 1 });
  });

  it('a_grant_above_the_request_is_taken_as_is', () => {
    const vm = v42();
    vm.host.options.subchannels = (n) => ({ status: 1, granted: n + 1 });
    expect(result(vm.bus, vm.dev.setChannels(combined(2)))).toBe(0);
    expect(vm.dev.getChannels()).toMatchObject({ combined_count: 3 });
  });

  it('a_failed_re_add_is_retried_with_the_old_count_and_the_interface_reopened', () => {
    const vm = v42();
    let n = 0;
    vm.host.options.interceptRndis = (h, m) => {
      if (m.msg.type !== 'INIT' || ++n !== 1) return false;
      h.rndisReply(encodeRndis(rndisInitComplete(m.msg.req_id, { status: RNDIS_STATUS.FAILURE })));
      return true;
    };
    expect(result(vm.bus, vm.dev.setChannels(combined(2)))).toBe(0);
    expect(vm.dev.getChannels()).toMatchObject({ combined_count: 4 });
    expect(vm.host.filters.at(-1)).toBe(0x0d);
    expect(vm.dev.present).toBe(true);
  });

  it('host_messages_are_not_length_checked', () => {
    const vm = v42({
      host: {
        interceptNvsp: (h, m) => {
          if (m.msg.type !== 'INIT') return false;
          h.complete(0, m.packet.trans_id, encodeNvsp({ type: 'INIT_COMPLETE', negotiated_protocol_ver: 0, max_mdl_chain_len: 0, status: 1 }, { peer: 'exact' }));
          return true;
        },
      },
    });
    expect(vm.dev.probeResult.value).toBe(0);
    expect(vm.dev.warnings).toEqual([]);
  });

  it('the_same_seed_gives_the_same_request_ids_and_bytes_twice_in_one_process', () => {
    const bytes = () => {
      const vm = v42();
      result(vm.bus, vm.dev.setChannels(combined(2)));
      return vm.host.nvspSent().map((m) => `${m.packet.trans_id}:${Array.from(m.packet.payload).join(',')}`).join('|');
    };
    expect(bytes()).toBe(bytes());
  });

  it('has_no_rss_table_operations', () => {
    const vm = v42();
    expect(vm.dev.getRxfhIndirSize()).toBe(0);
    expect(vm.dev.getRxfh()).toBe('EOPNOTSUPP');
    expect(result(vm.bus, vm.dev.setRxfh({ key: new Uint8Array(40) }))).toBe('EOPNOTSUPP');
  });
});
