import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import { HV_KVP_GUID, HV_NIC_GUID, HV_PCIE_GUID, HV_SCSI_GUID } from '../../src/vmbus/guids.js';
import { encodeChannelMessage, makeChannelMessage, STATUS_UNSUCCESSFUL, HV_STATUS_INSUFFICIENT_BUFFERS, HV_STATUS_INVALID_PARAMETER } from '../../src/vmbus/messages.js';
import { GuestMemory } from '../../src/vmbus/memory.js';
import {
  VERSION_WIN10,
  VERSION_WIN10_V4_1,
  VERSION_WIN10_V5,
  VERSION_WIN10_V5_1,
  VERSION_WIN10_V5_2,
  VERSION_WIN10_V5_3,
  VERSION_WIN10_V6_0,
  VERSION_WIN8,
  VERSION_WIN8_1,
} from '../../src/vmbus/versions.js';
import { RING_CONTROL_SIZE } from '../../src/vmbus/ring.js';
import { decodePacket } from '../../src/vmbus/packet.js';
import { NIC_INSTANCE, NIC2_INSTANCE, connectedNic, hostSays, netvscLike, postRaw, recordedBus } from './bus-helpers.js';
import type { Bus } from '../../src/vmbus/bus.js';

const inband = (payload: number[], flags = 0) => ({ kind: 'inband' as const, flags, trans_id: 0n, payload: new Uint8Array(payload) });

// ---------------------------------------------------------------------------------------------

describe('version negotiation (vmbus_connect)', () => {
  it('negotiates 5.3 with a WS2022 host: INITIATE_CONTACT on connection id 4 with msg_sint 2, REQUESTOFFERS on msg_conn_id', () => {
    const rec = recordedBus();
    const c = rec.bus.guest.connect();
    rec.bus.run();
    expect(c.value).toEqual({ ok: true, value: VERSION_WIN10_V5_3 });
    const posts = rec.posts();
    expect(posts.map((p) => [p.connectionId, p.message?.type])).toEqual([
      [4, 'CHANNELMSG_INITIATE_CONTACT'],
      [4, 'CHANNELMSG_REQUESTOFFERS'],
    ]);
    const ic = rec.posted('CHANNELMSG_INITIATE_CONTACT')[0]!;
    expect(ic.vmbus_version_requested).toBe(VERSION_WIN10_V5_3);
    expect(ic.interrupt_page).toBe(2n);
    const mon = rec.bus.guest.monitorPages!;
    expect(ic.monitor_page1).toBe(BigInt(mon[0].pfn) * 4096n);
    expect(ic.monitor_page2).toBe(BigInt(mon[1].pfn) * 4096n);
    expect(rec.bus.guest.connState).toBe('CONNECTED');
    expect(rec.received('CHANNELMSG_VERSION_RESPONSE')).toEqual([{ header: { msgtype: 15 }, version_supported: 1, connection_state: 0, msg_conn_id: 4 }]);
  });

  it('uses the msg_conn_id the host returns for every later post (5.0 and up)', () => {
    const rec = recordedBus({ host: { messageConnectionId: 0x800074 } });
    rec.bus.guest.connect();
    rec.bus.run();
    expect(rec.bus.guest.msgConnId).toBe(0x800074);
    expect(rec.posts().at(-1)).toMatchObject({ connectionId: 0x800074, status: 0, message: { type: 'CHANNELMSG_REQUESTOFFERS' } });
  });

  it('against a host without connection id 4 (≤ 4.1), each 5.x post fails with EINVAL and 4.1 goes out on connection id 1 with the interrupt page', () => {
    const rec = recordedBus({ host: { versions: [VERSION_WIN8, VERSION_WIN8_1, VERSION_WIN10, VERSION_WIN10_V4_1] } });
    const c = rec.bus.guest.connect();
    rec.bus.run();
    expect(c.value).toEqual({ ok: true, value: VERSION_WIN10_V4_1 });
    expect(rec.posts().map((p) => [p.connectionId, p.status, (p.message?.msg as { vmbus_version_requested?: number }).vmbus_version_requested])).toEqual([
      [4, 18, VERSION_WIN10_V5_3],
      [4, 18, VERSION_WIN10_V5_2],
      [4, 18, VERSION_WIN10_V5_1],
      [4, 18, VERSION_WIN10_V5],
      [1, 0, VERSION_WIN10_V4_1],
      [1, 0, undefined],
    ]);
    const ic = rec.posted('CHANNELMSG_INITIATE_CONTACT')[0]!;
    expect(ic.interrupt_page).toBe(BigInt(rec.bus.guest.intPage!.pfn) * 4096n);
    expect(rec.received('CHANNELMSG_VERSION_RESPONSE')[0]!.msg_conn_id).toBe(VERSION_WIN10_V4_1);
    expect(rec.bus.guest.msgConnId).toBe(1);
  });

  it('a refused version (version_supported 0) makes the guest try the next one', () => {
    const rec = recordedBus({ host: { versions: [VERSION_WIN10_V5, VERSION_WIN10] } });
    const c = rec.bus.guest.connect();
    rec.bus.run();
    expect(c.value).toEqual({ ok: true, value: VERSION_WIN10_V5 });
    expect(rec.posted('CHANNELMSG_INITIATE_CONTACT').map((m) => m.vmbus_version_requested)).toEqual([
      VERSION_WIN10_V5_3,
      VERSION_WIN10_V5_2,
      VERSION_WIN10_V5_1,
      VERSION_WIN10_V5,
    ]);
    expect(rec.received('CHANNELMSG_VERSION_RESPONSE').map((r) => r.version_supported)).toEqual([0, 0, 0, 1]);
  });

  it('no common version: EDOM, and no UNLOAD (nothing was negotiated)', () => {
    const rec = recordedBus({ host: { versions: [VERSION_WIN10_V6_0] } });
    const c = rec.bus.guest.connect();
    rec.bus.run();
    expect(c.value).toEqual({ ok: false, error: 'EDOM' });
    expect(rec.posted('CHANNELMSG_INITIATE_CONTACT')).toHaveLength(8);
    expect(rec.posted('CHANNELMSG_UNLOAD')).toHaveLength(0);
    expect(rec.bus.guest.connState).toBe('DISCONNECTED');
    expect(rec.bus.memory.allocatedPages).toBe(0);
  });

  it('max_version caps the first version tried', () => {
    const rec = recordedBus({ guest: { maxVersion: VERSION_WIN10 } });
    const c = rec.bus.guest.connect();
    rec.bus.run();
    expect(c.value).toEqual({ ok: true, value: VERSION_WIN10 });
    expect(rec.posts()[0]!.connectionId).toBe(1);
  });

  it('an isolated guest refuses a host below 5.2 with EINVAL', () => {
    const rec = recordedBus({ host: { versions: [VERSION_WIN10_V5_1] }, guest: { isolated: true } });
    const c = rec.bus.guest.connect();
    rec.bus.run();
    expect(c.value).toEqual({ ok: false, error: 'EINVAL' });
    expect(rec.posted('CHANNELMSG_REQUESTOFFERS')).toHaveLength(0);
  });

  it('Linux ignores connection_state: a FAILED_UNKNOWN_FAILURE response still connects the guest', () => {
    const rec = recordedBus();
    // a guest that gives only one monitor page: the host answers supported + FAILED_UNKNOWN_FAILURE
    const ic = makeChannelMessage('CHANNELMSG_INITIATE_CONTACT', { vmbus_version_requested: VERSION_WIN10_V5_3, interrupt_page: 2n, monitor_page1: 0x1000n });
    postRaw(rec.bus, 4, encodeChannelMessage(ic));
    rec.bus.run();
    expect(rec.received('CHANNELMSG_VERSION_RESPONSE')[0]).toMatchObject({ version_supported: 1, connection_state: 2 });
    expect(rec.bus.host.isConnected).toBe(false);
  });

  it('a host that never answers leaves connect() waiting forever (no timeout in 6.1)', () => {
    const rec = recordedBus();
    rec.bus.hypervisor.attachHost({ onPostMessage: () => undefined });
    const c = rec.bus.guest.connect();
    rec.bus.run();
    expect(c.settled).toBe(false);
    expect(rec.bus.guest.pendingRequests).toBe(1);
  });
});

describe('offers', () => {
  it('REQUESTOFFERS → one OFFERCHANNEL per channel, sorted by interface GUID, then ALLOFFERS_DELIVERED', () => {
    const rec = recordedBus();
    rec.bus.host.addChannel({ ifType: HV_SCSI_GUID, ifInstance: NIC2_INSTANCE });
    rec.bus.host.addChannel({ ifType: HV_NIC_GUID, ifInstance: NIC_INSTANCE });
    rec.bus.guest.connect();
    rec.bus.run();
    const types = rec.delivered().map((d) => d.message?.type);
    expect(types).toEqual(['CHANNELMSG_VERSION_RESPONSE', 'CHANNELMSG_OFFERCHANNEL', 'CHANNELMSG_OFFERCHANNEL', 'CHANNELMSG_ALLOFFERS_DELIVERED']);
    const offers = rec.received('CHANNELMSG_OFFERCHANNEL');
    expect(offers.map((o) => o.offer.if_type)).toEqual([HV_SCSI_GUID, HV_NIC_GUID]); // 'ba61…' < 'f861…'
    expect(offers.map((o) => [o.child_relid, o.connection_id, o.is_dedicated_interrupt, o.monitor_allocated, o.monitorid])).toEqual([
      [1, 0x2001, 1, 0, 0xff],
      [2, 0x2002, 1, 0, 0xff],
    ]);
    expect(rec.bus.guest.allOffersDelivered).toBe(1);
    expect(rec.bus.guest.chnList.map((c) => c.deviceType)).toEqual(['SCSI', 'NIC']);
    expect(rec.bus.guest.chnList.every((c) => c.state === 'CHANNEL_OPEN_STATE' && c.hasDevice)).toBe(true);
  });

  it('a second REQUESTOFFERS is dropped by the host (OFFERS_ALREADY_SENT)', () => {
    const rec = recordedBus();
    rec.bus.guest.connect();
    rec.bus.run();
    postRaw(rec.bus, 4, encodeChannelMessage(makeChannelMessage('CHANNELMSG_REQUESTOFFERS')));
    rec.bus.run();
    expect(rec.bus.host.rejected.map((r) => r.reason)).toEqual(['OFFERS_ALREADY_SENT']);
    expect(rec.bus.guest.allOffersDelivered).toBe(1);
  });

  it('the driver bound to the class is probed for the primary; a channel of an unbound class gets a device without driver', () => {
    const rec = recordedBus();
    rec.bus.host.addChannel({ ifType: HV_NIC_GUID, ifInstance: NIC_INSTANCE });
    rec.bus.host.addChannel({ ifType: HV_SCSI_GUID, ifInstance: NIC2_INSTANCE });
    const drv = netvscLike(rec.bus.guest, {}, { open: false });
    rec.bus.guest.connect();
    rec.bus.run();
    expect(drv.primaries.map((c) => c.deviceType)).toEqual(['NIC']);
    const scsi = rec.bus.guest.chnList.find((c) => c.deviceType === 'SCSI')!;
    expect(scsi.hasDevice && scsi.driver === null).toBe(true);
  });

  it('a primary offer whose instance GUID matches a primary of another class is taken as its re-offer (6.1 matches if_instance alone)', () => {
    const rec = recordedBus();
    rec.bus.host.addChannel({ ifType: HV_NIC_GUID, ifInstance: NIC_INSTANCE });
    rec.bus.host.addChannel({ ifType: HV_SCSI_GUID, ifInstance: NIC_INSTANCE });
    const drv = netvscLike(rec.bus.guest, {}, { open: false });
    rec.bus.guest.connect();
    rec.bus.run();
    // SCSI (ba61…) is offered first; the NIC offer then takes the re-offer path: no NIC device
    expect(rec.bus.guest.chnList.map((c) => c.deviceType)).toEqual(['NIC']);
    expect(drv.primaries).toHaveLength(0);
    expect(rec.bus.guest.warnings.map((w) => w.code)).toEqual(['REOFFER_OF_LIVE_PRIMARY']);
  });

  it('a subchannel offer (same type and instance, index ≠ 0) is linked under its primary and runs sc_creation_callback', () => {
    const { bus, drv } = connectedNic({}, {}, { open: false });
    bus.host.addChannel({ ifType: HV_NIC_GUID, ifInstance: NIC_INSTANCE, subChannelIndex: 1 });
    bus.run();
    expect(drv.subchannels).toHaveLength(1);
    const sub = drv.subchannels[0]!;
    expect(sub.primary).toBe(drv.primaries[0]);
    expect(drv.primaries[0]!.subchannels).toEqual([sub]);
    expect(sub.relid).toBe(2);
    expect(sub.hasDevice).toBe(false);
    expect(bus.guest.chnList).toHaveLength(1);
  });

  it('a second primary offer for a known instance re-maps the existing channel with a WARN (no new device)', () => {
    const { bus, drv } = connectedNic({}, {}, { open: false });
    const offer = makeChannelMessage('CHANNELMSG_OFFERCHANNEL', {
      offer: { ...drv.primaries[0]!.offermsg.offer },
      child_relid: 9,
      monitorid: 0xff,
      is_dedicated_interrupt: 1,
      connection_id: 0x2009,
    });
    hostSays(bus, offer);
    bus.run();
    expect(bus.guest.warnings.map((w) => w.code)).toEqual(['REOFFER_OF_LIVE_PRIMARY']);
    expect(drv.primaries).toHaveLength(1);
    expect(bus.guest.channel(9)).toBe(drv.primaries[0]);
    expect(bus.guest.channel(1)).toBe(drv.primaries[0]); // the old map entry stays
    expect(drv.primaries[0]!.relid).toBe(9);
    expect(drv.primaries[0]!.sigEvent).toBe(0x2009);
  });

  it('an offer with relid ≥ 2048 creates the device but leaves the relid unmapped (WARN)', () => {
    const { bus } = connectedNic({}, {}, { open: false });
    hostSays(bus, makeChannelMessage('CHANNELMSG_OFFERCHANNEL', { offer: { ...bus.guest.chnList[0]!.offermsg.offer, if_instance: NIC2_INSTANCE }, child_relid: 5000 }));
    bus.run();
    expect(bus.guest.warnings.map((w) => w.code)).toEqual(['RELID_OUT_OF_RANGE']);
    expect(bus.guest.chnList).toHaveLength(2);
    expect(bus.guest.relidMap.filter(Boolean)).toHaveLength(1);
  });

  it('an isolated guest drops an offer of a class not allowed there, without RELID_RELEASED', () => {
    const rec = recordedBus({ guest: { isolated: true } });
    rec.bus.host.addChannel({ ifType: HV_PCIE_GUID, ifInstance: NIC_INSTANCE });
    rec.bus.host.addChannel({ ifType: HV_NIC_GUID, ifInstance: NIC_INSTANCE });
    rec.bus.guest.connect();
    rec.bus.run();
    expect(rec.bus.guest.chnList.map((c) => c.deviceType)).toEqual(['NIC']);
    expect(rec.bus.guest.warnings.map((w) => w.code)).toEqual(['INVALID_OFFER_ISOLATED']);
    expect(rec.posted('CHANNELMSG_RELID_RELEASED')).toHaveLength(0);
  });

  it('a too-short OFFERCHANNEL is dropped with a warning', () => {
    const { bus } = connectedNic({}, {}, { open: false });
    hostSays(bus, encodeChannelMessage(makeChannelMessage('CHANNELMSG_OFFERCHANNEL', { child_relid: 3 })).subarray(0, 195));
    bus.run();
    expect(bus.guest.warnings.map((w) => w.code)).toEqual(['MESSAGE_TOO_SHORT']);
    expect(bus.guest.chnList).toHaveLength(1);
  });

  it('a message type of 25 or more is dropped with a warning', () => {
    const { bus } = connectedNic({}, {}, { open: false });
    hostSays(bus, new Uint8Array([25, 0, 0, 0, 0, 0, 0, 0]));
    bus.run();
    expect(bus.guest.warnings.map((w) => w.code)).toEqual(['UNKNOWN_MSGTYPE']);
    expect(bus.guest.verdicts.at(-1)).toMatchObject({ action: 'drop', reason: 'UNKNOWN_MSGTYPE' });
  });

  it('a guest→host message type sent to the guest is dropped silently (no handler)', () => {
    const { bus } = connectedNic({}, {}, { open: false });
    hostSays(bus, makeChannelMessage('CHANNELMSG_OPENCHANNEL', { child_relid: 1 }));
    bus.run();
    expect(bus.guest.verdicts.at(-1)).toMatchObject({ action: 'drop', reason: 'NO_HANDLER', warn: false });
    expect(bus.guest.warnings).toHaveLength(0);
  });
});

describe('GPADLs and open', () => {
  it('open posts the ring GPADL (header + bodies), then OPENCHANNEL with openid = relid and the downstream page offset', () => {
    const { bus, drv, hostNic, ...rec } = connectedNic({}, { sendRingSize: 128 * 4096, recvRingSize: 128 * 4096, userdata: new Uint8Array([1, 2, 3]) });
    expect(drv.opens[0]!.value).toEqual({ ok: true, value: undefined });
    const ch = drv.primaries[0]!;
    expect(ch.state).toBe('CHANNEL_OPENED_STATE');
    const types = rec.posts().map((p) => p.message?.type).slice(2);
    expect(types).toEqual(['CHANNELMSG_GPADL_HEADER', ...new Array(9).fill('CHANNELMSG_GPADL_BODY'), 'CHANNELMSG_OPENCHANNEL']);
    const header = rec.posted('CHANNELMSG_GPADL_HEADER')[0]!;
    expect(header).toMatchObject({ child_relid: 1, gpadl: 0xe1e10, range_buflen: 8 + 8 * 256, rangecount: 1 });
    expect(header.range[0]!.pfns[0]).toBe(BigInt(ch.ringBuffer!.pfn));
    const open = rec.posted('CHANNELMSG_OPENCHANNEL')[0]!;
    expect(open).toMatchObject({ child_relid: 1, openid: 1, ringbuffer_gpadlhandle: 0xe1e10, target_vp: 0, downstream_ringbuffer_pageoffset: 128 });
    expect([...open.userdata.subarray(0, 4)]).toEqual([1, 2, 3, 0]);
    expect(rec.received('CHANNELMSG_GPADL_CREATED')).toEqual([{ header: { msgtype: 10 }, child_relid: 1, gpadl: 0xe1e10, creation_status: 0 }]);
    expect(rec.received('CHANNELMSG_OPENCHANNEL_RESULT')).toEqual([{ header: { msgtype: 6 }, child_relid: 1, openid: 1, status: 0 }]);
    expect(hostNic.state).toBe('open');
    // both ring headers initialised: indices 0, feature_bits 1
    const bytes = ch.ringBuffer!.bytes;
    for (const at of [0, 128 * 4096]) {
      expect([...bytes.subarray(at, at + 8)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
      expect(bytes[at + 64]).toBe(1);
    }
  });

  it('guest and host read and write the same ring bytes; request ids come from the requestor', () => {
    const got: Uint8Array[] = [];
    const { bus, drv, hostNic } = connectedNic({}, { rqstorSize: 4 });
    (hostNic.device as { interrupt?: unknown }).interrupt = undefined;
    Object.assign(hostNic.device, {
      interrupt: (h: typeof hostNic) => {
        for (let r = h.rings!.inbound.read(); r; r = h.rings!.inbound.read()) got.push(r.packet);
      },
    });
    const ch = drv.primaries[0]!;
    const r1 = ch.sendPacket(inband([1, 2, 3], 1), 0xabcn);
    const r2 = ch.sendPacket(inband([4], 0), 77n);
    expect(r1).toEqual({ ok: true, signal: true, transId: 1n });
    expect(r2).toEqual({ ok: true, signal: false, transId: 77n });
    bus.run();
    expect(got.map((p) => decodePacket(p))).toMatchObject([
      { kind: 'inband', flags: 1, trans_id: 1n },
      { kind: 'inband', flags: 0, trans_id: 77n },
    ]);
    // host → guest: a completion for id 1, read by the channel callback
    const w = hostNic.send({ kind: 'completion', flags: 0, trans_id: 1n, payload: new Uint8Array([9]) });
    expect(w).toMatchObject({ ok: true, signal: true });
    bus.run();
    expect(drv.inbox.get(1)!.map((p) => decodePacket(p))).toMatchObject([{ kind: 'completion', trans_id: 1n }]);
    expect(ch.rings!.requestor.take(1n)).toBe(0xabcn);
    expect(ch.interrupts).toBe(1);
  });

  it('open of a channel that is not in OPEN_STATE is EINVAL (opening twice)', () => {
    const { bus, drv } = connectedNic();
    const again = bus.guest.open(drv.primaries[0]!, { sendRingSize: 8192, recvRingSize: 8192 });
    bus.run();
    expect(again.value).toEqual({ ok: false, error: 'EINVAL' });
  });

  it('open with more than 120 bytes of userdata is EINVAL, ring sizes that are not whole pages are EINVAL', () => {
    const { bus, drv } = connectedNic({}, {}, { open: false });
    const ch = drv.primaries[0]!;
    const a = bus.guest.open(ch, { sendRingSize: 8192, recvRingSize: 8192, userdata: new Uint8Array(121) });
    const b = bus.guest.open(ch, { sendRingSize: 8192 + 1, recvRingSize: 8192 });
    bus.run();
    expect(a.value).toEqual({ ok: false, error: 'EINVAL' });
    expect(b.value).toEqual({ ok: false, error: 'EINVAL' });
    expect(bus.memory.allocatedPages).toBe(3); // only the connection pages
    expect(ch.state).toBe('CHANNEL_OPEN_STATE');
  });

  it('GPADL_CREATED with a non-zero status fails the open with EDQUOT and frees the ring', () => {
    const { bus, drv, hostNic } = connectedNic({}, {}, { open: false });
    Object.assign(hostNic.device, { gpadlCreated: () => STATUS_UNSUCCESSFUL });
    const ch = drv.primaries[0]!;
    const o = bus.guest.open(ch, { sendRingSize: 8192, recvRingSize: 8192 });
    bus.run();
    expect(o.value).toEqual({ ok: false, error: 'EDQUOT' });
    expect(ch.state).toBe('CHANNEL_OPEN_STATE');
    expect(ch.ringBuffer).toBeNull();
    expect(bus.memory.allocatedPages).toBe(3);
    expect(bus.guest.nextGpadlHandle).toBe(0xe1e11); // the handle is consumed anyway
  });

  it('OPENCHANNEL_RESULT with a non-zero status fails the open with EAGAIN and tears the ring GPADL down', () => {
    const { bus, drv, hostNic, ...rec } = connectedNic({}, {}, { open: false });
    Object.assign(hostNic.device, { open: () => STATUS_UNSUCCESSFUL });
    const ch = drv.primaries[0]!;
    const o = bus.guest.open(ch, { sendRingSize: 8192, recvRingSize: 8192 });
    bus.run();
    expect(o.value).toEqual({ ok: false, error: 'EAGAIN' });
    expect(rec.posted('CHANNELMSG_GPADL_TEARDOWN')).toEqual([{ header: { msgtype: 11 }, child_relid: 1, gpadl: 0xe1e10 }]);
    expect(rec.received('CHANNELMSG_GPADL_TORNDOWN')).toHaveLength(1);
    expect(hostNic.state).toBe('closed');
    expect(ch.state).toBe('CHANNEL_OPEN_STATE');
    expect(bus.memory.allocatedPages).toBe(3);
  });

  it('a rescind wakes an open waiting for GPADL_CREATED: ENODEV', () => {
    const { bus, drv, hostNic } = connectedNic({}, {}, { open: false });
    Object.assign(hostNic.device, {
      gpadlCreated: () => {
        bus.host.rescind(hostNic);
        return 0;
      },
    });
    const o = bus.guest.open(drv.primaries[0]!, { sendRingSize: 8192, recvRingSize: 8192 });
    bus.run();
    expect(o.value).toEqual({ ok: false, error: 'ENODEV' });
  });

  it('the host answers an OPENCHANNEL whose ring GPADL does not exist with STATUS_UNSUCCESSFUL; the guest ignores the unmatched result', () => {
    const { bus, ...rec } = connectedNic({}, {}, { open: false });
    postRaw(bus, 4, encodeChannelMessage(makeChannelMessage('CHANNELMSG_OPENCHANNEL', { child_relid: 1, openid: 1, ringbuffer_gpadlhandle: 0x1234, downstream_ringbuffer_pageoffset: 2 })));
    bus.run();
    expect(rec.received('CHANNELMSG_OPENCHANNEL_RESULT')).toEqual([{ header: { msgtype: 6 }, child_relid: 1, openid: 1, status: STATUS_UNSUCCESSFUL }]);
    expect(bus.guest.chnList[0]!.state).toBe('CHANNEL_OPEN_STATE');
  });

  it('the host refuses a ring GPADL split that leaves a ring under two pages', () => {
    const { bus, drv, hostNic, ...rec } = connectedNic({}, {}, { open: false });
    const ch = drv.primaries[0]!;
    const buf = bus.memory.alloc(3);
    if (!buf.ok) throw new Error('alloc');
    const g = bus.guest.establishGpadl(ch, buf.buffer);
    bus.run();
    postRaw(bus, 4, encodeChannelMessage(makeChannelMessage('CHANNELMSG_OPENCHANNEL', { child_relid: 1, openid: 1, ringbuffer_gpadlhandle: (g.value as { value: number }).value, downstream_ringbuffer_pageoffset: 2 })));
    bus.run();
    expect(rec.received('CHANNELMSG_OPENCHANNEL_RESULT').at(-1)!.status).toBe(STATUS_UNSUCCESSFUL);
    expect(hostNic.state).toBe('closed');
  });

  it('an OPENCHANNEL for a relid never offered is dropped (UNKNOWN_CHANNEL_ID)', () => {
    const { bus } = connectedNic({}, {}, { open: false });
    postRaw(bus, 4, encodeChannelMessage(makeChannelMessage('CHANNELMSG_OPENCHANNEL', { child_relid: 77, openid: 77 })));
    bus.run();
    expect(bus.host.rejected.map((r) => [r.reason, r.relid])).toEqual([['UNKNOWN_CHANNEL_ID', 77]]);
  });

  it('an OPENCHANNEL for an open channel is dropped (CHANNEL_ALREADY_OPEN)', () => {
    const { bus, hostNic } = connectedNic();
    postRaw(bus, 4, encodeChannelMessage(makeChannelMessage('CHANNELMSG_OPENCHANNEL', { child_relid: 1, openid: 1, ringbuffer_gpadlhandle: 0xe1e10, downstream_ringbuffer_pageoffset: 16 })));
    bus.run();
    expect(bus.host.rejected.map((r) => r.reason)).toEqual(['CHANNEL_ALREADY_OPEN']);
    expect(hostNic.state).toBe('open');
  });

  it('a buffer GPADL: handles count up from 0xE1E10, the host sees the guest bytes, teardown answers TORNDOWN', () => {
    const { bus, drv, hostNic, ...rec } = connectedNic();
    const ch = drv.primaries[0]!;
    const buf = bus.memory.alloc(40);
    if (!buf.ok) throw new Error('alloc');
    buf.buffer.bytes.set([7, 8, 9], 4096 * 39);
    const g = bus.guest.establishGpadl(ch, buf.buffer);
    bus.run();
    expect(g.value).toEqual({ ok: true, value: 0xe1e11 });
    expect(rec.posted('CHANNELMSG_GPADL_BODY').at(-1)!.pfn).toHaveLength(14);
    expect(hostNic.gpadl(0xe1e11)!.view!.read(4096 * 39, 3)).toEqual(new Uint8Array([7, 8, 9]));
    const t = bus.guest.teardownGpadl(ch, 0xe1e11);
    bus.run();
    expect(t.value).toEqual({ ok: true, value: undefined });
    expect(hostNic.gpadl(0xe1e11)).toBeUndefined();
  });

  it('a GPADL_BODY for no GPADL_HEADER is dropped (UNKNOWN_GPADL_ID)', () => {
    const { bus } = connectedNic();
    postRaw(bus, 4, encodeChannelMessage(makeChannelMessage('CHANNELMSG_GPADL_BODY', { gpadl: 0x55, pfn: [1n] })));
    bus.run();
    expect(bus.host.rejected.map((r) => [r.reason, r.gpadl])).toEqual([['UNKNOWN_GPADL_ID', 0x55]]);
  });

  it('a GPADL_HEADER for an unknown relid is answered GPADL_CREATED with STATUS_UNSUCCESSFUL', () => {
    const { bus, ...rec } = connectedNic();
    postRaw(bus, 4, encodeChannelMessage(makeChannelMessage('CHANNELMSG_GPADL_HEADER', { child_relid: 99, gpadl: 5, range_buflen: 16, rangecount: 1, range: [{ byte_count: 4096, byte_offset: 0, pfns: [1n] }] })));
    bus.run();
    expect(rec.received('CHANNELMSG_GPADL_CREATED').at(-1)).toEqual({ header: { msgtype: 10 }, child_relid: 99, gpadl: 5, creation_status: STATUS_UNSUCCESSFUL });
    expect(bus.host.rejected.map((r) => r.reason)).toEqual(['UNKNOWN_CHANNEL_ID']);
  });

  it('a GPADL_HEADER reusing a live handle on the same channel is refused (DUPLICATE_GPADL_ID) and the live GPADL survives', () => {
    const { bus, hostNic, ...rec } = connectedNic();
    const pfn = BigInt(bus.guest.chnList[0]!.ringBuffer!.pfn);
    postRaw(bus, 4, encodeChannelMessage(makeChannelMessage('CHANNELMSG_GPADL_HEADER', { child_relid: 1, gpadl: 0xe1e10, range_buflen: 16, rangecount: 1, range: [{ byte_count: 4096, byte_offset: 0, pfns: [pfn] }] })));
    bus.run();
    expect(rec.received('CHANNELMSG_GPADL_CREATED').at(-1)!.creation_status).toBe(STATUS_UNSUCCESSFUL);
    expect(bus.host.rejected.map((r) => r.reason)).toEqual(['DUPLICATE_GPADL_ID']);
    expect(hostNic.gpadl(0xe1e10)!.state).toBe('accepted');
  });

  it('a GPADL naming pages that are not guest memory is refused with STATUS_UNSUCCESSFUL', () => {
    const { bus, ...rec } = connectedNic();
    postRaw(bus, 4, encodeChannelMessage(makeChannelMessage('CHANNELMSG_GPADL_HEADER', { child_relid: 1, gpadl: 0x77, range_buflen: 16, rangecount: 1, range: [{ byte_count: 4096, byte_offset: 0, pfns: [3n] }] })));
    bus.run();
    expect(rec.received('CHANNELMSG_GPADL_CREATED').at(-1)).toMatchObject({ gpadl: 0x77, creation_status: STATUS_UNSUCCESSFUL });
  });

  it('a GPADL whose ranges are invalid (byte_count 0) is refused with STATUS_UNSUCCESSFUL', () => {
    const { bus, ...rec } = connectedNic();
    postRaw(bus, 4, encodeChannelMessage(makeChannelMessage('CHANNELMSG_GPADL_HEADER', { child_relid: 1, gpadl: 0x78, range_buflen: 16, rangecount: 1, range: [{ byte_count: 0, byte_offset: 0, pfns: [3n] }] })));
    bus.run();
    expect(rec.received('CHANNELMSG_GPADL_CREATED').at(-1)).toMatchObject({ gpadl: 0x78, creation_status: STATUS_UNSUCCESSFUL });
  });

  it('a GPADL_TEARDOWN for an unknown GPADL is dropped (UNKNOWN_GPADL_ID)', () => {
    const { bus } = connectedNic();
    postRaw(bus, 4, encodeChannelMessage(makeChannelMessage('CHANNELMSG_GPADL_TEARDOWN', { child_relid: 1, gpadl: 0x999 })));
    bus.run();
    expect(bus.host.rejected.map((r) => r.reason)).toEqual(['UNKNOWN_GPADL_ID']);
  });

  it("tearing down an open channel's ring GPADL completes only when the channel closes", () => {
    const { bus, hostNic, ...rec } = connectedNic();
    postRaw(bus, 4, encodeChannelMessage(makeChannelMessage('CHANNELMSG_GPADL_TEARDOWN', { child_relid: 1, gpadl: 0xe1e10 })));
    bus.run();
    expect(rec.received('CHANNELMSG_GPADL_TORNDOWN')).toHaveLength(0);
    expect(hostNic.gpadl(0xe1e10)!.state).toBe('tearing-down');
    postRaw(bus, 4, encodeChannelMessage(makeChannelMessage('CHANNELMSG_CLOSECHANNEL', { child_relid: 1 })));
    bus.run();
    expect(rec.received('CHANNELMSG_GPADL_TORNDOWN')).toEqual([{ header: { msgtype: 12 }, gpadl: 0xe1e10 }]);
  });
});

describe('close', () => {
  it('close posts CLOSECHANNEL, then GPADL_TEARDOWN and waits for GPADL_TORNDOWN; the ring pages are freed', () => {
    const { bus, drv, hostNic, ...rec } = connectedNic();
    const ch = drv.primaries[0]!;
    const before = rec.posts().length;
    const c = bus.guest.close(ch);
    expect(c.settled).toBe(false);
    bus.run();
    expect(c.value).toEqual({ ok: true, value: undefined });
    expect(rec.posts().slice(before).map((p) => p.message?.type)).toEqual(['CHANNELMSG_CLOSECHANNEL', 'CHANNELMSG_GPADL_TEARDOWN']);
    expect(ch.state).toBe('CHANNEL_OPEN_STATE');
    expect(ch.ringBuffer).toBeNull();
    expect(hostNic.state).toBe('closed');
    expect(bus.memory.allocatedPages).toBe(3);
  });

  it('closing a primary closes its open subchannels first', () => {
    const { bus, drv, ...rec } = connectedNic();
    bus.host.addChannel({ ifType: HV_NIC_GUID, ifInstance: NIC_INSTANCE, subChannelIndex: 1 });
    bus.host.addChannel({ ifType: HV_NIC_GUID, ifInstance: NIC_INSTANCE, subChannelIndex: 2 });
    bus.run();
    expect(drv.opens.map((o) => o.value.ok)).toEqual([true, true, true]);
    const before = rec.posts().length;
    bus.guest.close(drv.primaries[0]!);
    bus.run();
    expect(rec.posts().slice(before).map((p) => [p.message?.type, (p.message?.msg as { child_relid: number }).child_relid])).toEqual([
      ['CHANNELMSG_CLOSECHANNEL', 2],
      ['CHANNELMSG_GPADL_TEARDOWN', 2],
      ['CHANNELMSG_CLOSECHANNEL', 3],
      ['CHANNELMSG_GPADL_TEARDOWN', 3],
      ['CHANNELMSG_CLOSECHANNEL', 1],
      ['CHANNELMSG_GPADL_TEARDOWN', 1],
    ]);
    expect(bus.host.allChannels.map((c) => c.state)).toEqual(['closed', 'closed', 'closed']);
  });

  it('close on a subchannel is refused (EINVAL): Linux closes subchannels only through their primary', () => {
    const { bus, drv } = connectedNic();
    bus.host.addChannel({ ifType: HV_NIC_GUID, ifInstance: NIC_INSTANCE, subChannelIndex: 1 });
    bus.run();
    const c = bus.guest.close(drv.subchannels[0]!);
    bus.run();
    expect(c.value).toEqual({ ok: false, error: 'EINVAL' });
    expect(drv.subchannels[0]!.state).toBe('CHANNEL_OPENED_STATE');
  });

  it('close of a channel that is not opened is EINVAL and posts nothing', () => {
    const { bus, drv, ...rec } = connectedNic({}, {}, { open: false });
    const before = rec.posts().length;
    const c = bus.guest.close(drv.primaries[0]!);
    bus.run();
    expect(c.value).toEqual({ ok: false, error: 'EINVAL' });
    expect(rec.posts()).toHaveLength(before);
  });

  it('a CLOSECHANNEL for a closed channel is dropped by the host (CHANNEL_NOT_OPEN)', () => {
    const { bus } = connectedNic({}, {}, { open: false });
    postRaw(bus, 4, encodeChannelMessage(makeChannelMessage('CHANNELMSG_CLOSECHANNEL', { child_relid: 1 })));
    bus.run();
    expect(bus.host.rejected.map((r) => r.reason)).toEqual(['CHANNEL_NOT_OPEN']);
  });

  it('the channel can be opened again after a close, with a new ring GPADL handle', () => {
    const { bus, drv, hostNic } = connectedNic();
    const ch = drv.primaries[0]!;
    bus.guest.close(ch);
    bus.run();
    const o = bus.guest.open(ch, { sendRingSize: 8192, recvRingSize: 8192 });
    bus.run();
    expect(o.value.ok).toBe(true);
    expect(ch.ringGpadlHandle).toBe(0xe1e11);
    expect(hostNic.state).toBe('open');
  });
});

describe('rescind and relid release', () => {
  it('a rescinded subchannel that was never opened is removed at once and its relid released', () => {
    const { bus, drv, ...rec } = connectedNic({}, {}, { open: false });
    const sub = bus.host.addChannel({ ifType: HV_NIC_GUID, ifInstance: NIC_INSTANCE, subChannelIndex: 1 });
    bus.run();
    expect(bus.host.rescind(sub)).toBe('OK');
    bus.run();
    expect(rec.posted('CHANNELMSG_RELID_RELEASED')).toEqual([{ header: { msgtype: 13 }, child_relid: 2 }]);
    expect(drv.primaries[0]!.subchannels).toHaveLength(0);
    expect(bus.guest.channel(2)).toBeNull();
    expect(bus.host.channel(2)).toBeUndefined();
    expect(bus.host.allChannels).toHaveLength(1);
  });

  it('a rescinded open primary: the driver removes it (CLOSECHANNEL, no GPADL_TEARDOWN), then RELID_RELEASED', () => {
    const { bus, drv, hostNic, ...rec } = connectedNic();
    const before = rec.posts().length;
    bus.host.rescind(hostNic);
    bus.run();
    expect(drv.removed).toHaveLength(1);
    expect(rec.posts().slice(before).map((p) => p.message?.type)).toEqual(['CHANNELMSG_CLOSECHANNEL', 'CHANNELMSG_RELID_RELEASED']);
    expect(bus.host.rejected).toHaveLength(0); // CLOSECHANNEL of a revoked channel is ignored quietly
    expect(bus.guest.chnList).toHaveLength(0);
    expect(bus.host.allChannels).toHaveLength(0);
    expect(bus.memory.allocatedPages).toBe(3);
  });

  it('rescinding a primary rescinds its subchannels first; opened subchannels go when the primary closes', () => {
    const { bus, drv, hostNic, ...rec } = connectedNic();
    bus.host.addChannel({ ifType: HV_NIC_GUID, ifInstance: NIC_INSTANCE, subChannelIndex: 1 });
    bus.run();
    bus.host.rescind(hostNic);
    bus.run();
    expect(rec.received('CHANNELMSG_RESCIND_CHANNELOFFER').map((r) => r.child_relid)).toEqual([2, 1]);
    expect(rec.posted('CHANNELMSG_RELID_RELEASED').map((r) => r.child_relid)).toEqual([2, 1]);
    expect(bus.host.allChannels).toHaveLength(0);
    expect(drv.subchannels[0]!.rescind).toBe(true);
  });

  it('a rescind of a closed primary: the driver\'s close finds it closed (EINVAL, nothing posted), then RELID_RELEASED', () => {
    const { bus, drv, hostNic, ...rec } = connectedNic();
    bus.guest.close(drv.primaries[0]!);
    bus.run();
    const before = rec.posts().length;
    bus.host.rescind(hostNic);
    bus.run();
    expect(drv.removed).toHaveLength(1);
    expect(rec.posts().slice(before).map((p) => p.message?.type)).toEqual(['CHANNELMSG_RELID_RELEASED']);
    expect(bus.host.allChannels).toHaveLength(0);
  });

  it('a RELID_RELEASED for a closed, not rescinded channel makes the host take the offer back', () => {
    const { bus, hostNic } = connectedNic({}, {}, { open: false });
    postRaw(bus, 4, encodeChannelMessage(makeChannelMessage('CHANNELMSG_RELID_RELEASED', { child_relid: 1 })));
    bus.run();
    expect(hostNic.state).toBe('unoffered');
    expect(bus.host.channel(1)).toBeUndefined();
    expect(bus.host.rejected).toHaveLength(0);
  });

  it('a second subchannel offer with an index already seen is linked again (6.1 does not check)', () => {
    const { bus, drv } = connectedNic({}, {}, { open: false });
    bus.host.addChannel({ ifType: HV_NIC_GUID, ifInstance: NIC_INSTANCE, subChannelIndex: 1 });
    bus.host.addChannel({ ifType: HV_NIC_GUID, ifInstance: NIC_INSTANCE, subChannelIndex: 1 });
    bus.run();
    expect(drv.primaries[0]!.subchannels.map((s) => [s.relid, s.subChannelIndex])).toEqual([
      [2, 1],
      [3, 1],
    ]);
  });

  it('a rescind for a relid the guest does not know is ignored', () => {
    const { bus } = connectedNic();
    hostSays(bus, makeChannelMessage('CHANNELMSG_RESCIND_CHANNELOFFER', { child_relid: 42 }));
    bus.run();
    expect(bus.guest.chnList).toHaveLength(1);
    expect(bus.guest.warnings).toHaveLength(0);
  });

  it('a rescind for a relid ≥ 2048 warns and is ignored', () => {
    const { bus } = connectedNic();
    hostSays(bus, makeChannelMessage('CHANNELMSG_RESCIND_CHANNELOFFER', { child_relid: 4096 }));
    bus.run();
    expect(bus.guest.warnings.map((w) => w.code)).toEqual(['RELID_OUT_OF_RANGE']);
  });

  it('a second rescind of the same channel is ignored (rescind_ref)', () => {
    const { bus, drv, ...rec } = connectedNic({}, {}, { closeOnRemove: false });
    hostSays(bus, makeChannelMessage('CHANNELMSG_RESCIND_CHANNELOFFER', { child_relid: 1 }));
    hostSays(bus, makeChannelMessage('CHANNELMSG_RESCIND_CHANNELOFFER', { child_relid: 1 }));
    bus.run();
    expect(drv.removed).toHaveLength(1);
    expect(rec.posted('CHANNELMSG_RELID_RELEASED')).toHaveLength(1);
  });

  it('the host refuses to rescind twice or an unknown channel', () => {
    const { bus, hostNic } = connectedNic();
    expect(bus.host.rescind(hostNic)).toBe('OK');
    expect(bus.host.rescind(hostNic)).toBe('EALREADY');
    bus.run();
    expect(bus.host.rescind(hostNic)).toBe('ENOENT');
  });

  it('a RELID_RELEASED for an open channel is dropped by the host (INVALID_CHANNEL_STATE)', () => {
    const { bus, hostNic } = connectedNic();
    postRaw(bus, 4, encodeChannelMessage(makeChannelMessage('CHANNELMSG_RELID_RELEASED', { child_relid: 1 })));
    bus.run();
    expect(bus.host.rejected.map((r) => r.reason)).toEqual(['INVALID_CHANNEL_STATE']);
    expect(hostNic.state).toBe('open');
  });

  it('sending on a rescinded channel is ENODEV', () => {
    const { bus, drv } = connectedNic({}, {}, { closeOnRemove: false });
    hostSays(bus, makeChannelMessage('CHANNELMSG_RESCIND_CHANNELOFFER', { child_relid: 1 }));
    bus.run();
    expect(drv.primaries[0]!.sendPacket(inband([1]), 1n)).toEqual({ ok: false, error: 'ENODEV' });
  });

  it('a rescinded channel gets no more interrupts', () => {
    const { bus, drv, hostNic } = connectedNic({}, {}, { closeOnRemove: false });
    const ch = drv.primaries[0]!;
    const cb = ch.onChannelCallback;
    hostSays(bus, makeChannelMessage('CHANNELMSG_RESCIND_CHANNELOFFER', { child_relid: 1 }));
    bus.run();
    ch.onChannelCallback = cb; // even with a callback back in place
    hostNic.signalGuest();
    bus.run();
    expect(ch.interrupts).toBe(0);
  });
});

describe('unload', () => {
  it('from 3.0 on: UNLOAD, wait for UNLOAD_RESPONSE; the host resets and the guest is DISCONNECTED', () => {
    const { bus, hostNic, ...rec } = connectedNic();
    const u = bus.guest.unload();
    bus.run();
    expect(u.settled).toBe(true);
    expect(rec.posted('CHANNELMSG_UNLOAD')).toHaveLength(1);
    expect(rec.received('CHANNELMSG_UNLOAD_RESPONSE')).toHaveLength(1);
    expect(bus.guest.connState).toBe('DISCONNECTED');
    expect(bus.host.isConnected).toBe(false);
    expect(hostNic.state).toBe('unoffered');
  });

  it('below 3.0 nothing is sent', () => {
    const rec = recordedBus({ host: { versions: [VERSION_WIN8] } });
    rec.bus.guest.connect();
    rec.bus.run();
    expect(rec.bus.guest.version).toBe(VERSION_WIN8);
    const u = rec.bus.guest.unload();
    rec.bus.run();
    expect(u.settled).toBe(true);
    expect(rec.posted('CHANNELMSG_UNLOAD')).toHaveLength(0);
  });

  it('offers that arrive after the unload are dropped (the work sees DISCONNECTED)', () => {
    const { bus } = connectedNic({}, {}, { open: false });
    bus.guest.unload();
    bus.run();
    hostSays(bus, makeChannelMessage('CHANNELMSG_OFFERCHANNEL', { offer: { ...bus.guest.chnList[0]!.offermsg.offer, if_instance: NIC2_INSTANCE }, child_relid: 5 }));
    bus.run();
    expect(bus.guest.chnList).toHaveLength(1);
    expect(bus.guest.offerInProgress).toBe(1); // 6.1 never decrements it for a dropped offer
  });

  it('the host drops channel messages before INITIATE_CONTACT (INVALID_MESSAGE_TYPE)', () => {
    const rec = recordedBus();
    postRaw(rec.bus, 1, encodeChannelMessage(makeChannelMessage('CHANNELMSG_REQUESTOFFERS')));
    rec.bus.run();
    expect(rec.bus.host.rejected.map((r) => [r.reason, r.msgtype])).toEqual([['INVALID_MESSAGE_TYPE', 3]]);
  });
});

describe('channel CPUs (init_vp_index, drivers/hv/channel_mgmt.c)', () => {
  const vps = (rec: ReturnType<typeof connectedNic>) => rec.posted('CHANNELMSG_OPENCHANNEL').map((m) => [m.child_relid, m.target_vp]);
  const offer = (bus: Bus, ...idx: number[]) => idx.map((i) => bus.host.addChannel({ ifType: HV_NIC_GUID, ifInstance: NIC_INSTANCE, subChannelIndex: i }));

  it('a NIC primary and its subchannels go to the first free CPUs, one each', () => {
    const rec = connectedNic({ guest: { cpus: 4 } });
    offer(rec.bus, 1, 2, 3);
    rec.bus.run();
    expect(vps(rec)).toEqual([[1, 0], [2, 1], [3, 2], [4, 3]]);
  });

  it('a removed subchannel gives its CPU back (hv_process_channel_removal); the next offer takes it', () => {
    // offered, never opened: a rescind removes the channel at once (RELID_RELEASED)
    const rec = connectedNic({ guest: { cpus: 4 } }, {}, { open: false });
    const [s1, s2] = offer(rec.bus, 1, 2);
    rec.bus.run();
    const vp = (relid: number) => rec.bus.guest.channel(relid)?.targetVp;
    expect([vp(1), vp(2), vp(3)]).toEqual([0, 1, 2]);
    rec.bus.host.rescind(s1!);
    rec.bus.run();
    expect(rec.posted('CHANNELMSG_RELID_RELEASED').map((m) => m.child_relid)).toEqual([2]);
    const [s3] = offer(rec.bus, 3);
    rec.bus.run();
    expect([vp(s2!.relid), vp(s3!.relid)]).toEqual([2, 1]);
  });

  it('when every CPU has had a channel the map starts over, skipping the CPUs the primary and its siblings use', () => {
    // 2 CPUs: sc1 takes 1; sc2 finds both taken, starts over at 0 (the primary's), then 1 (sc1's), and
    // past ncpu tries keeps 0; sc3 (index ≥ ncpu) takes the first free CPU without looking
    const rec = connectedNic({ guest: { cpus: 2 } });
    offer(rec.bus, 1, 2, 3);
    rec.bus.run();
    expect(vps(rec)).toEqual([[1, 0], [2, 1], [3, 0], [4, 1]]);
  });

  it('a subchannel skips a CPU its primary already uses, even when another device left it the only free one', () => {
    // 3 CPUs: NIC primary 0, a SCSI primary 1, NIC sc1 2; sc2 finds all taken, starts over at 0, which
    // is its primary's (hv_cpuself_used), and takes 1 instead
    const rec = connectedNic({ guest: { cpus: 3 } });
    const scsi = rec.bus.host.addChannel({ ifType: HV_SCSI_GUID, ifInstance: NIC2_INSTANCE });
    rec.bus.run();
    offer(rec.bus, 1, 2);
    rec.bus.run();
    expect(rec.bus.guest.channel(scsi.relid)?.targetVp).toBe(1);
    expect(vps(rec)).toEqual([[1, 0], [3, 2], [4, 1]]);
  });

  it('a channel of a class that is not a perf device stays on CPU 0 and takes no CPU from the NICs', () => {
    const rec = connectedNic({ guest: { cpus: 4 } });
    rec.bus.host.addChannel({ ifType: HV_KVP_GUID, ifInstance: NIC2_INSTANCE });
    offer(rec.bus, 1);
    rec.bus.run();
    const kvp = rec.received('CHANNELMSG_OFFERCHANNEL').find((o) => o.offer.if_type === HV_KVP_GUID)!;
    expect(rec.bus.guest.channel(kvp.child_relid)?.targetVp).toBe(0);
    expect(vps(rec)).toEqual([[1, 0], [3, 1]]);
  });

  it('a MODIFYCHANNEL moves the channel CPU: the old one is free again, the new one taken', () => {
    const rec = connectedNic({ guest: { cpus: 4 } });
    expect(rec.bus.guest.modifyChannel(rec.drv.primaries[0]!, 2).settled).toBe(false);
    rec.bus.run();
    offer(rec.bus, 1, 2);
    rec.bus.run();
    // CPU 0 was given back; CPU 2 is the primary's, so the subchannels get 0 (not the primary's) and 1
    expect(vps(rec)).toEqual([[1, 0], [2, 0], [3, 1]]);
  });
});

describe('MODIFYCHANNEL', () => {
  it('on 5.3 the guest waits for MODIFYCHANNEL_RESPONSE', () => {
    const { bus, drv, hostNic, ...rec } = connectedNic();
    const m = bus.guest.modifyChannel(drv.primaries[0]!, 3);
    bus.run();
    expect(m.value).toEqual({ ok: true, value: undefined });
    expect(rec.received('CHANNELMSG_MODIFYCHANNEL_RESPONSE')).toEqual([{ header: { msgtype: 24 }, child_relid: 1, status: 0 }]);
    expect(hostNic.targetVp).toBe(3);
    expect(drv.primaries[0]!.targetVp).toBe(3);
  });

  it('between 4.1 and 5.2 there is no response and the guest does not wait', () => {
    const { bus, drv, ...rec } = connectedNic({ host: { versions: [VERSION_WIN10_V5_2] } });
    const m = bus.guest.modifyChannel(drv.primaries[0]!, 2);
    expect(m.value).toEqual({ ok: true, value: undefined });
    bus.run();
    expect(rec.received('CHANNELMSG_MODIFYCHANNEL_RESPONSE')).toHaveLength(0);
  });

  it('below 4.1, or on a channel that is not opened, it is EIO', () => {
    const a = connectedNic({ host: { versions: [VERSION_WIN10] } });
    expect(a.bus.guest.modifyChannel(a.drv.primaries[0]!, 1).value).toEqual({ ok: false, error: 'EIO' });
    const b = connectedNic({}, {}, { open: false });
    expect(b.bus.guest.modifyChannel(b.drv.primaries[0]!, 1).value).toEqual({ ok: false, error: 'EIO' });
  });

  it('the host drops MODIFYCHANNEL below 4.1 (INVALID_MESSAGE_TYPE)', () => {
    const { bus } = connectedNic({ host: { versions: [VERSION_WIN10] } });
    postRaw(bus, 1, encodeChannelMessage(makeChannelMessage('CHANNELMSG_MODIFYCHANNEL', { child_relid: 1, target_vp: 1 })));
    bus.run();
    expect(bus.host.rejected.map((r) => r.reason)).toEqual(['INVALID_MESSAGE_TYPE']);
  });
});

describe('the hypervisor and posting', () => {
  it('refuses a post of more than 240 bytes (HV_STATUS_INVALID_PARAMETER) and an unknown connection id', () => {
    const rec = recordedBus();
    expect(postRaw(rec.bus, 4, new Uint8Array(8), 241)).toBe(HV_STATUS_INVALID_PARAMETER);
    expect(postRaw(rec.bus, 9, new Uint8Array(8))).toBe(18);
  });

  it('the host drops a message shorter than 8 bytes or shorter than its struct (MESSAGE_TOO_SMALL)', () => {
    const { bus } = connectedNic();
    postRaw(bus, 4, new Uint8Array([7, 0, 0, 0]));
    postRaw(bus, 4, new Uint8Array([7, 0, 0, 0, 0, 0, 0, 0, 1]));
    bus.run();
    expect(bus.host.rejected.map((r) => [r.reason, r.msgtype])).toEqual([
      ['MESSAGE_TOO_SMALL', 7],
      ['MESSAGE_TOO_SMALL', 7],
    ]);
  });

  it('the host drops host→guest message types and unknown types (INVALID_MESSAGE_TYPE)', () => {
    const { bus } = connectedNic();
    postRaw(bus, 4, encodeChannelMessage(makeChannelMessage('CHANNELMSG_OFFERCHANNEL')));
    postRaw(bus, 4, new Uint8Array([30, 0, 0, 0, 0, 0, 0, 0]));
    bus.run();
    expect(bus.host.rejected.map((r) => [r.reason, r.msgtype])).toEqual([
      ['INVALID_MESSAGE_TYPE', 1],
      ['INVALID_MESSAGE_TYPE', 30],
    ]);
  });

  it('transient post failures are retried; 100 failures give ENOBUFS', () => {
    const { bus, drv } = connectedNic({}, {}, { open: false });
    bus.hypervisor.injectPostFailures(HV_STATUS_INSUFFICIENT_BUFFERS, HV_STATUS_INSUFFICIENT_BUFFERS);
    const ok = bus.guest.open(drv.primaries[0]!, { sendRingSize: 8192, recvRingSize: 8192 });
    bus.run();
    expect(ok.value.ok).toBe(true);
    bus.hypervisor.injectPostFailures(...new Array(100).fill(HV_STATUS_INSUFFICIENT_BUFFERS));
    const g = bus.guest.establishGpadl(drv.primaries[0]!, (bus.memory.alloc(1) as { buffer: import('../../src/vmbus/memory.js').GuestBuffer }).buffer);
    bus.run();
    expect(g.value).toEqual({ ok: false, error: 'ENOBUFS' });
  });

  it('host → guest messages wait while the slot is full; msg_pending makes the guest ask for the next', () => {
    const rec = recordedBus();
    rec.bus.host.addChannel({ ifType: HV_NIC_GUID, ifInstance: NIC_INSTANCE });
    rec.bus.host.addChannel({ ifType: HV_NIC_GUID, ifInstance: NIC2_INSTANCE });
    rec.bus.guest.connect();
    rec.bus.run();
    const slots = rec.events.flatMap((e) => (e.kind === 'message' ? [e.slot] : []));
    expect(slots.map((s) => s[5])).toEqual([0, 1, 1, 0]); // offers and ALLOFFERS_DELIVERED were queued behind each other
    expect(rec.bus.hypervisor.queuedToGuest).toBe(0);
  });

  it('event flag bit 0 is not a channel; bits for unknown relids are ignored', () => {
    const { bus, drv } = connectedNic();
    bus.hypervisor.signalGuest(0);
    bus.hypervisor.signalGuest(500);
    bus.run();
    expect(drv.primaries[0]!.interrupts).toBe(0);
    expect(bus.hypervisor.siefp.subarray(512, 768).every((b) => b === 0)).toBe(true);
  });

  it('batched channels mask host interrupts while the callback drains and unmask afterwards', () => {
    const { bus, drv, hostNic } = connectedNic();
    const ch = drv.primaries[0]!;
    const masks: number[] = [];
    const inner = ch.onChannelCallback!;
    ch.onChannelCallback = (c) => {
      masks.push(c.rings!.inbound.interruptMask);
      inner(c);
    };
    hostNic.send({ kind: 'inband', flags: 0, trans_id: 5n, payload: new Uint8Array(8) });
    bus.run();
    expect(masks).toEqual([1]);
    expect(ch.rings!.inbound.interruptMask).toBe(0);
    expect(drv.inbox.get(1)).toHaveLength(1);
  });

  it('a monitored offer: the guest signals through the monitor page and the hypervisor wakes the host', () => {
    const rec = recordedBus();
    let hostInterrupts = 0;
    const h = rec.bus.host.addChannel({ ifType: HV_NIC_GUID, ifInstance: NIC_INSTANCE, monitorId: 33 }, { interrupt: () => hostInterrupts++ });
    const drv = netvscLike(rec.bus.guest);
    rec.bus.guest.connect();
    rec.bus.run();
    const offer = rec.received('CHANNELMSG_OFFERCHANNEL')[0]!;
    expect([offer.monitorid, offer.monitor_allocated]).toEqual([33, 1]);
    const ch = drv.primaries[0]!;
    ch.sendPacket(inband([1]), 0n);
    const page = rec.bus.guest.monitorPages![1].bytes;
    expect(page[8 + 8 * 1]! & 0b10).toBe(0b10); // trigger_group[1].pending bit 1
    expect(rec.bus.guest.intPage!.bytes[2048]! & 0b10).toBe(0b10); // relid 1 in the send half
    expect(rec.events.filter((e) => e.kind === 'signal')).toHaveLength(0);
    rec.bus.run();
    expect(hostInterrupts).toBe(1);
    expect(page[16]).toBe(0);
    expect(h.state).toBe('open');
  });
});

describe('determinism', () => {
  const scenario = (seed: number) => {
    const rec = recordedBus({ seed });
    const hostNic = rec.bus.host.addChannel({ ifType: HV_NIC_GUID, ifInstance: NIC_INSTANCE });
    netvscLike(rec.bus.guest, { rqstorSize: 8 });
    rec.bus.guest.connect();
    rec.bus.run();
    for (let i = 1; i <= 7; i++) rec.bus.host.addChannel({ ifType: HV_NIC_GUID, ifInstance: NIC_INSTANCE, subChannelIndex: i });
    rec.bus.run();
    rec.bus.host.rescind(hostNic);
    rec.bus.run();
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    return rec.events.map((e) => `${e.time}:${e.kind}:${e.kind === 'post' ? e.connectionId + ':' + hex(e.payload) : e.kind === 'message' ? hex(e.slot) : e.kind === 'signal' ? e.connectionId : e.relid}`);
  };

  it('the same seed gives the same bytes in the same order at the same virtual times', () => {
    const a = scenario(11);
    expect(a.length).toBeGreaterThan(50);
    expect(scenario(11)).toEqual(a);
  });

  it('every seed ends in the same state: all channels released on both sides', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const rec = recordedBus({ seed });
      const hostNic = rec.bus.host.addChannel({ ifType: HV_NIC_GUID, ifInstance: NIC_INSTANCE });
      netvscLike(rec.bus.guest);
      rec.bus.guest.connect();
      rec.bus.run();
      for (let i = 1; i <= 3; i++) rec.bus.host.addChannel({ ifType: HV_NIC_GUID, ifInstance: NIC_INSTANCE, subChannelIndex: i });
      rec.bus.run();
      rec.bus.host.rescind(hostNic);
      rec.bus.run();
      expect(rec.bus.host.allChannels).toHaveLength(0);
      expect(rec.bus.guest.chnList).toHaveLength(0);
      expect(rec.bus.memory.allocatedPages).toBe(3);
      expect(rec.bus.host.rejected).toHaveLength(0);
    }
  });

  it('ring pages are contiguous guest memory, so the host maps exactly the guest bytes', () => {
    const { drv, hostNic } = connectedNic();
    const ch = drv.primaries[0]!;
    expect(hostNic.rings!.inbound.mem.buffer).toBe(ch.ringBuffer!.bytes.buffer);
    expect(hostNic.rings!.inbound.mem.byteOffset).toBe(ch.ringBuffer!.bytes.byteOffset);
    expect(hostNic.rings!.outbound.mem.byteOffset - ch.ringBuffer!.bytes.byteOffset).toBe(16 * 4096);
    expect(RING_CONTROL_SIZE).toBe(4096);
    expect(GuestMemory.pfns(ch.ringBuffer!)).toHaveLength(32);
  });
});

describe('hostile input never throws', () => {
  const msgtypeBiased = fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constant(0xffffffff));

  it('any bytes posted to the host are handled or rejected with a reason, and the channels stay intact', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(msgtypeBiased, fc.uint8Array({ maxLength: 232 }), fc.constantFrom(1, 4)), { maxLength: 12 }),
        fc.integer({ min: 1, max: 50 }),
        (posts, seed) => {
          const { bus, drv, hostNic } = connectedNic({ seed });
          for (const [t, body, conn] of posts) {
            const b = new Uint8Array(8 + body.length);
            b.set([t & 0xff, (t >>> 8) & 0xff, (t >>> 16) & 0xff, t >>> 24]);
            // keep a relid of 1 often, so messages reach real channels
            if (body.length >= 4 && body[0]! < 128) b.set([1, 0, 0, 0], 8);
            b.set(body, 8);
            postRaw(bus, conn, b);
          }
          bus.run();
          expect(['open', 'closed', 'revoked', 'unoffered']).toContain(hostNic.state);
          for (const r of bus.host.rejected) expect(typeof r.reason).toBe('string');
          // the guest's own channel is still usable when the host still has it open
          if (hostNic.state === 'open' && drv.primaries[0]!.state === 'CHANNEL_OPENED_STATE') {
            expect(drv.primaries[0]!.sendPacket(inband([1]), 1n).ok).toBe(true);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('any SynIC slot delivered to the guest is handled or dropped, never thrown', () => {
    const slot = fc
      .tuple(msgtypeBiased, fc.integer({ min: 0, max: 255 }), fc.uint8Array({ minLength: 232, maxLength: 232 }), fc.integer({ min: 0, max: 3000 }))
      .map(([t, size, body, relid]) => {
        const s = new Uint8Array(256);
        s[0] = 1;
        s[4] = size;
        s.set([t & 0xff, (t >>> 8) & 0xff, (t >>> 16) & 0xff, t >>> 24], 16);
        s.set(body, 24);
        if (body[0]! < 160) s.set([relid & 0xff, relid >> 8, 0, 0], 24); // a small relid most of the time
        return s;
      });
    fc.assert(
      fc.property(fc.array(slot, { maxLength: 10 }), fc.integer({ min: 1, max: 50 }), (slots, seed) => {
        const { bus } = connectedNic({ seed });
        for (const s of slots) bus.hypervisor.sendRawSlotToGuest(s);
        bus.run();
        expect(bus.guest.verdicts.length).toBeGreaterThanOrEqual(3);
        expect(bus.hypervisor.queuedToGuest).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
});
