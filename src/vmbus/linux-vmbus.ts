/**
 * The guest side of VMBus as Linux 6.1.192's hv_vmbus implements it: version negotiation
 * (`vmbus_connect`), offers and rescinds (`vmbus_onoffer`, `vmbus_process_offer`,
 * `vmbus_onoffer_rescind`), GPADLs (`__vmbus_establish_gpadl`, `vmbus_teardown_gpadl`), open and
 * close (`__vmbus_open`, `vmbus_close`), MODIFYCHANNEL, UNLOAD, the message receive path
 * (`vmbus_on_msg_dpc`) and channel interrupts (`vmbus_chan_sched`, `vmbus_on_event`).
 *
 * It talks to the host only through the {@link Hypervisor}: posted message bytes out, SynIC slot
 * bytes and event-flag bits in. Blocking kernel code (every `wait_for_completion`) is written as a
 * {@link BlockingFlow} that yields the completion it waits for; there are no timeouts, as in 6.1, so an
 * operation the host never answers stays unsettled — a hang a test can see.
 *
 * Sources: drivers/hv/connection.c, channel.c, channel_mgmt.c, vmbus_drv.c, ring_buffer.c;
 * shared/spec/vmbus.md §4–6. Known simplifications are listed in {@link VmbusGuest}.
 *
 * @module
 */
import { ProtocolError } from '../wire/errors.js';
import { GuestChannelRings, type GuestSendResult, type HvCallbackModeName, type VmbusChannelStateName } from './channel.js';
import { encodeLinuxGpadlRun, FIRST_GPADL_HANDLE } from './gpadl.js';
import { deviceClassOf, VMBUS_DEVICE_CLASSES } from './guids.js';
import { VMBUS_SINT_OFFSET, type Hypervisor } from './hypervisor.js';
import { GuestMemory, dirtyOf, type GuestBuffer } from './memory.js';
import {
  CHANNELMSG,
  HV_MESSAGE_FLAG_PENDING,
  HV_MESSAGE_PAYLOAD_BYTE_COUNT,
  HV_STATUS_INSUFFICIENT_BUFFERS,
  HV_STATUS_INSUFFICIENT_MEMORY,
  HV_STATUS_INVALID_CONNECTION_ID,
  HV_STATUS_SUCCESS,
  INVALID_RELID,
  MAX_CHANNEL_RELIDS,
  MAX_USER_DEFINED_BYTES,
  encodeChannelMessage,
  isHvsockOffer,
  linuxReceiveChannelMessage,
  makeChannelMessage,
  offerIsDedicatedInterrupt,
  offerMonitorAllocated,
  vmbus_channel_offer_channel,
  vmbus_channel_open_channel,
  type ChannelMessage,
  type LinuxMessageVerdict,
  type VmbusChannelGpadlCreated,
  type VmbusChannelGpadlTorndown,
  type VmbusChannelModifyChannelResponse,
  type VmbusChannelOfferChannel,
  type VmbusChannelOpenResult,
  type VmbusChannelVersionResponse,
} from './messages.js';
import { HV_HYP_PAGE_SIZE, vmbusPacket, type VmbusPacket } from './packet.js';
import { VMBUS_DEFAULT_MAX_PKT_SIZE } from './ring.js';
import { Completion, spawn, wait, type BlockingFlow, type Scheduler } from './scheduler.js';
import {
  LINUX_VMBUS_VERSIONS,
  VERSION_WIN10_V4_1,
  VERSION_WIN10_V5,
  VERSION_WIN10_V5_2,
  VERSION_WIN10_V5_3,
  VERSION_WIN8_1,
  VMBUS_MESSAGE_CONNECTION_ID,
  VMBUS_MESSAGE_CONNECTION_ID_4,
  VMBUS_MESSAGE_SINT,
  type VmbusConnectStateName,
} from './versions.js';
import { freshBytes } from '../wire/slab.js';
import { Mutex } from './mutex.js';

/** errno names the guest's VMBus operations return, as the kernel returns them (negated there). */
export type VmbusErrno = 'EINVAL' | 'ENODEV' | 'EAGAIN' | 'EDQUOT' | 'ENOMEM' | 'EDOM' | 'ECONNREFUSED' | 'ENOBUFS' | 'EIO';

/** Result of a guest VMBus operation. */
export type VmbusResult<T = undefined> =
  | {
      /** `true`: the kernel function returned 0 (or a value). */
      readonly ok: true;
      /** What the operation produced (e.g. the negotiated version, a GPADL handle); `undefined` for most. */
      readonly value: T;
    }
  | {
      /** `false`: the kernel function returned a negative errno. */
      readonly ok: false;
      /** The errno, without its sign. */
      readonly error: VmbusErrno;
    };

const OK: VmbusResult = { ok: true, value: undefined };
const fail = (error: VmbusErrno): { ok: false; error: VmbusErrno } => ({ ok: false, error });

/** Something Linux would WARN or log about, recorded instead. */
export interface GuestWarning {
  /**
   * What Linux complained about: a dropped message (`UNKNOWN_MSGTYPE` type ≥ 25,
   * `PAYLOAD_TOO_LARGE` over 240 bytes, `MESSAGE_TOO_SHORT` under the type's minimum), a relid
   * ≥ 2048 (`RELID_OUT_OF_RANGE`), an offer reusing the instance GUID of a primary that still has a
   * relid (`REOFFER_OF_LIVE_PRIMARY`), a duplicate primary offer (`SUBCHANNEL_OFFER_WITH_INDEX_0`),
   * an offer an isolated guest refuses (`INVALID_OFFER_ISOLATED`), or a relid beyond the interrupt
   * page (`BIT_OUTSIDE_INT_PAGE`).
   */
  readonly code:
    | 'UNKNOWN_MSGTYPE'
    | 'PAYLOAD_TOO_LARGE'
    | 'MESSAGE_TOO_SHORT'
    | 'RELID_OUT_OF_RANGE'
    | 'REOFFER_OF_LIVE_PRIMARY'
    | 'SUBCHANNEL_OFFER_WITH_INDEX_0'
    | 'INVALID_OFFER_ISOLATED'
    | 'BIT_OUTSIDE_INT_PAGE';
  /** Virtual time of the warning, in ns. */
  readonly time: number;
  /** The relid involved (offers, rescinds, relid mapping, interrupt-page bits). */
  readonly relid?: number;
  /** The message type read from the header (dropped messages). */
  readonly msgtype?: number;
}

/** A driver for one device class (`struct hv_driver`): bound to primary channels by `if_type`. */
export interface GuestDriver {
  /** Driver name (`hv_driver.name`, e.g. `'hv_netvsc'`), for logs and traces. */
  readonly name: string;
  /** Class GUID (text) the driver binds. */
  readonly ifType: string;
  /** Called from the primary-channel work queue; may return a completion to block it (as a probe that opens the channel). */
  probe(channel: GuestChannel, guest: VmbusGuest): Completion<unknown> | void;
  /** Called when the device goes away (rescind of the primary); may block likewise. */
  remove?(channel: GuestChannel, guest: VmbusGuest): Completion<unknown> | void;
}

/** Options of {@link VmbusGuest.open} (`vmbus_open`). */
export interface OpenOptions {
  /** Guest→host ring size in bytes, header page included (a multiple of 4096). */
  readonly sendRingSize: number;
  /** Host→guest ring size in bytes, header page included (a multiple of 4096). */
  readonly recvRingSize: number;
  /** Up to 120 bytes for the host (OPENCHANNEL userdata). */
  readonly userdata?: Uint8Array;
  /** Requestor slots (`rqstor_size`, set by the driver before opening; 0 = none). */
  readonly rqstorSize?: number;
  /** Inbound `max_pkt_size` (default 4096). */
  readonly maxPktSize?: number;
  /** The channel callback (`onchannel_callback`). */
  readonly callback?: (channel: GuestChannel) => void;
  /** Callback mode (default HV_CALL_BATCHED). */
  readonly callbackMode?: HvCallbackModeName;
}

interface PendingMsg {
  readonly msgtype: number;
  readonly childRelid: number;
  readonly id: number;
  readonly waitingChannel: GuestChannel | null;
  readonly done: Completion<ChannelMessage | null>;
}

/** One channel as the guest knows it (`struct vmbus_channel`). */
export class GuestChannel {
  /** The guest VMBus driver that owns the channel. */
  readonly guest: VmbusGuest;
  /** The stored offer message (`offermsg`). */
  offermsg: VmbusChannelOfferChannel;
  /** Its 196 bytes as received (Linux compares these on re-offer). */
  offerBytes: Uint8Array;
  /** Channel state (`channel->state`): OPEN_STATE once offered, OPENED_STATE while open. */
  state: VmbusChannelStateName = 'CHANNEL_OFFER_STATE';
  /** Set by the rescind handler. */
  rescind = false;
  /** A rescind for this channel is being handled (`rescind_ref`); later rescinds of it are ignored. */
  rescindRef = false;
  /** The add-channel work (device creation / subchannel callback) finished. */
  probeDone = false;
  /** The primary channel of a subchannel (`primary_channel`); `null` for a primary. */
  primary: GuestChannel | null = null;
  /** A primary's subchannels (`sc_list`), in offer order; empty for a subchannel. */
  readonly subchannels: GuestChannel[] = [];
  /** Device class name from `if_type` (`hv_get_dev_type`). */
  deviceType = 'UNKNOWN';
  /** A device was created for this primary channel. */
  hasDevice = false;
  /** The driver bound to this primary's device (matched by `if_type`), `null` if none. */
  driver: GuestDriver | null = null;
  /** The offer's `is_dedicated_interrupt` bit: when false, signalling also sets the relid's bit in the interrupt page. */
  isDedicatedInterrupt = false;
  /** Connection id signalled with HVCALL_SIGNAL_EVENT (`sig_event` = offer.connection_id). */
  sigEvent = 0;
  /** `monitor_grp` = offer `monitorid` / 32: the `trigger_group` index in the monitor page (0–3 when valid). */
  monitorGrp = 0;
  /** `monitor_bit` = offer `monitorid` % 32: the bit within the trigger group's `pending` word. */
  monitorBit = 0;
  /** `low_latency`: signal with the hypercall even when the offer allocated a monitor id. */
  lowLatency = false;
  /** Ring allocation (`ringbuffer_page`), both rings. */
  ringBuffer: GuestBuffer | null = null;
  /** Pages of the guest→host ring (`ringbuffer_send_offset`). */
  ringSendPages = 0;
  /** GPADL handle of the rings (0 = none). */
  ringGpadlHandle = 0;
  /** The data plane while open. */
  rings: GuestChannelRings | null = null;
  /** Requestor slots (`rqstor_size`) set by the driver at open; 0 = no requestor. */
  rqstorSize = 0;
  /** Largest inbound packet the reader accepts, in bytes (`max_pkt_size`; 4096 unless the driver sets it). */
  maxPktSize = 0;
  /** VP the host interrupts (`target_cpu`'s VP). */
  targetVp = 0;
  /** `target_cpu`: the CPU `init_vp_index` gave the channel (or a MODIFYCHANNEL moved it to). */
  targetCpu = 0;
  /** How the channel callback runs (`callback_mode`; netvsc uses HV_CALL_ISR). */
  callbackMode: HvCallbackModeName = 'HV_CALL_BATCHED';
  /** The driver's channel callback (`onchannel_callback`), run on interrupts; `null` when closed or rescinded. */
  onChannelCallback: ((channel: GuestChannel) => void) | null = null;
  /** Called for each subchannel offer of this primary (`sc_creation_callback`). */
  scCreationCallback: ((sub: GuestChannel) => Completion<unknown> | void) | null = null;
  /** Driver-managed rescind (`chn_rescind_callback`). */
  chnRescindCallback: ((channel: GuestChannel) => void) | null = null;
  /** Completed when a rescind of this (opened) subchannel has been processed. */
  readonly rescindEvent = new Completion<void>();
  /** Interrupts taken / signals sent. */
  interrupts = 0;
  /** Times the guest signalled the host for this channel (`vmbus_setevent`: hypercall or monitor bit). */
  sigEvents = 0;
  private taskletScheduled = false;

  constructor(guest: VmbusGuest, offer: VmbusChannelOfferChannel, bytes: Uint8Array) {
    this.guest = guest;
    this.offermsg = offer;
    this.offerBytes = bytes;
  }

  /** `offermsg.child_relid`. */
  get relid(): number {
    return this.offermsg.child_relid;
  }

  /** Subchannel index from the offer (0 = primary). */
  get subChannelIndex(): number {
    return this.offermsg.offer.sub_channel_index;
  }

  /** `vmbus_setup_channel_state`: takes the offer's signalling fields and the whole message. */
  setupState(offer: VmbusChannelOfferChannel, bytes: Uint8Array): void {
    this.isDedicatedInterrupt = offerIsDedicatedInterrupt(offer);
    this.sigEvent = offer.connection_id;
    this.offermsg = offer;
    this.offerBytes = bytes;
    this.monitorGrp = Math.floor(offer.monitorid / 32);
    this.monitorBit = offer.monitorid % 32;
    this.deviceType = isHvsockOffer(offer) ? 'UNKNOWN' : deviceClassOf(offer.offer.if_type);
  }

  /**
   * Sends a packet (`vmbus_sendpacket` / hv_ringbuffer_write): ENODEV if rescinded (before or after
   * the write; a request id taken is given back), EAGAIN if the ring or requestor is full. Signals
   * the host when the ring says so.
   */
  sendPacket(packet: VmbusPacket, requestId: bigint): GuestSendResult {
    if (this.rescind || !this.rings) return { ok: false, error: 'ENODEV' };
    let r: GuestSendResult;
    try {
      r = this.rings.send(packet, requestId);
    } catch (e) {
      // Linux would write wherever the corrupt index points; the simulator refuses and reports it.
      if (!(e instanceof ProtocolError) || (e.code !== 'RING_INDEX' && e.code !== 'RING_GEOMETRY')) throw e;
      return { ok: false, error: 'EIO' };
    }
    if (!r.ok) return r;
    const hv = this.guest.hypervisor;
    if (hv.observed) hv.notePacket(this.relid, this.subChannelIndex, 'guest-to-host', vmbusPacket.encode({ ...packet, trans_id: r.transId }));
    if (r.signal) this.guest.setEvent(this);
    if (this.rescind) {
      if (this.rings.requestor.size > 0 && packet.flags === 1) this.rings.requestor.take(r.transId);
      return { ok: false, error: 'ENODEV' };
    }
    return r;
  }

  /**
   * Publishes what the reader consumed (`hv_pkt_iter_close`) and signals the host if a writer
   * waiting on `pending_send_sz` now has room.
   */
  closeRead(): void {
    if (!this.rings) return;
    if (this.rings.inbound.close().signal) this.guest.setEvent(this);
  }

  /** @internal Interrupt dispatch for this channel (`vmbus_chan_sched`'s per-channel part). */
  interrupt(scheduler: Scheduler): void {
    const cb = this.onChannelCallback;
    if (!cb) return;
    this.interrupts++;
    const mode = this.callbackMode;
    if (mode === 'HV_CALL_ISR') {
      cb(this);
      return;
    }
    if (mode === 'HV_CALL_BATCHED') this.rings?.inbound.beginRead();
    this.scheduleTasklet(scheduler);
  }

  private scheduleTasklet(scheduler: Scheduler): void {
    if (this.taskletScheduled) return;
    this.taskletScheduled = true;
    scheduler.schedule(
      0,
      () => {
        this.taskletScheduled = false;
        this.onEvent(scheduler);
      },
      this.taskletLabel(),
    );
  }

  private label = '';
  private labelRelid = -1;

  /** The scheduler label of this channel's tasklet (remade when the relid changes). */
  private taskletLabel(): string {
    const relid = this.relid;
    if (relid !== this.labelRelid) {
      this.label = `guest: tasklet relid ${relid}`;
      this.labelRelid = relid;
    }
    return this.label;
  }

  /** `vmbus_on_event`: the callback, then (batched) unmask and reschedule if more arrived. */
  private onEvent(scheduler: Scheduler): void {
    const cb = this.onChannelCallback;
    if (!cb) return;
    cb(this);
    if (this.callbackMode !== 'HV_CALL_BATCHED' || !this.rings) return;
    if (this.rings.inbound.endRead() === 0) return;
    this.rings.inbound.beginRead();
    this.scheduleTasklet(scheduler);
  }
}

/** An ordered work queue (Linux's single-threaded workqueues): one flow at a time, FIFO. */
class WorkQueue {
  private readonly items: (() => BlockingFlow<unknown>)[] = [];
  private running = false;
  private readonly label: string;
  private readonly run = (): void => this.runNext();
  private readonly again = (): void => void this.scheduler.schedule(0, this.run, this.label);

  constructor(
    private readonly scheduler: Scheduler,
    readonly name: string,
  ) {
    this.label = `guest: ${name}`;
  }

  queue(work: () => BlockingFlow<unknown>): void {
    this.items.push(work);
    if (!this.running) {
      this.running = true;
      this.scheduler.schedule(0, this.run, this.label);
    }
  }

  private runNext(): void {
    const work = this.items.shift();
    if (!work) {
      this.running = false;
      return;
    }
    spawn(work()).then(this.again);
  }
}

/** Options of a {@link VmbusGuest}. */
export interface VmbusGuestOptions {
  /** Version table, newest first (default 6.1.192's: 5.3 … 2.4). */
  readonly versions?: readonly number[];
  /** Module parameter `max_version` (default 5.3). */
  readonly maxVersion?: number;
  /** An SNP/TDX guest: only allowed device classes, and at least protocol 5.2. */
  readonly isolated?: boolean;
  /** VP index of CPU 0 (INITIATE_CONTACT target_vcpu). */
  readonly connectVp?: number;
  /**
   * `num_online_cpus()` (default 1), all on one NUMA node, CPU n on VP n: the channels of perf
   * devices (NIC, SCSI, IDE, FC, ND) are spread over them as `init_vp_index` spreads them.
   */
  readonly cpus?: number;
  /** Send REQUESTOFFERS after connecting (default true, as vmbus_bus_init does). */
  readonly requestOffers?: boolean;
}

/**
 * Linux's VMBus driver in a guest.
 *
 * Simplifications (listed, not hidden): hibernation (resume re-offers, `ignore_any_offer_msg`),
 * hv_sock devices, NUMA (one node holds every CPU; `init_vp_index` spreads perf channels over
 * {@link VmbusGuestOptions.cpus}, CPU n on VP n), `channel_mutex` outside close and rescind (offer
 * processing and MODIFYCHANNEL do not wait for it) and memory-allocation failures other than guest
 * memory exhaustion are not modelled; the hypercall retry loop of `vmbus_post_msg` waits virtual
 * time instead of spinning.
 */
export class VmbusGuest {
  /** The hypervisor the guest posts through and takes SynIC messages and events from. */
  readonly hypervisor: Hypervisor;
  /** The hypervisor's virtual clock, on which the guest's work queues and tasklets run. */
  readonly scheduler: Scheduler;
  /** Guest-physical memory: rings, GPADL buffers, the interrupt page and the monitor pages. */
  readonly memory: GuestMemory;
  /** Versions tried in INITIATE_CONTACT, newest first ({@link VmbusGuestOptions.versions}). */
  readonly versions: readonly number[];
  /** `max_version`: versions above it are skipped (default: the newest in `versions`). */
  readonly maxVersion: number;
  /** An isolated (SNP/TDX) guest: refuses offers of disallowed classes and versions below 5.2. */
  readonly isolated: boolean;
  /** VP index sent as INITIATE_CONTACT `target_vcpu`, and the `target_vp` of channels bound to VMBUS_CONNECT_CPU (CPU 0). */
  readonly connectVp: number;
  /** `num_online_cpus()` ({@link VmbusGuestOptions.cpus}). */
  readonly cpus: number;
  /** `hv_context.hv_numa_map[0]`: CPUs a perf channel was given, so the next one goes elsewhere. */
  private readonly allocatedCpus = new Set<number>();
  /** `vmbus_connection.conn_state`. */
  connState: VmbusConnectStateName = 'DISCONNECTED';
  /** Negotiated version (`vmbus_proto_version`), 0 before. */
  version = 0;
  /** Connection id messages are posted on (`msg_conn_id`). */
  msgConnId = VMBUS_MESSAGE_CONNECTION_ID;
  /** Next GPADL handle (`next_gpadl_handle`). */
  nextGpadlHandle = FIRST_GPADL_HANDLE;
  /** The interrupt page (receive half, send half) and the two monitor pages. */
  intPage: GuestBuffer | null = null;
  /**
   * The two zeroed monitor pages sent in INITIATE_CONTACT: [0] parent→child (`monitor_page1`),
   * [1] child→parent (`monitor_page2`, where the guest sets pending bits); `null` before connecting.
   */
  monitorPages: [GuestBuffer, GuestBuffer] | null = null;
  /** relid → channel (`vmbus_connection.channels`). */
  readonly relidMap: (GuestChannel | null)[] = new Array(MAX_CHANNEL_RELIDS).fill(null);
  /** Primary channels in offer order (`chn_list`). */
  readonly chnList: GuestChannel[] = [];
  /** Everything Linux would have WARNed or logged about so far, in order. */
  readonly warnings: GuestWarning[] = [];
  /** Every SynIC message seen and what Linux did with it. */
  readonly verdicts: LinuxMessageVerdict[] = [];
  /** ALLOFFERS_DELIVERED messages seen. */
  allOffersDelivered = 0;
  /** Counter of offers being processed (`offer_in_progress`). */
  offerInProgress = 0;
  private readonly msgList: PendingMsg[] = [];
  private readonly drivers: GuestDriver[] = [];
  private unloadEvent: Completion<void> = new Completion();
  private readonly connWq: WorkQueue;
  private readonly rescindWq: WorkQueue;
  /**
   * `vmbus_connection.channel_mutex`: the driver's close holds it across each channel's
   * CLOSECHANNEL and GPADL teardown; the rescind handler takes it before it looks the channel up
   * and again before it releases a subchannel's relid.
   */
  private readonly channelMutex: Mutex;
  private readonly priWq: WorkQueue;
  private readonly subWq: WorkQueue;
  private readonly options: VmbusGuestOptions;
  /** Linux's private copy of the SynIC slot, reused (the receive path does not re-enter). */
  private readonly slotCopy = new Uint8Array(256);
  private inSynicMessage = false;
  /** SINT 2's 256 bytes of the event-flags page as 32-bit words. */
  private flagWords: Int32Array | undefined;

  constructor(hypervisor: Hypervisor, options: VmbusGuestOptions = {}) {
    this.hypervisor = hypervisor;
    this.scheduler = hypervisor.scheduler;
    this.memory = hypervisor.memory;
    this.options = options;
    this.versions = options.versions ?? LINUX_VMBUS_VERSIONS;
    this.maxVersion = options.maxVersion ?? this.versions[0] ?? 0;
    this.isolated = options.isolated ?? false;
    this.connectVp = options.connectVp ?? 0;
    this.cpus = options.cpus ?? 1;
    if (!Number.isInteger(this.cpus) || this.cpus < 1) throw new RangeError(`VmbusGuestOptions.cpus: ${this.cpus} is not a CPU count (1 or more)`);
    this.connWq = new WorkQueue(this.scheduler, 'hv_vmbus_con');
    this.rescindWq = new WorkQueue(this.scheduler, 'hv_vmbus_rescind');
    this.channelMutex = new Mutex(this.scheduler, 'channel_mutex');
    this.priWq = new WorkQueue(this.scheduler, 'hv_pri_chan');
    this.subWq = new WorkQueue(this.scheduler, 'hv_sub_chan');
    hypervisor.attachGuest({ onSynicMessage: () => this.onSynicMessage(), onSynicEvent: () => this.onSynicEvent() });
  }

  /** Registers a driver; it is probed for primary channels of its class offered from now on. */
  registerDriver(driver: GuestDriver): void {
    this.drivers.push(driver);
  }

  /** The channel mapped at `relid` (`relid2channel`). */
  channel(relid: number): GuestChannel | null {
    return relid >= 0 && relid < MAX_CHANNEL_RELIDS ? this.relidMap[relid]! : null;
  }

  /** Requests still waiting for the host (entries of `chn_msg_list`). */
  get pendingRequests(): number {
    return this.msgList.length;
  }

  private warn(code: GuestWarning['code'], extra: { relid?: number; msgtype?: number } = {}): void {
    this.warnings.push({ code, time: this.scheduler.now, ...extra });
  }

  private sleep(ns: number): Completion<void> {
    const c = new Completion<void>();
    this.scheduler.schedule(ns, () => c.settle(), 'guest: sleep');
    return c;
  }

  // -------------------------------------------------------------------------------------------
  // Posting messages

  /** `vmbus_post_msg`: HVCALL_POST_MESSAGE on `msg_conn_id`, retrying transient failures up to 100 times. */
  private *postMsg(bytes: Uint8Array): BlockingFlow<VmbusErrno | 0> {
    const conn = this.msgConnId & 0xffffff;
    const status = this.postOnce(conn, bytes);
    return status === HV_STATUS_SUCCESS ? 0 : yield* this.postRetry(conn, bytes, status);
  }

  /**
   * The first hypercall of {@link postMsg} on connection `conn`: its status. The hv_input_post_message
   * page (connectionid, message_type 1, payload_size, payload) is handed to the hypervisor as its
   * fields: `bytes` are the caller's own (fresh from an encoder) and are not changed once posted.
   */
  private postOnce(conn: number, bytes: Uint8Array): number {
    if (bytes.length > HV_MESSAGE_PAYLOAD_BYTE_COUNT) new Uint8Array(HV_MESSAGE_PAYLOAD_BYTE_COUNT).set(bytes); // throws RangeError
    return this.hypervisor.postPayload(conn, bytes);
  }

  /** The rest of {@link postMsg} after a first hypercall that returned `status` (not success). */
  private *postRetry(conn: number, bytes: Uint8Array, status: number): BlockingFlow<VmbusErrno | 0> {
    const msgtype = bytes[0]! | (bytes[1]! << 8);
    let ret: VmbusErrno | 0 = 0;
    let usec = 1;
    for (let retries = 0; retries < 100; ) {
      if (retries > 0) status = this.hypervisor.postPayload(conn, bytes);
      if (status === HV_STATUS_SUCCESS) return 0;
      if (status === HV_STATUS_INVALID_CONNECTION_ID) {
        if (msgtype === CHANNELMSG.CHANNELMSG_INITIATE_CONTACT) return 'EINVAL';
        ret = 'EAGAIN';
      } else if (status === HV_STATUS_INSUFFICIENT_MEMORY || status === HV_STATUS_INSUFFICIENT_BUFFERS) {
        ret = 'ENOBUFS';
      } else {
        return 'EINVAL';
      }
      retries++;
      yield this.sleep(usec * 1000);
      if (retries < 22) usec *= 2;
    }
    return ret;
  }

  private post(m: ChannelMessage): BlockingFlow<VmbusErrno | 0> {
    return this.postMsg(encodeChannelMessage(m));
  }

  private addPending(msgtype: number, childRelid: number, id: number, waitingChannel: GuestChannel | null): PendingMsg {
    const p: PendingMsg = { msgtype, childRelid, id, waitingChannel, done: new Completion() };
    this.msgList.push(p);
    return p;
  }

  private removePending(p: PendingMsg): void {
    const i = this.msgList.indexOf(p);
    if (i >= 0) this.msgList.splice(i, 1);
  }

  // -------------------------------------------------------------------------------------------
  // Connecting

  /**
   * `vmbus_connect` then `vmbus_request_offers`: tries each version newest first until the host
   * accepts one. Resolves with the negotiated version, or EDOM when none is accepted, EINVAL when an
   * isolated guest gets less than 5.2, ENOMEM when the guest pages cannot be allocated.
   */
  connect(): Completion<VmbusResult<number>> {
    return spawn(this.connectFlow());
  }

  private *connectFlow(): BlockingFlow<VmbusResult<number>> {
    this.connState = 'CONNECTING';
    // pages left from an earlier connection (unload() alone keeps them, as vmbus_initiate_unload does)
    for (const b of [this.intPage, ...(this.monitorPages ?? [])]) if (b) this.memory.free(b);
    const intPage = this.memory.alloc(1);
    const mon0 = this.memory.alloc(1);
    const mon1 = this.memory.alloc(1);
    if (!intPage.ok || !mon0.ok || !mon1.ok) {
      for (const a of [intPage, mon0, mon1]) if (a.ok) this.memory.free(a.buffer);
      this.intPage = null;
      this.monitorPages = null;
      yield* this.disconnectFlow();
      return fail('ENOMEM');
    }
    this.intPage = intPage.buffer;
    this.monitorPages = [mon0.buffer, mon1.buffer];
    let version = 0;
    for (let i = 0; ; i++) {
      if (i === this.versions.length) {
        yield* this.disconnectFlow();
        return fail('EDOM');
      }
      version = this.versions[i]!;
      if (version > this.maxVersion) continue;
      yield* this.negotiateVersion(version);
      if ((this.connState as VmbusConnectStateName) === 'CONNECTED') break;
    }
    if (this.isolated && version < VERSION_WIN10_V5_2) {
      yield* this.disconnectFlow();
      return fail('EINVAL');
    }
    this.version = version;
    if (this.options.requestOffers !== false) {
      const r = yield* this.post(makeChannelMessage('CHANNELMSG_REQUESTOFFERS'));
      if (r) return fail(r);
    }
    return { ok: true, value: version };
  }

  private gpa(b: GuestBuffer): bigint {
    return BigInt(b.pfn) * BigInt(HV_HYP_PAGE_SIZE);
  }

  private *negotiateVersion(version: number): BlockingFlow<VmbusErrno | 0> {
    const v5 = version >= VERSION_WIN10_V5;
    const msg = makeChannelMessage('CHANNELMSG_INITIATE_CONTACT', {
      vmbus_version_requested: version,
      target_vcpu: this.connectVp,
      // msg_sint = 2 in byte 16 for 5.0+, else the interrupt page's address
      interrupt_page: v5 ? BigInt(VMBUS_MESSAGE_SINT) : this.gpa(this.intPage!),
      monitor_page1: this.gpa(this.monitorPages![0]),
      monitor_page2: this.gpa(this.monitorPages![1]),
    });
    this.msgConnId = v5 ? VMBUS_MESSAGE_CONNECTION_ID_4 : VMBUS_MESSAGE_CONNECTION_ID;
    const pending = this.addPending(CHANNELMSG.CHANNELMSG_INITIATE_CONTACT, 0, 0, null);
    const ret = yield* this.post(msg);
    if (ret) {
      this.removePending(pending);
      return ret;
    }
    const resp = (yield* wait(pending.done)) as { msg: VmbusChannelVersionResponse } | null;
    this.removePending(pending);
    if (resp && resp.msg.version_supported) {
      this.connState = 'CONNECTED';
      if (v5) this.msgConnId = resp.msg.msg_conn_id;
      return 0;
    }
    return 'ECONNREFUSED';
  }

  /** `vmbus_disconnect`: unload (when a version ≥ 3.0 was negotiated) and free the connection pages. */
  private *disconnectFlow(): BlockingFlow<void> {
    yield* this.unloadFlow();
    for (const b of [this.intPage, ...(this.monitorPages ?? [])]) if (b) this.memory.free(b);
    this.intPage = null;
    this.monitorPages = null;
  }

  /**
   * `vmbus_initiate_unload(false)`: marks the connection DISCONNECTED; from 3.0 on posts UNLOAD and
   * waits for UNLOAD_RESPONSE (no timeout).
   */
  unload(): Completion<void> {
    return spawn(this.unloadFlow());
  }

  private *unloadFlow(): BlockingFlow<void> {
    const prev = this.connState;
    this.connState = 'DISCONNECTED';
    if (prev === 'DISCONNECTED') return;
    if (this.version < VERSION_WIN8_1) return;
    this.unloadEvent = new Completion();
    const done = this.unloadEvent;
    yield* this.post(makeChannelMessage('CHANNELMSG_UNLOAD'));
    yield* wait(done);
  }

  // -------------------------------------------------------------------------------------------
  // Receive path

  private onSynicMessage(): void {
    const slot = this.hypervisor.simp.subarray(VMBUS_SINT_OFFSET, VMBUS_SINT_OFFSET + 256);
    const reentered = this.inSynicMessage;
    this.inSynicMessage = true;
    try {
      this.receiveSlot(slot, reentered ? slot.slice() : copyInto(this.slotCopy, slot));
    } finally {
      this.inSynicMessage = reentered;
    }
  }

  /** `vmbus_on_msg_dpc` on `copy`, the private copy of `slot`. */
  private receiveSlot(slot: Uint8Array, copy: Uint8Array): void {
    const verdict = linuxReceiveChannelMessage(copy);
    this.verdicts.push(verdict);
    if (verdict.action === 'none') return;
    if (verdict.action === 'drop') {
      if (verdict.warn) {
        const code = verdict.reason === 'TOO_SHORT' ? 'MESSAGE_TOO_SHORT' : verdict.reason === 'UNKNOWN_MSGTYPE' ? 'UNKNOWN_MSGTYPE' : 'PAYLOAD_TOO_LARGE';
        this.warn(code, { msgtype: verdict.msgtype });
      }
    } else if (verdict.action === 'handle') {
      const m = verdict.message;
      if (verdict.blocking) {
        if (m.type === 'CHANNELMSG_OFFERCHANNEL') {
          const bytes = copy.slice(16, 16 + Math.min(verdict.payloadSize, vmbus_channel_offer_channel.size));
          this.offerInProgress++;
          this.connWq.queue(() => this.onMessageWork(() => this.onOffer(m.msg, bytes)));
        } else if (m.type === 'CHANNELMSG_RESCIND_CHANNELOFFER') {
          this.rescindWq.queue(() => this.onMessageWork(() => this.onRescind(m.msg.child_relid)));
        }
      } else {
        this.onInlineMessage(m);
      }
    }
    // vmbus_signal_eom: free the slot, then EOM if the hypervisor has more
    slot.fill(0, 0, 4);
    if ((copy[5]! & HV_MESSAGE_FLAG_PENDING) !== 0) this.hypervisor.endOfMessage();
  }

  /** `vmbus_onmessage_work`: messages queued while the connection went down are dropped. */
  private *onMessageWork(handler: () => BlockingFlow<void>): BlockingFlow<void> {
    if (this.connState === 'DISCONNECTED') return;
    yield* handler();
  }

  private settleFirst(pred: (p: PendingMsg) => boolean, m: ChannelMessage): void {
    const p = this.msgList.find(pred);
    if (p) p.done.settle(m);
  }

  private onInlineMessage(m: ChannelMessage): void {
    switch (m.type) {
      case 'CHANNELMSG_ALLOFFERS_DELIVERED':
        this.allOffersDelivered++;
        return;
      case 'CHANNELMSG_OPENCHANNEL_RESULT': {
        const r: VmbusChannelOpenResult = m.msg;
        return this.settleFirst((p) => p.msgtype === CHANNELMSG.CHANNELMSG_OPENCHANNEL && p.childRelid === r.child_relid && p.id === r.openid, m);
      }
      case 'CHANNELMSG_GPADL_CREATED': {
        const r: VmbusChannelGpadlCreated = m.msg;
        return this.settleFirst((p) => p.msgtype === CHANNELMSG.CHANNELMSG_GPADL_HEADER && p.childRelid === r.child_relid && p.id === r.gpadl, m);
      }
      case 'CHANNELMSG_GPADL_TORNDOWN': {
        const r: VmbusChannelGpadlTorndown = m.msg;
        return this.settleFirst((p) => p.msgtype === CHANNELMSG.CHANNELMSG_GPADL_TEARDOWN && p.id === r.gpadl, m);
      }
      case 'CHANNELMSG_VERSION_RESPONSE':
        // every pending INITIATE_CONTACT gets it: Linux matches nothing
        for (const p of [...this.msgList]) if (p.msgtype === CHANNELMSG.CHANNELMSG_INITIATE_CONTACT) p.done.settle(m);
        return;
      case 'CHANNELMSG_UNLOAD_RESPONSE':
        this.unloadEvent.settle();
        return;
      case 'CHANNELMSG_MODIFYCHANNEL_RESPONSE': {
        const r: VmbusChannelModifyChannelResponse = m.msg;
        return this.settleFirst((p) => p.msgtype === CHANNELMSG.CHANNELMSG_MODIFYCHANNEL && p.childRelid === r.child_relid, m);
      }
      default:
        return;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Offers

  private isValidOffer(offer: VmbusChannelOfferChannel): boolean {
    if (!this.isolated) return true;
    if (isHvsockOffer(offer)) return true;
    const cls = VMBUS_DEVICE_CLASSES.find((c) => c.guid === offer.offer.if_type);
    return cls?.allowedInIsolated ?? false;
  }

  private mapRelid(ch: GuestChannel): void {
    if (ch.relid >= MAX_CHANNEL_RELIDS) {
      this.warn('RELID_OUT_OF_RANGE', { relid: ch.relid });
      return;
    }
    this.relidMap[ch.relid] = ch;
  }

  private unmapRelid(ch: GuestChannel): void {
    if (ch.relid >= MAX_CHANNEL_RELIDS) {
      this.warn('RELID_OUT_OF_RANGE', { relid: ch.relid });
      return;
    }
    this.relidMap[ch.relid] = null;
  }

  /** `vmbus_onoffer` + `vmbus_process_offer`. */
  private *onOffer(offer: VmbusChannelOfferChannel, bytes: Uint8Array): BlockingFlow<void> {
    if (!this.isValidOffer(offer)) {
      this.warn('INVALID_OFFER_ISOLATED', { relid: offer.child_relid });
      this.offerInProgress--;
      return;
    }
    // find_primary_channel_by_offer: a primary offer whose instance GUID we already have
    if (offer.offer.sub_channel_index === 0) {
      const old = this.chnList.find((c) => c.offermsg.offer.if_instance === offer.offer.if_instance);
      if (old) {
        this.offerInProgress--;
        if (old.relid !== INVALID_RELID) this.warn('REOFFER_OF_LIVE_PRIMARY', { relid: offer.child_relid });
        const fixed = { ...old.offermsg, child_relid: offer.child_relid };
        const fixedBytes = vmbus_channel_offer_channel.encode(fixed);
        // the stored bytes with the relid fixed up, compared with the new offer
        const stored = old.offerBytes.slice();
        stored.set(fixedBytes.subarray(184, 188), 184);
        old.offermsg = fixed;
        old.offerBytes = stored;
        if (!bytesEqual(stored, bytes)) old.setupState(offer, bytes);
        this.mapRelid(old);
        return;
      }
    }
    const ch = new GuestChannel(this, offer, bytes);
    ch.setupState(offer, bytes);
    const primary = this.chnList.find((c) => c.offermsg.offer.if_type === offer.offer.if_type && c.offermsg.offer.if_instance === offer.offer.if_instance);
    // vmbus_process_offer places the channel before it checks a subchannel's index
    ch.targetCpu = this.initVpIndex(ch, primary ?? null);
    ch.targetVp = this.vpOf(ch.targetCpu);
    this.offerInProgress--;
    if (!primary) {
      this.chnList.push(ch);
    } else {
      if (offer.offer.sub_channel_index === 0) {
        this.warn('SUBCHANNEL_OFFER_WITH_INDEX_0', { relid: offer.child_relid });
        return;
      }
      ch.primary = primary;
      primary.subchannels.push(ch);
    }
    this.mapRelid(ch);
    (primary ? this.subWq : this.priWq).queue(() => this.addChannelWork(ch));
  }

  /** `vmbus_add_channel_work`: state OPEN_STATE, then the subchannel callback or device creation and driver probe. */
  private *addChannelWork(ch: GuestChannel): BlockingFlow<void> {
    ch.state = 'CHANNEL_OPEN_STATE';
    if (ch.primary) {
      const cb = ch.primary.scCreationCallback;
      if (cb) {
        const r = cb(ch);
        if (r instanceof Completion) yield r;
      }
      ch.probeDone = true;
      return;
    }
    ch.hasDevice = true;
    const driver = this.drivers.find((d) => d.ifType.toLowerCase() === ch.offermsg.offer.if_type);
    if (driver) {
      ch.driver = driver;
      const r = driver.probe(ch, this);
      if (r instanceof Completion) yield r;
    }
    ch.probeDone = true;
  }

  /** `hv_process_channel_removal`: unmap, unlink, RELID_RELEASED. */
  private *processChannelRemoval(ch: GuestChannel): BlockingFlow<void> {
    if (ch.relid !== INVALID_RELID) this.unmapRelid(ch);
    if (ch.primary === null) {
      const i = this.chnList.indexOf(ch);
      if (i >= 0) this.chnList.splice(i, 1);
    } else {
      const i = ch.primary.subchannels.indexOf(ch);
      if (i >= 0) ch.primary.subchannels.splice(i, 1);
    }
    // init_vp_index may hand the CPU out again, unless another perf channel still targets it
    if (this.isPerfChannel(ch)) this.clearAllocatedCpu(ch.targetCpu);
    if (ch.relid !== INVALID_RELID) yield* this.post(makeChannelMessage('CHANNELMSG_RELID_RELEASED', { child_relid: ch.relid }));
  }

  /** `hv_is_perf_channel`: the device class spreads its channels over the CPUs. */
  private isPerfChannel(ch: GuestChannel): boolean {
    return VMBUS_DEVICE_CLASSES.find((c) => c.name === ch.deviceType)?.perfDevice ?? false;
  }

  /** `hv_cpu_number_to_vp_number` (CPU n on VP n; VMBUS_CONNECT_CPU on {@link connectVp}). */
  private vpOf(cpu: number): number {
    return cpu === 0 ? this.connectVp : cpu;
  }

  /**
   * `init_vp_index` (drivers/hv/channel_mgmt.c): a non-perf channel goes to VMBUS_CONNECT_CPU (0).
   * A perf channel takes the first CPU not yet allocated (all of them free again once every one
   * is), retrying up to ncpu + 1 times while a subchannel's CPU is already used by its primary or
   * a sibling; each CPU tried stays allocated.
   */
  private initVpIndex(ch: GuestChannel, primary: GuestChannel | null): number {
    if (!this.isPerfChannel(ch)) return 0;
    const ncpu = this.cpus;
    let target = 0;
    for (let i = 1; i <= ncpu + 1; i++) {
      target = -1;
      for (let c = 0; c < ncpu && target < 0; c++) if (!this.allocatedCpus.has(c)) target = c;
      if (target < 0) {
        // every CPU of the node has had a channel: the map starts over
        this.allocatedCpus.clear();
        target = 0;
      }
      this.allocatedCpus.add(target);
      if (ch.offermsg.offer.sub_channel_index >= ncpu || i > ncpu || !this.cpuSelfUsed(target, ch, primary)) break;
    }
    return target;
  }

  /** `hv_cpuself_used`: the primary or another of its subchannels already targets `cpu`. */
  private cpuSelfUsed(cpu: number, ch: GuestChannel, primary: GuestChannel | null): boolean {
    if (!primary) return false;
    if (primary.targetCpu === cpu) return true;
    return primary.subchannels.some((sc) => sc !== ch && sc.targetCpu === cpu);
  }

  /** `hv_clear_allocated_cpu`: frees `cpu` unless a perf channel (primary or subchannel) still targets it. */
  private clearAllocatedCpu(cpu: number): void {
    for (const p of this.chnList) {
      if (!this.isPerfChannel(p)) continue;
      if (p.targetCpu === cpu || p.subchannels.some((sc) => sc.targetCpu === cpu)) return;
    }
    this.allocatedCpus.delete(cpu);
  }

  /** `vmbus_onoffer_rescind`. */
  private *onRescind(relid: number): BlockingFlow<void> {
    while (this.offerInProgress !== 0) yield this.sleep(1_000_000);
    // the lookup waits for channel_mutex: a close in progress (its GPADL teardown included) goes first
    yield* this.channelMutex.lock();
    if (relid >= MAX_CHANNEL_RELIDS) this.warn('RELID_OUT_OF_RANGE', { relid });
    const ch = this.channel(relid);
    const already = ch?.rescindRef ?? false;
    if (ch) ch.rescindRef = true;
    this.channelMutex.unlock();
    if (!ch || already) return;
    // vmbus_reset_channel_cb
    ch.onChannelCallback = null;
    ch.scCreationCallback = null;
    // vmbus_rescind_cleanup: wake the first request waiting on this channel
    ch.rescind = true;
    const waiter = this.msgList.find((p) => p.waitingChannel === ch);
    waiter?.done.settle(null);
    while (!ch.probeDone) yield this.sleep(1_000_000);
    if (ch.hasDevice) {
      if (ch.chnRescindCallback) {
        ch.chnRescindCallback(ch);
        return;
      }
      // device_unregister: the driver's remove, then the device's release
      if (ch.driver?.remove) {
        const r = ch.driver.remove(ch, this);
        if (r instanceof Completion) yield r;
      }
      // vmbus_device_release
      yield* this.channelMutex.lock();
      yield* this.processChannelRemoval(ch);
      this.channelMutex.unlock();
    } else if (ch.primary !== null) {
      yield* this.channelMutex.lock();
      if (ch.state === 'CHANNEL_OPEN_STATE') yield* this.processChannelRemoval(ch);
      else ch.rescindEvent.settle();
      this.channelMutex.unlock();
    }
  }

  // -------------------------------------------------------------------------------------------
  // GPADLs

  /** `vmbus_establish_gpadl` for a buffer (HV_GPADL_BUFFER): resolves with the handle. */
  establishGpadl(ch: GuestChannel, buffer: GuestBuffer, size = buffer.pageCount * HV_HYP_PAGE_SIZE): Completion<VmbusResult<number>> {
    return spawn(this.establishGpadlFlow(ch, buffer, size));
  }

  private *establishGpadlFlow(ch: GuestChannel, buffer: GuestBuffer, size: number): BlockingFlow<VmbusResult<number>> {
    const handle = this.nextGpadlHandle;
    this.nextGpadlHandle = (this.nextGpadlHandle + 1) >>> 0;
    const messages = encodeLinuxGpadlRun(ch.relid, handle, size, buffer.pfn, buffer.pageCount);
    const pending = this.addPending(CHANNELMSG.CHANNELMSG_GPADL_HEADER, ch.relid, handle, ch);
    const result = yield* this.postGpadlAndWait(ch, handle, messages, pending);
    this.removePending(pending);
    return result;
  }

  private *postGpadlAndWait(ch: GuestChannel, handle: number, messages: Uint8Array[], pending: PendingMsg): BlockingFlow<VmbusResult<number>> {
    if (ch.rescind) return fail('ENODEV');
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      // postMsg without a generator per message while the posts succeed
      const conn = this.msgConnId & 0xffffff;
      const status = this.postOnce(conn, m);
      if (status === HV_STATUS_SUCCESS) continue;
      const ret = yield* this.postRetry(conn, m, status);
      if (ret) return fail(ret);
    }
    const resp = (yield* wait(pending.done)) as { msg: VmbusChannelGpadlCreated } | null;
    if ((resp?.msg.creation_status ?? 0) !== 0) return fail('EDQUOT');
    if (ch.rescind) return fail('ENODEV');
    return { ok: true, value: handle };
  }

  /** `vmbus_teardown_gpadl`: GPADL_TEARDOWN and wait for GPADL_TORNDOWN (not posted once rescinded; then success). */
  teardownGpadl(ch: GuestChannel, handle: number): Completion<VmbusResult> {
    return spawn(this.teardownGpadlFlow(ch, handle));
  }

  private *teardownGpadlFlow(ch: GuestChannel, handle: number): BlockingFlow<VmbusResult> {
    const pending = this.addPending(CHANNELMSG.CHANNELMSG_GPADL_TEARDOWN, ch.relid, handle, ch);
    let ret: VmbusErrno | 0 = 0;
    if (!ch.rescind) {
      const words = u32Message(CHANNELMSG.CHANNELMSG_GPADL_TEARDOWN, ch.relid, handle);
      ret = words ? yield* this.postMsg(words) : yield* this.post(makeChannelMessage('CHANNELMSG_GPADL_TEARDOWN', { child_relid: ch.relid, gpadl: handle }));
      if (!ret) yield pending.done;
    }
    if (ch.rescind) ret = 0;
    this.removePending(pending);
    return ret ? fail(ret) : OK;
  }

  // -------------------------------------------------------------------------------------------
  // Open / close

  /** `vmbus_open`: allocates both rings, creates the ring GPADL, initialises the rings, posts OPENCHANNEL and waits. */
  open(ch: GuestChannel, options: OpenOptions): Completion<VmbusResult> {
    return spawn(this.openFlow(ch, options));
  }

  private *openFlow(ch: GuestChannel, o: OpenOptions): BlockingFlow<VmbusResult> {
    // vmbus_alloc_ring
    if (!Number.isInteger(o.sendRingSize) || !Number.isInteger(o.recvRingSize) || o.sendRingSize % HV_HYP_PAGE_SIZE || o.recvRingSize % HV_HYP_PAGE_SIZE) {
      return fail('EINVAL');
    }
    const alloc = this.memory.alloc((o.sendRingSize + o.recvRingSize) / HV_HYP_PAGE_SIZE);
    if (!alloc.ok) return fail(alloc.error === 'EINVAL' ? 'EINVAL' : 'ENOMEM');
    const prevRing = ch.ringBuffer;
    ch.ringBuffer = alloc.buffer;
    ch.ringSendPages = o.sendRingSize / HV_HYP_PAGE_SIZE;
    const r = yield* this.openInner(ch, o);
    if (!r.ok) {
      // vmbus_free_ring
      this.memory.free(alloc.buffer);
      ch.ringBuffer = prevRing;
      ch.rings = null;
    }
    return r;
  }

  /** `__vmbus_open`. */
  private *openInner(ch: GuestChannel, o: OpenOptions): BlockingFlow<VmbusResult> {
    if ((o.userdata?.length ?? 0) > MAX_USER_DEFINED_BYTES) return fail('EINVAL');
    const sendPages = ch.ringSendPages;
    const ring = ch.ringBuffer!;
    const recvPages = ring.pageCount - sendPages;
    if (ch.state !== 'CHANNEL_OPEN_STATE') return fail('EINVAL');
    if (o.rqstorSize !== undefined) ch.rqstorSize = o.rqstorSize;
    ch.state = 'CHANNEL_OPENING_STATE';
    ch.onChannelCallback = o.callback ?? null;
    if (o.callbackMode) ch.callbackMode = o.callbackMode;
    if (o.maxPktSize !== undefined) ch.maxPktSize = o.maxPktSize;
    if (!ch.maxPktSize) ch.maxPktSize = VMBUS_DEFAULT_MAX_PKT_SIZE;
    ch.ringGpadlHandle = 0;
    const g = yield* this.establishGpadlFlow(ch, ring, ring.pageCount * HV_HYP_PAGE_SIZE);
    const cleanRing = (err: VmbusErrno): VmbusResult => {
      ch.rings = null;
      ch.state = 'CHANNEL_OPEN_STATE';
      return fail(err);
    };
    if (!g.ok) return cleanRing(g.error);
    ch.ringGpadlHandle = g.value;
    const dirty = dirtyOf(ring);
    ch.rings = dirty
      ? new GuestChannelRings(dirty.raw, { sendPages, recvPages }, { rqstorSize: ch.rqstorSize, maxPktSize: ch.maxPktSize, track: { dirty, offset: 0 } })
      : new GuestChannelRings(ring.bytes, { sendPages, recvPages }, { rqstorSize: ch.rqstorSize, maxPktSize: ch.maxPktSize });
    const openBytes = openChannelBytes(ch.relid, ch.ringGpadlHandle, ch.targetVp, sendPages, o.userdata);
    const pending = this.addPending(CHANNELMSG.CHANNELMSG_OPENCHANNEL, ch.relid, ch.relid, ch);
    let err: VmbusErrno | 0 = 0;
    if (ch.rescind) err = 'ENODEV';
    else if (openBytes) err = yield* this.postMsg(openBytes);
    else {
      const userdata = new Uint8Array(MAX_USER_DEFINED_BYTES);
      if (o.userdata) userdata.set(o.userdata);
      err = yield* this.post(
        makeChannelMessage('CHANNELMSG_OPENCHANNEL', {
          child_relid: ch.relid,
          openid: ch.relid,
          ringbuffer_gpadlhandle: ch.ringGpadlHandle,
          target_vp: ch.targetVp,
          downstream_ringbuffer_pageoffset: sendPages,
          userdata,
        }),
      );
    }
    if (!err) {
      const resp = (yield* wait(pending.done)) as { msg: VmbusChannelOpenResult } | null;
      if (ch.rescind) err = 'ENODEV';
      else if ((resp?.msg.status ?? 0) !== 0) err = 'EAGAIN';
    }
    this.removePending(pending);
    if (!err) {
      ch.state = 'CHANNEL_OPENED_STATE';
      return OK;
    }
    yield* this.teardownGpadlFlow(ch, ch.ringGpadlHandle);
    return cleanRing(err);
  }

  /**
   * `vmbus_close`: for a primary, closes each subchannel (waiting for a pending rescind first), then
   * the primary: CLOSECHANNEL, then GPADL_TEARDOWN of the rings and the wait for GPADL_TORNDOWN.
   * On a subchannel it does nothing (Linux's `vmbus_disconnect_ring` refuses subchannels).
   */
  close(ch: GuestChannel): Completion<VmbusResult> {
    return spawn(this.closeFlow(ch));
  }

  private *closeFlow(ch: GuestChannel): BlockingFlow<VmbusResult> {
    if (ch.primary !== null) return fail('EINVAL');
    // vmbus_disconnect_ring: each close under channel_mutex, subchannels first
    for (const sub of [...ch.subchannels]) {
      if (sub.rescind) yield sub.rescindEvent;
      yield* this.channelMutex.lock();
      const r = yield* this.closeInternal(sub);
      if (r.ok) {
        this.freeRing(sub);
        if (sub.rescind) yield* this.processChannelRemoval(sub);
      }
      this.channelMutex.unlock();
    }
    yield* this.channelMutex.lock();
    const r = yield* this.closeInternal(ch);
    this.channelMutex.unlock();
    if (r.ok) this.freeRing(ch);
    return r;
  }

  private freeRing(ch: GuestChannel): void {
    if (ch.ringBuffer) this.memory.free(ch.ringBuffer);
    ch.ringBuffer = null;
    ch.rings = null;
  }

  /** `vmbus_close_internal`. */
  private *closeInternal(ch: GuestChannel): BlockingFlow<VmbusResult> {
    ch.onChannelCallback = null;
    ch.scCreationCallback = null;
    if (ch.state !== 'CHANNEL_OPENED_STATE') return fail('EINVAL');
    ch.state = 'CHANNEL_OPEN_STATE';
    const words = u32Message(CHANNELMSG.CHANNELMSG_CLOSECHANNEL, ch.relid);
    let ret: VmbusErrno | 0 = words ? yield* this.postMsg(words) : yield* this.post(makeChannelMessage('CHANNELMSG_CLOSECHANNEL', { child_relid: ch.relid }));
    if (!ret && ch.ringGpadlHandle) {
      const t = yield* this.teardownGpadlFlow(ch, ch.ringGpadlHandle);
      if (!t.ok) ret = t.error;
      else ch.ringGpadlHandle = 0;
    }
    return ret ? fail(ret) : OK;
  }

  // -------------------------------------------------------------------------------------------
  // MODIFYCHANNEL

  /**
   * Retargets a channel's interrupts (the sysfs `target_cpu` store): EIO below 4.1 or when the
   * channel is not opened or the message fails; from 5.3 on waits for MODIFYCHANNEL_RESPONSE
   * (status ≠ 0 → EIO, as target_cpu_store turns every failure into EIO).
   */
  modifyChannel(ch: GuestChannel, targetVp: number): Completion<VmbusResult> {
    return spawn(this.modifyChannelFlow(ch, targetVp));
  }

  private *modifyChannelFlow(ch: GuestChannel, targetVp: number): BlockingFlow<VmbusResult> {
    if (this.version < VERSION_WIN10_V4_1) return fail('EIO');
    if (ch.state !== 'CHANNEL_OPENED_STATE') return fail('EIO');
    if (targetVp === ch.targetVp) return OK;
    const msg = makeChannelMessage('CHANNELMSG_MODIFYCHANNEL', { child_relid: ch.relid, target_vp: targetVp });
    let failed = false;
    if (this.version >= VERSION_WIN10_V5_3) {
      const pending = this.addPending(CHANNELMSG.CHANNELMSG_MODIFYCHANNEL, ch.relid, 0, ch);
      const ret = yield* this.post(msg);
      if (ret) failed = true;
      else {
        const resp = (yield* wait(pending.done)) as { msg: VmbusChannelModifyChannelResponse } | null;
        if ((resp?.msg.status ?? 0) !== 0) failed = true;
      }
      this.removePending(pending);
    } else {
      failed = (yield* this.post(msg)) !== 0;
    }
    if (failed) return fail('EIO');
    // target_cpu_store: hv_update_allocated_cpus(old, new) (the VP is the CPU; VP connectVp is CPU 0)
    const cpu = targetVp === this.connectVp ? 0 : targetVp;
    const old = ch.targetCpu;
    ch.targetVp = targetVp;
    ch.targetCpu = cpu;
    if (this.isPerfChannel(ch)) {
      this.allocatedCpus.add(cpu);
      this.clearAllocatedCpu(old);
    }
    return OK;
  }

  // -------------------------------------------------------------------------------------------
  // Signalling

  /** `vmbus_setevent`: monitor page bit (MNF) or HVCALL_SIGNAL_EVENT on the offer's connection id. */
  setEvent(ch: GuestChannel): void {
    ch.sigEvents++;
    if (offerMonitorAllocated(ch.offermsg) && !ch.lowLatency) {
      this.setSendIntBit(ch.relid);
      const page = this.monitorPages?.[1].bytes;
      if (page) {
        const at = 8 + ch.monitorGrp * 8; // trigger_group[grp].pending
        const v = (page[at]! | (page[at + 1]! << 8) | (page[at + 2]! << 16) | (page[at + 3]! << 24)) | (1 << ch.monitorBit);
        page[at] = v;
        page[at + 1] = v >>> 8;
        page[at + 2] = v >>> 16;
        page[at + 3] = v >>> 24;
        this.hypervisor.monitorTouched();
      }
      return;
    }
    if (!ch.isDedicatedInterrupt) this.setSendIntBit(ch.relid);
    this.hypervisor.signalEvent(ch.sigEvent);
  }

  /** `vmbus_send_interrupt`: bit `relid` of the send half (second 2 KiB) of the interrupt page. */
  private setSendIntBit(relid: number): void {
    const page = this.intPage?.bytes;
    if (!page) return;
    const byte = 2048 + (relid >>> 3);
    if (byte >= page.length) {
      this.warn('BIT_OUTSIDE_INT_PAGE', { relid });
      return;
    }
    page[byte]! |= 1 << (relid & 7);
  }

  /** `vmbus_chan_sched`: test-and-clear each SINT 2 event flag; bit 0 is the message protocol's. */
  private onSynicEvent(): void {
    const flags = this.hypervisor.siefp;
    // whole zero words are skipped; the bytes of the others are taken in order, as before
    const words = (this.flagWords ??= new Int32Array(flags.buffer, flags.byteOffset + VMBUS_SINT_OFFSET, 64));
    for (let i = 0; i < 256; i++) {
      if ((i & 3) === 0 && words[i >> 2] === 0) {
        i += 3;
        continue;
      }
      const at = VMBUS_SINT_OFFSET + i;
      let byte = flags[at]!;
      if (byte === 0) continue;
      flags[at] = 0;
      for (let bit = 0; byte !== 0; bit++, byte >>= 1) {
        if ((byte & 1) === 0) continue;
        const relid = i * 8 + bit;
        if (relid === 0) continue;
        const ch = this.relidMap[relid];
        if (!ch || ch.rescind) continue;
        ch.interrupt(this.scheduler);
      }
    }
  }
}

/**
 * The bytes encodeChannelMessage gives for a message whose fields after the header are the u32s
 * `values` (CLOSECHANNEL, GPADL_TEARDOWN), or null when a value is not a u32 (the codec then reports it).
 */
function u32Message(msgtype: number, ...values: number[]): Uint8Array | null {
  const out = new Uint8Array(8 + 4 * values.length);
  out[0] = msgtype;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v >>> 0 !== v) return null;
    const p = 8 + 4 * i;
    out[p] = v;
    out[p + 1] = v >>> 8;
    out[p + 2] = v >>> 16;
    out[p + 3] = v >>> 24;
  }
  return out;
}

function copyInto(dst: Uint8Array, src: Uint8Array): Uint8Array {
  dst.set(src);
  return dst;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The OPENCHANNEL message (`vmbus_channel_open_channel`, 148 bytes) with openid = child_relid, as
 * encodeChannelMessage writes it, written directly; `null` when a field is not a u32 (the encoder
 * then reports it).
 */
function openChannelBytes(relid: number, gpadl: number, targetVp: number, pageOffset: number, userdata: Uint8Array | undefined): Uint8Array | null {
  const words = [CHANNELMSG.CHANNELMSG_OPENCHANNEL, 0, relid, relid, gpadl, targetVp, pageOffset];
  for (const v of words) if (typeof v !== 'number' || v >>> 0 !== v) return null;
  const out = freshBytes(vmbus_channel_open_channel.size);
  for (let i = 0; i < words.length; i++) {
    const v = words[i]!;
    const p = 4 * i;
    out[p] = v;
    out[p + 1] = v >>> 8;
    out[p + 2] = v >>> 16;
    out[p + 3] = v >>> 24;
  }
  if (userdata) out.set(userdata, 28);
  return out;
}
