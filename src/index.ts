/**
 * netvsc-sim: a byte-accurate simulator of Hyper-V's synthetic network card as Linux `hv_netvsc`
 * sees it. Every message crosses a VMBus ring as the bytes the kernel lays out.
 *
 * The floors, bottom up: `wire` (struct declarations and codecs), `vmbus` (rings, packets), `rss` (Toeplitz hash,
 * indirection tables).
 * @module
 */
export * from './wire/index.js';
export * from './vmbus/index.js';
export * from './protocol/index.js';
export * from './rss/index.js';
export * from './guest/index.js';
export * from './host/index.js';
export * from './sim/vm.js';
export * from './ethtool/index.js';
export * from './session/vm.js';
export { runTraffic, trafficFlows, formatTrafficReport, parseTrafficArgs, TRAFFIC_MAX_FLOWS, type TrafficArgs, type TrafficOptions, type TrafficReport } from './session/traffic.js';
export * from './trace/index.js';
