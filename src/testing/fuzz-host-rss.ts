/**
 * Jazzer.js-compatible entry point of the `host-rss` fuzz target (see {@link HostRssTarget}): a fresh system for
 * every input, so each finding replays by itself. `npx jazzer dist/testing/fuzz-host-rss.js`.
 * @module
 */
import { HostRssTarget } from './fuzz-targets.js';

const target = new HostRssTarget(1);

/** Runs one input; throws on a finding. */
export function fuzz(data: Uint8Array): void {
  target.fuzz(data);
}
