/**
 * The hypervisor between the guest and the host: SynIC message and event-flag pages for VMBus's
 * SINT 2, and the two hypercalls VMBus uses (HVCALL_POST_MESSAGE, HVCALL_SIGNAL_EVENT).
 *
 * Everything crosses as bytes: the guest posts an `hv_input_post_message` page; the host's messages
 * land in the guest's SynIC message slot as an `hv_message`; host→guest interrupts are bits in the
 * guest's SynIC event-flags page (bit n = channel relid n); guest→host interrupts are connection
 * ids, or pending bits in the guest's child→parent monitor page. Each crossing takes virtual time
 * and runs as a scheduler event; messages keep their order per direction.
 *
 * Sources: include/asm-generic/hyperv-tlfs.h (hv_message, event flags), drivers/hv/hyperv_vmbus.h
 * (hv_input_post_message, hv_monitor_page), drivers/hv/hv.c `hv_post_message`, drivers/hv/vmbus_drv.c
 * `vmbus_chan_sched`; shared/spec/vmbus.md §4.1, §6.3–6.5.
 *
 * @module
 */
import { ProtocolError } from '../wire/errors.js';
import type { GuestMemory } from './memory.js';
import {
  HV_MESSAGE_PAYLOAD_BYTE_COUNT,
  HV_MESSAGE_SIZE,
  HV_STATUS_INVALID_CONNECTION_ID,
  HV_STATUS_INVALID_PARAMETER,
  HV_STATUS_SUCCESS,
  HVMSG_NONE,
  HV_MESSAGE_FLAG_PENDING,
  VMBUS_POST_MESSAGE_TYPE,
  hv_input_post_message,
} from './messages.js';
import type { Scheduler } from './scheduler.js';
import { VMBUS_MESSAGE_SINT } from './versions.js';

/** Bits of event flags per SINT (`HV_EVENT_FLAGS_COUNT`). */
export const HV_EVENT_FLAGS_COUNT = 2048;
/** Byte offset of VMBus's slot in the SynIC message page and of its flags in the event-flags page. */
export const VMBUS_SINT_OFFSET = VMBUS_MESSAGE_SINT * HV_MESSAGE_SIZE;
/** `HVCALL_POST_MESSAGE`. */
export const HVCALL_POST_MESSAGE = 0x005c;
/** `HVCALL_SIGNAL_EVENT`. */
export const HVCALL_SIGNAL_EVENT = 0x005d;

/** What the hypervisor calls on the guest: "look at your SINT 2 slot / event flags". */
export interface SynicGuestPort {
  /** A message is in the VMBus slot of {@link Hypervisor.simp}. */
  onSynicMessage(): void;
  /** Event flags in {@link Hypervisor.siefp} may be set. */
  onSynicEvent(): void;
}

/** What the hypervisor calls on the host. */
export interface SynicHostPort {
  /** The guest posted `payload` (exactly `payload_size` bytes) on `connectionId`. */
  onPostMessage(connectionId: number, payload: Uint8Array): void;
}

/** One crossing, as {@link HypervisorOptions.tap} sees it. */
export type HypervisorEvent =
  /** The guest called HVCALL_POST_MESSAGE (reported whether or not the hypervisor accepted it). */
  | {
      /** `'post'`: a guest→host channel message. */
      readonly kind: 'post';
      /** Virtual time of the hypercall, in ns. */
      readonly time: number;
      /** Bits 0–23 of `hv_input_post_message.connectionid` (1, or 4 / the `msg_conn_id` from 5.0 on). */
      readonly connectionId: number;
      /** The posted payload: `payload_size` bytes, at most 240. */
      readonly payload: Uint8Array;
      /** The hypercall status returned to the guest (`HV_STATUS_*`; 0 = accepted). */
      readonly status: number;
    }
  /** A host message landed in the guest's VMBus SynIC slot. */
  | {
      /** `'message'`: a host→guest channel message. */
      readonly kind: 'message';
      /** Virtual time of the delivery, in ns. */
      readonly time: number;
      /** A copy of the whole 256-byte `hv_message` slot as the guest finds it. */
      readonly slot: Uint8Array;
    }
  /** The guest called HVCALL_SIGNAL_EVENT, directly or through the monitor page. */
  | {
      /** `'signal'`: a guest→host interrupt. */
      readonly kind: 'signal';
      /** Virtual time of the hypercall, in ns. */
      readonly time: number;
      /** The connection id signalled: the offer's `connection_id` for a channel. */
      readonly connectionId: number;
      /** The hypercall status (`HV_STATUS_INVALID_CONNECTION_ID` when no host port listens). */
      readonly status: number;
    }
  /** The host set a channel's bit in the guest's SINT 2 event flags. */
  | {
      /** `'interrupt'`: a host→guest interrupt. */
      readonly kind: 'interrupt';
      /** Virtual time the flag was set, in ns (the guest takes the interrupt a little later). */
      readonly time: number;
      /** The channel relid whose event flag was set. */
      readonly relid: number;
    }
  /**
   * A VMBus packet written into a channel ring (rings live in guest memory and do not cross the
   * hypervisor; the channel ends report their writes here so one tap sees the whole exchange).
   * Reported only while someone observes (see {@link Hypervisor.observed}).
   */
  | {
      /** `'packet'`: a ring write by either end. */
      readonly kind: 'packet';
      /** Virtual time of the write, in ns. */
      readonly time: number;
      /** Relid of the channel whose ring was written. */
      readonly relid: number;
      /** The channel's `sub_channel_index`: 0 for a primary channel. */
      readonly subchannel: number;
      /** `guest-to-host`: the guest's outbound ring; `host-to-guest`: the host's. */
      readonly direction: 'guest-to-host' | 'host-to-guest';
      /** The framed packet exactly as written (descriptor included, trailer excluded). */
      readonly bytes: Uint8Array;
    };

/** Latencies (virtual ns) of each crossing, and an observer. */
export interface HypervisorOptions {
  /** Sees every crossing (posts with their status, delivered slots, signals, guest interrupts). */
  readonly tap?: (event: HypervisorEvent) => void;
  /** From a post or a host send to the message arriving (default 10 µs). */
  readonly messageLatency?: number;
  /** From a signal to the interrupt being taken (default 2 µs). */
  readonly eventLatency?: number;
  /** Hypervisor's polling period of the child→parent monitor page (default 20 µs). */
  readonly monitorLatency?: number;
}

/** Counters of what crossed the hypervisor. */
export interface HypervisorStats {
  /** HVCALL_POST_MESSAGE calls that returned HV_STATUS_SUCCESS and were queued for the host. */
  postsAccepted: number;
  /** HVCALL_POST_MESSAGE calls refused (payload over 240 bytes, unknown connection id, injected fault). */
  postsRefused: number;
  /** Messages placed in the guest's VMBus SynIC slot. */
  messagesToGuest: number;
  /** Accepted HVCALL_SIGNAL_EVENT calls, including those the monitor-page poll makes for the guest. */
  signalsToHost: number;
  /** Event flags set for the guest (one per `signalGuest`, before coalescing into interrupts). */
  interruptsToGuest: number;
}

/** The SynIC of one vCPU (VMBus's messages go to one, VMBUS_CONNECT_CPU) plus the hypercalls. */
export class Hypervisor {
  /** The virtual clock every crossing is scheduled on. */
  readonly scheduler: Scheduler;
  /** Guest-physical memory, read when polling the child→parent monitor page. */
  readonly memory: GuestMemory;
  /** The guest's SynIC message page (16 slots of 256 bytes); VMBus uses slot 2. */
  readonly simp = new Uint8Array(4096);
  /** The guest's SynIC event-flags page (16 × 2048 bits); VMBus uses SINT 2's 256 bytes at 512. */
  readonly siefp = new Uint8Array(4096);
  /** Counters of the crossings so far (live; never reset). */
  readonly stats: HypervisorStats = { postsAccepted: 0, postsRefused: 0, messagesToGuest: 0, signalsToHost: 0, interruptsToGuest: 0 };
  private readonly messageLatency: number;
  private readonly eventLatency: number;
  private readonly monitorLatency: number;
  private guest: SynicGuestPort | null = null;
  private host: SynicHostPort | null = null;
  /** Queued for the guest's slot: payloads (up to 240 bytes) or raw 256-byte slot images. */
  private readonly toGuest: Uint8Array[] = [];
  private deliveryScheduled = false;
  private readonly toHost: { connectionId: number; payload: Uint8Array }[] = [];
  private hostPumpScheduled = false;
  private readonly pump = (): void => this.pumpToHost();
  private readonly messagePorts = new Set<number>();
  private readonly eventPorts = new Map<number, () => void>();
  private readonly eventPending = new Set<number>();
  private readonly eventLabels = new Map<number, string>();
  private guestInterruptScheduled = false;
  private readonly monitors = new Map<number, number>();
  private monitorPage: bigint = 0n;
  private monitorPollScheduled = false;
  private readonly postFaults: number[] = [];
  private readonly tap: ((event: HypervisorEvent) => void) | undefined;
  private readonly taps = new Set<(event: HypervisorEvent) => void>();

  constructor(scheduler: Scheduler, memory: GuestMemory, options: HypervisorOptions = {}) {
    this.scheduler = scheduler;
    this.memory = memory;
    this.messageLatency = options.messageLatency ?? 10_000;
    this.eventLatency = options.eventLatency ?? 2_000;
    this.monitorLatency = options.monitorLatency ?? 20_000;
    this.tap = options.tap;
  }

  /** Adds an observer of every crossing (like {@link HypervisorOptions.tap}); returns its remover. */
  addTap(tap: (event: HypervisorEvent) => void): () => void {
    this.taps.add(tap);
    return () => void this.taps.delete(tap);
  }

  /**
   * Someone observes the crossings: a {@link HypervisorOptions.tap} or an {@link addTap} observer.
   * Channel ends encode copies of their packets for `'packet'` events only while this is true.
   */
  get observed(): boolean {
    return this.tap !== undefined || this.taps.size > 0;
  }

  /** @internal A channel end wrote a packet into a ring: tells the observers. */
  notePacket(relid: number, subchannel: number, direction: 'guest-to-host' | 'host-to-guest', bytes: Uint8Array): void {
    this.emit({ kind: 'packet', time: this.scheduler.now, relid, subchannel, direction, bytes });
  }

  private emit(event: HypervisorEvent): void {
    this.tap?.(event);
    for (const t of this.taps) t(event);
  }

  /** Connects the guest end. */
  attachGuest(port: SynicGuestPort): void {
    this.guest = port;
  }

  /** Connects the host end. */
  attachHost(port: SynicHostPort): void {
    this.host = port;
  }

  // -------------------------------------------------------------------------------------------
  // Host configuration

  /** Lets the guest post messages on `connectionId` (the host's message ports). */
  openMessagePort(connectionId: number): void {
    this.messagePorts.add(connectionId >>> 0);
  }

  /** Stops accepting posts on `connectionId`. */
  closeMessagePort(connectionId: number): void {
    this.messagePorts.delete(connectionId >>> 0);
  }

  /** Routes HVCALL_SIGNAL_EVENT on `connectionId` to `handler` (a channel's event port). */
  openEventPort(connectionId: number, handler: () => void): void {
    this.eventPorts.set(connectionId >>> 0, handler);
  }

  /** Removes an event port. */
  closeEventPort(connectionId: number): void {
    this.eventPorts.delete(connectionId >>> 0);
  }

  /** Routes pending bit `monitorId` (group = id / 32, bit = id % 32) of the child→parent monitor page. */
  registerMonitor(monitorId: number, connectionId: number): void {
    this.monitors.set(monitorId, connectionId);
  }

  /** Forgets a monitor id. */
  unregisterMonitor(monitorId: number): void {
    this.monitors.delete(monitorId);
  }

  /** Sets the guest-physical address of the child→parent monitor page (from INITIATE_CONTACT; 0: none). */
  setMonitorPage(gpa: bigint): void {
    this.monitorPage = gpa;
  }

  /** Makes the next posts fail with these hypercall statuses, in order (fault injection). */
  injectPostFailures(...statuses: number[]): void {
    this.postFaults.push(...statuses);
  }

  // -------------------------------------------------------------------------------------------
  // Guest → host

  /**
   * HVCALL_POST_MESSAGE: `input` is the `hv_input_post_message` page. Returns the hypercall status:
   * HV_STATUS_INVALID_PARAMETER for a payload over 240 bytes, HV_STATUS_INVALID_CONNECTION_ID when
   * no host port listens on the connection id (bits 0–23 of `connectionid`).
   * @throws ProtocolError `SHORT_BUFFER` when `input` is shorter than 256 bytes.
   */
  postMessage(input: Uint8Array): number {
    if (!(input instanceof Uint8Array) || input.length < hv_input_post_message.size) hv_input_post_message.decode(input, 0); // throws
    // hv_input_post_message: connectionid at 0, payload_size at 12, payload at 16
    const connectionId = (input[0]! | (input[1]! << 8) | (input[2]! << 16)) & 0xffffff;
    const payloadSize = (input[12]! | (input[13]! << 8) | (input[14]! << 16) | (input[15]! << 24)) >>> 0;
    return this.post(connectionId, payloadSize, input.slice(16, 16 + Math.min(payloadSize, HV_MESSAGE_PAYLOAD_BYTE_COUNT)));
  }

  /**
   * @internal HVCALL_POST_MESSAGE of an input page holding `connectionId` (24 bits) and `payload`
   * (at most 240 bytes, `payload_size` = its length), without the page: the payload is handed over
   * (queued as is) and must not be changed afterwards.
   */
  postPayload(connectionId: number, payload: Uint8Array): number {
    return this.post(connectionId & 0xffffff, payload.length, payload);
  }

  private post(connectionId: number, payloadSize: number, payload: Uint8Array): number {
    const status = this.checkPost(connectionId, payloadSize);
    if (this.observed) this.emit({ kind: 'post', time: this.scheduler.now, connectionId, payload, status });
    if (status !== HV_STATUS_SUCCESS) {
      this.stats.postsRefused++;
      return status;
    }
    this.stats.postsAccepted++;
    this.toHost.push({ connectionId, payload });
    if (!this.hostPumpScheduled) {
      this.hostPumpScheduled = true;
      this.scheduler.schedule(this.messageLatency, this.pump, 'hv: post → host');
    }
    return HV_STATUS_SUCCESS;
  }

  private checkPost(connectionId: number, payloadSize: number): number {
    const fault = this.postFaults.shift();
    if (fault !== undefined && fault !== HV_STATUS_SUCCESS) return fault;
    if (payloadSize > HV_MESSAGE_PAYLOAD_BYTE_COUNT) return HV_STATUS_INVALID_PARAMETER;
    if (!this.messagePorts.has(connectionId)) return HV_STATUS_INVALID_CONNECTION_ID;
    return HV_STATUS_SUCCESS;
  }

  private pumpToHost(): void {
    this.hostPumpScheduled = false;
    const next = this.toHost.shift();
    if (next && this.host) this.host.onPostMessage(next.connectionId, next.payload);
    if (this.toHost.length && !this.hostPumpScheduled) {
      this.hostPumpScheduled = true;
      this.scheduler.schedule(this.messageLatency, this.pump, 'hv: post → host');
    }
  }

  /**
   * HVCALL_SIGNAL_EVENT with a connection id: wakes the host's event port (signals to one port
   * coalesce until the host takes them). Returns the hypercall status.
   */
  signalEvent(connectionId: number): number {
    const id = connectionId >>> 0;
    const handler = this.eventPorts.get(id);
    if (this.observed) this.emit({ kind: 'signal', time: this.scheduler.now, connectionId: id, status: handler ? HV_STATUS_SUCCESS : HV_STATUS_INVALID_CONNECTION_ID });
    if (!handler) return HV_STATUS_INVALID_CONNECTION_ID;
    this.stats.signalsToHost++;
    if (!this.eventPending.has(id)) {
      this.eventPending.add(id);
      this.scheduler.schedule(
        this.eventLatency,
        () => {
          this.eventPending.delete(id);
          this.eventPorts.get(id)?.();
        },
        this.eventLabel(id),
      );
    }
    return HV_STATUS_SUCCESS;
  }

  /** The scheduler label of a signal on connection `id` (made once per id). */
  private eventLabel(id: number): string {
    let s = this.eventLabels.get(id);
    if (s === undefined) {
      s = `hv: event ${id} → host`;
      if (this.eventLabels.size < 4096) this.eventLabels.set(id, s);
    }
    return s;
  }

  /** The guest set a pending bit in its child→parent monitor page: the hypervisor will notice it. */
  monitorTouched(): void {
    if (this.monitorPollScheduled) return;
    this.monitorPollScheduled = true;
    this.scheduler.schedule(this.monitorLatency, () => this.pollMonitor(), 'hv: monitor poll');
  }

  private pollMonitor(): void {
    this.monitorPollScheduled = false;
    if (this.monitorPage === 0n) return;
    const page = this.memory.page(this.monitorPage >> 12n);
    if (!page) return;
    for (let grp = 0; grp < 4; grp++) {
      const at = 8 + grp * 8; // trigger_group[grp].pending
      let pending = (page[at]! | (page[at + 1]! << 8) | (page[at + 2]! << 16) | (page[at + 3]! << 24)) >>> 0;
      if (pending === 0) continue;
      page.fill(0, at, at + 4);
      for (let bit = 0; pending !== 0; bit++, pending >>>= 1) {
        if ((pending & 1) === 0) continue;
        const conn = this.monitors.get(grp * 32 + bit);
        if (conn !== undefined) this.signalEvent(conn);
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Host → guest

  /**
   * Queues a channel message for the guest's VMBus SynIC slot. Messages are delivered one at a
   * time, in order: the next one only after the guest has emptied the slot.
   * @throws ProtocolError `BAD_LENGTH` for a payload over 240 bytes.
   */
  sendToGuest(payload: Uint8Array): void {
    if (payload.length > HV_MESSAGE_PAYLOAD_BYTE_COUNT) {
      throw new ProtocolError('BAD_LENGTH', `is longer than ${HV_MESSAGE_PAYLOAD_BYTE_COUNT} bytes`, { struct: 'hv_message', value: payload.length });
    }
    this.toGuest.push(payload.slice());
    this.markPending();
    this.scheduleDelivery();
  }

  /**
   * @internal {@link sendToGuest} for a payload the caller hands over (it is queued without a copy
   * and must not be changed afterwards).
   */
  sendOwnedToGuest(payload: Uint8Array): void {
    if (payload.length > HV_MESSAGE_PAYLOAD_BYTE_COUNT) {
      this.sendToGuest(payload); // throws
      return;
    }
    this.toGuest.push(payload);
    this.markPending();
    this.scheduleDelivery();
  }

  /** A message is waiting while the slot is full: set `msg_pending` so the guest writes EOM. */
  private markPending(): void {
    if (this.slotBusy()) this.simp[VMBUS_SINT_OFFSET + 5]! |= HV_MESSAGE_FLAG_PENDING;
  }

  /** Queues a raw 256-byte SynIC slot image (any header, any payload size: for hostile-host tests). */
  sendRawSlotToGuest(slot: Uint8Array): void {
    if (slot.length !== HV_MESSAGE_SIZE) {
      throw new ProtocolError('BAD_LENGTH', 'a SynIC message slot is 256 bytes', { struct: 'hv_message', value: slot.length });
    }
    this.toGuest.push(slot.slice());
    this.markPending();
    this.scheduleDelivery();
  }

  private scheduleDelivery(): void {
    if (this.deliveryScheduled || this.toGuest.length === 0) return;
    this.deliveryScheduled = true;
    this.scheduler.schedule(this.messageLatency, () => this.deliver(), 'hv: message → guest');
  }

  private slotBusy(): boolean {
    const s = this.simp;
    const o = VMBUS_SINT_OFFSET;
    return (s[o]! | s[o + 1]! | s[o + 2]! | s[o + 3]!) !== HVMSG_NONE;
  }

  private deliver(): void {
    this.deliveryScheduled = false;
    if (this.slotBusy()) return; // the guest's end-of-message will ask again
    const slot = this.toGuest.shift();
    if (!slot) return;
    if (slot.length === HV_MESSAGE_SIZE) {
      this.simp.set(slot, VMBUS_SINT_OFFSET); // a raw slot image
    } else {
      // a payload: the slot encodeSynicMessage builds (message type 1, payload_size, no flags, sender 0)
      const s = this.simp;
      s.fill(0, VMBUS_SINT_OFFSET, VMBUS_SINT_OFFSET + HV_MESSAGE_SIZE);
      s[VMBUS_SINT_OFFSET] = VMBUS_POST_MESSAGE_TYPE;
      s[VMBUS_SINT_OFFSET + 4] = slot.length;
      s.set(slot, VMBUS_SINT_OFFSET + 16);
    }
    if (this.toGuest.length) this.simp[VMBUS_SINT_OFFSET + 5]! |= HV_MESSAGE_FLAG_PENDING;
    this.stats.messagesToGuest++;
    if (this.observed) this.emit({ kind: 'message', time: this.scheduler.now, slot: this.simp.slice(VMBUS_SINT_OFFSET, VMBUS_SINT_OFFSET + HV_MESSAGE_SIZE) });
    this.guest?.onSynicMessage();
  }

  /**
   * The guest's end-of-message (a write to the SynIC EOM register, which Linux does only when
   * `msg_pending` was set): the hypervisor delivers the next queued message.
   */
  endOfMessage(): void {
    this.scheduleDelivery();
  }

  /** Messages waiting for the guest's slot. */
  get queuedToGuest(): number {
    return this.toGuest.length;
  }

  /** Sets event flag `relid` for SINT 2 in the guest's event-flags page and interrupts the guest. */
  signalGuest(relid: number): void {
    if (!Number.isInteger(relid) || relid < 0 || relid >= HV_EVENT_FLAGS_COUNT) return;
    this.siefp[VMBUS_SINT_OFFSET + (relid >> 3)]! |= 1 << (relid & 7);
    this.stats.interruptsToGuest++;
    if (this.observed) this.emit({ kind: 'interrupt', time: this.scheduler.now, relid });
    if (this.guestInterruptScheduled) return;
    this.guestInterruptScheduled = true;
    this.scheduler.schedule(
      this.eventLatency,
      () => {
        this.guestInterruptScheduled = false;
        this.guest?.onSynicEvent();
      },
      'hv: interrupt → guest',
    );
  }
}
