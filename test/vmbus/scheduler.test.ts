import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import { Completion, Scheduler, SeededRandom, spawn, wait, type BlockingFlow } from '../../src/vmbus/scheduler.js';

function trace(seed: number, ties: 'seeded' | 'fifo' = 'seeded'): string[] {
  const s = new Scheduler({ seed, ties });
  const out: string[] = [];
  for (let i = 0; i < 8; i++) s.schedule(0, () => out.push(`a${i}@${s.now}`));
  s.schedule(5, () => {
    out.push(`b@${s.now}`);
    s.schedule(0, () => out.push(`c@${s.now}`));
    s.schedule(1, () => out.push(`d@${s.now}`));
  });
  s.run();
  return out;
}

describe('scheduler', () => {
  it('runs events in virtual-time order and advances the clock only through events', () => {
    const s = new Scheduler();
    const out: number[] = [];
    s.schedule(30, () => out.push(s.now));
    s.schedule(10, () => out.push(s.now));
    s.schedule(20, () => out.push(s.now));
    expect(s.now).toBe(0);
    expect(s.run()).toBe(3);
    expect(out).toEqual([10, 20, 30]);
    expect(s.now).toBe(30);
  });

  it('the same seed gives the same order of same-instant events', () => {
    expect(trace(42)).toEqual(trace(42));
  });

  it('different seeds explore different orders', () => {
    const orders = new Set([1, 2, 3, 4, 5, 6].map((s) => trace(s).join()));
    expect(orders.size).toBeGreaterThan(1);
  });

  it('fifo ties run same-instant events in scheduling order', () => {
    expect(trace(9, 'fifo').slice(0, 8)).toEqual(Array.from({ length: 8 }, (_, i) => `a${i}@0`));
  });

  it('cancelled events do not run', () => {
    const s = new Scheduler();
    let ran = false;
    const id = s.schedule(5, () => (ran = true));
    expect(s.cancel(id)).toBe(true);
    expect(s.cancel(id)).toBe(false);
    s.run();
    expect(ran).toBe(false);
    expect(s.pending).toBe(0);
  });

  it('run({ until }) stops before later events and moves the clock to until', () => {
    const s = new Scheduler();
    const out: number[] = [];
    s.schedule(10, () => out.push(10));
    s.schedule(100, () => out.push(100));
    s.run({ until: 50 });
    expect(out).toEqual([10]);
    expect(s.now).toBe(50);
    s.run({ maxEvents: 1 });
    expect(out).toEqual([10, 100]);
  });

  it('refuses negative delays', () => {
    expect(() => new Scheduler().schedule(-1, () => undefined)).toThrow(RangeError);
  });

  it('seeded random is deterministic and in [0, 1)', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const a = new SeededRandom(seed);
        const b = new SeededRandom(seed);
        for (let i = 0; i < 20; i++) {
          const x = a.next();
          expect(x).toBe(b.next());
          expect(x >= 0 && x < 1).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('completions and flows', () => {
  it('a completion settles once and runs continuations synchronously', () => {
    const c = new Completion<number>();
    const seen: number[] = [];
    c.then((v) => seen.push(v));
    expect(c.settled).toBe(false);
    expect(() => c.value).toThrow();
    c.settle(1);
    c.settle(2);
    c.then((v) => seen.push(v * 10));
    expect(seen).toEqual([1, 10]);
    expect(c.value).toBe(1);
  });

  it('a flow suspends on what it waits for and resumes inside the event that settles it', () => {
    const s = new Scheduler();
    const gate = new Completion<string>();
    function* flow(): BlockingFlow<string> {
      const a = yield* wait(Completion.of('x'));
      const b = yield* wait(gate);
      return a + b + s.now;
    }
    const done = spawn(flow());
    expect(done.settled).toBe(false);
    s.schedule(7, () => gate.settle('y'));
    s.run();
    expect(done.value).toBe('xy7');
  });

  it('toPromise resolves with the value', async () => {
    const c = Completion.of(3);
    await expect(c.toPromise()).resolves.toBe(3);
  });
});
