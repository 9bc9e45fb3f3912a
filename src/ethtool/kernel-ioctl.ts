/**
 * The kernel side of `ioctl(fd, SIOCETHTOOL, &ifr)` for the channel commands, over the bytes of
 * `struct ethtool_channels` that user space passes in `ifr_data`.
 *
 * Linux 6.1 (net/core/dev_ioctl.c `dev_ioctl`, net/ethtool/ioctl.c `dev_ethtool`, `__dev_ethtool`,
 * `ethtool_get_channels`, `ethtool_set_channels`) and a 2015 kernel (4.2: the device-present check
 * sits with the lookup, before the privilege check, and `ethtool_set_channels` passes the request
 * straight to the driver).
 * @module
 */
import { struct, u32 } from '../wire/index.js';
import type { EthtoolChannels, EthtoolSystem } from './device.js';
import { zeroChannels } from './device.js';
import type { Errno } from './errno.js';
import type { KernelCore } from './kernel-core.js';
import { checkSetChannels, sameCounts } from './kernel-core.js';

/** `struct ethtool_channels` (include/uapi/linux/ethtool.h): 36 bytes. */
export const ethtoolChannelsStruct = struct('ethtool_channels', [
  u32('cmd'),
  u32('max_rx'),
  u32('max_tx'),
  u32('max_other'),
  u32('max_combined'),
  u32('rx_count'),
  u32('tx_count'),
  u32('other_count'),
  u32('combined_count'),
]);

/** `ETHTOOL_GCHANNELS` ioctl command 0x3c: get channel counts (uapi ethtool.h). */
export const ETHTOOL_GCHANNELS = 0x3c;
/** `ETHTOOL_SCHANNELS` ioctl command 0x3d: set channel counts (uapi ethtool.h). */
export const ETHTOOL_SCHANNELS = 0x3d;

/** Options of the simulated ioctl. */
export interface IoctlOptions {
  /** Which kernel's core (default Linux 6.1). */
  readonly core?: KernelCore;
  /** The caller holds CAP_NET_ADMIN (default: the system's `capNetAdmin`, else true). */
  readonly capNetAdmin?: boolean;
}

/** Packs a command word and channel counts into the 36 bytes user space hands to the ioctl. */
export function encodeEthtoolChannels(cmd: number, ch: EthtoolChannels): Uint8Array {
  return ethtoolChannelsStruct.encode({ cmd, ...ch });
}

/** Reads the counts back out of the 36 bytes. */
export function decodeEthtoolChannels(buf: Uint8Array): EthtoolChannels & {
  /** `ethtool_channels.cmd`, the first u32: {@link ETHTOOL_GCHANNELS} (0x3c) or {@link ETHTOOL_SCHANNELS} (0x3d) for a well-formed request. */
  cmd: number;
} {
  return ethtoolChannelsStruct.decode(buf, 0);
}

/**
 * `dev_ioctl(SIOCETHTOOL)` for GCHANNELS and SCHANNELS. `ifrName` is `ifr.ifr_name` (ethtool never
 * passes more than 15 bytes); `data` is the user buffer `ifr_data` points at. GCHANNELS writes the
 * result into `data`. Returns 0 or the errno the ioctl fails with. Other commands answer EOPNOTSUPP.
 */
export function ethtoolIoctl(system: EthtoolSystem, ifrName: string, data: Uint8Array, options: IoctlOptions = {}): 0 | Errno {
  const core = options.core ?? 'linux-6.1';
  const cap = options.capNetAdmin ?? system.capNetAdmin ?? true;
  // dev_ioctl: an alias suffix ("eth0:1") is cut off before the lookup.
  const colon = ifrName.indexOf(':');
  const name = colon >= 0 ? ifrName.slice(0, colon) : ifrName;

  const readCmd = (): number | undefined => (data.length >= 4 ? new DataView(data.buffer, data.byteOffset, 4).getUint32(0, true) : undefined);

  let cmd: number | undefined;
  if (core === 'linux-6.1') {
    // dev_ethtool reads the command word before taking RTNL and looking up the device.
    cmd = readCmd();
    if (cmd === undefined) return 'EFAULT';
  }
  // dev_ethtool (6.1) / dev_ioctl (4.2) hold RTNL from here on, the lookup included
  system.rtnlLock?.();
  const dev = system.lookup(name);
  if (!dev) return 'ENODEV';
  if (core === 'linux-4.2') {
    if (!dev.present) return 'ENODEV';
    cmd = readCmd();
    if (cmd === undefined) return 'EFAULT';
  }
  // Only a list of read commands (GCHANNELS among them) is allowed without CAP_NET_ADMIN.
  if (cmd !== ETHTOOL_GCHANNELS && !cap) return 'EPERM';
  if (core === 'linux-6.1' && !dev.present) return 'ENODEV';

  if (cmd === ETHTOOL_GCHANNELS) {
    if (!dev.getChannels) return 'EOPNOTSUPP';
    const ch = { ...zeroChannels(), ...dev.getChannels() };
    if (data.length < ethtoolChannelsStruct.size) return 'EFAULT';
    ethtoolChannelsStruct.encode({ cmd: ETHTOOL_GCHANNELS, ...ch }, data, 0);
    return 0;
  }
  if (cmd === ETHTOOL_SCHANNELS) {
    if (core === 'linux-4.2') {
      if (!dev.setChannels) return 'EOPNOTSUPP';
      if (data.length < ethtoolChannelsStruct.size) return 'EFAULT';
      const { cmd: _c, ...req } = decodeEthtoolChannels(data);
      return dev.setChannels(req);
    }
    if (!dev.setChannels || !dev.getChannels) return 'EOPNOTSUPP';
    if (data.length < ethtoolChannelsStruct.size) return 'EFAULT';
    const { cmd: _c, ...req } = decodeEthtoolChannels(data);
    const cur = { ...zeroChannels(), ...dev.getChannels() };
    if (sameCounts(req, cur)) return 0;
    const refusal = checkSetChannels(dev, req, cur, 'ioctl');
    if (refusal) return refusal.errno;
    return dev.setChannels(req);
  }
  return 'EOPNOTSUPP';
}
