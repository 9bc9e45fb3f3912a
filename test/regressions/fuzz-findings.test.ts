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
 * - guest-path hang d29f62ffdd6c (inline below): a `set_channels` waiting forever for the hostile
 *   host's answer holds RTNL, so Linux's `netvsc_link_change` (queued by a NETWORK_CHANGE
 *   indication) fails `rtnl_trylock` and re-arms itself every 2 s, forever — as Linux does. The
 *   target counted those timer events toward its hang budget; it now only counts events due within
 *   `FUZZ_HORIZON_NS` of virtual time, so a timer seconds apart is waiting, not hanging.
 * - ring-control hang 6bb047cfb7e6 (a host→guest write_index of 0xffffff) and guest-path hang
 *   7a55fd50d893 (a zero-length descriptor in queue 0's ring): Linux's reader re-reads stale
 *   transfer-page packets, which do NAPI work, so every poll spent its budget and re-polled, and the
 *   per-poll packet bound never tripped. The bound now covers a whole chain of polls that re-schedule
 *   themselves while the host writes nothing new (NAPI_POLL_ENDLESS; the queue stops for good).
 * - ring-control hang bb2e6b8e9df4 (a guest→host write_index of 8207, not 8-byte aligned): sending
 *   the receive completions failed with EIO and netvsc_poll re-polled at once, forever, as Linux
 *   re-polls while they fail. EIO (a corrupt outbound ring) never clears, so the queue now stops
 *   (NAPI_POLL_ENDLESS); a full ring (EAGAIN) re-polls after 1 µs of virtual time so the host can
 *   drain it, bounded by the same chain limit.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { createFuzzTarget, GuestPathTarget } from '../../src/testing/fuzz-targets.js';
import { fuzzRecords } from '../../src/testing/fuzz-core.js';

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

describe('fuzz findings stay fixed (inline reproducers)', () => {
  it('guest-path hang d29f62ffdd6c: a link-change retry timer behind a stuck set_channels is waiting, not a hang', () => {
    // [raw ring bytes, queue 4][driver op 0: set_channels combined 1][INDICATE NETWORK_CHANGE in the receive buffer]
    const input = Uint8Array.from(Buffer.from('2300001d000072140007000000140000000c0001400000000000000000', 'hex'));
    expect(fuzzRecords(input).map((r) => r.tag & 7)).toEqual([3, 5, 2]);
    class Open extends GuestPathTarget {
      open() {
        return this.current();
      }
    }
    const t = new Open();
    expect(() => t.fuzz(input)).not.toThrow();
    // the retry is still armed: Linux keeps trying every 2 s
    const w = t.open();
    expect(w.bus.scheduler.pending).toBeGreaterThan(0);
    expect(w.bus.scheduler.peekTime()! - w.bus.scheduler.now).toBeGreaterThan(1e9);
  });
});
