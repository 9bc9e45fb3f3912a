/**
 * A hostile guest gets what a real host gives it: a failure completion, a failure status in the
 * RNDIS answer, or — for what openvmm treats as a worker error — a channel the host stops
 * servicing, while the other channels and the host itself stay consistent. One test per rule,
 * named after it; the openvmm fuzzers' bug classes (spec/peers.md A1) each have theirs.
 */
import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import { bringUp, ScriptedGuest, type BringUpOptions, type ScriptedGuestOptions } from './scripted-guest.js';
import { encodeNvsp, NVSP_STAT_FAIL, type NvspMessage } from '../../src/protocol/nvsp.js';
import { encodeRndis, rndisInitRequest, rndisQueryRequest, rndisSetRequest, RNDIS_STATUS, type RndisMessage } from '../../src/protocol/rndis.js';
import { encodeRndisDataPacket, rndisConfigParameterSetRequest, rndisSetMacAddressRequest } from '../../src/protocol/rndis-builders.js';
import { encodeRssParameters, rssParameters, netvscDefaultRssKey, type NdisRssParameters } from '../../src/protocol/ndis.js';
import { OID } from '../../src/protocol/oids.js';
import { encodePpiList, ppiChecksumTransmit, ppiElement } from '../../src/protocol/ppi.js';
import { encodeChannelMessage, makeChannelMessage, hv_input_post_message } from '../../src/vmbus/messages.js';
import { GuestMemory } from '../../src/vmbus/memory.js';
import { vmbusPacket } from '../../src/vmbus/packet.js';
import { netvspBuildFrame } from '../../src/host/frame.js';
import { utf16leEncode } from '../../src/protocol/ndis.js';

function ready(options: ScriptedGuestOptions = {}, up: BringUpOptions = {}): ScriptedGuest {
  const g = new ScriptedGuest(options);
  bringUp(g, up);
  return g;
}

let reqId = 1000;
function setStatus(g: ScriptedGuest, oid: number, info: Uint8Array): number | undefined {
  const m = g.rndisRequest(rndisSetRequest(reqId++, oid, info));
  return m?.type === 'SET_C' ? m.status : undefined;
}
function rssSet(g: ScriptedGuest, p: NdisRssParameters | Uint8Array): number | undefined {
  return setStatus(g, OID.GEN_RECEIVE_SCALE_PARAMETERS, p instanceof Uint8Array ? p : encodeRssParameters(p));
}
function fatalOf(g: ScriptedGuest, channel = 0): string | undefined {
  return g.host.state().failedChannels[channel];
}
/** Sends raw RNDIS bytes the Linux control way and returns the NVSP completion status and any RNDIS answer. */
function rawRndis(g: ScriptedGuest, bytes: Uint8Array, index = 0): { status: number | undefined; answers: RndisMessage[] } {
  const before = g.rndis(0).length;
  const id = g.sendRndis(bytes, { index });
  g.run();
  const c = g.completionFor(id, index);
  return { status: c && c.type === 'SEND_RNDIS_PKT_COMPLETE' ? c.status : undefined, answers: g.rndis(0).slice(before) };
}
/** Posts CLOSECHANNEL for `relid` as a guest would (raw, so any relid can be named). */
function postClose(g: ScriptedGuest, relid: number): number {
  const msg = encodeChannelMessage(makeChannelMessage('CHANNELMSG_CLOSECHANNEL', { child_relid: relid }));
  const payload = new Uint8Array(240);
  payload.set(msg);
  return g.bus.hypervisor.postMessage(hv_input_post_message.encode({ connectionid: g.bus.guest.msgConnId, reserved: 0, message_type: 1, payload_size: msg.length, payload }));
}
const udp = { src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp' as const, sport: 1, dport: 2 };
const FRAME = netvspBuildFrame({ flow: { src: '10.0.0.2', dst: '10.0.0.1', proto: 'tcp', sport: 80, dport: 1000 }, payloadLength: 64 });

describe('subchannel requests (NVSP 133)', () => {
  it('subchannel_request_equal_to_max_queues_rejected', () => {
    const g = ready({ host: { maxQueues: 2 } });
    expect(g.request(0, { type: 'SUBCHANNEL_REQUEST', op: 1, num_subchannels: 2 })).toEqual({ type: 'SUBCHANNEL_COMPLETE', status: NVSP_STAT_FAIL, num_subchannels: 0 });
    expect(g.offers).toEqual([]);
    expect(g.host.counters.rejects.REQUEST_AT_OR_ABOVE_MAX_QUEUES).toBe(1);
  });

  it('subchannel_request_above_max_queues_rejected', () => {
    const g = ready();
    expect(g.request(0, { type: 'SUBCHANNEL_REQUEST', op: 1, num_subchannels: 100 })).toMatchObject({ status: NVSP_STAT_FAIL, num_subchannels: 0 });
  });

  it('subchannel_request_one_below_max_queues_granted_exactly', () => {
    const g = ready({ host: { maxQueues: 4 } });
    expect(g.request(0, { type: 'SUBCHANNEL_REQUEST', op: 1, num_subchannels: 3 })).toEqual({ type: 'SUBCHANNEL_COMPLETE', status: 1, num_subchannels: 3 });
    g.run();
    expect(g.offers).toEqual([1, 2, 3]);
  });

  it('subchannel_request_with_an_operation_other_than_allocate_rejected', () => {
    const g = ready();
    for (const op of [0, 2, 0xffffffff]) {
      expect(g.request(0, { type: 'SUBCHANNEL_REQUEST', op, num_subchannels: 1 })).toMatchObject({ status: NVSP_STAT_FAIL, num_subchannels: 0 });
    }
    expect(g.host.counters.rejects.UNSUPPORTED_OPERATION).toBe(3);
  });

  it('subchannel_request_the_receive_buffer_cannot_give_each_queue_a_section_rejected', () => {
    const g = ready({}, { recvPages: 8 }); // 18 sections: 16 control + 2 data
    expect(g.request(0, { type: 'SUBCHANNEL_REQUEST', op: 1, num_subchannels: 2 })).toMatchObject({ status: NVSP_STAT_FAIL });
    expect(g.request(0, { type: 'SUBCHANNEL_REQUEST', op: 1, num_subchannels: 1 })).toMatchObject({ status: 1, num_subchannels: 1 });
    expect(g.host.counters.rejects.RX_BUFFER_CONFIG).toBe(1);
  });

  it('subchannel_request_for_zero_is_granted_zero_and_offers_nothing', () => {
    const g = ready();
    expect(g.request(0, { type: 'SUBCHANNEL_REQUEST', op: 1, num_subchannels: 0 })).toMatchObject({ status: 1, num_subchannels: 0 });
    g.run();
    expect(g.offers).toEqual([]);
    expect(g.host.state().queues).toBe(1);
  });

  it('subchannel_request_on_a_subchannel_is_channel_fatal', () => {
    const g = ready({}, { channels: 2 });
    g.nvsp(1, { type: 'SUBCHANNEL_REQUEST', op: 1, num_subchannels: 1 });
    g.run();
    expect(fatalOf(g, 1)).toBe('NOT_SUPPORTED_ON_SUBCHANNEL');
    expect(fatalOf(g, 0)).toBeUndefined();
  });

  it('subchannel_request_at_nvsp4_is_an_unknown_type', () => {
    const g = ready({ host: { nvspVersions: [2, 0x30002, 0x40000] } });
    g.nvsp(0, { type: 'SUBCHANNEL_REQUEST', op: 1, num_subchannels: 1 });
    g.run();
    expect(fatalOf(g)).toBe('UNKNOWN_TYPE');
  });

  it('a_second_subchannel_request_offers_only_the_new_indexes', () => {
    const g = ready({}, { channels: 3 });
    expect(g.offers).toEqual([1, 2]);
    expect(g.request(0, { type: 'SUBCHANNEL_REQUEST', op: 1, num_subchannels: 4 })).toMatchObject({ status: 1, num_subchannels: 4 });
    g.run();
    expect(g.offers).toEqual([1, 2, 3, 4]);
  });
});

describe('RSS parameters (OID_GEN_RECEIVE_SCALE_PARAMETERS)', () => {
  const table8 = Array.from({ length: 128 }, (_, i) => i % 8);

  it('rss_set_with_zero_indirection_table_size_rejected', () => {
    const g = ready({}, { channels: 8 });
    const before = g.host.state().rss;
    expect(rssSet(g, rssParameters({ indirection_table: [] }))).toBe(RNDIS_STATUS.INVALID_DATA);
    expect(g.host.state().rss).toEqual(before);
  });

  it('rss_set_with_table_size_not_a_multiple_of_4_rejected', () => {
    const g = ready();
    const b = encodeRssParameters(rssParameters({ indirection_table: [0, 0, 0, 0] }));
    new DataView(b.buffer).setUint16(12, 14, true);
    expect(rssSet(g, b)).toBe(RNDIS_STATUS.INVALID_DATA);
    expect(g.host.counters.rejects.INDIRECTION_TABLE_SIZE).toBe(1);
  });

  it('rss_set_with_an_odd_table_size_in_bytes_rejected', () => {
    const g = ready();
    const b = encodeRssParameters(rssParameters({ indirection_table: [0, 0, 0, 0] }));
    new DataView(b.buffer).setUint16(12, 13, true);
    expect(rssSet(g, b)).toBe(RNDIS_STATUS.INVALID_DATA);
  });

  it('rss_set_with_a_key_shorter_than_40_bytes_rejected', () => {
    const g = ready();
    expect(rssSet(g, rssParameters({ indirection_table: table8, hash_key: new Uint8Array(16) }))).toBe(RNDIS_STATUS.INVALID_DATA);
    expect(g.host.counters.rejects.HASH_SECRET_KEY_SIZE).toBe(1);
    expect(g.host.state().rss).toBeNull();
  });

  it('rss_set_with_an_entry_equal_to_max_queues_rejected', () => {
    const g = ready({ host: { maxQueues: 8 } });
    expect(rssSet(g, rssParameters({ indirection_table: [...table8.slice(0, 127), 8] }))).toBe(RNDIS_STATUS.INVALID_DATA);
    expect(rssSet(g, rssParameters({ indirection_table: [...table8.slice(0, 127), 7] }))).toBe(RNDIS_STATUS.SUCCESS);
  });

  it('rss_set_whose_table_lies_outside_the_info_buffer_fails', () => {
    const g = ready();
    const p = rssParameters({ indirection_table: table8 });
    const b = encodeRssParameters(p);
    new DataView(b.buffer).setUint32(16, 10_000, true); // indirect_taboffset past the object
    expect(rssSet(g, b)).toBe(RNDIS_STATUS.FAILURE);
  });

  it('rss_set_with_a_short_table_repeats_it_over_the_host_table', () => {
    const g = ready({}, { channels: 4 });
    expect(rssSet(g, rssParameters({ indirection_table: [3, 1, 2, 0] }))).toBe(RNDIS_STATUS.SUCCESS);
    const rss = g.host.state().rss!;
    expect(rss.guestEntries).toBe(4);
    expect(rss.table).toEqual(Array.from({ length: 128 }, (_, i) => [3, 1, 2, 0][i % 4]));
  });

  it('rss_set_with_more_entries_than_the_host_table_keeps_the_first_ones', () => {
    const g = ready({ host: { indirectionTableSize: 32 } }, { channels: 4 });
    const big = Array.from({ length: 128 }, (_, i) => (i < 32 ? 1 : 99)); // 99 would be refused if read
    expect(rssSet(g, rssParameters({ indirection_table: big }))).toBe(RNDIS_STATUS.SUCCESS);
    expect(g.host.state().rss!.table).toEqual(new Array(32).fill(1));
  });

  it('rss_set_with_the_disable_flag_disables_rss_and_frames_go_to_the_primary', () => {
    const g = ready({}, { channels: 4 });
    expect(rssSet(g, rssParameters({ indirection_table: table8, flag: 0x10 }))).toBe(RNDIS_STATUS.SUCCESS);
    expect(g.host.state().rss).toBeNull();
    for (let p = 1; p < 30; p++) expect(g.host.injectFlow({ ...udp, sport: p })).toMatchObject({ delivered: true, channel: 0 });
  });

  it('rss_set_with_hash_function_0_or_an_empty_object_disables_rss', () => {
    const g = ready({}, { channels: 4 });
    expect(rssSet(g, rssParameters({ indirection_table: table8, hashinfo: 0x1700 }))).toBe(RNDIS_STATUS.SUCCESS);
    expect(g.host.state().rss).toBeNull();
    expect(rssSet(g, rssParameters({ indirection_table: table8 }))).toBe(RNDIS_STATUS.SUCCESS);
    expect(rssSet(g, new Uint8Array(0))).toBe(RNDIS_STATUS.SUCCESS); // openvmm reads the 40 bytes over zeros
    expect(g.host.state().rss).toBeNull();
  });

  it('rss_set_ignores_the_ndis_header_as_vmswitch_does', () => {
    const g = ready({}, { channels: 2 });
    const p = rssParameters({ indirection_table: [0, 1, 0, 1] });
    p.hdr = { type: 0, rev: 0, size: 0 };
    expect(rssSet(g, p)).toBe(RNDIS_STATUS.SUCCESS);
  });
});

describe('RNDIS framing', () => {
  it('rndis_query_whose_info_offset_points_outside_the_message_fails', () => {
    const g = ready();
    const b = encodeRndis(rndisQueryRequest(77, OID.GEN_LINK_SPEED, new Uint8Array(4)));
    new DataView(b.buffer).setUint32(20, 5000, true); // info_buf_offset
    expect(rawRndis(g, b)).toEqual({ status: NVSP_STAT_FAIL, answers: [] });
    expect(g.host.counters.rejects.RNDIS_MALFORMED).toBe(1);
    expect(fatalOf(g)).toBeUndefined();
  });

  it('rndis_set_whose_info_length_runs_past_msg_len_fails', () => {
    const g = ready();
    const b = encodeRndis(rndisSetRequest(78, OID.GEN_CURRENT_PACKET_FILTER, new Uint8Array([0xd, 0, 0, 0])));
    new DataView(b.buffer).setUint32(16, 400, true); // info_buflen
    expect(rawRndis(g, b)).toEqual({ status: NVSP_STAT_FAIL, answers: [] });
  });

  it('rndis_msg_len_beyond_the_bytes_sent_fails', () => {
    const g = ready();
    const b = encodeRndis(rndisQueryRequest(79, OID.GEN_LINK_SPEED));
    new DataView(b.buffer).setUint32(4, 4096, true);
    expect(rawRndis(g, b).status).toBe(NVSP_STAT_FAIL);
  });

  it('rndis_message_shorter_than_its_header_fails', () => {
    const g = ready();
    expect(rawRndis(g, new Uint8Array([4, 0, 0, 0])).status).toBe(NVSP_STAT_FAIL);
    // an in-band SEND_RNDIS_PKT naming no section carries no RNDIS bytes at all
    const id = g.nvsp(0, { type: 'SEND_RNDIS_PKT', channel_type: 1, send_buf_section_index: 0xffffffff, send_buf_section_size: 0 });
    g.run();
    expect(g.completionFor(id)).toEqual({ type: 'SEND_RNDIS_PKT_COMPLETE', status: NVSP_STAT_FAIL });
  });

  it('rndis_data_packet_whose_data_lies_outside_the_message_fails_and_the_channel_goes_on', () => {
    const g = ready();
    for (const dataOffset of [7777, 8888]) {
      const b = encodeRndisDataPacket(FRAME);
      new DataView(b.buffer).setUint32(8, dataOffset, true);
      const id = g.sendFromSection(0, 1, b);
      g.run();
      expect(g.completionFor(id)).toEqual({ type: 'SEND_RNDIS_PKT_COMPLETE', status: NVSP_STAT_FAIL });
    }
    const ok = g.sendFromSection(0, 1, encodeRndisDataPacket(FRAME));
    g.run();
    expect(g.completionFor(ok)).toEqual({ type: 'SEND_RNDIS_PKT_COMPLETE', status: 1 });
  });

  it('rndis_data_packet_with_zero_data_length_fails', () => {
    const g = ready();
    const b = encodeRndisDataPacket(FRAME);
    new DataView(b.buffer).setUint32(12, 0, true);
    const id = g.sendFromSection(0, 0, b);
    g.run();
    expect(g.completionFor(id)).toMatchObject({ status: NVSP_STAT_FAIL });
  });

  it('rndis_data_packet_with_out_of_band_data_or_a_vc_handle_fails', () => {
    const g = ready();
    for (const field of [16, 20, 24, 36]) {
      const b = encodeRndisDataPacket(FRAME);
      new DataView(b.buffer).setUint32(8 + field - 8, 1, true);
      const id = g.sendFromSection(0, 0, b);
      g.run();
      expect(g.completionFor(id)).toMatchObject({ status: NVSP_STAT_FAIL });
    }
    expect(g.host.counters.rejects.UNSUPPORTED_RNDIS_BEHAVIOR).toBe(4);
  });

  it('a_data_packet_header_split_across_two_pages_is_refused_as_linux_6_14_sends_it', () => {
    const g = ready();
    const msg = encodeRndisDataPacket(FRAME);
    const a = g.bus.memory.alloc(2);
    if (!a.ok) throw new Error('alloc');
    a.buffer.bytes.set(msg, 4096 - 20);
    const [p0, p1] = GuestMemory.pfns(a.buffer);
    // Linux's page-buffer array splits at the 4 KiB boundary: 20 header bytes, then the rest
    const split = g.sendRndis(msg, { channelType: 0, ranges: [{ byte_count: 20, byte_offset: 4076, pfns: [p0!] }, { byte_count: msg.length - 20, byte_offset: 0, pfns: [p1!] }] });
    g.run();
    expect(g.completionFor(split)).toMatchObject({ status: NVSP_STAT_FAIL });
    expect(g.host.counters.rejects.RNDIS_BAD_HEADERS).toBe(1);
    // the same bytes as one range spanning both pages are fine
    const whole = g.sendRndis(msg, { channelType: 0, ranges: [{ byte_count: msg.length, byte_offset: 4076, pfns: [p0!, p1!] }] });
    g.run();
    expect(g.completionFor(whole)).toMatchObject({ status: 1 });
  });

  it('per_packet_info_crossing_into_the_next_range_is_refused', () => {
    const g = ready();
    const msg = encodeRndisDataPacket(FRAME, [ppiChecksumTransmit({ is_ipv4: true, is_ipv6: false, tcp_checksum: true, udp_checksum: false, ip_header_checksum: false, reserved: 0, tcp_header_offset: 34 })]);
    const a = g.bus.memory.alloc(2);
    if (!a.ok) throw new Error('alloc');
    a.buffer.bytes.set(msg, 4096 - 50); // 44-byte header fits, the 16-byte PPI does not
    const [p0, p1] = GuestMemory.pfns(a.buffer);
    const id = g.sendRndis(msg, { channelType: 0, ranges: [{ byte_count: 50, byte_offset: 4046, pfns: [p0!] }, { byte_count: msg.length - 50, byte_offset: 0, pfns: [p1!] }] });
    g.run();
    expect(g.completionFor(id)).toMatchObject({ status: NVSP_STAT_FAIL });
  });

  it('a_per_packet_info_element_of_size_0_or_with_its_value_outside_it_fails', () => {
    const g = ready();
    const bad = (patch: (dv: DataView) => void) => {
      const b = encodeRndisDataPacket(FRAME, [ppiElement(6, new Uint8Array(4))]);
      patch(new DataView(b.buffer, 44));
      const id = g.sendFromSection(0, 2, b);
      g.run();
      return g.completionFor(id);
    };
    expect(bad((dv) => dv.setUint32(0, 0, true))).toMatchObject({ status: NVSP_STAT_FAIL });
    expect(bad((dv) => dv.setUint32(8, 17, true))).toMatchObject({ status: NVSP_STAT_FAIL });
    expect(bad((dv) => dv.setUint32(0, 200, true))).toMatchObject({ status: NVSP_STAT_FAIL });
    expect(bad(() => undefined)).toMatchObject({ status: 1 });
  });

  it('a_checksum_request_with_a_tcp_header_offset_inside_the_ip_header_fails', () => {
    const g = ready();
    const info = (off: number) => ppiChecksumTransmit({ is_ipv4: true, is_ipv6: false, tcp_checksum: true, udp_checksum: false, ip_header_checksum: false, reserved: 0, tcp_header_offset: off });
    const send = (off: number) => {
      const id = g.sendFromSection(0, 0, encodeRndisDataPacket(FRAME, [info(off)]));
      g.run();
      return g.completionFor(id);
    };
    expect(send(20)).toMatchObject({ status: NVSP_STAT_FAIL });
    expect(send(FRAME.length)).toMatchObject({ status: NVSP_STAT_FAIL });
    expect(send(34)).toMatchObject({ status: 1 });
    expect(g.host.counters.rejects.INVALID_TCP_HEADER_OFFSET).toBe(2);
  });

  it('a_non_packet_message_after_a_packet_in_one_section_fails', () => {
    const g = ready();
    const one = encodeRndisDataPacket(FRAME);
    const tail = encodeRndis(rndisQueryRequest(1, OID.GEN_LINK_SPEED));
    const b = new Uint8Array(one.length + tail.length);
    b.set(one);
    b.set(tail, one.length);
    const id = g.sendFromSection(0, 0, b);
    g.run();
    expect(g.completionFor(id)).toMatchObject({ status: NVSP_STAT_FAIL });
    expect(g.host.counters.rejects.NON_RNDIS_PACKET_AFTER_PACKET).toBe(1);
  });

  it('an_rndis_control_message_on_a_subchannel_fails', () => {
    const g = ready({}, { channels: 2 });
    expect(rawRndis(g, encodeRndis(rndisQueryRequest(5, OID.GEN_LINK_SPEED)), 1)).toEqual({ status: NVSP_STAT_FAIL, answers: [] });
    expect(g.host.counters.rejects.NOT_SUPPORTED_ON_SUBCHANNEL).toBe(1);
  });

  it('rndis_types_the_host_does_not_take_from_a_guest_fail', () => {
    const g = ready();
    const msgs: RndisMessage[] = [
      { type: 'INDICATE', status: RNDIS_STATUS.MEDIA_CONNECT, status_buf_offset: 12, status_buf: new Uint8Array(0) },
      { type: 'SET_EX', req_id: 3, oid: OID.GEN_CURRENT_PACKET_FILTER, info_buf_offset: 20, info_buf: new Uint8Array(4), dev_vc_handle: 0 },
      { type: 'QUERY_C', req_id: 3, status: 0, info_buf_offset: 16, info_buf: new Uint8Array(0) },
      { type: 'UNKNOWN', ndis_msg_type: 0xff000001, body: new Uint8Array(8) },
    ];
    for (const m of msgs) expect(rawRndis(g, encodeRndis(m))).toEqual({ status: NVSP_STAT_FAIL, answers: [] });
    expect(g.host.counters.rejects.RNDIS_UNSUPPORTED_MESSAGE).toBe(4);
  });

  it('reset_and_keepalive_are_answered_and_halt_is_acknowledged_without_an_answer', () => {
    const g = ready();
    expect(rawRndis(g, encodeRndis({ type: 'RESET' })).answers).toEqual([{ type: 'RESET_C', status: 0, addressing_reset: 0 }]);
    expect(rawRndis(g, encodeRndis({ type: 'KEEPALIVE', req_id: 9 })).answers).toEqual([{ type: 'KEEPALIVE_C', req_id: 9, status: 0 }]);
    expect(rawRndis(g, encodeRndis({ type: 'HALT', req_id: 10 }))).toEqual({ status: 1, answers: [] });
    expect(g.host.state().rndis).toBe('halted');
  });

  it('control_messages_beyond_100_kib_queued_are_refused', () => {
    const g = ready();
    g.autoComplete = false; // the guest never returns the 16 control sections
    const big = rndisSetRequest(1, OID.GEN_NETWORK_LAYER_ADDRESSES, new Uint8Array(8000));
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const id = g.sendRndis({ ...big, req_id: 2000 + i });
      g.run();
      statuses.push((g.completionFor(id) as { status: number }).status);
    }
    // 16 answered at once, then the queue fills at 100 KiB (12 messages of 8028 bytes)
    expect(statuses.filter((s) => s === 1)).toHaveLength(16 + 12);
    expect(statuses.slice(28).every((s) => s === NVSP_STAT_FAIL)).toBe(true);
    expect(g.host.counters.rejects.TOO_MANY_CONTROL_MESSAGES).toBe(12);
  });
});

describe('OIDs a guest may not set, and config parameters', () => {
  it('set_of_oid_switch_nic_request_refused', () => {
    const g = ready();
    const before = g.host.state();
    expect(setStatus(g, OID.SWITCH_NIC_REQUEST, new Uint8Array(32).fill(0x41))).toBe(RNDIS_STATUS.NOT_SUPPORTED);
    expect(g.host.counters.rejects.SWITCH_NIC_REQUEST_REFUSED).toBe(1);
    expect(g.host.state()).toEqual(before);
  });

  it('set_of_an_unknown_oid_answered_not_supported', () => {
    const g = ready();
    expect(setStatus(g, 0x00ff00ff, new Uint8Array(4))).toBe(RNDIS_STATUS.NOT_SUPPORTED);
  });

  it('config_parameter_with_a_non_digit_value_answered_invalid_data', () => {
    const g = ready();
    const param = (value: string) => ({ parameter_name_offset: 20, name: '*TCPChecksumOffloadIPv4', parameter_type: 2, parameter_value_offset: 20 + 46, value: utf16leEncode(value) });
    expect(g.rndisRequest(rndisConfigParameterSetRequest(300, param('x')))).toMatchObject({ status: RNDIS_STATUS.INVALID_DATA });
    expect(g.rndisRequest(rndisConfigParameterSetRequest(301, param('')))).toMatchObject({ status: RNDIS_STATUS.INVALID_DATA });
    expect(g.rndisRequest(rndisConfigParameterSetRequest(302, param('3')))).toMatchObject({ status: RNDIS_STATUS.SUCCESS });
    expect(g.host.counters.rejects.VALUE_AS_NUM).toBe(2);
  });

  it('config_parameter_with_a_name_longer_than_255_bytes_answered_invalid_data', () => {
    const g = ready();
    const p = { parameter_name_offset: 20, name: 'N'.repeat(128), parameter_type: 0, parameter_value_offset: 20 + 256, value: new Uint8Array(4) };
    expect(g.rndisRequest(rndisConfigParameterSetRequest(303, p))).toMatchObject({ status: RNDIS_STATUS.INVALID_DATA });
  });

  it('config_parameter_whose_name_lies_outside_the_object_answered_invalid_data', () => {
    const g = ready();
    const info = new Uint8Array(24);
    const dv = new DataView(info.buffer);
    dv.setUint32(0, 900, true); // name offset
    dv.setUint32(4, 4, true);
    dv.setUint32(8, 0, true);
    dv.setUint32(12, 20, true);
    dv.setUint32(16, 4, true);
    expect(setStatus(g, OID.GEN_RNDIS_CONFIG_PARAMETER, info)).toBe(RNDIS_STATUS.INVALID_DATA);
  });

  it('network_address_parameter_changes_the_current_mac_when_allowed', () => {
    const g = ready();
    expect(g.rndisRequest(rndisSetMacAddressRequest(304, '02:11:22:33:44:55'))).toMatchObject({ status: 0 });
    expect(g.host.state().mac).toBe('02:11:22:33:44:55');
    const q = g.rndisRequest(rndisQueryRequest(305, OID['802_3_CURRENT_ADDRESS']));
    expect(q).toMatchObject({ info_buf: new Uint8Array([2, 0x11, 0x22, 0x33, 0x44, 0x55]) });
    const locked = ready({ host: { allowMacChange: false } });
    expect(locked.rndisRequest(rndisSetMacAddressRequest(306, '02:11:22:33:44:55'))).toMatchObject({ status: RNDIS_STATUS.NOT_ACCEPTED });
    expect(locked.host.state().mac).toBe('00:15:5d:00:00:01');
  });

  it('offload_parameters_with_lsov1_enabled_answered_not_supported', () => {
    const g = ready();
    const info = new Uint8Array(28);
    info.set([0x80, 3, 28, 0]);
    info[9] = 2; // lso_v1 enabled
    expect(setStatus(g, OID.TCP_OFFLOAD_PARAMETERS, info)).toBe(RNDIS_STATUS.NOT_SUPPORTED);
    info[0] = 0x81;
    info[9] = 0;
    expect(setStatus(g, OID.TCP_OFFLOAD_PARAMETERS, info)).toBe(RNDIS_STATUS.INVALID_DATA);
  });

  it('packet_filter_set_shorter_than_4_bytes_fails', () => {
    const g = ready();
    expect(setStatus(g, OID.GEN_CURRENT_PACKET_FILTER, new Uint8Array(2))).toBe(RNDIS_STATUS.FAILURE);
  });
});

describe('channel-fatal errors (openvmm worker errors)', () => {
  it('unknown_nvsp_type_is_channel_fatal_and_the_other_channels_go_on', () => {
    const g = ready({}, { channels: 2 });
    const bytes = new Uint8Array(40);
    bytes[0] = 200;
    g.nvsp(0, bytes);
    g.run();
    expect(fatalOf(g)).toBe('UNKNOWN_TYPE');
    // the primary is no longer serviced
    const id = g.nvsp(0, { type: 'SUBCHANNEL_REQUEST', op: 1, num_subchannels: 1 });
    g.run();
    expect(g.completionFor(id)).toBeUndefined();
    // the subchannel still transmits
    const tx = g.sendFromSection(1, 0, encodeRndisDataPacket(FRAME));
    g.run();
    expect(g.completionFor(tx, 1)).toMatchObject({ status: 1 });
    expect(g.host.counters.fatal).toEqual({ UNKNOWN_TYPE: 1 });
  });

  it('chimney_and_other_unused_types_are_channel_fatal', () => {
    for (const t of [109, 116, 120, 128, 134, 135, 136]) {
      const g = ready();
      const b = new Uint8Array(40);
      new DataView(b.buffer).setUint32(0, t, true);
      g.nvsp(0, b);
      g.run();
      expect(fatalOf(g), `type ${t}`).toMatch(/UNKNOWN_TYPE|UNEXPECTED_PACKET|NVSP_PARSE/);
    }
  });

  it('an_nvsp_message_shorter_than_its_body_is_channel_fatal', () => {
    const g = new ScriptedGuest();
    g.nvsp(0, new Uint8Array([1, 0, 0, 0, 1, 0, 6, 0]));
    g.run();
    expect(fatalOf(g)).toBe('NVSP_PARSE');
  });

  it('a_message_before_init_is_channel_fatal', () => {
    const g = new ScriptedGuest();
    g.nvsp(0, { type: 'SEND_NDIS_VER', ndis_major_ver: 6, ndis_minor_ver: 30 }, { completion: false });
    g.run();
    expect(fatalOf(g)).toBe('UNKNOWN_TYPE');
  });

  it('an_unsupported_version_leaves_the_guest_free_to_try_again', () => {
    const g = new ScriptedGuest();
    expect(g.request(0, { type: 'INIT', min_protocol_ver: 0x70000, max_protocol_ver: 0x70000 })).toMatchObject({ status: 0 });
    expect(g.request(0, { type: 'INIT', min_protocol_ver: 0x50000, max_protocol_ver: 0x50000 })).toMatchObject({ status: 1 });
    expect(g.host.state().nvspVersion).toBe(0x50000);
  });

  it('init_after_negotiation_is_channel_fatal', () => {
    const g = new ScriptedGuest();
    g.request(0, { type: 'INIT', min_protocol_ver: 0x60001, max_protocol_ver: 0x60001 });
    g.request(0, { type: 'INIT', min_protocol_ver: 0x60001, max_protocol_ver: 0x60001 });
    expect(fatalOf(g)).toBe('INVALID_PACKET_DATA');
  });

  it('a_duplicate_ndis_config_is_channel_fatal', () => {
    const g = new ScriptedGuest();
    g.request(0, { type: 'INIT', min_protocol_ver: 0x60001, max_protocol_ver: 0x60001 });
    g.nvsp(0, { type: 'SEND_NDIS_CONFIG', mtu: 1514, capability: 0xacn }, { completion: false });
    g.nvsp(0, { type: 'SEND_NDIS_CONFIG', mtu: 1514, capability: 0xacn }, { completion: false });
    g.run();
    expect(fatalOf(g)).toBe('SEND_NDIS_CONFIG_EXISTS');
  });

  it('a_duplicate_ndis_version_is_channel_fatal', () => {
    const g = new ScriptedGuest();
    g.request(0, { type: 'INIT', min_protocol_ver: 0x60001, max_protocol_ver: 0x60001 });
    g.nvsp(0, { type: 'SEND_NDIS_VER', ndis_major_ver: 6, ndis_minor_ver: 30 }, { completion: false });
    g.nvsp(0, { type: 'SEND_NDIS_VER', ndis_major_ver: 6, ndis_minor_ver: 30 }, { completion: false });
    g.run();
    expect(fatalOf(g)).toBe('SEND_NDIS_VERSION_EXISTS');
  });

  it('a_receive_buffer_before_ndis_config_is_channel_fatal_from_nvsp2', () => {
    const g = new ScriptedGuest();
    g.request(0, { type: 'INIT', min_protocol_ver: 0x60001, max_protocol_ver: 0x60001 });
    const rb = g.gpadl(64);
    g.request(0, { type: 'SEND_RECV_BUF', gpadl_handle: rb.handle, id: 0xcafe });
    expect(fatalOf(g)).toBe('SEND_RECEIVE_BUFFER_MISSING_MTU');
  });

  it('at_nvsp1_a_receive_buffer_needs_no_ndis_config', () => {
    const g = new ScriptedGuest({ host: { nvspVersions: [2] } });
    g.request(0, { type: 'INIT', min_protocol_ver: 2, max_protocol_ver: 2 });
    const rb = g.gpadl(64);
    expect(g.request(0, { type: 'SEND_RECV_BUF', gpadl_handle: rb.handle, id: 0xcafe })).toMatchObject({ status: 1, sections: [{ sub_alloc_size: 1806 }] });
  });

  it('an_rndis_packet_before_the_buffers_is_channel_fatal', () => {
    const g = new ScriptedGuest();
    g.request(0, { type: 'INIT', min_protocol_ver: 0x60001, max_protocol_ver: 0x60001 });
    g.sendRndis(rndisInitRequest(1));
    g.run();
    expect(fatalOf(g)).toBe('UNEXPECTED_RNDIS_PACKET');
  });

  it('an_rndis_packet_with_everything_but_the_send_buffer_starts_the_session', () => {
    const g = new ScriptedGuest();
    g.request(0, { type: 'INIT', min_protocol_ver: 0x60001, max_protocol_ver: 0x60001 });
    g.nvsp(0, { type: 'SEND_NDIS_CONFIG', mtu: 1514, capability: 0xacn }, { completion: false });
    g.nvsp(0, { type: 'SEND_NDIS_VER', ndis_major_ver: 6, ndis_minor_ver: 30 }, { completion: false });
    const rb = g.gpadl(64);
    g.recvBuffer = rb.buffer;
    g.request(0, { type: 'SEND_RECV_BUF', gpadl_handle: rb.handle, id: 0xcafe });
    expect(g.rndisRequest(rndisInitRequest(1))).toMatchObject({ type: 'INIT_C', status: 0 });
    expect(g.host.state()).toMatchObject({ phase: 'ready', sendBuffer: null });
  });

  it('a_transfer_page_packet_from_the_guest_is_channel_fatal', () => {
    const g = ready();
    g.send(0, { kind: 'xfer-pages', flags: 1, trans_id: 0n, xfer_pageset_id: 0xcafe, sender_owns_set: 0, ranges: [{ byte_count: 8, byte_offset: 0 }], payload: new Uint8Array(40) });
    g.run();
    expect(fatalOf(g)).toBe('UNEXPECTED_PACKET_KIND');
  });

  it('a_completion_other_than_send_rndis_pkt_complete_is_channel_fatal', () => {
    const g = ready();
    g.send(0, { kind: 'completion', flags: 0, trans_id: 0n, payload: encodeNvsp({ type: 'INIT_COMPLETE', negotiated_protocol_ver: 0, max_mdl_chain_len: 0, status: 1 }) }, 5n);
    g.run();
    expect(fatalOf(g)).toBe('UNKNOWN_COMPLETION');
  });

  it('a_receive_completion_for_a_section_not_outstanding_is_channel_fatal', () => {
    const g = ready();
    g.completeReceive(0, 500n);
    g.run();
    expect(fatalOf(g)).toBe('INVALID_RNDIS_PACKET_COMPLETION');
  });

  it('completing_a_receive_section_twice_is_channel_fatal', () => {
    const g = ready();
    const r = g.host.injectFlow(udp);
    g.run(); // auto-completed once
    g.completeReceive(0, BigInt((r as { section: number }).section));
    g.run();
    expect(fatalOf(g)).toBe('INVALID_RNDIS_PACKET_COMPLETION');
  });

  it('completing_a_receive_section_on_another_channel_is_channel_fatal_for_that_channel', () => {
    const g = ready({}, { channels: 2 });
    g.autoComplete = false;
    const r = g.host.injectFlow(udp) as { section: number; channel: number };
    g.run();
    const other = r.channel === 0 ? 1 : 0;
    g.completeReceive(other, BigInt(r.section));
    g.run();
    expect(fatalOf(g, other)).toBe('INVALID_RNDIS_PACKET_COMPLETION');
    expect(g.host.state().recvBuffer!.busy).toBe(1);
  });

  it('a_send_buffer_index_outside_the_buffer_is_channel_fatal', () => {
    const g = ready();
    g.nvsp(0, { type: 'SEND_RNDIS_PKT', channel_type: 0, send_buf_section_index: 100_000, send_buf_section_size: 64 });
    g.run();
    expect(fatalOf(g)).toBe('INVALID_SEND_BUFFER_INDEX');
  });

  it('a_second_rndis_init_is_channel_fatal', () => {
    const g = ready();
    g.sendRndis(rndisInitRequest(99));
    g.run();
    expect(fatalOf(g)).toBe('INVALID_RNDIS_STATE');
  });

  it('a_malformed_ring_packet_is_channel_fatal', () => {
    const g = ready();
    const ch = g.primary;
    const bad = vmbusPacket.encode({ kind: 'inband', flags: 0, trans_id: 0n, payload: new Uint8Array(40) });
    bad[2] = 1; // offset8 < 2
    expect(ch.rings!.outbound.write(bad).ok).toBe(true);
    g.bus.guest.setEvent(ch);
    g.run();
    expect(fatalOf(g)).toBe('RING_PACKET');
  });

  it('a_failed_primary_recovers_when_the_guest_closes_and_reopens_it', () => {
    const g = ready({}, { channels: 3 });
    g.nvsp(0, new Uint8Array(40).fill(0xee));
    g.run();
    expect(fatalOf(g)).toBe('UNKNOWN_TYPE');
    const primary = g.primary;
    g.bus.guest.close(primary);
    g.run();
    expect(g.host.state().phase).toBe('closed');
    // closing the primary revoked the subchannels
    expect(primary.subchannels).toEqual([]);
    g.reopenPrimary();
    const up = bringUp(g, { channels: 3 });
    expect(up.granted).toBe(2);
    expect(g.offers).toEqual([1, 2]);
    expect(g.host.state().failedChannels).toEqual({});
  });
});

describe('VMBus-level hostility', () => {
  it('closing_an_unknown_relid_or_an_unopened_channel_leaves_the_host_consistent', () => {
    const g = ready({}, { channels: 2 });
    const before = g.host.state();
    const post = (relid: number) => postClose(g, relid);
    post(77);
    post(2047);
    g.run();
    expect(g.bus.host.rejected.map((r) => r.reason)).toEqual(['UNKNOWN_CHANNEL_ID', 'UNKNOWN_CHANNEL_ID']);
    expect(g.host.state()).toEqual(before);
    expect(g.host.injectFlow(udp).delivered).toBe(true);
  });

  it('a_subchannel_closed_alone_releases_its_receive_sections_and_traffic_falls_back_to_the_primary', () => {
    const g = ready({}, { channels: 2 });
    g.autoComplete = false;
    let lastSrc = 1;
    let r1 = g.host.injectFlow({ ...udp, src: '10.0.0.1' });
    for (let i = 2; (r1 as { channel: number }).channel !== 1 && i < 250; i++) {
      lastSrc = i;
      r1 = g.host.injectFlow({ ...udp, src: `10.0.0.${i}` });
    }
    expect(r1).toMatchObject({ channel: 1 });
    const busy = g.host.state().recvBuffer!.busy;
    // a closed subchannel: CLOSECHANNEL on its relid, as a guest tearing one queue down would post
    postClose(g, g.channels.get(1)!.relid);
    g.run();
    expect(g.host.state().channelsOpen).toEqual([0]);
    expect(g.host.state().recvBuffer!.busy).toBe(busy - 1);
    // the flow that went to queue 1 now lands on the primary
    const again = g.host.injectFlow({ ...udp, src: `10.0.0.${(r1 as { queue: number }).queue === 1 ? lastSrc : 1}` });
    expect(again).toMatchObject({ delivered: true, queue: 1, channel: 0 });
  });

  it('a_receive_buffer_gpadl_the_host_does_not_know_is_answered_with_failure', () => {
    const g = new ScriptedGuest();
    g.request(0, { type: 'INIT', min_protocol_ver: 0x60001, max_protocol_ver: 0x60001 });
    g.nvsp(0, { type: 'SEND_NDIS_CONFIG', mtu: 1514, capability: 0xacn }, { completion: false });
    expect(g.request(0, { type: 'SEND_RECV_BUF', gpadl_handle: 0x1234, id: 0xcafe })).toMatchObject({ type: 'SEND_RECV_BUF_COMPLETE', status: NVSP_STAT_FAIL });
    expect(g.host.counters.rejects.UNKNOWN_GPADL_ID).toBe(1);
    expect(fatalOf(g)).toBeUndefined();
  });

  it('a_receive_buffer_too_small_for_16_control_sections_and_one_data_section_is_answered_with_failure', () => {
    const g = new ScriptedGuest();
    g.request(0, { type: 'INIT', min_protocol_ver: 0x60001, max_protocol_ver: 0x60001 });
    g.nvsp(0, { type: 'SEND_NDIS_CONFIG', mtu: 1514, capability: 0xacn }, { completion: false });
    const small = g.gpadl(7); // 28672 / 1806 = 15 sections
    expect(g.request(0, { type: 'SEND_RECV_BUF', gpadl_handle: small.handle, id: 0xcafe })).toMatchObject({ status: NVSP_STAT_FAIL });
    const tiny = g.gpadl(8); // 18 sections
    expect(g.request(0, { type: 'SEND_RECV_BUF', gpadl_handle: tiny.handle, id: 0xcafe })).toMatchObject({ status: 1, sections: [{ num_sub_allocs: 18 }] });
  });

  it('a_send_buffer_gpadl_the_host_does_not_know_is_answered_with_failure', () => {
    const g = new ScriptedGuest();
    g.request(0, { type: 'INIT', min_protocol_ver: 0x60001, max_protocol_ver: 0x60001 });
    expect(g.request(0, { type: 'SEND_SEND_BUF', gpadl_handle: 0x999, id: 0 })).toEqual({ type: 'SEND_SEND_BUF_COMPLETE', status: NVSP_STAT_FAIL, section_size: 0 });
  });

  it('ndis_config_mtu_outside_1514_9216_falls_back_to_1514', () => {
    const g = new ScriptedGuest();
    g.request(0, { type: 'INIT', min_protocol_ver: 0x60001, max_protocol_ver: 0x60001 });
    g.nvsp(0, { type: 'SEND_NDIS_CONFIG', mtu: 100_000, capability: 0n }, { completion: false });
    const rb = g.gpadl(64);
    expect(g.request(0, { type: 'SEND_RECV_BUF', gpadl_handle: rb.handle, id: 0xcafe })).toMatchObject({ sections: [{ sub_alloc_size: 1806 }] });
  });

  it('oid_query_ex_is_answered_not_supported', () => {
    const g = ready();
    expect(g.request(0, { type: 'OID_QUERY_EX', header_type: 0x96, header_revision: 1, header_size: 8, oid: OID.GEN_LINK_SPEED })).toEqual({ type: 'OID_QUERY_EX_COMP', status: RNDIS_STATUS.NOT_SUPPORTED, bytes: 0 });
  });

  it('switch_data_path_without_a_vf_gets_an_empty_completion', () => {
    const g = ready();
    const id = g.nvsp(0, { type: 'SWITCH_DATA_PATH', active_datapath: 1 });
    g.run();
    expect(g.completions(0).find((c) => c.transId === id)).toEqual({ transId: id, msg: null, length: 0 });
  });

  it('revoking_the_buffers_ends_the_session_but_not_the_channel', () => {
    const g = ready();
    g.nvsp(0, { type: 'REVOKE_RECV_BUF', id: 0xcafe }, { completion: false });
    g.nvsp(0, { type: 'REVOKE_SEND_BUF', id: 0 }, { completion: false });
    g.run();
    expect(g.host.state()).toMatchObject({ phase: 'revoked', recvBuffer: null, sendBuffer: null });
    expect(g.host.injectFlow(udp)).toEqual({ delivered: false, reason: 'not-ready' });
    const id = g.sendRndis(encodeRndis(rndisQueryRequest(1, OID.GEN_LINK_SPEED)));
    g.run();
    expect(g.completionFor(id)).toBeUndefined();
    expect(g.host.counters.rejects.BUFFER_REVOKED).toBe(1);
    expect(fatalOf(g)).toBeUndefined();
  });
});

describe('receive buffer bounds (openvmm fuzz finding: receive-buffer overwrite)', () => {
  it('host_writes_stay_inside_the_sections_it_owns', () => {
    const g = new ScriptedGuest();
    // a receive buffer whose length is not a whole number of sections: 9 pages = 20 sections + 744 bytes
    g.request(0, { type: 'INIT', min_protocol_ver: 0x60001, max_protocol_ver: 0x60001 });
    g.nvsp(0, { type: 'SEND_NDIS_CONFIG', mtu: 1514, capability: 0xacn }, { completion: false });
    g.nvsp(0, { type: 'SEND_NDIS_VER', ndis_major_ver: 6, ndis_minor_ver: 30 }, { completion: false });
    const a = g.bus.memory.alloc(9);
    if (!a.ok) throw new Error('alloc');
    const c = g.bus.guest.establishGpadl(g.primary, a.buffer);
    g.run();
    const handle = (c.value as { ok: true; value: number }).value;
    g.recvBuffer = a.buffer;
    expect(g.request(0, { type: 'SEND_RECV_BUF', gpadl_handle: handle, id: 0xcafe })).toMatchObject({ status: 1, sections: [{ num_sub_allocs: 20 }] });
    g.rndisRequest(rndisInitRequest(1));
    g.rndisRequest(rndisSetRequest(2, OID.GEN_CURRENT_PACKET_FILTER, new Uint8Array([0x20, 0, 0, 0])));
    const bytes = a.buffer.bytes;
    bytes.fill(0xaa, 20 * 1806);
    g.autoComplete = false;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1900 }), { minLength: 1, maxLength: 12 }), (sizes) => {
        for (const n of sizes) {
          const r = g.host.injectFlow(udp, { payloadLength: n });
          if (r.delivered) expect(r.section).toBeLessThan(20);
          else expect(['too-big', 'no-buffer']).toContain(r.reason);
        }
        g.run();
        for (const h of g.held.splice(0)) {
          if (h.packet.kind !== 'xfer-pages') continue;
          const rg = h.packet.ranges[0]!;
          const section = Number(h.packet.trans_id);
          expect(rg.byte_offset).toBe(section * 1806);
          expect(rg.byte_count).toBeLessThanOrEqual(1806);
          g.completeReceive(0, h.packet.trans_id);
        }
        g.run();
        // nothing past the last whole section was touched
        expect(bytes.subarray(20 * 1806).every((x) => x === 0xaa)).toBe(true);
      }),
      { numRuns: 100 },
    );
    expect(fatalOf(g)).toBeUndefined();
  });
});

describe('hostile byte sequences (property)', () => {
  const nvspTypes = [1, 2, 100, 101, 102, 103, 104, 105, 106, 107, 108, 125, 128, 129, 131, 133, 134, 200];
  const arbPacket = fc.oneof(
    fc.uint8Array({ minLength: 0, maxLength: 96 }),
    fc.record({
      kind: fc.constantFrom('inband' as const, 'completion' as const),
      flags: fc.constantFrom(0, 1),
      trans_id: fc.bigInt({ min: 0n, max: 40n }),
      type: fc.constantFrom(...nvspTypes),
      body: fc.uint8Array({ minLength: 0, maxLength: 40 }),
    }).map((r) => {
      const payload = new Uint8Array(4 + r.body.length);
      new DataView(payload.buffer).setUint32(0, r.type, true);
      payload.set(r.body, 4);
      return vmbusPacket.encode({ kind: r.kind, flags: r.flags, trans_id: r.trans_id, payload });
    }),
  );

  it('never_throws_never_completes_a_request_twice_and_keeps_the_other_channels_working', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(0, 1), arbPacket), { minLength: 1, maxLength: 12 }), (script) => {
        const g = ready({}, { channels: 2 });
        const outBefore = g.received(0).length + g.received(1).length;
        script.forEach(([ch, bytes], i) => {
          // a transaction id of its own for every hostile packet
          if (bytes.length >= 16) new DataView(bytes.buffer, bytes.byteOffset).setBigUint64(8, 1_000_000n + BigInt(i), true);
          g.host.processPacket(ch, bytes);
        });
        g.run();
        // no hostile packet is completed twice
        for (const ch of [0, 1]) {
          const ids = g.completions(ch).map((c) => c.transId).filter((id) => id >= 1_000_000n);
          expect(new Set(ids).size).toBe(ids.length);
        }
        expect(g.received(0).length + g.received(1).length).toBeGreaterThanOrEqual(outBefore);
        // a channel either failed with a named reason or still answers
        const st = g.host.state();
        for (const ch of [0, 1]) {
          if (st.failedChannels[ch]) continue;
          const id = g.sendFromSection(ch, 7, encodeRndisDataPacket(FRAME));
          g.run();
          const c = g.completionFor(id, ch);
          if (st.phase === 'ready') expect(c).toMatchObject({ type: 'SEND_RNDIS_PKT_COMPLETE' });
        }
      }),
      { numRuns: 150 },
    );
  });
});

void ({} as NvspMessage);
void encodePpiList;
void netvscDefaultRssKey;
