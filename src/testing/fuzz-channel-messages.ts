/**
 * Jazzer.js-compatible entry point of the `channel-messages` fuzz target (see {@link ChannelMessagesTarget}): a fresh system for
 * every input, so each finding replays by itself. `npx jazzer dist/testing/fuzz-channel-messages.js`.
 * @module
 */
import { ChannelMessagesTarget } from './fuzz-targets.js';

const target = new ChannelMessagesTarget(1);

/** Runs one input; throws on a finding. */
export function fuzz(data: Uint8Array): void {
  target.fuzz(data);
}
