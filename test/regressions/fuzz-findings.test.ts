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

/**
 * Open findings whose root is in the guest driver (src/guest, not the harness's to change): kept as
 * expected failures, so the suite says so the day they are fixed (then drop `.fails`). Inputs in
 * test/regressions/inputs/, named <target>-<kind>-<hash>.bin as `npm run fuzz` saved them.
 */
describe('open fuzz findings (guest driver): expected to fail until fixed', () => {
  const inputs = new URL('./inputs/', import.meta.url);
  const replay = (target: string, file: string) => createFuzzTarget(target).fuzz(new Uint8Array(readFileSync(new URL(file, inputs))));

  // 15 × [guest→host write_index of channel 0 := 0] then [host→guest write_index of channel 2 :=
  // 0xffffff]: Linux's reader clamps the hostile index and re-reads stale transfer-page packets,
  // which do NAPI work, so every netvsc_poll spends its budget and re-polls; NAPI_POLL_ENDLESS only
  // counts packets within one poll call, so it never trips (Linux would spin the same way).
  it.fails('ring-control hang 6bb047cfb7e6: NAPI re-polls stale transfer pages without end', () => {
    expect(() => replay('ring-control', 'ring-control-hang-6bb047cfb7e6.bin')).not.toThrow();
  });

  // [guest→host write_index of the primary := 8207, not 8-byte aligned]: the guest's sends on it fail
  // with EIO (as intended), but netvsc_poll re-schedules itself whenever sending the receive
  // completions fails, and with EIO that is forever: an event storm at one virtual instant.
  it.fails('ring-control hang bb2e6b8e9df4: NAPI re-polls forever when receive completions fail with EIO', () => {
    expect(() => replay('ring-control', 'ring-control-hang-bb2e6b8e9df4.bin')).not.toThrow();
  });

  // 44 records of hostile host messages ending with 16 raw zero bytes written into queue 0's ring
  // (a descriptor with len8 = 0, which Linux's reader clamps to what is available): the guest then
  // takes stale packets off the ring without end — transfer pages among them, so each netvsc_poll
  // uses its budget and re-polls, and NAPI_POLL_ENDLESS never trips (millions of packets and
  // warnings within one virtual instant when left to run). Same class as 6bb047cfb7e6.
  it.fails('guest-path hang 7a55fd50d893: NAPI re-polls stale ring bytes after a zero-length descriptor', () => {
    expect(() => replay('guest-path', 'guest-path-hang-7a55fd50d893.bin')).not.toThrow();
  });
});
