/**
 * `get_channels` / `set_channels` of Linux 6.1.192 (spec §5.1, §5.2, §5.5) with the detach/attach
 * cycle of §4.4–4.5 on the wire, against the scripted host.
 */
import { describe, expect, it } from 'vitest';
import { NVSP_PROTOCOL_VERSION_4 } from '../../src/protocol/nvsp.js';
import { OID } from '../../src/protocol/oids.js';
import { RNDIS_STATUS, encodeRndis, rndisInitComplete } from '../../src/protocol/rndis.js';
import { decodeRssSetRequest } from '../../src/protocol/ndis.js';
import { VERSION_WIN8_1, VERSION_WIN8 } from '../../src/vmbus/versions.js';
import { spawn } from '../../src/vmbus/scheduler.js';
import { HV_NIC_GUID } from '../../src/vmbus/guids.js';
import { combined, nicVm, result, run } from './harness.js';

const set = (vm: ReturnType<typeof nicVm>, n: number) => result(vm.bus, vm.dev.setChannels(combined(n)));

describe('get_channels', () => {
  it('get_channels_reports_max_chn_as_max_combined_and_num_chn_as_combined_count_only', () => {
    const vm = nicVm({ driver: { vcpus: 6 } });
    expect(vm.dev.getChannels()).toEqual({ max_rx: 0, max_tx: 0, max_other: 0, max_combined: 6, rx_count: 0, tx_count: 0, other_count: 0, combined_count: 6 });
  });

  it('get_channels_is_all_zero_without_a_device', () => {
    const vm = nicVm({ host: { versions: [] } });
    expect(vm.dev.getChannels()).toEqual(combined(0));
  });
});

describe('set_channels: checks in order', () => {
  it('combined_zero_is_EINVAL', () => {
    expect(set(nicVm(), 0)).toBe('EINVAL');
  });

  it('rx_tx_or_other_count_is_EINVAL', () => {
    const vm = nicVm();
    for (const k of ['rx_count', 'tx_count', 'other_count'] as const) {
      expect(result(vm.bus, vm.dev.setChannels({ ...combined(2), [k]: 1 }))).toBe('EINVAL');
    }
    expect(vm.dev.stats.detaches).toBe(0);
  });

  it('a_count_above_max_chn_is_EINVAL_and_nothing_is_sent', () => {
    const vm = nicVm({ driver: { vcpus: 4 } });
    const before = vm.host.wire.length;
    expect(set(vm, 5)).toBe('EINVAL');
    expect(vm.host.wire.length).toBe(before);
  });

  it('nvsp_below_5_is_EINVAL_even_for_a_count_within_max', () => {
    const vm = nicVm({ host: { versions: [NVSP_PROTOCOL_VERSION_4] } });
    expect(set(vm, 1)).toBe('EINVAL');
  });

  it('no_device_is_ENODEV_but_zero_and_rx_counts_are_checked_first', () => {
    const vm = nicVm({ host: { versions: [] } });
    expect(set(vm, 2)).toBe('ENODEV');
    expect(set(vm, 0)).toBe('EINVAL');
    expect(result(vm.bus, vm.dev.setChannels({ ...combined(1), rx_count: 1 }))).toBe('EINVAL');
  });

  it('the_driver_has_no_unchanged_shortcut_the_same_count_runs_a_full_cycle', () => {
    const vm = nicVm();
    expect(set(vm, 8)).toBe(0);
    expect(vm.dev.stats.detaches).toBe(1);
  });
});

describe('set_channels: outcomes (§5.5)', () => {
  it('host_grants_all_returns_0_and_combined_is_n', () => {
    const vm = nicVm();
    expect(set(vm, 3)).toBe(0);
    expect(vm.dev.getChannels()).toMatchObject({ max_combined: 8, combined_count: 3 });
    expect(vm.dev.openChannels).toBe(3);
    expect(Array.from(vm.dev.txTable)).toEqual(Array.from({ length: 16 }, (_, i) => i % 3));
    expect(vm.dev.realNumTxQueues).toBe(3);
    expect(vm.dev.present).toBe(true);
    expect(vm.dev.carrier).toBe(true);
  });

  it('detach_sends_filter_0_halt_revokes_then_closes_subchannels_and_primary_then_gpadl_teardowns', () => {
    const vm = nicVm({ driver: { vcpus: 2 }, host: { queues: 2 } });
    const from = vm.host.wire.length;
    expect(set(vm, 1)).toBe(0);
    const names = vm.host.wire.slice(from).filter((e) => e.dir === 'g2h' && e.name !== 'NVSP_MSG1_TYPE_SEND_RNDIS_PKT' && !e.name.startsWith('COMP')).map((e) => e.name);
    const initAt = names.indexOf('GPADL_HEADER');
    expect(names.slice(0, initAt)).toEqual([
      'RNDIS_MSG_SET OID_GEN_CURRENT_PACKET_FILTER',
      'RNDIS_MSG_HALT',
      'NVSP_MSG1_TYPE_REVOKE_RECV_BUF',
      'NVSP_MSG1_TYPE_REVOKE_SEND_BUF',
      'CLOSECHANNEL', // subchannel 1
      'GPADL_TEARDOWN', // its ring
      'CLOSECHANNEL', // primary
      'GPADL_TEARDOWN', // its ring
      'GPADL_TEARDOWN', // receive buffer (after the close on VMBus ≥ 4.0)
      'GPADL_TEARDOWN', // send buffer
    ]);
    const filt = vm.host.rndisSent().find((r, i) => r.msg.type === 'SET' && r.msg.oid === OID.GEN_CURRENT_PACKET_FILTER && i > 11)!;
    expect((filt.msg as { info_buf: Uint8Array }).info_buf).toEqual(new Uint8Array(4));
  });

  it('halt_is_12_bytes_and_takes_two_request_ids', () => {
    const vm = nicVm();
    set(vm, 2);
    const r = vm.host.rndisSent();
    const h = r.findIndex((x) => x.msg.type === 'HALT');
    expect(r[h]!.bytes.length).toBe(12);
    // filter 0 got id 13, HALT's struct took 14 and the message carries 15
    expect(r[h - 1]!.msg).toMatchObject({ type: 'SET', req_id: 13 });
    expect(r[h]!.msg).toMatchObject({ req_id: 15 });
  });

  it('re_attach_restarts_rndis_ids_at_1_and_repeats_the_whole_bring_up', () => {
    const vm = nicVm();
    const from = vm.host.rndisSent().length;
    set(vm, 4);
    const after = vm.host.rndisSent().slice(from).filter((r) => r.msg.type !== 'HALT' && !(r.msg.type === 'SET' && r.msg.oid === OID.GEN_CURRENT_PACKET_FILTER && (r.msg.info_buf[0] ?? 0) === 0));
    expect(after.map((r) => ('req_id' in r.msg ? r.msg.req_id : 0))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const req = vm.host.nvspSent().filter((m) => m.msg?.type === 'SUBCHANNEL_REQUEST').at(-1)!.msg;
    expect(req).toMatchObject({ num_subchannels: 3 });
  });

  it('the_device_is_not_present_between_detach_and_attach', () => {
    const vm = nicVm();
    let seen: boolean | null = null;
    let inits = 0;
    vm.host.options.interceptNvsp = (_h, m) => {
      if (m.msg.type === 'INIT' && ++inits === 1) seen = vm.dev.present;
      return false;
    };
    set(vm, 2);
    expect(seen).toBe(false);
    expect(vm.dev.present).toBe(true);
  });

  it('rss_is_reprogrammed_on_attach_with_the_key_saved_from_the_last_enable', () => {
    const vm = nicVm();
    const key = Uint8Array.from({ length: 40 }, (_, i) => i + 1);
    expect(result(vm.bus, vm.dev.setRxfh({ key }))).toBe(0);
    expect(set(vm, 5)).toBe(0);
    const last = vm.host.rss.at(-1)!;
    expect(last.hash_key).toEqual(key);
    expect(last.indirection_table).toEqual(Array.from({ length: 128 }, (_, i) => i % 5));
  });

  it('combined_1_sends_no_subchannel_request_and_no_rss_and_keeps_the_real_queue_counts', () => {
    const vm = nicVm();
    const sub = vm.dev.stats.subchannelRequests;
    const rss = vm.host.rss.length;
    expect(set(vm, 1)).toBe(0);
    expect(vm.dev.getChannels()).toMatchObject({ max_combined: 8, combined_count: 1 });
    expect(vm.dev.stats.subchannelRequests).toBe(sub);
    expect(vm.host.rss.length).toBe(rss);
    expect(vm.dev.realNumTxQueues).toBe(8);
    expect(vm.dev.rssKey).toEqual(new Uint8Array(40));
  });

  it('after_combined_1_the_next_attach_programs_rss_with_an_all_zero_key', () => {
    const vm = nicVm();
    set(vm, 1);
    expect(set(vm, 4)).toBe(0);
    expect(vm.host.rss.at(-1)!.hash_key).toEqual(new Uint8Array(40));
  });

  it('host_grants_fewer_returns_0_combined_is_1_plus_granted_and_rx_table_still_spreads_over_n', () => {
    const vm = nicVm();
    vm.host.options.subchannels = () => ({ status: 1, granted: 2 });
    expect(set(vm, 6)).toBe(0);
    expect(vm.dev.getChannels()).toMatchObject({ max_combined: 8, combined_count: 3 });
    expect(vm.dev.openChannels).toBe(3);
    expect(Array.from(vm.dev.txTable)).toEqual(Array.from({ length: 16 }, (_, i) => i % 3));
    expect(vm.dev.getRxfh()).toEqual(Array.from({ length: 128 }, (_, i) => i % 6));
    expect(vm.host.rss.at(-1)!.indirection_table).toEqual(Array.from({ length: 128 }, (_, i) => i % 6));
  });

  it('host_refuses_returns_0_and_max_combined_drops_to_1_so_growing_is_refused_after', () => {
    const vm = nicVm();
    vm.host.options.subchannels = () => ({ status: 2, granted: 0 });
    expect(set(vm, 4)).toBe(0);
    expect(vm.dev.getChannels()).toMatchObject({ max_combined: 1, combined_count: 1 });
    expect(vm.dev.warnings.map((w) => w.code)).toContain('SUBCHANNEL_REQUEST_FAILED');
    expect(set(vm, 2)).toBe('EINVAL');
  });

  it('host_grants_more_than_asked_returns_0_and_max_combined_drops_to_1', () => {
    const vm = nicVm();
    vm.host.options.subchannels = (n) => ({ status: 1, granted: n + 1, offer: [] });
    expect(set(vm, 3)).toBe(0);
    expect(vm.dev.getChannels()).toMatchObject({ max_combined: 1, combined_count: 1 });
    expect(vm.dev.warnings.map((w) => w.code)).toContain('SUBCHANNEL_INVALID_COUNT');
  });

  it('host_grants_zero_with_success_leaves_one_channel_and_max_unchanged', () => {
    const vm = nicVm();
    vm.host.options.subchannels = () => ({ status: 1, granted: 0 });
    expect(set(vm, 3)).toBe(0);
    expect(vm.dev.getChannels()).toMatchObject({ max_combined: 8, combined_count: 1 });
  });

  it('a_subchannel_rescinded_before_the_guest_opens_it_is_still_counted_and_set_channels_returns_0', () => {
    const vm = nicVm();
    vm.host.options.subchannels = (n) => ({ status: 1, granted: n });
    vm.host.options.interceptNvsp = (h, m) => {
      if (m.msg.type !== 'SUBCHANNEL_REQUEST') return false;
      const n = m.msg.num_subchannels;
      h.complete(0, m.packet.trans_id, { type: 'SUBCHANNEL_COMPLETE', status: 1, num_subchannels: n });
      for (let i = 1; i <= n; i++) h.offerSubchannel(i);
      h.rescindSubchannel(2);
      return true;
    };
    expect(set(vm, 4)).toBe(0);
    expect(vm.dev.getChannels()).toMatchObject({ combined_count: 4 });
    expect(vm.dev.openChannels).toBe(3);
    expect(vm.dev.warnings.map((w) => w.code)).toContain('SUBCHANNEL_OPEN_FAILED');
  });

  it('a_host_that_never_answers_the_subchannel_request_hangs_set_channels_holding_rtnl', () => {
    const vm = nicVm();
    vm.host.options.interceptNvsp = (_h, m) => m.msg.type === 'SUBCHANNEL_REQUEST';
    const c = run(vm.bus, vm.dev.setChannels(combined(4)));
    expect(c.settled).toBe(false);
    expect(vm.driver.rtnl.held).toBe(true);
  });

  it('the_host_rescinding_the_primary_mid_way_hangs_set_channels_and_blocks_the_removal_on_rtnl', () => {
    const vm = nicVm();
    vm.host.options.interceptNvsp = (h, m) => {
      if (m.msg.type !== 'SUBCHANNEL_REQUEST') return false;
      h.bus.host.rescind(h.primary);
      return true;
    };
    const c = run(vm.bus, vm.dev.setChannels(combined(4)));
    expect(c.settled).toBe(false);
    expect(vm.dev.registered).toBe(true); // netvsc_remove waits for RTNL
  });

  it('the_host_rescinding_the_primary_at_close_fails_attach_and_restore_with_ENODEV_and_leaves_it_detached', () => {
    const vm = nicVm();
    const close = vm.host.primary.device.close!;
    vm.host.primary.device.close = (ch) => {
      close(ch);
      vm.bus.host.rescind(vm.host.primary);
    };
    expect(set(vm, 2)).toBe('ENODEV');
    expect(vm.dev.present).toBe(false);
    expect(vm.dev.getChannels()).toEqual(combined(0));
    expect(vm.dev.warnings.map((w) => w.code)).toContain('RESTORE_FAILED');
    vm.bus.run();
    expect(vm.dev.registered).toBe(false); // netvsc_remove ran once RTNL was free
  });

  it('attach_failure_restores_the_old_count_and_returns_the_first_error', () => {
    const vm = nicVm();
    let inits = 0;
    vm.host.options.interceptRndis = (h, m) => {
      if (m.msg.type !== 'INIT' || ++inits !== 1) return false;
      h.rndisReply(encodeRndis(rndisInitComplete(m.msg.req_id, { status: RNDIS_STATUS.FAILURE })));
      return true;
    };
    expect(set(vm, 3)).toBe('EINVAL');
    expect(vm.dev.getChannels()).toMatchObject({ max_combined: 8, combined_count: 8 });
    expect(vm.dev.present).toBe(true);
    expect(vm.dev.openChannels).toBe(8);
    expect(vm.dev.warnings.map((w) => w.code)).toContain('INIT_FAILED');
    expect(vm.dev.stats.attaches).toBe(2);
  });

  it('a_failed_rndis_init_on_attach_is_undone_with_halt_revokes_and_close_before_the_restore', () => {
    const vm = nicVm();
    let inits = 0;
    vm.host.options.interceptRndis = (h, m) => {
      if (m.msg.type !== 'INIT' || ++inits !== 1) return false;
      h.rndisReply(encodeRndis(rndisInitComplete(m.msg.req_id, { status: RNDIS_STATUS.FAILURE })));
      return true;
    };
    const from = vm.host.wire.length;
    set(vm, 3);
    const names = vm.host.wire.slice(from).filter((e) => e.dir === 'g2h' && (e.what === 'rndis' || e.what === 'vmbus' || e.name.includes('REVOKE'))).map((e) => e.name);
    const firstInit = names.indexOf('RNDIS_MSG_INIT');
    expect(names.slice(firstInit, firstInit + 5)).toEqual([
      'RNDIS_MSG_INIT',
      'RNDIS_MSG_HALT',
      'NVSP_MSG1_TYPE_REVOKE_RECV_BUF',
      'NVSP_MSG1_TYPE_REVOKE_SEND_BUF',
      'CLOSECHANNEL',
    ]);
  });

  it('a_host_refusing_the_receive_buffer_gpadl_fails_attach_with_EDQUOT_and_the_old_count_is_restored', () => {
    const vm = nicVm();
    const created = vm.host.primary.device.gpadlCreated!;
    let refused = false;
    vm.host.primary.device.gpadlCreated = (ch, g) => {
      if (!refused && g.view!.length === 16 * 1024 * 1024) {
        refused = true;
        return 0xc0000001;
      }
      return created(ch, g);
    };
    expect(set(vm, 2)).toBe('EDQUOT');
    expect(vm.dev.getChannels()).toMatchObject({ combined_count: 8 });
    expect(vm.dev.warnings.map((w) => w.code)).toEqual(['NVSP_CONNECT_FAILED']);
  });

  it('attach_and_restore_both_failing_leave_the_device_detached_with_enodev_after', () => {
    const vm = nicVm();
    vm.host.options.interceptRndis = (h, m) => {
      if (m.msg.type !== 'INIT') return false;
      h.rndisReply(encodeRndis(rndisInitComplete(m.msg.req_id, { status: RNDIS_STATUS.FAILURE })));
      return true;
    };
    expect(set(vm, 3)).toBe('EINVAL');
    expect(vm.dev.present).toBe(false);
    expect(vm.dev.nvdev).toBe(null);
    expect(vm.dev.getChannels()).toEqual(combined(0));
    expect(vm.dev.warnings.map((w) => w.code)).toContain('RESTORE_FAILED');
    expect(set(vm, 2)).toBe('ENODEV');
    expect(vm.dev.getRxfh()).toBe('ENODEV');
    expect(result(vm.bus, vm.dev.open())).toBe(0); // still up: dev_open of a running device is a no-op
  });

  it('detach_of_a_down_interface_sends_no_packet_filter_and_attach_does_not_open_it', () => {
    const vm = nicVm();
    expect(result(vm.bus, vm.dev.close())).toBe(0);
    const filters = vm.host.filters.length;
    expect(set(vm, 2)).toBe(0);
    expect(vm.host.filters.length).toBe(filters);
    expect(vm.dev.carrier).toBe(false);
    expect(vm.host.filters).toEqual([0x0d, 0]);
  });

  it('a_subchannel_work_still_pending_at_detach_is_cancelled_and_num_chn_becomes_1_first', () => {
    const vm = nicVm({ boot: false });
    let c: ReturnType<typeof spawn<unknown>> | null = null;
    vm.bus.run({ until: 1 }); // connect
    for (let i = 0; i < 1_000_000 && !vm.driver.devices[0]?.probeResult.settled; i++) vm.bus.scheduler.step();
    c = spawn(vm.dev.setChannels(combined(4)));
    vm.bus.run();
    expect(c.value).toBe(0);
    // the probe-time request never went out: only the attach's, for 3
    const reqs = vm.host.nvspSent().filter((m) => m.msg?.type === 'SUBCHANNEL_REQUEST').map((m) => (m.msg as { num_subchannels: number }).num_subchannels);
    expect(reqs).toEqual([3]);
    expect(vm.dev.getChannels()).toMatchObject({ combined_count: 4 });
  });

  it('detach_gives_up_with_ETIMEDOUT_when_the_host_stops_reading_the_ring', () => {
    const vm = nicVm();
    vm.host.options.interceptRndis = (h, m) => {
      if (m.msg.type === 'SET' && m.msg.oid === OID.GEN_CURRENT_PACKET_FILTER && m.msg.info_buf[0] === 0) {
        h.paused = true;
        h.rndisReply(encodeRndis({ type: 'SET_C', req_id: m.msg.req_id, status: 0 }));
        return true;
      }
      return false;
    };
    const t0 = vm.bus.scheduler.now;
    expect(set(vm, 2)).toBe('ETIMEDOUT');
    const waited = vm.bus.scheduler.now - t0;
    expect(waited).toBeGreaterThanOrEqual(2000 * 5_000_000);
    expect(waited).toBeLessThanOrEqual(2001 * 10_000_000);
    expect(vm.dev.present).toBe(true);
    expect(vm.dev.getChannels()).toMatchObject({ combined_count: 8 });
    vm.host.resume();
  });

  it('on_a_pre_win10_vmbus_the_buffer_gpadls_are_torn_down_before_the_close', () => {
    const vm = nicVm({ bus: { guest: { maxVersion: VERSION_WIN8_1 }, host: { versions: [VERSION_WIN8, VERSION_WIN8_1] } } });
    const from = vm.host.wire.length;
    expect(set(vm, 2)).toBe(0);
    const names = vm.host.wire.slice(from).filter((e) => e.dir === 'g2h' && (e.what === 'vmbus' || e.name.includes('REVOKE'))).map((e) => e.name);
    expect(names.slice(0, 6)).toEqual([
      'NVSP_MSG1_TYPE_REVOKE_RECV_BUF',
      'GPADL_TEARDOWN',
      'NVSP_MSG1_TYPE_REVOKE_SEND_BUF',
      'GPADL_TEARDOWN',
      'CLOSECHANNEL',
      'GPADL_TEARDOWN',
    ]);
  });

  it('the_reattach_asks_for_the_buffers_the_host_gave_not_the_defaults', () => {
    const vm = nicVm({ host: { subAllocSize: 2048, subAllocCount: 4000, sendSectionSize: 4096 } });
    expect(set(vm, 2)).toBe(0);
    const bufs = vm.host.nvspSent().filter((m) => m.msg?.type === 'SEND_RECV_BUF' || m.msg?.type === 'SEND_SEND_BUF');
    const [recv, send] = bufs.slice(-2).map((m) => vm.host.primary.gpadl((m.msg as { gpadl_handle: number }).gpadl_handle)!.view!.length);
    expect(recv).toBe(4000 * 2048);
    // send_section_cnt = 1044480 / 4096 = 255 sections of 4096
    expect(send).toBe(255 * 4096);
  });
});

describe('set_rxfh and the user table', () => {
  it('a_user_table_is_zeroed_by_any_reattach_because_it_is_configured', () => {
    const vm = nicVm({ driver: { vcpus: 4 } });
    const indir = Array.from({ length: 128 }, (_, i) => 3 - (i % 4));
    expect(result(vm.bus, vm.dev.setRxfh({ indir }))).toBe(0);
    vm.dev.rxfhConfigured = true;
    expect(vm.dev.getRxfh()).toEqual(indir);
    expect(set(vm, 2)).toBe(0);
    expect(vm.dev.getRxfh()).toEqual(new Array(128).fill(0));
    expect(vm.host.rss.at(-1)!.indirection_table).toEqual(new Array(128).fill(0));
  });

  it('set_rxfh_checks_hash_function_then_table_then_entries', () => {
    const vm = nicVm({ driver: { vcpus: 4 } });
    expect(result(vm.bus, vm.dev.setRxfh({ hfunc: 2 }))).toBe('EOPNOTSUPP');
    expect(result(vm.bus, vm.dev.setRxfh({ indir: new Array(128).fill(4) }))).toBe('EINVAL');
    expect(result(vm.bus, vm.dev.setRxfh({}))).toBe(0);
    const none = nicVm({ host: { queues: 1 } });
    expect(result(none.bus, none.dev.setRxfh({ key: new Uint8Array(40) }))).toBe('EOPNOTSUPP');
  });

  it('a_refused_rss_set_returns_EINVAL_and_keeps_the_old_key', () => {
    const vm = nicVm();
    vm.host.options.rssStatus = (p) => (p.flag & 0x10 ? 0 : RNDIS_STATUS.FAILURE);
    const old = Uint8Array.from(vm.dev.rssKey!);
    expect(result(vm.bus, vm.dev.setRxfh({ key: new Uint8Array(40).fill(7) }))).toBe('EINVAL');
    expect(vm.dev.rssKey).toEqual(old);
    const last = vm.host.rndisSent().filter((r) => r.msg.type === 'SET' && r.msg.oid === OID.GEN_RECEIVE_SCALE_PARAMETERS).at(-1)!;
    expect(decodeRssSetRequest(last.bytes).params.flag).toBe(0);
  });
});

describe('interface names (register_netdevice: dev_alloc_name of "eth%d")', () => {
  it('each NIC gets the lowest ethN no live netdev holds; a removed NIC gives its name back', () => {
    const vm = nicVm();
    expect(vm.dev.name).toBe('eth0');
    // the host takes the NIC away: netvsc_remove unregisters eth0
    vm.bus.host.rescind(vm.host.primary);
    vm.bus.run();
    expect(vm.dev.registered).toBe(false);
    // a new NIC (its host never answers, so it stays in probe) takes eth0 again, not eth1
    vm.bus.host.addChannel({ ifType: HV_NIC_GUID, ifInstance: '11111111-2222-3333-4444-555555555555' });
    vm.bus.run();
    expect(vm.driver.devices.map((d) => d.name)).toEqual(['eth0', 'eth0']);
    expect(vm.driver.device('eth0')).toBe(vm.driver.devices[1]);
    // a third one waits behind it on the ordered hv_pri_chan work queue, as in Linux
    vm.bus.host.addChannel({ ifType: HV_NIC_GUID, ifInstance: '66666666-7777-8888-9999-aaaaaaaaaaaa' });
    vm.bus.run();
    expect(vm.driver.devices).toHaveLength(2);
  });
});
