/**
 * Floor 1: wire structs. Declare a struct once, derive decoder, encoder, size and offset table.
 * @module
 */
export * from './errors.js';
export * from './guid.js';
export * from './struct.js';
