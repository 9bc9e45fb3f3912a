/**
 * Jazzer.js-compatible entry point of the `guest-path` fuzz target (see {@link GuestPathTarget}): a fresh system for
 * every input, so each finding replays by itself. `npx jazzer dist/testing/fuzz-guest-path.js`.
 * @module
 */
import { GuestPathTarget } from './fuzz-targets.js';

const target = new GuestPathTarget(1);

/** Runs one input; throws on a finding. */
export function fuzz(data: Uint8Array): void {
  target.fuzz(data);
}
