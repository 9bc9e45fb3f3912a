/**
 * The simulated Hyper-V network VSP (NetVSP): the host end of the synthetic NIC. It offers the
 * NIC's primary channel on a {@link VmbusHost}, and from then on only reads and writes bytes: NVSP
 * messages in the channels' rings, RNDIS messages in the guest's send buffer, in GPA-direct pages
 * and in the guest's receive buffer. It never calls the guest.
 *
 * ## Protocol behaviour (openvmm's NetVSP, vm/devices/net/netvsp/src/lib.rs, unless stated)
 * - Version negotiation: INIT is answered with INIT_COMPLETE {0xFFFFFFFF (2 for v1), 34, status 1}
 *   when the first version word is an accepted version, status 0 otherwise (`check_version`).
 * - Initialization (`NetChannel::initialize`): NDIS_CONFIG (v2+, once; MTU outside 1514..9216 →
 *   1514), SEND_NDIS_VER (once), SEND_RECV_BUF (once; needs NDIS_CONFIG from v2; sub-allocations
 *   of 256 + MTU + 36 bytes), SEND_SEND_BUF (once; sections of 6144). The session is ready when all
 *   four arrived, or when an RNDIS packet arrives with everything but the send buffer.
 *   Where openvmm makes a bad receive/send-buffer GPADL a channel-fatal error, this host answers
 *   the request with NVSP_STAT_FAIL (the guest sees the failure; Linux returns -EINVAL).
 * - Messages a version does not define, messages out of order, NVSP control messages on a
 *   subchannel, completions other than SEND_RNDIS_PKT_COMPLETE, completions naming a receive
 *   section not outstanding on that channel, malformed ring packets, an RNDIS INIT on an
 *   initialized device, and a send-buffer index outside the buffer are channel-fatal, as openvmm's
 *   worker errors are: the host logs the reason and stops servicing that channel until the guest
 *   closes it. The other channels go on.
 * - RNDIS (`handle_rndis`, `handle_rndis_packet_message`, `handle_rndis_control_message`):
 *   control messages only on the primary; INIT, QUERY, SET, RESET, KEEPALIVE are completed
 *   (SEND_RNDIS_PKT_COMPLETE SUCCESS) at once and answered later in one of the 16 reserved control
 *   sections of the receive buffer, as a transfer-page packet whose transaction id is the section
 *   index; HALT is acknowledged and not answered. Malformed RNDIS (lengths or offsets outside the
 *   message, data-packet headers or per-packet info crossing a GPA range — Linux's 4 KiB page
 *   split —, OOB data, bad PPI chains, bad TCP header offsets) and RNDIS types the host does not
 *   take (INDICATE, SET_EX, completions, unknown) are completed with NVSP_STAT_FAIL.
 *   Where this host departs from openvmm's control path (kept so hostile-guest tests and fuzzing
 *   see a refusal they can count, not a dead channel):
 *   - openvmm completes every non-empty control message with SUCCESS, then stops the primary
 *     channel for a type it does not implement or a body too short for its request struct; this
 *     host answers NVSP_STAT_FAIL and goes on;
 *   - this host checks RNDIS offsets and lengths against `msg_len`; openvmm ignores `msg_len` and
 *     the SET's `information_buffer_offset/length`, reading from the end of the fixed request to
 *     the end of the external data;
 *   - RESET is answered with RESET_C (openvmm leaves RESET unimplemented);
 *   - HALT moves RNDIS to a halted state and link indications wait for an initialized device
 *     (openvmm ignores HALT and indicates link changes at any time), and MEDIA_CONNECT_STATUS /
 *     LINK_STATE report the simulated link (openvmm always reports connected);
 *   - a receive buffer too small for the 16 control sections plus one data section is refused at
 *     SEND_RECV_BUF (openvmm accepts any non-zero count and fails later, when queues start);
 *   - the packet filter is applied bit by bit and by MAC, the switch's part in Hyper-V (openvmm
 *     only drops everything at filter 0);
 *   - frame-size OIDs are capped by the configured `mtu` (default 1500), odd lengths in
 *     RNDIS_CONFIG_PARAMETER SETs are refused with INVALID_DATA (openvmm truncates them), and the
 *     friendly name defaults to Hyper-V's "Network Adapter" (openvmm: "Network Device").
 * - Subchannels (`process_ring_buffer`, SubChannelRequest): ALLOCATE for fewer than the host's
 *   queues, with the receive buffer able to give every queue a data section, is granted (then
 *   shaped by the configured policy); anything else is answered NVSP_STAT_FAIL with 0. Granted
 *   subchannels are offered with `sub_channel_index` 1..n and the primary's instance GUID; once
 *   all of them are open the host sends the 16-entry send indirection table (type 134) with entries
 *   i mod channels. Closing the primary rescinds every subchannel (vmbus_channel `handle_close`).
 * - Steering: inbound frames are hashed (Toeplitz, the guest's key and hash types) and mapped
 *   through the host's indirection table to a channel; the RNDIS PACKET carries the checksum info,
 *   hash value (type 8) and hash info (type 9) per-packet info. A frame for a queue whose channel is
 *   not open goes to the primary (a choice of this model; counted in `rxSteeredToPrimary`).
 *
 * @module
 */
import { HV_NIC_GUID } from '../vmbus/guids.js';
import type { GpadlView } from '../vmbus/gpadl.js';
import { writeTracked, type TrackedView } from '../vmbus/memory.js';
import { decodePacket, packetSurelyInvalid, writePacket, type GpaRange, type VmbusPacket } from '../vmbus/packet.js';
import { packetBytesForReading, type RingConsumer, type RingPacketView, type RingProducer, type RingWriteResult } from '../vmbus/ring.js';
import type { HostChannel, HostDevice, HostGpadl, VmbusHost } from '../vmbus/vmbus-server.js';
import type { EventId } from '../vmbus/scheduler.js';
import { ProtocolError } from '../wire/errors.js';
import {
  decodeNvsp,
  encodeNvsp,
  NETVSC_INVALID_INDEX,
  NVSP_CHANNEL_TYPE_CONTROL,
  NVSP_CHANNEL_TYPE_DATA,
  NVSP_PROTOCOL_VERSION_1,
  NVSP_PROTOCOL_VERSION_2,
  NVSP_PROTOCOL_VERSION_4,
  NVSP_PROTOCOL_VERSION_5,
  NVSP_PROTOCOL_VERSION_6,
  NVSP_STAT_FAIL,
  NVSP_STAT_SUCCESS,
  NVSP_SUBCHANNEL_ALLOCATE,
  NVSP_2_VSC_CAPABILITY,
  VRSS_SEND_TAB_SIZE,
  nvspMsgTypeName,
  nvspMsgTypeOf,
  type NvspMessage,
} from '../protocol/nvsp.js';
import {
  decodeRndis,
  encodeRndis,
  rndisIndicateStatus,
  rndisInitComplete,
  rndisKeepaliveComplete,
  rndisMsgTypeName,
  rndisQueryComplete,
  rndisResetComplete,
  rndisSetComplete,
  RNDIS_MSG,
  RNDIS_STATUS,
  type RndisMessage,
} from '../protocol/rndis.js';
import { rndisLinkSpeedIndication, rndisMediaConnectIndication, rndisMediaDisconnectIndication, rndisNetworkChangeIndication, encodeRndisDataPacket } from '../protocol/rndis-builders.js';
import { ndis_offload, NDIS_PACKET_TYPE } from '../protocol/ndis.js';
import { OID, oidName } from '../protocol/oids.js';
import { ppiChecksumReceive, ppiHashInfo, ppiHashValue, ppiVlan, type NdisChecksumReceive, type PpiElement } from '../protocol/ppi.js';
import { NDIS_HASH_FUNC_TOEPLITZ, selectHashInput, type Flow } from '../rss/hash-input.js';
import { indirectionIndex } from '../rss/indirection.js';
import { NETVSP_MAX_QUEUES, resolveNetvspConfig, type NetvspConfig, type NetvspRuntimeConfig, type NetvspTxFrame, type ResolvedNetvspConfig } from './config.js';
import { netvspBuildFrame, netvspParseFrame } from './frame.js';
import { bump, copyNetvspCounters, newNetvspCounters, queueCounters, type NetvspCounters, type NetvspEvent, type NetvspEventKind } from './log.js';
import {
  netvspFullOffload,
  netvspOffloadObject,
  netvspQueryOid,
  netvspSetOid,
  type NetvspOidEnv,
  type NetvspRndisState,
  type NetvspRssState,
} from './rndis-oids.js';
import {
  NETVSP_DEFAULT_NDIS_MTU,
  NETVSP_MAX_NDIS_MTU,
  NETVSP_RX_RESERVED_CONTROL_SECTIONS,
  netvspRxSectionsPerQueue,
  netvspSubAllocationSize,
  NetvspRxSections,
} from './rx-buffer.js';

/** Session phases of the primary channel (openvmm `WorkerState` and `InitState`). */
export type NetvspPhase = 'init' | 'initializing' | 'ready' | 'revoked';

/** Outcome of {@link NetvspHost.injectFrame}. */
export type NetvspRxResult =
  | {
      /** True: the frame was written to a receive section and indicated to the guest. */
      readonly delivered: true;
      /** Channel (subchannel index) the frame went to. */
      readonly channel: number;
      /** The queue the indirection table named (differs from `channel` when that queue's channel is not open). */
      readonly queue: number;
      /** Receive section it was written to. */
      readonly section: number;
      /** The RSS hash and NDIS hash type, when RSS hashed the frame. */
      readonly hash?: number;
      /** NDIS hash type bit of the fields hashed (`NDIS_HASH_TCP_IPV4`, `NDIS_HASH_IPV6`, …), present with `hash`. */
      readonly hashType?: number;
    }
  | {
      /** False: the frame was dropped (counted in `counters.rxDropped` by reason). */
      readonly delivered: false;
      /**
       * Why: `not-ready` (no ready session or no receive buffer), `malformed` (under 14 bytes),
       * `filtered` (the packet filter rejects it), `no-buffer` (no free section of the queue),
       * `too-big` (the RNDIS PACKET exceeds a section), `ring-full` (no room in the host→guest
       * ring), `channel-failed` (the channel stopped on a fatal error).
       */
      readonly reason: 'not-ready' | 'malformed' | 'filtered' | 'no-buffer' | 'too-big' | 'ring-full' | 'channel-failed';
      /** Channel the frame was steered to, when the drop happened after steering. */
      readonly channel?: number;
    };

/** Options of {@link NetvspHost.injectFrame}. */
export interface NetvspInjectOptions {
  /** Receive checksum info to report (default: all bits clear, "not checked"). */
  readonly checksum?: NdisChecksumReceive;
}

/** A snapshot of the host's state ({@link NetvspHost.state}). */
export interface NetvspHostState {
  /** `closed` when the primary is not open. */
  readonly phase: NetvspPhase | 'closed';
  /** Negotiated NVSP version (0 before). */
  readonly nvspVersion: number;
  /** The NDIS version from the guest's SEND_NDIS_VER; `null` before it. */
  readonly ndisVersion: {
    /** `ndis_major_ver` (6 from Linux). */
    readonly major: number;
    /** `ndis_minor_ver` (e.g. 30 = NDIS 6.30). */
    readonly minor: number;
  } | null;
  /** What the guest's SEND_NDIS_CONFIG said; `null` before it (NVSP 1 guests send none). */
  readonly ndisConfig: {
    /** MTU the guest announced, Ethernet header included (1514 from a default Linux); sizes the receive sections. */
    readonly mtu: number;
    /** The guest's capability bits (`NVSP_2_VSC_CAPABILITY`: SR-IOV, IEEE 802.1Q, teaming, RSC, …). */
    readonly capability: bigint;
  } | null;
  /** The receive buffer the guest handed over; `null` before SEND_RECV_BUF succeeds and after revoke or teardown. */
  readonly recvBuffer: {
    /** GPADL handle of the buffer. */
    readonly gpadl: number;
    /** Buffer id the guest gave (`NETVSC_RECEIVE_BUFFER_ID` = 0xcafe from Linux). */
    readonly id: number;
    /** Sections the host carved (`num_sub_allocs`), 16 reserved for control messages included. */
    readonly sections: number;
    /** Bytes per section (`sub_alloc_size`: 256 + NDIS MTU + 36). */
    readonly sectionSize: number;
    /** Sections written and not yet completed by the guest. */
    readonly busy: number;
  } | null;
  /** The send buffer the guest handed over; `null` before SEND_SEND_BUF succeeds and after revoke or teardown. */
  readonly sendBuffer: {
    /** GPADL handle of the buffer. */
    readonly gpadl: number;
    /** Bytes per section, as given in SEND_SEND_BUF_COMPLETE. */
    readonly sectionSize: number;
    /** Whole sections that fit in the buffer. */
    readonly sections: number;
  } | null;
  /** RNDIS state: `uninitialized` until INIT, `operational` after, `halted` after HALT. */
  readonly rndis: 'uninitialized' | 'operational' | 'halted';
  /** `OID_GEN_CURRENT_PACKET_FILTER` as the guest set it (`NDIS_PACKET_TYPE` bits); 0 drops all inbound frames. */
  readonly packetFilter: number;
  /** Current MAC, `aa:bb:cc:dd:ee:ff`. */
  readonly mac: string;
  /** The link as the host reports it now. */
  readonly link: {
    /** Connected (MEDIA_CONNECT_STATUS). */
    readonly up: boolean;
    /** Speed in bit/s. */
    readonly speed: number;
  };
  /** RSS as programmed by the guest; `null` while disabled. */
  readonly rss: {
    /** `hashinfo` as the guest sent it: hash function and hash type bits. */
    readonly hashInfo: number;
    /** The 40-byte Toeplitz key (a copy). */
    readonly key: Uint8Array;
    /** The host's indirection table: `indirectionTableSize` queue numbers, the guest's entries repeated to fill it. */
    readonly table: readonly number[];
    /** Entries the guest supplied (before repetition, capped at the host's size). */
    readonly guestEntries: number;
  } | null;
  /** Queues in use (1 + granted subchannels). */
  readonly queues: number;
  /** Subchannel indexes offered this session, and those open. */
  readonly subchannelsOffered: readonly number[];
  /** Channels open now, by subchannel index in ascending order (0 = the primary). */
  readonly channelsOpen: readonly number[];
  /** Channels stopped by a fatal error, with the reason. */
  readonly failedChannels: Readonly<Record<number, string>>;
  /** The send table last sent (16 entries), or null. */
  readonly sendTable: readonly number[] | null;
}

/**
 * The host's own state at one instant, taken by {@link NetvspHost.checkpoint} and given back to
 * {@link NetvspHost.rollback}. Opaque: only the host reads it.
 */
export interface NetvspCheckpoint {
  /** The host's topology count when it was taken (see {@link NetvspHost.topology}). */
  readonly topology: number;
}

interface CheckpointData extends NetvspCheckpoint {
  readonly host: NetvspHost;
  readonly session: Session | null;
  readonly chans: ({ fatal: string | null; deferred: VmbusPacket[]; corrupt: boolean } | undefined)[];
  readonly linkUp: boolean;
  readonly linkSpeed: number;
  readonly completionsSent: [number, number][];
  readonly rescindTriggers: number;
  readonly counters: NetvspCounters;
  readonly events: number;
  readonly config: ResolvedNetvspConfig;
}

/** A deep copy of a session; buffers, GPADL views and immutable RNDIS objects are shared. */
function copySession(s: Session): Session {
  const r = s.rndis;
  return {
    phase: s.phase,
    version: s.version,
    ndisConfig: s.ndisConfig ? { mtu: s.ndisConfig.mtu, capability: s.ndisConfig.capability } : null,
    ndisVersion: s.ndisVersion ? { major: s.ndisVersion.major, minor: s.ndisVersion.minor } : null,
    recv: s.recv ? { gpadl: s.recv.gpadl, id: s.recv.id, view: s.recv.view, flat: s.recv.flat, sections: s.recv.sections.clone() } : null,
    send: s.send,
    rndis: {
      state: r.state,
      packetFilter: r.packetFilter,
      currentMac: r.currentMac,
      rss: r.rss,
      offload: { ...r.offload },
      offloadIndicationDue: r.offloadIndicationDue,
    },
    control: s.control.length ? s.control.slice() : [],
    controlBytes: s.controlBytes,
    indications: s.indications.length ? s.indications.slice() : [],
    queues: s.queues,
    tableSent: s.tableSent,
    sendTable: s.sendTable ? s.sendTable.slice() : null,
    offered: s.offered.size ? new Set(s.offered) : new Set(),
    pendingOffers: s.pendingOffers.size ? new Set(s.pendingOffers) : new Set(),
  };
}

interface RecvBuffer {
  readonly gpadl: number;
  readonly id: number;
  readonly view: GpadlView;
  /**
   * The whole buffer as one array when its pages are consecutive guest memory (the fast path); the
   * host records each write there, so reusing the memory re-zeroes only what it wrote.
   */
  readonly flat: TrackedView | undefined;
  readonly sections: NetvspRxSections;
}

interface SendBuffer {
  readonly gpadl: number;
  readonly view: GpadlView;
  /** As {@link RecvBuffer.flat}; the host only reads the send buffer, and copies what it keeps. */
  readonly flat: TrackedView | undefined;
}

/** Writes `data` at `offset` of a guest buffer, recorded as a write; false when a page is gone. */
function bufferWrite(b: { view: GpadlView; flat: TrackedView | undefined }, offset: number, data: Uint8Array): boolean {
  const f = b.flat;
  if (f) {
    if (offset + data.length > f.bytes.length) return false;
    writeTracked(f, offset, data);
    return true;
  }
  return b.view.write(offset, data);
}

interface Session {
  phase: NetvspPhase;
  version: number;
  ndisConfig: { mtu: number; capability: bigint } | null;
  ndisVersion: { major: number; minor: number } | null;
  recv: RecvBuffer | null;
  send: SendBuffer | null;
  rndis: NetvspRndisState;
  /** RNDIS control messages waiting for a control section, with their `msg_len`. */
  control: { msg: RndisMessage; length: number }[];
  controlBytes: number;
  indications: Uint8Array[];
  queues: number;
  tableSent: boolean;
  sendTable: number[] | null;
  /** Subchannel indexes offered this session, and those granted but not offered yet. */
  offered: Set<number>;
  pendingOffers: Set<number>;
}

interface Chan {
  readonly index: number;
  readonly host: HostChannel;
  fatal: string | null;
  deferred: VmbusPacket[];
}

/** NVSP types a guest may send and the version each needs (openvmm `parse_packet`). */
const MIN_VERSION: Readonly<Record<number, number>> = {
  1: 0,
  100: NVSP_PROTOCOL_VERSION_1,
  101: NVSP_PROTOCOL_VERSION_1,
  103: NVSP_PROTOCOL_VERSION_1,
  104: NVSP_PROTOCOL_VERSION_1,
  106: NVSP_PROTOCOL_VERSION_1,
  107: NVSP_PROTOCOL_VERSION_1,
  125: NVSP_PROTOCOL_VERSION_2,
  129: NVSP_PROTOCOL_VERSION_4,
  131: NVSP_PROTOCOL_VERSION_5,
  133: NVSP_PROTOCOL_VERSION_5,
};

/** Room kept in a host→guest ring before taking the next guest packet (openvmm reserves 144–196 bytes). */
const RING_RESERVE = 256;
/** Bytes of RNDIS control messages the host queues at most (openvmm `CONTROL_MESSAGE_MAX_QUEUED_BYTES`). */
const CONTROL_MAX_QUEUED_BYTES = 100 * 1024;
/** Bytes of a data PACKET's fixed header (8 + 36). */
const RNDIS_PACKET_HEADER = 44;
const EMPTY = new Uint8Array(0);
/** Receive checksum info with every bit clear: the host did not check the frame. */
const NO_CHECKSUM_INFO: NdisChecksumReceive = {
  tcp_checksum_failed: false,
  udp_checksum_failed: false,
  ip_checksum_failed: false,
  tcp_checksum_succeeded: false,
  udp_checksum_succeeded: false,
  ip_checksum_succeeded: false,
  loopback: false,
  tcp_checksum_value_invalid: false,
  ip_checksum_value_invalid: false,
};

/** Fixed body sizes of the RNDIS control messages the host takes (rndis.h request structs). */
const CONTROL_FIXED_BODY: Readonly<Record<number, number>> = {
  [RNDIS_MSG.INIT]: 16,
  [RNDIS_MSG.HALT]: 4,
  [RNDIS_MSG.QUERY]: 20,
  [RNDIS_MSG.SET]: 20,
  [RNDIS_MSG.RESET]: 4,
  [RNDIS_MSG.KEEPALIVE]: 4,
};

/**
 * The framing rules `decodeRndis` applies to a control message (msg_len within the bytes and
 * covering the fixed body; a non-empty QUERY/SET information buffer after the fixed body and inside
 * `msg_len`), checked without building an error, since a hostile guest can send these at line rate.
 * Returns what is wrong, or null.
 */
function controlFramingError(b: Uint8Array, fixed: number, hasInfo: boolean): string | null {
  const msgLen = rd32(b, 4);
  if (msgLen > b.length) return `msg_len ${msgLen} is past the ${b.length} bytes sent`;
  if (msgLen < 8 + fixed) return `msg_len ${msgLen} does not cover the ${fixed}-byte body`;
  if (!hasInfo) return null;
  const len = rd32(b, 16);
  const off = rd32(b, 20);
  const limit = msgLen - 8;
  if (len === 0) return null;
  if (off < fixed) return `info_buf_offset ${off} overlaps the fixed fields`;
  if (off > limit) return `info_buf_offset ${off} points outside the message`;
  if (len > limit - off) return `info_buflen ${len} runs past msg_len`;
  return null;
}


/** A transmitted frame before it is stamped with time and channel. */
type TxTaken = Omit<NetvspTxFrame, 'time' | 'channel'>;

function rd32(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}

const NVSP_NAMES: string[] = [];
/** `NVSP_MSG…` name of a message type (`NVSP_<n>` for an undefined one), cached. */
function nvspName(type: number): string {
  if (type < 256) return (NVSP_NAMES[type] ??= nvspMsgTypeName(type) ?? `NVSP_${type}`);
  return nvspMsgTypeName(type) ?? `NVSP_${type}`;
}

function macText(mac: Uint8Array): string {
  return Array.from(mac, (x) => x.toString(16).padStart(2, '0')).join(':');
}

/** Creates the host and offers the NIC's primary channel on `vmbus`. */
export function createNetvspHost(vmbus: VmbusHost, config: NetvspConfig = {}): NetvspHost {
  return new NetvspHost(vmbus, config);
}

/** The simulated NetVSP; see the module text for its rules. */
export class NetvspHost {
  /** The VMBus server (host side of the bus) the NIC's channels are offered on. */
  readonly vmbus: VmbusHost;
  /** The primary channel as the VMBus server offers it. */
  readonly primary: HostChannel;
  /** Event log (at most `config.maxEvents` entries). */
  readonly events: NetvspEvent[] = [];
  private readonly channels: (Chan | undefined)[] = [];
  private readonly subHost = new Map<number, HostChannel>();
  private session: Session | null = null;
  private linkUp: boolean;
  private linkSpeed: number;
  private readonly completionsSent = new Map<number, number>();
  private rescindTriggers = 0;
  private readonly hotCache: Uint8Array[] = [];
  private hotVersion = -1;
  private cfg: ResolvedNetvspConfig;
  private counts: NetvspCounters = newNetvspCounters();
  private topologyCount = 0;
  /** Host events scheduled and not run yet (delayed completions, answers, offers, rescind faults), by scheduler id. */
  private readonly scheduled = new Set<EventId>();

  constructor(vmbus: VmbusHost, config: NetvspConfig = {}) {
    this.vmbus = vmbus;
    this.cfg = resolveNetvspConfig(config);
    this.linkUp = this.config.linkUp;
    this.linkSpeed = this.config.linkSpeed;
    this.primary = vmbus.addChannel({ ifType: HV_NIC_GUID, ifInstance: this.config.instance, subChannelIndex: 0 }, this.device(0));
  }

  private get now(): number {
    return this.vmbus.hypervisor.scheduler.now;
  }

  /** Schedules a host event, counting it while it waits (see {@link NetvspHost.checkpoint}). */
  private schedule(delay: number, fn: () => void, label: string): void {
    const id = this.vmbus.hypervisor.scheduler.schedule(
      delay,
      () => {
        this.scheduled.delete(id);
        fn();
      },
      label,
    );
    this.scheduled.add(id);
  }

  /** Host events scheduled and not run yet: delayed completions and subchannel answers, offers, rescind faults. */
  get scheduledEvents(): number {
    return this.scheduled.size;
  }

  // -------------------------------------------------------------------------------------------
  // Public operations

  /** Counters of everything the host did since it was created (unbounded; {@link rollback} replaces the object). */
  get counters(): NetvspCounters {
    return this.counts;
  }

  /** The configuration in force, every default applied (changed at run time by {@link reconfigure}). */
  get config(): ResolvedNetvspConfig {
    return this.cfg;
  }

  /**
   * Changes the host's policies while it runs, as an administrator reconfiguring the vNIC would:
   * the subchannel policy (merged field by field with the one in force: `{ grant: 'refuse' }` keeps
   * the answer delay and offer order), the faults (merged the same way: a field given replaces that
   * field, `rescind: undefined` removes the rescind fault), `allowMacChange`,
   * `indicateOffloadChange`, `maxEvents` and `onTransmit`. A change applies from the next message
   * that reads it (the next NVSP 133 for the subchannel policy); what the host already answered or
   * scheduled is left as it is. The link has its own operations ({@link setLink},
   * {@link setLinkSpeed}).
   * @returns the configuration now in force.
   * @throws RangeError naming the field and the value: for a value {@link createNetvspHost} would
   *   refuse, for a field fixed once the NIC is offered (instance, MAC, MTU, NVSP versions, queues,
   *   indirection-table size, send-section size, peer, link) and for an unknown field.
   */
  reconfigure(changes: NetvspRuntimeConfig): ResolvedNetvspConfig {
    const fixed: Readonly<Record<string, string>> = {
      instance: 'fixed when the NIC is offered',
      mac: 'fixed when the NIC is offered (the guest changes it with the NetworkAddress config parameter)',
      mtu: 'fixed when the NIC is offered',
      nvspVersions: 'fixed when the NIC is offered',
      maxQueues: 'fixed when the NIC is offered (the guest read it in the RSS capabilities)',
      indirectionTableSize: 'fixed when the NIC is offered (the guest read it in the RSS capabilities)',
      sendSectionSize: 'fixed when the NIC is offered',
      peer: 'fixed when the NIC is offered',
      linkUp: 'changed with NetvspHost.setLink',
      linkSpeed: 'changed with NetvspHost.setLinkSpeed',
    };
    const allowed = new Set(['subchannels', 'faults', 'allowMacChange', 'indicateOffloadChange', 'maxEvents', 'onTransmit']);
    const show = (v: unknown): string => {
      if (typeof v === 'function') return 'a function';
      try {
        return JSON.stringify(v) ?? String(v);
      } catch {
        return String(v);
      }
    };
    for (const [k, v] of Object.entries(changes as Record<string, unknown>)) {
      if (fixed[k]) throw new RangeError(`NetvspHost.reconfigure: ${k} (${show(v)}) cannot change at run time: ${fixed[k]}`);
      if (!allowed.has(k)) throw new RangeError(`NetvspHost.reconfigure: ${k} (${show(v)}) is not a configuration field`);
    }
    const c = this.cfg;
    const f = c.faults;
    const cf = changes.faults ?? {};
    const merged: NetvspConfig = {
      subchannels: { ...c.subchannels, ...changes.subchannels },
      faults: {
        refuseVersions: f.refuseVersions,
        failOids: f.failOids,
        dropCompletions: f.dropCompletions,
        delayCompletions: f.delayCompletions,
        ...(f.rescind ? { rescind: f.rescind } : {}),
        ...cf,
      },
      allowMacChange: changes.allowMacChange ?? c.allowMacChange,
      indicateOffloadChange: changes.indicateOffloadChange ?? c.indicateOffloadChange,
      maxEvents: changes.maxEvents ?? c.maxEvents,
    };
    let r: ResolvedNetvspConfig;
    try {
      r = resolveNetvspConfig(merged);
    } catch (e) {
      if (e instanceof RangeError) throw new RangeError(`NetvspHost.reconfigure: ${e.message.replace(/^NetvspConfig\./, '')}`);
      throw e;
    }
    const onTransmit = 'onTransmit' in changes ? (changes.onTransmit ?? null) : c.onTransmit;
    this.cfg = { ...c, subchannels: r.subchannels, faults: r.faults, allowMacChange: r.allowMacChange, indicateOffloadChange: r.indicateOffloadChange, maxEvents: r.maxEvents, onTransmit };
    return this.cfg;
  }

  /**
   * Counts the changes to the host's channels that {@link rollback} cannot undo: channel opens and
   * closes, subchannel offers, rescinds, buffer GPADLs torn down.
   */
  get topology(): number {
    return this.topologyCount;
  }

  /**
   * GPADL handles of the receive and send buffers the session uses (null when none): what
   * `state().recvBuffer.gpadl` and `state().sendBuffer.gpadl` say, without building the snapshot.
   */
  bufferGpadls(): {
    /** GPADL handle of the receive buffer, or null. */
    readonly recv: number | null;
    /** GPADL handle of the send buffer, or null. */
    readonly send: number | null;
  } {
    const s = this.session;
    return { recv: s?.recv?.gpadl ?? null, send: s?.send?.gpadl ?? null };
  }

  /**
   * Captures the host's own state — session (phase, version, buffers, RNDIS state, RSS, queued
   * control messages), each channel's failure and queued writes, link, counters, event count,
   * configuration and fault bookkeeping — for {@link rollback}. Meant for fuzzing harnesses that
   * run many inputs against one world: the VMBus side (channels, GPADLs, rings) and guest memory
   * are not captured; the caller restores those it touched.
   * @throws Error while host events are scheduled ({@link scheduledEvents}: run the bus first).
   */
  checkpoint(): NetvspCheckpoint {
    if (this.scheduled.size) throw new Error(`NetvspHost.checkpoint: ${this.scheduled.size} host events are scheduled; run the bus first`);
    const data: CheckpointData = {
      topology: this.topologyCount,
      host: this,
      session: this.session ? copySession(this.session) : null,
      chans: this.channels.map((c) => (c ? { fatal: c.fatal, deferred: c.deferred.slice(), corrupt: corruptRings.has(c.host) } : undefined)),
      linkUp: this.linkUp,
      linkSpeed: this.linkSpeed,
      completionsSent: [...this.completionsSent],
      rescindTriggers: this.rescindTriggers,
      counters: copyNetvspCounters(this.counters),
      events: this.events.length,
      config: this.cfg,
    };
    return data;
  }

  /**
   * Puts the host back in the state {@link checkpoint} captured (the checkpoint stays usable).
   * Host events scheduled since and not run yet ({@link scheduledEvents}: delayed completions and
   * answers, offers still to come, rescind faults) are cancelled. `events` keeps its identity
   * (truncated to its length then); `counters` is a new object.
   * @throws Error when the checkpoint is another host's, or when the topology changed since
   *   (channels opened, closed, offered or rescinded: the VMBus side cannot be rolled back).
   */
  rollback(checkpoint: NetvspCheckpoint): void {
    const d = checkpoint as CheckpointData;
    if (d.host !== this) throw new Error('NetvspHost.rollback: the checkpoint was taken on another host');
    if (d.topology !== this.topologyCount) {
      throw new Error(`NetvspHost.rollback: the channels changed since the checkpoint (topology ${d.topology} → ${this.topologyCount}); the VMBus side cannot be rolled back`);
    }
    if (this.scheduled.size) {
      const sched = this.vmbus.hypervisor.scheduler;
      for (const id of this.scheduled) sched.cancel(id);
      this.scheduled.clear();
    }
    this.session = d.session ? copySession(d.session) : null;
    d.chans.forEach((saved, i) => {
      const c = this.channels[i];
      if (!c || !saved) return;
      c.fatal = saved.fatal;
      c.deferred = saved.deferred.slice();
      if (!saved.corrupt) corruptRings.delete(c.host);
    });
    this.linkUp = d.linkUp;
    this.linkSpeed = d.linkSpeed;
    this.completionsSent.clear();
    for (const [k, v] of d.completionsSent) this.completionsSent.set(k, v);
    this.rescindTriggers = d.rescindTriggers;
    this.counts = copyNetvspCounters(d.counters);
    if (this.events.length > d.events) this.events.length = d.events;
    this.cfg = d.config;
  }

  /** The host's state now. */
  state(): NetvspHostState {
    const s = this.session;
    const failed: Record<number, string> = {};
    const open: number[] = [];
    this.channels.forEach((c, i) => {
      if (!c) return;
      open.push(i);
      if (c.fatal) failed[i] = c.fatal;
    });
    return {
      phase: s ? s.phase : 'closed',
      nvspVersion: s?.version ?? 0,
      ndisVersion: s?.ndisVersion ? { ...s.ndisVersion } : null,
      ndisConfig: s?.ndisConfig ? { ...s.ndisConfig } : null,
      recvBuffer: s?.recv
        ? { gpadl: s.recv.gpadl, id: s.recv.id, sections: s.recv.sections.count, sectionSize: s.recv.sections.size, busy: s.recv.sections.busy }
        : null,
      sendBuffer: s?.send
        ? { gpadl: s.send.gpadl, sectionSize: this.config.sendSectionSize, sections: Math.floor(s.send.view.length / this.config.sendSectionSize) }
        : null,
      rndis: s?.rndis.state ?? 'uninitialized',
      packetFilter: s?.rndis.packetFilter ?? 0,
      mac: macText(s?.rndis.currentMac ?? this.config.mac),
      link: { up: this.linkUp, speed: this.linkSpeed },
      rss: s?.rndis.rss
        ? { hashInfo: s.rndis.rss.hashInfo, key: s.rndis.rss.key.slice(), table: Array.from(s.rndis.rss.table), guestEntries: s.rndis.rss.guestEntries }
        : null,
      queues: s?.queues ?? 0,
      subchannelsOffered: s ? [...s.offered].sort((a, b) => a - b) : [],
      channelsOpen: open,
      failedChannels: failed,
      sendTable: s?.sendTable ? [...s.sendTable] : null,
    };
  }

  /**
   * An inbound frame from the wire: hashed and steered as the guest programmed RSS, written to a
   * free receive section of the chosen channel and indicated as a transfer-page packet carrying an
   * RNDIS PACKET. The section is reused only after the guest's receive completion.
   */
  injectFrame(frame: Uint8Array, options: NetvspInjectOptions = {}): NetvspRxResult {
    const s = this.session;
    const dropped = (reason: Extract<NetvspRxResult, { delivered: false }>['reason'], channel?: number): NetvspRxResult => {
      bump(this.counters.rxDropped, reason);
      if (channel !== undefined) queueCounters(this.counters, channel).rxDropped++;
      this.ev(channel ?? -1, 'rx', reason);
      return channel === undefined ? { delivered: false, reason } : { delivered: false, reason, channel };
    };
    if (!s || s.phase !== 'ready' || !s.recv) return dropped('not-ready');
    const parsed = netvspParseFrame(frame);
    if (!parsed) return dropped('malformed');
    if (!this.passesFilter(s.rndis, parsed.dst)) return dropped('filtered');
    let queue = 0;
    let hash: number | undefined;
    let hashType: number | undefined;
    const rss = s.rndis.rss;
    if (rss && parsed.flow) {
      // A TCP/UDP header too short to hold the ports is hashed like a fragment: on the addresses.
      const f = parsed.flow;
      const flow = (f.proto === 6 || f.proto === 17) && f.sport === undefined ? { ...f, fragment: true } : f;
      const sel = selectHashInput(flow, rss.hashInfo);
      if (sel) {
        hash = rss.toeplitz.hash(sel.input);
        hashType = sel.hashType;
        queue = rss.table[indirectionIndex(hash, rss.table.length)]!;
      }
    }
    let channel = queue;
    if (!this.channels[channel] || channel >= s.queues) {
      channel = 0;
      if (queue !== 0) this.counters.rxSteeredToPrimary++;
    }
    const ch = this.channels[channel];
    if (!ch) return dropped('not-ready');
    if (ch.fatal) return dropped('channel-failed', channel);
    const ppis: PpiElement[] = [ppiChecksumReceive(options.checksum ?? NO_CHECKSUM_INFO)];
    if (hash !== undefined) ppis.push(ppiHashValue(hash), ppiHashInfo((hashType! | NDIS_HASH_FUNC_TOEPLITZ) >>> 0));
    let data = frame;
    if (parsed.vlan) {
      ppis.push(ppiVlan({ pri: parsed.vlan.priority, cfi: parsed.vlan.cfi, vlanid: parsed.vlan.id }));
      data = new Uint8Array(frame.length - 4);
      data.set(frame.subarray(0, 12), 0);
      data.set(frame.subarray(16), 12);
    }
    const msg = encodeRndisDataPacket(data, ppis);
    const recv = s.recv;
    if (msg.length > recv.sections.size) return dropped('too-big', channel);
    const qIndex = Math.min(channel, recv.sections.queueRanges.length - 1);
    const section = recv.sections.takeData(qIndex, channel);
    if (section < 0) return dropped('no-buffer', channel);
    if (!bufferWrite(recv, section * recv.sections.size, msg)) {
      recv.sections.untake(section);
      return dropped('no-buffer', channel);
    }
    if (!this.sendRndis(ch, s, section, msg.length, NVSP_CHANNEL_TYPE_DATA, false)) {
      recv.sections.untake(section);
      return dropped('ring-full', channel);
    }
    queueCounters(this.counters, channel).rx++;
    this.ev(channel, 'rx', 'delivered', undefined, hash !== undefined ? `hash 0x${hash.toString(16)} queue ${queue}` : undefined);
    const base = { delivered: true as const, channel, queue, section };
    return hash === undefined ? base : { ...base, hash, hashType: hashType! };
  }

  /** Builds a frame for `flow` addressed to the NIC's current MAC and injects it. */
  injectFlow(flow: Flow, options: NetvspInjectOptions & { payloadLength?: number } = {}): NetvspRxResult {
    const mac = this.session?.rndis.currentMac ?? this.config.mac;
    const frame = netvspBuildFrame({ flow, dstMac: mac, ...(options.payloadLength !== undefined ? { payloadLength: options.payloadLength } : {}) });
    return this.injectFrame(frame, options);
  }

  /**
   * Changes the link state. The host indicates MEDIA_CONNECT / MEDIA_DISCONNECT when the RNDIS
   * device is operational (otherwise the new state is only what OID_GEN_MEDIA_CONNECT_STATUS reports).
   */
  setLink(up: boolean): void {
    if (this.linkUp === up) return;
    this.linkUp = up;
    this.ev(-1, 'link', up ? 'up' : 'down');
    this.indicate(encodeRndis(up ? rndisMediaConnectIndication() : rndisMediaDisconnectIndication()));
  }

  /**
   * Changes the link speed (bit/s). The host indicates LINK_SPEED_CHANGE (in 100 bit/s units) when
   * the guest announced the teaming capability in NDIS_CONFIG, the bit Linux sets to receive them.
   */
  setLinkSpeed(bitsPerSecond: number): void {
    if (!Number.isSafeInteger(bitsPerSecond) || bitsPerSecond < 0 || bitsPerSecond / 100 > 0xffffffff) {
      throw new RangeError(`NetvspHost.setLinkSpeed: ${bitsPerSecond} bit/s does not fit u32 of 100 bit/s`);
    }
    this.linkSpeed = bitsPerSecond;
    this.ev(-1, 'link', 'speed', undefined, String(bitsPerSecond));
    const cap = this.session?.ndisConfig?.capability ?? 0n;
    if ((cap & NVSP_2_VSC_CAPABILITY.teaming) !== 0n) this.indicate(encodeRndis(rndisLinkSpeedIndication(Math.floor(bitsPerSecond / 100))));
  }

  /** Indicates NETWORK_CHANGE (Linux bounces the link). */
  indicateNetworkChange(): void {
    this.ev(-1, 'link', 'network-change');
    this.indicate(encodeRndis(rndisNetworkChangeIndication()));
  }

  /**
   * Rescinds the primary (and with it every subchannel) or one subchannel, as a host removing the
   * device or a queue. Returns the VMBus server's answer ('ENOENT' for a subchannel never offered).
   */
  rescind(target: 'primary' | number): 'OK' | 'ENOENT' | 'EALREADY' {
    const hc = target === 'primary' ? this.primary : this.subHost.get(target);
    if (!hc) return 'ENOENT';
    this.topologyCount++;
    this.ev(target === 'primary' ? 0 : target, 'vmbus', 'rescind');
    return this.vmbus.rescind(hc);
  }

  /**
   * Processes one VMBus packet (descriptor included) as if it had been read from channel
   * `channel`'s ring: for fuzzing and benchmarks, which feed bytes without a guest writing them.
   * Answers go to the channel's host→guest ring as usual. Ignored when the channel is not open.
   */
  processPacket(channel: number, packet: Uint8Array): void {
    const ch = this.channels[channel];
    if (!ch || ch.fatal) return;
    this.dispatch(ch, packet);
    if (channel === 0) this.kickControl();
    this.quarantineCorrupt();
  }

  // -------------------------------------------------------------------------------------------
  // VMBus device hooks

  private device(index: number): HostDevice {
    return {
      open: (hc) => this.onOpen(index, hc),
      close: () => this.onClose(index),
      interrupt: () => this.pump(index),
      gpadlTorndown: (_hc, g) => this.onGpadlTorndown(index, g),
    };
  }

  private onOpen(index: number, hc: HostChannel): number {
    this.topologyCount++;
    this.channels[index] = { index, host: hc, fatal: null, deferred: [] };
    this.ev(index, 'vmbus', 'open');
    if (index === 0) {
      this.session = this.newSession();
    } else {
      this.counters.subchannel.opened++;
      this.maybeSendTable();
    }
    return 0;
  }

  private onClose(index: number): void {
    const ch = this.channels[index];
    this.channels[index] = undefined;
    this.topologyCount++;
    this.ev(index, 'vmbus', 'close');
    const s = this.session;
    if (index !== 0) {
      if (ch && s?.recv) s.recv.sections.releaseChannel(index);
      return;
    }
    // Closing the primary ends the session and revokes every subchannel (openvmm vmbus_channel
    // `handle_close`: "Revoke all subchannels").
    this.session = null;
    for (const [i, hc] of [...this.subHost]) {
      this.subHost.delete(i);
      this.vmbus.rescind(hc);
    }
  }

  private onGpadlTorndown(index: number, g: HostGpadl): void {
    const s = this.session;
    this.topologyCount++;
    if (index !== 0 || !s) return;
    if (s.recv?.gpadl === g.handle) {
      s.recv = null;
      this.ev(0, 'vmbus', 'receive-buffer-torn-down');
    }
    if (s.send?.gpadl === g.handle) {
      s.send = null;
      this.ev(0, 'vmbus', 'send-buffer-torn-down');
    }
  }

  private newSession(): Session {
    return {
      phase: 'init',
      version: 0,
      ndisConfig: null,
      ndisVersion: null,
      recv: null,
      send: null,
      rndis: {
        state: 'uninitialized',
        packetFilter: 0,
        currentMac: Uint8Array.from(this.config.mac),
        rss: null,
        offload: netvspFullOffload(),
        offloadIndicationDue: false,
      },
      control: [],
      controlBytes: 0,
      indications: [],
      queues: 1,
      tableSent: false,
      sendTable: null,
      offered: new Set(),
      pendingOffers: new Set(),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Logging

  private ev(channel: number, kind: NetvspEventKind, name: string, status?: number, detail?: string): void {
    if (this.events.length >= this.config.maxEvents) return;
    const e: { -readonly [K in keyof NetvspEvent]: NetvspEvent[K] } = { time: this.now, channel, kind, name };
    if (status !== undefined) e.status = status;
    if (detail !== undefined) e.detail = detail;
    this.events.push(e);
  }

  private fatal(ch: Chan, reason: string, detail?: string): void {
    if (ch.fatal) return;
    ch.fatal = reason;
    bump(this.counters.fatal, reason);
    this.ev(ch.index, 'fatal', reason, undefined, detail);
  }

  private reject(ch: Chan, reason: string, detail?: string): void {
    bump(this.counters.rejects, reason);
    this.ev(ch.index, 'reject', reason, undefined, detail);
  }

  // -------------------------------------------------------------------------------------------
  // Ring plumbing

  private pump(index: number): void {
    const ch = this.channels[index];
    if (!ch || ch.fatal) return;
    const rings = ch.host.rings;
    if (!rings) return;
    if (!this.flushDeferred(ch)) return;
    const inbound = rings.inbound;
    let view = this.read(ch, inbound, false);
    while (view && !ch.fatal) {
      if (freeBytes(ch.host, rings.outbound) <= RING_RESERVE) {
        // Wait for the guest to make room (it signals when more than this is free).
        rings.outbound.setPendingSendSize(RING_RESERVE);
        break;
      }
      // dispatch decodes what it keeps (numbers, copies): the ring's bytes are read, never kept
      this.dispatch(ch, packetBytesForReading(view));
      if (ch.fatal || this.channels[index] !== ch) break;
      view = this.read(ch, inbound, true);
    }
    if (ch.host.rings === rings && !ch.fatal) {
      if (inbound.close().signal) ch.host.signalGuest();
    }
    if (index === 0) this.kickControl();
    this.quarantineCorrupt();
  }

  /**
   * Channels whose host→guest ring control page was corrupted (write or read index outside the
   * data area) stop as openvmm stops them (a fatal, per-channel error: InvalidRingPointer); the
   * other channels go on.
   */
  private quarantineCorrupt(): void {
    for (const ch of this.channels) if (ch && !ch.fatal && corruptRings.has(ch.host)) this.fatal(ch, 'RING_CORRUPT', 'host→guest ring control page holds an index outside the data area');
  }

  private read(ch: Chan, inbound: RingConsumer, advance: boolean): RingPacketView | null {
    try {
      return advance ? inbound.next() : inbound.first();
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.fatal(ch, 'RING_PACKET', e.message);
      return null;
    }
  }

  /** Writes a packet, or queues it behind earlier ones when the ring is full. False when it is queued. */
  private write(ch: Chan, packet: VmbusPacket): boolean {
    if (ch.deferred.length) {
      ch.deferred.push(packet);
      return false;
    }
    const r = ringSend(ch.host, packet);
    if (r === null) return false;
    if (r.ok) return true;
    ch.deferred.push(packet);
    ch.host.rings?.outbound.setPendingSendSize(Math.min(r.needed, ch.host.rings.outbound.dataSize - 8));
    return false;
  }

  private flushDeferred(ch: Chan): boolean {
    const rings = ch.host.rings;
    while (ch.deferred.length) {
      const r = ringSend(ch.host, ch.deferred[0]!);
      if (r === null) {
        ch.deferred.length = 0;
        return false;
      }
      if (!r.ok) {
        rings?.outbound.setPendingSendSize(Math.min(r.needed, rings.outbound.dataSize - 8));
        return false;
      }
      ch.deferred.shift();
    }
    rings?.outbound.setPendingSendSize(0);
    return true;
  }

  private nvspOptions() {
    return { peer: this.config.peer, version: this.session?.version ?? 0 } as const;
  }

  /**
   * The encoded SEND_RNDIS_PKT (transfer pages) and SEND_RNDIS_PKT_COMPLETE messages, the two the
   * host sends per packet, encoded once per session version (ring writes copy them).
   */
  private hotNvsp(kind: 'xfer' | 'complete', value: number): Uint8Array {
    const version = this.session?.version ?? 0;
    if (this.hotVersion !== version) {
      this.hotCache.length = 0;
      this.hotVersion = version;
    }
    const slot = (kind === 'xfer' ? 0 : 8) + (value & 7);
    let b = value < 8 ? this.hotCache[slot] : undefined;
    if (!b) {
      b =
        kind === 'xfer'
          ? encodeNvsp({ type: 'SEND_RNDIS_PKT', channel_type: value, send_buf_section_index: NETVSC_INVALID_INDEX, send_buf_section_size: 0 }, this.nvspOptions())
          : encodeNvsp({ type: 'SEND_RNDIS_PKT_COMPLETE', status: value }, this.nvspOptions());
      if (value < 8) this.hotCache[slot] = b;
    }
    return b;
  }

  /** Sends a completion for `transId` carrying `msg` (or an empty one), subject to the drop/delay faults. */
  private complete(ch: Chan, transId: bigint, msg: NvspMessage | null): void {
    const type = msg ? nvspMsgTypeOf(msg) : 0;
    const name = msg ? nvspName(type) : 'EMPTY_COMPLETION';
    const status = msg && 'status' in msg ? (msg as { status: number }).status : undefined;
    const payload = !msg ? EMPTY : msg.type === 'SEND_RNDIS_PKT_COMPLETE' ? this.hotNvsp('complete', msg.status) : encodeNvsp(msg, this.nvspOptions());
    const packet: VmbusPacket = { kind: 'completion', flags: 0, trans_id: transId, payload };
    const f = this.config.faults;
    if (f.dropCompletions.length || f.delayCompletions.length) {
      const nth = (this.completionsSent.get(type) ?? 0) + 1;
      this.completionsSent.set(type, nth);
      const matches = (m: { msgType: number; nth?: number }) => m.msgType === type && (m.nth === undefined || m.nth === nth);
      if (f.dropCompletions.some(matches)) {
        this.ev(ch.index, 'fault', 'completion-dropped', undefined, name);
        return;
      }
      const delayed = f.delayCompletions.find(matches);
      if (delayed) {
        this.ev(ch.index, 'fault', 'completion-delayed', undefined, name);
        this.schedule(delayed.delay, () => this.sendCompletion(ch, packet, name, status), 'netvsp: delayed completion');
        return;
      }
    }
    this.sendCompletion(ch, packet, name, status);
  }

  private sendCompletion(ch: Chan, packet: VmbusPacket, name: string, status: number | undefined): void {
    if (this.channels[ch.index] !== ch) return;
    bump(this.counters.nvspOut, name);
    this.ev(ch.index, 'nvsp-out', name, status);
    this.write(ch, packet);
  }


  /** Writes an RNDIS message already in section `section` as a transfer-page packet. */
  private sendRndis(ch: Chan, s: Session, section: number, length: number, channelType: number, queueIfFull: boolean): boolean {
    const recv = s.recv!;
    const packet: VmbusPacket = {
      kind: 'xfer-pages',
      flags: 1,
      trans_id: BigInt(section),
      xfer_pageset_id: recv.id,
      sender_owns_set: 0,
      ranges: [{ byte_count: length, byte_offset: section * recv.sections.size }],
      payload: this.hotNvsp('xfer', channelType),
    };
    if (queueIfFull) {
      this.write(ch, packet);
      return true;
    }
    if (ch.deferred.length) return false;
    const r = ringSend(ch.host, packet);
    return r !== null && r.ok;
  }

  // -------------------------------------------------------------------------------------------
  // Dispatch

  private dispatch(ch: Chan, bytes: Uint8Array): void {
    let pkt: VmbusPacket;
    // A hostile guest can send malformed packets at line rate: when the event log would not keep
    // the parser's message, refuse the commonest ones without building an exception.
    if (this.events.length >= this.cfg.maxEvents && packetSurelyInvalid(bytes)) return this.fatal(ch, 'PACKET_PARSE');
    try {
      pkt = decodePacket(bytes);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      return this.fatal(ch, 'PACKET_PARSE', e.message);
    }
    if (pkt.kind === 'completion') return this.onGuestCompletion(ch, pkt);
    if (pkt.kind === 'xfer-pages') return this.fatal(ch, 'UNEXPECTED_PACKET_KIND', 'transfer-page packet from the guest');
    let msg: NvspMessage;
    try {
      msg = decodeNvsp(pkt.payload, { from: 'guest' });
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      return this.fatal(ch, 'NVSP_PARSE', e.message);
    }
    const type = nvspMsgTypeOf(msg);
    const name = nvspName(type);
    bump(this.counters.nvspIn, name);
    this.ev(ch.index, 'nvsp-in', name);
    const s = this.session;
    if (!s) return this.fatal(ch, 'NO_SESSION', name);
    const want = (pkt.flags & 1) !== 0;
    const min = MIN_VERSION[type];
    if (min === undefined || (type !== 1 && (s.phase === 'init' || s.version < min))) return this.fatal(ch, 'UNKNOWN_TYPE', name);
    if (ch.index !== 0) return this.onSubchannelNvsp(ch, s, msg, pkt, want);
    switch (s.phase) {
      case 'init':
        if (msg.type === 'INIT') return this.onInit(ch, s, msg.min_protocol_ver, pkt.trans_id, want);
        return this.fatal(ch, 'UNKNOWN_TYPE', name);
      case 'initializing':
        return this.onInitializing(ch, s, msg, pkt, want);
      case 'ready':
        return this.onReady(ch, s, msg, pkt, want);
      case 'revoked':
        if (msg.type === 'REVOKE_RECV_BUF' || msg.type === 'REVOKE_SEND_BUF') return this.onRevoke(ch, s, msg.type);
        return this.reject(ch, 'BUFFER_REVOKED', name);
    }
  }

  private onInit(ch: Chan, s: Session, version: number, transId: bigint, want: boolean): void {
    const supported = this.config.nvspVersions.includes(version);
    const refused = supported && this.config.faults.refuseVersions.includes(version);
    if (refused) this.ev(ch.index, 'fault', 'version-refused', undefined, `0x${version.toString(16)}`);
    const accepted = supported && !refused;
    if (want) {
      this.complete(ch, transId, {
        type: 'INIT_COMPLETE',
        negotiated_protocol_ver: accepted && version === NVSP_PROTOCOL_VERSION_1 ? NVSP_PROTOCOL_VERSION_1 : 0xffffffff,
        max_mdl_chain_len: 34,
        status: accepted ? NVSP_STAT_SUCCESS : 0,
      });
    }
    if (accepted) {
      s.phase = 'initializing';
      s.version = version;
    } else this.reject(ch, 'UNSUPPORTED_VERSION', `0x${(version >>> 0).toString(16)}`);
  }

  private readyWithoutSendBuffer(s: Session): boolean {
    return (s.ndisConfig !== null || s.version < NVSP_PROTOCOL_VERSION_2) && s.ndisVersion !== null && s.recv !== null;
  }

  private onInitializing(ch: Chan, s: Session, msg: NvspMessage, pkt: VmbusPacket, want: boolean): void {
    switch (msg.type) {
      case 'SEND_NDIS_CONFIG': {
        if (s.ndisConfig) return this.fatal(ch, 'SEND_NDIS_CONFIG_EXISTS');
        const mtu = msg.mtu >= NETVSP_DEFAULT_NDIS_MTU && msg.mtu <= NETVSP_MAX_NDIS_MTU ? msg.mtu : NETVSP_DEFAULT_NDIS_MTU;
        s.ndisConfig = { mtu, capability: msg.capability };
        if (want) this.complete(ch, pkt.trans_id, null);
        break;
      }
      case 'SEND_NDIS_VER':
        if (s.ndisVersion) return this.fatal(ch, 'SEND_NDIS_VERSION_EXISTS');
        s.ndisVersion = { major: msg.ndis_major_ver, minor: msg.ndis_minor_ver };
        if (want) this.complete(ch, pkt.trans_id, null);
        break;
      case 'SEND_RECV_BUF':
        if (s.recv) return this.fatal(ch, 'SEND_RECEIVE_BUFFER_EXISTS');
        if (!s.ndisConfig && s.version >= NVSP_PROTOCOL_VERSION_2) return this.fatal(ch, 'SEND_RECEIVE_BUFFER_MISSING_MTU');
        this.onRecvBuf(ch, s, msg.gpadl_handle, msg.id, pkt.trans_id, want);
        break;
      case 'SEND_SEND_BUF':
        if (s.send) return this.fatal(ch, 'SEND_SEND_BUFFER_EXISTS');
        this.onSendBuf(ch, s, msg.gpadl_handle, pkt.trans_id, want);
        break;
      case 'SEND_RNDIS_PKT':
        if (!this.readyWithoutSendBuffer(s)) return this.fatal(ch, 'UNEXPECTED_RNDIS_PACKET');
        this.becomeReady(ch, s);
        return this.onRndisPacket(ch, s, msg, pkt, want);
      default:
        return this.fatal(ch, 'INVALID_PACKET_DATA', msg.type);
    }
    if (this.readyWithoutSendBuffer(s) && s.send) this.becomeReady(ch, s);
  }

  private becomeReady(ch: Chan, s: Session): void {
    s.phase = 'ready';
    this.ev(ch.index, 'vmbus', 'ready', undefined, `NVSP 0x${s.version.toString(16)}`);
  }

  /** A GPADL of the primary that is established, one page-aligned range (openvmm `contiguous_aligned`). */
  private bufferGpadl(handle: number): GpadlView | string {
    const g = this.primary.relid ? this.vmbus.gpadlOf(this.primary.relid, handle) : undefined;
    if (!g || g.state !== 'accepted' || !g.view) return 'UNKNOWN_GPADL_ID';
    const r = g.view.ranges;
    if (r.length !== 1 || r[0]!.byte_offset !== 0) return 'UNALIGNED_GPADL';
    return g.view;
  }

  private onRecvBuf(ch: Chan, s: Session, handle: number, id: number, transId: bigint, want: boolean): void {
    const mtu = s.ndisConfig?.mtu ?? NETVSP_DEFAULT_NDIS_MTU;
    const size = netvspSubAllocationSize(mtu);
    const view = this.bufferGpadl(handle);
    let error = typeof view === 'string' ? view : null;
    let count = 0;
    if (typeof view !== 'string') {
      count = Math.floor(view.length / size);
      if (count === 0) error = 'UNSUPPORTED_SUBALLOCATION_SIZE';
      else {
        const per = netvspRxSectionsPerQueue(count, 1);
        if (typeof per !== 'number') error = per;
      }
    }
    if (error || typeof view === 'string') {
      this.reject(ch, error ?? 'UNKNOWN_GPADL_ID', `receive buffer gpadl ${handle}`);
      if (want) this.complete(ch, transId, { type: 'SEND_RECV_BUF_COMPLETE', status: NVSP_STAT_FAIL, num_sections: 0, sections: [] });
      return;
    }
    s.recv = { gpadl: handle, id, view, flat: view.trackedPages(0, view.pageCount), sections: new NetvspRxSections(count, size) };
    if (want) {
      this.complete(ch, transId, {
        type: 'SEND_RECV_BUF_COMPLETE',
        status: NVSP_STAT_SUCCESS,
        num_sections: 1,
        sections: [{ offset: 0, sub_alloc_size: size, num_sub_allocs: count, end_offset: size * count }],
      });
    }
  }

  private onSendBuf(ch: Chan, s: Session, handle: number, transId: bigint, want: boolean): void {
    const view = this.bufferGpadl(handle);
    if (typeof view === 'string') {
      this.reject(ch, view, `send buffer gpadl ${handle}`);
      if (want) this.complete(ch, transId, { type: 'SEND_SEND_BUF_COMPLETE', status: NVSP_STAT_FAIL, section_size: 0 });
      return;
    }
    s.send = { gpadl: handle, view, flat: view.trackedPages(0, view.pageCount) };
    if (want) this.complete(ch, transId, { type: 'SEND_SEND_BUF_COMPLETE', status: NVSP_STAT_SUCCESS, section_size: this.config.sendSectionSize });
  }

  private onReady(ch: Chan, s: Session, msg: NvspMessage, pkt: VmbusPacket, want: boolean): void {
    switch (msg.type) {
      case 'SEND_RNDIS_PKT':
        return this.onRndisPacket(ch, s, msg, pkt, want);
      case 'SUBCHANNEL_REQUEST':
        return this.onSubchannelRequest(ch, s, msg.op, msg.num_subchannels, pkt.trans_id, want);
      case 'REVOKE_RECV_BUF':
      case 'REVOKE_SEND_BUF':
        return this.onRevoke(ch, s, msg.type);
      case 'SWITCH_DATA_PATH':
        // No VF: the request is acknowledged with an empty completion (openvmm `switch_data_path`).
        if (want) this.complete(ch, pkt.trans_id, null);
        return;
      case 'OID_QUERY_EX':
        return this.onOidQueryEx(ch, pkt.trans_id, want);
      default:
        return this.fatal(ch, 'UNEXPECTED_PACKET', msg.type);
    }
  }

  private onOidQueryEx(ch: Chan, transId: bigint, want: boolean): void {
    this.reject(ch, 'OID_QUERY_EX_NOT_SUPPORTED');
    if (want) this.complete(ch, transId, { type: 'OID_QUERY_EX_COMP', status: RNDIS_STATUS.NOT_SUPPORTED, bytes: 0 });
  }

  private onSubchannelNvsp(ch: Chan, s: Session, msg: NvspMessage, pkt: VmbusPacket, want: boolean): void {
    if (s.phase !== 'ready') return this.fatal(ch, 'NO_SESSION', msg.type);
    if (msg.type === 'SEND_RNDIS_PKT') return this.onRndisPacket(ch, s, msg, pkt, want);
    if (msg.type === 'OID_QUERY_EX') return this.onOidQueryEx(ch, pkt.trans_id, want);
    return this.fatal(ch, 'NOT_SUPPORTED_ON_SUBCHANNEL', msg.type);
  }

  private onRevoke(ch: Chan, s: Session, type: 'REVOKE_RECV_BUF' | 'REVOKE_SEND_BUF'): void {
    // openvmm stops the primary worker on a revoke (`BufferRevoked`); only the other revoke is still taken.
    s.phase = 'revoked';
    if (type === 'REVOKE_RECV_BUF') s.recv = null;
    else s.send = null;
    this.ev(ch.index, 'vmbus', type === 'REVOKE_RECV_BUF' ? 'receive-buffer-revoked' : 'send-buffer-revoked');
  }

  // -------------------------------------------------------------------------------------------
  // Guest completions (receive sections coming back)

  private onGuestCompletion(ch: Chan, pkt: VmbusPacket): void {
    const p = pkt.payload;
    if (p.length < 8 || rd32(p, 0) !== 108) {
      return this.fatal(ch, 'UNKNOWN_COMPLETION', p.length < 4 ? `${p.length}-byte completion` : `type ${rd32(p, 0)}`);
    }
    bump(this.counters.nvspIn, 'NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE');
    const recv = this.session?.recv;
    const id = pkt.trans_id;
    if (!recv || id > 0xffffffffn || !recv.sections.release(Number(id), ch.index)) {
      return this.fatal(ch, 'INVALID_RNDIS_PACKET_COMPLETION', `section ${id}`);
    }
    const status = rd32(p, 4);
    if (status !== NVSP_STAT_SUCCESS) bump(this.counters.rxDropped, 'failed-by-guest');
  }

  // -------------------------------------------------------------------------------------------
  // RNDIS from the guest

  /** The RNDIS bytes of a SEND_RNDIS_PKT and the end offset of each range they came in. */
  private rndisData(ch: Chan, s: Session, index: number, size: number, pkt: VmbusPacket): { bytes: Uint8Array; ends: number[] } | 'fatal' | 'gpa' {
    let first: Uint8Array | undefined;
    if (index !== NETVSC_INVALID_INDEX) {
      const send = s.send;
      const at = index * this.config.sendSectionSize;
      first = send && at + size <= send.view.length ? (send.flat ? send.flat.bytes.subarray(at, at + size) : send.view.read(at, size)) : undefined;
      if (!first) {
        this.fatal(ch, 'INVALID_SEND_BUFFER_INDEX', `section ${index} size ${size}`);
        return 'fatal';
      }
      if (pkt.kind !== 'gpa-direct') return { bytes: first, ends: [first.length] };
    } else if (pkt.kind === 'gpa-direct' && pkt.ranges.length === 1) {
      const only = readGpaRange(this.vmbus, pkt.ranges[0]!);
      return only ? { bytes: only, ends: [only.length] } : 'gpa';
    }
    const parts: Uint8Array[] = first ? [first] : [];
    const ends: number[] = first ? [first.length] : [];
    let total = first?.length ?? 0;
    if (pkt.kind === 'gpa-direct') {
      for (const r of pkt.ranges) {
        const part = readGpaRange(this.vmbus, r);
        if (!part) return 'gpa';
        parts.push(part);
        total += part.length;
        ends.push(total);
      }
    }
    if (parts.length === 1) return { bytes: parts[0]!, ends };
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    return { bytes, ends };
  }


  private onRndisPacket(
    ch: Chan,
    s: Session,
    msg: Extract<NvspMessage, { type: 'SEND_RNDIS_PKT' }>,
    pkt: VmbusPacket,
    want: boolean,
  ): void {
    const done = (status: number, reason?: string, detail?: string) => this.completeRndisPacket(ch, pkt.trans_id, want, status, reason, detail);
    const data = this.rndisData(ch, s, msg.send_buf_section_index, msg.send_buf_section_size, pkt);
    if (data === 'fatal') return;
    if (data === 'gpa') return done(NVSP_STAT_FAIL, 'GPA_DIRECT_ERROR');
    const bytes = data.bytes;
    if (bytes.length < 8) return done(NVSP_STAT_FAIL, 'RNDIS_MESSAGE_TOO_SMALL');
    const type = rd32(bytes, 0);
    if (type === RNDIS_MSG.PACKET) {
      const r = this.onDataPackets(ch, bytes, data.ends);
      return r ? done(NVSP_STAT_FAIL, r) : done(NVSP_STAT_SUCCESS);
    }
    const name = rndisMsgTypeName(type);
    if (ch.index !== 0) return done(NVSP_STAT_FAIL, 'NOT_SUPPORTED_ON_SUBCHANNEL', name);
    const fixed = CONTROL_FIXED_BODY[type];
    if (fixed === undefined) {
      bump(this.counters.rndisIn, name);
      return done(NVSP_STAT_FAIL, 'RNDIS_UNSUPPORTED_MESSAGE', name);
    }
    const framing = controlFramingError(bytes, fixed, type === RNDIS_MSG.QUERY || type === RNDIS_MSG.SET);
    if (framing) return done(NVSP_STAT_FAIL, 'RNDIS_MALFORMED', framing);
    let m: RndisMessage;
    try {
      m = decodeRndis(bytes, 0);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      return done(NVSP_STAT_FAIL, 'RNDIS_MALFORMED', e.message);
    }
    bump(this.counters.rndisIn, name);
    const oid = m.type === 'QUERY' || m.type === 'SET' ? oidName(m.oid) : undefined;
    if (oid) bump(this.counters.oids, oid);
    this.ev(ch.index, 'rndis-in', name, undefined, oid);
    switch (m.type) {
      case 'HALT':
        s.rndis.state = 'halted';
        return done(NVSP_STAT_SUCCESS);
      case 'INIT':
      case 'QUERY':
      case 'SET':
      case 'RESET':
      case 'KEEPALIVE': {
        const len = rd32(bytes, 4);
        if (CONTROL_MAX_QUEUED_BYTES - s.controlBytes < len) return done(NVSP_STAT_FAIL, 'TOO_MANY_CONTROL_MESSAGES');
        s.control.push({ msg: m, length: len });
        s.controlBytes += len;
        return done(NVSP_STAT_SUCCESS);
      }
      default:
        return done(NVSP_STAT_FAIL, 'RNDIS_UNSUPPORTED_MESSAGE', name);
    }
  }

  /** Completes a SEND_RNDIS_PKT (when the guest asked) with `status`, logging the refusal reason. */
  private completeRndisPacket(ch: Chan, transId: bigint, want: boolean, status: number, reason?: string, detail?: string): void {
    if (reason) this.reject(ch, reason, detail);
    if (want) this.complete(ch, transId, { type: 'SEND_RNDIS_PKT_COMPLETE', status });
  }

  /**
   * One or more back-to-back RNDIS PACKETs (a send section may batch several). Returns the reason
   * of the first failure, or null when every frame was taken (openvmm `handle_rndis_packet_messages`,
   * `handle_rndis_packet_message`, with the regions bounded by `msg_len`).
   */
  private onDataPackets(ch: Chan, bytes: Uint8Array, ends: number[]): string | null {
    const frames: TxTaken[] = [];
    let at = 0;
    while (at < bytes.length) {
      if (bytes.length - at < 8) return 'RNDIS_MESSAGE_TOO_SMALL';
      if (rd32(bytes, at) !== RNDIS_MSG.PACKET) return 'NON_RNDIS_PACKET_AFTER_PACKET';
      const len = rd32(bytes, at + 4);
      if (len < RNDIS_PACKET_HEADER || len > bytes.length - at) return 'RNDIS_MESSAGE_TOO_SMALL';
      // The header and per-packet info must sit in one range: Linux splits at 4 KiB page
      // boundaries, and a header split across two pages is refused (openvmm RndisBadHeaders).
      let rangeEnd = bytes.length;
      for (const e of ends) {
        if (e > at) {
          rangeEnd = e;
          break;
        }
      }
      if (at + RNDIS_PACKET_HEADER > rangeEnd) return 'RNDIS_BAD_HEADERS';
      const b = at + 8;
      const dataOff = rd32(bytes, b);
      const dataLen = rd32(bytes, b + 4);
      const oobOff = rd32(bytes, b + 8);
      const oobLen = rd32(bytes, b + 12);
      const numOob = rd32(bytes, b + 16);
      const ppiOff = rd32(bytes, b + 20);
      const ppiLen = rd32(bytes, b + 24);
      const vc = rd32(bytes, b + 28);
      if (numOob || oobLen || oobOff || vc) return 'UNSUPPORTED_RNDIS_BEHAVIOR';
      const body = len - 8;
      if (dataLen === 0 || dataOff > body || dataLen > body - dataOff) return 'RNDIS_MESSAGE_TOO_SMALL';
      const meta = { checksum: false, lso: false, mss: 0, v4: false, v6: false, thOff: 0, vlan: undefined as { id: number; priority: number } | undefined };
      if (ppiLen !== 0) {
        if (ppiOff > body || ppiLen > body - ppiOff) return 'RNDIS_MESSAGE_TOO_SMALL';
        if (b + ppiOff + ppiLen > rangeEnd) return 'RNDIS_BAD_HEADERS';
        const r = readTxPpis(bytes, b + ppiOff, ppiLen, meta);
        if (r) return r;
        if (meta.checksum || meta.lso) {
          const l2 = 14;
          const off = meta.thOff;
          if (off !== 0 && (off < l2 || (meta.v4 && off < l2 + 20) || (meta.v6 && off < l2 + 40) || off >= dataLen)) return 'INVALID_TCP_HEADER_OFFSET';
          if (meta.lso && off + 12 >= dataLen) return 'INVALID_TCP_HEADER_OFFSET';
        }
      }
      const frame = bytes.slice(b + dataOff, b + dataOff + dataLen);
      frames.push({
        frame,
        ...(meta.vlan ? { vlan: meta.vlan } : {}),
        offload: meta.lso ? { checksum: true, lso: true, mss: meta.mss } : { checksum: meta.checksum, lso: false },
      });
      at += len;
    }
    const q = queueCounters(this.counters, ch.index);
    for (const f of frames) {
      q.tx++;
      this.ev(ch.index, 'tx', 'frame', undefined, `${f.frame.length} bytes`);
      this.config.onTransmit?.({ time: this.now, channel: ch.index, ...f });
    }
    return null;
  }

  // -------------------------------------------------------------------------------------------
  // RNDIS answers and indications (primary channel, reserved control sections)

  private oidEnv(s: Session): NetvspOidEnv {
    return { config: this.config, ndisVersion: s.ndisVersion, ndisMtu: s.ndisConfig?.mtu ?? NETVSP_DEFAULT_NDIS_MTU, linkUp: this.linkUp, linkSpeed: this.linkSpeed };
  }

  private indicate(msg: Uint8Array): void {
    const s = this.session;
    if (!s || s.phase !== 'ready' || s.rndis.state !== 'operational') return;
    s.indications.push(msg);
    this.kickControl();
  }

  /** Answers queued control messages and sends due indications while control sections and ring room last. */
  private kickControl(): void {
    const s = this.session;
    const ch = this.channels[0];
    if (!s || !ch || ch.fatal || !s.recv || s.phase !== 'ready') return;
    const rings = ch.host.rings;
    if (!rings) return;
    while (s.control.length || s.indications.length) {
      if (ch.deferred.length) return;
      if (freeBytes(ch.host, rings.outbound) <= RING_RESERVE) {
        rings.outbound.setPendingSendSize(RING_RESERVE);
        return;
      }
      const recv = s.recv;
      const section = recv.sections.takeControl();
      if (section < 0) return;
      let reply: Uint8Array | null;
      if (s.control.length) {
        const q = s.control.shift()!;
        s.controlBytes -= q.length;
        reply = this.controlReply(ch, s, q.msg, recv.sections.size);
      } else reply = s.indications.shift()!;
      if (!reply) {
        recv.sections.untake(section);
        if (ch.fatal) return;
        continue;
      }
      if (!bufferWrite(recv, section * recv.sections.size, reply)) {
        recv.sections.untake(section);
        return this.fatal(ch, 'RECEIVE_BUFFER_ACCESS');
      }
      const name = rndisMsgTypeName(rd32(reply, 0));
      bump(this.counters.rndisOut, name);
      this.ev(0, 'rndis-out', name, reply.length >= 16 ? rd32(reply, 12) : undefined);
      this.sendRndis(ch, s, section, reply.length, NVSP_CHANNEL_TYPE_CONTROL, true);
    }
  }

  private controlReply(ch: Chan, s: Session, m: RndisMessage, sectionSize: number): Uint8Array | null {
    switch (m.type) {
      case 'INIT':
        if (s.rndis.state !== 'uninitialized') {
          this.fatal(ch, 'INVALID_RNDIS_STATE', `INIT while ${s.rndis.state}`);
          return null;
        }
        s.rndis.state = 'operational';
        // openvmm's INITIALIZE_CMPLT: 8 packets per message, max transfer 0xEFFFFFFF, alignment 2^3.
        return encodeRndis(rndisInitComplete(m.req_id, { max_pkt_per_msg: 8, max_xfer_size: 0xefffffff, pkt_alignment_factor: 3 }));
      case 'QUERY': {
        let r = netvspQueryOid(m.oid, s.rndis, this.oidEnv(s));
        if (24 + r.info.length > sectionSize) r = { status: RNDIS_STATUS.FAILURE, info: EMPTY, reason: 'QUERY_ANSWER_TOO_LARGE' };
        if (r.reason) this.reject(ch, r.reason, oidName(m.oid));
        return encodeRndis(rndisQueryComplete(m.req_id, r.status, r.info));
      }
      case 'SET': {
        const r = netvspSetOid(m.oid, m.info_buf, s.rndis, this.oidEnv(s));
        if (r.reason) this.reject(ch, r.reason, oidName(m.oid));
        this.afterSet(s, r.effect, m.oid, r.status);
        return encodeRndis(rndisSetComplete(m.req_id, r.status));
      }
      case 'RESET':
        return encodeRndis(rndisResetComplete(RNDIS_STATUS.SUCCESS, 0));
      case 'KEEPALIVE':
        return encodeRndis(rndisKeepaliveComplete(m.req_id, RNDIS_STATUS.SUCCESS));
      default:
        return null;
    }
  }

  private afterSet(s: Session, effect: string | undefined, oid: number, status: number): void {
    if (oid === OID.GEN_RECEIVE_SCALE_PARAMETERS && status !== RNDIS_STATUS.SUCCESS) this.ev(0, 'rss', 'refused', status);
    switch (effect) {
      case 'rss': {
        const rss = s.rndis.rss as NetvspRssState;
        this.ev(0, 'rss', 'enabled', undefined, `${rss.guestEntries} entries, hash info 0x${rss.hashInfo.toString(16)}`);
        this.rescindFault('rss-enable');
        break;
      }
      case 'rss-disabled':
        this.ev(0, 'rss', 'disabled');
        break;
      case 'packet-filter':
        this.ev(0, 'rss', 'packet-filter', undefined, `0x${s.rndis.packetFilter.toString(16)}`);
        break;
      case 'offload':
        if (s.rndis.offloadIndicationDue && this.config.indicateOffloadChange) {
          // openvmm indicates the new current offload config (NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG).
          s.indications.push(encodeRndis(rndisIndicateStatus(RNDIS_STATUS.TASK_OFFLOAD_CURRENT_CONFIG, ndis_offload.encode(netvspOffloadObject(s.rndis.offload)))));
        }
        s.rndis.offloadIndicationDue = false;
        break;
      default:
        break;
    }
  }

  private passesFilter(r: NetvspRndisState, dst: Uint8Array): boolean {
    const f = r.packetFilter;
    if (f === 0) return false; // openvmm drops everything while the filter is NDIS_PACKET_TYPE_NONE
    if (f & NDIS_PACKET_TYPE.PROMISCUOUS) return true;
    if ((dst[0]! & 1) === 0) {
      for (let i = 0; i < 6; i++) if (dst[i] !== r.currentMac[i]) return false;
      return (f & NDIS_PACKET_TYPE.DIRECTED) !== 0;
    }
    let broadcast = true;
    for (let i = 0; i < 6; i++) if (dst[i] !== 0xff) broadcast = false;
    if (broadcast) return (f & NDIS_PACKET_TYPE.BROADCAST) !== 0;
    return (f & (NDIS_PACKET_TYPE.MULTICAST | NDIS_PACKET_TYPE.ALL_MULTICAST)) !== 0;
  }

  // -------------------------------------------------------------------------------------------
  // Subchannels

  private onSubchannelRequest(ch: Chan, s: Session, op: number, requested: number, transId: bigint, want: boolean): void {
    const c = this.config;
    const sc = this.counters.subchannel;
    sc.requests++;
    sc.requested += requested;
    const recvCount = s.recv?.sections.count ?? 0;
    let reason: string | null = null;
    if (op !== NVSP_SUBCHANNEL_ALLOCATE) reason = 'UNSUPPORTED_OPERATION';
    else if (requested >= c.maxQueues) reason = 'REQUEST_AT_OR_ABOVE_MAX_QUEUES';
    else if (typeof netvspRxSectionsPerQueue(recvCount, requested + 1) !== 'number') reason = 'RX_BUFFER_CONFIG';
    let granted = 0;
    if (!reason) {
      const g = c.subchannels.grant;
      if (g === 'grant-all') granted = requested;
      else if (g === 'refuse') reason = 'POLICY_REFUSE';
      // the claim goes into the completion as is, even past the 63 subchannels a host can offer:
      // Linux must see num_subchannels above its request to take its -EINVAL path
      else if (g === 'grant-more') granted = requested + c.subchannels.extra;
      else granted = Math.min(requested, g.grantFewer);
    }
    const status = reason ? NVSP_STAT_FAIL : NVSP_STAT_SUCCESS;
    if (reason) this.reject(ch, reason, `${requested} requested`);
    this.ev(0, 'subchannel', 'request', status, `${requested} requested, ${granted} granted`);
    sc.granted += granted;
    const answer = () => {
      if (want) this.complete(ch, transId, { type: 'SUBCHANNEL_COMPLETE', status, num_subchannels: granted });
      this.rescindFault('subchannel-request');
    };
    const sched = this.vmbus.hypervisor.scheduler;
    if (c.subchannels.answerDelay > 0) this.schedule(c.subchannels.answerDelay, answer, 'netvsp: subchannel answer');
    else answer();
    // subchannel indices stop at 63 (VRSS_CHANNEL_MAX 64 with the primary): what can be offered
    const offered = Math.min(granted, NETVSP_MAX_QUEUES - 1);
    if (offered === 0) return;
    s.queues = offered + 1;
    s.tableSent = false;
    if (typeof netvspRxSectionsPerQueue(recvCount, s.queues) === 'number') s.recv!.sections.partition(s.queues);
    const indexes: number[] = [];
    for (let i = 1; i <= offered; i++) if (!s.offered.has(i) && !s.pendingOffers.has(i) && !this.subHost.has(i)) indexes.push(i);
    if (c.subchannels.offerOrder === 'descending') indexes.reverse();
    else if (c.subchannels.offerOrder === 'shuffled') {
      for (let i = indexes.length - 1; i > 0; i--) {
        const j = sched.random.int(i + 1);
        [indexes[i], indexes[j]] = [indexes[j]!, indexes[i]!];
      }
    }
    const start = c.subchannels.answerDelay + c.subchannels.offerDelay;
    indexes.forEach((idx, k) => {
      s.pendingOffers.add(idx);
      const offer = () => {
        s.pendingOffers.delete(idx);
        if (this.session !== s || this.subHost.has(idx)) return;
        s.offered.add(idx);
        this.topologyCount++;
        this.subHost.set(idx, this.vmbus.addChannel({ ifType: HV_NIC_GUID, ifInstance: this.config.instance, subChannelIndex: idx }, this.device(idx)));
        sc.offered++;
        this.ev(idx, 'subchannel', 'offer');
        if (k === indexes.length - 1) this.rescindFault('subchannel-offers');
      };
      const at = start + k * c.subchannels.offerInterval;
      if (at > 0) this.schedule(at, offer, 'netvsp: subchannel offer');
      else offer();
    });
    this.maybeSendTable();
  }

  private rescindFault(on: 'subchannel-request' | 'subchannel-offers' | 'rss-enable'): void {
    const f = this.config.faults.rescind;
    if (!f || f.on !== on) return;
    this.rescindTriggers++;
    if (this.rescindTriggers !== (f.nth ?? 1)) return;
    this.schedule(
      f.delay ?? 0,
      () => {
        this.ev(-1, 'fault', 'rescind', undefined, String(f.target));
        this.rescind(f.target);
      },
      'netvsp: rescind fault',
    );
  }

  /** Sends the send indirection table once every granted subchannel is open (openvmm `guest_send_indirection_table`). */
  private maybeSendTable(): void {
    const s = this.session;
    const ch = this.channels[0];
    if (!s || !ch || ch.fatal || s.queues <= 1 || s.tableSent || s.version < NVSP_PROTOCOL_VERSION_5) return;
    let open = 0;
    for (let i = 0; i < s.queues; i++) if (this.channels[i]) open++;
    if (open !== s.queues) return;
    const table = Array.from({ length: VRSS_SEND_TAB_SIZE }, (_, i) => i % open);
    const hyperv = this.config.peer === 'hyperv';
    // Hyper-V puts the table after a full 40-byte message; hosts up to NVSP 6 wrote 12 in the offset
    // field (the "host bug" Linux works around in netvsc_send_table). openvmm: compact, offset 12.
    const msg: NvspMessage = hyperv
      ? { type: 'SEND_INDIRECTION_TABLE', count: VRSS_SEND_TAB_SIZE, offset: s.version <= NVSP_PROTOCOL_VERSION_6 ? 12 : 40, table, table_offset: 40 }
      : { type: 'SEND_INDIRECTION_TABLE', count: VRSS_SEND_TAB_SIZE, offset: 12, table };
    s.tableSent = true;
    s.sendTable = table;
    bump(this.counters.nvspOut, 'NVSP_MSG5_TYPE_SEND_INDIRECTION_TABLE');
    this.ev(0, 'nvsp-out', 'NVSP_MSG5_TYPE_SEND_INDIRECTION_TABLE', undefined, table.join(','));
    this.write(ch, { kind: 'inband', flags: 0, trans_id: 0n, payload: encodeNvsp(msg, this.nvspOptions()) });
  }
}

/**
 * Writes a packet into an open channel's host→guest ring and interrupts the guest when the ring
 * says so (what `HostChannel.send` does, framing straight into the ring instead of through a
 * whole-packet copy). Null when the channel is not open.
 */
function ringSend(hc: HostChannel, packet: VmbusPacket): RingWriteResult | null {
  const rings = hc.rings;
  if (!rings || hc.state !== 'open') return null;
  let r: RingWriteResult;
  try {
    r = writePacket(rings.outbound, packet);
  } catch (e) {
    // A control page the guest corrupted (indices outside the data area): nothing was written.
    if (!(e instanceof ProtocolError)) throw e;
    corruptRings.add(hc);
    return null;
  }
  if (r.ok) hc.written(packet);
  if (r.ok && r.signal) hc.signalGuest();
  return r;
}

/** Host channels whose host→guest ring control page was found corrupt (see {@link NetvspHost}). */
const corruptRings = new WeakSet<HostChannel>();

/** Free bytes of the host→guest ring, or 0 (and the channel marked corrupt) for a corrupt control page. */
function freeBytes(hc: HostChannel, outbound: RingProducer): number {
  try {
    return outbound.bytesToWrite();
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    corruptRings.add(hc);
    return 0;
  }
}

/**
 * The bytes a GPA range describes (a view into guest memory when the range sits in one page, a
 * copy otherwise), or undefined when a page is not guest memory.
 */
function readGpaRange(vmbus: VmbusHost, r: GpaRange): Uint8Array | undefined {
  const memory = vmbus.hypervisor.memory;
  let at = r.byte_offset;
  if (at + r.byte_count <= 4096) return memory.page(r.pfns[0]!)?.subarray(at, at + r.byte_count);
  const out = new Uint8Array(r.byte_count);
  let done = 0;
  for (const pfn of r.pfns) {
    const page = memory.page(pfn);
    if (!page) return undefined;
    const n = Math.min(4096 - at, r.byte_count - done);
    out.set(page.subarray(at, at + n), done);
    done += n;
    at = 0;
    if (done === r.byte_count) break;
  }
  return out;
}

/**
 * Walks a transmit PPI block (openvmm `handle_rndis_packet_message`): each element needs a 12-byte
 * header, a non-zero size within what is left, a value offset within the element, and 4 bytes of
 * value for the types the host reads (checksum 0, LSO 2, VLAN 6). Returns a reason or null.
 */
function readTxPpis(
  b: Uint8Array,
  at: number,
  len: number,
  meta: { checksum: boolean; lso: boolean; mss: number; v4: boolean; v6: boolean; thOff: number; vlan: { id: number; priority: number } | undefined },
): string | null {
  let p = at;
  let left = len;
  while (left > 0) {
    if (left < 12) return 'RNDIS_MESSAGE_TOO_SMALL';
    const size = rd32(b, p);
    const type = rd32(b, p + 4);
    const off = rd32(b, p + 8);
    if (size === 0 || size > left || off > size) return 'RNDIS_MESSAGE_TOO_SMALL';
    const known = type === 0 || type === 2 || type === 6;
    if (known) {
      if (size - off < 4) return 'RNDIS_MESSAGE_TOO_SMALL';
      const v = rd32(b, p + off);
      if (type === 0) {
        const v4 = (v & 1) !== 0;
        const v6 = (v & 2) !== 0;
        const tcp = (v & 4) !== 0;
        const udp = (v & 8) !== 0;
        meta.checksum = (v4 || v6) && (tcp || udp);
        meta.v4 = v4;
        meta.v6 = v6 && !v4;
        meta.thOff = (v >>> 16) & 0x3ff;
      } else if (type === 2) {
        meta.lso = true;
        meta.checksum = true;
        meta.mss = v & 0xfffff;
        meta.thOff = (v >>> 20) & 0x3ff;
        meta.v4 = v >>> 31 === 0;
        meta.v6 = v >>> 31 === 1;
      } else {
        meta.vlan = { priority: v & 7, id: (v >>> 4) & 0xfff };
      }
    }
    p += size;
    left -= size;
  }
  return null;
}
