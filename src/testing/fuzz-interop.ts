/**
 * Jazzer.js-compatible entry point of the `interop` fuzz target (see {@link InteropTarget}): a fresh system for
 * every input, so each finding replays by itself. `npx jazzer dist/testing/fuzz-interop.js`.
 * @module
 */
import { InteropTarget } from './fuzz-targets.js';

const target = new InteropTarget(1);

/** Runs one input; throws on a finding. */
export function fuzz(data: Uint8Array): void {
  target.fuzz(data);
}
