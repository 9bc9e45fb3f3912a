/**
 * Floor 4: RSS. Toeplitz hash, hash inputs and types, well-known keys, indirection tables and
 * queue selection. Imports nothing above wire/.
 * @module
 */
export * from './toeplitz.js';
export * from './keys.js';
export * from './address.js';
export * from './hash-input.js';
export * from './indirection.js';
