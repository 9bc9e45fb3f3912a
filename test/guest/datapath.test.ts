/**
 * The data path: frames received from transfer pages on any channel and counted per queue (with
 * their receive completions), frames sent on the queue the send table picks, through a send
 * section or by page ranges (spec §2.6, §2.7, §3.12; netvsc.c `netvsc_receive`, `netvsc_send`;
 * netvsc_drv.c `netvsc_select_queue`, `netvsc_xmit`).
 */
import { describe, expect, it } from 'vitest';
import { decodePpiList, findPpi, NdisPerPktInfoType } from '../../src/protocol/ppi.js';
import { rd32 } from '../../src/guest/bytes.js';
import { encodeRndisDataPacket } from '../../src/protocol/rndis-builders.js';
import { RNDIS_STATUS, encodeRndis, rndisInitComplete } from '../../src/protocol/rndis.js';
import { combined, nicVm, result } from './harness.js';

const frame = (n: number, seed = 0) => Uint8Array.from({ length: n }, (_, i) => (i + seed) & 0xff);

describe('receive path', () => {
  it('received_frames_are_counted_on_the_queue_of_the_channel_they_arrive_on', () => {
    const got: [number, number][] = [];
    const vm = nicVm({ driver: { onReceive: (_d, q, f) => got.push([q, f.length]) } });
    for (let q = 0; q < 8; q++) for (let k = 0; k <= q; k++) vm.host.deliver(q, frame(64 + q));
    vm.bus.run();
    expect(vm.dev.stats.rxPackets.slice(0, 8)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(vm.dev.stats.rxBytes.slice(0, 3)).toEqual([64, 130, 198]);
    expect(got.filter(([q]) => q === 5)).toHaveLength(6);
    // each transfer packet is completed on the channel it came on, with SUCCESS
    const byQueue = new Map<number, number>();
    for (const [q, , s] of vm.host.recvCompletions.slice(-36)) {
      expect(s).toBe(1);
      byQueue.set(q, (byQueue.get(q) ?? 0) + 1);
    }
    expect([...byQueue.entries()].sort((a, b) => a[0] - b[0])).toEqual(Array.from({ length: 8 }, (_, q) => [q, q + 1]));
    expect(vm.host.outstandingReceives).toBe(0);
    expect(vm.dev.warnings).toEqual([]);
  });

  it('one_completion_per_transfer_packet_whatever_its_range_count', () => {
    const vm = nicVm();
    const tid = vm.host.rndisReply([encodeRndisDataPacket(frame(60)), encodeRndisDataPacket(frame(61)), encodeRndisDataPacket(frame(62))], 2);
    vm.bus.run();
    expect(vm.host.recvCompletions.filter(([, t]) => t === tid)).toEqual([[2, tid, 1]]);
    expect(vm.dev.stats.rxPackets[2]).toBe(3);
  });

  it('a_burst_beyond_the_napi_budget_is_polled_again_and_every_packet_completed', () => {
    const vm = nicVm();
    for (let i = 0; i < 150; i++) vm.host.deliver(1, frame(100, i));
    vm.bus.run();
    expect(vm.dev.stats.rxPackets[1]).toBe(150);
    expect(vm.host.recvCompletions.filter(([q]) => q === 1)).toHaveLength(150);
    expect(vm.host.outstandingReceives).toBe(0);
  });

  it('frames_keep_their_bytes_up_the_stack', () => {
    const got: Uint8Array[] = [];
    const vm = nicVm({ driver: { onReceive: (_d, _q, f) => got.push(f) } });
    vm.host.deliver(3, frame(1500, 7));
    vm.bus.run();
    expect(got).toEqual([frame(1500, 7)]);
  });
});

describe('transmit path', () => {
  it('the_send_table_picks_the_queue_by_hash_and_a_small_frame_goes_through_a_send_section', () => {
    const vm = nicVm();
    const r = vm.dev.send(frame(200), { hash: 0x13 });
    expect(r).toEqual({ ok: true, queue: 3 });
    vm.bus.run();
    expect(vm.host.txFrames.get(3)).toEqual([frame(200)]);
    const p = vm.host.nvspSent().filter((m) => m.msg?.type === 'SEND_RNDIS_PKT').at(-1)!;
    expect(p.queue).toBe(3);
    expect(p.packet.kind).toBe('inband');
    expect(p.packet.flags).toBe(1);
    const msg = p.msg as { channel_type: number; send_buf_section_index: number; send_buf_section_size: number };
    expect(msg.channel_type).toBe(0);
    expect(msg.send_buf_section_index).toBe(0);
    // 44-byte packet header + a 16-byte hash PPI + the frame
    expect(msg.send_buf_section_size).toBe(44 + 16 + 200);
    const rndis = vm.host.rndisSent().at(-1)!;
    const ppi = decodePpiList((rndis.msg as { per_pkt_info: Uint8Array }).per_pkt_info);
    expect(rd32(findPpi(ppi, NdisPerPktInfoType.NBL_HASH_VALUE)!.data, 0)).toBe(0x13);
  });

  it('the_host_completion_frees_the_section_and_counts_the_frame_on_its_queue', () => {
    const vm = nicVm();
    vm.dev.send(frame(100), { hash: 2 });
    vm.dev.send(frame(100), { hash: 2 });
    vm.bus.run();
    expect(vm.dev.stats.txPackets[2]).toBe(2);
    expect(vm.dev.stats.txBytes[2]).toBe(200);
    expect(Array.from(vm.dev.nvdev!.sendSectionMap!).every((b) => b === 0)).toBe(true);
    expect(vm.dev.nvdev!.chanTable[2]!.queueSends).toBe(0);
  });

  it('a_frame_too_large_for_a_section_goes_by_page_ranges_header_first', () => {
    const vm = nicVm();
    expect(vm.dev.send(frame(9000), { hash: 1 }).ok).toBe(true);
    vm.bus.run();
    const p = vm.host.nvspSent().filter((m) => m.msg?.type === 'SEND_RNDIS_PKT').at(-1)!;
    expect(p.packet.kind).toBe('gpa-direct');
    expect((p.msg as { send_buf_section_index: number }).send_buf_section_index).toBe(0xffffffff);
    if (p.packet.kind === 'gpa-direct') {
      expect(p.packet.ranges[0]!.byte_count).toBe(60);
      expect(p.packet.ranges.slice(1).reduce((n, r) => n + r.byte_count, 0)).toBe(9000);
    }
    expect(vm.host.txFrames.get(1)).toEqual([frame(9000)]);
    expect(vm.dev.stats.txPackets[1]).toBe(1);
  });

  it('with_one_queue_no_hash_ppi_is_sent', () => {
    const vm = nicVm({ driver: { vcpus: 1 } });
    vm.dev.send(frame(80), { hash: 5 });
    vm.bus.run();
    const rndis = vm.host.rndisSent().at(-1)!;
    expect((rndis.msg as { per_pkt_info: Uint8Array }).per_pkt_info.length).toBe(0);
  });

  it('a_vlan_tag_goes_as_an_8021q_ppi', () => {
    const vm = nicVm();
    vm.dev.send(frame(80), { vlan: { vlanid: 42, pri: 5 } });
    vm.bus.run();
    const ppi = decodePpiList((vm.host.rndisSent().at(-1)!.msg as { per_pkt_info: Uint8Array }).per_pkt_info);
    const v = rd32(findPpi(ppi, NdisPerPktInfoType.IEEE_8021Q_INFO)!.data, 0);
    expect([v & 7, (v >> 4) & 0xfff]).toEqual([5, 42]);
  });

  it('a_host_send_table_steers_transmit', () => {
    const vm = nicVm({ host: { sendTable: true } });
    // the host sent i mod 8 after the subchannels opened; replace it with a rotated one
    expect(Array.from(vm.dev.txTable)).toEqual(Array.from({ length: 16 }, (_, i) => i % 8));
    vm.host.inband(0, { type: 'SEND_INDIRECTION_TABLE', count: 16, offset: 40, table: Array.from({ length: 16 }, (_, i) => (i + 1) % 8) });
    vm.bus.run();
    expect(vm.dev.send(frame(64), { hash: 0 })).toEqual({ ok: true, queue: 1 });
  });

  it('a_send_table_entry_is_cut_to_16_bits_as_netvsc_pick_tx_returns_a_u16_and_4_2_takes_the_whole_u32_modulo', () => {
    // 0x10001: 6.1 keeps 1 (then 1 mod 3 = 1); 4.2 folds the u32 (65537 mod 3 = 2)
    for (const [profile, want] of [['linux-6.1', 1], ['linux-4.2', 2]] as const) {
      const vm = nicVm({ host: { queues: 8 }, driver: { vcpus: 3, profile } });
      expect(vm.dev.realNumTxQueues).toBe(3);
      vm.host.inband(0, { type: 'SEND_INDIRECTION_TABLE', count: 16, offset: 40, table: Array.from({ length: 16 }, () => 0x10001) });
      vm.bus.run();
      expect([profile, vm.dev.txTable[0]]).toEqual([profile, 0x10001]);
      expect([profile, vm.dev.send(frame(64), { hash: 0 })]).toEqual([profile, { ok: true, queue: want }]);
    }
  });

  it('a_hostile_send_table_entry_of_0xffffffff_is_folded_at_once', () => {
    // one queue: repeated subtraction on the u32 would run 4 billion times (seconds per frame)
    const vm = nicVm({ driver: { vcpus: 1, profile: 'linux-4.2' } });
    vm.host.inband(0, { type: 'SEND_INDIRECTION_TABLE', count: 16, offset: 40, table: Array.from({ length: 16 }, () => 0xffffffff) });
    vm.bus.run();
    expect(vm.dev.txTable[3]).toBe(0xffffffff);
    for (let i = 0; i < 1000; i++) expect(vm.dev.send(frame(64), { hash: i }).queue).toBe(0);
  });

  it('a_recorded_receive_queue_wins_and_is_folded_below_the_real_queue_count', () => {
    const vm = nicVm({ driver: { vcpus: 4 } });
    expect(vm.dev.send(frame(64), { queue: 6 })).toEqual({ ok: true, queue: 2 });
  });

  it('after_combined_1_queues_without_a_subchannel_send_on_the_primary', () => {
    const vm = nicVm();
    expect(result(vm.bus, vm.dev.setChannels(combined(1)))).toBe(0);
    expect(vm.dev.realNumTxQueues).toBe(8);
    expect(vm.dev.send(frame(64), { queue: 5 })).toEqual({ ok: true, queue: 5 });
    vm.bus.run();
    expect(vm.host.txFrames.get(0)).toEqual([frame(64)]);
    expect(vm.dev.stats.txPackets[5]).toBe(1);
  });

  it('a_down_interface_drops_what_it_is_given', () => {
    const vm = nicVm();
    result(vm.bus, vm.dev.close());
    expect(vm.dev.send(frame(64))).toMatchObject({ ok: false, busy: false, error: 'ENETDOWN' });
    expect(vm.dev.stats.txDropped).toBe(1);
  });

  it('a_detached_device_has_its_queues_stopped', () => {
    const vm = nicVm();
    vm.host.options.interceptRndis = (h, m) => {
      if (m.msg.type !== 'INIT') return false;
      h.rndisReply(encodeRndis(rndisInitComplete(m.msg.req_id, { status: RNDIS_STATUS.FAILURE })));
      return true;
    };
    expect(result(vm.bus, vm.dev.setChannels(combined(2)))).toBe('EINVAL');
    expect(vm.dev.present).toBe(false);
    expect(vm.dev.send(frame(64))).toMatchObject({ ok: false, busy: true });
  });
});
