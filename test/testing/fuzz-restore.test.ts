/**
 * The host-control fuzz target restores its world after each input instead of rebuilding it: an
 * input must give the same outcome and the same bytes on a restored world as on a truly fresh one —
 * the error (or none), the host's state and counters, every byte of the rings, receive and send
 * buffers and scratch pages, the bus's time and pending events. Checked for arbitrary inputs after
 * arbitrary earlier inputs (generated, and mutated from the target's dictionary, which reaches
 * `ready` and has subchannels granted: their offers, still to come, are cancelled by the restore).
 */
import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import { createHash } from 'node:crypto';
import { HostControlTarget, mutateFuzzInput, type FuzzRecord } from '../../src/testing/index.js';

interface Outcome {
  readonly error: string | null;
  readonly state: unknown;
  readonly counters: string;
  readonly memory: Record<string, string>;
  readonly bus: { readonly now: number; readonly pending: number };
}

const hash = (b: Uint8Array) => createHash('sha1').update(b).digest('hex');

/** The host-control target, keeping what the world looked like right after each input. */
class Observed extends HostControlTarget {
  last: Outcome | null = null;
  protected override runRecords(w: Parameters<HostControlTarget['runRecords']>[0], records: FuzzRecord[]): void {
    let error: string | null = null;
    try {
      super.runRecords(w, records);
    } catch (e) {
      error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      throw e;
    } finally {
      const g = w.g;
      const rings = g.primary.rings!;
      this.last = {
        error,
        state: g.host.state(),
        counters: JSON.stringify(g.host.counters),
        memory: {
          hostToGuest: hash(rings.inbound.mem),
          guestToHost: hash(rings.outbound.mem),
          recv: hash(w.recv.bytes),
          send: hash(w.send.bytes),
          scratch: hash(w.scratch.bytes),
        },
        bus: { now: g.bus.scheduler.now, pending: g.bus.scheduler.pending },
      };
    }
  }
}

function run(t: Observed, input: Uint8Array): Outcome {
  try {
    t.fuzz(input);
  } catch {
    t.reset();
  }
  return t.last!;
}

const dictionary = new HostControlTarget().dictionary();
const probe = new HostControlTarget();

/** Inputs as a campaign makes them: generated ones, and dictionary entries spliced and mutated. */
const arbInput: fc.Arbitrary<Uint8Array> = fc.oneof(
  probe.generator,
  fc.tuple(fc.array(fc.nat(dictionary.length - 1), { minLength: 1, maxLength: 4 }), fc.nat(), fc.nat(6)).map(([picks, seed, rounds]) => {
    let s = seed >>> 0 || 1;
    const rng = { below: (n: number) => (n <= 1 ? 0 : (s = (Math.imul(s, 1103515245) + 12345) >>> 0) % n) };
    let b: Uint8Array = Uint8Array.from(picks.flatMap((i) => [...dictionary[i]!]));
    for (let i = 0; i < rounds; i++) b = mutateFuzzInput(b, rng, dictionary);
    return b;
  }),
);

describe('host-control: a restored world is a fresh world', () => {
  const restored = new Observed();

  it('an input after earlier inputs gives the outcome and the bytes it gives on a fresh world', () => {
    let restoredRuns = 0;
    fc.assert(
      fc.property(fc.array(arbInput, { maxLength: 4 }), arbInput, (before, input) => {
        for (const b of before) run(restored, b);
        const r0 = restored.restores;
        const onRestored = run(restored, input);
        if (restored.restores > r0) restoredRuns++;
        const onFresh = run(new Observed(), input);
        expect(onRestored).toEqual(onFresh);
      }),
      { numRuns: 200, seed: 20261207 },
    );
    // nearly every input ran on a restored world (the first after a failure runs on a rebuilt one)
    expect(restoredRuns).toBeGreaterThan(150);
  });

  it('a granted subchannel request leaves offers to come, which the restore cancels', () => {
    const t = new Observed();
    const bringUp = dictionary[dictionary.length - 1]!;
    run(t, bringUp);
    expect(t.last!.state).toMatchObject({ phase: 'ready', rndis: 'operational' });
    const request = dictionary.find((d) => d.length > 3 && d[3] === 133)!; // NVSP_MSG5_TYPE_SUBCHANNEL
    const input = Uint8Array.from([...bringUp, ...request]);
    run(t, input);
    expect(t.last!.state).toMatchObject({ queues: 4, subchannelsOffered: [] });
    expect(t.last!.bus.pending).toBe(3);
    const [b0, r0] = [t.builds, t.restores];
    run(t, bringUp);
    expect([t.builds, t.restores]).toEqual([b0, r0 + 1]);
    expect(t.last!).toEqual(run(new Observed(), bringUp));
    run(t, input);
    expect(t.last!).toEqual(run(new Observed(), input));
  });
});
