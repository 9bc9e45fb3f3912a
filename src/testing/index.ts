/**
 * `netvsc-sim/testing`: what users import to test their own drivers and tools against netvsc-sim —
 * the round-trip helper every codec is run through, and fast-check arbitraries derived from the
 * wire declarations. Needs `fast-check` (a peer dependency).
 * @module
 */
export * from './roundtrip.js';
export * from './arbitraries.js';
export * from './messages.js';
