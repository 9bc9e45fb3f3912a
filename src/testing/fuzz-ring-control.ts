/**
 * Jazzer.js-compatible entry point of the `ring-control` fuzz target (see {@link RingControlTarget}): a fresh system for
 * every input, so each finding replays by itself. `npx jazzer dist/testing/fuzz-ring-control.js`.
 * @module
 */
import { RingControlTarget } from './fuzz-targets.js';

const target = new RingControlTarget(1);

/** Runs one input; throws on a finding. */
export function fuzz(data: Uint8Array): void {
  target.fuzz(data);
}
