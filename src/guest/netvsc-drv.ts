/**
 * The netdev layer of the guest driver: Linux 6.1.192 drivers/net/hyperv/netvsc_drv.c — probe,
 * `ndo_open`/`ndo_stop`, the ethtool channel and RSS operations (`netvsc_get_channels`,
 * `netvsc_set_channels` with `netvsc_detach`/`netvsc_attach` and restore-on-failure,
 * `netvsc_get_rxfh`/`netvsc_set_rxfh`), the subchannel work item, link-status events, transmit
 * queue selection and the receive hand-off.
 *
 * Register the driver on a guest's VMBus with {@link registerNetvscDriver}; each NIC primary channel
 * the host offers is probed into a {@link NetvscNetdev} (`eth0`, `eth1`, …). Operations that sleep in
 * the kernel are {@link BlockingFlow}s: run them with `spawn(dev.setChannels(…))` and the scheduler.
 * They take the RTNL lock themselves, as the ethtool core and `dev_open` do around the driver.
 * @module
 */
import { NVSP_PROTOCOL_VERSION_2, NVSP_PROTOCOL_VERSION_5, NVSP_STAT_FAIL, NVSP_STAT_SUCCESS, VRSS_SEND_TAB_SIZE } from '../protocol/nvsp.js';
import { ppiHashValue, ppiVlan, type PpiElement } from '../protocol/ppi.js';
import { encodeRndisDataPacket } from '../protocol/rndis-builders.js';
import { RNDIS_STATUS } from '../protocol/rndis.js';
import { HV_NIC_GUID } from '../vmbus/guids.js';
import type { GuestChannel, VmbusGuest } from '../vmbus/linux-vmbus.js';
import { Completion, spawn, type BlockingFlow, type Scheduler } from '../vmbus/scheduler.js';
import { rd32 } from './bytes.js';
import {
  ETH_DATA_LEN,
  ETH_HLEN,
  LINKCHANGE_INT_NS,
  NETVSC_DEFAULT_RX,
  NETVSC_DEFAULT_TX,
  NETVSC_MTU,
  NETVSC_MTU_MIN,
  NETVSC_RECV_SECTION_SIZE,
  NETVSC_RING_SIZE_DEFAULT,
  NETVSC_SEND_SECTION_SIZE,
  RETRY_MAX,
  RETRY_US_HI,
  RETRY_US_LO,
  VRSS_CHANNEL_DEFAULT,
  VRSS_CHANNEL_MAX,
  netvscRingBytes,
} from './constants.js';
import type { NetvscErrno, NetvscResult } from './errno.js';
import { Mutex, Work, usleepRange } from './kernel.js';
import type { NetvscChannel, NetvscDevice, NetvscDeviceInfo } from './netvsc.js';
import { netvscProfile, type NetvscProfile } from './profile.js';
import {
  rndisFilterClose,
  rndisFilterDeviceAdd,
  rndisFilterDeviceRemove,
  rndisFilterOpen,
  rndisFilterReceive,
  rndisFilterSetRssParam,
  rndisSetSubchannel,
} from './rndis-filter.js';
import type { NetvscChannels, NetvscEthStats, NetvscOptions, NetvscStats, NetvscWarning, NetvscWarningCode } from './types.js';

/** `ETH_RSS_HASH_NO_CHANGE` and `ETH_RSS_HASH_TOP` (include/uapi/linux/ethtool.h). */
export const ETH_RSS_HASH_NO_CHANGE = 0;
/** `ETH_RSS_HASH_TOP`: RSS hash function bit for Toeplitz (include/linux/ethtool.h). */
export const ETH_RSS_HASH_TOP = 1;

/** What {@link NetvscNetdev.send} did with a frame (`netvsc_xmit`'s outcomes). */
export type NetvscXmitResult =
  /** Handed to the host on `queue`. */
  | {
      /** True: the SEND_RNDIS_PKT went into the queue's ring. */
      readonly ok: true;
      /** Transmit queue (channel index) the frame was sent on. */
      readonly queue: number;
    }
  /** NETDEV_TX_BUSY: the queue is stopped or the ring full; the stack would retry. */
  | {
      /** False: the frame was not sent. */
      readonly ok: false;
      /** True: refused for now (counted in `txBusy`); sending again later may succeed. */
      readonly busy: true;
      /** Transmit queue that was stopped or full. */
      readonly queue: number;
    }
  /** Dropped (`tx_dropped`), with the reason. */
  | {
      /** False: the frame was not sent. */
      readonly ok: false;
      /** False: dropped for good (counted in `txDropped`). */
      readonly busy: false;
      /** Transmit queue the frame was meant for. */
      readonly queue: number;
      /** Why: ENETDOWN when the interface is not registered or not up, else the send's errno (ENODEV while detached, ENOMEM, …). */
      readonly error: NetvscErrno | 'ENETDOWN';
    };

/** Options of one transmitted frame. */
export interface NetvscXmitOptions {
  /** The skb hash (`skb_get_hash_raw`); picks `tx_table[hash & 15]` and is sent as a PPI when more than one queue is up. */
  readonly hash?: number;
  /** A recorded receive queue (forwarded traffic): used instead of the send table. */
  readonly queue?: number;
  /** An 802.1Q tag to send as a PPI. */
  readonly vlan?: {
    /** VLAN id, 12 bits (`NDIS_8021Q_INFO.vlanid`). */
    readonly vlanid: number;
    /** Priority code point, 3 bits (default 0). */
    readonly pri?: number;
    /** Canonical format indicator / DEI bit (default 0). */
    readonly cfi?: number;
  };
}

/** `netif_get_num_default_rss_queues` is not used by 6.1's netvsc; VRSS_CHANNEL_DEFAULT is. */
const ZERO_CHANNELS: NetvscChannels = Object.freeze({
  max_rx: 0,
  max_tx: 0,
  max_other: 0,
  max_combined: 0,
  rx_count: 0,
  tx_count: 0,
  other_count: 0,
  combined_count: 0,
});

function newStats(): NetvscStats {
  const z = () => new Array<number>(VRSS_CHANNEL_MAX).fill(0);
  return {
    sent: Object.create(null) as Record<string, number>,
    received: Object.create(null) as Record<string, number>,
    subchannelRequests: 0,
    subchannelsAsked: 0,
    subchannelsGranted: 0,
    rxPackets: z(),
    rxBytes: z(),
    txPackets: z(),
    txBytes: z(),
    txDropped: 0,
    txBusy: 0,
    rxFailed: 0,
    detaches: 0,
    attaches: 0,
  };
}

/**
 * The `hv_netvsc` driver on one guest: its module parameters, the RTNL lock, and the netdevs it
 * probed. Create it with {@link registerNetvscDriver}.
 */
export class NetvscDriver {
  /** The guest VMBus the driver is registered on. */
  readonly guest: VmbusGuest;
  /** The guest's virtual-time scheduler (`guest.scheduler`). */
  readonly scheduler: Scheduler;
  /** The driver behaviour chosen by `options.profile` (default Linux 6.1). */
  readonly profile: NetvscProfile;
  /** The options given to {@link registerNetvscDriver}, as given (defaults are applied where read). */
  readonly options: NetvscOptions;
  /** The RTNL lock (one per VM). */
  readonly rtnl: Mutex;
  /** Netdevs in probe order (an unregistered one stays here with `registered` false). */
  readonly devices: NetvscNetdev[] = [];
  /** `num_online_cpus()`. */
  readonly vcpus: number;
  /** CPUs of the primary channel's NUMA node (4.2's default channel count). */
  readonly numaNodeCpus: number;
  /** An isolated (SNP/TDX) guest (`hv_is_isolation_supported()`): NVSP 6.1 required, no SR-IOV, VF association ignored. */
  readonly isolated: boolean;
  /** Bytes of each ring (`netvsc_ring_bytes`). */
  readonly ringBytes: number;
  private deviceSeq = 0;

  constructor(guest: VmbusGuest, options: NetvscOptions = {}) {
    this.guest = guest;
    this.scheduler = guest.scheduler;
    this.options = options;
    this.profile = netvscProfile(options.profile);
    this.rtnl = new Mutex(this.scheduler, 'rtnl');
    this.vcpus = Math.max(1, options.vcpus ?? 1);
    this.numaNodeCpus = Math.max(1, options.numaNodeCpus ?? this.vcpus);
    this.isolated = options.isolated ?? guest.isolated;
    this.ringBytes = netvscRingBytes(options.ringSize ?? NETVSC_RING_SIZE_DEFAULT);
  }

  /** @internal A per-driver sequence for the synthetic kernel addresses of `struct netvsc_device`. */
  nextDeviceSeq(): number {
    return this.deviceSeq++;
  }

  /** The device with interface name `name`: the registered one, else the last one that had it. */
  device(name: string): NetvscNetdev | undefined {
    let last: NetvscNetdev | undefined;
    for (const d of this.devices) {
      if (d.name !== name) continue;
      if (d.registered) return d;
      last = d;
    }
    return last;
  }

  /**
   * `eth%d` as `dev_alloc_name` resolves it: the lowest index no live netdev holds. A NIC the host
   * took away (unregistered) gives its name back; one still probing keeps it.
   */
  private nextEthName(): string {
    for (let n = 0; ; n++) {
      const name = `eth${n}`;
      if (!this.devices.some((d) => d.name === name && (d.registered || !d.probeResult.settled))) return name;
    }
  }

  /** @internal Probe of a primary NIC channel. */
  probe(channel: GuestChannel): Completion<NetvscResult> {
    const name = this.options.name ? this.options.name(this.devices.length) : this.nextEthName();
    const dev = new NetvscNetdev(this, channel, name);
    this.devices.push(dev);
    dev.probeResult = spawn(dev.probe());
    return dev.probeResult;
  }
}

/** Registers `hv_netvsc` on the guest's VMBus driver (binds HV_NIC_GUID primaries). */
export function registerNetvscDriver(guest: VmbusGuest, options: NetvscOptions = {}): NetvscDriver {
  const driver = new NetvscDriver(guest, options);
  guest.registerDriver({
    name: 'hv_netvsc',
    ifType: HV_NIC_GUID,
    probe: (channel) => driver.probe(channel),
    remove: (channel) => {
      const dev = driver.devices.find((d) => d.channel === channel);
      return dev ? spawn(dev.remove()) : undefined;
    },
  });
  return driver;
}

/**
 * One synthetic NIC (`struct net_device` + `struct net_device_context`). The per-attach NVSP and
 * RNDIS state hangs off {@link NetvscNetdev.nvdev} (NULL while detached).
 */
export class NetvscNetdev {
  /** The driver instance that probed this NIC. */
  readonly driver: NetvscDriver;
  /** The guest VMBus the NIC's channels belong to. */
  readonly guest: VmbusGuest;
  /** The guest's virtual-time scheduler. */
  readonly scheduler: Scheduler;
  /** The driver behaviour (6.1 or 4.2), the driver's profile. */
  readonly profile: NetvscProfile;
  /** The primary channel (`hv_device->channel`). */
  readonly channel: GuestChannel;
  /** Interface name (`net_device.name`): `eth0`, `eth1`, … by probe order, or from the driver option `name`. */
  readonly name: string;
  /** `register_netdevice` done (and not yet unregistered). */
  registered = false;
  /** `netif_device_present()`: false between `netif_device_detach` and `netif_device_attach`. */
  present = false;
  /** `netif_running()` (IFF_UP). */
  running = false;
  /** `netif_carrier_ok()`: on when the device is open and the host reports the link connected (MEDIA_CONNECT_STATUS / link indications). */
  carrier = false;
  /** `net_device.mtu` in bytes: the `mtu` option (default 1500), lowered at device add to the host's `OID_GEN_MAXIMUM_FRAME_SIZE` if that is smaller. */
  mtu: number;
  /** `min_mtu`: 68 (`NETVSC_MTU_MIN`). */
  minMtu = NETVSC_MTU_MIN;
  /** `max_mtu`: 65521 (`NETVSC_MTU - ETH_HLEN`) from NVSP 2 on, else 1500; set at probe. */
  maxMtu = ETH_DATA_LEN;
  /** The MAC address (PERMANENT_ADDRESS from the host). */
  mac = new Uint8Array(6);
  /** `ifalias`: the `ifalias` option, else the host's `OID_GEN_FRIENDLY_NAME` unless it is "Network Adapter" (6.1); `null` when unset. */
  ifalias: string | null;
  /** Link speed in Mbit/s (`ndc->speed`; 0 until the host says). */
  speed = 0;
  /** The send indirection table (`tx_table`). */
  readonly txTable = new Uint32Array(VRSS_SEND_TAB_SIZE);
  /** The receive indirection table (`rx_table`), NULL while detached or without RSS. */
  rxTable: Uint16Array | null = null;
  /** `rx_table_sz`: entries of {@link rxTable}, the host's `num_indirect_tabent` when 1..`ITAB_NUM_MAX`, else 128; 0 without RSS. */
  rxTableSz = 0;
  /** IFF_RXFH_CONFIGURED: the user set the indirection table (the ethtool core keeps it). */
  rxfhConfigured = false;
  /** `real_num_tx_queues`: transmit queues in use (1, then `num_chn` once the subchannels are set up); queue selection folds below it. */
  realNumTxQueues = 1;
  /** `real_num_rx_queues`: receive queues in use, kept equal to {@link realNumTxQueues}. */
  realNumRxQueues = 1;
  /** Stopped transmit queues. */
  readonly txqStopped: boolean[] = new Array<boolean>(VRSS_CHANNEL_MAX).fill(false);
  /** The host offers RSC (NETIF_F_LRO in hw_features) / LRO is on in features. */
  hwLro = false;
  /** NETIF_F_LRO in `features`: copied from {@link hwLro} at the end of probe; when on, later offload SETs (re-attach) enable RSC. */
  featureLro = false;
  /** `vf_alloc` from the host's SEND_VF_ASSOCIATION: non-zero when a VF is allocated (ignored in isolated guests). */
  vfAlloc = 0;
  /** `vf_serial` from SEND_VF_ASSOCIATION: the serial number of the associated VF. */
  vfSerial = 0;
  /** `ndev_ctx->nvdev`. */
  nvdev: NetvscDevice | null = null;
  /** Message, queue and detach/attach counters; they survive detach/attach. */
  readonly stats: NetvscStats = newStats();
  /** Linux's `eth_stats` counters the model keeps. */
  readonly ethStats: NetvscEthStats = { txSendFull: 0, txBusy: 0, txNoSpace: 0, stopQueue: 0, wakeQueue: 0, rxCompBusy: 0, notifyPeers: 0 };
  /** What Linux would have logged (netdev_err/netdev_warn), oldest first, with virtual time and queue. */
  readonly warnings: NetvscWarning[] = [];
  /** Result of probe (0 or the error that made it fail). */
  probeResult: Completion<NetvscResult> = new Completion();
  /** Link events waiting for the link-change worker (`reconfig_events`). */
  readonly linkEvents: number[] = [];
  private lastReconfig = -Infinity;
  private readonly dwork: Work;

  constructor(driver: NetvscDriver, channel: GuestChannel, name: string) {
    this.driver = driver;
    this.guest = driver.guest;
    this.scheduler = driver.scheduler;
    this.profile = driver.profile;
    this.channel = channel;
    this.name = name;
    this.mtu = driver.options.mtu ?? ETH_DATA_LEN;
    this.ifalias = driver.options.ifalias ?? null;
    this.dwork = new Work(this.scheduler, () => this.linkChange(), 'netvsc_link_change');
  }

  /** Negotiated NVSP version (0 while detached). */
  get nvspVersion(): number {
    return this.nvdev?.nvspVersion ?? 0;
  }

  /** The RSS key the device holds now (`rdev->rss_key`), or undefined while detached. */
  get rssKey(): Uint8Array | undefined {
    return this.nvdev?.extension?.rssKey;
  }

  /** Channels whose VMBus channel is open (the primary and every opened subchannel of the current attach). */
  get openChannels(): number {
    const nv = this.nvdev;
    if (!nv) return 0;
    let n = nv.primary.state === 'CHANNEL_OPENED_STATE' ? 1 : 0;
    for (const sub of nv.primary.subchannels) if (sub.state === 'CHANNEL_OPENED_STATE') n++;
    return n;
  }

  // -------------------------------------------------------------------------------------------
  // Records

  /** @internal Records a warning Linux would log. */
  warn(code: NetvscWarningCode, extra: { queue?: number; detail?: number | string } = {}): void {
    this.warnings.push({ code, time: this.scheduler.now, ...extra });
  }

  /** @internal */
  countSent(kind: string): void {
    this.stats.sent[kind] = (this.stats.sent[kind] ?? 0) + 1;
  }

  /** @internal */
  countReceived(kind: string): void {
    this.stats.received[kind] = (this.stats.received[kind] ?? 0) + 1;
  }

  // -------------------------------------------------------------------------------------------
  // Probe and remove

  /** `netvsc_probe`. */
  *probe(): BlockingFlow<NetvscResult> {
    this.carrier = false;
    this.realNumTxQueues = 1;
    this.realNumRxQueues = 1;
    const info = this.devinfoGet(null);
    const rtnl = this.driver.rtnl;
    yield* rtnl.lock();
    const r = yield* rndisFilterDeviceAdd(this, info);
    if (typeof r === 'string') {
      rtnl.unlock();
      this.warn('PROBE_FAILED', { detail: r });
      return r;
    }
    this.mac = Uint8Array.from(info.mac);
    if (this.profile.subchannels === 'linux-6.1' && r.numChn > 1) r.subchanWork.schedule();
    this.featureLro = this.hwLro;
    this.maxMtu = r.nvspVersion >= NVSP_PROTOCOL_VERSION_2 ? NETVSC_MTU - ETH_HLEN : ETH_DATA_LEN;
    r.txDisable = false;
    this.registered = true;
    this.present = true;
    rtnl.unlock();
    if (this.driver.options.autoOpen !== false) {
      this.scheduler.schedule(this.driver.options.openDelayNs ?? 1_000_000, () => spawn(this.open()), `guest: ip link set ${this.name} up`);
    }
    return 0;
  }

  /** `netvsc_remove` (the primary was rescinded). */
  *remove(): BlockingFlow<void> {
    this.dwork.cancel();
    const rtnl = this.driver.rtnl;
    yield* rtnl.lock();
    const nv = this.nvdev;
    if (nv) {
      nv.subchanWork.cancel();
      yield* rndisFilterDeviceRemove(this, nv);
    }
    this.registered = false;
    this.present = false;
    this.running = false;
    this.carrier = false;
    rtnl.unlock();
  }

  /** @internal `netvsc_subchan_work`: the subchannel request after probe, under RTNL. */
  *subchanWorkFn(nvdev: NetvscDevice): BlockingFlow<void> {
    const rtnl = this.driver.rtnl;
    if (!rtnl.tryLock()) {
      nvdev.subchanWork.retryWhenUnlocked();
      return;
    }
    if (nvdev.extension) {
      const ret = yield* rndisSetSubchannel(this, nvdev, null);
      if (ret === 0) {
        this.deviceAttach();
      } else {
        for (let i = 1; i < nvdev.numChn; i++) nvdev.chanTable[i]!.napiAdded = false;
        nvdev.maxChn = 1;
        nvdev.numChn = 1;
      }
    }
    rtnl.unlock();
  }

  /** `netvsc_devinfo_get`: the current configuration, or the probe defaults without a device. */
  devinfoGet(nvdev: NetvscDevice | null): NetvscDeviceInfo {
    if (nvdev) {
      return {
        mac: new Uint8Array(6),
        numChn: nvdev.numChn,
        sendSections: nvdev.sendSectionCnt,
        sendSectionSize: nvdev.sendSectionSize,
        recvSections: nvdev.recvSectionCnt,
        recvSectionSize: nvdev.recvSectionSize,
        rssKey: Uint8Array.from(nvdev.extension?.rssKey ?? new Uint8Array(40)),
      };
    }
    const o = this.driver.options;
    return {
      mac: new Uint8Array(6),
      // 4.2 started from 0 and let 8ebdcc52b9b8's rule pick
      numChn: this.profile.channels === 'linux-4.2' ? 0 : VRSS_CHANNEL_DEFAULT,
      sendSections: o.sendSections ?? NETVSC_DEFAULT_TX,
      sendSectionSize: NETVSC_SEND_SECTION_SIZE,
      recvSections: o.recvSections ?? NETVSC_DEFAULT_RX,
      recvSectionSize: NETVSC_RECV_SECTION_SIZE,
      rssKey: new Uint8Array(40),
    };
  }

  // -------------------------------------------------------------------------------------------
  // ndo_open / ndo_stop

  /** `ip link set up` (`dev_open` → `netvsc_open`). */
  *open(): BlockingFlow<NetvscResult> {
    const rtnl = this.driver.rtnl;
    yield* rtnl.lock();
    const ret = yield* this.openLocked();
    rtnl.unlock();
    return ret;
  }

  private *openLocked(): BlockingFlow<NetvscResult> {
    if (!this.registered) return 'ENODEV';
    if (this.running) return 0;
    if (!this.present) return 'ENODEV';
    const ret = yield* this.netvscOpen();
    if (ret === 0) this.running = true;
    return ret;
  }

  /** `netvsc_open`. */
  private *netvscOpen(): BlockingFlow<NetvscResult> {
    this.carrier = false;
    const nv = this.nvdev;
    const ret = yield* rndisFilterOpen(this, nv);
    if (ret !== 0) return ret;
    if (!nv!.extension!.linkState) {
      this.carrier = true;
      this.txEnable(nv!);
    }
    return 0;
  }

  /** `ip link set down` (`dev_close` → `netvsc_close`; its error is only logged by the core). */
  *close(): BlockingFlow<NetvscResult> {
    const rtnl = this.driver.rtnl;
    yield* rtnl.lock();
    let ret: NetvscResult = 0;
    if (this.running) {
      this.running = false;
      ret = yield* this.netvscClose();
      this.carrier = false;
    }
    rtnl.unlock();
    return ret;
  }

  /** `netvsc_close`. */
  private *netvscClose(): BlockingFlow<NetvscResult> {
    const nv = this.nvdev;
    this.txDisable(nv);
    if (!nv) return 0;
    const ret = yield* rndisFilterClose(this, nv);
    if (ret !== 0) return ret;
    const w = yield* this.waitUntilEmpty(nv);
    if (w !== 0) this.warn('RING_NOT_EMPTY');
    return w;
  }

  private txEnable(nv: NetvscDevice): void {
    nv.txDisable = false;
    this.txqStopped.fill(false);
  }

  private txDisable(nv: NetvscDevice | null): void {
    if (nv) nv.txDisable = true;
    this.txqStopped.fill(true);
  }

  /** `netvsc_wait_until_empty`: polls every channel's two rings, 5–10 ms apart, at most 2000 times. */
  private *waitUntilEmpty(nv: NetvscDevice): BlockingFlow<NetvscResult> {
    for (let retry = 0; ; ) {
      let aread = 0;
      for (let i = 0; i < nv.numChn && aread === 0; i++) {
        const rings = nv.chanTable[i]!.channel.rings;
        if (!rings) continue;
        aread = rings.inbound.bytesToRead();
        if (aread === 0) aread = rings.outbound.dataSize - rings.outbound.bytesToWrite();
      }
      if (aread === 0) return 0;
      if (++retry > RETRY_MAX) return 'ETIMEDOUT';
      yield usleepRange(this.scheduler, RETRY_US_LO, RETRY_US_HI);
    }
  }

  /** `netif_device_attach`. */
  private deviceAttach(): void {
    if (!this.present) {
      this.present = true;
      if (this.running) this.txqStopped.fill(false);
    }
  }

  /** `netif_device_detach`. */
  private deviceDetach(): void {
    if (this.present) {
      this.present = false;
      if (this.running) this.txqStopped.fill(true);
    }
  }

  // -------------------------------------------------------------------------------------------
  // ethtool: channels

  /** `netvsc_get_channels`: max_combined = max_chn, combined_count = num_chn; zeros without a device. */
  getChannels(): NetvscChannels {
    const nv = this.nvdev;
    if (!nv) return { ...ZERO_CHANNELS };
    return { ...ZERO_CHANNELS, max_combined: nv.maxChn, combined_count: nv.numChn };
  }

  /**
   * `netvsc_set_channels` under RTNL. 6.1 (§5.2): combined 0 or rx/tx/other ⇒ EINVAL; no device
   * ⇒ ENODEV; NVSP < 5 ⇒ EINVAL; above max_chn ⇒ EINVAL; then detach, attach with the new count,
   * and on failure attach again with the old one, returning the first error. 4.2 (§6): ENODEV,
   * NVSP < 5, rx/tx/other/zero, a count above min(max_chn, CPUs) clamped.
   */
  *setChannels(ch: NetvscChannels): BlockingFlow<NetvscResult> {
    const rtnl = this.driver.rtnl;
    yield* rtnl.lock();
    const ret = this.profile.channels === 'linux-4.2' ? yield* this.setChannels42(ch) : yield* this.setChannels61(ch);
    rtnl.unlock();
    return ret;
  }

  private *setChannels61(ch: NetvscChannels): BlockingFlow<NetvscResult> {
    const count = ch.combined_count >>> 0;
    if (count === 0 || ch.rx_count || ch.tx_count || ch.other_count) return 'EINVAL';
    const nv = this.nvdev;
    if (!nv || nv.destroy) return 'ENODEV';
    if (nv.nvspVersion < NVSP_PROTOCOL_VERSION_5) return 'EINVAL';
    if (count > nv.maxChn) return 'EINVAL';
    const orig = nv.numChn;
    const info = this.devinfoGet(nv);
    info.numChn = count;
    let ret = yield* this.detach(nv);
    if (ret !== 0) return ret;
    ret = yield* this.attach(info);
    if (ret !== 0) {
      info.numChn = orig;
      if ((yield* this.attach(info)) !== 0) this.warn('RESTORE_FAILED');
    }
    return ret;
  }

  private *setChannels42(ch: NetvscChannels): BlockingFlow<NetvscResult> {
    const nv = this.nvdev;
    if (!nv || nv.destroy) return 'ENODEV';
    const orig = nv.numChn;
    const max = Math.min(nv.maxChn, this.driver.vcpus);
    if (nv.nvspVersion < NVSP_PROTOCOL_VERSION_5) return 'EINVAL';
    if (ch.rx_count || ch.tx_count || ch.other_count || ch.combined_count < 1) return 'EINVAL';
    let count = ch.combined_count >>> 0;
    if (count > max) {
      this.warn('COMBINED_CLAMPED', { detail: max });
      count = max;
    }
    let ret = yield* this.netvscClose();
    if (ret === 0) {
      let recovering = false;
      let current: NetvscDevice | null = nv;
      for (;;) {
        if (current) {
          current.destroy = true;
          this.stats.detaches++;
          yield* rndisFilterDeviceRemove(this, current);
        }
        const info = this.devinfoGet(null);
        info.numChn = count;
        this.stats.attaches++;
        const r = yield* rndisFilterDeviceAdd(this, info);
        if (typeof r === 'string') {
          ret = r;
          if (recovering) {
            this.warn('RESTORE_FAILED', { detail: r });
            return ret;
          }
          recovering = true;
          count = orig;
          current = null;
          continue;
        }
        ret = 0;
        this.realNumTxQueues = r.numChn;
        this.realNumRxQueues = r.numChn;
        break;
      }
    }
    // out: netvsc_open(net), whatever happened before
    yield* this.netvscOpen();
    return ret;
  }

  /** `netvsc_detach` (§4.4). */
  private *detach(nv: NetvscDevice): BlockingFlow<NetvscResult> {
    if (nv.subchanWork.cancel()) nv.numChn = 1;
    if (this.running) {
      this.txDisable(nv);
      let ret = yield* rndisFilterClose(this, nv);
      if (ret !== 0) return ret;
      ret = yield* this.waitUntilEmpty(nv);
      if (ret !== 0) {
        this.warn('RING_NOT_EMPTY');
        return ret;
      }
    }
    this.deviceDetach();
    this.stats.detaches++;
    yield* rndisFilterDeviceRemove(this, nv);
    return 0;
  }

  /** `netvsc_attach` (§4.5). */
  private *attach(info: NetvscDeviceInfo): BlockingFlow<NetvscResult> {
    this.stats.attaches++;
    const r = yield* rndisFilterDeviceAdd(this, info);
    if (typeof r === 'string') return r;
    const nv = r;
    if (nv.numChn > 1) {
      const ret = yield* rndisSetSubchannel(this, nv, info);
      if (ret !== 0) {
        nv.maxChn = 1;
        nv.numChn = 1;
      }
    }
    nv.txDisable = false;
    this.deviceAttach();
    this.carrier = false;
    if (this.running) {
      const ret = yield* rndisFilterOpen(this, nv);
      if (ret !== 0) {
        this.deviceDetach();
        yield* rndisFilterDeviceRemove(this, nv);
        return ret;
      }
      if (!nv.extension!.linkState) this.carrier = true;
    }
    return 0;
  }

  // -------------------------------------------------------------------------------------------
  // ethtool: RSS

  /** `netvsc_rss_indir_size`: rx_table_sz (0 without RSS, while detached, and on 4.2 which had no such op). */
  getRxfhIndirSize(): number {
    return this.profile.channels === 'linux-4.2' ? 0 : this.rxTableSz;
  }

  /** `netvsc_get_rxfh` (indirection part): the table, or ENODEV without a device. */
  getRxfh(): number[] | NetvscErrno {
    if (this.profile.channels === 'linux-4.2') return 'EOPNOTSUPP';
    if (!this.nvdev) return 'ENODEV';
    return Array.from(this.rxTable ?? new Uint16Array(0)).slice(0, this.rxTableSz);
  }

  /**
   * `netvsc_set_rxfh` under RTNL: ENODEV, EOPNOTSUPP for another hash function or no table,
   * EINVAL for an entry ≥ num_chn, then the RSS SETs with the new or saved key. The core's
   * IFF_RXFH_CONFIGURED flag is {@link NetvscNetdev.rxfhConfigured}, set by the caller.
   */
  *setRxfh(opts: { readonly indir?: readonly number[]; readonly key?: Uint8Array; readonly hfunc?: number }): BlockingFlow<NetvscResult> {
    if (this.profile.channels === 'linux-4.2') return 'EOPNOTSUPP';
    const rtnl = this.driver.rtnl;
    yield* rtnl.lock();
    const ret = yield* this.setRxfhLocked(opts);
    rtnl.unlock();
    return ret;
  }

  private *setRxfhLocked(opts: { readonly indir?: readonly number[]; readonly key?: Uint8Array; readonly hfunc?: number }): BlockingFlow<NetvscResult> {
    const nv = this.nvdev;
    if (!nv) return 'ENODEV';
    const hfunc = opts.hfunc ?? ETH_RSS_HASH_NO_CHANGE;
    if (hfunc !== ETH_RSS_HASH_NO_CHANGE && hfunc !== ETH_RSS_HASH_TOP) return 'EOPNOTSUPP';
    if (!this.rxTableSz || !this.rxTable) return 'EOPNOTSUPP';
    let key = opts.key;
    if (opts.indir) {
      for (let i = 0; i < this.rxTableSz; i++) if ((opts.indir[i] ?? 0) >= nv.numChn) return 'EINVAL';
      for (let i = 0; i < this.rxTableSz; i++) this.rxTable[i] = opts.indir[i] ?? 0;
    }
    if (!key) {
      if (!opts.indir) return 0;
      key = nv.extension!.rssKey;
    }
    return yield* rndisFilterSetRssParam(this, nv, Uint8Array.from(key));
  }

  // -------------------------------------------------------------------------------------------
  // Data path

  /**
   * `netvsc_select_queue` + `netvsc_xmit` for one frame: queue from the recorded receive queue or
   * `tx_table[hash & 15]`, folded below the real queue count; an RNDIS PACKET with the hash PPI
   * (hash ≠ 0 and more than one queue) and a VLAN PPI; then `netvsc_send`.
   */
  send(frame: Uint8Array, opts: NetvscXmitOptions = {}): NetvscXmitResult {
    const hash = (opts.hash ?? 0) >>> 0;
    const picked = opts.queue ?? this.txTable[hash & (VRSS_SEND_TAB_SIZE - 1)]!;
    const real = Math.max(1, this.realNumTxQueues);
    // 6.1: netvsc_pick_tx returns a u16, so a table entry (a u32 the host chose) loses its high
    // half before netvsc_select_queue folds it below real_num_tx_queues by repeated subtraction;
    // 4.2's netvsc_select_queue takes send_table[hash % 16] % real_num_tx_queues on the whole u32.
    // Either fold is a remainder (taken at once: a hostile 0xffffffff must not loop 4 billion times).
    const q = (this.profile.name === 'linux-4.2' ? picked >>> 0 : picked & 0xffff) % real;
    if (!this.registered || !this.running) {
      this.stats.txDropped++;
      return { ok: false, busy: false, queue: q, error: 'ENETDOWN' };
    }
    if (this.txqStopped[q]) {
      this.stats.txBusy++;
      return { ok: false, busy: true, queue: q };
    }
    const ppis: PpiElement[] = [];
    if (hash !== 0 && this.realNumTxQueues > 1) ppis.push(ppiHashValue(hash));
    if (opts.vlan) ppis.push(ppiVlan({ vlanid: opts.vlan.vlanid, pri: opts.vlan.pri ?? 0, cfi: opts.vlan.cfi ?? 0 }));
    const rndis = encodeRndisDataPacket(frame, ppis);
    const nv = this.nvdev;
    const ret = nv ? nv.sendData(q, rndis, rndis.length - frame.length, frame.length) : 'ENODEV';
    if (ret === 0) return { ok: true, queue: q };
    if (ret === 'EAGAIN') {
      this.stats.txBusy++;
      this.ethStats.txBusy++;
      return { ok: false, busy: true, queue: q };
    }
    if (ret === 'ENOSPC') this.ethStats.txNoSpace++;
    this.stats.txDropped++;
    return { ok: false, busy: false, queue: q, error: ret };
  }

  /** @internal `rndis_filter_receive` on this device. */
  rndisFilterReceive(nv: NetvscDevice, nvchan: NetvscChannel, data: Uint8Array): number {
    return rndisFilterReceive(this, nv, nvchan, data);
  }

  /** @internal `netvsc_recv_callback`: count on the channel's queue and hand the frame up. */
  recvCallback(nvchan: NetvscChannel): number {
    if (!this.registered) {
      this.warn('RX_NOT_REGISTERED', { queue: nvchan.index });
      return NVSP_STAT_FAIL;
    }
    const q = nvchan.channel.subChannelIndex;
    const frags = nvchan.rscFrags;
    const frame = frags.length === 1 ? frags[0]! : concat(frags, nvchan.rscPktlen);
    nvchan.rxPackets++;
    nvchan.rxBytes += nvchan.rscPktlen;
    if (q < VRSS_CHANNEL_MAX) {
      this.stats.rxPackets[q]!++;
      this.stats.rxBytes[q]! += nvchan.rscPktlen;
    }
    this.driver.options.onReceive?.(this, q, frame);
    return NVSP_STAT_SUCCESS;
  }

  // -------------------------------------------------------------------------------------------
  // Link status

  /** @internal `netvsc_linkstatus_callback`: link speed now, connect/disconnect/change via the worker. */
  linkstatusCallback(data: Uint8Array, msgLen: number, buflen: number): void {
    if (msgLen - 8 < 12) {
      this.warn('INDICATE_TOO_SHORT', { detail: msgLen });
      return;
    }
    const status = rd32(data, 8);
    const sbuflen = rd32(data, 12);
    const soff = rd32(data, 16);
    if (status === RNDIS_STATUS.LINK_SPEED_CHANGE) {
      if (sbuflen < 4 || soff < 12 || buflen - 8 < soff || buflen - 8 - soff < sbuflen) {
        this.warn('INDICATE_BAD_LINK_SPEED', { detail: `${soff}/${sbuflen}` });
        return;
      }
      this.speed = Math.floor(rd32(data, 8 + soff) / 10000);
      return;
    }
    if (status !== RNDIS_STATUS.NETWORK_CHANGE && status !== RNDIS_STATUS.MEDIA_CONNECT && status !== RNDIS_STATUS.MEDIA_DISCONNECT) return;
    if (!this.registered) return;
    this.linkEvents.push(status);
    this.dwork.schedule(0);
  }

  /** `netvsc_link_change`: one event per 2 s, under RTNL. */
  private *linkChange(): BlockingFlow<void> {
    const rtnl = this.driver.rtnl;
    if (!rtnl.tryLock()) {
      this.dwork.schedule(LINKCHANGE_INT_NS);
      return;
    }
    const nv = this.nvdev;
    const rdev = nv?.extension;
    if (!nv || !rdev) {
      rtnl.unlock();
      return;
    }
    const now = this.scheduler.now;
    const next = this.lastReconfig + LINKCHANGE_INT_NS;
    if (next > now) {
      this.dwork.schedule(Math.min(next - now, LINKCHANGE_INT_NS));
      rtnl.unlock();
      return;
    }
    this.lastReconfig = now;
    const event = this.linkEvents.shift();
    let reschedule = this.linkEvents.length > 0;
    if (event === RNDIS_STATUS.MEDIA_CONNECT) {
      if (rdev.linkState) {
        rdev.linkState = false;
        this.carrier = true;
        this.txEnable(nv);
      } else {
        this.ethStats.notifyPeers++;
      }
    } else if (event === RNDIS_STATUS.MEDIA_DISCONNECT) {
      if (!rdev.linkState) {
        rdev.linkState = true;
        this.carrier = false;
        this.txDisable(nv);
      }
    } else if (event === RNDIS_STATUS.NETWORK_CHANGE) {
      if (!rdev.linkState) {
        rdev.linkState = true;
        this.carrier = false;
        this.txDisable(nv);
        this.linkEvents.unshift(RNDIS_STATUS.MEDIA_CONNECT);
        reschedule = true;
      }
    }
    rtnl.unlock();
    if (reschedule) this.dwork.schedule(LINKCHANGE_INT_NS);
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
