/**
 * A channel's data plane: its two rings and its transaction ids, seen from either end.
 *
 * Both rings of a channel live in one guest allocation, the guest→host ("send", outbound for the
 * guest) ring first, the host→guest ring right after it at `downstream_ringbuffer_pageoffset`
 * pages (drivers/hv/channel.c `vmbus_alloc_ring`, `__vmbus_open`). The guest end writes with Linux's
 * `hv_ringbuffer_write` rules, including the requestor's transaction ids, and reads with Linux's
 * clamping reader; the host end reads strictly (openvmm's host reader) and writes with the same
 * ring rules. Both ends address the same bytes.
 *
 * Signalling is returned, never performed: the bus turns `signal: true` into a SynIC event.
 *
 * @module
 */
import { ProtocolError } from '../wire/errors.js';
import { HV_HYP_PAGE_SIZE, VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED, encodePacketInto, vmbusPacket, type PacketScratch, type VmbusPacket } from './packet.js';
import { Requestor, VMBUS_NO_RQSTOR, VMBUS_RQST_ERROR } from './requestor.js';
import {
  RingConsumer,
  RingProducer,
  VMBUS_DEFAULT_MAX_PKT_SIZE,
  VMBUS_PKT_TRAILER,
  type RingTrack,
  type RingWriteResult,
} from './ring.js';

/** `enum vmbus_channel_state` (include/linux/hyperv.h). */
export const VmbusChannelState = {
  /** 0: the offer arrived but is not processed yet (no device, relid not usable). */
  CHANNEL_OFFER_STATE: 0,
  /** 1: `vmbus_open` is in progress (ring GPADL, OPENCHANNEL sent, waiting for OPENCHANNEL_RESULT). */
  CHANNEL_OPENING_STATE: 1,
  /** 2: offered and ready to be opened; also where a failed open or a close returns the channel. */
  CHANNEL_OPEN_STATE: 2,
  /** 3: open: the host accepted OPENCHANNEL and the rings carry packets. */
  CHANNEL_OPENED_STATE: 3,
} as const;
/** A channel state name. */
export type VmbusChannelStateName = keyof typeof VmbusChannelState;

/** `enum hv_callback_mode` (include/linux/hyperv.h): how the guest runs a channel's callback. */
export const HvCallbackMode = {
  /** 0 (default): the callback runs in the channel tasklet and drains the ring, host interrupts masked meanwhile. */
  HV_CALL_BATCHED: 0,
  /** 1: the callback runs in the tasklet, no masking (hv_utils' channels). */
  HV_CALL_DIRECT: 1,
  /** 2: the callback runs at interrupt time and defers its own work (netvsc: NAPI). */
  HV_CALL_ISR: 2,
} as const;
/** A callback mode name. */
export type HvCallbackModeName = keyof typeof HvCallbackMode;

/** Result of sending a packet from the guest end. */
export type GuestSendResult =
  | {
      /** `true`: the packet is in the guest→host ring. */
      readonly ok: true;
      /** Interrupt the host (hv_signal_on_write decided it). */
      readonly signal: boolean;
      /** The transaction id written into the descriptor. */
      readonly transId: bigint;
    }
  | {
      /** `false`: nothing was written and no requestor slot is held. */
      readonly ok: false;
      /**
       * EAGAIN: ring full (or requestor full); ENODEV: channel rescinded; EIO: the ring's control
       * page holds an index outside the data area (the host corrupted it), so nothing can be written.
       */
      readonly error: 'EAGAIN' | 'ENODEV' | 'EIO';
    };

/** Sizes of a channel's ring allocation. */
export interface RingLayout {
  /** Pages of the guest→host ring, header page included (= downstream_ringbuffer_pageoffset). */
  readonly sendPages: number;
  /** Pages of the host→guest ring, header page included. */
  readonly recvPages: number;
}

/**
 * Splits one ring allocation into the guest→host ring and the host→guest ring.
 * @throws ProtocolError `RING_GEOMETRY` when the memory does not match the layout.
 */
export function splitRings(mem: Uint8Array, layout: RingLayout): {
  /** The guest→host ring: its control page and data area, the first `sendPages` pages. */
  send: Uint8Array;
  /** The host→guest ring: the `recvPages` pages from `downstream_ringbuffer_pageoffset` on. */
  recv: Uint8Array;
} {
  const sendBytes = layout.sendPages * HV_HYP_PAGE_SIZE;
  const recvBytes = layout.recvPages * HV_HYP_PAGE_SIZE;
  if (layout.sendPages < 2 || layout.recvPages < 2 || mem.length !== sendBytes + recvBytes) {
    throw new ProtocolError('RING_GEOMETRY', 'ring memory must hold two rings of at least 2 pages each', {
      struct: 'hv_ring_buffer',
      value: mem.length,
    });
  }
  return { send: mem.subarray(0, sendBytes), recv: mem.subarray(sendBytes) };
}

/** Options of a guest end. */
export interface GuestRingsOptions {
  /** Requestor slots (`rqstor_size`); 0 = no requestor: the caller's request ids travel unchanged. */
  readonly rqstorSize?: number;
  /** `max_pkt_size` of the inbound reader (Linux default 4096; netvsc 4624). */
  readonly maxPktSize?: number;
  /** @internal Guest memory that records the rings' writes: `mem` starts at `offset` in its store. */
  readonly track?: RingTrack;
}

/**
 * The guest's end of an open channel: outbound producer on the guest→host ring, inbound consumer
 * (Linux mode) on the host→guest ring, and the requestor.
 */
export class GuestChannelRings {
  /** Writer of the guest→host ring (Linux's `channel->outbound`). */
  readonly outbound: RingProducer;
  /** Linux-mode reader of the host→guest ring (Linux's `channel->inbound`), clamping as the kernel does. */
  readonly inbound: RingConsumer;
  /** Transaction ids for packets that request a completion (`channel->requestor`; size 0 = none). */
  readonly requestor: Requestor;
  /** Page counts of the two rings. */
  readonly layout: RingLayout;
  /** Where packets are framed before they are copied into the ring. */
  private readonly scratch: PacketScratch = { buf: new Uint8Array(0) };

  /**
   * Wraps ring memory the guest allocated. `init` runs hv_ringbuffer_init on both rings first
   * (outbound, then inbound, as `__vmbus_open` does).
   */
  constructor(mem: Uint8Array, layout: RingLayout, options: GuestRingsOptions = {}, init = true) {
    const { send, recv } = splitRings(mem, layout);
    const t = options.track;
    const sendTrack = t && { dirty: t.dirty, offset: t.offset };
    const recvTrack = t && { dirty: t.dirty, offset: t.offset + send.length };
    this.layout = layout;
    // hv_ringbuffer_init on the outbound ring, then the inbound one, as initRing would
    this.outbound = new RingProducer(send, { validate: false, track: sendTrack });
    if (init) this.outbound.reset();
    this.inbound = new RingConsumer(recv, { mode: 'linux', maxPacketSize: options.maxPktSize ?? VMBUS_DEFAULT_MAX_PKT_SIZE, track: recvTrack, init });
    this.requestor = new Requestor(options.rqstorSize ?? 0);
  }

  /**
   * hv_ringbuffer_write for one framed packet: space check (equality counts as full), then a request
   * id from the requestor when the descriptor's flags are exactly COMPLETION_REQUESTED and the
   * channel has a requestor, then the write. `requestId` is the caller's value (stored in the
   * requestor slot, or written as the transaction id when there is no requestor).
   */
  send(packet: VmbusPacket, requestId: bigint): GuestSendResult {
    const len = vmbusPacket.encodingLength(packet);
    if (this.outbound.bytesToWrite() <= len + VMBUS_PKT_TRAILER) return { ok: false, error: 'EAGAIN' };
    let rqst = VMBUS_NO_RQSTOR;
    if (packet.flags === VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED && this.requestor.size > 0) {
      rqst = this.requestor.nextId(requestId);
      if (rqst === VMBUS_RQST_ERROR) return { ok: false, error: 'EAGAIN' };
    }
    const transId = rqst === VMBUS_NO_RQSTOR ? requestId : rqst;
    const r = this.outbound.write(encodePacketInto(packet, transId, this.scratch));
    if (!r.ok) {
      // cannot happen after the space check; keep the requestor consistent anyway
      if (rqst !== VMBUS_NO_RQSTOR) this.requestor.take(rqst);
      return { ok: false, error: 'EAGAIN' };
    }
    return { ok: true, signal: r.signal, transId };
  }
}

/** The host's end of an open channel: strict reader of the guest→host ring, writer of the host→guest ring. */
export class HostChannelRings {
  /** Strict reader of the guest→host ring: malformed packets raise instead of being clamped. */
  readonly inbound: RingConsumer;
  /** Writer of the host→guest ring. */
  readonly outbound: RingProducer;
  /** Page counts of the two rings, derived from the mapped views. */
  readonly layout: RingLayout;
  /** Where packets are framed before they are copied into the ring. */
  private readonly scratch: PacketScratch = { buf: new Uint8Array(0) };

  /** Wraps the two ring views the host mapped through the ring GPADL. */
  constructor(send: Uint8Array, recv: Uint8Array, /** @internal Guest memory that records the writes to each ring. */ track?: { send: RingTrack; recv: RingTrack }) {
    this.layout = { sendPages: send.length / HV_HYP_PAGE_SIZE, recvPages: recv.length / HV_HYP_PAGE_SIZE };
    this.inbound = new RingConsumer(send, { mode: 'strict', track: track?.send });
    this.outbound = new RingProducer(recv, { validate: false, track: track?.recv });
  }

  /** Frames and writes a packet into the host→guest ring; returns the ring's decision. */
  send(packet: VmbusPacket): RingWriteResult {
    return this.outbound.write(encodePacketInto(packet, packet.trans_id, this.scratch));
  }
}
