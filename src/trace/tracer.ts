/**
 * A tracer: observes a {@link Bus} through the hypervisor's taps and records every VMBus packet
 * written into a channel ring and every channel-management message, decoded layer by layer, with
 * its virtual time, channel, direction and raw bytes. It only reads: what flows is unchanged (the
 * same seed gives the same bytes with or without a tracer).
 *
 * RNDIS messages do not live in the ring: the tracer follows the NVSP buffer set-up messages
 * (SEND_RECV_BUF, SEND_SEND_BUF and its completion's section size) so it can read them from the
 * receive buffer, the send buffer or the guest pages of a GPA-direct packet, at the moment the
 * packet is written.
 *
 * @example
 * ```ts
 * const vm = createVm({ trace: true });
 * vm.ethtool('-L eth0 combined 2');
 * vm.trace().records.map((r) => r.summary); // ['NVSP SEND_RNDIS_PKT control … | RNDIS HALT req=…', …]
 * ```
 * @module
 */
import type { Bus } from '../vmbus/bus.js';
import type { SimVm, SimVmOptions } from '../sim/vm.js';
import type { HypervisorEvent } from '../vmbus/hypervisor.js';
import type { VmbusPacket } from '../vmbus/packet.js';
import type { NvspMessage } from '../protocol/nvsp.js';
import { channelMessageLayer, packetLayers, rndisLayers, type TraceDirection, type TraceLayer, type TracePayload } from './decode.js';

/** One recorded crossing. */
export interface TraceRecord {
  /** 0, 1, 2… in recording order. */
  readonly seq: number;
  /** Virtual time (ns) of the write or the post/delivery. */
  readonly time: number;
  /** A ring packet or a channel-management message (SynIC). */
  readonly kind: 'packet' | 'channel-message';
  /** `guest-to-host` or `host-to-guest`: which side wrote the packet or posted the message. */
  readonly direction: TraceDirection;
  /** The channel's relid (0 for channel-management messages). */
  readonly relid: number;
  /** Subchannel index (0: primary); -1 for channel-management messages. */
  readonly channel: number;
  /** The label given by {@link Tracer.phase} when this was recorded. */
  readonly phase: string | undefined;
  /** One line: the layers' summaries joined by ` | `. */
  readonly summary: string;
  /** The decoded layers, outermost first: `VMBUS` or `CHANNELMSG`, then `NVSP`, then `RNDIS`/`OID`/`ETHERNET` for each RNDIS payload. */
  readonly layers: readonly TraceLayer[];
  /** The framed VMBus packet, or the channel message (the `hv_message` payload). */
  readonly bytes: Uint8Array;
  /** RNDIS messages the packet points at, read from guest memory when it was written. */
  readonly payloads: readonly TracePayload[];
}

interface BufferRef {
  relid: number;
  handle: number;
}

/** Records a bus's exchange; see the module text. */
export class Tracer {
  /** Every record so far, in `seq` order (live: it grows as the bus runs; {@link Tracer.clear} empties it). */
  readonly records: TraceRecord[] = [];
  private readonly bus: Bus;
  private detach: (() => void) | null;
  private label: string | undefined;
  private readonly listeners = new Set<(r: TraceRecord) => void>();
  private readonly recvBuf = new Map<string, BufferRef>();
  private readonly sendBuf = new Map<string, BufferRef & { sectionSize: number }>();

  /** Starts observing `bus` at once. */
  constructor(bus: Bus) {
    this.bus = bus;
    this.detach = bus.hypervisor.addTap((e) => this.onEvent(e));
  }

  /**
   * Tells the tracer about buffers set up before it started (it otherwise learns them from the
   * NVSP SEND_RECV_BUF / SEND_SEND_BUF exchange), so RNDIS messages in them decode.
   */
  knowBuffers(b: { relid: number; recvGpadl?: number; sendGpadl?: number; sendSectionSize?: number }): void {
    const key = this.deviceKey(b.relid);
    if (b.recvGpadl) this.recvBuf.set(key, { relid: b.relid, handle: b.recvGpadl });
    if (b.sendGpadl) this.sendBuf.set(key, { relid: b.relid, handle: b.sendGpadl, sectionSize: b.sendSectionSize ?? 0 });
  }

  /** Whether the tracer still observes. */
  get active(): boolean {
    return this.detach !== null;
  }

  /** Stops observing (the records stay). */
  stop(): void {
    this.detach?.();
    this.detach = null;
  }

  /** Labels the records that follow (`'boot'`, `'ethtool -L eth0 combined 2'`); undefined clears it. */
  phase(label: string | undefined): void {
    this.label = label;
  }

  /** Calls `fn` for each record as it is made; returns its remover. */
  onRecord(fn: (r: TraceRecord) => void): () => void {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  /** Forgets the records (the buffer bookkeeping stays, so RNDIS keeps decoding). */
  clear(): void {
    this.records.length = 0;
  }

  /** Records since `seq` (a cursor for "what did this command do"). */
  since(seq: number): TraceRecord[] {
    return this.records.filter((r) => r.seq >= seq);
  }

  /** The seq the next record will get. */
  get nextSeq(): number {
    return this.seqCounter;
  }

  private seqCounter = 0;

  private push(r: Omit<TraceRecord, 'seq' | 'phase' | 'summary'>): void {
    const rec: TraceRecord = {
      seq: this.seqCounter++,
      phase: this.label,
      summary: r.layers.map((l) => `${l.layer} ${l.summary}`).join(' | '),
      ...r,
    };
    this.records.push(rec);
    for (const fn of this.listeners) fn(rec);
  }

  private onEvent(e: HypervisorEvent): void {
    if (e.kind === 'post') {
      if (e.status !== 0) return; // a refused post crossed nothing
      this.push({ time: e.time, kind: 'channel-message', direction: 'guest-to-host', relid: 0, channel: -1, layers: [channelMessageLayer(e.payload)], bytes: e.payload.slice(), payloads: [] });
    } else if (e.kind === 'message') {
      // hv_message: 16-byte header (type, payload_size, flags, …), then the payload.
      const size = Math.min(e.slot[4]!, 240);
      const payload = e.slot.slice(16, 16 + size);
      this.push({ time: e.time, kind: 'channel-message', direction: 'host-to-guest', relid: 0, channel: -1, layers: [channelMessageLayer(payload)], bytes: payload, payloads: [] });
    } else if (e.kind === 'packet') {
      this.onPacket(e.time, e.relid, e.subchannel, e.direction, e.bytes);
    }
  }

  /** Key of the device a channel belongs to (its instance GUID: subchannels share the primary's buffers). */
  private deviceKey(relid: number): string {
    return this.bus.host.channel(relid)?.params.ifInstance ?? `relid:${relid}`;
  }

  private read(ref: BufferRef | undefined, offset: number, length: number): Uint8Array | undefined {
    if (!ref) return undefined;
    return this.bus.host.gpadlOf(ref.relid, ref.handle)?.view?.read(offset, length)?.slice();
  }

  private onPacket(time: number, relid: number, channel: number, direction: TraceDirection, bytes: Uint8Array): void {
    const { layers, packet, nvsp } = packetLayers(bytes, direction);
    const payloads: TracePayload[] = [];
    if (packet && nvsp) {
      this.track(relid, direction, nvsp);
      for (const p of this.rndisPayloads(relid, packet, nvsp)) {
        payloads.push(p);
        layers.push(...rndisLayers(p.bytes));
      }
    }
    this.push({ time, kind: 'packet', direction, relid, channel, layers, bytes: bytes.slice(), payloads });
  }

  /** Follows the buffer set-up so RNDIS messages can be found. */
  private track(relid: number, direction: TraceDirection, m: NvspMessage): void {
    const key = this.deviceKey(relid);
    if (direction === 'guest-to-host' && m.type === 'SEND_RECV_BUF') this.recvBuf.set(key, { relid, handle: m.gpadl_handle });
    if (direction === 'guest-to-host' && m.type === 'SEND_SEND_BUF') this.sendBuf.set(key, { relid, handle: m.gpadl_handle, sectionSize: 0 });
    if (direction === 'host-to-guest' && m.type === 'SEND_SEND_BUF_COMPLETE') {
      const s = this.sendBuf.get(key);
      if (s) s.sectionSize = m.section_size;
    }
  }

  private rndisPayloads(relid: number, p: VmbusPacket, m: NvspMessage): TracePayload[] {
    if (m.type !== 'SEND_RNDIS_PKT') return [];
    const key = this.deviceKey(relid);
    const out: TracePayload[] = [];
    if (p.kind === 'xfer-pages') {
      for (const r of p.ranges) {
        const b = this.read(this.recvBuf.get(key), r.byte_offset, r.byte_count);
        if (b) out.push({ source: 'receive-buffer', bytes: b });
      }
    } else if (p.kind === 'gpa-direct') {
      const parts: Uint8Array[] = [];
      for (const r of p.ranges) {
        const v = this.bus.memory.view(r.pfns);
        if (!v || r.byte_offset + r.byte_count > v.length) return out;
        parts.push(v.subarray(r.byte_offset, r.byte_offset + r.byte_count));
      }
      const all = new Uint8Array(parts.reduce((a, b) => a + b.length, 0));
      let at = 0;
      for (const b of parts) {
        all.set(b, at);
        at += b.length;
      }
      if (all.length) out.push({ source: 'gpa-direct', bytes: all });
    } else if (m.send_buf_section_index !== 0xffffffff) {
      const s = this.sendBuf.get(key);
      const b = s && s.sectionSize ? this.read(s, m.send_buf_section_index * s.sectionSize, m.send_buf_section_size) : undefined;
      if (b) out.push({ source: 'send-buffer', bytes: b });
    }
    return out;
  }
}

/** Starts a {@link Tracer} on `bus`. */
export function traceBus(bus: Bus): Tracer {
  return new Tracer(bus);
}

/** Starts a tracer on a fresh bus, before the boot (the {@link SimVmOptions.onBus} hook), in the phase `boot`. */
export function startBootTrace(bus: Bus, next?: (bus: Bus) => void): Tracer {
  const t = new Tracer(bus);
  t.phase('boot');
  next?.(bus);
  return t;
}

/** Starts a {@link Tracer} on a booted VM, seeded with its netvsc device's current buffers. */
export function traceVm(vm: SimVm): Tracer {
  const t = new Tracer(vm.bus);
  const nd = vm.netvsc;
  const dev = nd?.nvdev;
  if (nd && dev) t.knowBuffers({ relid: nd.channel.relid, recvGpadl: dev.recvBufGpadl, sendGpadl: dev.sendBufGpadl, sendSectionSize: dev.sendSectionSize });
  return t;
}
