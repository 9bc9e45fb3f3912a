/**
 * Configurable host behaviour: subchannel policies (grant all, fewer, none, more; late answers;
 * offer order and spacing) and deterministic fault injection (refused versions, failing OIDs,
 * dropped and delayed completions, rescinds in the middle of a reconfiguration).
 */
import { describe, expect, it } from 'vitest';
import { bringUp, ScriptedGuest } from './scripted-guest.js';
import { NVSP_STAT_FAIL } from '../../src/protocol/nvsp.js';
import { rndisQueryRequest, RNDIS_STATUS } from '../../src/protocol/rndis.js';
import { OID } from '../../src/protocol/oids.js';
import { toeplitzHash } from '../../src/rss/toeplitz.js';
import { selectQueue } from '../../src/rss/indirection.js';
import { netvscHashKey } from '../../src/rss/keys.js';

function subchannelCompletion(g: ScriptedGuest) {
  return g.completions(0).find((c) => c.msg?.type === 'SUBCHANNEL_COMPLETE')?.msg;
}

describe('subchannel grant policies', () => {
  it('grant_fewer_grants_at_most_n_and_offers_only_those', () => {
    const g = new ScriptedGuest({ host: { subchannels: { grant: { grantFewer: 3 } } } });
    const up = bringUp(g, { channels: 8 });
    expect(subchannelCompletion(g)).toEqual({ type: 'SUBCHANNEL_COMPLETE', status: 1, num_subchannels: 3 });
    expect(up.granted).toBe(3);
    expect(g.offers).toEqual([1, 2, 3]);
    expect(g.host.state()).toMatchObject({ queues: 4, channelsOpen: [0, 1, 2, 3], sendTable: Array.from({ length: 16 }, (_, i) => i % 4) });
    expect(g.host.counters.subchannel).toMatchObject({ requested: 7, granted: 3, offered: 3 });
  });

  it('grant_fewer_with_a_request_below_n_grants_the_request', () => {
    const g = new ScriptedGuest({ host: { subchannels: { grant: { grantFewer: 10 } } } });
    expect(bringUp(g, { channels: 4 }).granted).toBe(3);
  });

  it('after_a_reduced_grant_linux_table_names_missing_channels_and_their_frames_go_to_the_primary', () => {
    const g = new ScriptedGuest({ host: { subchannels: { grant: { grantFewer: 1 } } } });
    const up = bringUp(g, { channels: 4 });
    // Linux keeps rx_table = i mod 4 although only 2 channels exist (spec §4.3); the host accepts it
    expect(up.table).toEqual(Array.from({ length: 128 }, (_, i) => i % 4));
    expect(g.host.state().rss?.table).toEqual(up.table);
    const key = netvscHashKey();
    const seen = new Set<number>();
    for (let p = 1; p <= 200; p++) {
      const r = g.host.injectFlow({ src: '10.9.0.1', dst: '10.9.0.2', proto: 'tcp', sport: p, dport: 443 });
      const q = selectQueue(toeplitzHash(key, new Uint8Array([10, 9, 0, 1, 10, 9, 0, 2, p >> 8, p & 0xff, 1, 187])), up.table!);
      expect(r).toMatchObject({ delivered: true, queue: q, channel: q <= 1 ? q : 0 });
      seen.add(q);
    }
    expect([...seen].sort()).toEqual([0, 1, 2, 3]);
    expect(g.host.counters.rxSteeredToPrimary).toBeGreaterThan(0);
    expect(g.host.counters.rxDropped).toEqual({});
  });

  it('refuse_policy_answers_fail_and_offers_nothing', () => {
    const g = new ScriptedGuest({ host: { subchannels: { grant: 'refuse' } } });
    const up = bringUp(g, { channels: 8 });
    expect(subchannelCompletion(g)).toEqual({ type: 'SUBCHANNEL_COMPLETE', status: NVSP_STAT_FAIL, num_subchannels: 0 });
    expect(up.granted).toBe(0);
    expect(g.offers).toEqual([]);
    expect(g.host.state()).toMatchObject({ queues: 1, rss: null, sendTable: null });
    expect(g.host.counters.rejects.POLICY_REFUSE).toBe(1);
  });

  it('grant_more_policy_claims_more_than_requested_and_offers_them_all', () => {
    const g = new ScriptedGuest({ host: { subchannels: { grant: 'grant-more', extra: 2 } } });
    g.autoComplete = true;
    const up = bringUp(g, { channels: 3 });
    expect(subchannelCompletion(g)).toEqual({ type: 'SUBCHANNEL_COMPLETE', status: 1, num_subchannels: 4 });
    // Linux answers a grant above its request with -EINVAL (spec §4.3 step 3); bringUp does the same
    expect(up.granted).toBe(0);
    expect(g.offers).toEqual([1, 2, 3, 4]);
  });

  it('grant_more_claims_more_than_63_when_63_are_requested_and_offers_up_to_index_63', () => {
    const g = new ScriptedGuest({ host: { maxQueues: 64, subchannels: { grant: 'grant-more' } } });
    g.autoComplete = true;
    const up = bringUp(g, { channels: 64 });
    // a cap at 63 would have made this a plain grant-all, and Linux's "granted > requested" path unreachable
    expect(subchannelCompletion(g)).toEqual({ type: 'SUBCHANNEL_COMPLETE', status: 1, num_subchannels: 64 });
    expect(up.granted).toBe(0);
    expect(g.offers).toEqual(Array.from({ length: 63 }, (_, i) => i + 1));
  });

  it('a_late_answer_arrives_after_the_configured_virtual_delay', () => {
    const g = new ScriptedGuest({ host: { subchannels: { answerDelay: 5_000_000 } } });
    bringUp(g, { channels: 1 });
    const t0 = g.bus.scheduler.now;
    const id = g.nvsp(0, { type: 'SUBCHANNEL_REQUEST', op: 1, num_subchannels: 2 });
    g.bus.run({ until: t0 + 4_000_000 });
    expect(g.completionFor(id)).toBeUndefined();
    g.run();
    const c = g.received(0).find((r) => r.packet.kind === 'completion' && r.packet.trans_id === id)!;
    expect(c.time - t0).toBeGreaterThanOrEqual(5_000_000);
    // the offers follow the answer
    expect(g.offers).toEqual([1, 2]);
  });

  it('offers_can_come_in_descending_order', () => {
    const g = new ScriptedGuest({ host: { subchannels: { offerOrder: 'descending' } } });
    bringUp(g, { channels: 5 });
    expect(g.offers).toEqual([4, 3, 2, 1]);
    expect(g.host.state().sendTable).toEqual(Array.from({ length: 16 }, (_, i) => i % 5));
  });

  it('shuffled_offers_follow_the_seed', () => {
    const order = (seed: number) => {
      const g = new ScriptedGuest({ seed, host: { subchannels: { offerOrder: 'shuffled' } } });
      bringUp(g, { channels: 9 });
      return g.offers;
    };
    expect(order(3)).toEqual(order(3));
    expect([...order(3)].sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const orders = new Set([1, 2, 3, 4, 5].map((s) => order(s).join(',')));
    expect(orders.size).toBeGreaterThan(1);
  });

  it('offer_delay_and_interval_space_the_offers_in_virtual_time', () => {
    const g = new ScriptedGuest({ host: { subchannels: { offerDelay: 1_000_000, offerInterval: 250_000 } } });
    bringUp(g, { channels: 1 });
    const offers: number[] = [];
    const t0 = g.bus.scheduler.now;
    g.nvsp(0, { type: 'SUBCHANNEL_REQUEST', op: 1, num_subchannels: 3 });
    const before = g.bus.host.allChannels.length;
    for (const t of [900_000, 1_100_000, 1_350_000, 1_600_000]) {
      g.bus.run({ until: t0 + t });
      offers.push(g.bus.host.allChannels.length - before);
    }
    expect(offers).toEqual([0, 1, 2, 3]);
  });
});

describe('fault injection', () => {
  it('a_refused_version_makes_linux_fall_back_to_the_next', () => {
    const g = new ScriptedGuest({ host: { faults: { refuseVersions: [0x60001] } } });
    expect(bringUp(g).version).toBe(0x60000);
    expect(g.host.events.some((e) => e.kind === 'fault' && e.name === 'version-refused')).toBe(true);
  });

  it('a_failing_rss_capabilities_query_leaves_linux_on_one_channel', () => {
    const g = new ScriptedGuest({ host: { faults: { failOids: [{ oid: OID.GEN_RECEIVE_SCALE_CAPABILITIES }] } } });
    const up = bringUp(g, { channels: 8 });
    expect(up.rssCaps).toBeNull();
    expect(g.host.counters.subchannel.requests).toBe(0);
  });

  it('a_failing_oid_answers_the_configured_status_for_the_configured_request_only', () => {
    const g = new ScriptedGuest({ host: { faults: { failOids: [{ oid: OID.GEN_CURRENT_PACKET_FILTER, request: 'set', status: RNDIS_STATUS.RESOURCES }] } } });
    bringUp(g, { open: false });
    expect(g.rndisRequest({ type: 'SET', req_id: 70, oid: OID.GEN_CURRENT_PACKET_FILTER, info_buf_offset: 20, info_buf: new Uint8Array([0xd, 0, 0, 0]), dev_vc_handle: 0 })).toMatchObject({ status: RNDIS_STATUS.RESOURCES });
    expect(g.rndisRequest(rndisQueryRequest(71, OID.GEN_CURRENT_PACKET_FILTER))).toMatchObject({ status: 0 });
    expect(g.host.state().packetFilter).toBe(0);
  });

  it('a_dropped_completion_leaves_the_request_unanswered', () => {
    const g = new ScriptedGuest({ host: { faults: { dropCompletions: [{ msgType: 133 }] } } });
    bringUp(g, { channels: 1 });
    const id = g.nvsp(0, { type: 'SUBCHANNEL_REQUEST', op: 1, num_subchannels: 3 });
    g.run();
    expect(g.completionFor(id)).toBeUndefined();
    // the host went ahead all the same: the offers came
    expect(g.offers).toEqual([1, 2, 3]);
  });

  it('only_the_nth_completion_of_a_type_is_dropped', () => {
    const g = new ScriptedGuest({ host: { faults: { dropCompletions: [{ msgType: 2, nth: 1 }] } } });
    const first = g.nvsp(0, { type: 'INIT', min_protocol_ver: 0x70000, max_protocol_ver: 0x70000 });
    g.run();
    expect(g.completionFor(first)).toBeUndefined();
    expect(g.request(0, { type: 'INIT', min_protocol_ver: 0x60001, max_protocol_ver: 0x60001 })).toMatchObject({ status: 1 });
  });

  it('a_delayed_completion_arrives_after_the_delay', () => {
    const g = new ScriptedGuest({ host: { faults: { delayCompletions: [{ msgType: 102, delay: 30_000_000 }] } } });
    g.request(0, { type: 'INIT', min_protocol_ver: 0x60001, max_protocol_ver: 0x60001 });
    g.nvsp(0, { type: 'SEND_NDIS_CONFIG', mtu: 1514, capability: 0xacn }, { completion: false });
    const rb = g.gpadl(64);
    const t0 = g.bus.scheduler.now;
    const id = g.nvsp(0, { type: 'SEND_RECV_BUF', gpadl_handle: rb.handle, id: 0xcafe });
    g.run();
    const c = g.received(0).find((r) => r.packet.trans_id === id)!;
    expect(c.time - t0).toBeGreaterThanOrEqual(30_000_000);
    expect(g.completionFor(id)).toMatchObject({ status: 1 });
  });

  it('rescinding_the_primary_on_the_subchannel_request_removes_the_device_mid_reconfiguration', () => {
    const g = new ScriptedGuest({ host: { faults: { rescind: { on: 'subchannel-request', target: 'primary' } } } });
    bringUp(g, { channels: 1 });
    g.request(0, { type: 'SUBCHANNEL_REQUEST', op: 1, num_subchannels: 3 });
    g.run();
    expect(g.host.state().phase).toBe('closed');
    expect(g.bus.guest.chnList).toEqual([]);
    expect(g.host.events.some((e) => e.kind === 'fault' && e.name === 'rescind')).toBe(true);
  });

  it('rescinding_a_subchannel_after_the_offers_keeps_the_send_table_back', () => {
    const g = new ScriptedGuest({ host: { faults: { rescind: { on: 'subchannel-offers', target: 2 } } } });
    bringUp(g, { channels: 4 });
    expect(g.offers).toEqual([1, 2, 3]);
    const st = g.host.state();
    expect(st.channelsOpen).toEqual([0, 1, 3]);
    expect(st.sendTable).toBeNull();
    expect(g.primary.subchannels.map((c) => c.subChannelIndex)).toEqual([1, 3]);
  });

  it('rescinding_on_rss_enable_after_a_delay', () => {
    const g = new ScriptedGuest({ host: { faults: { rescind: { on: 'rss-enable', target: 1, delay: 1_000_000 } } } });
    bringUp(g, { channels: 2 });
    expect(g.host.state().channelsOpen).toEqual([0]);
    expect(g.host.events.find((e) => e.kind === 'fault' && e.name === 'rescind')!.time).toBeGreaterThan(1_000_000);
  });

  it('rescinding_a_subchannel_never_offered_answers_enoent', () => {
    const g = new ScriptedGuest();
    bringUp(g);
    expect(g.host.rescind(5)).toBe('ENOENT');
  });
});
