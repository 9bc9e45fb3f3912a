/**
 * The interface between ethtool's simulated kernel core and the devices of a simulated machine.
 *
 * ethtool/ never imports the VM, the driver or the host: the simulated VM implements
 * {@link EthtoolSystem} and {@link EthtoolDevice} (a netvsc netdev, a loopback, a veth...) and hands
 * the system to {@link runEthtool}. Everything here is what the kernel's ethtool core
 * (net/ethtool/ioctl.c, channels.c, netlink.c, common.c in Linux 6.1) asks of a `net_device` and its
 * `ethtool_ops` for the channel commands.
 * @module
 */
import type { Errno } from './errno.js';

/**
 * The eight counts of `struct ethtool_channels` (include/uapi/linux/ethtool.h), with the kernel's
 * field names. All are u32.
 */
export interface EthtoolChannels {
  /** `ethtool_channels.max_rx`: most RX-only channels the device supports; 0 for netvsc. A kind whose max is 0 shows `n/a` on both its lines of `ethtool -l` over netlink. */
  max_rx: number;
  /** `ethtool_channels.max_tx`: most TX-only channels; 0 for netvsc. */
  max_tx: number;
  /** `ethtool_channels.max_other`: most "other" channels (link interrupts and the like); 0 for netvsc. */
  max_other: number;
  /** `ethtool_channels.max_combined`: most combined RX+TX channels; for netvsc `max_chn`: the host's RSS queue count capped at the vCPU count and 64 (the 2015 driver: the host's count as is), 1 without vRSS. */
  max_combined: number;
  /** `ethtool_channels.rx_count`: current RX-only channels (the `RX:` line of `ethtool -l`). */
  rx_count: number;
  /** `ethtool_channels.tx_count`: current TX-only channels (`TX:`). */
  tx_count: number;
  /** `ethtool_channels.other_count`: current "other" channels (`Other:`). */
  other_count: number;
  /** `ethtool_channels.combined_count`: current combined channels (`Combined:`); for netvsc `num_chn`, the VMBus primary channel plus its subchannels. */
  combined_count: number;
}

/** The channel fields a set request carries, in the kernel's fixed order (rx, tx, other, combined). */
export const CHANNEL_KINDS = ['rx', 'tx', 'other', 'combined'] as const;
/** One of the four channel kinds. */
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/** All-zero channels, as the kernel core pre-fills the struct before calling `get_channels`. */
export function zeroChannels(): EthtoolChannels {
  return { max_rx: 0, max_tx: 0, max_other: 0, max_combined: 0, rx_count: 0, tx_count: 0, other_count: 0, combined_count: 0 };
}

/** What a device's full `ethtool_ops->get_rxfh` reports (see {@link EthtoolDevice.getRxfhConfig}). */
export interface EthtoolRxfhConfig {
  /** The RSS indirection table: entry i is the RX queue for hash bucket i; `get_rxfh_indir_size` entries (netvsc: 128 unless the host advertises another size). */
  readonly indir: readonly number[];
  /** The RSS hash key, `get_rxfh_key_size` bytes (40 for netvsc, the Toeplitz key the host was given). */
  readonly key: Uint8Array;
  /** The hash function as an `ETH_RSS_HASH_*` bit set: 1 = Toeplitz (`ETH_RSS_HASH_TOP`, netvsc's only one), 2 = XOR, 4 = CRC32. */
  readonly hfunc: number;
}

/**
 * A network device as the ethtool core sees it. Optional operations mirror optional
 * `ethtool_ops` members: leaving one out is what makes the kernel answer `EOPNOTSUPP`.
 */
export interface EthtoolDevice {
  /** The interface name (`dev->name`), at most 15 characters. */
  readonly name: string;
  /** `dev->ifindex`, positive and unique in the system. Orders wildcard dumps. */
  readonly ifindex: number;
  /**
   * Alternative names (`ip link property add altname`). Since Linux 5.5 `__dev_get_by_name` finds a
   * device by any of them (net/core/dev.c `netdev_name_node_lookup`); the ioctl path can only pass
   * 15 characters, the netlink path up to 127.
   */
  readonly altNames?: readonly string[];
  /**
   * `netif_device_present()`: false while the driver has detached the device (netvsc between
   * `netif_device_detach` and `netif_device_attach`); every ethtool operation then fails with ENODEV.
   */
  readonly present: boolean;
  /**
   * `ethtool_ops->get_channels`. Returns the device's current counts; fields the driver does not
   * write must be 0 (the core zero-fills the struct first). Absent ⇒ the device has no channel support.
   */
  getChannels?(): EthtoolChannels;
  /**
   * `ethtool_ops->set_channels`, synchronous: the driver applies the whole change (for netvsc the
   * detach/attach through the simulated rings) before returning. Receives the complete new struct
   * (current values for fields the user did not give; `max_*` as last reported). Returns 0 or an
   * errno name. Called only after the core's checks pass and something changed.
   */
  setChannels?(channels: EthtoolChannels): 0 | Errno;
  /** `netif_is_rxfh_configured()`: the user set an RSS indirection table (`ethtool -X`). */
  readonly rxfhConfigured?: boolean;
  /** `ethtool_ops->get_rxfh_indir_size`; 0 means no indirection table (netvsc without RSS). */
  getRxfhIndirSize?(): number;
  /** `ethtool_ops->get_rxfh` (indirection part): the table entries, or an errno. */
  getRxfh?(): readonly number[] | Errno;
  /** Queue indices that have an AF_XDP zero-copy socket bound (`xsk_get_pool_from_qid()` non-NULL). */
  xskPoolQueues?(): readonly number[];
  /** `ethtool_ops->get_rxnfc(ETHTOOL_GRXRINGS)`: the number of RX rings, or an errno. Absent ⇒ EOPNOTSUPP. */
  getRxRings?(): number | Errno;
  /** `ethtool_ops->get_rxfh_key_size` (0 ⇒ no key). */
  getRxfhKeySize?(): number;
  /**
   * `ethtool_ops->get_rxfh` in full: the indirection table (`get_rxfh_indir_size` entries), the
   * hash key (`get_rxfh_key_size` bytes) and the hash function bit set (ETH_RSS_HASH_TOP = 1…), or an errno.
   */
  getRxfhConfig?(): EthtoolRxfhConfig | Errno;
  /**
   * `ethtool_ops->set_rxfh`, synchronous (for netvsc: the RSS SETs over the simulated rings).
   * `indir` null ⇒ table unchanged; `key` null ⇒ key unchanged; `hfunc` 0 ⇒ ETH_RSS_HASH_NO_CHANGE.
   */
  setRxfh?(indir: readonly number[] | null, key: Uint8Array | null, hfunc: number): 0 | Errno;
  /** The core sets or clears IFF_RXFH_CONFIGURED in `dev->priv_flags` after a successful set_rxfh. */
  setRxfhConfigured?(configured: boolean): void;
  /** `get_sset_count(ETH_SS_STATS)` + `get_strings(ETH_SS_STATS)`: the statistics names, or an errno. */
  getStatsStrings?(): readonly string[] | Errno;
  /** `get_ethtool_stats`: one u64 per name of {@link getStatsStrings}, in the same order. */
  getEthtoolStats?(): readonly bigint[];
}

/** A network namespace: what `__dev_get_by_name` and the wildcard dump iterate over. */
export interface EthtoolSystem {
  /** `__dev_get_by_name()`: the device whose `name` or one of whose `altNames` equals `name` exactly. */
  lookup(name: string): EthtoolDevice | undefined;
  /** Every device of the namespace, in any order (the dump orders them as the kernel does). */
  devices(): Iterable<EthtoolDevice>;
  /** The caller holds CAP_NET_ADMIN over the namespace (default true: ethtool run as root). */
  readonly capNetAdmin?: boolean;
  /**
   * `rtnl_lock()`, called where the kernel takes RTNL for the command (net/ethtool/ioctl.c
   * `dev_ethtool`, net/ethtool/netlink.c `ethnl_default_doit`/`ethnl_default_dumpit`,
   * net/ethtool/channels.c `ethnl_set_channels`). It returns once the lock could be had; a system
   * in which it never can (a driver flow holds it and waits forever) throws, as the command would
   * hang. The kernel core does not hold it afterwards: the driver's operations take it themselves.
   */
  rtnlLock?(): void;
}

/**
 * A small in-memory {@link EthtoolSystem} over a list of devices (for tests and simple hosts). The
 * simulated VM can use it or implement the interface directly.
 */
export function staticSystem(devices: Iterable<EthtoolDevice>, options: { capNetAdmin?: boolean } = {}): EthtoolSystem {
  const list = [...devices];
  return {
    lookup: (name) => list.find((d) => d.name === name) ?? list.find((d) => d.altNames?.includes(name) === true),
    devices: () => list,
    capNetAdmin: options.capNetAdmin ?? true,
  };
}
