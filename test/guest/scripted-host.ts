/** The scripted host now lives in the public toolkit (`netvsc-sim/testing`); re-exported for the guest tests. */
export * from '../../src/testing/peers-host.js';
