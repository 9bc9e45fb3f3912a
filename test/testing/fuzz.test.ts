/**
 * The fuzz harness: its input format, mutator and minimizer, and a short deterministic run of every
 * target (a few hundred inputs in all; the long campaigns are `npm run fuzz`).
 */
import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import {
  FUZZ_TARGET_NAMES,
  FuzzHangError,
  FuzzTargetBase,
  createFuzzTarget,
  encodeFuzzRecords,
  fuzzRecords,
  minimizeFuzzInput,
  mutateFuzzInput,
  replayFuzzInput,
  runFuzzCampaign,
  type FuzzRecord,
} from '../../src/testing/index.js';
import { fuzz as hostControlFuzz } from '../../src/testing/fuzz-host-control.js';

/** A deterministic clock: the campaign's length is set by `maxExecs`, never by the machine's speed. */
const fakeClock = () => {
  let t = 0;
  return () => (t += 0.001);
};

/** A toy target that fails when a record with tag 7 carries the bytes "BC" (one bit from its dictionary's "BA"). */
class ToyTarget extends FuzzTargetBase<{ n: number }> {
  readonly name = 'toy';
  readonly description = 'test double';
  readonly generator = fc.uint8Array({ maxLength: 16 });
  constructor() {
    super(4);
  }
  protected build() {
    return { n: 0 };
  }
  dictionary() {
    return [encodeFuzzRecords([{ tag: 7, bytes: new TextEncoder().encode('BA') }])];
  }
  protected runRecords(w: { n: number }, records: FuzzRecord[]): void {
    for (const r of records) {
      w.n++;
      this.see(`tag:${r.tag & 7}`);
      if ((r.tag & 7) === 7 && new TextDecoder().decode(r.bytes).startsWith('BC')) throw new Error('toy: BC seen');
      if (r.tag === 0xee && r.bytes[0] === 0x48) throw new FuzzHangError('toy: hang');
    }
  }
}

describe('fuzz input format', () => {
  it('records round-trip and never throw on any bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ tag: fc.nat(255), bytes: fc.uint8Array({ maxLength: 40 }) }), { maxLength: 8 }), (rs) => {
        const back = fuzzRecords(encodeFuzzRecords(rs));
        expect(back.map((r) => [r.tag, [...r.bytes]])).toEqual(rs.map((r) => [r.tag, [...r.bytes]]));
      }),
      { numRuns: 100 },
    );
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => fuzzRecords(b).every((r) => r.bytes.length <= b.length)), { numRuns: 200 });
  });

  it('mutations are deterministic for a seed', () => {
    const rng = (s: number) => ({ below: (n: number) => (n <= 1 ? 0 : (s = (s * 1103515245 + 12345) >>> 0) % n) });
    const d = [encodeFuzzRecords([{ tag: 1, bytes: Uint8Array.of(1, 2, 3) }])];
    const a = Array.from({ length: 50 }, (_, i) => [...mutateFuzzInput(Uint8Array.of(0, 4, 0, 9, 9, 9, 9), rng(i), d)]);
    const b = Array.from({ length: 50 }, (_, i) => [...mutateFuzzInput(Uint8Array.of(0, 4, 0, 9, 9, 9, 9), rng(i), d)]);
    expect(a).toEqual(b);
    expect(new Set(a.map((x) => x.join())).size).toBeGreaterThan(10);
  });
});

describe('campaign machinery on a toy target', () => {
  it('finds the planted bug, confirms it on a fresh system and minimizes it to one record', () => {
    const t = new ToyTarget();
    const r = runFuzzCampaign(t, { seconds: 1e9, maxExecs: 20_000, seed: 3, now: fakeClock() });
    const crash = r.findingList.find((f) => f.message.includes('BC'));
    expect(crash, JSON.stringify(r.findingList.map((f) => f.message))).toBeDefined();
    const recs = fuzzRecords(crash!.input);
    expect(recs).toHaveLength(1);
    expect(new TextDecoder().decode(recs[0]!.bytes)).toBe('BC');
    expect(replayFuzzInput(t, crash!.input)?.message).toBe('toy: BC seen');
  });

  it('classifies hangs and shrinks by records', () => {
    const t = new ToyTarget();
    const input = encodeFuzzRecords([{ tag: 1, bytes: Uint8Array.of(1) }, { tag: 0xee, bytes: Uint8Array.of(0x48, 2, 3, 4) }, { tag: 2, bytes: new Uint8Array(9) }]);
    const min = minimizeFuzzInput(t, input, 'FuzzHangError: toy: hang');
    expect(fuzzRecords(min)).toEqual([{ tag: 0xee, bytes: Uint8Array.of(0x48) }]);
    expect(replayFuzzInput(t, min)).toBeInstanceOf(FuzzHangError);
  });
});

describe('every target on a few hundred inputs', () => {
  const execs: Record<string, number> = { 'host-control': 300, 'host-rss': 150, 'channel-messages': 120, interop: 30 };
  for (const name of ['host-control', 'host-rss', 'channel-messages', 'interop'] as const) {
    it(`${name}: ${execs[name]} inputs (mutated and generated), no finding`, () => {
      const t = createFuzzTarget(name);
      const r = runFuzzCampaign(t, { seconds: 1e9, maxExecs: execs[name]!, seed: 1, now: fakeClock(), generatedShare: 0.1 });
      expect(r.findingList.map((f) => `${f.message}`)).toEqual([]);
      expect(r.execs).toBe(execs[name]);
      expect(r.kinds).toBeGreaterThan(3);
    });
  }

  it('guest-path: 40 generated inputs, no finding', () => {
    const t = createFuzzTarget('guest-path');
    const inputs = fc.sample(t.generator, { seed: 5, numRuns: 40 });
    for (const i of inputs) expect(() => t.fuzz(i)).not.toThrow();
    expect(t.kinds.size).toBeGreaterThan(3);
  });

  it('ring-control: 40 corruptions of interrupt mask, pending send size and feature bits; escapes only as known hangs', () => {
    // Corrupting read_index/write_index is left to `npm run fuzz`: those findings are open (docs/testing.md).
    const t = createFuzzTarget('ring-control');
    const inputs = fc.sample(
      fc.array(fc.tuple(fc.nat(15), fc.constantFrom(2, 3, 4), fc.nat(0xffffffff)), { minLength: 1, maxLength: 4 }).map((rs) =>
        encodeFuzzRecords(rs.map(([tag, word, v]) => ({ tag, bytes: Uint8Array.of(word, v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24) }))),
      ),
      { seed: 2, numRuns: 40 },
    );
    const errors = new Set<string>();
    for (const i of inputs) {
      try {
        t.fuzz(i);
      } catch (e) {
        t.reset();
        errors.add(e instanceof Error ? e.name : String(e));
      }
    }
    expect([...errors].filter((e) => e !== 'FuzzHangError')).toEqual([]);
    expect(t.kinds.size).toBeGreaterThan(0);
  });

  it('the Jazzer-style entry point takes any bytes', () => {
    for (const b of fc.sample(fc.uint8Array({ maxLength: 64 }), { seed: 9, numRuns: 20 })) expect(() => hostControlFuzz(b)).not.toThrow();
  });

  it('names every target', () => {
    expect(FUZZ_TARGET_NAMES).toHaveLength(6);
    expect(() => createFuzzTarget('nope')).toThrow(/unknown fuzz target/);
  });
});

describe('runWithin', () => {
  it('with a horizon, a timer re-arming itself seconds apart is waiting; an event storm within it is a hang', async () => {
    const { createBus } = await import('../../src/vmbus/bus.js');
    const { runWithin, FUZZ_HORIZON_NS } = await import('../../src/testing/fuzz-core.js');
    const timer = createBus({ seed: 1 });
    const tick = () => void timer.scheduler.schedule(2e9, tick, 'retry');
    tick();
    expect(runWithin(timer, 1000, 'timer', FUZZ_HORIZON_NS)).toBe(5);
    expect(timer.scheduler.now).toBe(10e9);
    expect(timer.scheduler.pending).toBe(1);
    expect(() => runWithin(timer, 1000, 'timer')).toThrow(FuzzHangError);
    const storm = createBus({ seed: 1 });
    const spin = () => void storm.scheduler.schedule(0, spin, 'spin');
    spin();
    expect(() => runWithin(storm, 1000, 'storm', FUZZ_HORIZON_NS)).toThrow(/still busy after 1000 scheduler events within 10 virtual seconds/);
    // idle: returns at once and leaves the clock where it was
    const idle = createBus({ seed: 1 });
    expect(runWithin(idle, 1000, 'idle', FUZZ_HORIZON_NS)).toBe(0);
    expect(idle.scheduler.now).toBe(0);
  });
});
