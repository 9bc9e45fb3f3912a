/** The scripted guest now lives in the public toolkit (`netvsc-sim/testing`); re-exported for the host tests. */
export * from '../../src/testing/peers-guest.js';
