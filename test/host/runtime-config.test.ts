/**
 * Changing a running host's policies (`NetvspHost.reconfigure`: validated, merged field by field,
 * effective from the next request) and rolling its state back (`checkpoint`/`rollback`, the fuzz
 * harness's restore).
 */
import { describe, expect, it } from 'vitest';
import { bringUp, ScriptedGuest } from './scripted-guest.js';
import { rndisPacketFilterSetRequest } from '../../src/protocol/rndis-builders.js';
import { rndisQueryRequest } from '../../src/protocol/rndis.js';
import { OID } from '../../src/protocol/oids.js';
import { NVSP_STAT_FAIL } from '../../src/protocol/nvsp.js';

function subchannelAnswers(g: ScriptedGuest) {
  return g
    .completions(0)
    .filter((c) => c.msg?.type === 'SUBCHANNEL_COMPLETE')
    .map((c) => c.msg);
}

describe('NetvspHost.reconfigure', () => {
  it('a new grant policy answers the next subchannel request and keeps the rest of the policy', () => {
    const g = new ScriptedGuest({ host: { maxQueues: 8, subchannels: { offerOrder: 'descending' } } });
    bringUp(g, { channels: 1 });
    const c = g.host.reconfigure({ subchannels: { grant: { grantFewer: 2 } } });
    expect(c.subchannels).toEqual({ grant: { grantFewer: 2 }, extra: 1, answerDelay: 0, offerOrder: 'descending', offerDelay: 0, offerInterval: 0 });
    expect(g.host.config).toBe(c);
    expect(g.request(0, { type: 'SUBCHANNEL_REQUEST', op: 1, num_subchannels: 5 })).toEqual({ type: 'SUBCHANNEL_COMPLETE', status: 1, num_subchannels: 2 });
    g.run();
    expect(g.offers).toEqual([2, 1]);
    g.host.reconfigure({ subchannels: { grant: 'refuse' } });
    expect(g.request(0, { type: 'SUBCHANNEL_REQUEST', op: 1, num_subchannels: 5 })).toMatchObject({ status: NVSP_STAT_FAIL, num_subchannels: 0 });
    expect(subchannelAnswers(g)).toHaveLength(2);
    expect(g.host.counters.rejects).toMatchObject({ POLICY_REFUSE: 1 });
  });

  it('faults merge field by field; rescind: undefined removes the rescind fault', () => {
    const g = new ScriptedGuest();
    g.host.reconfigure({ faults: { refuseVersions: [0x60001], rescind: { on: 'rss-enable', target: 1 } } });
    g.host.reconfigure({ faults: { failOids: [{ oid: OID.GEN_LINK_SPEED }] } });
    expect(g.host.config.faults).toMatchObject({ refuseVersions: [0x60001], failOids: [{ oid: OID.GEN_LINK_SPEED }], rescind: { on: 'rss-enable', target: 1 } });
    g.host.reconfigure({ faults: { rescind: undefined } });
    expect(g.host.config.faults.rescind).toBeNull();
    expect(bringUp(g).version).toBe(0x60000);
  });

  it('refuses bad values and fixed fields with the field and the value named, and changes nothing then', () => {
    const g = new ScriptedGuest();
    const before = g.host.config;
    expect(() => g.host.reconfigure({ subchannels: { grant: { grantFewer: 99 } } })).toThrow(/^NetvspHost\.reconfigure: subchannels\.grant\.grantFewer: 99 is not an integer in 0\.\.63$/);
    expect(() => g.host.reconfigure({ subchannels: { grant: 'some' as never } })).toThrow(/subchannels\.grant: "some" is not a policy/);
    expect(() => g.host.reconfigure({ subchannels: { offerOrder: 'random' as never } })).toThrow(/subchannels\.offerOrder: "random" is not/);
    expect(() => g.host.reconfigure({ subchannels: { answerDelay: -1 } })).toThrow(/subchannels\.answerDelay: -1 is not a delay/);
    expect(() => g.host.reconfigure({ maxQueues: 8 } as never)).toThrow(RangeError);
    expect(() => g.host.reconfigure({ maxQueues: 8 } as never)).toThrow(/^NetvspHost\.reconfigure: maxQueues \(8\) cannot change at run time/);
    expect(() => g.host.reconfigure({ mac: '00:15:5d:00:00:02' } as never)).toThrow(/mac \("00:15:5d:00:00:02"\) cannot change/);
    expect(() => g.host.reconfigure({ linkUp: false } as never)).toThrow(/linkUp \(false\) cannot change at run time: changed with NetvspHost\.setLink/);
    expect(() => g.host.reconfigure({ grant: 'refuse' } as never)).toThrow(/grant \("refuse"\) is not a configuration field/);
    expect(g.host.config).toBe(before);
  });
});

describe('NetvspHost.checkpoint / rollback', () => {
  it('puts the session, the counters and the event log back as they were', () => {
    const g = new ScriptedGuest({ host: { maxEvents: 1000 } });
    bringUp(g, { channels: 1, open: false });
    const before = { state: g.host.state(), counters: structuredClone(g.host.counters), events: g.host.events.length };
    const cp = g.host.checkpoint();
    g.rndisRequest(rndisPacketFilterSetRequest(90, 0x9));
    g.rndisRequest(rndisQueryRequest(91, OID.GEN_LINK_SPEED));
    g.host.setLink(false);
    g.host.reconfigure({ subchannels: { grant: 'refuse' } });
    expect(g.host.state()).not.toEqual(before.state);
    g.host.rollback(cp);
    expect(g.host.state()).toEqual(before.state);
    expect(g.host.counters).toEqual(before.counters);
    expect(g.host.events).toHaveLength(before.events);
    expect(g.host.config.subchannels.grant).toBe('grant-all');
    // the checkpoint stays usable
    g.host.setLink(false);
    g.host.rollback(cp);
    expect(g.host.state().link.up).toBe(true);
  });

  it('refuses a rollback across a channel change, or onto another host', () => {
    const g = new ScriptedGuest();
    bringUp(g, { channels: 1 });
    const cp = g.host.checkpoint();
    expect(() => new ScriptedGuest().host.rollback(cp)).toThrow(/another host/);
    g.request(0, { type: 'SUBCHANNEL_REQUEST', op: 1, num_subchannels: 2 });
    g.run();
    expect(g.host.topology).toBeGreaterThan(cp.topology);
    expect(() => g.host.rollback(cp)).toThrow(/the channels changed since the checkpoint/);
  });

  it('refuses a checkpoint while host events are scheduled', () => {
    const g = new ScriptedGuest({ host: { subchannels: { answerDelay: 50_000 } } });
    bringUp(g, { channels: 1 });
    g.nvsp(0, { type: 'SUBCHANNEL_REQUEST', op: 1, num_subchannels: 2 });
    g.bus.run({ until: g.bus.scheduler.now + 10_000 });
    expect(() => g.host.checkpoint()).toThrow(/host events are scheduled/);
    g.run();
    expect(() => g.host.checkpoint()).not.toThrow();
  });

  it('a rollback cancels the host events scheduled since (a late subchannel answer, offers to come)', () => {
    const g = new ScriptedGuest({ host: { subchannels: { answerDelay: 50_000, offerDelay: 1e12 } } });
    bringUp(g, { channels: 1 });
    const cp = g.host.checkpoint();
    const id = g.nvsp(0, { type: 'SUBCHANNEL_REQUEST', op: 1, num_subchannels: 2 });
    g.bus.run({ until: g.bus.scheduler.now + 10_000 });
    expect(g.host.scheduledEvents).toBe(3); // the answer and two offers
    g.host.rollback(cp);
    expect(g.host.scheduledEvents).toBe(0);
    g.run();
    expect(g.completionFor(id)).toBeUndefined();
    expect(g.offers).toEqual([]);
    expect(g.host.state()).toMatchObject({ queues: 1, subchannelsOffered: [] });
  });
});
