/**
 * `netvsc-sim/testing`: what users import to test their own drivers and tools against netvsc-sim —
 * the round-trip helper every codec is run through, and fast-check arbitraries derived from the
 * wire declarations, the scripted peers (a guest to test a host, a host to test a guest), model-based
 * commands for channel reconfiguration, and the fuzz targets with their campaign runner
 * (docs/testing.md). Needs `fast-check` (a peer dependency).
 * @module
 */
export * from './roundtrip.js';
export * from './arbitraries.js';
export * from './messages.js';
export * from './model.js';
export * from './peers-guest.js';
export * from './peers-host.js';
export * from './fuzz-core.js';
export * from './fuzz-targets.js';
export * from './fuzz-campaign.js';
