/**
 * Model-based test of the control plane: arbitrary interleavings of host offers (primaries and
 * subchannels), guest opens and closes, host rescinds, and packets both ways, each followed by
 * running the bus to quiescence. After every step the guest, the host and guest memory must agree
 * with a small model, nothing may be left waiting, and neither side may have rejected or warned
 * about anything the other did.
 */
import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import { createBus, type Bus } from '../../src/vmbus/bus.js';
import { HV_NIC_GUID } from '../../src/vmbus/guids.js';
import type { GuestChannel, VmbusResult } from '../../src/vmbus/linux-vmbus.js';
import { decodePacket } from '../../src/vmbus/packet.js';
import type { Completion } from '../../src/vmbus/scheduler.js';
import type { HostChannel } from '../../src/vmbus/vmbus-server.js';

const INSTANCES = ['10000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000002', '30000000-0000-4000-8000-000000000003'];
const RING_PAGES = 2 + 2;

interface ModelChannel {
  instance: number;
  index: number;
  opened: boolean;
  rescinded: boolean;
  sentToHost: number[];
  sentToGuest: number[];
}

interface Model {
  channels: ModelChannel[];
}

interface Real {
  bus: Bus;
  hostOf: Map<ModelChannel, HostChannel>;
  /** Packets each host channel read, as first payload bytes. */
  hostInbox: Map<HostChannel, number[]>;
  /** Packets each guest channel read. */
  guestInbox: Map<GuestChannel, number[]>;
  seq: number;
}

function guestOf(r: Real, m: ModelChannel): GuestChannel | undefined {
  const primary = r.bus.guest.chnList.find((c) => c.offermsg.offer.if_instance === INSTANCES[m.instance]);
  if (!primary) return undefined;
  return m.index === 0 ? primary : primary.subchannels.find((s) => s.subChannelIndex === m.index);
}

function settle(r: Real): void {
  r.bus.run();
}

function check(m: Model, r: Real): void {
  const { bus } = r;
  expect(bus.host.rejected).toEqual([]);
  expect(bus.guest.warnings).toEqual([]);
  expect(bus.guest.pendingRequests).toBe(0);
  const live = m.channels;
  expect(bus.guest.chnList.length).toBe(live.filter((c) => c.index === 0).length);
  let ringPages = 0;
  for (const c of live) {
    const g = guestOf(r, c);
    expect(g, `guest channel ${c.instance}/${c.index}`).toBeDefined();
    expect(g!.state).toBe(c.opened ? 'CHANNEL_OPENED_STATE' : 'CHANNEL_OPEN_STATE');
    expect(g!.rescind).toBe(c.rescinded);
    const h = r.hostOf.get(c)!;
    expect(h.relid).toBe(g!.relid);
    expect(h.state).toBe(c.rescinded ? 'revoked' : c.opened ? 'open' : 'closed');
    if (c.opened) ringPages += RING_PAGES;
    expect(r.hostInbox.get(h) ?? []).toEqual(c.sentToHost);
    expect(r.guestInbox.get(g!) ?? []).toEqual(c.sentToGuest);
  }
  expect(bus.host.allChannels.length).toBe(live.length);
  expect(bus.memory.allocatedPages).toBe(3 + ringPages);
}

type Cmd = fc.Command<Model, Real>;

/** The host offers primary `instance` (index 0) or one of its subchannels, unless that channel exists. */
class AddChannel implements Cmd {
  constructor(
    readonly instance: number,
    readonly index: number,
  ) {}
  check(m: Readonly<Model>) {
    if (this.index === 0) return !m.channels.some((c) => c.instance === this.instance);
    const p = m.channels.find((c) => c.instance === this.instance && c.index === 0);
    return !!p && !p.rescinded && !m.channels.some((c) => c.instance === this.instance && c.index === this.index);
  }
  run(m: Model, r: Real) {
    const mc: ModelChannel = { instance: this.instance, index: this.index, opened: false, rescinded: false, sentToHost: [], sentToGuest: [] };
    m.channels.push(mc);
    r.hostOf.set(mc, addHost(r, this.instance, this.index));
    settle(r);
    check(m, r);
  }
  toString() {
    return this.index === 0 ? `AddPrimary(${this.instance})` : `AddSubchannel(${this.instance}, ${this.index})`;
  }
}

function addHost(r: Real, instance: number, index: number): HostChannel {
  return r.bus.host.addChannel(
    { ifType: HV_NIC_GUID, ifInstance: INSTANCES[instance]!, subChannelIndex: index },
    {
      interrupt: (h) => {
        const box = r.hostInbox.get(h) ?? [];
        r.hostInbox.set(h, box);
        for (let p = h.rings!.inbound.read(); p; p = h.rings!.inbound.read()) box.push(decodePacket(p.packet).payload[0]!);
      },
    },
  );
}

function pick(m: Readonly<Model>, i: number, pred: (c: ModelChannel) => boolean): ModelChannel | undefined {
  const xs = m.channels.filter(pred);
  return xs.length ? xs[i % xs.length] : undefined;
}

/**
 * A command on the `which`-th (modulo their number) model channel it `appliesTo`; it does not run
 * when there is none. `act` leaves the bus settled; then guest, host and memory are checked
 * against the model.
 */
abstract class ChannelCmd implements Cmd {
  constructor(readonly which: number) {}
  protected abstract readonly label: string;
  protected abstract appliesTo(c: ModelChannel): boolean;
  protected abstract act(c: ModelChannel, m: Model, r: Real): void;
  check(m: Readonly<Model>) {
    return !!pick(m, this.which, (c) => this.appliesTo(c));
  }
  run(m: Model, r: Real) {
    this.act(pick(m, this.which, (c) => this.appliesTo(c))!, m, r);
    check(m, r);
  }
  toString() {
    return `${this.label}(${this.which})`;
  }
}

class Open extends ChannelCmd {
  protected readonly label = 'Open';
  protected appliesTo(c: ModelChannel) {
    return !c.opened && !c.rescinded;
  }
  protected act(c: ModelChannel, m: Model, r: Real) {
    const g = guestOf(r, c)!;
    const inbox: number[] = [];
    r.guestInbox.set(g, inbox);
    const o: Completion<VmbusResult> = r.bus.guest.open(g, {
      sendRingSize: 2 * 4096,
      recvRingSize: 2 * 4096,
      rqstorSize: 4,
      callback: (ch) => {
        const rx = ch.rings!.inbound;
        for (let p = rx.first(); p; p = rx.next()) inbox.push(decodePacket(p.bytes).payload[0]!);
        ch.closeRead();
      },
    });
    settle(r);
    expect(o.value).toEqual({ ok: true, value: undefined });
    c.opened = true;
    c.sentToGuest = [];
    c.sentToHost = [];
    r.hostInbox.set(r.hostOf.get(c)!, []);
  }
}

/** Drops the channels Linux forgets after a close or removal of their primary. */
function closePrimaryInModel(m: Model, instance: number): void {
  for (const c of m.channels) if (c.instance === instance) c.opened = false;
  m.channels = m.channels.filter((c) => !(c.instance === instance && c.index !== 0 && c.rescinded));
}

class Close extends ChannelCmd {
  protected readonly label = 'Close';
  protected appliesTo(c: ModelChannel) {
    return c.index === 0 && c.opened && !c.rescinded;
  }
  protected act(c: ModelChannel, m: Model, r: Real) {
    const done = r.bus.guest.close(guestOf(r, c)!);
    settle(r);
    expect(done.value).toEqual({ ok: true, value: undefined });
    closePrimaryInModel(m, c.instance);
  }
}

class Rescind extends ChannelCmd {
  protected readonly label = 'Rescind';
  protected appliesTo(c: ModelChannel) {
    return !c.rescinded;
  }
  protected act(c: ModelChannel, m: Model, r: Real) {
    expect(r.bus.host.rescind(r.hostOf.get(c)!)).toBe('OK');
    settle(r);
    if (c.index === 0) {
      // the primary and all its subchannels go; its driver closes what was open
      m.channels = m.channels.filter((x) => x.instance !== c.instance);
    } else if (c.opened) {
      c.rescinded = true; // kept (and still OPENED) until the primary is closed
    } else {
      m.channels = m.channels.filter((x) => x !== c);
    }
  }
}

/** One in-band packet carrying one sequence byte, from the guest or from the host. */
class Sends extends ChannelCmd {
  protected readonly label: string;
  constructor(
    readonly from: 'guest' | 'host',
    which: number,
  ) {
    super(which);
    this.label = from === 'guest' ? 'GuestSends' : 'HostSends';
  }
  protected appliesTo(c: ModelChannel) {
    return c.opened && !c.rescinded;
  }
  protected act(c: ModelChannel, _m: Model, r: Real) {
    const v = r.seq++ & 0xff;
    const packet = { kind: 'inband', flags: 0, trans_id: 0n, payload: new Uint8Array([v]) } as const;
    if (this.from === 'guest') {
      const res = guestOf(r, c)!.sendPacket(packet, BigInt(v));
      if (res.ok) c.sentToHost.push(v);
      else expect(res.error).toBe('EAGAIN');
    } else {
      const res = r.hostOf.get(c)!.send(packet);
      if (res.ok) c.sentToGuest.push(v);
    }
    settle(r);
  }
}

const commands = [
  fc.integer({ min: 0, max: 2 }).map((i) => new AddChannel(i, 0)),
  fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 3 })).map(([i, k]) => new AddChannel(i, k)),
  fc.nat(20).map((i) => new Open(i)),
  fc.nat(20).map((i) => new Close(i)),
  fc.nat(20).map((i) => new Rescind(i)),
  fc.nat(20).map((i) => new Sends('guest', i)),
  fc.nat(20).map((i) => new Sends('host', i)),
];

/** A bus whose guest has netvsc's driver shape (nothing opened at probe; removal closes the primary), connected. */
function nicBus(seed: number): Bus {
  const bus = createBus({ seed });
  bus.guest.registerDriver({ name: 'hv_netvsc', ifType: HV_NIC_GUID, probe: () => undefined, remove: (ch, g) => g.close(ch) });
  bus.guest.connect();
  bus.run();
  return bus;
}

describe('model-based: offers, opens, closes, rescinds in any order', () => {
  it('guest, host and memory always agree with the model', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.commands(commands, { maxCommands: 60, size: 'large' }), (seed, cmds) => {
        const bus = nicBus(seed);
        const real: Real = { bus, hostOf: new Map(), hostInbox: new Map(), guestInbox: new Map(), seq: 0 };
        fc.modelRun(() => ({ model: { channels: [] }, real }), cmds);
      }),
      { numRuns: 150 },
    );
  });
});

/**
 * The same operations without waiting in between: each is issued at a random virtual time, so
 * rescinds race opens, closes race offers, and so on. At the end everything must have settled
 * into a state both sides agree on.
 */
describe('model-based: racing operations', () => {
  type Op = { at: number; kind: 'addPrimary' | 'addSub' | 'open' | 'close' | 'rescind' | 'send'; n: number };
  const op = fc.record({
    at: fc.integer({ min: 0, max: 400_000 }),
    kind: fc.constantFrom<Op['kind']>('addPrimary', 'addSub', 'open', 'close', 'rescind', 'send'),
    n: fc.nat(30),
  });

  it('ends with no waiter, no rejection, and guest, host and memory in agreement', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.array(op, { minLength: 1, maxLength: 40 }), (seed, ops) => {
        const bus = nicBus(seed);
        const subIndex = new Map<string, number>();
        const live = () => bus.host.allChannels.filter((h) => h.state !== 'revoked');
        const guestChannels = () => bus.guest.chnList.flatMap((p) => [p, ...p.subchannels]);
        const opens: Completion<VmbusResult>[] = [];
        // drivers serialize open and close of a device (netvsc under RTNL): no op on a busy device
        const busy = new Set<GuestChannel>();
        const deviceOf = (g: GuestChannel) => g.primary ?? g;
        const idle = (g: GuestChannel) => !busy.has(deviceOf(g));
        const hold = (g: GuestChannel, c: Completion<unknown>) => {
          busy.add(deviceOf(g));
          c.then(() => busy.delete(deviceOf(g)));
        };
        for (const o of ops) {
          bus.scheduler.schedule(o.at, () => {
            const hosts = live();
            const gs = guestChannels();
            switch (o.kind) {
              case 'addPrimary': {
                const inst = INSTANCES[o.n % INSTANCES.length]!;
                if (!bus.host.allChannels.some((h) => h.params.ifInstance === inst)) bus.host.addChannel({ ifType: HV_NIC_GUID, ifInstance: inst });
                break;
              }
              case 'addSub': {
                const prim = hosts.filter((h) => (h.params.subChannelIndex ?? 0) === 0);
                const p = prim[o.n % Math.max(1, prim.length)];
                if (!p) break;
                const k = (subIndex.get(p.params.ifInstance) ?? 0) + 1;
                subIndex.set(p.params.ifInstance, k);
                bus.host.addChannel({ ifType: HV_NIC_GUID, ifInstance: p.params.ifInstance, subChannelIndex: k });
                break;
              }
              case 'open': {
                const c = gs.filter((g) => g.state === 'CHANNEL_OPEN_STATE' && !g.rescind && idle(g))[o.n % Math.max(1, gs.length)];
                if (!c) break;
                const done = bus.guest.open(c, { sendRingSize: 8192, recvRingSize: 8192, callback: (ch) => ch.closeRead() });
                opens.push(done);
                hold(c, done);
                break;
              }
              case 'close': {
                const c = bus.guest.chnList.filter((g) => g.state === 'CHANNEL_OPENED_STATE' && idle(g))[o.n % Math.max(1, gs.length)];
                if (c) hold(c, bus.guest.close(c));
                break;
              }
              case 'rescind': {
                const h = hosts[o.n % Math.max(1, hosts.length)];
                if (h) bus.host.rescind(h);
                break;
              }
              case 'send': {
                const c = gs.filter((g) => g.state === 'CHANNEL_OPENED_STATE')[o.n % Math.max(1, gs.length)];
                c?.sendPacket({ kind: 'inband', flags: 0, trans_id: 0n, payload: new Uint8Array([1]) }, 1n);
                break;
              }
            }
          });
        }
        bus.run();
        expect(bus.host.rejected).toEqual([]);
        expect(bus.guest.warnings).toEqual([]);
        expect(bus.guest.pendingRequests).toBe(0);
        expect(opens.every((c) => c.settled)).toBe(true);
        // every channel the host still has is known to the guest under the same relid, and vice versa
        const gs = guestChannels();
        for (const h of bus.host.allChannels) {
          const g = gs.find((x) => x.relid === h.relid)!;
          expect(g, `host relid ${h.relid} (${h.state})`).toBeDefined();
          expect(g.offermsg.offer.if_instance).toBe(h.params.ifInstance);
          if (h.state === 'revoked') expect(g.rescind).toBe(true);
          else expect(h.state).toBe(g.state === 'CHANNEL_OPENED_STATE' ? 'open' : 'closed');
        }
        expect(gs.length).toBe(bus.host.allChannels.length);
        const ringPages = gs.reduce((n, g) => n + (g.ringBuffer ? g.ringBuffer.pageCount : 0), 0);
        expect(bus.memory.allocatedPages).toBe(3 + ringPages);
        for (const g of gs) expect(g.ringBuffer !== null).toBe(g.state === 'CHANNEL_OPENED_STATE');
      }),
      { numRuns: 200 },
    );
  });
});
