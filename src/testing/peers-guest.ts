/**
 * A scripted guest for the host tests: Linux's VMBus driver (src/vmbus/linux-vmbus.ts) binds the
 * NIC, and the test then writes NVSP and RNDIS bytes itself — the bytes Linux 6.1 sends (spec §2.6,
 * §4.2), or hostile ones — and reads what the host answers out of the rings and the receive buffer.
 * Nothing here calls the host except to build it: every exchange is bytes through the bus.
 */
import { createBus, type Bus, type BusOptions } from '../vmbus/bus.js';
import { HV_NIC_GUID } from '../vmbus/guids.js';
import type { GuestChannel, VmbusResult } from '../vmbus/linux-vmbus.js';
import { GuestMemory, type GuestBuffer } from '../vmbus/memory.js';
import { decodePacket, type GpaRange, type VmbusPacket } from '../vmbus/packet.js';
import {
  decodeNvsp,
  encodeNvsp,
  linuxNdisConfigCapability,
  linuxNdisVersion,
  NETVSC_INVALID_INDEX,
  NETVSC_RECEIVE_BUFFER_ID,
  type NvspMessage,
} from '../protocol/nvsp.js';
import {
  decodeRndis,
  encodeRndis,
  rndisInitRequest,
  rndisQueryRequest,
  type RndisMessage,
} from '../protocol/rndis.js';
import {
  rndisOffloadCapabilitiesQuery,
  rndisOffloadParametersSetRequest,
  rndisPacketFilterSetRequest,
  rndisRssCapabilitiesQuery,
  rndisRssSetRequest,
} from '../protocol/rndis-builders.js';
import { ndis_offload_params, ndis_recv_scale_cap, rssParameters, NDIS_LINUX_OPEN_PACKET_FILTER } from '../protocol/ndis.js';
import { OID } from '../protocol/oids.js';
import { createNetvspHost, type NetvspHost } from '../host/netvsp.js';
import type { NetvspConfig } from '../host/config.js';

/** `VMBUS_RQST_ID_NO_RESPONSE`: the trans id Linux puts on messages that want no completion. */
export const NO_RESPONSE = 0xfffffffffffffffdn;
/** Linux's NVSP version list, newest first (netvsc.c `ver_list`). */
export const LINUX_VERSIONS = [0x60001, 0x60000, 0x50000, 0x40000, 0x30002, 0x2];

/** A packet the guest took off a channel's host→guest ring. */
export interface Received {
  /** Virtual time (ns) the guest read it. */
  readonly time: number;
  /** Subchannel index of the channel. */
  readonly channel: number;
  /** The decoded VMBus packet (a copy of the ring bytes). */
  readonly packet: VmbusPacket;
  /** For transfer-page packets: the bytes of each range, read from the receive buffer. */
  readonly ranges: Uint8Array[];
}

/** Options of {@link ScriptedGuest}. */
export interface ScriptedGuestOptions {
  /** Configuration of the NetVSP host under test, built on the bus's host side (default: all defaults). */
  readonly host?: NetvspConfig;
  /** Seed of the bus scheduler (same seed, same interleaving, same bytes; default 1). */
  readonly seed?: number;
  /** Further options of the bus (scheduler, guest memory, hypervisor, VMBus host and guest); its seed is {@link seed}. */
  readonly bus?: Omit<BusOptions, 'seed'>;
  /** Pages of each ring (default 32 per direction). */
  readonly ringPages?: number;
  /** Complete every transfer-page packet at once, as Linux does (default true). */
  readonly autoComplete?: boolean;
  /** Open subchannels when offered (default true). */
  readonly openSubchannels?: boolean;
}

/** The guest side of one test. */
export class ScriptedGuest {
  /** The bus both sides sit on, created from the options; {@link run} runs it. */
  readonly bus: Bus;
  /** The NetVSP host under test, on the bus's host side; inspect it with its `state()` and counters. */
  readonly host: NetvspHost;
  /** Channels by subchannel index (0 = primary). */
  readonly channels = new Map<number, GuestChannel>();
  /** Subchannel offers seen, in arrival order. */
  readonly offers: number[] = [];
  /** Packets received, per subchannel index, in order. */
  readonly inbox = new Map<number, Received[]>();
  /** Receive completions to hold back instead of sending (`autoComplete` off). */
  readonly held: Received[] = [];
  /** Complete each transfer-page packet as soon as it is read (Linux's way); when false it goes to {@link held}. May be switched at any time. */
  autoComplete: boolean;
  /** The pages given to the host as the receive buffer (set by {@link bringUp} or the test); ranges are read from here. */
  recvBuffer: GuestBuffer | null = null;
  /** The pages given to the host as the send buffer; {@link sendFromSection} writes 6144-byte sections into it. */
  sendBuffer: GuestBuffer | null = null;
  /** A scratch page for GPA-direct RNDIS requests. */
  private rndisPage: GuestBuffer | null = null;
  private nextTransId = 1n;
  private readonly ringBytes: number;
  private readonly openSubchannels: boolean;

  constructor(options: ScriptedGuestOptions = {}) {
    this.bus = createBus({ ...options.bus, seed: options.seed ?? 1 });
    this.host = createNetvspHost(this.bus.host, options.host ?? {});
    this.autoComplete = options.autoComplete ?? true;
    this.ringBytes = (options.ringPages ?? 32) * 4096;
    this.openSubchannels = options.openSubchannels ?? true;
    this.bus.guest.registerDriver({
      name: 'scripted-netvsc',
      ifType: HV_NIC_GUID,
      probe: (ch, g) => {
        this.channels.set(0, ch);
        ch.scCreationCallback = (sub) => {
          this.offers.push(sub.subChannelIndex);
          if (!this.openSubchannels) return;
          this.channels.set(sub.subChannelIndex, sub);
          return g.open(sub, this.openOptions(sub.subChannelIndex));
        };
        return g.open(ch, this.openOptions(0));
      },
    });
    this.bus.guest.connect();
    this.run();
  }

  private openOptions(index: number) {
    return {
      sendRingSize: this.ringBytes,
      recvRingSize: this.ringBytes,
      maxPktSize: 4624,
      callback: (ch: GuestChannel) => this.onPackets(index, ch),
    };
  }

  /**
   * Closes the primary (which closes the subchannels first, as `vmbus_close` does) and opens it
   * again with the subchannel callback re-registered, as netvsc's detach/attach does.
   */
  reopenPrimary(): void {
    const primary = this.primary;
    this.bus.guest.close(primary);
    this.run();
    for (const i of [...this.channels.keys()]) if (i !== 0) this.channels.delete(i);
    this.inbox.clear();
    this.offers.length = 0;
    primary.scCreationCallback = (sub) => {
      this.offers.push(sub.subChannelIndex);
      if (!this.openSubchannels) return;
      this.channels.set(sub.subChannelIndex, sub);
      return this.bus.guest.open(sub, this.openOptions(sub.subChannelIndex));
    };
    this.bus.guest.open(primary, this.openOptions(0));
    this.run();
  }

  /** Opens an offered subchannel by hand (when `openSubchannels` is off). */
  openSubchannel(index: number): void {
    const primary = this.channels.get(0)!;
    const sub = primary.subchannels.find((c) => c.subChannelIndex === index)!;
    this.channels.set(index, sub);
    this.bus.guest.open(sub, this.openOptions(index));
    this.run();
  }

  /** Runs the bus until no events are pending. */
  run(): void {
    this.bus.run();
  }

  /** The primary channel (subchannel index 0). */
  get primary(): GuestChannel {
    return this.channels.get(0)!;
  }

  private onPackets(index: number, ch: GuestChannel): void {
    const rx = ch.rings!.inbound;
    const box = this.inbox.get(index) ?? [];
    this.inbox.set(index, box);
    for (let p = rx.first(); p; p = rx.next()) {
      const packet = decodePacket(p.bytes.slice());
      const ranges = packet.kind === 'xfer-pages' && this.recvBuffer ? packet.ranges.map((r) => this.recvBuffer!.bytes.slice(r.byte_offset, r.byte_offset + r.byte_count)) : [];
      const rec: Received = { time: this.bus.scheduler.now, channel: index, packet, ranges };
      box.push(rec);
      if (packet.kind === 'xfer-pages') {
        if (this.autoComplete) this.completeReceive(index, packet.trans_id);
        else this.held.push(rec);
      }
    }
    ch.closeRead();
  }

  /** Sends Linux's receive completion ({108, status}) for a transfer-page packet. */
  completeReceive(index: number, transId: bigint, status = 1): void {
    const payload = new Uint8Array(8);
    const dv = new DataView(payload.buffer);
    dv.setUint32(0, 108, true);
    dv.setUint32(4, status, true);
    this.send(index, { kind: 'completion', flags: 0, trans_id: 0n, payload }, transId);
  }

  /** Sends a raw packet on a channel; returns the send result. */
  send(index: number, packet: VmbusPacket, requestId: bigint = this.nextTransId++) {
    const ch = this.channels.get(index)!;
    return ch.sendPacket(packet, requestId);
  }

  /** Sends an NVSP message as Linux does (40 bytes, in-band); with a completion request unless `completion` is false. */
  nvsp(index: number, msg: NvspMessage | Uint8Array, options: { completion?: boolean; transId?: bigint } = {}): bigint {
    const completion = options.completion ?? true;
    const transId = options.transId ?? (completion ? this.nextTransId++ : NO_RESPONSE);
    const payload = msg instanceof Uint8Array ? msg : encodeNvsp(msg, { peer: 'linux' });
    this.send(index, { kind: 'inband', flags: completion ? 1 : 0, trans_id: 0n, payload }, transId);
    return transId;
  }

  /** All packets received on a channel. */
  received(index = 0): Received[] {
    return this.inbox.get(index) ?? [];
  }

  /** Completions received on a channel, decoded as host messages (null for an empty one). */
  completions(index = 0): {
    /** The completion's transaction id: the request id of the message it answers. */
    transId: bigint;
    /** The payload decoded as a host NVSP message at the host's negotiated version; `null` when empty. */
    msg: NvspMessage | null;
    /** Payload length in bytes (its size depends on the host's `peer` style and the NVSP version). */
    length: number;
  }[] {
    return this.received(index)
      .filter((r) => r.packet.kind === 'completion')
      .map((r) => ({
        transId: r.packet.trans_id,
        msg: r.packet.payload.length ? decodeNvsp(r.packet.payload, { from: 'host', version: this.host.state().nvspVersion }) : null,
        length: r.packet.payload.length,
      }));
  }

  /** The completion for `transId`, if it came. */
  completionFor(transId: bigint, index = 0): NvspMessage | null | undefined {
    const c = this.completions(index).find((x) => x.transId === transId);
    return c === undefined ? undefined : c.msg;
  }

  /** RNDIS messages the host put in the receive buffer on a channel, decoded. */
  rndis(index = 0): RndisMessage[] {
    return this.received(index).flatMap((r) => r.ranges.map((b) => decodeRndis(b, 0, { bound: 'buffer' })));
  }

  /** Sends an NVSP message and runs the bus; returns its completion (undefined when none came). */
  request(index: number, msg: NvspMessage): NvspMessage | null | undefined {
    const id = this.nvsp(index, msg);
    this.run();
    return this.completionFor(id, index);
  }

  /** Allocates guest pages and describes them to the host with a GPADL on the primary. */
  gpadl(pages: number): {
    /** The guest pages allocated. */
    buffer: GuestBuffer;
    /** The GPADL handle the host knows them by (for SEND_RECV_BUF / SEND_SEND_BUF). */
    handle: number;
  } {
    const a = this.bus.memory.alloc(pages);
    if (!a.ok) throw new Error('guest memory exhausted');
    const c = this.bus.guest.establishGpadl(this.primary, a.buffer);
    this.run();
    const r = c.value as VmbusResult<number>;
    if (!r.ok) throw new Error(`GPADL failed: ${r.error}`);
    return { buffer: a.buffer, handle: r.value };
  }

  /**
   * Sends an RNDIS message the way Linux sends control messages (`rndis_filter_send_request`):
   * GPA-direct, one range over guest pages, NVSP SEND_RNDIS_PKT {channel_type 1, index -1, size 0}.
   * `ranges` overrides the page ranges (to split a message across pages by hand).
   */
  sendRndis(msg: RndisMessage | Uint8Array, options: { index?: number; channelType?: number; offset?: number; ranges?: GpaRange[]; completion?: boolean } = {}): bigint {
    const bytes = msg instanceof Uint8Array ? msg : encodeRndis(msg);
    const a = this.bus.memory.alloc(4);
    if (!a.ok) throw new Error('guest memory exhausted');
    this.rndisPage = a.buffer;
    const page = a.buffer;
    const offset = options.offset ?? 0;
    page.bytes.set(bytes, offset);
    const pfns = GuestMemory.pfns(page);
    const ranges = options.ranges ?? [{ byte_count: bytes.length, byte_offset: offset % 4096, pfns: pfns.slice(Math.floor(offset / 4096), Math.floor(offset / 4096) + Math.ceil(((offset % 4096) + bytes.length) / 4096)) }];
    const payload = encodeNvsp(
      { type: 'SEND_RNDIS_PKT', channel_type: options.channelType ?? 1, send_buf_section_index: NETVSC_INVALID_INDEX, send_buf_section_size: 0 },
      { peer: 'linux' },
    );
    const completion = options.completion ?? true;
    const transId = this.nextTransId++;
    this.send(options.index ?? 0, { kind: 'gpa-direct', flags: completion ? 1 : 0, trans_id: 0n, ranges, payload }, transId);
    return transId;
  }

  /** The pages the last GPA-direct RNDIS request was written to (4 pages, fresh for each request). */
  get rndisPages(): GuestBuffer | null {
    return this.rndisPage;
  }

  /** Writes `bytes` into send-buffer section `section` and sends SEND_RNDIS_PKT naming it (Linux's copy path). */
  sendFromSection(index: number, section: number, bytes: Uint8Array, options: { size?: number; channelType?: number } = {}): bigint {
    const sb = this.sendBuffer!;
    sb.bytes.set(bytes, section * 6144);
    return this.nvsp(index, {
      type: 'SEND_RNDIS_PKT',
      channel_type: options.channelType ?? 0,
      send_buf_section_index: section,
      send_buf_section_size: options.size ?? bytes.length,
    });
  }

  /** Sends an RNDIS request and runs the bus; returns the host's RNDIS answer for its req_id (if any). */
  rndisRequest(msg: RndisMessage): RndisMessage | undefined {
    const before = this.rndis(0).length;
    this.sendRndis(msg);
    this.run();
    const reqId = 'req_id' in msg ? msg.req_id : undefined;
    return this.rndis(0)
      .slice(before)
      .find((m) => reqId === undefined || ('req_id' in m && m.req_id === reqId));
  }
}

/** What {@link bringUp} reached. */
export interface BringUp {
  /** NVSP version the host accepted (the first of {@link LINUX_VERSIONS} it completed with SUCCESS). */
  readonly version: number;
  /** The host's answer to `OID_GEN_RECEIVE_SCALE_CAPABILITIES`; `null` before NVSP 5 or when the query failed. */
  readonly rssCaps: {
    /** `num_recv_que`: receive queues the host offers (RSS needs at least 2). */
    num_recv_que: number;
    /** `num_indirect_tabent`: indirection table entries the host asks for. */
    num_indirect_tabent: number;
  } | null;
  /** Subchannels granted (0 when none were asked or the host refused). */
  readonly granted: number;
  /** The indirection table sent to the host (Linux: i mod requested channels), or null. */
  readonly table: number[] | null;
  /** The 40-byte Toeplitz key sent with the RSS SETs, or null when RSS was not programmed. */
  readonly key: Uint8Array | null;
}

/** Options of {@link bringUp}. */
export interface BringUpOptions {
  /** Channels wanted in all (Linux's num_chn; default 1 = no subchannels). */
  readonly channels?: number;
  /** Pages of the receive buffer (default 512 = 2 MiB; Linux uses 4096). */
  readonly recvPages?: number;
  /** Pages of the send buffer (default 255, Linux's 170 × 6144 rounded up). */
  readonly sendPages?: number;
  /** Set the packet filter (ip link set up) at the end (default true). */
  readonly open?: boolean;
  /** RSS key (default Linux's netvsc_hash_key). */
  readonly key?: Uint8Array;
}

/**
 * Linux 6.1's bring-up (spec §4.2) step by step against the host: NVSP negotiation from 6.1 down,
 * NDIS_CONFIG and NDIS version, receive and send buffers, RNDIS INIT and the queries and SETs of
 * `rndis_filter_device_add`, the subchannel request and the RSS disable/enable pair, then the
 * packet filter. Throws when a step the real driver requires fails.
 */
export function bringUp(g: ScriptedGuest, options: BringUpOptions = {}): BringUp {
  let version = 0;
  for (const v of LINUX_VERSIONS) {
    const c = g.request(0, { type: 'INIT', min_protocol_ver: v, max_protocol_ver: v });
    if (c?.type === 'INIT_COMPLETE' && c.status === 1) {
      version = v;
      if (v > 2) g.nvsp(0, { type: 'SEND_NDIS_CONFIG', mtu: 1514, capability: linuxNdisConfigCapability(v) }, { completion: false });
      break;
    }
  }
  if (!version) throw new Error('bringUp: no NVSP version accepted');
  g.nvsp(0, { type: 'SEND_NDIS_VER', ...linuxNdisVersion(version) }, { completion: false });
  const recv = g.gpadl(options.recvPages ?? 512);
  g.recvBuffer = recv.buffer;
  const rc = g.request(0, { type: 'SEND_RECV_BUF', gpadl_handle: recv.handle, id: NETVSC_RECEIVE_BUFFER_ID });
  if (rc?.type !== 'SEND_RECV_BUF_COMPLETE' || rc.status !== 1) throw new Error('bringUp: receive buffer refused');
  const send = g.gpadl(options.sendPages ?? 255);
  g.sendBuffer = send.buffer;
  const sc = g.request(0, { type: 'SEND_SEND_BUF', gpadl_handle: send.handle, id: 0 });
  if (sc?.type !== 'SEND_SEND_BUF_COMPLETE' || sc.status !== 1) throw new Error('bringUp: send buffer refused');
  let req = 1;
  const init = g.rndisRequest(rndisInitRequest(req++));
  if (init?.type !== 'INIT_C' || init.status !== 0) throw new Error('bringUp: RNDIS INIT failed');
  g.rndisRequest(rndisQueryRequest(req++, OID.GEN_MAXIMUM_FRAME_SIZE));
  const mac = g.rndisRequest(rndisQueryRequest(req++, OID['802_3_PERMANENT_ADDRESS']));
  if (mac?.type !== 'QUERY_C' || mac.info_buf.length !== 6) throw new Error('bringUp: MAC query failed');
  g.rndisRequest(rndisQueryRequest(req++, OID.GEN_FRIENDLY_NAME));
  const rev = version >= 0x50000 ? 3 : version === 0x40000 ? 2 : 1;
  const caps = g.rndisRequest(rndisOffloadCapabilitiesQuery(req++, rev));
  if (caps?.type !== 'QUERY_C' || caps.status !== 0) throw new Error('bringUp: offload capabilities failed');
  const params = ndis_offload_params.zero();
  params.ip_v4_csum = 1;
  params.tcp_ip_v4_csum = 4;
  params.tcp_ip_v6_csum = 4;
  params.lso_v2_ipv4 = 2;
  params.lso_v2_ipv6 = 2;
  const off = g.rndisRequest(rndisOffloadParametersSetRequest(req++, params, version >= 0x50000 ? 28 : 22));
  if (off?.type !== 'SET_C' || off.status !== 0) throw new Error('bringUp: offload parameters refused');
  g.rndisRequest(rndisQueryRequest(req++, OID.GEN_MEDIA_CONNECT_STATUS));
  let rssCaps: BringUp['rssCaps'] = null;
  let granted = 0;
  let table: number[] | null = null;
  let key: Uint8Array | null = null;
  if (version >= 0x50000) {
    g.rndisRequest(rndisQueryRequest(req++, OID.GEN_LINK_SPEED));
    const r = g.rndisRequest(rndisRssCapabilitiesQuery(req++));
    if (r?.type === 'QUERY_C' && r.status === 0 && r.info_buf.length >= 18) {
      const cap = ndis_recv_scale_cap.decode(r.info_buf);
      rssCaps = { num_recv_que: cap.num_recv_que, num_indirect_tabent: cap.num_indirect_tabent };
      const want = options.channels ?? 1;
      const maxChn = Math.min(64, cap.num_recv_que);
      const numChn = Math.min(maxChn, want);
      const size = cap.num_indirect_tabent >= 1 && cap.num_indirect_tabent <= 256 ? cap.num_indirect_tabent : 128;
      if (numChn > 1) {
        const c = g.request(0, { type: 'SUBCHANNEL_REQUEST', op: 1, num_subchannels: numChn - 1 });
        if (c?.type === 'SUBCHANNEL_COMPLETE' && c.status === 1 && c.num_subchannels <= numChn - 1) {
          granted = c.num_subchannels;
          g.run();
          // rndis_set_subchannel: the RSS table was built for the requested count
          table = Array.from({ length: size }, (_, i) => i % numChn);
          key = options.key ?? rssParameters({ indirection_table: [0] }).hash_key;
          g.rndisRequest(rndisRssSetRequest(req++, rssParameters({ indirection_table: table, hash_key: key, flag: 0x10 })));
          g.rndisRequest(rndisRssSetRequest(req++, rssParameters({ indirection_table: table, hash_key: key })));
        }
      }
    }
  }
  if (options.open ?? true) g.rndisRequest(rndisPacketFilterSetRequest(req++, NDIS_LINUX_OPEN_PACKET_FILTER));
  return { version, rssCaps, granted, table, key };
}
