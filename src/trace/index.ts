/**
 * Traces: decoded records of every VMBus packet and channel message of a simulated VM, as text,
 * JSON lines or a pcapng capture for Wireshark (with `docs/wireshark/netvsc.lua`).
 * @module
 */
export * from './decode.js';
export * from './tracer.js';
export * from './format.js';
export * from './pcapng.js';
export * from './render.js';
