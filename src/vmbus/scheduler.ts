/**
 * A deterministic scheduler with virtual time, and the one-shot {@link Completion} the bus uses for
 * operations that wait for the other side (Linux's `wait_for_completion`).
 *
 * Events run in order of virtual time; events due at the same instant run in an order drawn from a
 * seeded generator, so a run explores one interleaving and the same seed always explores the same
 * one (same order, same bytes). Nothing here reads the wall clock or `Math.random`.
 *
 * Library code never awaits: a continuation runs synchronously inside the event that settles its
 * completion, so {@link Scheduler.run} drives a whole exchange to its end.
 *
 * @module
 */

/** A seeded 32-bit generator (mulberry32 mixing): deterministic, fast, good enough for scheduling. */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Next unsigned 32-bit value. */
  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

interface Event {
  readonly time: number;
  readonly tie: number;
  readonly seq: number;
  readonly label: string;
  fn: (() => void) | null;
}

/** Handle of a scheduled event, for {@link Scheduler.cancel}. */
export type EventId = number;

/** Options of a {@link Scheduler}. */
export interface SchedulerOptions {
  /** Seed of the same-instant ordering (and of {@link Scheduler.random}). Default 1. */
  readonly seed?: number;
  /** `'seeded'` (default) shuffles events due at the same instant; `'fifo'` runs them in scheduling order. */
  readonly ties?: 'seeded' | 'fifo';
  /** Called before each event runs (tracing). */
  readonly onEvent?: (label: string, time: number) => void;
}

/** Deterministic discrete-event scheduler; time is in virtual nanoseconds. */
export class Scheduler {
  /** The seed in use ({@link SchedulerOptions.seed}, default 1): rerun with it to replay the same interleaving. */
  readonly seed: number;
  /** Draws for simulation choices (latencies, fault injection) that must follow the seed. */
  readonly random: SeededRandom;
  private readonly tieRandom: SeededRandom;
  private readonly ties: 'seeded' | 'fifo';
  private readonly onEvent: ((label: string, time: number) => void) | undefined;
  private heap: Event[] = [];
  /** Events scheduled and neither run nor cancelled (cancel() finds its event in the heap: it is rare). */
  private live = 0;
  private seq = 0;
  private clock = 0;
  private executed = 0;

  constructor(options: SchedulerOptions = {}) {
    this.seed = (options.seed ?? 1) >>> 0;
    this.random = new SeededRandom(this.seed ^ 0x9e3779b9);
    this.tieRandom = new SeededRandom(this.seed);
    this.ties = options.ties ?? 'seeded';
    this.onEvent = options.onEvent;
  }

  /** Current virtual time (ns). */
  get now(): number {
    return this.clock;
  }

  /** Events waiting to run. */
  get pending(): number {
    return this.live;
  }

  /** Events run so far. */
  get eventsRun(): number {
    return this.executed;
  }

  /** Runs `fn` after `delay` virtual nanoseconds (0: at the current instant, after the running event). */
  schedule(delay: number, fn: () => void, label = 'event'): EventId {
    if (!Number.isFinite(delay) || delay < 0) throw new RangeError(`Scheduler: delay ${delay}`);
    const seq = this.seq++;
    const ev: Event = {
      time: this.clock + delay,
      tie: this.ties === 'fifo' ? 0 : this.tieRandom.nextU32(),
      seq,
      label,
      fn,
    };
    this.push(ev);
    this.live++;
    return seq;
  }

  /** Cancels a scheduled event; false if it already ran or was cancelled. */
  cancel(id: EventId): boolean {
    const h = this.heap;
    for (let i = 0; i < h.length; i++) {
      const ev = h[i]!;
      if (ev.seq !== id) continue;
      if (!ev.fn) return false;
      ev.fn = null;
      this.live--;
      return true;
    }
    return false;
  }

  /** Runs the next event; false when none is left. */
  step(): boolean {
    for (;;) {
      const ev = this.pop();
      if (!ev) return false;
      if (!ev.fn) continue;
      this.live--;
      this.clock = ev.time;
      const fn = ev.fn;
      ev.fn = null;
      this.executed++;
      this.onEvent?.(ev.label, ev.time);
      fn();
      return true;
    }
  }

  /**
   * Runs events until none is left, virtual time would pass `until`, or `maxEvents` have run.
   * Returns the number of events run.
   */
  run(options: { until?: number; maxEvents?: number } = {}): number {
    const until = options.until ?? Infinity;
    const max = options.maxEvents ?? 10_000_000;
    let n = 0;
    while (n < max) {
      const next = this.peekTime();
      if (next === undefined || next > until) break;
      if (!this.step()) break;
      n++;
    }
    if (until !== Infinity && this.clock < until && (this.peekTime() ?? Infinity) > until) this.clock = until;
    return n;
  }

  /** Time of the next live event, or undefined. */
  peekTime(): number | undefined {
    while (this.heap.length && !this.heap[0]!.fn) this.pop();
    return this.heap[0]?.time;
  }

  private less(a: Event, b: Event): boolean {
    if (a.time !== b.time) return a.time < b.time;
    if (a.tie !== b.tie) return a.tie < b.tie;
    return a.seq < b.seq;
  }

  private push(ev: Event): void {
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const up = h[i]!;
      const parent = h[p]!;
      if (!this.less(up, parent)) break;
      h[i] = parent;
      h[p] = up;
      i = p;
    }
  }

  private pop(): Event | undefined {
    const h = this.heap;
    if (!h.length) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        const down = h[i]!;
        h[i] = h[m]!;
        h[m] = down;
        i = m;
      }
    }
    return top;
  }
}

/**
 * A one-shot result that another event will provide: Linux's `struct completion` plus the value the
 * waiter reads afterwards. Continuations registered with {@link Completion.then} run synchronously
 * when it settles (or at once if it already has).
 */
export class Completion<T> {
  private isSettled = false;
  private result: T | undefined = undefined;
  // typed loosely so a Completion<T> is usable where a Completion<unknown> is expected
  /** The first continuation, and the later ones in order (most completions have one). */
  private first: ((value: any) => void) | null = null;
  private rest: ((value: any) => void)[] | null = null;

  /** A completion that is already settled. */
  static of<T>(value: T): Completion<T> {
    const c = new Completion<T>();
    c.settle(value);
    return c;
  }

  /** True once a value was provided. */
  get settled(): boolean {
    return this.isSettled;
  }

  /** The value. @throws Error when not settled yet (a waiter that would still be blocked). */
  get value(): T {
    if (!this.isSettled) throw new Error('Completion: not settled (the waiter is still blocked)');
    return this.result as T;
  }

  /** Provides the value; later calls are ignored (as a second `complete()` wakes nobody new). */
  settle(value: T): void {
    if (this.isSettled) return;
    this.isSettled = true;
    this.result = value;
    const w = this.first;
    const ws = this.rest;
    this.first = null;
    this.rest = null;
    if (w) w(value);
    if (ws) for (const x of ws) x(value);
  }

  /** Registers a continuation. */
  then(fn: (value: T) => void): this {
    if (this.isSettled) fn(this.result as T);
    else if (!this.first) this.first = fn;
    else (this.rest ??= []).push(fn);
    return this;
  }

  /** A promise of the value, for tests and user code that prefer `await` (after running the scheduler). */
  toPromise(): Promise<T> {
    return new Promise((resolve) => this.then(resolve));
  }
}

/** A blocking flow: a generator that yields the completions it waits for (Linux's sleeping code). */
export type BlockingFlow<T> = Generator<Completion<unknown>, T, unknown>;

/**
 * Runs a {@link BlockingFlow}: each yielded completion suspends it until the completion settles, then the
 * flow resumes with the settled value — synchronously, inside whatever event settled it. Returns a
 * completion of the flow's result.
 */
export function spawn<T>(flow: BlockingFlow<T>): Completion<T> {
  const done = new Completion<T>();
  const step = (input: unknown): void => {
    for (;;) {
      const r = flow.next(input);
      if (r.done) {
        done.settle(r.value);
        return;
      }
      const c = r.value;
      if (c.settled) {
        input = c.value;
        continue;
      }
      c.then(step);
      return;
    }
  };
  step(undefined);
  return done;
}

/** Waits for a completion inside a flow and returns its value with its type: `const v = yield* wait(c)`. */
export function* wait<T>(c: Completion<T>): Generator<Completion<unknown>, T, unknown> {
  return (yield c as Completion<unknown>) as T;
}
