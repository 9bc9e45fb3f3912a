/**
 * The checks the kernel's ethtool core runs before it lets a driver change its channel counts, as
 * pure functions over {@link EthtoolDevice}. Both paths run the same checks in the same order
 * (Linux 6.1: net/ethtool/ioctl.c `ethtool_set_channels`, net/ethtool/channels.c
 * `ethnl_set_channels`, net/ethtool/common.c `ethtool_get_max_rxfh_channel`); they differ in how a
 * failure is reported (netlink adds an extended-ack message and blames an attribute) and in a few
 * integer widths, which are parameters here.
 * @module
 */
import type { ChannelKind, EthtoolChannels, EthtoolDevice } from './device.js';
import type { Errno } from './errno.js';
import { isErrno } from './errno.js';

/** Which kernel's core answers: Linux 6.1 (with the 2016+ bounds checks) or a 2015 kernel (4.2: no checks in the core). */
export type KernelCore = 'linux-6.1' | 'linux-4.2';

/** Extended-ack texts of `ethnl_set_channels` (Linux 6.1.192). */
export const EXTACK = {
  /** A SET_CHANNELS count is above its `max_*`; blames the first such attribute (rx, tx, other, combined order), so ethtool adds ` (offset N)` when that attribute was in the request. EINVAL. */
  exceedsMax: 'requested channel count exceeds maximum',
  /** SET_CHANNELS would leave combined 0 with rx 0 or tx 0; blames the combined attribute if it changed, else rx (then tx). EINVAL. */
  noRxTx: 'requested channel counts would result in no RX or TX channel being configured',
  /** SET_CHANNELS: combined + rx would be at most the highest queue index a user-configured (`ethtool -X`) RSS indirection table uses. No attribute, so no offset. EINVAL. */
  indirTable: 'requested channel counts are too low for existing indirection table settings',
  /** SET_CHANNELS would remove a queue an AF_XDP zero-copy socket is bound to. No attribute, so no offset. EINVAL. */
  xsk: 'requested channel counts are too low for existing zerocopy AF_XDP sockets',
  /** Request header: `ETHTOOL_A_HEADER_DEV_NAME` names no device; blames that attribute (` (offset 24)` in the requests ethtool 6.1 sends). ENODEV. */
  noDeviceName: 'no device matches name',
  /** Request header: `ETHTOOL_A_HEADER_DEV_INDEX` matches no device; blames that attribute. ENODEV. */
  noDeviceIndex: 'no device matches ifindex',
  /** Request header: both ifindex and name given, and the name is not that device's; blames the header nest. ENODEV. */
  nameIndexMismatch: 'ifindex and name do not match',
  /** Request header without ifindex or name on a request that needs a device (not a dump); blames the header nest. EINVAL. */
  noDevice: 'neither ifindex nor name specified',
  /** The request has no `ETHTOOL_A_*_HEADER` nest at all. No offset. EINVAL. */
  headerMissing: 'request header missing',
} as const;

/** Why the core refused a set request. */
export type SetRefusal =
  /** A count above its maximum; `kind` is the first of rx, tx, other, combined (fixed order) that is. */
  | {
      /** The kernel answers -EINVAL (netlink adds {@link EXTACK.exceedsMax}). */
      readonly errno: 'EINVAL';
      /** Discriminant: a requested count exceeds its `max_*`. */
      readonly reason: 'exceeds-max';
      /** The channel kind whose count is too high (the attribute netlink blames). */
      readonly kind: ChannelKind;
    }
  /** combined 0 with rx 0 (`kind` rx) or tx 0 (`kind` tx). */
  | {
      /** The kernel answers -EINVAL (netlink adds {@link EXTACK.noRxTx}). */
      readonly errno: 'EINVAL';
      /** Discriminant: no RX or no TX channel would remain. */
      readonly reason: 'no-rx-tx';
      /** `rx` when rx and combined would both be 0, else `tx`. */
      readonly kind: 'rx' | 'tx';
    }
  /** The indirection table uses a channel at or above combined + rx. */
  | {
      /** The kernel answers -EINVAL (netlink adds {@link EXTACK.indirTable}). */
      readonly errno: 'EINVAL';
      /** Discriminant: the user-configured RSS indirection table would point at a removed channel. */
      readonly reason: 'indir-table';
    }
  /** Reading the indirection table failed (its errno returned as is, without extended ack). */
  | {
      /** What `ethtool_get_max_rxfh_channel` returned: EOPNOTSUPP (no RSS ops or table size 0) or `get_rxfh`'s errno. */
      readonly errno: Errno;
      /** Discriminant: the core could not read the indirection table. */
      readonly reason: 'rxfh-error';
    }
  /** An AF_XDP zero-copy socket is bound to a queue that would go away. */
  | {
      /** The kernel answers -EINVAL (netlink adds {@link EXTACK.xsk}). */
      readonly errno: 'EINVAL';
      /** Discriminant: an AF_XDP zero-copy socket holds a queue the new counts remove. */
      readonly reason: 'xsk';
    };

const u32 = (n: number): number => n >>> 0;

/**
 * `ethtool_get_max_rxfh_channel` (net/ethtool/common.c): the highest queue index in the device's
 * indirection table, or the errno the kernel returns (no ops or size 0 ⇒ EOPNOTSUPP; `get_rxfh`'s error as is).
 */
export function maxRxfhChannel(dev: EthtoolDevice): number | Errno {
  if (!dev.getRxfhIndirSize || !dev.getRxfh) return 'EOPNOTSUPP';
  const size = u32(dev.getRxfhIndirSize());
  if (size === 0) return 'EOPNOTSUPP';
  const table = dev.getRxfh();
  if (isErrno(table)) return table;
  let max = 0;
  // The core reads exactly `size` u32 entries; entries the driver does not fill stay 0.
  for (let i = 0; i < size && i < table.length; i++) max = Math.max(max, u32(table[i]!));
  return max;
}

/**
 * The checks of `ethtool_set_channels` / `ethnl_set_channels` after the "nothing changed" shortcut,
 * in kernel order: maxima, at least one RX and one TX channel, the RSS indirection table (only when
 * the user configured one), AF_XDP zero-copy sockets on queues that would disappear. Returns
 * undefined when the driver may be called.
 *
 * `path` selects the integer widths of the AF_XDP range: the ioctl code computes it in u16, the
 * netlink code in unsigned int. `cur` is what `get_channels` returned before the request was applied.
 */
export function checkSetChannels(dev: EthtoolDevice, next: EthtoolChannels, cur: EthtoolChannels, path: 'ioctl' | 'netlink'): SetRefusal | undefined {
  const n = {
    rx: u32(next.rx_count),
    tx: u32(next.tx_count),
    other: u32(next.other_count),
    combined: u32(next.combined_count),
  };
  // ensure new counts are within the maximums (ioctl.c compares with the current get_channels;
  // channels.c with the same values carried in the struct it filled from get_channels)
  const max = { rx: u32(cur.max_rx), tx: u32(cur.max_tx), other: u32(cur.max_other), combined: u32(cur.max_combined) };
  for (const kind of ['rx', 'tx', 'other', 'combined'] as const) {
    if (n[kind] > max[kind]) return { errno: 'EINVAL', reason: 'exceeds-max', kind };
  }
  // ensure there is at least one RX and one TX channel
  if (n.combined === 0 && n.rx === 0) return { errno: 'EINVAL', reason: 'no-rx-tx', kind: 'rx' };
  if (n.combined === 0 && n.tx === 0) return { errno: 'EINVAL', reason: 'no-rx-tx', kind: 'tx' };
  // the indirection table must not use a channel that would go away (only when user-configured)
  let maxInUse = 0;
  if (dev.rxfhConfigured) {
    const m = maxRxfhChannel(dev);
    if (typeof m === 'string') return { errno: m, reason: 'rxfh-error' };
    maxInUse = m;
  }
  if (u32(n.combined + n.rx) <= maxInUse) return { errno: 'EINVAL', reason: 'indir-table' };
  // zero-copy AF_XDP sockets on queues [combined + min(rx, tx), old combined + max(old rx, old tx))
  const bound = dev.xskPoolQueues?.() ?? [];
  if (bound.length > 0) {
    const narrow = (x: number): number => (path === 'ioctl' ? u32(x) & 0xffff : u32(x));
    const from = narrow(n.combined + Math.min(n.rx, n.tx));
    const to = narrow(u32(cur.combined_count) + Math.max(u32(cur.rx_count), u32(cur.tx_count)));
    if (bound.some((q) => q >= from && q < to)) return { errno: 'EINVAL', reason: 'xsk' };
  }
  return undefined;
}

/** True when the request changes nothing (`ethtool_set_channels`'s early return, the ioctl core). */
export function sameCounts(a: EthtoolChannels, b: EthtoolChannels): boolean {
  return u32(a.rx_count) === u32(b.rx_count) && u32(a.tx_count) === u32(b.tx_count) && u32(a.combined_count) === u32(b.combined_count) && u32(a.other_count) === u32(b.other_count);
}
