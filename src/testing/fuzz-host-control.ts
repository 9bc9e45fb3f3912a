/**
 * Jazzer.js-compatible entry point of the `host-control` fuzz target (see {@link HostControlTarget}): a fresh system for
 * every input, so each finding replays by itself. `npx jazzer dist/testing/fuzz-host-control.js`.
 * @module
 */
import { HostControlTarget } from './fuzz-targets.js';

const target = new HostControlTarget(1);

/** Runs one input; throws on a finding. */
export function fuzz(data: Uint8Array): void {
  target.fuzz(data);
}
