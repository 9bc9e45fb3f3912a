/**
 * Reproducers of fuzz findings that were fixed, replayed on every run (fixtures/fuzz-regressions/,
 * named <target>-<kind>-<hash>.bin as `npm run fuzz` saved them).
 * - ring-control crash f966bcc6ccd9: a read_index of 7 in the host→guest ring made the host's ring
 *   pump throw RING_INDEX; the host now stops that channel (fatal RING_CORRUPT) as openvmm does.
 * - ring-control crash fd5924904b79: a write_index past the data area made the guest's transmit
 *   path throw; the guest's send now fails with EIO for that channel.
 * - ring-control hang 4ccf6f87adcc and guest-path hang a10dd6ba7031: the guest's NAPI poll looped
 *   forever over packets that do no NAPI work (a corrupt control page, or an endless stream of
 *   completions); the poll now stops a queue that has seen more packets than its ring can hold.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { createFuzzTarget } from '../../src/testing/fuzz-targets.js';

const dir = new URL('../../fixtures/fuzz-regressions/', import.meta.url);

describe('fuzz findings stay fixed', () => {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.bin'))) {
    const target = file.startsWith('ring-control-') ? 'ring-control' : 'guest-path';
    it(`${file} returns without an exception`, () => {
      const t = createFuzzTarget(target);
      const input = new Uint8Array(readFileSync(new URL(file, dir)));
      expect(() => t.fuzz(input)).not.toThrow();
    });
  }
});
