/**
 * A scripted NetVSP host for driving the guest driver in tests: it sits on the {@link VmbusHost}
 * side of a bus, reads what the guest writes into the guest→host rings, and answers the bytes as
 * Hyper-V would for the cases the tests need — NVSP init, buffers, subchannels (offered over the
 * bus, rescinded when the primary closes), RNDIS INIT/QUERY/SET through the receive buffer, data
 * frames in both directions. Every knob is a plain option or an intercept hook, so a test can make
 * it misbehave on purpose, and it can inject any raw packet.
 *
 * It never imports the guest model: only vmbus/ and protocol/.
 */
import type { Bus } from '../vmbus/bus.js';
import { HV_NIC_GUID } from '../vmbus/guids.js';
import type { HostChannel, HostDevice, HostGpadl } from '../vmbus/vmbus-server.js';
import { decodePacket, type GpaRange, type VmbusPacket } from '../vmbus/packet.js';
import {
  NVSP_PROTOCOL_VERSIONS,
  decodeNvsp,
  encodeNvsp,
  nvspMsgTypeName,
  type NvspMessage,
  type NvspPeer,
} from '../protocol/nvsp.js';
import {
  NDIS_OBJECT_TYPE,
  decodeRssParameters,
  encodeNdisOffloadInfo,
  ndis_offload,
  ndis_recv_scale_cap,
  rssCapabilities,
  utf16leEncode,
  type NdisOffload,
  type NdisRssParameters,
} from '../protocol/ndis.js';
import { OID, oidName } from '../protocol/oids.js';
import {
  RNDIS_STATUS,
  decodeRndis,
  encodeRndis,
  rndisInitComplete,
  rndisMsgTypeName,
  rndisQueryComplete,
  rndisSetComplete,
  type RndisMessage,
} from '../protocol/rndis.js';
import { encodeRndisDataPacket } from '../protocol/rndis-builders.js';
import { ppiHashValue, type PpiElement } from '../protocol/ppi.js';

/** Instance GUID the scripted host offers its synthetic NIC channels under. */
export const NIC_INSTANCE = '7a3c5f10-2b4d-4e6f-9a81-0c2d3e4f5a6b';

const u32 = (v: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
};

/** One thing the guest did that the host saw, in the order the host saw it. */
export type WireEvent =
  /** A VMBus channel operation of the guest's, seen through the host's device callbacks. */
  | {
      /** `g2h`: the guest did it. */
      readonly dir: 'g2h';
      /** `vmbus`: a channel-management operation, not a ring packet. */
      readonly what: 'vmbus';
      /** The operation: `OPENCHANNEL`, `CLOSECHANNEL`, `GPADL_HEADER` (GPADL created) or `GPADL_TEARDOWN`. */
      readonly name: string;
      /** The channel's relid (`child_relid`). */
      readonly relid: number;
      /** The GPADL handle, for the two GPADL operations. */
      readonly gpadl?: number;
      /** Virtual time (ns) the host saw it. */
      readonly time: number;
    }
  /** A packet the guest wrote into a guest→host ring, with its NVSP message. */
  | {
      /** `g2h`: the guest sent it. */
      readonly dir: 'g2h';
      /** `nvsp`: a VMBus packet on a ring. */
      readonly what: 'nvsp';
      /** The NVSP type name (`NVSP_MSG1_TYPE_SEND_RNDIS_PKT`), `COMP <type>` for a completion, or `NVSP <n>` for an unknown type. */
      readonly name: string;
      /** Queue (subchannel index; 0 = primary) whose ring it came from. */
      readonly queue: number;
      /** The whole decoded VMBus packet (descriptor fields, ranges, payload). */
      readonly packet: VmbusPacket;
      /** The payload decoded as a guest NVSP message, or `null` when it does not decode. */
      readonly msg: NvspMessage | null;
      /** Virtual time (ns) the host read it. */
      readonly time: number;
    }
  /** An RNDIS message the guest sent inside SEND_RNDIS_PKT (also logged as the `nvsp` event before it). */
  | {
      /** `g2h`: the guest sent it. */
      readonly dir: 'g2h';
      /** `rndis`: the RNDIS message carried by an NVSP SEND_RNDIS_PKT. */
      readonly what: 'rndis';
      /** The RNDIS type name, followed by the OID name for QUERY and SET (`RNDIS_MSG_QUERY OID_GEN_LINK_SPEED`). */
      readonly name: string;
      /** Queue it was sent on. */
      readonly queue: number;
      /** The decoded message. */
      readonly msg: RndisMessage;
      /** The message's bytes as read from the send section or the GPA ranges. */
      readonly bytes: Uint8Array;
      /** Virtual time (ns) the host read it. */
      readonly time: number;
    }
  /** Something the host sent to the guest. */
  | {
      /** `h2g`: the host sent it. */
      readonly dir: 'h2g';
      /** An NVSP message, an RNDIS message in the receive buffer, or raw bytes/packet from a test. */
      readonly what: 'nvsp' | 'rndis' | 'raw';
      /** `COMP <type>` or the NVSP type for NVSP, the RNDIS type name, or a `raw …` label / packet kind. */
      readonly name: string;
      /** Queue it was sent on. */
      readonly queue: number;
      /** Virtual time (ns) it was sent. */
      readonly time: number;
    };

/** What the host does with a SUBCHANNEL request. */
export interface SubchannelAnswer {
  /** NVSP status put in SUBCHANNEL_COMPLETE (1 = `NVSP_STAT_SUCCESS`, 2 = `NVSP_STAT_FAIL`). */
  readonly status: number;
  /** `num_subchannels` put in SUBCHANNEL_COMPLETE (may differ from what is offered). */
  readonly granted: number;
  /** Subchannel indices to offer (default 1..granted when status is SUCCESS). */
  readonly offer?: readonly number[];
}

/** Options of a {@link ScriptedHost}. */
export interface ScriptedHostOptions {
  /** NVSP versions accepted (default all six). */
  versions?: readonly number[];
  /** How completions are sized (default `hyperv`: 28 bytes before 6.1, 40 from 6.1). */
  peer?: NvspPeer;
  /** RSS capabilities `num_recv_que` (default 8; below 2 means no RSS). */
  queues?: number;
  /** RSS capabilities `num_indirect_tabent` (default 128). */
  tabent?: number;
  /** Receive buffer sub-allocation size (default 1728) and count (default: as many as fit). */
  subAllocSize?: number;
  /** `num_sub_allocs` reported in SEND_RECV_BUF_COMPLETE (default: buffer size / `subAllocSize`); sections past the buffer are never used. */
  subAllocCount?: number;
  /** Send section size (default 6144). */
  sendSectionSize?: number;
  /** The 6-byte answer to `OID_802_3_PERMANENT_ADDRESS` (default 00:15:5d:01:02:03). */
  mac?: Uint8Array;
  /** MAXIMUM_FRAME_SIZE (default 1500). */
  maxFrameSize?: number;
  /** LINK_SPEED in 100 bit/s (default 100_000_000 = 10 Gbit/s). */
  linkSpeed?: number;
  /** MEDIA_CONNECT_STATUS (default 0, connected). */
  mediaState?: number;
  /** FRIENDLY_NAME (default "Network Adapter"). */
  friendlyName?: string;
  /** How a SUBCHANNEL request for `n` subchannels is answered (default: all granted when n < queues). */
  subchannels?: (n: number) => SubchannelAnswer;
  /** Status of an RSS SET (default SUCCESS). */
  rssStatus?: (p: NdisRssParameters) => number;
  /** Rescind the subchannels when the primary closes (default true, as Hyper-V does). */
  rescindOnClose?: boolean;
  /** Send the SEND_INDIRECTION_TABLE message once all granted subchannels are open (default false). */
  sendTable?: boolean;
  /**
   * Sees every guest NVSP message first; return true to take it over (no default answer).
   * Replies can then be sent with the host's helpers.
   */
  interceptNvsp?: (host: ScriptedHost, m: { queue: number; packet: VmbusPacket; msg: NvspMessage }) => boolean;
  /** Sees every guest RNDIS message first; return true to take it over. */
  interceptRndis?: (host: ScriptedHost, m: { queue: number; msg: RndisMessage; bytes: Uint8Array }) => boolean;
  /** Complete every SEND_RNDIS_PKT (default true). */
  completeRndisPackets?: boolean;
}

interface QueueState {
  readonly channel: HostChannel;
  readonly index: number;
}

/** The scripted host. */
export class ScriptedHost {
  /** The bus whose host side this NetVSP sits on. */
  readonly bus: Bus;
  /** The options given to the constructor, read live (a test may change them between steps). */
  readonly options: ScriptedHostOptions;
  /** The primary NIC channel, offered at construction under {@link NIC_INSTANCE}; queue 0. */
  readonly primary: HostChannel;
  /** Open subchannels and offered ones, by index. */
  readonly subchannels = new Map<number, HostChannel>();
  /** Everything the guest did, in the order seen. */
  readonly wire: WireEvent[] = [];
  /** Frames the guest transmitted, per queue. */
  readonly txFrames = new Map<number, Uint8Array[]>();
  /** RSS parameters of each accepted RSS SET, in order. */
  readonly rss: NdisRssParameters[] = [];
  /** Packet filters set, in order. */
  readonly filters: number[] = [];
  /** Receive completions the guest sent: [queue, trans id, status]. */
  readonly recvCompletions: [number, bigint, number][] = [];
  /** NVSP version of the last INIT accepted (`min_protocol_ver`); 0 before. Shapes how NVSP messages are encoded and decoded. */
  version = 0;
  /** While true the host reads nothing from the guest→host rings (a stalled host). */
  paused = false;
  private recvView: HostGpadl | null = null;
  private sendView: HostGpadl | null = null;
  private recvBufHandle = 0;
  private sendBufHandle = 0;
  private readonly freeSections = new SectionStack();
  private sectionSize = 1728;
  private readonly inFlight = new Map<bigint, number[]>();
  private nextTid = 0x1000n;
  private wanted = 0;
  private tableSent = false;

  constructor(bus: Bus, options: ScriptedHostOptions = {}) {
    this.bus = bus;
    this.options = options;
    this.primary = bus.host.addChannel({ ifType: HV_NIC_GUID, ifInstance: NIC_INSTANCE }, this.device(0));
  }

  private device(index: number): HostDevice {
    return {
      open: (ch) => {
        this.log({ dir: 'g2h', what: 'vmbus', name: 'OPENCHANNEL', relid: ch.relid, time: this.now });
        if (index > 0) this.maybeSendTable();
        return 0;
      },
      close: (ch) => {
        this.log({ dir: 'g2h', what: 'vmbus', name: 'CLOSECHANNEL', relid: ch.relid, time: this.now });
        if (index === 0) this.primaryClosed();
      },
      interrupt: (ch) => this.drain({ channel: ch, index }),
      gpadlCreated: (ch, g) => {
        this.log({ dir: 'g2h', what: 'vmbus', name: 'GPADL_HEADER', relid: ch.relid, gpadl: g.handle, time: this.now });
        return 0;
      },
      gpadlTorndown: (ch, g) => {
        this.log({ dir: 'g2h', what: 'vmbus', name: 'GPADL_TEARDOWN', relid: ch.relid, gpadl: g.handle, time: this.now });
        if (g.handle === this.recvBufHandle) this.recvView = null;
        if (g.handle === this.sendBufHandle) this.sendView = null;
      },
    };
  }

  /** Current simulated time of the bus scheduler. */
  get now(): number {
    return this.bus.scheduler.now;
  }

  private log(e: WireEvent): void {
    this.wire.push(e);
  }

  /**
   * Forgets what was logged so far ({@link wire}, {@link txFrames}, {@link rss}, {@link filters},
   * {@link recvCompletions}) without touching the host's state: for long runs (benchmarks, fuzzing)
   * that would otherwise keep every message ever exchanged.
   */
  clearLogs(): void {
    this.wire.length = 0;
    this.txFrames.clear();
    this.rss.length = 0;
    this.filters.length = 0;
    this.recvCompletions.length = 0;
  }

  /** Names of the guest's messages in order (NVSP types, `RNDIS_MSG_* OID`, VMBus operations). */
  guestNames(filter: (e: WireEvent) => boolean = () => true): string[] {
    return this.wire.filter((e) => e.dir === 'g2h' && filter(e)).map((e) => e.name);
  }

  /** The RNDIS messages the guest sent, decoded. */
  rndisSent(): {
    /** Queue it was sent on. */
    queue: number;
    /** The decoded RNDIS message. */
    msg: RndisMessage;
    /** Its bytes as the guest laid them out. */
    bytes: Uint8Array;
  }[] {
    return this.wire.flatMap((e) => (e.dir === 'g2h' && e.what === 'rndis' ? [{ queue: e.queue, msg: e.msg, bytes: e.bytes }] : []));
  }

  /** The NVSP messages the guest sent (with their packets). */
  nvspSent(): {
    /** Queue whose ring it came from. */
    queue: number;
    /** The decoded VMBus packet. */
    packet: VmbusPacket;
    /** Its payload as an NVSP message, `null` when it does not decode. */
    msg: NvspMessage | null;
  }[] {
    return this.wire.flatMap((e) => (e.dir === 'g2h' && e.what === 'nvsp' ? [{ queue: e.queue, packet: e.packet, msg: e.msg }] : []));
  }

  /** The host channel of queue `q` (0 = primary). */
  queue(q: number): HostChannel | undefined {
    return q === 0 ? this.primary : this.subchannels.get(q);
  }

  private nvspPeerOpts() {
    return { peer: this.options.peer ?? ('hyperv' as NvspPeer), version: this.version };
  }

  // -------------------------------------------------------------------------------------------
  // Guest → host

  /** Stops pausing and reads whatever the guest wrote meanwhile. */
  resume(): void {
    this.paused = false;
    this.drain({ channel: this.primary, index: 0 });
    for (const [i, ch] of this.subchannels) this.drain({ channel: ch, index: i });
  }

  private drain(q: QueueState): void {
    if (this.paused) return;
    const rings = q.channel.rings;
    if (!rings) return;
    for (;;) {
      const r = rings.inbound.read();
      if (!r) break;
      if (r.signal) q.channel.signalGuest();
      // r.packet is a fresh copy, the host's own: the payload is a view of it, and the log keeps it
      this.onPacket(q, decodePacket(r.packet), r.packet);
    }
  }

  private onPacket(q: QueueState, pkt: VmbusPacket, raw: Uint8Array): void {
    const version = this.version;
    const msg = decodeGuestNvsp(pkt.payload, version);
    const type = typeNum(pkt.payload);
    const name = pkt.kind === 'completion' ? (msg ? completionName(type) : 'COMP') : (nvspMsgTypeName(type) ?? `NVSP ${type}`);
    this.log(new NvspWireEvent(name, q.index, this.now, raw, version));
    if (!msg) return;
    if (pkt.kind === 'completion') {
      if (msg.type === 'SEND_RNDIS_PKT_COMPLETE') {
        this.recvCompletions.push([q.index, pkt.trans_id, msg.status]);
        const secs = this.inFlight.get(pkt.trans_id);
        if (secs) {
          this.inFlight.delete(pkt.trans_id);
          for (const x of secs) this.freeSections.push(x);
        }
      }
      return;
    }
    if (this.options.interceptNvsp?.(this, { queue: q.index, packet: pkt, msg })) return;
    this.answerNvsp(q, pkt, msg);
  }

  private answerNvsp(q: QueueState, pkt: VmbusPacket, msg: NvspMessage): void {
    const complete = (m: NvspMessage) => this.complete(q.index, pkt.trans_id, m);
    switch (msg.type) {
      case 'INIT': {
        const ok = (this.options.versions ?? NVSP_PROTOCOL_VERSIONS).includes(msg.min_protocol_ver);
        if (ok) this.version = msg.min_protocol_ver;
        complete({ type: 'INIT_COMPLETE', negotiated_protocol_ver: 0xffffffff, max_mdl_chain_len: 34, status: ok ? 1 : 0 });
        return;
      }
      case 'SEND_RECV_BUF': {
        const g = this.primary.gpadl(msg.gpadl_handle);
        this.recvView = g ?? null;
        this.recvBufHandle = msg.gpadl_handle;
        const size = g?.view?.length ?? 0;
        this.sectionSize = this.options.subAllocSize ?? 1728;
        const count = this.options.subAllocCount ?? Math.floor(size / this.sectionSize);
        this.freeSections.reset(Math.min(count, Math.floor(size / this.sectionSize)));
        complete({
          type: 'SEND_RECV_BUF_COMPLETE',
          status: g ? 1 : 2,
          num_sections: 1,
          sections: [{ offset: 0, sub_alloc_size: this.sectionSize, num_sub_allocs: count, end_offset: size }],
        });
        return;
      }
      case 'SEND_SEND_BUF': {
        const g = this.primary.gpadl(msg.gpadl_handle);
        this.sendView = g ?? null;
        this.sendBufHandle = msg.gpadl_handle;
        complete({ type: 'SEND_SEND_BUF_COMPLETE', status: g ? 1 : 2, section_size: this.options.sendSectionSize ?? 6144 });
        return;
      }
      case 'SUBCHANNEL_REQUEST': {
        const n = msg.num_subchannels;
        const a = this.options.subchannels?.(n) ?? { status: n < (this.options.queues ?? 8) ? 1 : 2, granted: n < (this.options.queues ?? 8) ? n : 0 };
        complete({ type: 'SUBCHANNEL_COMPLETE', status: a.status, num_subchannels: a.granted });
        const offer = a.offer ?? (a.status === 1 ? range1(a.granted) : []);
        this.wanted = offer.length;
        this.tableSent = false;
        for (const i of offer) this.offerSubchannel(i);
        return;
      }
      case 'SEND_RNDIS_PKT': {
        const bytes = this.rndisBytes(pkt, msg.send_buf_section_index, msg.send_buf_section_size);
        if (this.options.completeRndisPackets !== false && pkt.flags === 1) complete({ type: 'SEND_RNDIS_PKT_COMPLETE', status: 1 });
        if (bytes) this.onRndis(q, msg.channel_type, bytes);
        return;
      }
      default:
        return; // NDIS_CONFIG, SEND_NDIS_VER, revokes: nothing to answer
    }
  }

  private rndisBytes(pkt: VmbusPacket, index: number, size: number): Uint8Array | null {
    if (pkt.kind === 'gpa-direct') return this.readRanges(pkt.ranges);
    if (index === 0xffffffff || !this.sendView?.view) return null;
    return this.sendView.view.read(index * (this.options.sendSectionSize ?? 6144), size) ?? null;
  }

  private readRanges(ranges: GpaRange[]): Uint8Array {
    let total = 0;
    for (const r of ranges) total += r.byte_count;
    const all = new Uint8Array(total);
    let at = 0;
    for (const r of ranges) {
      let done = 0;
      let off = r.byte_offset;
      let pi = 0;
      while (done < r.byte_count) {
        const n = Math.min(4096 - off, r.byte_count - done);
        // a page that is not memory fails as page(pfn)!.subarray would
        if (!this.bus.memory.copyFromPage(r.pfns[pi]!, off, all, at + done, n)) this.bus.memory.page(r.pfns[pi]!)!.subarray(off, off + n);
        done += n;
        off = 0;
        pi++;
      }
      at += r.byte_count;
    }
    return all;
  }

  private onRndis(q: QueueState, channelType: number, bytes: Uint8Array): void {
    let msg: RndisMessage;
    try {
      msg = decodeRndis(bytes);
    } catch {
      return;
    }
    const name = msg.type === 'QUERY' || msg.type === 'SET' ? `${rndisMsgTypeName(rd(bytes, 0))} ${oidName(msg.oid)}` : rndisMsgTypeName(rd(bytes, 0));
    this.log(new RndisWireEvent(name, q.index, this.now, bytes));
    if (msg.type === 'PACKET' && channelType === 0) {
      const l = this.txFrames.get(q.index) ?? [];
      l.push(msg.data);
      this.txFrames.set(q.index, l);
      return;
    }
    if (this.options.interceptRndis?.(this, { queue: q.index, msg, bytes })) return;
    this.answerRndis(msg);
  }

  private answerRndis(msg: RndisMessage): void {
    const o = this.options;
    switch (msg.type) {
      case 'INIT':
        this.rndisReply(encodeRndis(rndisInitComplete(msg.req_id, { max_xfer_size: 0x4000 })));
        return;
      case 'QUERY':
        this.rndisReply(encodeRndis(this.queryAnswer(msg.req_id, msg.oid)));
        return;
      case 'SET': {
        let status: number = RNDIS_STATUS.SUCCESS;
        if (msg.oid === OID.GEN_RECEIVE_SCALE_PARAMETERS) {
          const p = decodeRssParameters(msg.info_buf);
          status = o.rssStatus?.(p) ?? RNDIS_STATUS.SUCCESS;
          if (status === RNDIS_STATUS.SUCCESS) this.rss.push(p);
        } else if (msg.oid === OID.GEN_CURRENT_PACKET_FILTER) {
          this.filters.push(rd(msg.info_buf, 0));
        }
        this.rndisReply(encodeRndis(rndisSetComplete(msg.req_id, status)));
        return;
      }
      default:
        return; // HALT has no reply
    }
  }

  /** The QUERY_C this host gives for an OID. */
  queryAnswer(reqId: number, oid: number): RndisMessage {
    const o = this.options;
    const ok = (b: Uint8Array) => rndisQueryComplete(reqId, RNDIS_STATUS.SUCCESS, b);
    switch (oid) {
      case OID.GEN_MAXIMUM_FRAME_SIZE:
        return ok(u32(o.maxFrameSize ?? 1500));
      case OID['802_3_PERMANENT_ADDRESS']:
        return ok(o.mac ?? Uint8Array.of(0x00, 0x15, 0x5d, 0x01, 0x02, 0x03));
      case OID.GEN_FRIENDLY_NAME:
        return ok(utf16leEncode(o.friendlyName ?? 'Network Adapter'));
      case OID.TCP_OFFLOAD_HARDWARE_CAPABILITIES:
        return ok(encodeNdisOffloadInfo(defaultOffload()));
      case OID.GEN_MEDIA_CONNECT_STATUS:
        return ok(u32(o.mediaState ?? 0));
      case OID.GEN_LINK_SPEED:
        return ok(u32(o.linkSpeed ?? 100_000_000));
      case OID.GEN_RECEIVE_SCALE_CAPABILITIES:
        return ok(ndis_recv_scale_cap.encode(rssCapabilities({ cap_flag: 0x301, num_int_msg: 1, num_recv_que: o.queues ?? 8, num_indirect_tabent: o.tabent ?? 128 })));
      default:
        return rndisQueryComplete(reqId, RNDIS_STATUS.NOT_SUPPORTED);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Host → guest helpers

  /** Sends a completion (VM_PKT_COMP) with an NVSP message or raw payload on queue `q`. */
  complete(q: number, transId: bigint, m: NvspMessage | Uint8Array): void {
    const payload = m instanceof Uint8Array ? m : encodeNvsp(m, this.nvspPeerOpts());
    const name = m instanceof Uint8Array ? 'raw completion' : `COMP ${m.type}`;
    this.log({ dir: 'h2g', what: m instanceof Uint8Array ? 'raw' : 'nvsp', name, queue: q, time: this.now });
    this.queue(q)?.send({ kind: 'completion', flags: 0, trans_id: transId, payload });
  }

  /** Sends an in-band packet (a host-initiated NVSP message or raw bytes) on queue `q`. */
  inband(q: number, m: NvspMessage | Uint8Array, flags = 0): void {
    const payload = m instanceof Uint8Array ? m : encodeNvsp(m, this.nvspPeerOpts());
    this.log({ dir: 'h2g', what: m instanceof Uint8Array ? 'raw' : 'nvsp', name: m instanceof Uint8Array ? 'raw inband' : m.type, queue: q, time: this.now });
    this.queue(q)?.send({ kind: 'inband', flags, trans_id: this.nextTid++, payload });
  }

  /** Writes raw packet bytes (descriptor included, a multiple of 8) into queue `q`'s host→guest ring. */
  rawBytes(q: number, bytes: Uint8Array): void {
    const ch = this.queue(q);
    this.log({ dir: 'h2g', what: 'raw', name: 'raw bytes', queue: q, time: this.now });
    const r = ch?.rings?.outbound.write(bytes);
    if (r?.ok && r.signal) ch!.signalGuest();
  }

  /** Writes bytes into the guest's receive buffer at `offset` (for hand-made transfer ranges). */
  writeRecv(offset: number, bytes: Uint8Array): boolean {
    return this.recvView?.view?.write(offset, bytes) ?? false;
  }

  /** Size of the receive buffer the guest handed over (0 before). */
  get recvBufferSize(): number {
    return this.recvView?.view?.length ?? 0;
  }

  /** Sends any packet as is on queue `q`. */
  raw(q: number, packet: VmbusPacket): void {
    this.log({ dir: 'h2g', what: 'raw', name: packet.kind, queue: q, time: this.now });
    this.queue(q)?.send(packet);
  }

  /**
   * Puts RNDIS messages into free receive sections and sends one transfer-page packet with a range
   * each on queue `q` (default the primary). Returns the packet's transaction id.
   */
  rndisReply(bytes: Uint8Array | Uint8Array[], q = 0, opts: { rangeLength?: (len: number) => number } = {}): bigint | null {
    const list = Array.isArray(bytes) ? bytes : [bytes];
    const view = this.recvView?.view;
    if (!view) return null;
    const secs: number[] = [];
    const ranges = [];
    for (const b of list) {
      const need = Math.max(1, Math.ceil(b.length / this.sectionSize));
      const s = this.takeSections(need);
      if (s === null) return null;
      for (let i = 0; i < need; i++) secs.push(s + i);
      view.write(s * this.sectionSize, b);
      ranges.push({ byte_count: opts.rangeLength ? opts.rangeLength(b.length) : b.length, byte_offset: s * this.sectionSize });
    }
    const tid = this.nextTid++;
    this.inFlight.set(tid, secs);
    for (const b of list) this.log({ dir: 'h2g', what: 'rndis', name: rndisMsgTypeName(rd(b, 0)), queue: q, time: this.now });
    const payload = encodeNvsp({ type: 'SEND_RNDIS_PKT', channel_type: 0, send_buf_section_index: 0xffffffff, send_buf_section_size: 0 }, this.nvspPeerOpts());
    this.queue(q)?.send({ kind: 'xfer-pages', flags: 1, trans_id: tid, xfer_pageset_id: 0xcafe, sender_owns_set: 0, ranges, payload });
    return tid;
  }

  /** Sections [s, s + n) when n consecutive ones are free (a single one is always consecutive). */
  private takeSections(n: number): number | null {
    if (n === 1) return this.freeSections.pop() ?? null;
    const free = this.freeSections.array();
    free.sort((a, b) => b - a);
    for (let i = free.length - 1; i >= n - 1; i--) {
      const s = free[i]!;
      let ok = true;
      for (let k = 1; k < n; k++) if (!free.includes(s + k)) ok = false;
      if (ok) {
        for (let k = 0; k < n; k++) free.splice(free.indexOf(s + k), 1);
        return s;
      }
    }
    return null;
  }

  /**
   * Delivers an Ethernet frame to the guest on queue `q` (an RNDIS PACKET in a receive section),
   * with a hash-value PPI by default as Hyper-V sends one (a PACKET announcing an empty PPI block
   * at offset 36 makes Linux log "Invalid per_pkt_info_len" on every lookup).
   */
  deliver(q: number, frame: Uint8Array, ppis: readonly PpiElement[] = [ppiHashValue(0x9e3779b9)]): bigint | null {
    return this.rndisReply(encodeRndisDataPacket(frame, ppis), q);
  }

  /** Receive sections not handed to the guest (no completion pending). */
  get freeSectionCount(): number {
    return this.freeSections.length;
  }

  /** Transfer-page packets the guest has not completed yet. */
  get outstandingReceives(): number {
    return this.inFlight.size;
  }

  // -------------------------------------------------------------------------------------------
  // Subchannels

  /** Offers subchannel `i` (a new VMBus channel of the same instance). */
  offerSubchannel(i: number): HostChannel {
    const ch = this.bus.host.addChannel({ ifType: HV_NIC_GUID, ifInstance: NIC_INSTANCE, subChannelIndex: i }, this.device(i));
    this.subchannels.set(i, ch);
    return ch;
  }

  /** Rescinds subchannel `i`. */
  rescindSubchannel(i: number): void {
    const ch = this.subchannels.get(i);
    if (ch) this.bus.host.rescind(ch);
    this.subchannels.delete(i);
  }

  private primaryClosed(): void {
    this.recvView = null;
    this.sendView = null;
    this.inFlight.clear();
    this.freeSections.reset(0);
    if (this.options.rescindOnClose === false) return;
    for (const i of [...this.subchannels.keys()]) this.rescindSubchannel(i);
  }

  private maybeSendTable(): void {
    if (!this.options.sendTable || this.tableSent) return;
    const open = [...this.subchannels.values()].filter((c) => c.state === 'open').length;
    if (open < this.wanted) return;
    this.tableSent = true;
    const n = open + 1;
    // a Windows host's layout: the table right after a full 40-byte message, and an offset saying so
    this.inband(0, { type: 'SEND_INDIRECTION_TABLE', count: 16, offset: 40, table: Array.from({ length: 16 }, (_, i) => i % n) }, 0);
  }
}

/**
 * The free receive sections as a stack, top handed out first: as if sections count − 1 … 0 had
 * been pushed in that order at SEND_RECV_BUF and the completed ones pushed since. The sections
 * [low, count) not handed out since are kept as that range rather than as an array.
 */
class SectionStack {
  private low = 0;
  private count = 0;
  private pushed: number[] = [];

  /** Sections count − 1 … 0 pushed in that order (none when count < 1), section 0 on top. */
  reset(count: number): void {
    this.low = 0;
    this.count = 0;
    this.pushed = [];
    if (Number.isSafeInteger(count)) this.count = Math.max(0, count);
    else for (let i = count - 1; i >= 0; i--) this.pushed.push(i); // a fractional count (a test's odd option), as pushed one by one
  }

  pop(): number | undefined {
    if (this.pushed.length) return this.pushed.pop();
    return this.low < this.count ? this.low++ : undefined;
  }

  push(section: number): void {
    this.pushed.push(section);
  }

  get length(): number {
    return this.pushed.length + (this.count - this.low);
  }

  /** The whole stack as an array (bottom first), which from then on is the stack: the caller may reorder it. */
  array(): number[] {
    if (this.low < this.count) {
      const all: number[] = [];
      for (let i = this.count - 1; i >= this.low; i--) all.push(i);
      for (const x of this.pushed) all.push(x);
      this.pushed = all;
      this.low = this.count;
    }
    return this.pushed;
  }
}

/** `decodeNvsp` of a guest message, `null` when it does not decode. */
function decodeGuestNvsp(payload: Uint8Array, version: number): NvspMessage | null {
  try {
    return decodeNvsp(payload, { from: 'guest', version });
  } catch {
    return null;
  }
}

const COMPLETION_NAMES = new Map<number, string>();

/** `COMP <NVSP type name>` (`COMP` alone for an unknown type), one string per type. */
function completionName(type: number): string {
  let n = COMPLETION_NAMES.get(type);
  if (n === undefined) {
    n = `COMP ${nvspMsgTypeName(type) ?? ''}`.trim();
    COMPLETION_NAMES.set(type, n);
  }
  return n;
}

/**
 * The logged `g2h` `nvsp` {@link WireEvent}: keeps the packet's bytes and decodes `packet` and `msg`
 * from them when first read (the same content the host acted on), so the log holds no object graphs.
 */
class NvspWireEvent {
  readonly dir = 'g2h' as const;
  readonly what = 'nvsp' as const;
  readonly name: string;
  readonly queue: number;
  readonly time: number;
  readonly #raw: Uint8Array;
  readonly #version: number;
  #packet: VmbusPacket | undefined = undefined;
  #msg: NvspMessage | null | undefined = undefined;

  constructor(name: string, queue: number, time: number, raw: Uint8Array, version: number) {
    this.name = name;
    this.queue = queue;
    this.time = time;
    this.#raw = raw;
    this.#version = version;
  }

  get packet(): VmbusPacket {
    return (this.#packet ??= decodePacket(this.#raw, { copy: true }));
  }

  get msg(): NvspMessage | null {
    if (this.#msg === undefined) this.#msg = decodeGuestNvsp(this.packet.payload, this.#version);
    return this.#msg;
  }
}

/** The logged `g2h` `rndis` {@link WireEvent}: keeps the bytes and decodes `msg` from them when first read. */
class RndisWireEvent {
  readonly dir = 'g2h' as const;
  readonly what = 'rndis' as const;
  readonly name: string;
  readonly queue: number;
  readonly bytes: Uint8Array;
  readonly time: number;
  #msg: RndisMessage | undefined = undefined;

  constructor(name: string, queue: number, time: number, bytes: Uint8Array) {
    this.name = name;
    this.queue = queue;
    this.bytes = bytes;
    this.time = time;
  }

  get msg(): RndisMessage {
    return (this.#msg ??= decodeRndis(this.bytes));
  }
}

function range1(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

function rd(b: Uint8Array, o: number): number {
  return o + 4 <= b.length ? (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0 : 0;
}

function typeNum(p: Uint8Array): number {
  return rd(p, 0);
}

/** Offload capabilities like a Hyper-V host's: TCP/UDP checksum v4/v6, LSOv2 v4/v6, no RSC. */
export function defaultOffload(fields: Partial<NdisOffload> = {}): NdisOffload {
  return ndis_offload.make({
    header: { type: NDIS_OBJECT_TYPE.OFFLOAD, revision: 3, size: 156 },
    csum: { ip4_txenc: 2, ip4_txcsum: 0x54, ip4_rxenc: 2, ip4_rxcsum: 0x54, ip6_txenc: 2, ip6_txcsum: 0x55, ip6_rxenc: 2, ip6_rxcsum: 0x55 },
    lsov2: { ip4_encap: 2, ip4_maxsz: 62780, ip4_minsg: 2, ip6_encap: 2, ip6_maxsz: 62780, ip6_minsg: 2, ip6_opts: 5 },
    ...fields,
  } as Partial<NdisOffload>);
}
