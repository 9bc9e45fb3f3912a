/**
 * Floor 5 (host side): the simulated Hyper-V NetVSP — the host end of the synthetic NIC, behaving
 * like Hyper-V's and openvmm's NetVSP, talking to the guest only through VMBus channels. It never
 * imports the guest. Every export is prefixed `netvsp`/`Netvsp`/`NETVSP_` (the host's name for
 * itself) so the package index can re-export it next to the guest's `netvsc` names.
 * @module
 */
export {
  NETVSP_DEFAULT_INSTANCE,
  NETVSP_MAX_QUEUES,
  NETVSP_SEND_SECTION_SIZE,
  nvspVersionsUpTo,
  resolveNetvspConfig,
  type NetvspCompletionMatch,
  type NetvspConfig,
  type NetvspFaults,
  type NetvspRescindFault,
  type NetvspRuntimeConfig,
  type NetvspSubchannelGrant,
  type NetvspSubchannelPolicy,
  type NetvspTxFrame,
  type ResolvedNetvspConfig,
} from './config.js';
export { newNetvspCounters, type NetvspCounters, type NetvspEvent, type NetvspEventKind, type NetvspQueueCounters } from './log.js';
export { netvspBuildFrame, netvspParseFrame, type NetvspFrameSpec, type NetvspParsedFrame } from './frame.js';
export {
  NETVSP_DEFAULT_NDIS_MTU,
  NETVSP_MAX_NDIS_MTU,
  NETVSP_RX_FOOTER_LEN,
  NETVSP_RX_HEADER_LEN,
  NETVSP_RX_RESERVED_CONTROL_SECTIONS,
  NetvspRxSections,
  netvspRxSectionsPerQueue,
  netvspSubAllocationSize,
} from './rx-buffer.js';
export {
  NETVSP_LSO_MAX_OFFLOAD_SIZE,
  NETVSP_LSO_MIN_SEGMENT_COUNT,
  NETVSP_MAC_OPTIONS,
  netvspFrameSize,
  netvspFullOffload,
  netvspOffloadObject,
  netvspQueryOid,
  netvspRssCapabilities,
  netvspSetOid,
  type NetvspOffloadConfig,
  type NetvspOidEnv,
  type NetvspOidResult,
  type NetvspRndisState,
  type NetvspRssState,
} from './rndis-oids.js';
export {
  createNetvspHost,
  NetvspHost,
  type NetvspCheckpoint,
  type NetvspHostState,
  type NetvspInjectOptions,
  type NetvspPhase,
  type NetvspRxResult,
} from './netvsp.js';
