/**
 * Jazzer.js-compatible entry point of the `host-control` fuzz target (see {@link HostControlTarget}): every input
 * runs on a system equivalent to a fresh one (restored after each input, rebuilt when it cannot be), so each
 * finding replays by itself. `npx jazzer dist/testing/fuzz-host-control.js`.
 * @module
 */
import { HostControlTarget } from './fuzz-targets.js';

const target = new HostControlTarget(1);

/** Runs one input; throws on a finding. */
export function fuzz(data: Uint8Array): void {
  target.fuzz(data);
}
