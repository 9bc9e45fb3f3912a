/**
 * `ethtool -S DEVNAME` (`--statistics`) as ethtool 6.1 runs it without group arguments: the ioctl
 * path (6.1's `nl_gstats_chk` sends only `-S … --groups/--all-groups` over netlink), i.e.
 * ETHTOOL_GSSET_INFO for the number of ETH_SS_STATS strings, ETHTOOL_GSTRINGS, ETHTOOL_GSTATS, and
 * the `NIC statistics:` listing. Written from a reading of ethtool v6.1 (ethtool.c `do_gstats`,
 * `get_stringset`, `do_gnicstats`; netlink/stats.c `nl_gstats_chk`) and Linux 6.1.192
 * (net/ethtool/ioctl.c `ethtool_get_sset_info`, `ethtool_get_strings`, `ethtool_get_stats`,
 * `ethtool_sprintf`).
 * @module
 */
import type { EthtoolSystem } from './device.js';
import { type Errno, isErrno, strerror } from './errno.js';
import type { OutputLog } from './output.js';
import { ethtoolIoctlDevice, type RxfhKernelOptions } from './rxfh.js';

/** `ETH_GSTRING_LEN`: a string slot; the kernel's vsnprintf keeps at most 31 characters. */
export const ETH_GSTRING_LEN = 32;

/**
 * ETHTOOL_GSSET_INFO for ETH_SS_STATS: the count, or 0 when the driver has none or fails (the
 * kernel then clears the set's bit and the ioctl itself succeeds).
 */
export function kernelStatsCount(system: EthtoolSystem, name: string, options: RxfhKernelOptions = {}): number | Errno {
  const dev = ethtoolIoctlDevice(system, name, false, options);
  if (isErrno(dev)) return dev;
  const names = dev.getStatsStrings?.();
  return names === undefined || isErrno(names) ? 0 : names.length;
}

/** ETHTOOL_GSTRINGS for ETH_SS_STATS: the names as the kernel stores them (truncated to 31 characters). */
export function kernelStatsStrings(system: EthtoolSystem, name: string, options: RxfhKernelOptions = {}): readonly string[] | Errno {
  const dev = ethtoolIoctlDevice(system, name, false, options);
  if (isErrno(dev)) return dev;
  const names = dev.getStatsStrings ? dev.getStatsStrings() : 'EOPNOTSUPP';
  if (isErrno(names)) return names;
  return names.map((n) => n.slice(0, ETH_GSTRING_LEN - 1));
}

/** ETHTOOL_GSTATS: `n` values (zeros past what the driver filled), or an errno. */
export function kernelStats(system: EthtoolSystem, name: string, n: number, options: RxfhKernelOptions = {}): readonly bigint[] | Errno {
  const dev = ethtoolIoctlDevice(system, name, false, options);
  if (isErrno(dev)) return dev;
  if (!dev.getEthtoolStats || !dev.getStatsStrings) return 'EOPNOTSUPP';
  const names = dev.getStatsStrings();
  if (isErrno(names)) return names;
  // a count that no longer matches makes the kernel return no values (n_stats 0): the user buffer stays zeroed
  if (n !== names.length) return new Array<bigint>(n).fill(0n);
  const v = dev.getEthtoolStats();
  return Array.from({ length: n }, (_, i) => BigInt.asUintN(64, v[i] ?? 0n));
}

/** What `do_gnicstats` needs from ethtool's main(). */
export interface StatsCtx {
  readonly sys: EthtoolSystem;
  readonly out: OutputLog;
  readonly kernel: RxfhKernelOptions;
  badArgs(): never;
}

/** ethtool 6.1 `do_gnicstats` → `do_gstats(ETHTOOL_GSTATS, ETH_SS_STATS, "NIC")`. Returns the exit status. */
export function doGnicstats(ctx: StatsCtx, devname: string, args: readonly string[]): number {
  if (args.length !== 0) ctx.badArgs();
  const count = kernelStatsCount(ctx.sys, devname, ctx.kernel);
  let names: readonly string[] | Errno = [];
  if (isErrno(count)) names = count;
  else if (count !== 0) names = kernelStatsStrings(ctx.sys, devname, ctx.kernel);
  if (isErrno(names)) {
    ctx.out.err(`Cannot get stats strings information: ${strerror(names)}\n`);
    return 96;
  }
  if (names.length < 1) {
    ctx.out.err('no stats available\n');
    return 94;
  }
  const values = kernelStats(ctx.sys, devname, names.length, ctx.kernel);
  if (isErrno(values)) {
    ctx.out.err(`Cannot get stats information: ${strerror(values)}\n`);
    return 97;
  }
  let s = 'NIC statistics:\n';
  for (let i = 0; i < names.length; i++) s += `     ${names[i]}: ${values[i]}\n`;
  ctx.out.out(s);
  return 0;
}
