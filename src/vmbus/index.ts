/**
 * Floor 2: VMBus — ring buffers and packet framing; channel-management messages, GUIDs, versions;
 * guest memory and GPADLs; transaction ids; the deterministic scheduler; channels, the hypervisor
 * between the sides, Linux's VMBus driver (guest) and the host's VMBus server, wired by `createBus`.
 * @module
 */
export * from './ring.js';
export * from './packet.js';
export * from './messages.js';
export * from './guids.js';
export * from './versions.js';
export * from './memory.js';
export * from './gpadl.js';
export * from './requestor.js';
export * from './scheduler.js';
export * from './channel.js';
export * from './hypervisor.js';
export * from './linux-vmbus.js';
export * from './vmbus-server.js';
export * from './bus.js';
