/**
 * A hostile host: each check Linux 6.1.192 applies to host messages (spec §2.7, §3.4, §3.5, §3.12,
 * §3.14; vmbus.md §2.4) gets a test that breaks exactly that rule and shows the message dropped as
 * Linux drops it — with the warning recorded, the completion Linux sends (or does not send), and
 * the driver still consistent afterwards.
 */
import { describe, expect, it } from 'vitest';
import { NVSP_PROTOCOL_VERSION_6, encodeNvsp } from '../../src/protocol/nvsp.js';
import { OID } from '../../src/protocol/oids.js';
import { ppiElement, ppiHashValue, ppiPktinfoId, ppiVlan } from '../../src/protocol/ppi.js';
import { RNDIS_STATUS, encodeRndis, rndisIndicateStatus, rndisInitComplete, rndisQueryComplete, rndisSetComplete } from '../../src/protocol/rndis.js';
import { encodeRndisDataPacket, rndisLinkSpeedIndication, rndisMediaDisconnectIndication, rndisNetworkChangeIndication } from '../../src/protocol/rndis-builders.js';
import { ndis_offload, encodeNdisOffloadInfo } from '../../src/protocol/ndis.js';
import type { NetvscWarningCode } from '../../src/guest/types.js';
import { combined, nicVm, result, run } from './harness.js';
import { defaultOffload, type ScriptedHost } from './scripted-host.js';

const SECTION = 1728;

function le32(b: Uint8Array, o: number, v: number) {
  new DataView(b.buffer, b.byteOffset).setUint32(o, v >>> 0, true);
}

/** A packet of `type` with the 16-byte descriptor (offset8 2) and `len8 * 8 - 16` zero bytes after it. */
function bareDescriptor(type: number, len8: number): Uint8Array {
  const b = new Uint8Array(len8 * 8);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, type, true);
  dv.setUint16(2, 2, true);
  dv.setUint16(4, len8, true);
  return b;
}

/** Hand-made transfer-page packet bytes. */
function xfer(o: { tid: bigint; ranges: [number, number][]; pageset?: number; nvspType?: number; offset8?: number; rangeCnt?: number; payloadLen?: number }): Uint8Array {
  const offset8 = o.offset8 ?? Math.ceil((24 + 8 * o.ranges.length) / 8);
  const payloadLen = o.payloadLen ?? 32;
  const total = offset8 * 8 + payloadLen;
  const b = new Uint8Array(Math.max(total, 24 + 8 * o.ranges.length));
  const dv = new DataView(b.buffer);
  dv.setUint16(0, 7, true);
  dv.setUint16(2, offset8, true);
  dv.setUint16(4, total / 8, true);
  dv.setUint16(6, 1, true);
  dv.setBigUint64(8, o.tid, true);
  dv.setUint16(16, o.pageset ?? 0xcafe, true);
  dv.setUint32(20, o.rangeCnt ?? o.ranges.length, true);
  o.ranges.forEach(([count, off], i) => {
    dv.setUint32(24 + 8 * i, count, true);
    dv.setUint32(28 + 8 * i, off, true);
  });
  if (payloadLen >= 4) dv.setUint32(offset8 * 8, o.nvspType ?? 107, true);
  return b.subarray(0, total);
}

/** Puts `msg` into section `s` of the receive buffer and sends one range pointing at it. */
function deliverAt(host: ScriptedHost, msg: Uint8Array, s: number, tid: bigint, q = 0, rangeLen = msg.length): void {
  host.writeRecv(s * SECTION, msg);
  host.rawBytes(q, xfer({ tid, ranges: [[rangeLen, s * SECTION]] }));
}

function codes(vm: { dev: { warnings: readonly { code: NetvscWarningCode }[] } }): NetvscWarningCode[] {
  return vm.dev.warnings.map((w) => w.code);
}

function completionFor(host: ScriptedHost, tid: bigint) {
  return host.recvCompletions.filter(([, t]) => t === tid);
}

const frame = (n = 60) => Uint8Array.from({ length: n }, (_, i) => i & 0xff);
/** A data PACKET as Hyper-V sends it: with a PPI (a packet announcing a PPI block of 0 bytes is logged by Linux). */
const dataPacket = (f: Uint8Array) => encodeRndisDataPacket(f, [ppiHashValue(0x1234)]);

describe('hostile host: completions (netvsc_send_completion)', () => {
  it('an_empty_completion_with_an_unknown_id_is_dropped_as_an_invalid_transaction_id', () => {
    const vm = nicVm();
    vm.host.complete(0, 999n, new Uint8Array(0));
    vm.bus.run();
    expect(codes(vm)).toEqual(['COMPLETION_INVALID_TRANSACTION_ID']);
  });

  it('an_empty_completion_for_an_nvsp_request_is_unexpected_and_frees_its_slot', () => {
    const vm = nicVm();
    const before = vm.dev.channel.rings!.requestor.outstanding;
    vm.host.complete(0, 1n, new Uint8Array(0)); // slot 1 still holds the INIT request
    vm.bus.run();
    expect(codes(vm)).toEqual(['COMPLETION_UNEXPECTED']);
    expect(vm.dev.channel.rings!.requestor.outstanding).toBe(before - 1);
  });

  it('an_empty_completion_for_an_rndis_control_send_dereferences_null_and_stops_the_queue', () => {
    const vm = nicVm({ host: { completeRndisPackets: false } });
    const q = vm.host.nvspSent().filter((m) => m.msg?.type === 'SEND_RNDIS_PKT').at(-1)!;
    vm.host.complete(0, q.packet.trans_id, new Uint8Array(0));
    vm.bus.run();
    expect(codes(vm)).toEqual(['OOPS']);
    expect(vm.dev.nvdev!.chanTable[0]!.hung).toBe(true);
  });

  it('an_init_complete_shorter_than_28_bytes_is_dropped_and_the_guest_keeps_waiting', () => {
    const vm = nicVm({
      host: {
        interceptNvsp: (h, m) => {
          if (m.msg.type !== 'INIT') return false;
          h.complete(0, m.packet.trans_id, encodeNvsp({ type: 'INIT_COMPLETE', negotiated_protocol_ver: 0, max_mdl_chain_len: 0, status: 1 }, { peer: 'exact' }));
          return true;
        },
      },
    });
    expect(codes(vm)).toEqual(['COMPLETION_TOO_SHORT']);
    expect(vm.dev.probeResult.settled).toBe(false);
    expect(vm.dev.nvdev).toBe(null);
  });

  it('a_receive_buffer_completion_shorter_than_28_bytes_is_dropped', () => {
    const vm = nicVm({
      host: {
        interceptNvsp: (h, m) => {
          if (m.msg.type !== 'SEND_RECV_BUF') return false;
          const b = new Uint8Array(24);
          le32(b, 0, 102);
          le32(b, 4, 1);
          le32(b, 8, 1);
          h.complete(0, m.packet.trans_id, b);
          return true;
        },
      },
    });
    expect(codes(vm)).toEqual(['COMPLETION_TOO_SHORT']);
    expect(vm.dev.probeResult.settled).toBe(false);
  });

  it('a_send_buffer_completion_shorter_than_12_bytes_is_dropped', () => {
    const vm = nicVm({
      host: {
        interceptNvsp: (h, m) => {
          if (m.msg.type !== 'SEND_SEND_BUF') return false;
          const b = new Uint8Array(8);
          le32(b, 0, 105);
          le32(b, 4, 1);
          h.complete(0, m.packet.trans_id, b);
          return true;
        },
      },
    });
    expect(codes(vm)).toEqual(['COMPLETION_TOO_SHORT']);
    expect(vm.dev.probeResult.settled).toBe(false);
  });

  it('a_subchannel_completion_shorter_than_12_bytes_is_dropped_and_set_channels_waits', () => {
    const vm = nicVm();
    vm.host.options.interceptNvsp = (h, m) => {
      if (m.msg.type !== 'SUBCHANNEL_REQUEST') return false;
      const b = new Uint8Array(8);
      le32(b, 0, 133);
      le32(b, 4, 1);
      h.complete(0, m.packet.trans_id, b);
      return true;
    };
    const c = run(vm.bus, vm.dev.setChannels(combined(2)));
    expect(c.settled).toBe(false);
    expect(codes(vm)).toEqual(['COMPLETION_TOO_SHORT']);
  });

  it('a_completion_of_an_unknown_type_is_dropped', () => {
    const vm = nicVm();
    const b = new Uint8Array(40);
    le32(b, 0, 129);
    vm.host.complete(0, 1n, b);
    vm.bus.run();
    expect(codes(vm)).toEqual(['COMPLETION_UNKNOWN_TYPE']);
  });

  it('an_rndis_packet_completion_with_a_failure_status_is_logged_but_still_completes_the_send', () => {
    const vm = nicVm({ host: { completeRndisPackets: false } });
    for (const p of vm.host.nvspSent().filter((m) => m.msg?.type === 'SEND_RNDIS_PKT')) {
      vm.host.complete(0, p.packet.trans_id, { type: 'SEND_RNDIS_PKT_COMPLETE', status: 2 });
      vm.bus.run();
    }
    expect(new Set(codes(vm))).toEqual(new Set(['RNDIS_PKT_COMPLETE_STATUS']));
    expect(vm.dev.nvdev!.chanTable[0]!.queueSends).toBe(0);
  });

  it('an_rndis_packet_completion_with_an_unknown_id_is_an_invalid_transaction_id', () => {
    const vm = nicVm();
    vm.host.complete(0, 4242n, { type: 'SEND_RNDIS_PKT_COMPLETE', status: 1 });
    vm.bus.run();
    expect(codes(vm)).toEqual(['COMPLETION_INVALID_TRANSACTION_ID']);
  });

  it('an_rndis_packet_completion_naming_an_nvsp_request_frees_it_as_an_skb_and_oopses', () => {
    const vm = nicVm();
    vm.host.complete(0, 1n, { type: 'SEND_RNDIS_PKT_COMPLETE', status: 1 });
    vm.bus.run();
    expect(codes(vm)).toEqual(['OOPS']);
  });

  it('a_stray_control_completion_is_consumed_by_the_next_waiter', () => {
    // an unsolicited SUBCHANNEL completion during the RNDIS queries: nobody waits, so the
    // completion is remembered and the subchannel work's wait returns at once with its contents
    const vm = nicVm({
      host: {
        interceptRndis: (h, m) => {
          if (m.msg.type === 'QUERY' && m.msg.oid === OID.GEN_RECEIVE_SCALE_CAPABILITIES) {
            h.complete(0, 77n, { type: 'SUBCHANNEL_COMPLETE', status: 1, num_subchannels: 2 });
          }
          return false;
        },
      },
    });
    // the work built its request in channel_init_pkt, the wait returned at once, and the request
    // itself was read as the answer: status = op (1 = SUCCESS), granted = what it asked for
    expect(vm.dev.getChannels()).toMatchObject({ max_combined: 8, combined_count: 8 });
    // the host's real answer is left over for whoever waits next on this device
    expect(vm.dev.nvdev!.channelInitWait.pending).toBe(1);
    expect(vm.dev.openChannels).toBe(8);
  });

  it('a_completion_left_over_is_dropped_with_its_device_at_the_next_attach', () => {
    const vm = nicVm();
    vm.host.complete(0, 77n, { type: 'SUBCHANNEL_COMPLETE', status: 1, num_subchannels: 7 });
    vm.bus.run();
    expect(vm.dev.nvdev!.channelInitWait.pending).toBe(1);
    expect(result(vm.bus, vm.dev.setChannels(combined(2)))).toBe(0);
    expect(vm.dev.getChannels()).toMatchObject({ combined_count: 2 });
  });
});

describe('hostile host: in-band messages (netvsc_receive_inband)', () => {
  const table = (n: number) => Array.from({ length: 16 }, (_, i) => (i * 3) % n);

  it('a_send_table_shorter_than_12_bytes_is_dropped', () => {
    const vm = nicVm();
    const b = new Uint8Array(8);
    le32(b, 0, 134);
    le32(b, 4, 16);
    vm.host.inband(0, b);
    vm.bus.run();
    expect(codes(vm)).toEqual(['SEND_TABLE_TOO_SHORT']);
  });

  it('a_send_table_whose_count_is_not_16_is_dropped', () => {
    const vm = nicVm();
    const before = Array.from(vm.dev.txTable);
    vm.host.inband(0, encodeNvsp({ type: 'SEND_INDIRECTION_TABLE', count: 8, offset: 12, table: [7, 7, 7, 7, 7, 7, 7, 7] }, { peer: 'openvmm' }));
    vm.bus.run();
    expect(codes(vm)).toEqual(['SEND_TABLE_BAD_COUNT']);
    expect(Array.from(vm.dev.txTable)).toEqual(before);
  });

  it('a_send_table_whose_offset_runs_past_the_message_is_dropped', () => {
    const vm = nicVm();
    const b = encodeNvsp({ type: 'SEND_INDIRECTION_TABLE', count: 16, offset: 12, table: table(8) }, { peer: 'openvmm' });
    le32(b, 8, 40); // 80-byte message: 40 + 64 > 80
    vm.host.inband(0, b);
    vm.bus.run();
    expect(codes(vm)).toEqual(['SEND_TABLE_BAD_OFFSET']);
  });

  it('a_send_table_on_nvsp_6_1_is_read_at_its_offset', () => {
    const vm = nicVm();
    vm.host.inband(0, encodeNvsp({ type: 'SEND_INDIRECTION_TABLE', count: 16, offset: 12, table: table(8) }, { peer: 'openvmm', version: 0x60001 }));
    vm.bus.run();
    expect(Array.from(vm.dev.txTable)).toEqual(table(8));
    expect(codes(vm)).toEqual([]);
  });

  it('a_send_table_of_104_bytes_at_nvsp_6_is_read_at_40_whatever_its_offset_says', () => {
    const vm = nicVm({ host: { versions: [NVSP_PROTOCOL_VERSION_6] } });
    const b = encodeNvsp({ type: 'SEND_INDIRECTION_TABLE', count: 16, offset: 12, table: table(5), table_offset: 40 }, { peer: 'exact' });
    expect(b.length).toBe(104);
    vm.host.inband(0, b);
    vm.bus.run();
    expect(Array.from(vm.dev.txTable)).toEqual(table(5));
  });

  it('a_vf_association_shorter_than_12_bytes_is_dropped', () => {
    const vm = nicVm();
    const b = new Uint8Array(8);
    le32(b, 0, 128);
    le32(b, 4, 1);
    vm.host.inband(0, b);
    vm.bus.run();
    expect(codes(vm)).toEqual(['VF_ASSOCIATION_TOO_SHORT']);
    expect(vm.dev.vfAlloc).toBe(0);
  });

  it('a_vf_association_records_the_slot_and_gets_no_completion_even_when_asked', () => {
    const vm = nicVm();
    const n = vm.host.nvspSent().length;
    vm.host.inband(0, { type: 'SEND_VF_ASSOCIATION', allocated: 1, serial: 9 }, 1);
    vm.bus.run();
    expect([vm.dev.vfAlloc, vm.dev.vfSerial]).toEqual([1, 9]);
    expect(vm.host.nvspSent().length).toBe(n);
  });

  it('an_isolated_guest_ignores_vf_association', () => {
    const vm = nicVm({ driver: { isolated: true } });
    vm.host.inband(0, { type: 'SEND_VF_ASSOCIATION', allocated: 1, serial: 9 });
    vm.bus.run();
    expect(codes(vm)).toEqual(['VF_ASSOCIATION_IGNORED']);
    expect(vm.dev.vfAlloc).toBe(0);
  });

  it('an_inband_packet_with_no_nvsp_header_is_logged_and_dropped', () => {
    // netvsc_receive_inband: msglen < sizeof(struct nvsp_message_header) (4); payloads come in 8s, so 0
    const vm = nicVm();
    vm.host.rawBytes(0, bareDescriptor(6, 2)); // VM_PKT_DATA_INBAND, no payload
    vm.bus.run();
    expect(codes(vm)).toEqual(['INBAND_TOO_SHORT']);
    expect(vm.dev.getChannels().combined_count).toBe(8);
  });

  it('a_transfer_page_packet_with_no_nvsp_header_is_logged_and_dropped_without_a_completion', () => {
    // netvsc_receive: msglen < sizeof(struct nvsp_message_header)
    const vm = nicVm();
    vm.host.rawBytes(0, xfer({ tid: 0x6fn, ranges: [[60, 0]], payloadLen: 0 }));
    vm.bus.run();
    expect(codes(vm)).toEqual(['RECV_NVSP_TOO_SHORT']);
    expect(completionFor(vm.host, 0x6fn)).toEqual([]);
  });

  it('an_inband_message_of_another_type_is_ignored', () => {
    const vm = nicVm();
    vm.host.inband(0, { type: 'SEND_RECV_BUF_COMPLETE', status: 1, num_sections: 1, sections: [{ offset: 0, sub_alloc_size: 1, num_sub_allocs: 1, end_offset: 1 }] });
    vm.bus.run();
    expect(codes(vm)).toEqual([]);
  });

  it('a_packet_of_a_type_netvsc_does_not_handle_is_logged_and_skipped', () => {
    const vm = nicVm();
    vm.host.rawBytes(0, bareDescriptor(8, 3)); // VM_PKT_DATA_USING_GPADL, 8 zero bytes of payload
    vm.bus.run();
    expect(codes(vm)).toEqual(['UNHANDLED_PACKET_TYPE']);
    expect(vm.dev.channel.rings!.inbound.bytesToRead()).toBe(0);
  });
});

describe('hostile host: transfer-page packets (netvsc_receive)', () => {
  const pkt = () => dataPacket(frame());

  it('an_xfer_packet_whose_nvsp_type_is_not_107_is_dropped_without_a_completion', () => {
    const vm = nicVm();
    vm.host.writeRecv(9000 * SECTION, pkt());
    vm.host.rawBytes(0, xfer({ tid: 0x77n, ranges: [[pkt().length, 9000 * SECTION]], nvspType: 108 }));
    vm.bus.run();
    expect(codes(vm)).toEqual(['RECV_UNKNOWN_NVSP_TYPE']);
    expect(completionFor(vm.host, 0x77n)).toEqual([]);
    expect(vm.dev.stats.rxPackets[0]).toBe(0);
  });

  it('an_xfer_packet_with_a_header_below_32_bytes_is_dropped_without_a_completion', () => {
    const vm = nicVm();
    vm.host.rawBytes(0, xfer({ tid: 0x78n, ranges: [], offset8: 3 }));
    vm.bus.run();
    expect(codes(vm)).toEqual(['RECV_XFER_OFFSET_TOO_SMALL']);
    expect(completionFor(vm.host, 0x78n)).toEqual([]);
  });

  it('an_xfer_packet_for_another_page_set_is_dropped_without_a_completion', () => {
    const vm = nicVm();
    vm.host.rawBytes(0, xfer({ tid: 0x79n, ranges: [[60, 0]], pageset: 0xface }));
    vm.bus.run();
    expect(codes(vm)).toEqual(['RECV_BAD_PAGESET_ID']);
    expect(completionFor(vm.host, 0x79n)).toEqual([]);
  });

  it('an_xfer_packet_whose_ranges_do_not_fit_its_header_is_dropped_without_a_completion', () => {
    const vm = nicVm();
    vm.host.rawBytes(0, xfer({ tid: 0x7an, ranges: [[60, 0]], rangeCnt: 2 }));
    // -4 as the kernel's int: 24 + 8·(-4) wraps to a huge size_t
    vm.host.rawBytes(0, xfer({ tid: 0x7bn, ranges: [[60, 0]], rangeCnt: 0xfffffffc }));
    vm.bus.run();
    expect(codes(vm)).toEqual(['RECV_BAD_RANGE_COUNT', 'RECV_BAD_RANGE_COUNT']);
    expect(completionFor(vm.host, 0x7an)).toEqual([]);
    expect(completionFor(vm.host, 0x7bn)).toEqual([]);
  });

  it('a_range_count_of_minus_1_to_minus_3_passes_the_header_check_and_completes_with_success_and_no_range', () => {
    // int count = range_cnt; NETVSC_XFER_HEADER_SIZE(count) is 16, 8, 0 in size_t: not above offset8 << 3
    const vm = nicVm();
    const received = vm.dev.stats.rxPackets[0];
    for (const [i, rc] of [0xffffffff, 0xfffffffe, 0xfffffffd].entries()) vm.host.rawBytes(0, xfer({ tid: 0x70n + BigInt(i), ranges: [[60, 0]], rangeCnt: rc }));
    vm.bus.run();
    expect(codes(vm)).toEqual([]);
    for (const i of [0, 1, 2]) expect(completionFor(vm.host, 0x70n + BigInt(i))).toEqual([[0, 0x70n + BigInt(i), 1]]);
    expect(vm.dev.stats.rxPackets[0]).toBe(received);
  });

  it('a_range_outside_the_receive_buffer_fails_the_packet_but_the_other_ranges_are_delivered', () => {
    const vm = nicVm();
    const size = vm.host.recvBufferSize;
    const p = pkt();
    vm.host.writeRecv(9001 * SECTION, p);
    vm.host.rawBytes(0, xfer({ tid: 0x7cn, ranges: [[p.length, 9001 * SECTION], [16, size - 8], [p.length, size + 1]] }));
    vm.bus.run();
    expect(codes(vm)).toEqual(['RECV_RANGE_OUT_OF_BUFFER', 'RECV_RANGE_OUT_OF_BUFFER']);
    expect(completionFor(vm.host, 0x7cn)).toEqual([[0, 0x7cn, 2]]);
    expect(vm.dev.stats.rxPackets[0]).toBe(1);
  });

  it('a_range_longer_than_a_receive_section_fails_the_packet', () => {
    const vm = nicVm();
    const p = dataPacket(frame(1800));
    deliverAt(vm.host, p, 9002, 0x7dn);
    vm.bus.run();
    expect(codes(vm)).toEqual(['RECV_RANGE_TOO_BIG']);
    expect(completionFor(vm.host, 0x7dn)).toEqual([[0, 0x7dn, 2]]);
  });

  it('the_receive_completion_ring_full_drops_the_completion', () => {
    const vm = nicVm({ host: { subAllocCount: 2 } });
    const p = pkt();
    vm.host.writeRecv(0, p);
    for (let i = 0; i < 3; i++) vm.host.rawBytes(1, xfer({ tid: 0x100n + BigInt(i), ranges: [[p.length, 0]] }));
    vm.bus.run();
    expect(codes(vm)).toEqual(['RECV_COMP_RING_FULL']);
    expect(vm.host.recvCompletions.filter(([q]) => q === 1).map(([, t]) => t)).toEqual([0x100n, 0x101n]);
  });
});

describe('hostile host: RNDIS messages (rndis_filter_receive)', () => {
  it('a_range_shorter_than_an_rndis_header_fails', () => {
    const vm = nicVm();
    deliverAt(vm.host, new Uint8Array([1, 0, 0, 0, 60, 0, 0, 0]), 9003, 0x80n, 0, 6);
    vm.bus.run();
    expect(codes(vm)).toEqual(['RNDIS_MSG_TOO_SHORT']);
    expect(completionFor(vm.host, 0x80n)).toEqual([[0, 0x80n, 2]]);
  });

  it('an_rndis_msg_len_below_8_or_beyond_the_range_fails', () => {
    const vm = nicVm();
    const a = dataPacket(frame());
    le32(a, 4, 4);
    deliverAt(vm.host, a, 9004, 0x81n);
    const b = dataPacket(frame());
    le32(b, 4, b.length + 1);
    deliverAt(vm.host, b, 9005, 0x82n);
    vm.bus.run();
    expect(codes(vm)).toEqual(['RNDIS_BAD_MSG_LEN', 'RNDIS_BAD_MSG_LEN']);
    expect(completionFor(vm.host, 0x82n)).toEqual([[0, 0x82n, 2]]);
  });

  it('an_rndis_type_linux_does_not_handle_fails_the_completion', () => {
    const vm = nicVm();
    deliverAt(vm.host, encodeRndis({ type: 'KEEPALIVE', req_id: 1 }), 9006, 0x83n);
    deliverAt(vm.host, encodeRndis({ type: 'RESET_C', status: 0, addressing_reset: 0 }), 9007, 0x84n);
    vm.bus.run();
    expect(codes(vm)).toEqual(['RNDIS_UNHANDLED_TYPE', 'RNDIS_UNHANDLED_TYPE']);
    expect(completionFor(vm.host, 0x84n)).toEqual([[0, 0x84n, 2]]);
  });

  it('a_reply_while_the_rndis_device_is_uninitialized_is_dropped', () => {
    const vm = nicVm();
    vm.host.options.interceptRndis = (h, m) => {
      if (m.msg.type === 'HALT') h.rndisReply(encodeRndis(rndisSetComplete(m.msg.req_id, 0)));
      return false;
    };
    expect(result(vm.bus, vm.dev.setChannels(combined(2)))).toBe(0);
    expect(codes(vm)).toEqual(['RNDIS_RESPONSE_UNINITIALIZED']);
  });

  it('a_reply_with_msg_len_below_12_is_dropped', () => {
    const vm = nicVm();
    deliverAt(vm.host, new Uint8Array([5, 0, 0, 0x80, 8, 0, 0, 0]), 9008, 0x85n);
    vm.bus.run();
    expect(codes(vm)).toEqual(['RNDIS_RESPONSE_TOO_SHORT']);
    expect(completionFor(vm.host, 0x85n)).toEqual([[0, 0x85n, 1]]);
  });

  it('a_reply_with_an_unknown_request_id_is_dropped', () => {
    const vm = nicVm();
    deliverAt(vm.host, encodeRndis(rndisSetComplete(4711, 0)), 9009, 0x86n);
    vm.bus.run();
    expect(codes(vm)).toEqual(['RNDIS_RESPONSE_UNMATCHED']);
  });

  it('a_reply_longer_than_4148_bytes_is_flagged_buffer_overflow_so_init_fails_with_EINVAL', () => {
    const vm = nicVm({
      host: {
        subAllocSize: 8192,
        interceptRndis: (h, m) => {
          if (m.msg.type !== 'INIT') return false;
          const b = new Uint8Array(4200);
          b.set(encodeRndis(rndisInitComplete(m.msg.req_id)));
          le32(b, 4, 4200);
          h.rndisReply(b);
          return true;
        },
      },
    });
    expect(vm.dev.probeResult.value).toBe('EINVAL');
    expect(codes(vm)).toContain('RNDIS_RESPONSE_OVERFLOW');
    expect(codes(vm)).toContain('INIT_FAILED');
  });

  it('short_completions_are_accepted_as_linux_accepts_them_missing_fields_read_as_zero', () => {
    const vm = nicVm({
      host: {
        interceptRndis: (h, m) => {
          if (m.msg.type !== 'INIT') return false;
          const b = new Uint8Array(12);
          le32(b, 0, 0x80000002);
          le32(b, 4, 12);
          le32(b, 8, m.msg.req_id);
          h.rndisReply(b);
          return true;
        },
      },
    });
    expect(vm.dev.probeResult.value).toBe(0);
    expect(vm.dev.nvdev!.maxPkt).toBe(0);
    expect(vm.dev.nvdev!.pktAlign).toBe(1);
  });

  it('a_query_reply_with_a_failure_status_but_a_valid_buffer_is_accepted', () => {
    const vm = nicVm({
      host: {
        interceptRndis: (h, m) => {
          if (m.msg.type !== 'QUERY' || m.msg.oid !== OID['802_3_PERMANENT_ADDRESS']) return false;
          h.rndisReply(encodeRndis(rndisQueryComplete(m.msg.req_id, RNDIS_STATUS.FAILURE, Uint8Array.of(2, 0, 0, 0, 0, 9))));
          return true;
        },
      },
    });
    expect(vm.dev.probeResult.value).toBe(0);
    expect([...vm.dev.mac]).toEqual([2, 0, 0, 0, 0, 9]);
  });

  it('a_query_reply_longer_than_the_callers_buffer_fails_the_query_with_EPERM', () => {
    const vm = nicVm({
      host: {
        interceptRndis: (h, m) => {
          if (m.msg.type !== 'QUERY' || m.msg.oid !== OID['802_3_PERMANENT_ADDRESS']) return false;
          h.rndisReply(encodeRndis(rndisQueryComplete(m.msg.req_id, 0, new Uint8Array(7))));
          return true;
        },
      },
    });
    expect(vm.dev.probeResult.value).toBe('EPERM');
    expect(codes(vm)).toContain('QUERY_FAILED');
  });

  it('a_query_reply_whose_buffer_offset_is_below_16_or_past_the_message_fails_with_EPERM', () => {
    for (const off of [12, 200]) {
      const vm = nicVm({
        host: {
          interceptRndis: (h, m) => {
            if (m.msg.type !== 'QUERY' || m.msg.oid !== OID['802_3_PERMANENT_ADDRESS']) return false;
            const b = encodeRndis(rndisQueryComplete(m.msg.req_id, 0, new Uint8Array(6)));
            le32(b, 20, off);
            h.rndisReply(b);
            return true;
          },
        },
      });
      expect(vm.dev.probeResult.value).toBe('EPERM');
    }
  });

  it('a_failed_friendly_name_or_media_status_query_is_ignored', () => {
    const vm = nicVm({
      host: {
        interceptRndis: (h, m) => {
          if (m.msg.type !== 'QUERY' || (m.msg.oid !== OID.GEN_FRIENDLY_NAME && m.msg.oid !== OID.GEN_MEDIA_CONNECT_STATUS)) return false;
          const b = encodeRndis(rndisQueryComplete(m.msg.req_id, 0, new Uint8Array(4)));
          le32(b, 20, 2);
          h.rndisReply(b);
          return true;
        },
      },
    });
    expect(vm.dev.probeResult.value).toBe(0);
    expect(codes(vm)).toEqual(['QUERY_FAILED', 'QUERY_FAILED']);
  });

  it('the_packet_filter_set_status_is_not_checked', () => {
    const vm = nicVm({
      host: {
        interceptRndis: (h, m) => {
          if (m.msg.type !== 'SET' || m.msg.oid !== OID.GEN_CURRENT_PACKET_FILTER) return false;
          h.rndisReply(encodeRndis(rndisSetComplete(m.msg.req_id, RNDIS_STATUS.FAILURE)));
          return true;
        },
      },
    });
    expect(vm.dev.running).toBe(true);
    expect(vm.dev.nvdev!.extension!.filter).toBe(0x0d);
    expect(vm.dev.nvdev!.extension!.state).toBe(3);
  });

  it('an_offload_set_refused_by_the_host_fails_probe_with_EINVAL', () => {
    const vm = nicVm({
      host: {
        interceptRndis: (h, m) => {
          if (m.msg.type !== 'SET' || m.msg.oid !== OID.TCP_OFFLOAD_PARAMETERS) return false;
          h.rndisReply(encodeRndis(rndisSetComplete(m.msg.req_id, RNDIS_STATUS.NOT_SUPPORTED)));
          return true;
        },
      },
    });
    expect(vm.dev.probeResult.value).toBe('EINVAL');
    expect(codes(vm)).toContain('OFFLOAD_SET_FAILED');
  });

  it('offload_capabilities_with_a_bad_object_header_fail_probe_with_EINVAL', () => {
    const bad = [
      { header: { type: 0x80, revision: 3, size: 156 } },
      { header: { type: 0xa7, revision: 0, size: 156 } },
      { header: { type: 0xa7, revision: 3, size: 100 } },
    ];
    for (const f of bad) {
      const vm = nicVm({
        host: {
          interceptRndis: (h, m) => {
            if (m.msg.type !== 'QUERY' || m.msg.oid !== OID.TCP_OFFLOAD_HARDWARE_CAPABILITIES) return false;
            h.rndisReply(encodeRndis(rndisQueryComplete(m.msg.req_id, 0, encodeNdisOffloadInfo(defaultOffload(f)))));
            return true;
          },
        },
      });
      expect(vm.dev.probeResult.value).toBe('EINVAL');
      expect(codes(vm)).toContain('HWCAPS_INVALID');
    }
    expect(ndis_offload.size).toBe(156);
  });

  it('an_init_c_with_a_failure_status_fails_probe_with_EINVAL_after_halting', () => {
    const vm = nicVm({
      host: {
        interceptRndis: (h, m) => {
          if (m.msg.type !== 'INIT') return false;
          h.rndisReply(encodeRndis(rndisInitComplete(m.msg.req_id, { status: RNDIS_STATUS.FAILURE })));
          return true;
        },
      },
    });
    expect(vm.dev.probeResult.value).toBe('EINVAL');
    expect(vm.host.rndisSent().map((r) => r.msg.type)).toEqual(['INIT', 'HALT']);
  });
});

describe('hostile host: data packets (rndis_filter_receive_data)', () => {
  it('a_packet_shorter_than_44_bytes_fails', () => {
    const vm = nicVm();
    const b = dataPacket(frame(10)).slice(0, 40);
    le32(b, 4, 40);
    deliverAt(vm.host, b, 9010, 0x90n);
    vm.bus.run();
    expect(codes(vm)).toEqual(['RNDIS_PKT_TOO_SHORT']);
    expect(completionFor(vm.host, 0x90n)).toEqual([[0, 0x90n, 2]]);
  });

  it('a_packet_whose_data_offset_is_past_the_range_fails', () => {
    const vm = nicVm();
    const b = dataPacket(frame());
    le32(b, 8, b.length - 8);
    deliverAt(vm.host, b, 9011, 0x91n);
    vm.bus.run();
    expect(codes(vm)).toEqual(['RNDIS_PKT_BAD_DATA_OFFSET']);
  });

  it('a_packet_whose_data_len_runs_past_the_range_fails', () => {
    const vm = nicVm();
    const b = dataPacket(frame());
    le32(b, 12, 61);
    deliverAt(vm.host, b, 9012, 0x92n);
    vm.bus.run();
    expect(codes(vm)).toEqual(['RNDIS_PKT_DATA_OVERFLOW']);
    expect(vm.dev.stats.rxPackets[0]).toBe(0);
  });

  it('a_packet_with_an_invalid_ppi_block_is_delivered_without_ppis', () => {
    const vm = nicVm();
    const b = encodeRndisDataPacket(frame(), [ppiHashValue(5)]);
    le32(b, 32, 8); // per_pkt_info_len (absolute 32) below 12
    deliverAt(vm.host, b, 9013, 0x93n);
    vm.bus.run();
    // rndis_get_ppi checks the block on each of its four lookups (VLAN, checksum, hash, pktinfo), logging each time
    expect(codes(vm)).toEqual(Array(4).fill('RNDIS_PPI_INVALID'));
    expect(completionFor(vm.host, 0x93n)).toEqual([[0, 0x93n, 1]]);
    expect(vm.dev.stats.rxPackets[0]).toBe(1);
  });

  it('a_packet_announcing_an_empty_ppi_block_at_36_is_logged_and_still_delivered', () => {
    const vm = nicVm();
    deliverAt(vm.host, encodeRndisDataPacket(frame()), 9023, 0x99n);
    vm.bus.run();
    expect(codes(vm)).toEqual(Array(4).fill('RNDIS_PPI_INVALID'));
    expect(completionFor(vm.host, 0x99n)).toEqual([[0, 0x99n, 1]]);
    expect(vm.dev.stats.rxPackets[0]).toBe(1);
  });

  it('a_ppi_element_that_never_advances_spins_the_queue_forever', () => {
    const vm = nicVm();
    const b = encodeRndisDataPacket(frame(), [ppiVlan({ vlanid: 5, pri: 0, cfi: 0 })]);
    le32(b, 44, 0); // element size 0
    deliverAt(vm.host, b, 9014, 0x94n);
    vm.bus.run();
    expect(codes(vm)).toEqual(['RNDIS_PPI_INFINITE_LOOP']);
    expect(completionFor(vm.host, 0x94n)).toEqual([]);
    expect(vm.dev.nvdev!.chanTable[0]!.hung).toBe(true);
  });

  it('rsc_fragments_are_reassembled_into_one_frame', () => {
    const got: Uint8Array[] = [];
    const vm = nicVm({ driver: { onReceive: (_d, _q, f) => got.push(f) } });
    const a = encodeRndisDataPacket(frame(30), [ppiPktinfoId({ ver: 1, flag: 0x3, pkt_id: 1 })]);
    const b = encodeRndisDataPacket(frame(20), [ppiPktinfoId({ ver: 1, flag: 0x5, pkt_id: 1 })]);
    vm.host.writeRecv(9015 * SECTION, a);
    vm.host.writeRecv(9016 * SECTION, b);
    vm.host.rawBytes(0, xfer({ tid: 0x95n, ranges: [[a.length, 9015 * SECTION], [b.length, 9016 * SECTION]] }));
    vm.bus.run();
    expect(codes(vm)).toEqual([]);
    expect(got.map((f) => f.length)).toEqual([50]);
    expect(vm.dev.stats.rxBytes[0]).toBe(50);
  });

  it('an_rsc_fragment_without_a_first_fragment_is_dropped', () => {
    const vm = nicVm();
    const b = encodeRndisDataPacket(frame(20), [ppiPktinfoId({ ver: 1, flag: 0x5, pkt_id: 1 })]);
    deliverAt(vm.host, b, 9017, 0x96n);
    vm.bus.run();
    expect(codes(vm)).toEqual(['RNDIS_RSC_DROP']);
    expect(completionFor(vm.host, 0x96n)).toEqual([[0, 0x96n, 2]]);
  });

  it('an_rsc_fragment_wanting_more_in_the_last_range_is_dropped', () => {
    const vm = nicVm();
    const b = encodeRndisDataPacket(frame(20), [ppiPktinfoId({ ver: 1, flag: 0x3, pkt_id: 1 })]);
    deliverAt(vm.host, b, 9018, 0x97n);
    vm.bus.run();
    expect(codes(vm)).toEqual(['RNDIS_RSC_DROP']);
  });

  it('frames_arriving_before_the_netdev_is_registered_fail', () => {
    const vm = nicVm({
      host: {
        interceptRndis: (h, m) => {
          if (m.msg.type === 'QUERY' && m.msg.oid === OID.GEN_MAXIMUM_FRAME_SIZE) h.deliver(0, frame());
          return false;
        },
      },
    });
    expect(codes(vm)).toEqual(['RX_NOT_REGISTERED']);
    expect(vm.host.recvCompletions.some(([, , s]) => s === 2)).toBe(true);
  });

  it('an_internal_ppi_type_is_told_apart_from_the_public_one', () => {
    const vm = nicVm();
    const b = encodeRndisDataPacket(frame(), [ppiElement(1, Uint8Array.of(1, 5, 0, 0), false)]);
    deliverAt(vm.host, b, 9019, 0x98n);
    vm.bus.run();
    expect(codes(vm)).toEqual([]);
    expect(vm.dev.stats.rxPackets[0]).toBe(1);
  });
});

describe('hostile host: status indications (netvsc_linkstatus_callback)', () => {
  it('an_indication_shorter_than_20_bytes_is_dropped', () => {
    const vm = nicVm();
    const b = encodeRndis(rndisMediaDisconnectIndication()).slice(0, 16);
    le32(b, 4, 16);
    deliverAt(vm.host, b, 9020, 0xa0n);
    vm.bus.run();
    expect(codes(vm)).toEqual(['INDICATE_TOO_SHORT']);
    expect(completionFor(vm.host, 0xa0n)).toEqual([[0, 0xa0n, 1]]);
  });

  it('a_link_speed_indication_with_its_buffer_out_of_bounds_is_dropped', () => {
    const vm = nicVm();
    const b = encodeRndis(rndisLinkSpeedIndication(1000));
    le32(b, 16, 8); // status_buf_offset below 12
    deliverAt(vm.host, b, 9021, 0xa1n);
    vm.bus.run();
    expect(codes(vm)).toEqual(['INDICATE_BAD_LINK_SPEED']);
    expect(vm.dev.speed).toBe(10000);
  });

  it('a_link_speed_indication_is_checked_against_the_range_not_msg_len', () => {
    const vm = nicVm();
    const b = encodeRndis(rndisLinkSpeedIndication(250_000_000));
    le32(b, 4, 20); // pre-"Fe" vSwitch: msg_len leaves the status buffer out
    deliverAt(vm.host, b, 9022, 0xa2n);
    vm.bus.run();
    expect(codes(vm)).toEqual([]);
    expect(vm.dev.speed).toBe(25000);
  });

  it('media_disconnect_drops_the_carrier_when_the_link_worker_runs', () => {
    const vm = nicVm();
    vm.host.rndisReply(encodeRndis(rndisMediaDisconnectIndication()));
    vm.bus.run();
    expect(vm.dev.carrier).toBe(false);
    expect(vm.dev.nvdev!.extension!.linkState).toBe(true);
  });

  it('network_change_bounces_the_link_two_seconds_apart', () => {
    const vm = nicVm();
    vm.host.rndisReply(encodeRndis(rndisNetworkChangeIndication()));
    const t0 = vm.bus.scheduler.now;
    vm.bus.run({ until: t0 + 1_000_000_000 });
    expect(vm.dev.carrier).toBe(false);
    vm.bus.run();
    expect(vm.dev.carrier).toBe(true);
    expect(vm.bus.scheduler.now - t0).toBeGreaterThanOrEqual(2_000_000_000);
  });

  it('other_status_indications_are_ignored_and_completed_with_success', () => {
    const vm = nicVm();
    const tid = vm.host.rndisReply(encodeRndis(rndisIndicateStatus(RNDIS_STATUS.RESET_START)))!;
    vm.bus.run();
    expect(codes(vm)).toEqual([]);
    expect(completionFor(vm.host, tid)).toEqual([[0, tid, 1]]);
  });
});

describe('hostile host: a chain of polls that would never end (netvsc_poll)', () => {
  /** The guest→host ring's control page of queue 0 (`write_index` at byte 0, `read_index` at 4). */
  const outboundControl = (vm: ReturnType<typeof nicVm>) => new DataView(vm.dev.channel.rings!.outbound.mem.buffer, vm.dev.channel.rings!.outbound.mem.byteOffset, 8);
  const endless = (vm: ReturnType<typeof nicVm>) => vm.dev.warnings.filter((w) => w.code === 'NAPI_POLL_ENDLESS');

  it('receive_completions_failing_with_EIO_on_a_corrupt_outbound_ring_stop_the_queue_instead_of_repolling_forever', () => {
    const vm = nicVm();
    outboundControl(vm).setUint32(0, 8207, true); // write_index not 8-byte aligned: every send fails with EIO
    expect(vm.host.rndisReply(dataPacket(frame()))).not.toBeNull();
    const events = vm.bus.run({ maxEvents: 100_000 });
    expect(events).toBeLessThan(100_000); // it settles: no event storm at one virtual instant
    expect(endless(vm)).toEqual([expect.objectContaining({ queue: 0, detail: 'receive completions: EIO' })]);
    expect(vm.dev.stats.rxPackets[0]).toBe(1); // the frame itself was received before the completion failed
  });

  it('a_full_outbound_ring_retries_the_receive_completions_after_the_host_drains_it_without_stopping_the_queue', () => {
    const vm = nicVm();
    const rings = vm.dev.channel.rings!.outbound;
    const ctl = outboundControl(vm);
    // a full guest→host ring: the host has read nothing of the last (size − 8) bytes
    const wi = ctl.getUint32(0, true);
    ctl.setUint32(4, (wi + 8) % rings.dataSize, true);
    vm.host.paused = true;
    const tid = vm.host.rndisReply(dataPacket(frame()))!;
    // a stalled host for one virtual second: the guest waits (retries back off to 1 ms), it does not spin
    const t0 = vm.bus.scheduler.now;
    const events = vm.bus.run({ maxEvents: 1_000_000, until: t0 + 1_000_000_000 });
    expect(vm.bus.scheduler.now).toBe(t0 + 1_000_000_000);
    expect(events).toBeLessThan(5_000);
    expect(vm.dev.ethStats.rxCompBusy).toBeGreaterThan(900);
    expect(completionFor(vm.host, tid)).toEqual([]);
    expect(endless(vm)).toEqual([]);
    // the host catches up: the ring is empty again and the retried completion goes out
    ctl.setUint32(4, ctl.getUint32(0, true), true);
    vm.host.paused = false;
    vm.bus.run({ maxEvents: 100_000 });
    expect(endless(vm)).toEqual([]);
    expect(completionFor(vm.host, tid).length).toBe(1);
  });
});

describe('the host buffer completions (spec §2.9; netvsc.c netvsc_init_buf): each check, with Linux cleanup', () => {
  /** A host that answers SEND_RECV_BUF / SEND_SEND_BUF with the completion fields given. */
  function bufferHost(o: { recv?: { status?: number; num_sections?: number; offset?: number; size?: number; count?: number }; send?: { status?: number; section_size?: number } }) {
    return nicVm({
      host: {
        interceptNvsp: (h, m) => {
          if (m.msg.type === 'SEND_RECV_BUF' && o.recv) {
            const r = o.recv;
            const n = r.num_sections ?? 1;
            h.complete(0, m.packet.trans_id, {
              type: 'SEND_RECV_BUF_COMPLETE',
              status: r.status ?? 1,
              num_sections: n,
              sections: Array.from({ length: n }, () => ({ offset: r.offset ?? 0, sub_alloc_size: r.size ?? SECTION, num_sub_allocs: r.count ?? 512, end_offset: 0 })),
            });
            return true;
          }
          if (m.msg.type === 'SEND_SEND_BUF' && o.send) {
            h.complete(0, m.packet.trans_id, { type: 'SEND_SEND_BUF_COMPLETE', status: o.send.status ?? 1, section_size: o.send.section_size ?? 6144 });
            return true;
          }
          return false;
        },
      },
    });
  }
  const probe = (vm: ReturnType<typeof nicVm>) => vm.dev.probeResult.value;

  const first = (vm: ReturnType<typeof nicVm>) => codes(vm)[0];
  /** The receive buffer was accepted: no RECV_BUF_FAILED, and the guest went on to the send buffer. */
  const recvAccepted = (vm: ReturnType<typeof nicVm>) => !codes(vm).includes('RECV_BUF_FAILED') && vm.host.guestNames().includes('NVSP_MSG1_TYPE_SEND_SEND_BUF');

  it('receive: a failure status, num_sections other than 1, or a section not at offset 0 fail the add with EINVAL', () => {
    const failed = bufferHost({ recv: { status: 2 } });
    expect([probe(failed), first(failed)]).toEqual(['EINVAL', 'RECV_BUF_FAILED']);
    for (const recv of [{ num_sections: 2 }, { num_sections: 0 }, { offset: 4 }]) expect(probe(bufferHost({ recv })), JSON.stringify(recv)).toBe('EINVAL');
  });

  it('receive: sub_alloc_size 67 fails and 68 passes; size × count past the buffer fails, exactly the buffer passes', () => {
    const small = bufferHost({ recv: { size: 67 } });
    expect([probe(small), first(small)]).toEqual(['EINVAL', 'RECV_BUF_FAILED']);
    expect(recvAccepted(nicVm({ host: { subAllocSize: 68 } }))).toBe(true);
    const bufSize = 9709 * SECTION + 64; // the 16 MiB default: sections × 1728 rounded up to 4 KiB
    expect(recvAccepted(nicVm({ host: { subAllocSize: 4096, subAllocCount: bufSize / 4096 } }))).toBe(true);
    const over = bufferHost({ recv: { size: 4096, count: bufSize / 4096 + 1 } });
    expect([probe(over), first(over)]).toEqual(['EINVAL', 'RECV_BUF_FAILED']);
  });

  it('receive: a section kmalloc cannot serve (above 4 MiB) fails the add with ENOMEM, with the revoke and teardown', () => {
    expect(recvAccepted(nicVm({ host: { subAllocSize: 4 << 20, subAllocCount: 2 } }))).toBe(true);
    const big = bufferHost({ recv: { size: (4 << 20) + 8, count: 2 } });
    expect(probe(big)).toBe('ENOMEM');
    expect(first(big)).toBe('RECV_BUF_FAILED');
    const names = big.host.guestNames();
    expect(names.slice(names.indexOf('NVSP_MSG1_TYPE_SEND_RECV_BUF') + 1)).toEqual(['NVSP_MSG1_TYPE_REVOKE_RECV_BUF', 'GPADL_TEARDOWN', 'CLOSECHANNEL', 'GPADL_TEARDOWN']);
  });

  it('send: a failure status or a section below 68 bytes fail the add with EINVAL; 68 passes', () => {
    const failed = bufferHost({ send: { status: 2 } });
    expect([probe(failed), first(failed)]).toEqual(['EINVAL', 'SEND_BUF_FAILED']);
    expect(probe(bufferHost({ send: { section_size: 67 } }))).toBe('EINVAL');
    expect(probe(bufferHost({ send: { section_size: 0 } }))).toBe('EINVAL');
    expect(probe(nicVm({ host: { sendSectionSize: 68 } }))).toBe(0);
  });
});
