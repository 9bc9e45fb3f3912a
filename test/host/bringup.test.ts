/**
 * The host against a scripted guest speaking Linux 6.1's bytes over real rings: bring-up to RSS
 * with subchannels, steering of inbound frames by the Toeplitz hash, receive-section reuse, the
 * transmit path, link indications and the message sizes each peer style writes.
 */
import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import { bringUp, ScriptedGuest } from './scripted-guest.js';
import { decodeNvsp, linuxCheckCompletion, NETVSC_RECEIVE_BUFFER_ID } from '../../src/protocol/nvsp.js';
import { decodePpiList, findPpi } from '../../src/protocol/ppi.js';
import { rndisQueryRequest, RNDIS_STATUS, type RndisMessage } from '../../src/protocol/rndis.js';
import { encodeRndisDataPacket } from '../../src/protocol/rndis-builders.js';
import { ndis_recv_scale_cap, NDIS_LINUX_OPEN_PACKET_FILTER } from '../../src/protocol/ndis.js';
import { OID } from '../../src/protocol/oids.js';
import { ppiChecksumTransmit, ppiVlan } from '../../src/protocol/ppi.js';
import { toeplitzHash } from '../../src/rss/toeplitz.js';
import { selectQueue } from '../../src/rss/indirection.js';
import { netvscHashKey } from '../../src/rss/keys.js';
import { GuestMemory } from '../../src/vmbus/memory.js';
import { netvspBuildFrame } from '../../src/host/frame.js';
import { nvspVersionsUpTo, type NetvspTxFrame } from '../../src/host/config.js';

const HOST_MAC = new Uint8Array([0x00, 0x15, 0x5d, 0x00, 0x00, 0x01]);

/** The 12-byte Toeplitz input of an IPv4 TCP/UDP 4-tuple, built by hand (Microsoft's field order). */
function v4Input(src: number[], dst: number[], sport: number, dport: number): Uint8Array {
  return new Uint8Array([...src, ...dst, sport >> 8, sport & 0xff, dport >> 8, dport & 0xff]);
}

function decodePacketMessage(b: Uint8Array): Extract<RndisMessage, { type: 'PACKET' }> {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  expect(dv.getUint32(0, true)).toBe(1);
  const dataOffset = dv.getUint32(8, true);
  const dataLen = dv.getUint32(12, true);
  const ppiOffset = dv.getUint32(28, true);
  const ppiLen = dv.getUint32(32, true);
  return {
    type: 'PACKET',
    data_offset: dataOffset,
    data: b.slice(8 + dataOffset, 8 + dataOffset + dataLen),
    oob_data_offset: 0,
    oob_data: new Uint8Array(0),
    num_oob_data_elements: 0,
    per_pkt_info_offset: ppiOffset,
    per_pkt_info: b.slice(8 + ppiOffset, 8 + ppiOffset + ppiLen),
    vc_handle: 0,
  };
}

describe('bring-up (spec §4.2) against a Linux-speaking guest', () => {
  it('full_bringup_nvsp61_with_8_channels_reaches_rss_enabled_and_sends_the_send_table', () => {
    const g = new ScriptedGuest();
    const up = bringUp(g, { channels: 8 });
    expect(up.version).toBe(0x60001);
    expect(up.rssCaps).toEqual({ num_recv_que: 64, num_indirect_tabent: 128 });
    expect(up.granted).toBe(7);
    expect(g.offers).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const st = g.host.state();
    expect(st.phase).toBe('ready');
    expect(st.rndis).toBe('operational');
    expect(st.queues).toBe(8);
    expect(st.channelsOpen).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(st.packetFilter).toBe(NDIS_LINUX_OPEN_PACKET_FILTER);
    expect(st.rss?.guestEntries).toBe(128);
    expect(st.rss?.table).toEqual(up.table);
    expect(st.rss?.key).toEqual(netvscHashKey());
    expect(st.sendTable).toEqual(Array.from({ length: 16 }, (_, i) => i % 8));
    // the send table went out as an in-band packet on the primary, decodable the way Linux reads it
    const table = g.received(0).find((r) => r.packet.kind === 'inband')!;
    const msg = decodeNvsp(table.packet.payload, { from: 'host', version: 0x60001 });
    expect(msg).toMatchObject({ type: 'SEND_INDIRECTION_TABLE', count: 16, table: st.sendTable });
    expect(g.host.counters.subchannel).toEqual({ requests: 1, requested: 7, granted: 7, offered: 7, opened: 7 });
    expect(g.host.counters.fatal).toEqual({});
    expect(g.host.counters.rejects).toEqual({});
  });

  it('rndis_answers_arrive_as_transfer_pages_in_reserved_control_sections_of_the_receive_buffer', () => {
    const g = new ScriptedGuest();
    bringUp(g, { channels: 1 });
    const xfers = g.received(0).filter((r) => r.packet.kind === 'xfer-pages');
    expect(xfers.length).toBeGreaterThan(0);
    for (const x of xfers) {
      if (x.packet.kind !== 'xfer-pages') continue;
      expect(x.packet.xfer_pageset_id).toBe(NETVSC_RECEIVE_BUFFER_ID);
      expect(x.packet.ranges).toHaveLength(1);
      const section = Number(x.packet.trans_id);
      expect(section).toBeLessThan(16);
      expect(x.packet.ranges[0]!.byte_offset).toBe(section * 1806);
      // NVSP SEND_RNDIS_PKT with channel_type 1 (control), 40 bytes at NVSP 6.1
      expect(x.packet.payload.length).toBe(40);
      expect(decodeNvsp(x.packet.payload, { from: 'host' })).toMatchObject({ type: 'SEND_RNDIS_PKT', channel_type: 1 });
    }
  });

  it('every_host_message_passes_linux_6_1_192_validation', () => {
    for (const host of [{}, { peer: 'openvmm' as const }, { nvspVersions: nvspVersionsUpTo(0x50000) }]) {
      const g = new ScriptedGuest({ host });
      bringUp(g, { channels: 4 });
      g.host.setLink(false);
      g.host.injectFlow({ src: '10.0.0.1', dst: '10.0.0.2', proto: 'tcp', sport: 1, dport: 2 });
      g.run();
      const all = [...g.inbox.values()].flat();
      expect(all.length).toBeGreaterThan(20);
      for (const r of all) {
        const p = r.packet;
        if (p.kind === 'completion') {
          // netvsc_send_completion: only the empty SWITCH_DATA_PATH answer may be empty; the rest must wake or complete
          expect(linuxCheckCompletion(p.payload).action).toMatch(/wake-waiter|tx-complete/);
        } else if (p.kind === 'xfer-pages') {
          // netvsc_receive: NVSP type 107, header of at least 32 bytes, page set 0xCAFE, ranges inside a section
          expect(new DataView(p.payload.buffer, p.payload.byteOffset).getUint32(0, true)).toBe(107);
          expect(24 + 8 * p.ranges.length).toBeGreaterThanOrEqual(32);
          expect(p.xfer_pageset_id).toBe(0xcafe);
          for (const [i, rg] of p.ranges.entries()) {
            expect(rg.byte_count).toBeLessThanOrEqual(1806);
            const b = r.ranges[i]!;
            const dv = new DataView(b.buffer, b.byteOffset);
            const msgLen = dv.getUint32(4, true);
            expect(msgLen).toBeGreaterThanOrEqual(8);
            expect(msgLen).toBeLessThanOrEqual(rg.byte_count);
            if (dv.getUint32(0, true) === 0x80000004) {
              // rndis_filter_query_device: msg_len − 8 ≥ 16, offset ≥ 16, buffer inside the message
              const len = dv.getUint32(16, true);
              const off = dv.getUint32(20, true);
              expect(msgLen - 8).toBeGreaterThanOrEqual(16);
              expect(off).toBeGreaterThanOrEqual(16);
              expect(len).toBeLessThanOrEqual(msgLen - 8 - off);
            }
          }
        } else {
          expect(p.kind).toBe('inband');
          expect(decodeNvsp(p.payload, { from: 'host', version: g.host.state().nvspVersion })).toMatchObject({ type: 'SEND_INDIRECTION_TABLE', count: 16 });
        }
      }
    }
  });

  it('queries_answer_the_configured_mac_link_and_rss_capabilities', () => {
    const g = new ScriptedGuest({ host: { mac: '00:15:5d:12:34:56', maxQueues: 16, indirectionTableSize: 64, linkSpeed: 40_000_000_000, linkUp: false } });
    bringUp(g);
    const q = (oid: number, req: number) => g.rndisRequest(rndisQueryRequest(req, oid)) as Extract<RndisMessage, { type: 'QUERY_C' }>;
    expect(q(OID['802_3_PERMANENT_ADDRESS'], 100).info_buf).toEqual(new Uint8Array([0, 0x15, 0x5d, 0x12, 0x34, 0x56]));
    const speed = q(OID.GEN_LINK_SPEED, 101);
    expect(new DataView(speed.info_buf.buffer).getUint32(0, true)).toBe(400_000_000);
    const media = q(OID.GEN_MEDIA_CONNECT_STATUS, 102);
    expect(new DataView(media.info_buf.buffer).getUint32(0, true)).toBe(1);
    const caps = ndis_recv_scale_cap.decode(q(OID.GEN_RECEIVE_SCALE_CAPABILITIES, 103).info_buf);
    expect(caps).toMatchObject({ hdr: { type: 0x88, rev: 2, size: 18 }, cap_flag: 0x301, num_int_msg: 1, num_recv_que: 16, num_indirect_tabent: 64 });
    const frame = q(OID.GEN_MAXIMUM_FRAME_SIZE, 104);
    expect(new DataView(frame.info_buf.buffer).getUint32(0, true)).toBe(1500);
    const unknown = q(0x00010999, 105);
    expect(unknown.status).toBe(RNDIS_STATUS.NOT_SUPPORTED);
    expect(unknown.info_buf).toHaveLength(0);
  });

  it('a_host_stopping_at_nvsp4_refuses_newer_versions_and_linux_settles_on_4_without_rss', () => {
    const g = new ScriptedGuest({ host: { nvspVersions: nvspVersionsUpTo(0x40000) } });
    const up = bringUp(g, { channels: 8 });
    expect(up.version).toBe(0x40000);
    expect(up.rssCaps).toBeNull();
    const inits = g.completions(0).filter((c) => c.msg?.type === 'INIT_COMPLETE').map((c) => (c.msg as { status: number }).status);
    expect(inits).toEqual([0, 0, 0, 1]);
    expect(g.host.state().queues).toBe(1);
    expect(g.host.counters.rejects.UNSUPPORTED_VERSION).toBe(3);
  });

  it('init_complete_carries_invalid_version_word_34_mdl_and_is_28_bytes_hyperv_style', () => {
    const g = new ScriptedGuest();
    const id = g.nvsp(0, { type: 'INIT', min_protocol_ver: 0x60001, max_protocol_ver: 0x60001 });
    g.run();
    const c = g.received(0).find((r) => r.packet.trans_id === id)!;
    expect(c.packet.kind).toBe('completion');
    expect(c.packet.payload.length).toBe(32); // 28 bytes, padded to 8 by the ring framing
    expect(Array.from(c.packet.payload.subarray(28))).toEqual([0, 0, 0, 0]);
    expect(decodeNvsp(c.packet.payload, { from: 'host' })).toEqual({ type: 'INIT_COMPLETE', negotiated_protocol_ver: 0xffffffff, max_mdl_chain_len: 34, status: 1 });
  });

  it('version_1_init_complete_carries_2_in_the_version_word', () => {
    const g = new ScriptedGuest({ host: { nvspVersions: [2] } });
    expect(g.request(0, { type: 'INIT', min_protocol_ver: 2, max_protocol_ver: 2 })).toMatchObject({ negotiated_protocol_ver: 2, status: 1 });
  });

  it('messages_after_61_are_40_bytes_and_openvmm_peer_writes_32_before_61', () => {
    const g = new ScriptedGuest();
    bringUp(g);
    const comps = g.received(0).filter((r) => r.packet.kind === 'completion' && r.packet.payload.length > 0);
    // INIT_COMPLETE went out before 6.1 was negotiated (28 → 32); everything after is 40 bytes
    expect(comps.slice(1).every((r) => r.packet.payload.length === 40)).toBe(true);
    const o = new ScriptedGuest({ host: { peer: 'openvmm', nvspVersions: nvspVersionsUpTo(0x60000) } });
    bringUp(o);
    expect(o.received(0).filter((r) => r.packet.kind === 'completion' && r.packet.payload.length > 0).every((r) => r.packet.payload.length === 32)).toBe(true);
  });

  it('send_table_hyperv_style_is_104_bytes_with_the_table_at_40_and_offset_12_up_to_nvsp6', () => {
    const g = new ScriptedGuest({ host: { nvspVersions: nvspVersionsUpTo(0x60000) } });
    bringUp(g, { channels: 4 });
    const t = g.received(0).find((r) => r.packet.kind === 'inband')!.packet;
    expect(t.payload.length).toBe(104);
    const dv = new DataView(t.payload.buffer, t.payload.byteOffset);
    expect([dv.getUint32(0, true), dv.getUint32(4, true), dv.getUint32(8, true)]).toEqual([134, 16, 12]);
    expect(Array.from({ length: 16 }, (_, i) => dv.getUint32(40 + 4 * i, true))).toEqual(Array.from({ length: 16 }, (_, i) => i % 4));
    // Linux's ≤ 6.0 fix-up reads it at 40
    expect(decodeNvsp(t.payload, { from: 'host', version: 0x60000 })).toMatchObject({ table: Array.from({ length: 16 }, (_, i) => i % 4), table_offset: 40 });
  });

  it('send_table_openvmm_style_is_compact_76_bytes_with_the_table_at_12', () => {
    const g = new ScriptedGuest({ host: { peer: 'openvmm' } });
    bringUp(g, { channels: 3 });
    const t = g.received(0).find((r) => r.packet.kind === 'inband')!.packet;
    expect(t.payload.length).toBe(80); // 76 padded to 8
    expect(decodeNvsp(t.payload.subarray(0, 76), { from: 'host', version: 0x60001 })).toMatchObject({ count: 16, offset: 12, table: Array.from({ length: 16 }, (_, i) => i % 3) });
  });

  it('send_table_waits_until_every_granted_subchannel_is_open', () => {
    const g = new ScriptedGuest({ openSubchannels: false });
    bringUp(g, { channels: 3 });
    expect(g.offers).toEqual([1, 2]);
    expect(g.host.state().sendTable).toBeNull();
    g.openSubchannel(1);
    expect(g.host.state().sendTable).toBeNull();
    g.openSubchannel(2);
    expect(g.host.state().sendTable).toEqual(Array.from({ length: 16 }, (_, i) => i % 3));
  });
});

describe('steering (Toeplitz hash → indirection table → channel)', () => {
  it('inbound_frames_land_on_the_channel_the_toeplitz_hash_names', () => {
    const g = new ScriptedGuest({ seed: 5 });
    const up = bringUp(g, { channels: 8 });
    const key = netvscHashKey();
    const table = up.table!;
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 8, maxLength: 8 }),
        fc.integer({ min: 1, max: 65535 }),
        fc.integer({ min: 1, max: 65535 }),
        fc.boolean(),
        (ips, sport, dport, tcp) => {
          const src = ips.slice(0, 4);
          const dst = ips.slice(4);
          const before = g.received(0).length + [...g.inbox.values()].reduce((n, b) => n + b.length, 0);
          const r = g.host.injectFlow({ src: Uint8Array.from(src), dst: Uint8Array.from(dst), sport, dport, proto: tcp ? 'tcp' : 'udp' });
          g.run();
          // Linux enables TCP 4-tuple hashing and IPv4 2-tuple hashing (0x1701): UDP hashes addresses only
          const input = tcp ? v4Input(src, dst, sport, dport) : new Uint8Array([...src, ...dst]);
          const hash = toeplitzHash(key, input);
          const expected = selectQueue(hash, table);
          expect(r).toMatchObject({ delivered: true, channel: expected, queue: expected, hash, hashType: tcp ? 0x200 : 0x100 });
          const box = g.received(expected);
          const last = box[box.length - 1]!;
          expect(last.packet.kind).toBe('xfer-pages');
          const pkt = decodePacketMessage(last.ranges[0]!);
          const ppis = decodePpiList(pkt.per_pkt_info);
          expect(new DataView(findPpi(ppis, 8)!.data.buffer).getUint32(0, true)).toBe(hash);
          expect(new DataView(findPpi(ppis, 9)!.data.buffer).getUint32(0, true)).toBe((tcp ? 0x200 : 0x100) | 1);
          expect(before).toBeGreaterThan(0);
        },
      ),
      { numRuns: 200 },
    );
    // every queue got traffic and none was dropped
    const q = g.host.counters.queues;
    expect(q.slice(0, 8).every((x) => x.rx > 0)).toBe(true);
    expect(g.host.counters.rxDropped).toEqual({});
  });

  it('ipv6_tcp_flows_hash_the_36_byte_tuple', () => {
    const g = new ScriptedGuest();
    const up = bringUp(g, { channels: 4 });
    const src = Uint8Array.from({ length: 16 }, (_, i) => 0x20 + i);
    const dst = Uint8Array.from({ length: 16 }, (_, i) => 0x80 - i);
    const r = g.host.injectFlow({ src, dst, sport: 443, dport: 51000, proto: 'tcp' });
    const hash = toeplitzHash(netvscHashKey(), new Uint8Array([...src, ...dst, 443 >> 8, 443 & 0xff, 51000 >> 8, 51000 & 0xff]));
    expect(r).toMatchObject({ delivered: true, hash, hashType: 0x1000, channel: selectQueue(hash, up.table!) });
  });

  it('a_tcp_frame_cut_before_its_ports_is_hashed_on_its_addresses', () => {
    const g = new ScriptedGuest();
    const up = bringUp(g, { channels: 4 });
    const full = netvspBuildFrame({ flow: { src: '10.0.0.7', dst: '10.0.0.8', proto: 'tcp', sport: 1, dport: 2 }, dstMac: HOST_MAC });
    const hash = toeplitzHash(netvscHashKey(), new Uint8Array([10, 0, 0, 7, 10, 0, 0, 8]));
    expect(g.host.injectFrame(full.subarray(0, 36))).toMatchObject({ delivered: true, hash, hashType: 0x100, queue: selectQueue(hash, up.table!) });
  });

  it('frames_before_rss_is_enabled_go_to_the_primary_without_hash_info', () => {
    const g = new ScriptedGuest();
    bringUp(g, { channels: 1 });
    const r = g.host.injectFlow({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, proto: 'tcp' });
    expect(r).toEqual({ delivered: true, channel: 0, queue: 0, section: expect.any(Number) });
    g.run();
    const last = g.received(0).at(-1)!;
    const ppis = decodePpiList(decodePacketMessage(last.ranges[0]!).per_pkt_info);
    expect(ppis.map((p) => p.type)).toEqual([0]);
  });

  it('a_vlan_tagged_frame_is_delivered_untagged_with_the_tag_in_per_packet_info', () => {
    const g = new ScriptedGuest();
    bringUp(g);
    const frame = netvspBuildFrame({ flow: { src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', sport: 5, dport: 6 }, dstMac: HOST_MAC, vlan: { id: 42, priority: 5 }, payloadLength: 10 });
    expect(g.host.injectFrame(frame).delivered).toBe(true);
    g.run();
    const pkt = decodePacketMessage(g.received(0).at(-1)!.ranges[0]!);
    expect(pkt.data.length).toBe(frame.length - 4);
    expect(Array.from(pkt.data.subarray(12, 14))).toEqual([0x08, 0x00]);
    const vlan = findPpi(decodePpiList(pkt.per_pkt_info), 6)!;
    expect(new DataView(vlan.data.buffer).getUint32(0, true)).toBe(5 | (42 << 4));
  });

  it('the_packet_filter_decides_what_is_delivered', () => {
    const g = new ScriptedGuest();
    bringUp(g, { open: false });
    const flow = { src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp' as const, sport: 1, dport: 2 };
    expect(g.host.injectFlow(flow)).toEqual({ delivered: false, reason: 'filtered' });
    g.rndisRequest({ type: 'SET', req_id: 50, oid: OID.GEN_CURRENT_PACKET_FILTER, info_buf_offset: 20, info_buf: new Uint8Array([1, 0, 0, 0]), dev_vc_handle: 0 });
    expect(g.host.injectFlow(flow).delivered).toBe(true);
    const other = netvspBuildFrame({ flow, dstMac: new Uint8Array([0, 0x15, 0x5d, 9, 9, 9]) });
    expect(g.host.injectFrame(other)).toEqual({ delivered: false, reason: 'filtered' });
    expect(g.host.injectFrame(netvspBuildFrame({ flow }))).toEqual({ delivered: false, reason: 'filtered' }); // broadcast needs 0x8
    expect(g.host.counters.rxDropped.filtered).toBe(3);
  });
});

describe('receive sections', () => {
  it('a_receive_section_is_reused_only_after_the_guest_completes_it', () => {
    const g = new ScriptedGuest({ autoComplete: true });
    bringUp(g);
    g.autoComplete = false;
    const flow = { src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp' as const, sport: 1, dport: 2 };
    const a = g.host.injectFlow(flow);
    const b = g.host.injectFlow(flow);
    g.run();
    expect(a.delivered && b.delivered).toBe(true);
    const sa = (a as { section: number }).section;
    expect((b as { section: number }).section).not.toBe(sa);
    expect(g.host.state().recvBuffer!.busy).toBe(2);
    const held = g.held.splice(0);
    for (const h of held) g.completeReceive(0, h.packet.trans_id);
    g.run();
    expect(g.host.state().recvBuffer!.busy).toBe(0);
    const c = g.host.injectFlow(flow);
    expect((c as { section: number }).section).toBe((b as { section: number }).section); // last freed, first reused
  });

  it('when_every_data_section_is_busy_frames_are_dropped_and_counted', () => {
    const g = new ScriptedGuest();
    bringUp(g, { recvPages: 8 }); // 32768 / 1806 = 18 sections: 16 control + 2 data
    g.autoComplete = false;
    const flow = { src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp' as const, sport: 1, dport: 2 };
    expect(g.host.injectFlow(flow).delivered).toBe(true);
    expect(g.host.injectFlow(flow).delivered).toBe(true);
    expect(g.host.injectFlow(flow)).toEqual({ delivered: false, reason: 'no-buffer', channel: 0 });
    expect(g.host.counters.rxDropped['no-buffer']).toBe(1);
    expect(g.host.counters.queues[0]!.rxDropped).toBe(1);
  });

  it('a_frame_larger_than_a_section_is_dropped_as_too_big', () => {
    const g = new ScriptedGuest();
    bringUp(g);
    expect(g.host.injectFlow({ src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', sport: 1, dport: 2 }, { payloadLength: 1800 })).toMatchObject({ delivered: false, reason: 'too-big' });
  });

  it('data_sections_are_split_between_the_queues_after_subchannels_are_granted', () => {
    const g = new ScriptedGuest();
    bringUp(g, { channels: 4, recvPages: 64 }); // 262144 / 1806 = 145 sections
    expect(g.host.state().recvBuffer).toMatchObject({ sections: 145, sectionSize: 1806 });
    // 129 data sections over 4 queues: 32 each, the last also takes the remainder; every queue gets frames
    for (let port = 1; port <= 64; port++) g.host.injectFlow({ src: '10.1.1.1', dst: '10.2.2.2', proto: 'tcp', sport: port, dport: 80 });
    expect(g.host.counters.queues.slice(0, 4).every((q) => q.rx > 0)).toBe(true);
  });
});

describe('transmit path (guest → host data)', () => {
  const frame = netvspBuildFrame({ flow: { src: '10.0.0.2', dst: '10.0.0.1', proto: 'tcp', sport: 80, dport: 1000 }, payloadLength: 100 });

  it('a_data_packet_copied_into_a_send_section_is_transmitted_and_completed', () => {
    const sent: NetvspTxFrame[] = [];
    const g = new ScriptedGuest({ host: { onTransmit: (f) => sent.push(f) } });
    bringUp(g);
    const id = g.sendFromSection(0, 3, encodeRndisDataPacket(frame, [ppiChecksumTransmit({ is_ipv4: true, is_ipv6: false, tcp_checksum: true, udp_checksum: false, ip_header_checksum: false, reserved: 0, tcp_header_offset: 34 })]));
    g.run();
    expect(g.completionFor(id)).toEqual({ type: 'SEND_RNDIS_PKT_COMPLETE', status: 1 });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ channel: 0, frame, offload: { checksum: true, lso: false } });
  });

  it('batched_packets_in_one_section_are_all_transmitted_under_one_completion', () => {
    const sent: NetvspTxFrame[] = [];
    const g = new ScriptedGuest({ host: { onTransmit: (f) => sent.push(f) } });
    bringUp(g, { channels: 2 });
    const one = encodeRndisDataPacket(frame);
    const two = encodeRndisDataPacket(frame.subarray(0, 60), [ppiVlan({ pri: 1, cfi: 0, vlanid: 7 })]);
    const batch = new Uint8Array(one.length + two.length);
    batch.set(one);
    batch.set(two, one.length);
    const id = g.sendFromSection(1, 0, batch);
    g.run();
    expect(g.completionFor(id, 1)).toEqual({ type: 'SEND_RNDIS_PKT_COMPLETE', status: 1 });
    expect(sent.map((s) => [s.channel, s.frame.length, s.vlan?.id])).toEqual([
      [1, frame.length, undefined],
      [1, 60, 7],
    ]);
    expect(g.host.counters.queues[1]!.tx).toBe(2);
  });

  it('a_data_packet_in_gpa_direct_pages_is_transmitted', () => {
    const sent: NetvspTxFrame[] = [];
    const g = new ScriptedGuest({ host: { onTransmit: (f) => sent.push(f) } });
    bringUp(g);
    const id = g.sendRndis(encodeRndisDataPacket(frame), { channelType: 0 });
    g.run();
    expect(g.completionFor(id)).toEqual({ type: 'SEND_RNDIS_PKT_COMPLETE', status: 1 });
    expect(sent[0]!.frame).toEqual(frame);
  });

  it('a_header_in_the_send_section_and_the_frame_in_pages_is_one_packet_as_linux_cp_partial_sends_it', () => {
    const sent: NetvspTxFrame[] = [];
    const g = new ScriptedGuest({ host: { onTransmit: (f) => sent.push(f) } });
    bringUp(g);
    const whole = encodeRndisDataPacket(frame);
    const head = whole.subarray(0, 44);
    g.sendBuffer!.bytes.set(head, 5 * 6144);
    const pages = g.bus.memory.alloc(1);
    if (!pages.ok) throw new Error('alloc');
    pages.buffer.bytes.set(frame, 100);
    const gid = 999n;
    g.send(
      0,
      {
        kind: 'gpa-direct',
        flags: 1,
        trans_id: 0n,
        ranges: [{ byte_count: frame.length, byte_offset: 100, pfns: GuestMemory.pfns(pages.buffer) }],
        payload: new Uint8Array([107, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 44, 0, 0, 0, ...new Array(24).fill(0)]),
      },
      gid,
    );
    g.run();
    expect(g.completionFor(gid)).toEqual({ type: 'SEND_RNDIS_PKT_COMPLETE', status: 1 });
    expect(sent.at(-1)!.frame).toEqual(frame);
  });
});

describe('link', () => {
  it('link_down_and_up_are_indicated_as_media_disconnect_and_media_connect', () => {
    const g = new ScriptedGuest();
    bringUp(g);
    const before = g.rndis(0).length;
    g.host.setLink(false);
    g.run();
    g.host.setLink(true);
    g.run();
    const ind = g.rndis(0).slice(before);
    expect(ind.map((m) => (m.type === 'INDICATE' ? m.status : m.type))).toEqual([RNDIS_STATUS.MEDIA_DISCONNECT, RNDIS_STATUS.MEDIA_CONNECT]);
    expect(g.host.state().link.up).toBe(true);
  });

  it('link_speed_changes_are_indicated_only_to_a_guest_that_announced_teaming', () => {
    const g = new ScriptedGuest();
    bringUp(g); // NVSP 6.1: Linux sets teaming (capability 0xAC)
    const n = g.rndis(0).length;
    g.host.setLinkSpeed(25_000_000_000);
    g.run();
    const m = g.rndis(0).slice(n);
    expect(m).toHaveLength(1);
    expect(m[0]).toMatchObject({ type: 'INDICATE', status: RNDIS_STATUS.LINK_SPEED_CHANGE, status_buf_offset: 12 });
    expect(new DataView((m[0] as { status_buf: Uint8Array }).status_buf.buffer).getUint32(0, true)).toBe(250_000_000);
    const old = new ScriptedGuest({ host: { nvspVersions: nvspVersionsUpTo(0x40000) } });
    bringUp(old); // NVSP 4: capability 0x08, no teaming
    const k = old.rndis(0).length;
    old.host.setLinkSpeed(25_000_000_000);
    old.run();
    expect(old.rndis(0).slice(k)).toEqual([]);
  });

  it('an_offload_parameters_set_is_followed_by_a_task_offload_current_config_indication', () => {
    const g = new ScriptedGuest();
    bringUp(g);
    const ind = g.rndis(0).filter((m) => m.type === 'INDICATE');
    expect(ind.map((m) => m.type === 'INDICATE' && m.status)).toEqual([RNDIS_STATUS.TASK_OFFLOAD_CURRENT_CONFIG]);
    expect((ind[0] as { status_buf: Uint8Array }).status_buf.length).toBe(156);
  });
});

describe('determinism', () => {
  it('the_same_seed_gives_the_same_bytes_in_the_guest_rings', () => {
    const run = () => {
      const g = new ScriptedGuest({ seed: 42, host: { subchannels: { offerOrder: 'shuffled' } } });
      bringUp(g, { channels: 6 });
      for (let p = 0; p < 20; p++) g.host.injectFlow({ src: '192.168.0.1', dst: '192.168.0.2', proto: 'tcp', sport: 1000 + p, dport: 22 });
      g.run();
      return { offers: g.offers, bytes: [...g.inbox.entries()].map(([i, b]) => [i, b.map((r) => Array.from(r.ranges[0] ?? r.packet.payload))]) };
    };
    expect(run()).toEqual(run());
  });
});

