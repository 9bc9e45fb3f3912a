/**
 * Floor 3: the protocols inside VMBus packets — NVSP (all versions), RNDIS, OIDs, NDIS objects and
 * per-packet info. Pure codecs and constants, no state.
 * @module
 */
export * from './nvsp.js';
export * from './oids.js';
export * from './rndis.js';
export * from './rndis-builders.js';
export * from './ndis.js';
export * from './ppi.js';
