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
  max_rx: number;
  max_tx: number;
  max_other: number;
  max_combined: number;
  rx_count: number;
  tx_count: number;
  other_count: number;
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
  getRxfhConfig?(): { readonly indir: readonly number[]; readonly key: Uint8Array; readonly hfunc: number } | Errno;
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
