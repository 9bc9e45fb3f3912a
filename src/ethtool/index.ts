/**
 * Floor 7: ethtool's channel commands, and (ethtool 6.1) RSS `-x`/`-X` and statistics `-S`. `runEthtool` turns an ethtool command line into the exact
 * stdout, stderr and exit status of real ethtool (6.1 over netlink or ioctl, 6.15 with `--json`,
 * or the 2015-era 4.2), running the kernel ethtool core's checks against devices the simulated VM
 * provides through {@link EthtoolSystem} / {@link EthtoolDevice}. Imports nothing above rss/.
 * @module
 */
export * from './errno.js';
export * from './device.js';
export { strtoul, strtoll, cStrlen, type StrtoResult } from './cnum.js';
export { EXTACK, type KernelCore, type SetRefusal, checkSetChannels, maxRxfhChannel, sameCounts } from './kernel-core.js';
export {
  ETHTOOL_GCHANNELS,
  ETHTOOL_SCHANNELS,
  ethtoolChannelsStruct,
  encodeEthtoolChannels,
  decodeEthtoolChannels,
  ethtoolIoctl,
  type IoctlOptions,
} from './kernel-ioctl.js';
export { ethnlRequest, dumpOrder, type NetlinkKernelOptions } from './kernel-netlink.js';
export * as ethnl from './nlmsg.js';
export { OutputLog, flushOrder, mergeOutput, PIPE_BUFFER_SIZE, type OutputWrite } from './output.js';
export { shellWords, type ShellWords } from './shell-words.js';
export { HELP_4_2, HELP_6_1, HELP_6_15 } from './help-text.js';
export {
  ETH_RXFH_INDIR_NO_CHANGE,
  ETH_RXFH_CONTEXT_ALLOC,
  RSS_HASH_FUNC_NAMES,
  ethtoolIoctlDevice,
  kernelGetRxRings,
  kernelGetRss,
  kernelGetRxfhIndir,
  kernelSetRss,
  kernelSetRxfhIndir,
  rxfhIndirDefault,
  scanHex2,
  type RssGet,
  type RssSet,
  type RxfhKernelOptions,
} from './rxfh.js';
export { ETH_GSTRING_LEN, kernelStatsCount, kernelStatsStrings, kernelStats } from './stats.js';
export {
  runEthtool,
  ethtoolArgv,
  parseU32,
  ETHTOOL_STYLES,
  type EthtoolStyle,
  type RunEthtoolOptions,
  type EthtoolResult,
} from './ethtool.js';
