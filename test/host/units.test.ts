/**
 * The host's pure parts on their own: configuration defaults and checks, frame parsing and
 * building, receive-section bookkeeping, and the OID table.
 */
import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import { NETVSP_MAX_QUEUES, nvspVersionsUpTo, resolveNetvspConfig } from '../../src/host/config.js';
import { netvspBuildFrame, netvspParseFrame } from '../../src/host/frame.js';
import { NetvspRxSections, netvspRxSectionsPerQueue, netvspSubAllocationSize, NETVSP_RX_RESERVED_CONTROL_SECTIONS } from '../../src/host/rx-buffer.js';
import { netvspFullOffload, netvspQueryOid, netvspRssCapabilities, netvspSetOid, type NetvspOidEnv, type NetvspRndisState } from '../../src/host/rndis-oids.js';
import { OID } from '../../src/protocol/oids.js';
import { RNDIS_STATUS } from '../../src/protocol/rndis.js';
import { decodeNdisOffloadInfo, ndis_recv_scale_cap } from '../../src/protocol/ndis.js';

describe('configuration', () => {
  it('defaults_are_openvmm_and_hyper_v_values', () => {
    const c = resolveNetvspConfig();
    expect(c).toMatchObject({
      mtu: 1500,
      linkSpeed: 10_000_000_000,
      linkUp: true,
      friendlyName: 'Network Adapter',
      nvspVersions: [0x2, 0x30002, 0x40000, 0x50000, 0x60000, 0x60001],
      maxQueues: 64,
      indirectionTableSize: 128,
      sendSectionSize: 6144,
      peer: 'hyperv',
      subchannels: { grant: 'grant-all', extra: 1, answerDelay: 0, offerOrder: 'ascending', offerDelay: 0, offerInterval: 0 },
    });
    expect(Array.from(c.mac)).toEqual([0x00, 0x15, 0x5d, 0, 0, 1]);
  });

  it('max_queues_above_64_is_clamped_as_openvmm_clamps_it', () => {
    expect(resolveNetvspConfig({ maxQueues: 128 }).maxQueues).toBe(NETVSP_MAX_QUEUES);
    expect(() => resolveNetvspConfig({ maxQueues: 0 })).toThrow(RangeError);
  });

  it('an_unknown_nvsp_version_or_a_bad_mac_is_refused', () => {
    expect(() => resolveNetvspConfig({ nvspVersions: [0x30000] })).toThrow(/not an NVSP version/);
    expect(() => resolveNetvspConfig({ mac: '00:11:22' })).toThrow(/MAC/);
    expect(() => resolveNetvspConfig({ linkSpeed: 2 ** 50 })).toThrow(RangeError);
    expect(() => resolveNetvspConfig({ subchannels: { answerDelay: -1 } })).toThrow(RangeError);
  });

  it('nvsp_versions_up_to_lists_the_older_versions_inclusive', () => {
    expect(nvspVersionsUpTo(0x50000)).toEqual([0x2, 0x30002, 0x40000, 0x50000]);
    expect(nvspVersionsUpTo(0x2)).toEqual([0x2]);
    expect(() => nvspVersionsUpTo(3)).toThrow(RangeError);
  });
});

describe('frames', () => {
  const v4 = fc.tuple(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 4, maxLength: 4 }));
  const v6 = fc.tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 16, maxLength: 16 }));

  it('a_built_frame_parses_back_to_its_flow', () => {
    fc.assert(
      fc.property(
        fc.oneof(v4, v6),
        fc.constantFrom<'tcp' | 'udp'>('tcp', 'udp'),
        fc.integer({ min: 0, max: 65535 }),
        fc.integer({ min: 0, max: 65535 }),
        fc.option(fc.integer({ min: 0, max: 4095 }), { nil: undefined }),
        fc.integer({ min: 0, max: 64 }),
        ([src, dst], proto, sport, dport, vlan, payloadLength) => {
          const frame = netvspBuildFrame({ flow: { src, dst, proto, sport, dport }, payloadLength, ...(vlan !== undefined ? { vlan: { id: vlan, priority: 3 } } : {}) });
          const p = netvspParseFrame(frame)!;
          expect(p.flow).toEqual({ src, dst, proto: proto === 'tcp' ? 6 : 17, sport, dport });
          if (vlan !== undefined) expect(p.vlan).toEqual({ id: vlan, priority: 3, cfi: 0 });
          else expect(p.vlan).toBeUndefined();
        },
      ),
      { numRuns: 200 },
    );
  });

  it('an_ipv4_fragment_is_hashed_on_addresses_only', () => {
    const frame = netvspBuildFrame({ flow: { src: '1.2.3.4', dst: '5.6.7.8', proto: 'udp', sport: 9, dport: 10, fragment: true } });
    expect(netvspParseFrame(frame)!.flow).toEqual({ src: new Uint8Array([1, 2, 3, 4]), dst: new Uint8Array([5, 6, 7, 8]), proto: 17, fragment: true });
  });

  it('the_ipv4_header_checksum_is_correct', () => {
    const f = netvspBuildFrame({ flow: { src: '192.168.1.1', dst: '192.168.1.2', proto: 'tcp', sport: 1, dport: 2 } });
    let sum = 0;
    for (let i = 14; i < 34; i += 2) sum += (f[i]! << 8) | f[i + 1]!;
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    expect(sum).toBe(0xffff);
  });

  it('truncated_or_non_ip_frames_have_no_flow', () => {
    expect(netvspParseFrame(new Uint8Array(13))).toBeNull();
    const arp = new Uint8Array(60);
    arp[12] = 0x08;
    arp[13] = 0x06;
    expect(netvspParseFrame(arp)!.flow).toBeNull();
    const f = netvspBuildFrame({ flow: { src: '1.1.1.1', dst: '2.2.2.2', proto: 'tcp', sport: 1, dport: 2 } });
    expect(netvspParseFrame(f.subarray(0, 30))!.flow).toBeNull();
    expect(netvspParseFrame(f.subarray(0, 36))!.flow).toMatchObject({ proto: 6 });
    expect(netvspParseFrame(f.subarray(0, 36))!.flow!.sport).toBeUndefined();
  });
});

describe('receive sections', () => {
  it('sub_allocation_size_is_256_plus_mtu_plus_36', () => {
    expect(netvspSubAllocationSize(1514)).toBe(1806);
    expect(netvspSubAllocationSize(9216)).toBe(9508);
  });

  it('sections_per_queue_follows_openvmm_validate_params', () => {
    expect(netvspRxSectionsPerQueue(100, 0)).toBe('ZERO_QUEUE_COUNT');
    expect(netvspRxSectionsPerQueue(15, 1)).toBe('INSUFFICIENT_BUFFERS');
    expect(netvspRxSectionsPerQueue(16, 1)).toBe('ZERO_BUFFERS_PER_QUEUE');
    expect(netvspRxSectionsPerQueue(20, 2)).toBe(2);
  });

  it('property: the lazily built free stacks hand out and take back sections exactly as stacks built at every partition', () => {
    // the reference: every queue's stack built eagerly at partition, highest section first
    class Eager {
      owner: number[];
      control: number[] = [];
      stacks: number[][] = [];
      ranges: { start: number; end: number }[] = [];
      constructor(readonly count: number) {
        this.owner = new Array(count).fill(0);
        for (let i = 15; i >= 0; i--) this.control.push(i);
        this.partition(1);
      }
      partition(queues: number): void {
        const per = Math.floor((this.count - 16) / queues);
        this.ranges = [];
        this.stacks = [];
        for (let q = 0, start = 16; q < queues; q++) {
          const end = q === queues - 1 ? this.count : start + per;
          this.ranges.push({ start, end });
          const st: number[] = [];
          for (let i = end - 1; i >= start; i--) if (this.owner[i] === 0) st.push(i);
          this.stacks.push(st);
          start = end;
        }
      }
      take(q: number, ch: number): number {
        const id = this.stacks[q]?.pop();
        if (id === undefined) return -1;
        this.owner[id] = ch + 1;
        return id;
      }
      release(id: number, ch: number): boolean {
        if (id < 0 || id >= this.count || this.owner[id] !== ch + 1) return false;
        this.owner[id] = 0;
        if (id < 16) this.control.push(id);
        else this.stacks[this.ranges.findIndex((r) => id >= r.start && id < r.end)]!.push(id);
        return true;
      }
    }
    const op = fc.oneof(
      fc.record({ k: fc.constant('take' as const), q: fc.nat(4), ch: fc.nat(4) }),
      fc.record({ k: fc.constant('release' as const), id: fc.nat(60), ch: fc.nat(4) }),
      // a busy section released by the channel it was sent on (most releases are valid ones)
      fc.record({ k: fc.constant('complete' as const), pick: fc.nat(1000) }),
      fc.record({ k: fc.constant('partition' as const), q: fc.integer({ min: 1, max: 5 }) }),
      fc.record({ k: fc.constant('clone' as const) }),
      fc.record({ k: fc.constant('free' as const), q: fc.nat(5) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 21, max: 60 }), fc.array(op, { maxLength: 80 }), (count, ops) => {
        let s = new NetvspRxSections(count, 2048);
        const e = new Eager(count);
        for (const o of ops) {
          if (o.k === 'take') expect(s.takeData(o.q, o.ch)).toBe(e.take(o.q, o.ch));
          else if (o.k === 'release') expect(s.release(o.id, o.ch)).toBe(e.release(o.id, o.ch));
          else if (o.k === 'complete') {
            const busy = e.owner.flatMap((w, id) => (w ? [id] : []));
            if (!busy.length) continue;
            const id = busy[o.pick % busy.length]!;
            const ch = e.owner[id]! - 1;
            expect(s.release(id, ch)).toBe(e.release(id, ch));
          }
          else if (o.k === 'partition') {
            if (typeof netvspRxSectionsPerQueue(count, o.q) !== 'number') continue;
            s.partition(o.q);
            e.partition(o.q);
          } else if (o.k === 'clone') s = s.clone();
          else expect(s.free(o.q)).toBe(e.stacks[o.q]?.length ?? 0);
        }
        for (let q = 0; q < e.stacks.length; q++) expect(s.free(q)).toBe(e.stacks[q]!.length);
      }),
      { numRuns: 300 },
    );
  });

  it('queues_split_the_data_sections_and_the_last_takes_the_remainder', () => {
    const s = new NetvspRxSections(16 + 10, 2048);
    s.partition(3);
    expect(s.queueRanges).toEqual([
      { start: 16, end: 19 },
      { start: 19, end: 22 },
      { start: 22, end: 26 },
    ]);
    expect([s.free(0), s.free(1), s.free(2), s.free('control')]).toEqual([3, 3, 4, NETVSP_RX_RESERVED_CONTROL_SECTIONS]);
  });

  it('control_sections_are_taken_last_in_first_out_from_15_down_as_openvmm_pops_0_to_15', () => {
    // openvmm: free_control_buffers = (0..16).collect(), .pop() per answer, .push(id) on completion
    const s = new NetvspRxSections(20, 2048);
    expect(s.takeControl()).toBe(15);
    expect(s.takeControl()).toBe(14);
    expect(s.release(14, 0)).toBe(true);
    expect(s.takeControl()).toBe(14);
  });

  it('a_section_is_released_only_by_the_channel_it_was_sent_on_and_only_once', () => {
    const s = new NetvspRxSections(20, 2048);
    const id = s.takeData(0, 0);
    expect(id).toBeGreaterThanOrEqual(16);
    expect(s.release(id, 1)).toBe(false);
    expect(s.release(id, 0)).toBe(true);
    expect(s.release(id, 0)).toBe(false);
    expect(s.release(999, 0)).toBe(false);
    expect(s.busy).toBe(0);
  });

  it('busy_sections_survive_a_repartition_and_return_to_the_queue_that_owns_their_range', () => {
    const s = new NetvspRxSections(16 + 8, 2048);
    const taken = [s.takeData(0, 0), s.takeData(0, 0)];
    s.partition(2);
    expect(s.free(0) + s.free(1)).toBe(6);
    for (const id of taken) s.release(id, 0);
    expect(s.free(0) + s.free(1)).toBe(8);
  });

  it('bookkeeping_stays_consistent_under_any_sequence_of_takes_and_releases', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('take', 'release', 'partition'), fc.integer({ min: 0, max: 3 })), { maxLength: 200 }), (ops) => {
        const s = new NetvspRxSections(16 + 12, 2048);
        let queues = 1;
        const busy = new Map<number, number>();
        for (const [op, n] of ops) {
          if (op === 'take') {
            const q = n % queues;
            const id = s.takeData(q, q);
            if (id >= 0) {
              expect(busy.has(id)).toBe(false);
              busy.set(id, q);
            }
          } else if (op === 'release' && busy.size) {
            const [id, ch] = [...busy][n % busy.size]!;
            expect(s.release(id, ch)).toBe(true);
            busy.delete(id);
          } else if (op === 'partition') {
            queues = n + 1;
            s.partition(queues);
          }
          expect(s.busy).toBe(busy.size);
          let free = 0;
          for (let q = 0; q < queues; q++) free += s.free(q);
          expect(free + busy.size).toBe(12);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('OID table', () => {
  const env = (over: Partial<NetvspOidEnv> = {}): NetvspOidEnv => ({
    config: resolveNetvspConfig({ maxQueues: 8, indirectionTableSize: 256 }),
    ndisVersion: { major: 6, minor: 30 },
    ndisMtu: 1514,
    linkUp: true,
    linkSpeed: 10_000_000_000,
    ...over,
  });
  const state = (): NetvspRndisState => ({ state: 'operational', packetFilter: 0, currentMac: new Uint8Array(6), rss: null, offload: netvspFullOffload(), offloadIndicationDue: false });

  it('the_supported_list_depends_on_the_ndis_version', () => {
    const n = (v: { major: number; minor: number } | null) => {
      const r = netvspQueryOid(OID.GEN_SUPPORTED_LIST, state(), env({ ndisVersion: v }));
      return r.status === 0 ? r.info.length / 4 : r.status;
    };
    expect(n({ major: 5, minor: 0 })).toBe(32);
    expect(n({ major: 6, minor: 1 })).toBe(41);
    expect(n({ major: 6, minor: 30 })).toBe(43);
    expect(n({ major: 7, minor: 0 })).toBe(RNDIS_STATUS.BAD_VERSION);
  });

  it('rss_capabilities_report_the_hosts_queues_and_table_whatever_ndis_version_the_guest_announced', () => {
    const caps = ndis_recv_scale_cap.decode(netvspRssCapabilities(env().config));
    expect(caps).toMatchObject({ num_recv_que: 8, num_indirect_tabent: 256, cap_flag: 0x301 });
    // openvmm's handle_oid_query has no version check here; only OID_GEN_SUPPORTED_LIST depends on it
    for (const ndisVersion of [{ major: 6, minor: 1 }, { major: 5, minor: 0 }]) {
      const r = netvspQueryOid(OID.GEN_RECEIVE_SCALE_CAPABILITIES, state(), env({ ndisVersion }));
      expect(r.status).toBe(RNDIS_STATUS.SUCCESS);
      expect(ndis_recv_scale_cap.decode(r.info)).toEqual(caps);
    }
  });

  it('current_packet_filter_queries_answer_0_whatever_was_set', () => {
    const s = state();
    s.packetFilter = 0x0b;
    expect(Array.from(netvspQueryOid(OID.GEN_CURRENT_PACKET_FILTER, s, env()).info)).toEqual([0, 0, 0, 0]);
  });

  it('offload_capabilities_are_a_revision_3_object_linux_accepts', () => {
    const r = netvspQueryOid(OID.TCP_OFFLOAD_HARDWARE_CAPABILITIES, state(), env());
    const o = decodeNdisOffloadInfo(r.info);
    expect(o.header).toEqual({ type: 0xa7, revision: 3, size: 156 });
    // Linux's rndis_netdev_set_hwcaps: TCP4 | TCP4OPT, IPv6 TCP6 | TCP6OPT | IP6EXT, LSOv2 802.3, IPv6 options 0x5
    expect(o.csum.ip4_txcsum & 0x14).toBe(0x14);
    expect(o.csum.ip6_txcsum & 0x15).toBe(0x15);
    expect(o.lsov2).toMatchObject({ ip4_encap: 2, ip4_maxsz: 0xf53c, ip4_minsg: 2, ip6_opts: 5 });
  });

  it('offload_parameters_turn_offloads_off_and_on', () => {
    const s = state();
    const info = new Uint8Array(28);
    info.set([0x80, 3, 28, 0]);
    info[5] = 1; // tcp_ip_v4_csum: TX and RX disabled
    info[11] = 1; // lso_v2_ipv4 disabled
    expect(netvspSetOid(OID.TCP_OFFLOAD_PARAMETERS, info, s, env())).toMatchObject({ status: 0, effect: 'offload' });
    expect(s.offload).toMatchObject({ txTcp4: false, rxTcp4: false, lso4: false, txTcp6: true });
    expect(s.offloadIndicationDue).toBe(true);
  });

  it('the_media_connect_status_follows_the_link', () => {
    const u32 = (r: { info: Uint8Array }) => new DataView(r.info.buffer).getUint32(0, true);
    expect(u32(netvspQueryOid(OID.GEN_MEDIA_CONNECT_STATUS, state(), env()))).toBe(0);
    expect(u32(netvspQueryOid(OID.GEN_MEDIA_CONNECT_STATUS, state(), env({ linkUp: false })))).toBe(1);
  });

  it('the_friendly_name_is_512_bytes_of_utf16_with_a_terminator', () => {
    const r = netvspQueryOid(OID.GEN_FRIENDLY_NAME, state(), env());
    expect(r.info.length).toBe(512);
    expect(String.fromCharCode(...Array.from({ length: 15 }, (_, i) => r.info[2 * i]!))).toBe('Network Adapter');
    expect(r.info[30]).toBe(0);
  });
});
