/** Shared fixtures of the bus tests: a recorded bus, a netvsc-like driver, raw injection. */
import { createBus, type Bus, type BusOptions } from '../../src/vmbus/bus.js';
import { HV_NIC_GUID } from '../../src/vmbus/guids.js';
import type { HypervisorEvent } from '../../src/vmbus/hypervisor.js';
import type { GuestChannel, OpenOptions, VmbusGuest, VmbusResult } from '../../src/vmbus/linux-vmbus.js';
import {
  decodeChannelMessage,
  encodeChannelMessage,
  hv_input_post_message,
  type ChannelMessage,
  type ChannelMessageType,
  type MessageOf,
} from '../../src/vmbus/messages.js';
import type { Completion } from '../../src/vmbus/scheduler.js';

export const NIC_INSTANCE = '7a3c5f10-2b4d-4e6f-9a81-0c2d3e4f5a6b';
export const NIC2_INSTANCE = '00000000-1111-2222-3333-444444444444';

export interface Decoded {
  readonly time: number;
  readonly connectionId?: number;
  readonly status?: number;
  readonly message: ChannelMessage | null;
}

export interface Recorded {
  readonly bus: Bus;
  readonly events: HypervisorEvent[];
  /** Guest → host posts (accepted or not), decoded. */
  posts(): Decoded[];
  /** Host → guest messages as delivered, decoded. */
  delivered(): Decoded[];
  /** The messages of one type the guest posted (accepted ones). */
  posted<K extends ChannelMessageType>(type: K): MessageOf<K>[];
  /** The messages of one type the guest received. */
  received<K extends ChannelMessageType>(type: K): MessageOf<K>[];
}

function tryDecode(b: Uint8Array): ChannelMessage | null {
  try {
    return decodeChannelMessage(b);
  } catch {
    return null;
  }
}

export function recordedBus(options: BusOptions = {}): Recorded {
  const events: HypervisorEvent[] = [];
  const bus = createBus({ ...options, hypervisor: { ...options.hypervisor, tap: (e) => events.push(e) } });
  const posts = () =>
    events.flatMap((e) => (e.kind === 'post' ? [{ time: e.time, connectionId: e.connectionId, status: e.status, message: tryDecode(e.payload) }] : []));
  const delivered = () =>
    events.flatMap((e) => (e.kind === 'message' ? [{ time: e.time, message: tryDecode(e.slot.subarray(16, 16 + Math.min(e.slot[4]!, 240))) }] : []));
  return {
    bus,
    events,
    posts,
    delivered,
    posted: (type) => posts().flatMap((d) => (d.status === 0 && d.message?.type === type ? [d.message.msg as never] : [])),
    received: (type) => delivered().flatMap((d) => (d.message?.type === type ? [d.message.msg as never] : [])),
  };
}

/** A driver that opens each primary it is given and each subchannel offered for it, as netvsc does. */
export interface NetvscLike {
  readonly primaries: GuestChannel[];
  readonly subchannels: GuestChannel[];
  readonly opens: Completion<VmbusResult>[];
  readonly removed: GuestChannel[];
  /** Packets read by the channel callbacks, per relid. */
  readonly inbox: Map<number, Uint8Array[]>;
}

export function netvscLike(guest: VmbusGuest, ring: Partial<OpenOptions> = {}, options: { open?: boolean; closeOnRemove?: boolean } = {}): NetvscLike {
  const d: NetvscLike = { primaries: [], subchannels: [], opens: [], removed: [], inbox: new Map() };
  const callback = (ch: GuestChannel) => {
    const box = d.inbox.get(ch.relid) ?? [];
    d.inbox.set(ch.relid, box);
    const rx = ch.rings!.inbound;
    for (let p = rx.first(); p; p = rx.next()) box.push(p.bytes.slice());
    ch.closeRead();
  };
  const opts: OpenOptions = { sendRingSize: 16 * 4096, recvRingSize: 16 * 4096, callback, ...ring };
  guest.registerDriver({
    name: 'hv_netvsc',
    ifType: HV_NIC_GUID,
    probe(ch, g) {
      d.primaries.push(ch);
      ch.scCreationCallback = (sub) => {
        d.subchannels.push(sub);
        if (options.open === false) return;
        const c = g.open(sub, opts);
        d.opens.push(c);
        return c;
      };
      if (options.open === false) return;
      const c = g.open(ch, opts);
      d.opens.push(c);
      return c;
    },
    remove(ch, g) {
      d.removed.push(ch);
      if (options.closeOnRemove === false) return;
      return g.close(ch);
    },
  });
  return d;
}

/** Posts raw bytes as the guest would (HVCALL_POST_MESSAGE); returns the hypercall status. */
export function postRaw(bus: Bus, connectionId: number, payload: Uint8Array, payloadSize = payload.length): number {
  const p = new Uint8Array(240);
  p.set(payload.subarray(0, 240));
  return bus.hypervisor.postMessage(hv_input_post_message.encode({ connectionid: connectionId, reserved: 0, message_type: 1, payload_size: payloadSize, payload: p }));
}

/** Sends a channel message to the guest as a (possibly hostile) host would. */
export function hostSays(bus: Bus, m: ChannelMessage | Uint8Array): void {
  bus.hypervisor.sendToGuest(m instanceof Uint8Array ? m : encodeChannelMessage(m));
}

/** A bus with a NIC primary offered, the guest connected and the netvsc-like driver bound. */
export function connectedNic(options: BusOptions = {}, ring: Partial<OpenOptions> = {}, driverOptions: { open?: boolean; closeOnRemove?: boolean } = {}) {
  const rec = recordedBus(options);
  const hostNic = rec.bus.host.addChannel({ ifType: HV_NIC_GUID, ifInstance: NIC_INSTANCE });
  const drv = netvscLike(rec.bus.guest, ring, driverOptions);
  const conn = rec.bus.guest.connect();
  rec.bus.run();
  return { ...rec, hostNic, drv, conn };
}
