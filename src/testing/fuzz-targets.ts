/**
 * The fuzz targets: each feeds hostile bytes to one receive path of the simulator and lets any
 * exception or hang escape as a finding. Layout of each world and meaning of the record tags are
 * given per target. Inspired by the split of openvmm's netvsp fuzzers (vm/devices/net/netvsp/fuzz:
 * a control-path target and one reading the input as a list of actions); the code is our own.
 *
 * What counts as a finding: an exception thrown out of the host model, the guest driver or the
 * VMBus layers while they handle peer bytes (they must reject, count and carry on, as the real
 * code does), or a simulation that is still busy after {@link FUZZ_MAX_EVENTS} scheduler events.
 * The targets that run Linux's guest driver count {@link FUZZ_MAX_RECORD_EVENTS} per record, and
 * only events due within {@link FUZZ_HORIZON_NS} of virtual time (a timer re-arming itself seconds
 * apart is waiting, not hanging); a guest that takes more than {@link FUZZ_MAX_GUEST_PACKETS}
 * packets off its rings in one record is spinning.
 * A guest flow left waiting for a completion the hostile host never sends is not a hang: Linux
 * waits forever there too, and the scheduler goes idle.
 * @module
 */
import * as fc from 'fast-check';
import { createBus, type Bus } from '../vmbus/bus.js';
import { GuestMemory, type GuestBuffer } from '../vmbus/memory.js';
import { encodePacketInto, vmbusPacket, type PacketScratch, type VmbusPacket } from '../vmbus/packet.js';
import { RING_CONTROL_SIZE, RingConsumer } from '../vmbus/ring.js';
import { ProtocolError } from '../wire/errors.js';
import { HV_MESSAGE_PAYLOAD_BYTE_COUNT, encodeChannelMessage } from '../vmbus/messages.js';
import { VMBUS_MESSAGE_CONNECTION_ID, VMBUS_MESSAGE_CONNECTION_ID_4 } from '../vmbus/versions.js';
import { encodeNvsp, linuxNdisConfigCapability, NETVSC_INVALID_INDEX, NVSP_PROTOCOL_VERSIONS, type NvspMessage } from '../protocol/nvsp.js';
import { encodeRndis, rndisInitRequest, rndisQueryRequest, rndisSetRequest, RNDIS_STATUS } from '../protocol/rndis.js';
import { rndisRssSetRequest } from '../protocol/rndis-builders.js';
import { rssParameters } from '../protocol/ndis.js';
import { OID } from '../protocol/oids.js';
import { createNetvspHost, type NetvspCheckpoint, type NetvspHost } from '../host/netvsp.js';
import { registerNetvscDriver, type NetvscDriver } from '../guest/netvsc-drv.js';
import { createVm, type Vm } from '../session/vm.js';
import { SimHangError } from '../sim/vm.js';
import { spawn } from '../vmbus/scheduler.js';
import { ScriptedGuest, bringUp, type ScriptedGuestOptions } from './peers-guest.js';
import { ScriptedHost } from './peers-host.js';
import { arbNearValidNvsp, arbNvspMessage } from './arb-nvsp.js';
import { arbNearValidRndis, arbRndisMessage } from './arb-rndis.js';
import { arbChannelMessage, arbNearValidChannelMessage, arbNearValidPacket } from './arb-vmbus.js';
import { FUZZ_HORIZON_NS, FUZZ_MAX_EVENTS, FUZZ_MAX_GUEST_PACKETS, FUZZ_MAX_RECORD_EVENTS, FuzzHangError, FuzzTargetBase, encodeFuzzRecords, guestSpinCheck, readU32, record, runWithin, u32le, type FuzzRecord, type FuzzTarget } from './fuzz-core.js';

/** Versions, message types, OIDs and status codes: 4-byte tokens a mutator splices into payloads. */
export const FUZZ_TOKENS: readonly Uint8Array[] = [
  ...NVSP_PROTOCOL_VERSIONS,
  ...Array.from({ length: 12 }, (_, i) => i + 1),
  100, 101, 102, 103, 104, 105, 106, 107, 108, 125, 126, 127, 128, 129, 130, 131, 132, 133, 134, 135, 136, 137,
  0x1, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7, 0x8, 0x80000002, 0x80000003, 0x80000004, 0x80000005, 0x80000006,
  ...Object.values(OID),
  RNDIS_STATUS.SUCCESS, RNDIS_STATUS.FAILURE, RNDIS_STATUS.NOT_SUPPORTED, 0xffffffff, 0xfffffffe, 0x7fffffff, 0x80000000, 0,
].map((v) => u32le(v));

const oids = Object.values(OID);

/** Records drawn from an arbitrary of byte strings, tagged by `tag`. */
function recordsOf(parts: fc.Arbitrary<[number, Uint8Array]>[], max = 12): fc.Arbitrary<Uint8Array> {
  return fc.array(fc.oneof(...parts), { minLength: 1, maxLength: max }).map((rs) => encodeFuzzRecords(rs.map(([tag, bytes]) => ({ tag, bytes }))));
}

const nvspBytes = fc.oneof(
  arbNvspMessage().map((m) => encodeNvsp(m, { peer: 'linux' })),
  arbNearValidNvsp().map((n) => n.bytes),
);
const rndisBytes = fc.oneof(
  arbRndisMessage().map((m) => encodeRndis(m)),
  arbNearValidRndis().map((n) => n.bytes),
);

/** A message-type word as a coverage kind (small values and RNDIS completions by value, the rest as one). */
function kindOf(v: number): string {
  return v <= 0xff || (v >= 0x80000001 && v <= 0x80000010) ? v.toString(16) : 'other';
}

/** True when `e` is a simulated hang ({@link FuzzHangError} or {@link SimHangError}). */
export function isHang(e: unknown): boolean {
  return e instanceof FuzzHangError || e instanceof SimHangError;
}

// ---------------------------------------------------------------------------------------------
// Host control path

/**
 * What the host-side targets ({@link HostControlTarget}, {@link HostRssTarget}) run against: a
 * {@link ScriptedGuest} (its `host` is the NetVSP under test, 8-page rings) with the buffers it gave.
 */
export interface HostWorld {
  /** The scripted guest; `g.host` is the host under test and `g.bus` the bus both share. */
  readonly g: ScriptedGuest;
  /** Guest pages of the receive buffer (32 pages), or null when none was set up. */
  readonly recvBuf: GuestBuffer | null;
  /** GPADL handle of the receive buffer (0 when none). */
  readonly recvHandle: number;
  /** GPADL handle of the send buffer (16 pages; 0 when none). */
  readonly sendHandle: number;
  /** Two guest pages the target writes RNDIS messages into to send them GPA-direct. */
  readonly scratch: GuestBuffer;
  /** Transaction id of the next packet the target sends (from 1). */
  transId: bigint;
}

function hostWorld(bringup: boolean, options: ScriptedGuestOptions = {}): HostWorld {
  const g = new ScriptedGuest({ ringPages: 8, ...options, host: { maxEvents: 0, ...options.host } });
  if (bringup) {
    bringUp(g, { recvPages: 32, sendPages: 16, channels: 4 });
    const s = g.host.state();
    const a = g.bus.memory.alloc(2);
    if (!a.ok) throw new Error('fuzz: guest memory exhausted');
    return { g, recvBuf: g.recvBuffer, recvHandle: s.recvBuffer?.gpadl ?? 0, sendHandle: s.sendBuffer?.gpadl ?? 0, scratch: a.buffer, transId: 1n };
  }
  const recv = g.gpadl(32);
  const send = g.gpadl(16);
  g.sendBuffer = send.buffer;
  const a = g.bus.memory.alloc(2);
  if (!a.ok) throw new Error('fuzz: guest memory exhausted');
  return { g, recvBuf: recv.buffer, recvHandle: recv.handle, sendHandle: send.handle, scratch: a.buffer, transId: 1n };
}

/** The packet bytes that carry an RNDIS message GPA-direct from the scratch page (Linux's control path). */
function rndisGpaPacket(w: HostWorld, bytes: Uint8Array, channelType: number, completion: boolean): Uint8Array {
  const n = Math.min(bytes.length, 8192);
  w.scratch.bytes.set(bytes.subarray(0, n), 0);
  const pfns = GuestMemory.pfns(w.scratch);
  const payload = encodeNvsp({ type: 'SEND_RNDIS_PKT', channel_type: channelType, send_buf_section_index: NETVSC_INVALID_INDEX, send_buf_section_size: 0 }, { peer: 'linux' });
  const p: VmbusPacket = { kind: 'gpa-direct', flags: completion ? 1 : 0, trans_id: w.transId++, ranges: [{ byte_count: n, byte_offset: 0, pfns: pfns.slice(0, Math.max(1, Math.ceil(n / 4096))) }], payload };
  return vmbusPacket.encode(p);
}

function inband(w: HostWorld, payload: Uint8Array, completion: boolean): Uint8Array {
  return vmbusPacket.encode({ kind: 'inband', flags: completion ? 1 : 0, trans_id: w.transId++, payload });
}

function hostDictionary(w: HostWorld): Uint8Array[] {
  const nv = (m: NvspMessage) => record(1 | 0x80, encodeNvsp(m, { peer: 'linux' }));
  return [
    ...NVSP_PROTOCOL_VERSIONS.map((v) => nv({ type: 'INIT', min_protocol_ver: v, max_protocol_ver: v })),
    nv({ type: 'SEND_NDIS_CONFIG', mtu: 1514, capability: linuxNdisConfigCapability(0x60001) }),
    nv({ type: 'SEND_NDIS_VER', ndis_major_ver: 6, ndis_minor_ver: 30 }),
    nv({ type: 'SEND_RECV_BUF', gpadl_handle: w.recvHandle, id: 0xcafe }),
    nv({ type: 'SEND_SEND_BUF', gpadl_handle: w.sendHandle, id: 0 }),
    nv({ type: 'SUBCHANNEL_REQUEST', op: 1, num_subchannels: 3 }),
    record(2, encodeRndis(rndisInitRequest(1))),
    ...oids.slice(0, 24).map((oid, i) => record(2, encodeRndis(rndisQueryRequest(10 + i, oid)))),
    record(2, encodeRndis(rndisRssSetRequest(50, rssParameters({ indirection_table: Array.from({ length: 128 }, (_, i) => i % 4) })))),
    record(2, encodeRndis(rndisSetRequest(51, OID.GEN_CURRENT_PACKET_FILTER, u32le(0x9)))),
    // Linux 6.1's bring-up up to RNDIS INIT, as one entry: the session reaches `ready`
    encodeFuzzRecords(
      [
        { type: 'INIT', min_protocol_ver: 0x60001, max_protocol_ver: 0x60001 },
        { type: 'SEND_NDIS_CONFIG', mtu: 1514, capability: linuxNdisConfigCapability(0x60001) },
        { type: 'SEND_NDIS_VER', ndis_major_ver: 6, ndis_minor_ver: 30 },
        { type: 'SEND_RECV_BUF', gpadl_handle: w.recvHandle, id: 0xcafe },
        { type: 'SEND_SEND_BUF', gpadl_handle: w.sendHandle, id: 0 },
      ]
        .map((m) => ({ tag: 1 | 0x80, bytes: encodeNvsp(m as NvspMessage, { peer: 'linux' }) }))
        .concat([{ tag: 2, bytes: encodeRndis(rndisInitRequest(2)) }]),
    ),
  ];
}

/** The NVSP SEND_RNDIS_PKT payload of Linux's control path (GPA-direct, no send section). */
const RNDIS_GPA_PAYLOAD = encodeNvsp({ type: 'SEND_RNDIS_PKT', channel_type: 1, send_buf_section_index: NETVSC_INVALID_INDEX, send_buf_section_size: 0 }, { peer: 'linux' });

/** The guest's receive completion ({108, SUCCESS}) of a transfer-page packet, framed; the trans id is patched in. */
const RECV_COMPLETION = vmbusPacket.encode({ kind: 'completion', flags: 0, trans_id: 0n, payload: Uint8Array.of(108, 0, 0, 0, 1, 0, 0, 0) });
const RECV_COMPLETION_IDS = new DataView(RECV_COMPLETION.buffer, RECV_COMPLETION.byteOffset, RECV_COMPLETION.length);

/** VMBus packet type of a transfer-page packet (VM_PKT_DATA_USING_XFER_PAGES). */
const VM_PKT_XFER_PAGES = 7;

/**
 * The `host-control` world: a host whose primary channel is open, with the receive and send buffer
 * GPADLs created (not announced), and what {@link HostControlTarget} needs to put it back as built.
 */
export interface HostControlWorld extends HostWorld {
  /** The primary's host→guest ring (control page + data), polled by the target. */
  readonly ring: Uint8Array;
  /** The target's strict reader of {@link ring}, interrupts masked; replaced on restore. */
  reader: RingConsumer;
  /** The receive buffer's pages (GPADL created, not yet announced to the host). */
  readonly recv: GuestBuffer;
  /** The send buffer's pages, in 6144-byte sections (GPADL created, not yet announced). */
  readonly send: GuestBuffer;
  /** As built: the host's checkpoint, copies of the memory the input may write, the bus's event count. */
  readonly checkpoint: NetvspCheckpoint;
  /** The host's {@link NetvspHost.topology} count as built; a change means channels came or went. */
  readonly topology: number;
  /** The bus scheduler's events run as built; any event run since rules a restore out. */
  readonly eventsRun: number;
  /** Copy of {@link ring} as built. */
  readonly ringTemplate: Uint8Array;
  /** Copy of the receive buffer's bytes as built. */
  readonly recvTemplate: Uint8Array;
  /** Copy of the send buffer's bytes as built. */
  readonly sendTemplate: Uint8Array;
  /** Copy of the scratch pages' bytes as built. */
  readonly scratchTemplate: Uint8Array;
  /** Bytes of the packets (trailers included) the target read off {@link ring} since the world was built or restored. */
  ringBytes: number;
  /** Receive-buffer byte ranges the host wrote, as flat [start, end, start, end, …] pairs. */
  readonly recvDirty: number[];
  /** Send sections the input wrote, one bit per section (bit k = section k). */
  sendDirty: number;
  /** Bytes at the start of {@link HostWorld.scratch} the input wrote. */
  scratchDirty: number;
  /** The host's ring could not be read (its control page was overwritten through an aliased buffer). */
  unreadable: boolean;
  /** Transaction id of the next framed record. */
  tid: number;
  /** Host events cancelled by restores so far (they wait in the scheduler's heap until their time). */
  cancelled: number;
}

/** The memory of the last host-control world built, as built (shared by worlds whose bytes match). */
let templates: { readonly ring: Uint8Array; readonly recv: Uint8Array; readonly send: Uint8Array; readonly scratch: Uint8Array } | null = null;

/** True when `a` holds exactly the bytes of `b`. */
function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (!a || a.length !== b.length) return false;
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0 && a.length % 4 === 0) {
    const x = new Uint32Array(a.buffer, a.byteOffset, a.length / 4);
    const y = new Uint32Array(b.buffer, b.byteOffset, b.length / 4);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * When the `host-control` host offers the subchannels it grants: one virtual hour after its answer,
 * far past anything an input runs, so an input sees a host that granted and has not offered yet.
 */
export const HOST_CONTROL_OFFER_DELAY_NS = 3_600_000_000_000;

function hostControlWorld(): HostControlWorld {
  // Same-instant events run in the order they were scheduled ('fifo'), not in one drawn from the
  // seed: an order that does not depend on how many events earlier inputs scheduled (and had cancelled).
  const w = hostWorld(false, { bus: { scheduler: { ties: 'fifo' } }, host: { subchannels: { offerDelay: HOST_CONTROL_OFFER_DELAY_NS } } });
  const g = w.g;
  const ring = g.primary.rings!.inbound.mem;
  const reader = new RingConsumer(ring, { mode: 'strict' });
  // The target polls the ring with interrupts masked (as netvsc's NAPI poll does between
  // hv_begin_read and hv_end_read): the host never interrupts the guest, so no bus event runs.
  reader.beginRead();
  if (reader.writeIndex !== 0 || reader.readIndex !== 0) throw new Error('fuzz: the host-control ring is not empty as built');
  const recvBuf = w.recvBuf!;
  const sendBuf = g.sendBuffer!;
  // Every world is built the same way, so the memory as built is the same: the copies are shared
  // while the bytes match (checked in full, which costs less than copying).
  const old = templates;
  const t =
    old && sameBytes(old.ring, ring) && sameBytes(old.recv, recvBuf.bytes) && sameBytes(old.send, sendBuf.bytes) && sameBytes(old.scratch, w.scratch.bytes)
      ? old
      : { ring: ring.slice(), recv: recvBuf.bytes.slice(), send: sendBuf.bytes.slice(), scratch: w.scratch.bytes.slice() };
  templates = t;
  return {
    ...w,
    ring,
    reader,
    recv: recvBuf,
    send: sendBuf,
    checkpoint: g.host.checkpoint(),
    topology: g.host.topology,
    eventsRun: g.bus.scheduler.eventsRun,
    ringTemplate: t.ring,
    recvTemplate: t.recv,
    sendTemplate: t.send,
    scratchTemplate: t.scratch,
    ringBytes: 0,
    recvDirty: [],
    sendDirty: 0,
    scratchDirty: 0,
    unreadable: false,
    tid: 1,
    cancelled: 0,
  };
}

/**
 * `host-control`: NVSP and RNDIS control messages from a hostile guest into {@link NetvspHost}
 * (`processPacket` on the primary). World: a fresh host whose guest has opened the primary and
 * created (not yet announced) receive and send buffer GPADLs, so valid messages from the dictionary
 * can take the session to `ready`. The host answers subchannel requests as configured by default
 * (grant all) but offers the granted subchannels only {@link HOST_CONTROL_OFFER_DELAY_NS} later,
 * past the end of any input: offers, opens and the send table are the `host-rss` and `interop`
 * targets' business. The target is the guest driver: after each record it polls the host→guest
 * ring with interrupts masked (as NAPI does) and completes every transfer-page packet (the receive
 * completion Linux sends) at once. Tags (low 2 bits): 0 raw VMBus packet; 1 NVSP in-band payload;
 * 2 RNDIS message GPA-direct; 3 RNDIS message in send section `tag >> 2`. Bit 7: ask for a
 * completion.
 *
 * Every input runs on a world equivalent to a freshly built one, so a finding replays alone: after
 * an input the world is restored (the host's {@link NetvspHost.checkpoint}, which also cancels the
 * offers still to come; the ring, receive-buffer ranges, send sections and scratch bytes the input
 * wrote) when nothing else changed — no bus event ran and the host's buffers are the ones built —,
 * and rebuilt otherwise (`builds` and `restores` count both).
 */
export class HostControlTarget extends FuzzTargetBase<HostControlWorld> {
  /** `host-control`: the id {@link createFuzzTarget} and `npm run fuzz` know it by. */
  readonly name = 'host-control';
  readonly description = 'NVSP + RNDIS control messages from a hostile guest into the NetVSP host';
  readonly generator = recordsOf([
    nvspBytes.map((b): [number, Uint8Array] => [0x81, b]),
    rndisBytes.map((b): [number, Uint8Array] => [2, b]),
    arbNearValidPacket().map((n): [number, Uint8Array] => [0, n.bytes]),
  ]);
  private dict: Uint8Array[] | null = null;
  private readonly seenIn = new Uint8Array(4 * 512);
  private readonly seenKeys = new Map<string, Set<string>>();
  private readonly pendingCompletions: bigint[] = [];
  /** The buffer {@link HostControlTarget.frame} encodes into, reused from record to record. */
  private readonly frameScratch: PacketScratch = { buf: new Uint8Array(256) };
  /** SEND_RNDIS_PKT naming a send section, as Linux encodes it (40 bytes). */
  private readonly sectionPayload = encodeNvsp({ type: 'SEND_RNDIS_PKT', channel_type: 1, send_buf_section_index: 0, send_buf_section_size: 0 }, { peer: 'linux' }).slice();

  /** @param resetEvery Inputs per world when a world cannot be restored (default 1: always fresh). */
  constructor(resetEvery = 1) {
    super(resetEvery);
  }
  /** A fresh host-control world (see the class text). */
  protected build(): HostControlWorld {
    return hostControlWorld();
  }
  /** Spent once the host closed its session after a topology change. */
  protected override spent(w: HostControlWorld): boolean {
    return w.g.host.topology !== w.topology && w.g.host.state().phase === 'closed';
  }
  /** Puts the world back as built when only host state, ring and buffer bytes changed (see the class text). */
  protected override restore(w: HostControlWorld): boolean {
    const bus = w.g.bus;
    const host = w.g.host;
    // Nothing ran on the bus, and what waits on it is the host's own (offers still to come): the
    // host's rollback cancels those. Cancelled events stay in the scheduler's heap until their time:
    // past a bound, the world is rebuilt rather than let the heap grow.
    const waiting = host.scheduledEvents;
    if (w.unreadable || bus.scheduler.pending !== waiting || bus.scheduler.eventsRun !== w.eventsRun || host.topology !== w.topology) return false;
    if ((w.cancelled += waiting) > 100_000) return false;
    const b = host.bufferGpadls();
    if ((b.recv !== null && b.recv !== w.recvHandle) || w.reader.cursor !== w.reader.writeIndex) return false;
    // the ring: its control page, and the data the host wrote since the start (from index 0)
    const data = RING_CONTROL_SIZE + Math.min(w.ringBytes, w.reader.dataSize);
    w.ring.set(w.ringTemplate.subarray(0, data), 0);
    const rb = w.recv.bytes;
    for (let i = 0; i < w.recvDirty.length; i += 2) rb.set(w.recvTemplate.subarray(w.recvDirty[i]!, w.recvDirty[i + 1]!), w.recvDirty[i]!);
    if (w.sendDirty) {
      const sb = w.send.bytes;
      for (let k = 0; k < 32; k++) if (w.sendDirty & (1 << k)) sb.set(w.sendTemplate.subarray(k * 6144, (k + 1) * 6144), k * 6144);
    }
    if (w.scratchDirty) w.scratch.bytes.set(w.scratchTemplate.subarray(0, w.scratchDirty), 0);
    host.rollback(w.checkpoint);
    if (bus.scheduler.pending !== 0) return false;
    w.reader = new RingConsumer(w.ring, { mode: 'strict' });
    w.tid = 1;
    w.ringBytes = 0;
    w.recvDirty.length = 0;
    w.sendDirty = 0;
    w.scratchDirty = 0;
    return true;
  }
  dictionary(): Uint8Array[] {
    return (this.dict ??= hostDictionary(this.build()));
  }
  /** Feeds each record to the host as its tag says, then polls and completes what it sent back. */
  protected runRecords(w: HostControlWorld, records: FuzzRecord[]): void {
    const host = w.g.host;
    for (const r of records) {
      const completion = (r.tag & 0x80) !== 0;
      let packet: Uint8Array;
      switch (r.tag & 3) {
        case 0:
          packet = r.bytes;
          break;
        case 1:
          packet = this.frame(6, completion, this.nextTransId(w), r.bytes, null, 0);
          break;
        case 2: {
          const n = Math.min(r.bytes.length, w.scratch.bytes.length);
          w.scratch.bytes.set(r.bytes.subarray(0, n), 0);
          if (n > w.scratchDirty) w.scratchDirty = n;
          packet = this.frame(9, completion, this.nextTransId(w), RNDIS_GPA_PAYLOAD, w.scratch, n);
          break;
        }
        default: {
          const sb = w.send.bytes;
          const section = ((r.tag >> 2) & 0x0f) % Math.max(1, Math.floor(sb.length / 6144));
          const n = Math.min(r.bytes.length, 6144);
          sb.set(r.bytes.subarray(0, n), section * 6144);
          w.sendDirty |= 1 << section;
          const nv = this.sectionPayload;
          nv[0] = 107; // NVSP_MSG1_TYPE_SEND_RNDIS_PKT {channel_type 1, section, size}
          nv[4] = 1;
          new DataView(nv.buffer).setUint32(8, section, true);
          new DataView(nv.buffer).setUint32(12, n, true);
          packet = this.frame(6, completion, this.nextTransId(w), nv, null, 0);
        }
      }
      host.processPacket(0, packet);
      this.poll(w);
      const v = readU32(r.bytes, 0);
      const code = (r.tag & 3) * 512 + (v <= 0xff ? v : v >= 0x80000001 && v <= 0x80000010 ? 256 + v - 0x80000001 : 511);
      if (!this.seenIn[code]) {
        this.seenIn[code] = 1;
        this.see(`in:${r.tag & 3}:${kindOf(v)}`);
      }
    }
    runWithin(w.g.bus, FUZZ_MAX_EVENTS, this.name, FUZZ_HORIZON_NS);
    this.poll(w);
    const c = host.counters;
    this.seeKeys('nvsp-out', c.nvspOut);
    this.seeKeys('rndis-in', c.rndisIn);
    this.seeKeys('oid', c.oids);
    this.seeKeys('reject', c.rejects);
    this.seeKeys('fatal', c.fatal);
    w.g.inbox.clear();
  }

  /** The world's next transaction id for a framed record (1, 2, … from the built state). */
  private nextTransId(w: HostControlWorld): number {
    return w.tid++;
  }

  /**
   * Frames a record's payload as the VMBus packet a guest would write (the bytes `vmbusPacket.encode`
   * gives), in a buffer reused from record to record: in-band (type 6), or GPA-direct (type 9) with
   * one range over the first `n` bytes of `gpa` (at least one page, as the host expects a PFN).
   */
  private frame(type: 6 | 9, completion: boolean, transId: number, payload: Uint8Array, gpa: GuestBuffer | null, n: number): Uint8Array {
    const trans_id = BigInt(transId);
    const flags = completion ? 1 : 0;
    if (type === 6 || !gpa) return encodePacketInto({ kind: 'inband', flags, trans_id, payload }, trans_id, this.frameScratch);
    const pfns: bigint[] = [];
    for (let i = 0, pages = Math.max(1, Math.ceil(n / 4096)); i < pages; i++) pfns.push(BigInt(gpa.pfn + i));
    return encodePacketInto({ kind: 'gpa-direct', flags, trans_id, payload, ranges: [{ byte_count: n, byte_offset: 0, pfns }] }, trans_id, this.frameScratch);
  }

  /** Coverage of a counter table's keys, without building a string for a key already seen. */
  private seeKeys(prefix: string, table: Readonly<Record<string, number>>): void {
    let seen = this.seenKeys.get(prefix);
    if (!seen) this.seenKeys.set(prefix, (seen = new Set()));
    for (const k in table) {
      if (seen.has(k)) continue;
      seen.add(k);
      this.see(`${prefix}:${k}`);
    }
  }

  /**
   * The guest's side: reads everything the host wrote into the primary's ring and completes each
   * transfer-page packet (giving its receive section back), until the host writes nothing more.
   */
  private poll(w: HostControlWorld): void {
    const done = this.pendingCompletions;
    for (;;) {
      const rd = w.reader;
      try {
        for (let p = rd.first(); p; p = rd.next()) {
          w.ringBytes += p.len8 * 8 + 8;
          if (p.type !== VM_PKT_XFER_PAGES) continue;
          const b = p.bytes;
          done.push(BigInt(readU32(b, 8)) | (BigInt(readU32(b, 12)) << 32n));
          if (b.length >= 32) {
            const count = readU32(b, 24);
            const offset = readU32(b, 28);
            const end = Math.min(offset + count, w.recv.bytes.length);
            if (end > offset) w.recvDirty.push(offset, end);
          }
        }
        rd.close();
      } catch (e) {
        // Only a guest that named one of the ring's own pages as its receive buffer can make the
        // host's writes unreadable; anything else is the host's fault.
        const gp = w.g.host.bufferGpadls().recv;
        if (!(e instanceof ProtocolError) || gp === null || gp === w.recvHandle) throw e;
        w.unreadable = true;
        done.length = 0;
        return;
      }
      if (!done.length) return;
      for (const id of done) {
        RECV_COMPLETION_IDS.setBigUint64(8, id, true);
        w.g.host.processPacket(0, RECV_COMPLETION);
      }
      done.length = 0;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Host RSS / OID path

const RSS_OIDS = [
  OID.GEN_RECEIVE_SCALE_PARAMETERS,
  OID.GEN_RECEIVE_SCALE_CAPABILITIES,
  OID.GEN_CURRENT_PACKET_FILTER,
  OID.TCP_OFFLOAD_PARAMETERS,
  OID.TCP_OFFLOAD_HARDWARE_CAPABILITIES,
  OID.GEN_RNDIS_CONFIG_PARAMETER,
  OID['802_3_PERMANENT_ADDRESS'],
  OID.GEN_LINK_SPEED,
  OID.GEN_MEDIA_CONNECT_STATUS,
  OID.GEN_MAXIMUM_FRAME_SIZE,
];

/**
 * `host-rss`: RNDIS QUERY/SET of the RSS and offload OIDs with hostile info buffers into a host
 * that is up with 4 channels, each followed by traffic the host must steer to a queue it has. Tags
 * (low 2 bits): 0 SET of OID `RSS_OIDS[tag >> 2]`; 1 QUERY of it; 2 a frame of flow `bytes`
 * injected by the host; 3 an RSS SET built from the bytes (table of `bytes` mod 8, key of 40 bytes).
 */
export class HostRssTarget extends FuzzTargetBase<HostWorld> {
  /** `host-rss`: the id {@link createFuzzTarget} and `npm run fuzz` know it by. */
  readonly name = 'host-rss';
  readonly description = 'RSS and offload OIDs (QUERY/SET) with hostile info buffers, then traffic steering';
  readonly generator = recordsOf([
    fc.tuple(fc.nat(RSS_OIDS.length - 1), fc.uint8Array({ maxLength: 400 })).map(([i, b]): [number, Uint8Array] => [(i << 2) | 0, b]),
    fc.uint8Array({ minLength: 8, maxLength: 64 }).map((b): [number, Uint8Array] => [3, b]),
    fc.uint8Array({ minLength: 12, maxLength: 12 }).map((b): [number, Uint8Array] => [2, b]),
  ]);
  private reqId = 1000;

  constructor(resetEvery = 256) {
    super(resetEvery);
  }
  /** A host brought up by {@link bringUp} with 4 channels. */
  protected build(): HostWorld {
    return hostWorld(true);
  }
  /** Spent once the host's session is no longer `ready`. */
  protected override spent(w: HostWorld): boolean {
    return w.g.host.state().phase !== 'ready';
  }
  dictionary(): Uint8Array[] {
    return [
      record(3, Uint8Array.from({ length: 16 }, (_, i) => i)),
      record(0, encodeRndisInfo(rssParameters({ indirection_table: Array.from({ length: 128 }, (_, i) => i % 4) }))),
      record(2, new Uint8Array(12)),
    ];
  }
  /** Runs each record as its tag says (see the class text). */
  protected runRecords(w: HostWorld, records: FuzzRecord[]): void {
    const host = w.g.host;
    for (const r of records) {
      const oid = RSS_OIDS[(r.tag >> 2) % RSS_OIDS.length]!;
      switch (r.tag & 3) {
        case 0:
          host.processPacket(0, rndisGpaPacket(w, encodeRndis(rndisSetRequest(this.reqId++, oid, r.bytes)), 1, true));
          break;
        case 1:
          host.processPacket(0, rndisGpaPacket(w, encodeRndis(rndisQueryRequest(this.reqId++, oid, r.bytes)), 1, true));
          break;
        case 2: {
          const b = r.bytes;
          const res = host.injectFlow({ src: `10.${b[0] ?? 0}.${b[1] ?? 0}.${b[2] ?? 0}`, dst: `10.9.${b[3] ?? 0}.${b[4] ?? 0}`, proto: (b[5] ?? 0) & 1 ? 'udp' : 'tcp', sport: readU32(b, 6) & 0xffff, dport: (b[10] ?? 0) | ((b[11] ?? 0) << 8) });
          this.see(res.delivered ? 'rx:delivered' : `rx:${res.reason}`);
          if (res.delivered && res.channel >= host.state().queues) throw new Error(`host-rss: frame delivered on channel ${res.channel} of ${host.state().queues}`);
          break;
        }
        default: {
          const table = Array.from(r.bytes.subarray(0, Math.max(1, r.bytes.length - 40)), (v) => v % 8);
          const key = new Uint8Array(40);
          key.set(r.bytes.subarray(Math.max(0, r.bytes.length - 40)));
          host.processPacket(0, rndisGpaPacket(w, encodeRndis(rndisRssSetRequest(this.reqId++, rssParameters({ indirection_table: table, hash_key: key }))), 1, true));
        }
      }
      runWithin(w.g.bus, FUZZ_MAX_EVENTS, this.name);
    }
    for (const [k] of Object.entries(host.counters.oids)) this.see(`oid:${k}`);
    for (const [k] of Object.entries(host.counters.rejects)) this.see(`reject:${k}`);
    for (const [k] of Object.entries(host.counters.rxDropped)) this.see(`drop:${k}`);
    w.g.inbox.clear();
  }
}

function encodeRndisInfo(p: ReturnType<typeof rssParameters>): Uint8Array {
  const m = rndisRssSetRequest(1, p);
  return m.info_buf;
}

// ---------------------------------------------------------------------------------------------
// Guest path

/** What {@link GuestPathTarget} runs against: the netvsc driver booted against a scripted host. */
export interface GuestWorld {
  /** The bus the VM runs on (seed 1). */
  readonly bus: Bus;
  /** The hostile side: a {@link ScriptedHost} with 4 queues that sends what the records say. */
  readonly host: ScriptedHost;
  /** The driver under test (4 vCPUs, rings of 16 pages); its first netdev is the NIC. */
  readonly driver: NetvscDriver;
  /** Transaction id used for a completion record too short to carry one (counts up from 1). */
  tid: bigint;
}

function guestWorld(): GuestWorld {
  const bus = createBus({ seed: 1 });
  const host = new ScriptedHost(bus, { queues: 4 });
  const driver = registerNetvscDriver(bus.guest, { vcpus: 4, ringSize: 16 });
  bus.guest.connect();
  runWithin(bus, FUZZ_MAX_EVENTS * 10, 'guest boot');
  return { bus, host, driver, tid: 1n };
}

/**
 * `guest-path`: hostile host messages into the Linux netvsc driver model, on a VM booted with 4
 * channels. Tags (low 3 bits, queue `tag >> 3` mod open channels): 0 NVSP in-band message; 1 a
 * completion (trans id = first 8 bytes, payload the rest); 2 an RNDIS message in the receive
 * buffer; 3 raw packet bytes written into the ring (padded to 8); 4 a driver operation
 * (`set_channels`, transmit, link) chosen by the first byte.
 */
export class GuestPathTarget extends FuzzTargetBase<GuestWorld> {
  /** `guest-path`: the id {@link createFuzzTarget} and `npm run fuzz` know it by. */
  readonly name = 'guest-path';
  readonly description = 'hostile NetVSP host messages into the Linux netvsc driver';
  readonly generator = recordsOf([
    nvspBytes.map((b): [number, Uint8Array] => [0, b]),
    rndisBytes.map((b): [number, Uint8Array] => [2, b]),
    fc.tuple(fc.bigInt({ min: 0n, max: 64n }), nvspBytes).map(([t, b]): [number, Uint8Array] => {
      const out = new Uint8Array(8 + b.length);
      new DataView(out.buffer).setBigUint64(0, t, true);
      out.set(b, 8);
      return [1, out];
    }),
    fc.uint8Array({ minLength: 1, maxLength: 4 }).map((b): [number, Uint8Array] => [4, b]),
  ]);

  constructor(resetEvery = 32) {
    super(resetEvery);
  }
  /** A VM with the netvsc driver booted against a {@link ScriptedHost} with 4 queues. */
  protected build(): GuestWorld {
    return guestWorld();
  }
  /** Spent when the driver has no netdev (the NIC was never probed). */
  protected override spent(w: GuestWorld): boolean {
    return !w.driver.devices[0];
  }
  dictionary(): Uint8Array[] {
    return [
      record(0, encodeNvsp({ type: 'SEND_INDIRECTION_TABLE', count: 16, offset: 12, table: Array.from({ length: 16 }, (_, i) => i % 4) }, { peer: 'hyperv', version: 0x60001 })),
      // RNDIS_MSG_INDICATE (7), 20 bytes, MEDIA_DISCONNECT, no status buffer
      record(2, Uint8Array.of(...u32le(7), ...u32le(20), ...u32le(RNDIS_STATUS.MEDIA_DISCONNECT), ...u32le(0), ...u32le(0))),
      record(4, Uint8Array.of(0, 2)),
      record(4, Uint8Array.of(1)),
    ];
  }
  /** Runs each record as its tag says (see the class text). */
  protected runRecords(w: GuestWorld, records: FuzzRecord[]): void {
    const dev = w.driver.devices[0];
    const queues = Math.max(1, dev?.openChannels ?? 1);
    for (const r of records) {
      const q = (r.tag >> 3) % queues;
      switch (r.tag & 7) {
        case 0:
          w.host.inband(q, r.bytes);
          break;
        case 1:
          w.host.complete(q, r.bytes.length >= 8 ? new DataView(r.bytes.buffer, r.bytes.byteOffset).getBigUint64(0, true) : w.tid++, r.bytes.subarray(Math.min(8, r.bytes.length)));
          break;
        case 2:
          w.host.rndisReply(r.bytes.length ? r.bytes : new Uint8Array(8), q);
          break;
        case 3: {
          const n = Math.max(16, (r.bytes.length + 7) & ~7);
          const b = new Uint8Array(Math.min(n, 4096));
          b.set(r.bytes.subarray(0, b.length));
          w.host.rawBytes(q, b);
          break;
        }
        default:
          if (dev) guestOperation(w, r.bytes);
      }
      this.see(`h2g:${r.tag & 7}:${kindOf(readU32(r.bytes, r.tag & 7) === 1 ? 8 : 0)}`);
      runWithin(w.bus, FUZZ_MAX_RECORD_EVENTS, this.name, FUZZ_HORIZON_NS, guestSpinCheck(() => w.driver.devices[0]?.stats));
    }
    const s = w.driver.devices[0]?.stats;
    if (s) {
      for (const k of Object.keys(s.received)) this.see(`received:${k}`);
      for (const k of Object.keys(s.sent)) this.see(`sent:${k}`);
    }
    for (const x of w.driver.devices[0]?.warnings ?? []) this.see(`warn:${x.code}`);
  }
}

function guestOperation(w: GuestWorld, b: Uint8Array): void {
  const dev = w.driver.devices[0]!;
  switch ((b[0] ?? 0) % 3) {
    case 0: {
      const cur = dev.getChannels();
      // the flow may wait for an answer the hostile host never gives: that is Linux's behaviour
      spawn(dev.setChannels({ ...cur, combined_count: 1 + ((b[1] ?? 0) % 4) }));
      break;
    }
    case 1:
      dev.send(Uint8Array.from({ length: 60 + (b[1] ?? 0) }, (_, i) => (i < 12 ? 0xff : i)));
      break;
    default:
      w.host.inband(0, encodeNvsp({ type: 'SEND_INDIRECTION_TABLE', count: 16, offset: 12, table: Array.from({ length: 16 }, (_, i) => (i + (b[1] ?? 0)) % 4) }, { peer: 'openvmm', version: 0x60001 }));
  }
}

// ---------------------------------------------------------------------------------------------
// Channel messages

/** What {@link ChannelMessagesTarget} and {@link RingControlTarget} run against: a booted VM. */
export interface VmWorld {
  /** The bus the VM runs on (seed 1): hypervisor, VMBus server and guest VMBus. */
  readonly bus: Bus;
  /** The NetVSP host (4 queues, no event log). */
  readonly host: NetvspHost;
  /** The Linux netvsc driver (4 vCPUs, rings of 16 pages). */
  readonly driver: NetvscDriver;
}

function vmWorld(): VmWorld {
  const bus = createBus({ seed: 1 });
  const host = createNetvspHost(bus.host, { maxQueues: 4, maxEvents: 0 });
  const driver = registerNetvscDriver(bus.guest, { vcpus: 4, ringSize: 16 });
  bus.guest.connect();
  runWithin(bus, FUZZ_MAX_EVENTS * 10, 'boot');
  return { bus, host, driver };
}

/**
 * `channel-messages`: VMBus channel messages (`CHANNELMSG_*`) into both sides' receive paths of a
 * booted VM. Tags: bit 0 clear → to the guest (the payload, at most 240 bytes, into its SynIC slot);
 * set → to the host (an HVCALL_POST_MESSAGE input page on connection id 1, or 4 when bit 1 is set,
 * with `payload_size` from the record unless bit 2 asks for a lie taken from the first byte).
 */
export class ChannelMessagesTarget extends FuzzTargetBase<VmWorld> {
  /** `channel-messages`: the id {@link createFuzzTarget} and `npm run fuzz` know it by. */
  readonly name = 'channel-messages';
  readonly description = 'VMBus channel messages into the guest VMBus driver and the host VMBus server';
  readonly generator = recordsOf([
    fc.oneof(arbChannelMessage().map((m) => encodeChannelMessage(m)), arbNearValidChannelMessage().map((n) => n.bytes)).map((b): [number, Uint8Array] => [0, b]),
    fc.oneof(arbChannelMessage().map((m) => encodeChannelMessage(m)), arbNearValidChannelMessage().map((n) => n.bytes)).map((b): [number, Uint8Array] => [1, b]),
  ]);

  constructor(resetEvery = 32) {
    super(resetEvery);
  }
  /** A booted VM: the netvsc driver and a NetVSP host with 4 queues. */
  protected build(): VmWorld {
    return vmWorld();
  }
  dictionary(): Uint8Array[] {
    // message types 1..22 with a zero body of the largest fixed message
    return Array.from({ length: 22 }, (_, i) => record(i % 2, Uint8Array.of(...u32le(i + 1), ...new Uint8Array(28))));
  }
  /** Posts each record to the guest or the host as its tag says (see the class text). */
  protected runRecords(w: VmWorld, records: FuzzRecord[]): void {
    for (const r of records) {
      const payload = r.bytes.subarray(0, HV_MESSAGE_PAYLOAD_BYTE_COUNT);
      const type = readU32(payload, 0);
      if ((r.tag & 1) === 0) {
        w.bus.hypervisor.sendToGuest(payload.slice());
        this.see(`to-guest:${kindOf(type)}`);
      } else {
        const page = new Uint8Array(256);
        const dv = new DataView(page.buffer);
        dv.setUint32(0, r.tag & 2 ? VMBUS_MESSAGE_CONNECTION_ID_4 : VMBUS_MESSAGE_CONNECTION_ID, true);
        dv.setUint32(8, 1, true);
        dv.setUint32(12, r.tag & 4 ? (payload[0] ?? 0) + 200 : payload.length, true);
        page.set(payload, 16);
        w.bus.hypervisor.postMessage(page);
        this.see(`to-host:${kindOf(type)}`);
      }
      runWithin(w.bus, FUZZ_MAX_RECORD_EVENTS, this.name, FUZZ_HORIZON_NS);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Ring control pages

const RING_WORDS = [0, 4, 8, 12, 64];

/**
 * `ring-control`: corruption of the rings' control pages (write index, read index, interrupt mask,
 * pending send size, feature bits) of a booted VM, each followed by traffic both ways and a signal.
 * Tags: bit 0 the ring (0 guest→host, 1 host→guest), bits 1.. the channel; bytes: [word][u32 value].
 */
export class RingControlTarget extends FuzzTargetBase<VmWorld> {
  /** `ring-control`: the id {@link createFuzzTarget} and `npm run fuzz` know it by. */
  readonly name = 'ring-control';
  readonly description = 'corrupted ring control pages (indices, interrupt mask, pending send size)';
  readonly generator = recordsOf([
    fc
      .tuple(fc.nat(15), fc.nat(RING_WORDS.length - 1), fc.oneof(fc.nat(0xffffffff), fc.nat(0x20000).map((v) => v & ~7)))
      .map(([tag, word, v]): [number, Uint8Array] => [tag, Uint8Array.of(word, ...u32le(v))]),
  ]);

  constructor(resetEvery = 16) {
    super(resetEvery);
  }
  /** A booted VM: the netvsc driver and a NetVSP host with 4 queues. */
  protected build(): VmWorld {
    return vmWorld();
  }
  dictionary(): Uint8Array[] {
    return [record(0, Uint8Array.of(0, ...u32le(8))), record(1, Uint8Array.of(1, ...u32le(0xffffffff))), record(0, Uint8Array.of(3, ...u32le(65536)))];
  }
  /** Corrupts one control-page word per record, then runs traffic both ways (see the class text). */
  protected runRecords(w: VmWorld, records: FuzzRecord[]): void {
    const dev = w.driver.devices[0];
    for (const r of records) {
      const chans = guestChannels(w);
      const ch = chans[(r.tag >> 1) % Math.max(1, chans.length)];
      if (ch?.ringBuffer) {
        const base = (r.tag & 1) === 0 ? 0 : ch.ringSendPages * 4096;
        const word = RING_WORDS[(r.bytes[0] ?? 0) % RING_WORDS.length]!;
        const at = ch.ringBuffer.bytes.byteOffset + base + word;
        if (base + word + 4 <= ch.ringBuffer.bytes.length) new DataView(ch.ringBuffer.bytes.buffer).setUint32(at, readU32(r.bytes, 1), true);
        this.see(`ring:${r.tag & 1}:${word}`);
      }
      w.host.injectFlow({ src: '10.0.0.1', dst: '10.0.0.2', proto: 'tcp', sport: 1000 + r.tag, dport: 80 });
      if (dev?.running) dev.send(Uint8Array.from({ length: 64 }, (_, i) => (i < 12 ? 0xff : i)));
      for (const c of chans) if (c.rings) w.bus.hypervisor.signalGuest(c.relid);
      runWithin(w.bus, FUZZ_MAX_RECORD_EVENTS, this.name, FUZZ_HORIZON_NS, guestSpinCheck(() => w.driver.devices[0]?.stats));
    }
    for (const [k] of Object.entries(w.host.counters.fatal)) this.see(`fatal:${k}`);
  }
}

function guestChannels(w: VmWorld) {
  return w.bus.guest.chnList.flatMap((p) => [p, ...p.subchannels]);
}

// ---------------------------------------------------------------------------------------------
// Interop: the input as a list of actions

/**
 * `interop`: the input read as a sequence of actions on a whole VM (`createVm`, 4 vCPUs, host with
 * 4 queues), as openvmm's netvsp action fuzzer does: tag mod 8 → 0 `ethtool -L eth0 combined b0`,
 * 1 `ethtool -l eth0`, 2 a frame from the host, 3 the host rescinds subchannel b0, 4 the link goes
 * down/up, 5 the host's grant policy changes, 6 the guest transmits, 7 a network change indication.
 * After every action: combined ≤ max whenever `-l` answers.
 */
export class InteropTarget extends FuzzTargetBase<Vm> {
  /** `interop`: the id {@link createFuzzTarget} and `npm run fuzz` know it by. */
  readonly name = 'interop';
  readonly description = 'sequences of ethtool, traffic, host policies, rescinds and link changes on a whole VM';
  readonly generator = recordsOf([fc.tuple(fc.nat(7), fc.uint8Array({ minLength: 1, maxLength: 4 })).map(([t, b]): [number, Uint8Array] => [t, b])], 16);

  constructor(resetEvery = 8) {
    super(resetEvery);
  }
  protected build(): Vm {
    return createVm({ vcpus: 4, host: { queues: 4, maxEvents: 0 }, maxEventsPerOperation: FUZZ_MAX_EVENTS * 5 });
  }
  dictionary(): Uint8Array[] {
    return [record(0, Uint8Array.of(2)), record(0, Uint8Array.of(4)), record(1, Uint8Array.of(0)), record(3, Uint8Array.of(1)), record(5, Uint8Array.of(1))];
  }
  protected runRecords(vm: Vm, records: FuzzRecord[]): void {
    try {
      for (const r of records) {
        const b0 = r.bytes[0] ?? 0;
        const action = r.tag & 7;
        this.see(`action:${action}`);
        switch (action) {
          case 0: {
            const res = vm.ethtool(`-L eth0 combined ${b0 % 8}`);
            this.see(`ethtool-L:${res.status}`);
            break;
          }
          case 1: {
            const res = vm.ethtool('-l eth0');
            this.see(`ethtool-l:${res.status}`);
            if (res.status === 0) {
              const pre = /Pre-set maximums:[\s\S]*?Combined:\s+(\d+)/.exec(res.stdout);
              const cur = /Current hardware settings:[\s\S]*?Combined:\s+(\d+)/.exec(res.stdout);
              if (pre && cur && Number(cur[1]) > Number(pre[1])) throw new Error(`interop: combined ${cur[1]} above maximum ${pre[1]}`);
            }
            break;
          }
          case 2: {
            const res = vm.host.injectFlow({ src: `10.0.0.${b0}`, dst: '10.0.1.1', proto: 'udp', sport: 1000 + (r.bytes[1] ?? 0), dport: 53 });
            this.see(res.delivered ? 'rx:delivered' : `rx:${res.reason}`);
            break;
          }
          case 3:
            this.see(`rescind:${vm.host.rescind(b0 % 4)}`);
            break;
          case 4:
            vm.host.setLink(!!(b0 & 1));
            break;
          case 5: {
            const grant = b0 % 3 === 0 ? 'grant-all' : b0 % 3 === 1 ? 'refuse' : { grantFewer: (r.bytes[1] ?? 0) % 4 };
            vm.host.reconfigure({ subchannels: { grant } });
            break;
          }
          case 6:
            if (vm.netvsc?.running) this.see(`tx:${JSON.stringify(vm.netvsc.send(Uint8Array.from({ length: 60 + b0 }, (_, i) => (i < 12 ? 0xff : i)))).slice(0, 24)}`);
            break;
          default:
            vm.host.indicateNetworkChange();
        }
        vm.runIdle('interop');
      }
    } catch (e) {
      if (e instanceof SimHangError) throw new FuzzHangError(e.message);
      throw e;
    }
  }
}

// ---------------------------------------------------------------------------------------------

/** Names of the fuzz targets. */
export const FUZZ_TARGET_NAMES = ['host-control', 'host-rss', 'guest-path', 'channel-messages', 'ring-control', 'interop'] as const;
/** One of {@link FUZZ_TARGET_NAMES}. */
export type FuzzTargetName = (typeof FUZZ_TARGET_NAMES)[number];

/** A new instance of a target (each keeps its own world). */
export function createFuzzTarget(name: FuzzTargetName | string): FuzzTarget {
  switch (name) {
    case 'host-control':
      return new HostControlTarget();
    case 'host-rss':
      return new HostRssTarget();
    case 'guest-path':
      return new GuestPathTarget();
    case 'channel-messages':
      return new ChannelMessagesTarget();
    case 'ring-control':
      return new RingControlTarget();
    case 'interop':
      return new InteropTarget();
    default:
      throw new RangeError(`unknown fuzz target ${JSON.stringify(name)}; targets: ${FUZZ_TARGET_NAMES.join(', ')}`);
  }
}
