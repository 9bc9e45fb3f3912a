/**
 * The NVSP layer of the guest driver: Linux 6.1.192 drivers/net/hyperv/netvsc.c, as a state machine
 * over {@link GuestChannel}s. It opens the primary channel, negotiates the NVSP version, hands the
 * host the receive and send buffers, sends RNDIS messages (control ones as GPA-direct packets,
 * data ones through send-buffer sections), and runs the per-channel receive path (NAPI poll):
 * completions, transfer-page packets with their receive completions, in-band host messages — each
 * checked the way Linux checks it (shared/spec/nvsp-rndis-netvsc.md §2.6–2.9) and dropped with a
 * recorded warning when Linux would drop it.
 *
 * Everything is bytes in guest memory and rings; the host is never called.
 * @module
 */
import {
  NETVSC_INVALID_INDEX,
  NETVSC_RECEIVE_BUFFER_ID,
  NETVSC_SEND_BUFFER_ID,
  NVSP_MSG1_TYPE_SEND_RECV_BUF_COMPLETE,
  NVSP_MSG1_TYPE_SEND_RNDIS_PKT,
  NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE,
  NVSP_MSG1_TYPE_SEND_SEND_BUF_COMPLETE,
  NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION,
  NVSP_MSG5_TYPE_SEND_INDIRECTION_TABLE,
  NVSP_MSG5_TYPE_SUBCHANNEL,
  NVSP_MSG_TYPE_INIT_COMPLETE,
  NVSP_PROTOCOL_VERSION_1,
  NVSP_PROTOCOL_VERSION_2,
  NVSP_PROTOCOL_VERSION_6,
  NVSP_PROTOCOL_VERSION_61,
  NVSP_STAT_FAIL,
  NVSP_STAT_SUCCESS,
  VRSS_SEND_TAB_SIZE,
  encodeNvsp,
  linuxCheckCompletion,
  linuxNdisVersion,
  nvspMsgTypeName,
  type NvspMessage,
} from '../protocol/nvsp.js';
import type { GuestChannel, OpenOptions, VmbusGuest } from '../vmbus/linux-vmbus.js';
import { RNDIS_MSG } from '../protocol/rndis.js';
import { bufferView, dirtyOf, writeBuffer, type GuestBuffer } from '../vmbus/memory.js';
import { VmbusPacketType, type GpaRange, type VmbusPacket } from '../vmbus/packet.js';
import { VMBUS_RQST_ERROR, VMBUS_RQST_ID_NO_RESPONSE } from '../vmbus/requestor.js';
import type { RingPacketView, RingProducer } from '../vmbus/ring.js';
import { ProtocolError } from '../wire/errors.js';
import { Completion, wait, type BlockingFlow, type Scheduler } from '../vmbus/scheduler.js';
import { VERSION_WIN10 } from '../vmbus/versions.js';
import { rd16, rd32, wr32 } from './bytes.js';
import {
  ETH_HLEN,
  KMALLOC_MAX_SIZE,
  NAPI_POLL_WEIGHT,
  NETVSC_MAX_PKT_SIZE,
  NETVSC_MTU_MIN,
  NETVSC_RECEIVE_BUFFER_SIZE_LEGACY,
  VRSS_CHANNEL_MAX,
  netvscRqstorSize,
  netvscXferHeaderSize,
} from './constants.js';
import type { NetvscErrno, NetvscResult } from './errno.js';
import { KCompletion, WaitQueue, Work } from './kernel.js';
import type { NetvscNetdev } from './netvsc-drv.js';
import type { NetvscProfile } from './profile.js';
import type { RndisDevice } from './rndis-filter.js';

/** What `netvsc_devinfo_get` carries from one attach to the next (`struct netvsc_device_info`). */
export interface NetvscDeviceInfo {
  /** `mac_adr`: output — device add copies the permanent MAC from the host's reply in here (6 bytes). */
  mac: Uint8Array;
  /** `num_chn`: channels wanted, primary included (6.1 probe default 8; 4.2 starts at 0 = pick by rule). */
  numChn: number;
  /** `send_sections`: send-buffer sections asked for; the buffer is this × {@link sendSectionSize}, rounded up to 4 KiB. */
  sendSections: number;
  /** `send_section_size` in bytes (6144 at probe; afterwards the size the host answered). */
  sendSectionSize: number;
  /** `recv_sections`: receive-buffer sections asked for; the buffer is this × {@link recvSectionSize}, rounded up to 4 KiB. */
  recvSections: number;
  /** `recv_section_size` in bytes (1728 at probe; afterwards the size the host answered). */
  recvSectionSize: number;
  /** `rss_key`: the 40-byte Toeplitz key programmed after a re-attach, copied from the old device (zeros without one). */
  rssKey: Uint8Array;
}

/** Where a transmitted message's completion goes (what Linux keeps in the requestor slot). */
interface TxRecord {
  readonly kind: 'control' | 'data';
  readonly q: number;
  readonly sectionIndex: number;
  readonly packets: number;
  readonly bytes: number;
  /** Guest pages holding a frame sent by page ranges (freed on completion). */
  readonly pages: GuestBuffer | null;
}

/** Direct-map base of x86-64 Linux without KASLR (`PAGE_OFFSET`): synthetic kernel addresses. */
const PAGE_OFFSET = 0xffff888000000000n;

/**
 * Virtual delay (ns) before a poll re-runs because its receive completions could not be sent (the
 * outbound ring is full). Linux re-polls at once, again and again, while the host drains the ring on
 * another CPU; the simulator runs one thing at a time, so an immediate re-poll would starve the host
 * at that instant. The delay doubles with each failure in a row up to {@link RECV_COMP_RETRY_MAX_NS}
 * (a stalled host is waited for, not spun on: a few events per virtual millisecond).
 */
const RECV_COMP_RETRY_NS = 1_000;
/** Longest delay between receive-completion retries (1 ms). */
const RECV_COMP_RETRY_MAX_NS = 1_000_000;

/** `struct netvsc_channel`: one queue's channel, NAPI state, receive-completion ring and counters. */
export class NetvscChannel {
  /** The channel this queue sends on (the primary until its subchannel opens). */
  channel: GuestChannel;
  /** `netif_napi_add` was done for this queue (cleared by device remove). */
  napiAdded = false;
  /** `napi_enable` was done: the channel callback may schedule a poll (set once the channel is open). */
  napiEnabled = false;
  /** A `netvsc_poll` is scheduled or running (NAPI_STATE_SCHED); the host's interrupts stay masked meanwhile. */
  napiScheduled = false;
  /** A poll is part way through the ring (`nvchan->desc`). */
  inInterval = false;
  /** The receive path is stuck for good (Linux would spin or oops here). */
  hung = false;
  /**
   * Spin detection across chained polls (a poll that re-schedules itself without re-arming the
   * host's interrupts): packets taken off the ring and polls run since the chain last saw the host
   * move its write index into this ring or its read index out of the outbound one.
   */
  spinPackets = 0;
  /** Polls in the current chain (see {@link spinPackets}). */
  spinPolls = 0;
  /** Inbound write index and outbound read index the chain last saw (-1: no chain). */
  spinWriteIndex = -1;
  /** See {@link spinWriteIndex}. */
  spinReadIndex = -1;
  /** Delay (ns) of the pending receive-completion retry, 0 when none: the next poll is a wait, not a spin. */
  compRetryNs = 0;
  /** Receive-completion ring (`struct multi_recv_comp`); `null` until allocated. */
  mrcTids: bigint[] | null = null;
  /** NVSP status (SUCCESS or FAIL) of each pending completion, parallel to {@link mrcTids}; `null` until allocated. */
  mrcStatus: number[] | null = null;
  /** `mrc.first`: slot of the oldest completion not yet sent; the ring is empty when it equals {@link mrcNext}. */
  mrcFirst = 0;
  /** `mrc.next`: slot the next receive completion goes into (wraps at `recv_completion_cnt`). */
  mrcNext = 0;
  /** Sends outstanding on this queue (`queue_sends`). */
  queueSends = 0;
  /** RSC reassembly (`struct nvsc_rsc`). */
  rscCnt = 0;
  /** `rsc.is_last`: the RNDIS message being processed is in the last range of its transfer-page packet. */
  rscIsLast = false;
  /** `rsc.pktlen`: bytes of the frame gathered so far (sum of {@link rscFrags}). */
  rscPktlen = 0;
  /** The fragments of the frame being reassembled (one for a non-RSC frame); reset at each first fragment. */
  rscFrags: Uint8Array[] = [];
  /** `rx_stats.packets`: frames this queue handed up the stack. */
  rxPackets = 0;
  /** `rx_stats.bytes`: bytes of those frames. */
  rxBytes = 0;
  /** `tx_stats.packets`: data packets on this queue whose send completion arrived. */
  txPackets = 0;
  /** `tx_stats.bytes`: frame bytes of those packets. */
  txBytes = 0;

  constructor(
    /** Queue number: 0 for the primary channel, else the subchannel's `offermsg.offer.sub_channel_index`. */
    readonly index: number,
    channel: GuestChannel,
  ) {
    this.channel = channel;
  }
}

/** Result of {@link NetvscDevice.sendPkt}: 0 or an errno (ENOSPC when a full ring was retried as Linux does). */
type SendResult = NetvscResult;

/**
 * `struct netvsc_device`: one attach's worth of NVSP state. Created by {@link NetvscDevice.add}
 * (`netvsc_device_add`), destroyed by {@link NetvscDevice.remove} (`netvsc_device_remove`).
 */
export class NetvscDevice {
  /** The net device that owns this attach (`net_device_context`); it outlives detach/attach cycles. */
  readonly ndev: NetvscNetdev;
  /** The primary VMBus channel (`hv_device.channel`), queue 0 and the carrier of all NVSP control messages. */
  readonly primary: GuestChannel;
  /** The guest VMBus the channels, GPADLs and guest memory belong to. */
  readonly guest: VmbusGuest;
  /** The virtual-time scheduler shared with the rest of the VM. */
  readonly scheduler: Scheduler;
  /** The driver behaviour (6.1 or 4.2) this device follows, the net device's profile. */
  readonly profile: NetvscProfile;
  /** Synthetic kernel address of this struct (request ids of the requestor-less 4.2 profile). */
  readonly addr: bigint;
  /** `nvsp_version`: the NVSP version the host accepted in INIT_COMPLETE (e.g. 0x60001 for 6.1); 0 before. */
  nvspVersion = 0;
  /** `destroy`: removal has begun (RNDIS HALT sent); sends fail with ENODEV and drain progress wakes {@link waitDrain}. */
  destroy = false;
  /** `tx_disable`: stopped transmit queues must stay stopped; true from creation to the end of probe/attach, and again while closed or the link is down. */
  txDisable = true;
  /** `max_pkt`: `max_pkt_per_msg` of the RNDIS INIT_CMPLT (8 until INIT succeeds); recorded, not used for batching. */
  maxPkt = 8;
  /** `pkt_align`: 2^`pkt_alignment_factor` of INIT_CMPLT, in bytes; a frame takes a send section only if its length + this fits below the section size. */
  pktAlign = 8;
  /** Guest pages of the receive buffer; `null` before allocation and after device remove. */
  recvBuf: GuestBuffer | null = null;
  /** `recv_buf_size`: bytes allocated for the receive buffer (sections × section size rounded up to 4 KiB, 15 MiB cap for NVSP ≤ 2; 4.2: 16 MiB). */
  recvBufSize = 0;
  /** `recv_buf_gpadl_handle`: the receive buffer's GPADL id sent in SEND_RECV_BUF; 0 when none was established. */
  recvBufGpadl = 0;
  /** `recv_section_cnt`: sections the host reported in SEND_RECV_BUF_COMPLETE; 0 after the buffer is revoked. */
  recvSectionCnt = 0;
  /** `recv_section_size`: bytes per receive section, as the host reported (6.1 drops a range longer than this). */
  recvSectionSize = 0;
  /** `recv_completion_cnt`: slots of every queue's receive-completion ring, `recv_section_cnt + 1`. */
  recvCompletionCnt = 0;
  /** Guest pages of the send buffer; `null` before allocation and after device remove. */
  sendBuf: GuestBuffer | null = null;
  /** `send_buf_size`: bytes allocated for the send buffer (sections × section size rounded up to 4 KiB; 4.2: 1 MiB). */
  sendBufSize = 0;
  /** `send_buf_gpadl_handle`: the send buffer's GPADL id sent in SEND_SEND_BUF; 0 when none was established. */
  sendBufGpadl = 0;
  /** `send_section_cnt`: `send_buf_size / send_section_size`, rounded down; 0 after the buffer is revoked. */
  sendSectionCnt = 0;
  /** `send_section_size`: bytes per send section, from the host's SEND_SEND_BUF_COMPLETE. */
  sendSectionSize = 0;
  /** `send_section_map`: one byte per send section (Linux: one bit), 1 while a sent frame occupies it; `null` until the send buffer is set up. */
  sendSectionMap: Uint8Array | null = null;
  /** `max_chn`: the most channels this device may use (6.1: min(host RSS queues, vCPUs, 64)); 1 without RSS. */
  maxChn = 1;
  /** `num_chn`: channels in use, primary included; set to 1 + the host's grant after the SUBCHANNEL request. */
  numChn = 1;
  /** `open_chn`: channels opened, primary included (6.1 counts subchannel opens, failed ones too, and waits for it to reach `num_chn`). */
  openChn = 0;
  /** The shared control request buffer (`channel_init_pkt`). */
  readonly channelInitPkt = new Uint8Array(40);
  /** `channel_init_wait`: completed when the host's completion of INIT, SEND_RECV_BUF, SEND_SEND_BUF or SUBCHANNEL was copied into {@link channelInitPkt}. */
  readonly channelInitWait: KCompletion;
  /** `chan_table`: the 64 (`VRSS_CHANNEL_MAX`) queues, indexed by queue number; only the first {@link numChn} are used. */
  readonly chanTable: NetvscChannel[] = [];
  /** `extension`: the RNDIS session on this device, set by `rndis_filter_device_add`; `null` before. */
  extension: RndisDevice | null = null;
  /** `subchan_open`: woken when {@link openChn} reaches {@link numChn} (every granted subchannel was opened). */
  readonly subchanOpen: WaitQueue;
  /** `wait_drain`: woken during removal as sends complete and receive completions go out, until the device is idle. */
  readonly waitDrain: WaitQueue;
  /** `subchan_work` (6.1): subchannels are asked for after probe, from the system workqueue. */
  readonly subchanWork: Work;
  private readonly txRecords = new Map<bigint, TxRecord>();
  private skbSeq = 0n;

  private constructor(ndev: NetvscNetdev) {
    this.ndev = ndev;
    this.primary = ndev.channel;
    this.guest = ndev.guest;
    this.scheduler = ndev.scheduler;
    this.profile = ndev.profile;
    this.addr = PAGE_OFFSET + 0x100000000n + BigInt(ndev.driver.nextDeviceSeq()) * 0x10000n;
    this.channelInitWait = new KCompletion(this.scheduler);
    this.subchanOpen = new WaitQueue(this.scheduler);
    this.waitDrain = new WaitQueue(this.scheduler);
    this.subchanWork = new Work(this.scheduler, () => ndev.subchanWorkFn(this), 'netvsc_subchan_work', ndev.driver.rtnl);
    for (let i = 0; i < VRSS_CHANNEL_MAX; i++) this.chanTable.push(new NetvscChannel(i, this.primary));
  }

  /** Address of `channel_init_pkt` inside this struct (the control requests' request id). */
  get initPktAddr(): bigint {
    return this.addr + 0x50n;
  }

  /** Address of `revoke_packet`. */
  get revokePktAddr(): bigint {
    return this.addr + 0x78n;
  }

  private get ringBytes(): number {
    return this.ndev.driver.ringBytes;
  }

  // -------------------------------------------------------------------------------------------
  // Bring-up: netvsc_device_add, netvsc_connect_vsp, negotiate_nvsp_ver, netvsc_init_buf

  /** `netvsc_device_add`: opens the primary channel and connects to the NetVSP. */
  static *add(ndev: NetvscNetdev, info: NetvscDeviceInfo): BlockingFlow<NetvscDevice | NetvscErrno> {
    const nv = new NetvscDevice(ndev);
    ndev.txTable.fill(0);
    const c0 = nv.chanTable[0]!;
    c0.napiAdded = true;
    const open = yield* wait(nv.guest.open(nv.primary, nv.openOptions(c0)));
    if (!open.ok) {
      ndev.warn('CHANNEL_OPEN_FAILED', { detail: open.error });
      c0.napiAdded = false;
      nv.freeBuffers();
      return open.error;
    }
    c0.napiEnabled = true;
    const ret = yield* nv.connectVsp(info);
    if (ret !== 0) {
      ndev.warn('NVSP_CONNECT_FAILED', { detail: ret });
      ndev.nvdev = null;
      nv.napiDisable(c0);
      yield* wait(nv.guest.close(nv.primary));
      c0.napiAdded = false;
      nv.freeBuffers();
      return ret;
    }
    ndev.nvdev = nv;
    return nv;
  }

  /**
   * The `vmbus_open` arguments netvsc uses for every channel of the device: both rings `ring_size`
   * pages; 6.1 adds a requestor and an inbound `max_pkt_size` of `NETVSC_MAX_PKT_SIZE` (4.2: the
   * ring size); the callback is `netvsc_channel_cb` for `nvchan`, in HV_CALL_ISR mode.
   */
  openOptions(nvchan: NetvscChannel): OpenOptions {
    const rb = this.ringBytes;
    return {
      sendRingSize: rb,
      recvRingSize: rb,
      rqstorSize: this.profile.requestor ? netvscRqstorSize(rb) : 0,
      // max_pkt_size arrived with the requestor (2020); before, the whole packet was read
      maxPktSize: this.profile.requestor ? NETVSC_MAX_PKT_SIZE : rb,
      callback: () => this.channelCb(nvchan),
      callbackMode: 'HV_CALL_ISR' as const,
    };
  }

  /** `netvsc_connect_vsp`: versions newest first, then SEND_NDIS_VER, then the buffers. */
  private *connectVsp(info: NetvscDeviceInfo): BlockingFlow<NetvscResult> {
    let found = false;
    for (const v of this.profile.nvspVersions) {
      if ((yield* this.negotiateNvspVer(v)) === 0) {
        this.nvspVersion = v;
        found = true;
        break;
      }
    }
    if (!found) return 'EPROTO';
    if (this.ndev.driver.isolated && this.nvspVersion < NVSP_PROTOCOL_VERSION_61) return 'EPROTO';
    const ndis = linuxNdisVersion(this.nvspVersion);
    const ret = this.sendControl({ type: 'SEND_NDIS_VER', ...ndis }, false, this.initPktAddr);
    if (ret !== 0) return ret;
    return yield* this.initBuf(info);
  }

  /** `negotiate_nvsp_ver`: INIT {v, v} → INIT_COMPLETE; on success NDIS_CONFIG for v > 1. */
  private *negotiateNvspVer(v: number): BlockingFlow<NetvscResult> {
    const ret = this.sendControl({ type: 'INIT', min_protocol_ver: v, max_protocol_ver: v }, true, this.initPktAddr);
    if (ret !== 0) return ret;
    const t = this.profile.initTimeoutNs;
    if (t === null) yield* this.channelInitWait.wait();
    else if (!(yield* this.channelInitWait.waitTimeout(t))) return 'ETIMEDOUT';
    // init_complete.status lives at offset 12 of channel_init_pkt
    if (rd32(this.channelInitPkt, 12) !== NVSP_STAT_SUCCESS) return 'EINVAL';
    if (v === NVSP_PROTOCOL_VERSION_1) return 0;
    return this.sendControl(
      {
        type: 'SEND_NDIS_CONFIG',
        mtu: this.ndev.mtu + ETH_HLEN,
        capability: this.profile.ndisConfigCapability(v, this.ndev.driver.isolated),
      } as NvspMessage,
      false,
      this.initPktAddr,
    );
  }

  /** `netvsc_init_buf`: receive buffer (GPADL, SEND_RECV_BUF, checks), then send buffer likewise. */
  private *initBuf(info: NetvscDeviceInfo): BlockingFlow<NetvscResult> {
    const ret = yield* this.initBufInner(info);
    if (ret === 0) return 0;
    // cleanup: revokes for whichever buffer has sections, then both GPADLs
    this.revokeRecvBuf();
    this.revokeSendBuf();
    yield* this.teardownRecvGpadl();
    yield* this.teardownSendGpadl();
    return ret;
  }

  private *initBufInner(info: NetvscDeviceInfo): BlockingFlow<NetvscResult> {
    const fixed = this.profile.buffers === 'fixed';
    let bufSize = fixed ? 16 * 1024 * 1024 : roundUp(info.recvSections * info.recvSectionSize, 4096);
    if (this.nvspVersion <= NVSP_PROTOCOL_VERSION_2) bufSize = Math.min(bufSize, NETVSC_RECEIVE_BUFFER_SIZE_LEGACY);
    const recv = this.allocPages(bufSize);
    if (!recv) return 'ENOMEM';
    this.recvBuf = recv;
    this.recvBufSize = bufSize;
    const g = yield* wait(this.guest.establishGpadl(this.primary, recv, bufSize));
    if (!g.ok) return g.error;
    this.recvBufGpadl = g.value;
    let ret = this.sendControl({ type: 'SEND_RECV_BUF', gpadl_handle: this.recvBufGpadl, id: NETVSC_RECEIVE_BUFFER_ID }, true, this.initPktAddr);
    if (ret !== 0) return ret;
    yield* this.channelInitWait.wait();
    const p = this.channelInitPkt;
    // nvsp_1_message_send_receive_buffer_complete: status @4, num_sections @8, sections[0] @12
    if (rd32(p, 4) !== NVSP_STAT_SUCCESS) {
      this.ndev.warn('RECV_BUF_FAILED', { detail: rd32(p, 4) });
      return 'EINVAL';
    }
    if (rd32(p, 8) !== 1 || rd32(p, 12) !== 0) return 'EINVAL';
    this.recvSectionSize = rd32(p, 16);
    this.recvSectionCnt = rd32(p, 20);
    if (this.profile.validateHost && (this.recvSectionSize < NETVSC_MTU_MIN || this.recvSectionSize * this.recvSectionCnt > bufSize)) {
      this.ndev.warn('RECV_BUF_FAILED', { detail: `invalid recv_section_size ${this.recvSectionSize}` });
      return 'EINVAL';
    }
    // 6.1 then kzallocs a one-section copy buffer for each of the 64 channels: a section the host
    // made larger than kmalloc can serve fails the device add (netvsc.c netvsc_init_buf)
    if (this.profile.buffers === 'sections' && this.recvSectionSize > KMALLOC_MAX_SIZE) {
      this.ndev.warn('RECV_BUF_FAILED', { detail: `kzalloc(${this.recvSectionSize}) of a channel's receive copy buffer failed` });
      return 'ENOMEM';
    }
    this.recvCompletionCnt = this.recvSectionCnt + 1;
    this.allocRecvCompRing(0);

    const sendSize = fixed ? 1024 * 1024 : roundUp(info.sendSections * info.sendSectionSize, 4096);
    const send = this.allocPages(sendSize);
    if (!send) return 'ENOMEM';
    this.sendBuf = send;
    this.sendBufSize = sendSize;
    const s = yield* wait(this.guest.establishGpadl(this.primary, send, sendSize));
    if (!s.ok) return s.error;
    this.sendBufGpadl = s.value;
    ret = this.sendControl({ type: 'SEND_SEND_BUF', gpadl_handle: this.sendBufGpadl, id: NETVSC_SEND_BUFFER_ID }, true, this.initPktAddr);
    if (ret !== 0) return ret;
    yield* this.channelInitWait.wait();
    if (rd32(p, 4) !== NVSP_STAT_SUCCESS) {
      this.ndev.warn('SEND_BUF_FAILED', { detail: rd32(p, 4) });
      return 'EINVAL';
    }
    this.sendSectionSize = rd32(p, 8);
    if (this.profile.validateHost && this.sendSectionSize < NETVSC_MTU_MIN) {
      this.ndev.warn('SEND_BUF_FAILED', { detail: `invalid send_section_size ${this.sendSectionSize}` });
      return 'EINVAL';
    }
    if (this.sendSectionSize === 0) {
      // 4.2 divided by it unchecked
      this.ndev.warn('OOPS', { detail: 'division by zero send_section_size' });
      yield new Completion<void>();
    }
    this.sendSectionCnt = Math.floor(sendSize / this.sendSectionSize);
    this.sendSectionMap = new Uint8Array(this.sendSectionCnt);
    return 0;
  }

  private allocPages(bytes: number): GuestBuffer | null {
    const a = this.guest.memory.alloc(Math.max(1, Math.ceil(bytes / 4096)));
    return a.ok ? a.buffer : null;
  }

  /** `netvsc_alloc_recv_comp_ring`: the ring of pending receive completions of queue `q`. */
  allocRecvCompRing(q: number): void {
    const c = this.chanTable[q]!;
    c.mrcTids = [];
    c.mrcStatus = [];
    c.mrcFirst = 0;
    c.mrcNext = 0;
  }

  /** `netvsc_revoke_recv_buf`: REVOKE_RECV_BUF (no completion) when the host gave sections. */
  private revokeRecvBuf(): void {
    if (!this.recvSectionCnt) return;
    let ret = this.sendControl({ type: 'REVOKE_RECV_BUF', id: NETVSC_RECEIVE_BUFFER_ID }, false, this.revokePktAddr);
    if (this.primary.rescind) ret = 0;
    if (ret !== 0) {
      this.ndev.warn('REVOKE_FAILED', { detail: 'receive buffer' });
      return;
    }
    this.recvSectionCnt = 0;
  }

  /** `netvsc_revoke_send_buf`. */
  private revokeSendBuf(): void {
    if (!this.sendSectionCnt) return;
    let ret = this.sendControl({ type: 'REVOKE_SEND_BUF', id: NETVSC_SEND_BUFFER_ID }, false, this.revokePktAddr);
    if (this.primary.rescind) ret = 0;
    if (ret !== 0) {
      this.ndev.warn('REVOKE_FAILED', { detail: 'send buffer' });
      return;
    }
    this.sendSectionCnt = 0;
  }

  private *teardownRecvGpadl(): BlockingFlow<void> {
    if (!this.recvBufGpadl) return;
    const r = yield* wait(this.guest.teardownGpadl(this.primary, this.recvBufGpadl));
    if (!r.ok) this.ndev.warn('GPADL_TEARDOWN_FAILED', { detail: 'receive buffer' });
  }

  private *teardownSendGpadl(): BlockingFlow<void> {
    if (!this.sendBufGpadl) return;
    const r = yield* wait(this.guest.teardownGpadl(this.primary, this.sendBufGpadl));
    if (!r.ok) this.ndev.warn('GPADL_TEARDOWN_FAILED', { detail: 'send buffer' });
  }

  private freeBuffers(): void {
    if (this.recvBuf) this.guest.memory.free(this.recvBuf);
    if (this.sendBuf) this.guest.memory.free(this.sendBuf);
    this.recvBuf = null;
    this.sendBuf = null;
    for (const r of this.txRecords.values()) if (r.pages) this.guest.memory.free(r.pages);
    this.txRecords.clear();
  }

  /**
   * `netvsc_device_remove`: revokes (and on pre-4.0 VMBus the GPADL teardowns), unpublish, NAPI off,
   * close of the primary (which closes the subchannels), then on VMBus ≥ 4.0 the GPADL teardowns.
   */
  *remove(): BlockingFlow<void> {
    const before = !this.profile.gpadlTeardownAfterClose || this.guest.version < VERSION_WIN10;
    this.revokeRecvBuf();
    if (before) yield* this.teardownRecvGpadl();
    this.revokeSendBuf();
    if (before) yield* this.teardownSendGpadl();
    if (this.ndev.nvdev === this) this.ndev.nvdev = null;
    for (let i = 0; i < this.numChn; i++) {
      this.napiDisable(this.chanTable[i]!);
      this.chanTable[i]!.napiAdded = false;
    }
    yield* wait(this.guest.close(this.primary));
    if (!before) {
      yield* this.teardownRecvGpadl();
      yield* this.teardownSendGpadl();
    }
    this.freeBuffers();
  }

  /** `napi_disable()` for channel `c`: clears its NAPI enabled/scheduled state. */
  napiDisable(c: NetvscChannel): void {
    c.napiEnabled = false;
    c.napiScheduled = false;
    c.inInterval = false;
  }

  // -------------------------------------------------------------------------------------------
  // Sending

  /**
   * Sends an NVSP control message as Linux does (§2.6): in-band, 40 bytes, with a completion
   * requested (request id: the buffer's address) or without (VMBUS_RQST_ID_NO_RESPONSE).
   */
  sendControl(msg: NvspMessage, completion: boolean, bufferAddr: bigint, channel: GuestChannel = this.primary): NetvscResult {
    const payload = encodeNvsp(msg, { peer: 'linux' });
    // init_packet is built in channel_init_pkt, revokes in revoke_packet
    if (bufferAddr === this.initPktAddr) this.channelInitPkt.set(payload);
    const requestId = completion || !this.profile.requestor ? bufferAddr : VMBUS_RQST_ID_NO_RESPONSE;
    const r = channel.sendPacket({ kind: 'inband', flags: completion ? 1 : 0, trans_id: 0n, payload }, requestId);
    if (!r.ok) return r.error;
    this.ndev.countSent(nvspMsgTypeName(rd32(payload, 0)) ?? `NVSP ${rd32(payload, 0)}`);
    return 0;
  }

  /**
   * `netvsc_send` for an RNDIS control message (`skb == NULL`): NVSP SEND_RNDIS_PKT on queue 0 with
   * the message described by one GPA range (`vmbus_sendpacket_mpb_desc`).
   */
  sendRndisControl(range: GpaRange, requestAddr: bigint): SendResult {
    if (this.ndev.nvdev !== this || this.destroy) return 'ENODEV';
    const key = this.profile.requestor ? 0n : requestAddr;
    return this.sendPkt(this.chanTable[0]!, 1, NETVSC_INVALID_INDEX, 0, [range], key, {
      kind: 'control',
      q: 0,
      sectionIndex: NETVSC_INVALID_INDEX,
      packets: 0,
      bytes: 0,
      pages: null,
    });
  }

  /**
   * `netvsc_send` for a data frame whose RNDIS message is `rndis` (header + PPIs + frame): copied
   * into a free send section when it fits, else sent by page ranges from guest pages. Batching
   * (`xmit_more`) is not modelled: every frame closes its own batch.
   */
  sendData(q: number, rndis: Uint8Array, rmsgSize: number, frameLen: number): SendResult {
    if (this.ndev.nvdev !== this || this.destroy) return 'ENODEV';
    const nvchan = this.chanTable[q]!;
    const pktlen = rndis.length;
    let section = NETVSC_INVALID_INDEX;
    if (pktlen + this.pktAlign < this.sendSectionSize) {
      section = this.nextSendSection();
      if (section === NETVSC_INVALID_INDEX) this.ndev.ethStats.txSendFull++;
    }
    const skb = PAGE_OFFSET + 0x200000000n + ++this.skbSeq * 0x100n;
    if (section !== NETVSC_INVALID_INDEX) {
      writeBuffer(this.sendBuf!, section * this.sendSectionSize, rndis);
      const r = this.sendPkt(nvchan, 0, section, pktlen, null, skb, { kind: 'data', q, sectionIndex: section, packets: 1, bytes: frameLen, pages: null });
      if (r !== 0) this.sendSectionMap![section] = 0;
      return r;
    }
    // page ranges: the RNDIS header range, then the frame page by page (init_page_array)
    const pages = this.allocPages(pktlen + 4096);
    if (!pages) return 'ENOMEM';
    writeBuffer(pages, 0, rndis);
    const ranges: GpaRange[] = [{ byte_count: rmsgSize, byte_offset: 0, pfns: [BigInt(pages.pfn)] }];
    let off = rmsgSize;
    while (off < pktlen) {
      const inPage = off % 4096;
      const n = Math.min(4096 - inPage, pktlen - off);
      ranges.push({ byte_count: n, byte_offset: inPage, pfns: [BigInt(pages.pfn + Math.floor(off / 4096))] });
      off += n;
    }
    const r = this.sendPkt(nvchan, 0, NETVSC_INVALID_INDEX, 0, ranges, skb, { kind: 'data', q, sectionIndex: NETVSC_INVALID_INDEX, packets: 1, bytes: frameLen, pages });
    if (r !== 0) this.guest.memory.free(pages);
    return r;
  }

  private nextSendSection(): number {
    const map = this.sendSectionMap;
    if (!map) return NETVSC_INVALID_INDEX;
    for (let i = 0; i < this.sendSectionCnt; i++) {
      if (map[i] === 0) {
        map[i] = 1;
        return i;
      }
    }
    return NETVSC_INVALID_INDEX;
  }

  /** `netvsc_send_pkt`: SEND_RNDIS_PKT in-band or GPA-direct, queue accounting and stop/wake. */
  private sendPkt(
    nvchan: NetvscChannel,
    channelType: number,
    sectionIndex: number,
    sectionSize: number,
    ranges: GpaRange[] | null,
    reqId: bigint,
    record: TxRecord,
  ): SendResult {
    const out = nvchan.channel;
    const payload = new Uint8Array(40);
    wr32(payload, 0, NVSP_MSG1_TYPE_SEND_RNDIS_PKT);
    wr32(payload, 4, channelType);
    wr32(payload, 8, sectionIndex);
    wr32(payload, 12, sectionIndex === NETVSC_INVALID_INDEX ? 0 : sectionSize);
    if (out.rescind) return 'ENODEV';
    const ringAvail = out.rings ? ringAvailPercent(out.rings.outbound) : 0;
    const pkt: VmbusPacket = ranges
      ? { kind: 'gpa-direct', flags: 1, trans_id: 0n, ranges, payload }
      : { kind: 'inband', flags: 1, trans_id: 0n, payload };
    const r = out.sendPacket(pkt, reqId);
    let ret: SendResult = r.ok ? 0 : r.error;
    const q = record.q;
    if (ret === 0) {
      nvchan.queueSends++;
      // a control message's slot holds 0 (no skb); its completion needs no record
      if (reqId !== 0n) this.txRecords.set(reqId, record);
      this.ndev.countSent('NVSP_MSG1_TYPE_SEND_RNDIS_PKT');
      if (ringAvail < 10) this.stopQueue(q);
    } else if (ret === 'EAGAIN') {
      this.stopQueue(q);
    } else {
      this.ndev.warn('SEND_FAILED', { queue: q, detail: ret });
    }
    if (this.ndev.txqStopped[q] && nvchan.queueSends < 1 && !this.txDisable) {
      this.wakeQueue(q);
      if (ret === 'EAGAIN') ret = 'ENOSPC';
    }
    return ret;
  }

  // -------------------------------------------------------------------------------------------
  // Receiving: netvsc_channel_cb, netvsc_poll, netvsc_process_raw_pkt

  /** `netvsc_channel_cb` (HV_CALL_ISR): masks the host's interrupts and schedules NAPI. */
  private channelCb(nvchan: NetvscChannel): void {
    if (!nvchan.napiEnabled || nvchan.napiScheduled || nvchan.hung) return;
    nvchan.napiScheduled = true;
    nvchan.channel.rings?.inbound.beginRead();
    this.scheduler.schedule(0, () => this.poll(nvchan), `guest: netvsc_poll q${nvchan.index}`);
  }

  /** `netvsc_poll`: up to 64 units of work, the receive completions, then re-arm or re-poll. */
  private poll(nvchan: NetvscChannel): void {
    if (!nvchan.napiScheduled || !nvchan.napiEnabled || nvchan.hung) return;
    const ch = nvchan.channel;
    const rings = ch.rings;
    if (!rings) {
      nvchan.napiScheduled = false;
      return;
    }
    const budget = NAPI_POLL_WEIGHT;
    let work = 0;
    // Packets that do no NAPI work (completions, in-band messages) do not count against the budget,
    // in Linux as here; with a control page the host corrupted, Linux's reader re-parses stale ring
    // bytes without end (vmbus.md §3.3 (d)), and stale transfer-page packets make every poll spend
    // its budget and re-poll. A chain of polls that takes more packets off the ring than it can hold
    // while the host has written nothing new can only be that: the queue stops for good, where
    // Linux's would spin. The same bound applies to the number of polls in such a chain.
    const spinLimit = Math.floor(rings.inbound.dataSize / 24) + 1;
    const wi = rings.inbound.writeIndex;
    const ri = rings.outbound.readIndex;
    if (wi !== nvchan.spinWriteIndex || ri !== nvchan.spinReadIndex) {
      nvchan.spinWriteIndex = wi;
      nvchan.spinReadIndex = ri;
      nvchan.spinPackets = 0;
      nvchan.spinPolls = 0;
    }
    const retry = nvchan.compRetryNs;
    if (retry === 0 && ++nvchan.spinPolls > spinLimit) return this.spinning(nvchan, `${nvchan.spinPolls} polls`);
    let seen = nvchan.spinPackets;
    let desc = rings.inbound.first();
    nvchan.inInterval = desc !== null;
    while (desc && work < budget) {
      if (++seen > spinLimit) return this.spinning(nvchan, seen);
      work += this.processRawPkt(nvchan, desc);
      if (nvchan.hung || ch.rings !== rings) return;
      desc = rings.inbound.next();
      if (!desc) {
        nvchan.inInterval = false;
        ch.closeRead();
      }
    }
    nvchan.spinPackets = seen;
    const sent = this.sendRecvCompletions(nvchan);
    // Linux re-polls while sending the receive completions fails. EIO is the simulator's answer for
    // an outbound ring whose control page the host corrupted (Linux would write through the bad
    // index): it never clears, so Linux's re-polls would never end.
    if (sent === 'EIO') return this.spinning(nvchan, 'receive completions: EIO');
    const failed = sent !== 0;
    nvchan.compRetryNs = failed ? Math.min(RECV_COMP_RETRY_MAX_NS, retry === 0 ? RECV_COMP_RETRY_NS : retry * 2) : 0;
    if (work < budget) {
      nvchan.napiScheduled = false;
      if (!nvchan.napiEnabled || ch.rings !== rings) return;
      if (failed || rings.inbound.endRead() !== 0) {
        nvchan.napiScheduled = true;
        rings.inbound.beginRead();
        this.scheduler.schedule(nvchan.compRetryNs, () => this.poll(nvchan), `guest: netvsc_poll q${nvchan.index}`);
      } else {
        nvchan.spinWriteIndex = -1; // re-armed: the chain ends
      }
    } else {
      nvchan.compRetryNs = 0; // budget spent: NAPI polls again at once
      this.scheduler.schedule(0, () => this.poll(nvchan), `guest: netvsc_poll q${nvchan.index}`);
    }
  }

  /** A chain of polls that would never end (see {@link NetvscChannel.spinPackets}): the queue stops for good. */
  private spinning(nvchan: NetvscChannel, detail: number | string): void {
    this.ndev.warn('NAPI_POLL_ENDLESS', { queue: nvchan.index, detail });
    nvchan.hung = true;
  }

  /** `netvsc_process_raw_pkt`: dispatch by VMBus packet type; returns the work done. */
  private processRawPkt(nvchan: NetvscChannel, desc: RingPacketView): number {
    const bytes = desc.bytes;
    const payload = bytes.subarray(desc.offset8 * 8, desc.len8 * 8);
    switch (desc.type) {
      case VmbusPacketType.VM_PKT_COMP:
        this.ndev.countReceived(nvspKind(payload, 'VM_PKT_COMP (empty)'));
        this.sendCompletion(nvchan, desc, payload);
        return 0;
      case VmbusPacketType.VM_PKT_DATA_USING_XFER_PAGES:
        this.ndev.countReceived(nvspKind(payload, 'VM_PKT_DATA_USING_XFER_PAGES (empty)'));
        return this.receive(nvchan, desc, bytes, payload);
      case VmbusPacketType.VM_PKT_DATA_INBAND:
        this.ndev.countReceived(nvspKind(payload, 'VM_PKT_DATA_INBAND (empty)'));
        this.receiveInband(payload);
        return 0;
      default:
        this.ndev.countReceived(`VM packet type ${desc.type}`);
        this.ndev.warn('UNHANDLED_PACKET_TYPE', { queue: nvchan.index, detail: desc.type });
        return 0;
    }
  }

  /** `netvsc_send_completion`: host completions (VM_PKT_COMP), checked as 6.1.192 checks them. */
  private sendCompletion(nvchan: NetvscChannel, desc: RingPacketView, payload: Uint8Array): void {
    const transId = readTransId(desc.bytes);
    const ch = nvchan.channel;
    if (!this.profile.validateHost) {
      // 4.2: no length checks; the type word decides (a short message reads as zeros past its end)
      const t = payload.length >= 4 ? rd32(payload, 0) : 0;
      if (t === NVSP_MSG_TYPE_INIT_COMPLETE || t === NVSP_MSG1_TYPE_SEND_RECV_BUF_COMPLETE || t === NVSP_MSG1_TYPE_SEND_SEND_BUF_COMPLETE || t === NVSP_MSG5_TYPE_SUBCHANNEL) {
        this.copyInitPkt(payload);
        this.channelInitWait.complete();
      } else if (t === NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE) {
        this.txComplete(nvchan, transId);
      } else {
        this.ndev.warn('COMPLETION_UNKNOWN_TYPE', { queue: nvchan.index, detail: t });
      }
      return;
    }
    const v = linuxCheckCompletion(payload, '6.1.192');
    switch (v.action) {
      case 'lookup-request': {
        const stored = ch.rings ? ch.rings.requestor.take(transId) : VMBUS_RQST_ERROR;
        if (stored === VMBUS_RQST_ERROR) {
          this.ndev.warn('COMPLETION_INVALID_TRANSACTION_ID', { queue: nvchan.index, detail: transId.toString(16) });
          return;
        }
        if (stored === 0n) {
          // the request was an RNDIS control message: Linux reads msg_type through a NULL pointer
          this.ndev.warn('OOPS', { queue: nvchan.index, detail: 'NULL dereference in netvsc_send_completion' });
          nvchan.hung = true;
          return;
        }
        // the request was channel_init_pkt (whatever it holds now) or a data skb; only a
        // SWITCH_DATA_PATH request wakes a waiter, and this model never sends one
        this.ndev.warn('COMPLETION_UNEXPECTED', { queue: nvchan.index });
        const rec = this.txRecords.get(stored);
        if (rec) this.txRecords.delete(stored);
        return;
      }
      case 'drop':
        if (v.reason === 'unknown-type') this.ndev.warn('COMPLETION_UNKNOWN_TYPE', { queue: nvchan.index, detail: v.msg_type });
        else this.ndev.warn('COMPLETION_TOO_SHORT', { queue: nvchan.index, detail: payload.length });
        return;
      case 'wake-waiter':
        this.copyInitPkt(payload);
        this.channelInitWait.complete();
        return;
      case 'tx-complete':
        if (v.status !== NVSP_STAT_SUCCESS) this.ndev.warn('RNDIS_PKT_COMPLETE_STATUS', { queue: nvchan.index, detail: v.status });
        this.txComplete(nvchan, transId);
        return;
    }
  }

  /** Copies a completion into `channel_init_pkt` (40 bytes; zeros past a short message). */
  private copyInitPkt(payload: Uint8Array): void {
    this.channelInitPkt.fill(0);
    this.channelInitPkt.set(payload.subarray(0, 40));
  }

  /** `netvsc_send_tx_complete`. */
  private txComplete(nvchan: NetvscChannel, transId: bigint): void {
    let key: bigint;
    if (this.profile.requestor) {
      const ch = nvchan.channel;
      key = ch.rings ? ch.rings.requestor.take(transId) : VMBUS_RQST_ERROR;
      if (key === VMBUS_RQST_ERROR) {
        this.ndev.warn('COMPLETION_INVALID_TRANSACTION_ID', { queue: nvchan.index, detail: transId.toString(16) });
        return;
      }
    } else {
      key = transId;
      if (!this.txRecords.has(key)) {
        // 4.2 used the transaction id as a pointer
        this.ndev.warn('OOPS', { queue: nvchan.index, detail: 'transaction id used as a packet pointer' });
        nvchan.hung = true;
        return;
      }
    }
    let q = 0;
    if (key !== 0n) {
      const rec = this.txRecords.get(key);
      if (!rec) {
        // the id named something that is not an skb (channel_init_pkt): Linux frees it as one
        this.ndev.warn('OOPS', { queue: nvchan.index, detail: 'completion of a non-packet request freed as an skb' });
        nvchan.hung = true;
        return;
      }
      this.txRecords.delete(key);
      q = rec.q;
      if (rec.kind === 'data') {
        if (rec.sectionIndex !== NETVSC_INVALID_INDEX && this.sendSectionMap) this.sendSectionMap[rec.sectionIndex] = 0;
        if (rec.pages) this.guest.memory.free(rec.pages);
        const c = this.chanTable[q]!;
        c.txPackets += rec.packets;
        c.txBytes += rec.bytes;
        this.ndev.stats.txPackets[q]! += rec.packets;
        this.ndev.stats.txBytes[q]! += rec.bytes;
      }
    }
    const c = this.chanTable[q]!;
    c.queueSends--;
    if (this.destroy) {
      if (c.queueSends === 0) this.waitDrain.wake();
    } else if (this.ndev.txqStopped[q] && !this.txDisable) {
      const out = c.channel.rings?.outbound;
      const pct = out ? ringAvailPercent(out) : 0;
      if (pct > 20 || c.queueSends < 1) this.wakeQueue(q);
    }
  }

  /** `netif_tx_stop_queue` + `eth_stats.stop_queue++` (netvsc_send_pkt counts every stop it makes). */
  private stopQueue(q: number): void {
    this.ndev.txqStopped[q] = true;
    this.ndev.ethStats.stopQueue++;
  }

  /** `netif_tx_wake_queue` + `eth_stats.wake_queue++`. */
  private wakeQueue(q: number): void {
    this.ndev.txqStopped[q] = false;
    this.ndev.ethStats.wakeQueue++;
  }

  /** `netvsc_receive`: a transfer-page packet of RNDIS messages from the receive buffer. */
  private receive(nvchan: NetvscChannel, desc: RingPacketView, bytes: Uint8Array, payload: Uint8Array): number {
    const q = nvchan.channel.subChannelIndex;
    const v = this.profile.validateHost;
    if (payload.length < 4) {
      this.ndev.warn('RECV_NVSP_TOO_SHORT', { queue: q, detail: payload.length });
      return 0;
    }
    if (rd32(payload, 0) !== NVSP_MSG1_TYPE_SEND_RNDIS_PKT) {
      this.ndev.warn('RECV_UNKNOWN_NVSP_TYPE', { queue: q, detail: rd32(payload, 0) });
      return 0;
    }
    // sizeof(struct vmtransfer_page_packet_header) is 32 in 6.1 (ranges[1])
    if (v && desc.offset8 * 8 < 32) {
      this.ndev.warn('RECV_XFER_OFFSET_TOO_SMALL', { queue: q, detail: desc.offset8 * 8 });
      return 0;
    }
    if (rd16(bytes, 16) !== NETVSC_RECEIVE_BUFFER_ID) {
      this.ndev.warn('RECV_BAD_PAGESET_ID', { queue: q, detail: rd16(bytes, 16) });
      return 0;
    }
    let count = rd32(bytes, 20);
    if (v) {
      // 6.1 keeps range_cnt in an `int` and NETVSC_XFER_HEADER_SIZE computes in size_t: counts
      // 0xfffffffd..0xffffffff (-3..-1) give a header of 0..16 bytes and pass; the loop below then
      // runs no range, a SUCCESS completion still goes back, and the negative count is NAPI work
      // (drivers/net/hyperv/netvsc.c netvsc_receive, hyperv_net.h NETVSC_XFER_HEADER_SIZE)
      const signed = count | 0;
      const header = netvscXferHeaderSize(signed);
      if (header < 0 || header > desc.offset8 * 8) {
        this.ndev.warn('RECV_BAD_RANGE_COUNT', { queue: q, detail: count });
        return 0;
      }
      count = signed;
    } else if (netvscXferHeaderSize(count) > desc.offset8 * 8) {
      // 4.2 read the ranges past the header; only the ones present are modelled
      count = Math.max(0, Math.floor((desc.offset8 * 8 - 24) / 8));
    }
    const recv = this.recvBuf;
    let status = NVSP_STAT_SUCCESS;
    for (let i = 0; i < count; i++) {
      const buflen = rd32(bytes, 24 + 8 * i);
      const offset = rd32(bytes, 28 + 8 * i);
      if (!recv || offset > this.recvBufSize || buflen > this.recvBufSize - offset) {
        nvchan.rscCnt = 0;
        status = NVSP_STAT_FAIL;
        this.ndev.warn('RECV_RANGE_OUT_OF_BUFFER', { queue: q, detail: `${offset}+${buflen}` });
        continue;
      }
      if (v && buflen > this.recvSectionSize) {
        nvchan.rscCnt = 0;
        status = NVSP_STAT_FAIL;
        this.ndev.warn('RECV_RANGE_TOO_BIG', { queue: q, detail: buflen });
        continue;
      }
      nvchan.rscIsLast = i === count - 1;
      const view = bufferView(recv, offset, offset + buflen);
      // a data message's frame goes up the stack (to user code): the whole buffer counts as handed out
      if (buflen >= 4 && rd32(view, 0) === RNDIS_MSG.PACKET) dirtyOf(recv)?.exposeAll();
      const ret = this.ndev.rndisFilterReceive(this, nvchan, view);
      if (nvchan.hung) return count;
      if (ret !== NVSP_STAT_SUCCESS) {
        nvchan.rscCnt = 0;
        status = NVSP_STAT_FAIL;
      }
    }
    if (status !== NVSP_STAT_SUCCESS) this.ndev.stats.rxFailed++;
    this.enqReceiveComplete(q, readTransId(bytes), status);
    return count;
  }

  /** `enq_receive_complete`: queue a receive completion, flushing when more than 64 are pending. */
  private enqReceiveComplete(q: number, tid: bigint, status: number): void {
    const c = this.chanTable[q];
    if (!c || !c.mrcTids) {
      this.ndev.warn('OOPS', { queue: q, detail: 'receive on a queue without a completion ring' });
      if (c) c.hung = true;
      return;
    }
    const count = this.recvCompletionCnt;
    let filled = c.mrcNext >= c.mrcFirst ? c.mrcNext - c.mrcFirst : count - c.mrcFirst + c.mrcNext;
    if (filled > NAPI_POLL_WEIGHT) {
      this.sendRecvCompletions(c);
      filled = c.mrcNext >= c.mrcFirst ? c.mrcNext - c.mrcFirst : count - c.mrcFirst + c.mrcNext;
    }
    if (count - filled - 1 <= 0) {
      this.ndev.warn('RECV_COMP_RING_FULL', { queue: q, detail: tid.toString(16) });
      return;
    }
    c.mrcTids[c.mrcNext] = tid;
    c.mrcStatus![c.mrcNext] = status;
    if (++c.mrcNext === count) c.mrcNext = 0;
  }

  /** `send_recv_completions`: one 8-byte COMP packet {108, status} per pending entry. */
  private sendRecvCompletions(c: NetvscChannel): NetvscResult {
    if (!c.mrcTids) return 0;
    const count = this.recvCompletionCnt;
    while (c.mrcFirst !== c.mrcNext) {
      const payload = new Uint8Array(8);
      wr32(payload, 0, NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE);
      wr32(payload, 4, c.mrcStatus![c.mrcFirst]!);
      const tid = c.mrcTids[c.mrcFirst]!;
      const r = c.channel.sendPacket({ kind: 'completion', flags: 0, trans_id: tid, payload }, tid);
      if (!r.ok) {
        this.ndev.ethStats.rxCompBusy++;
        return r.error;
      }
      this.ndev.countSent('NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE');
      if (++c.mrcFirst === count) c.mrcFirst = 0;
    }
    if (this.destroy) this.waitDrain.wake();
    return 0;
  }

  /** True when no receive completion is pending and no send is outstanding (`netvsc_device_idle`). */
  idle(): boolean {
    for (let i = 0; i < this.numChn; i++) {
      const c = this.chanTable[i]!;
      if (c.mrcFirst !== c.mrcNext) return false;
      if (c.queueSends > 0) return false;
    }
    return true;
  }

  /** `netvsc_receive_inband`: the send indirection table and VF association. */
  private receiveInband(payload: Uint8Array): void {
    if (payload.length < 4) {
      this.ndev.warn('INBAND_TOO_SHORT', { detail: payload.length });
      return;
    }
    const t = rd32(payload, 0);
    if (t === NVSP_MSG5_TYPE_SEND_INDIRECTION_TABLE) this.sendTable(payload);
    else if (t === NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION && this.profile.validateHost) {
      if (this.ndev.driver.isolated) this.ndev.warn('VF_ASSOCIATION_IGNORED');
      else this.sendVf(payload);
    }
  }

  /** `netvsc_send_table`: 16 entries into `tx_table`, with the ≤ 6.0 offset fix-up (§2.8). */
  private sendTable(p: Uint8Array): void {
    const msglen = p.length;
    if (!this.profile.validateHost) {
      // 4.2: count must be 16; the offset counts from the send_table body (recollection)
      if (msglen < 12 || rd32(p, 4) !== VRSS_SEND_TAB_SIZE) return;
      const at = 4 + rd32(p, 8);
      for (let i = 0; i < VRSS_SEND_TAB_SIZE; i++) this.ndev.txTable[i] = at + 4 * i + 4 <= msglen ? rd32(p, at + 4 * i) : 0;
      return;
    }
    if (msglen < 12) {
      this.ndev.warn('SEND_TABLE_TOO_SHORT', { detail: msglen });
      return;
    }
    const count = rd32(p, 4);
    let offset = rd32(p, 8);
    if (count !== VRSS_SEND_TAB_SIZE) {
      this.ndev.warn('SEND_TABLE_BAD_COUNT', { detail: count });
      return;
    }
    if (this.nvspVersion <= NVSP_PROTOCOL_VERSION_6 && msglen >= 4 + 36 + count * 4) offset = 40;
    if (msglen < count * 4 || offset > msglen - count * 4) {
      this.ndev.warn('SEND_TABLE_BAD_OFFSET', { detail: offset });
      return;
    }
    for (let i = 0; i < count; i++) this.ndev.txTable[i] = rd32(p, offset + 4 * i);
  }

  /** `netvsc_send_vf`. */
  private sendVf(p: Uint8Array): void {
    if (p.length < 12) {
      this.ndev.warn('VF_ASSOCIATION_TOO_SHORT', { detail: p.length });
      return;
    }
    this.ndev.vfAlloc = rd32(p, 4);
    this.ndev.vfSerial = rd32(p, 8);
  }
}

/** The counter key of a host NVSP message: its type name (`NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE`). */
function nvspKind(payload: Uint8Array, empty: string): string {
  if (payload.length < 4) return empty;
  const t = rd32(payload, 0);
  return nvspMsgTypeName(t) ?? `NVSP ${t}`;
}

/** The 64-bit transaction id of a packet descriptor. */
function readTransId(b: Uint8Array): bigint {
  return BigInt(rd32(b, 8)) | (BigInt(rd32(b, 12)) << 32n);
}

function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/**
 * hv_get_avail_to_write_percent, as a whole percentage of the data area. A control page the host
 * corrupted (an index outside the data area) reads as a full ring (0 %): Linux would compute a
 * meaningless figure from it, the simulator stops writing instead.
 */
function ringAvailPercent(out: RingProducer): number {
  try {
    return Math.floor((out.bytesToWrite() * 100) / out.dataSize);
  } catch (e) {
    if (e instanceof ProtocolError) return 0;
    throw e;
  }
}
