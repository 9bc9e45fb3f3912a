/**
 * Floor 2: VMBus — ring buffers, packet framing.
 * @module
 */
export * from './ring.js';
export * from './packet.js';
