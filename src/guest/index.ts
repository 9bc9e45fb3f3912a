/**
 * Floor 5 (guest side): Linux's `hv_netvsc` driver as a state machine over VMBus channels —
 * bring-up, the ethtool channel and RSS operations with detach/attach, the receive and transmit
 * paths, and Linux's checks of what the host sends. Never imports the host model.
 * @module
 */
export * from './errno.js';
export * from './types.js';
export * from './profile.js';
export * from './constants.js';
export { KCompletion, Mutex, WaitQueue, Work, usleepRange } from './kernel.js';
export { NetvscDevice, NetvscChannel, type NetvscDeviceInfo } from './netvsc.js';
export { RndisDevice, RndisRequest, RNDIS_DEV } from './rndis-filter.js';
export {
  NetvscDriver,
  NetvscNetdev,
  registerNetvscDriver,
  ETH_RSS_HASH_NO_CHANGE,
  ETH_RSS_HASH_TOP,
  type NetvscXmitOptions,
  type NetvscXmitResult,
} from './netvsc-drv.js';
