/**
 * The fuzzing core shared by every target: the input format (a sequence of tagged records, so
 * inputs concatenate and shrink record by record), the hang budget, and the {@link FuzzTarget}
 * contract the campaign runner (src/testing/fuzz-campaign.ts) and Jazzer.js-style entry points
 * (`src/testing/fuzz-<target>.ts`, each exporting `fuzz(data)`) build on.
 *
 * Input format: `[tag u8][length u16 LE][length bytes]…`. A record whose length runs past the end
 * takes the bytes that are left; a lone trailing tag byte is a record with no bytes. The meaning of
 * the tag is the target's (which message kind, which channel, which action).
 * @module
 */
import type * as fc from 'fast-check';

/** One record of a fuzz input. */
export interface FuzzRecord {
  /** The tag byte, 0..255: what the target does with the bytes (message kind, channel, action). */
  readonly tag: number;
  /** The record's bytes (a view into the input; at most 65535). */
  readonly bytes: Uint8Array;
}

/** Splits a fuzz input into its records (never throws; see the module comment for the format). */
export function fuzzRecords(data: Uint8Array, maxRecords = 256): FuzzRecord[] {
  const out: FuzzRecord[] = [];
  let at = 0;
  while (at < data.length && out.length < maxRecords) {
    const tag = data[at]!;
    const len = at + 2 < data.length ? data[at + 1]! | (data[at + 2]! << 8) : 0;
    const start = Math.min(at + 3, data.length);
    const end = Math.min(start + len, data.length);
    out.push({ tag, bytes: data.subarray(start, end) });
    at = end === start && len > 0 ? data.length : Math.max(end, at + 1);
  }
  return out;
}

/** Encodes records into one input (the inverse of {@link fuzzRecords} for whole records). */
export function encodeFuzzRecords(records: readonly FuzzRecord[]): Uint8Array {
  const total = records.reduce((n, r) => n + 3 + Math.min(r.bytes.length, 0xffff), 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const r of records) {
    const n = Math.min(r.bytes.length, 0xffff);
    out[at] = r.tag & 0xff;
    out[at + 1] = n & 0xff;
    out[at + 2] = n >>> 8;
    out.set(r.bytes.subarray(0, n), at + 3);
    at += 3 + n;
  }
  return out;
}

/** A simulated hang: the simulation still had work after its event budget. */
export class FuzzHangError extends Error {
  /** Always `'FuzzHangError'`: part of a finding's message and signature. */
  override readonly name = 'FuzzHangError';
}

/** Default scheduler events one fuzz input may run before it counts as a hang. */
export const FUZZ_MAX_EVENTS = 200_000;

/**
 * Scheduler events one record may run, within {@link FUZZ_HORIZON_NS}, in the targets that run
 * Linux's guest driver (a record is one message or one operation: a whole `set_channels` takes a few
 * thousand); an event storm past it is a hang, found in a fraction of the time the input budget takes.
 */
export const FUZZ_MAX_RECORD_EVENTS = 50_000;

/**
 * Virtual time one record of the targets that run Linux's guest driver may take (10 s): work still
 * scheduled past it is waiting, not hanging — a periodic timer, such as `netvsc_link_change` retrying
 * every 2 s while a `set_channels` that waits forever for a hostile host holds RTNL.
 */
export const FUZZ_HORIZON_NS = 10_000_000_000;

/** What {@link runWithin} drives: a `Bus` from `createBus`, or anything with its scheduler. */
export interface FuzzRunnable {
  /** Runs scheduler events until none is left or `maxEvents` ran; returns how many ran (`Bus.run`). */
  run(o: { maxEvents: number }): number;
  /** The deterministic scheduler behind it, stepped one event at a time when a horizon is given. */
  readonly scheduler: {
    /** Events scheduled and not yet run. */
    readonly pending: number;
    /** Virtual time now, in nanoseconds. */
    readonly now: number;
    /** Virtual time (ns) of the next event due, or `undefined` when none is pending. */
    peekTime(): number | undefined;
    /** Runs the next event; `false` when there was none. */
    step(): boolean;
  };
}

/**
 * Packets a guest may take off its rings while one record runs before it counts as spinning (a
 * NAPI poll re-parsing stale ring bytes without end: each event is slow, so the event budget alone
 * would take minutes to notice).
 */
export const FUZZ_MAX_GUEST_PACKETS = 20_000;

/**
 * Runs `bus` until idle within `maxEvents`; throws {@link FuzzHangError} past it. With `horizonNs`,
 * stops as well before the first event due more than `horizonNs` after the current virtual time
 * (left for a later call, the clock untouched): only events due within the horizon count toward a
 * hang, so a timer that keeps re-arming itself seconds apart is not one. With a horizon, `spinning`
 * (asked every 16 events) may also call a hang: it returns what is wrong, or null.
 */
export function runWithin(bus: FuzzRunnable, maxEvents = FUZZ_MAX_EVENTS, what = 'input', horizonNs = Infinity, spinning?: () => string | null): number {
  if (horizonNs === Infinity) {
    const n = bus.run({ maxEvents });
    if (n >= maxEvents && bus.scheduler.pending > 0) throw new FuzzHangError(`${what}: still busy after ${n} scheduler events`);
    return n;
  }
  const s = bus.scheduler;
  const limit = s.now + horizonNs;
  let n = 0;
  for (;;) {
    const next = s.peekTime();
    if (next === undefined || next > limit) return n;
    if (n >= maxEvents) throw new FuzzHangError(`${what}: still busy after ${n} scheduler events within ${horizonNs / 1e9} virtual seconds`);
    if (!s.step()) return n;
    n++;
    if (spinning && (n & 15) === 0) {
      const why = spinning();
      if (why) throw new FuzzHangError(`${what}: ${why} (after ${n} scheduler events)`);
    }
  }
}

/** A `spinning` check for {@link runWithin}: the guest took more than {@link FUZZ_MAX_GUEST_PACKETS} packets off its rings since it was made. */
export function guestSpinCheck(stats: () => { readonly received: Readonly<Record<string, number>> } | undefined): () => string | null {
  const count = () => {
    const r = stats()?.received;
    let n = 0;
    if (r) for (const k in r) n += r[k]!;
    return n;
  };
  const start = count();
  return () => {
    const n = count() - start;
    return n > FUZZ_MAX_GUEST_PACKETS ? `the guest took ${n} packets off its rings in one record` : null;
  };
}

/** A fuzz target: a deterministic function of its input, plus what a campaign needs to steer it. */
export interface FuzzTarget {
  /** Short kebab-case id (`host-control`), used in findings, reports and file names. */
  readonly name: string;
  /** One line: what the target exercises. */
  readonly description: string;
  /**
   * Runs one input. Throws on a finding (any exception the system under test lets escape, or a
   * {@link FuzzHangError}). May reuse state built by earlier inputs (see {@link FuzzTarget.reset}).
   */
  fuzz(data: Uint8Array): void;
  /** Drops all state: the next input starts from a fresh system. */
  reset(): void;
  /** Inputs run since the last reset, re-encoded (their concatenation replays the state). */
  history(): Uint8Array[];
  /** Message kinds seen so far (cumulative, for coverage reports and corpus selection). */
  readonly kinds: ReadonlySet<string>;
  /** Whole records worth splicing in (valid messages of the protocol the target speaks). */
  dictionary(): Uint8Array[];
  /** Inputs drawn from the toolkit's arbitraries. */
  readonly generator: fc.Arbitrary<Uint8Array>;
  /** Hostile messages the target has fed so far (records run). */
  readonly messages: number;
}

/** Bookkeeping shared by the targets: history, kinds, message count, periodic resets and world restores. */
export abstract class FuzzTargetBase<W> implements FuzzTarget {
  /** Short kebab-case id of the target (see {@link FuzzTarget.name}). */
  abstract readonly name: string;
  abstract readonly description: string;
  abstract readonly generator: fc.Arbitrary<Uint8Array>;
  readonly kinds = new Set<string>();
  messages = 0;
  /** Worlds built from scratch so far. */
  builds = 0;
  /** Worlds brought back to their built state by {@link FuzzTargetBase.restore} so far. */
  restores = 0;
  private world: W | null = null;
  /** The last input threw: its world is in an unknown state and is never reused. */
  private failed = false;
  private readonly past: Uint8Array[] = [];
  /** {@link past} re-encoded, filled on demand by {@link history}. */
  private readonly pastEncoded: (Uint8Array | undefined)[] = [];

  /**
   * @param resetEvery Inputs that share one world before it is rebuilt (1 = a fresh system each
   *   time). Sharing makes a campaign fast; a finding is then replayed from {@link history}. A target
   *   that can {@link FuzzTargetBase.restore} its world runs every input on a restored one instead.
   */
  constructor(protected readonly resetEvery: number) {}

  /** Builds a fresh world (simulated system) for inputs to run against. */
  protected abstract build(): W;
  /** Runs one input's decoded records against `world`. */
  protected abstract runRecords(world: W, records: FuzzRecord[]): void;
  /** True when the world cannot take more inputs usefully (a dead channel, a revoked session). */
  protected spent(_world: W): boolean {
    return false;
  }
  /**
   * Brings `world` back to exactly the state {@link FuzzTargetBase.build} returns it in (an input then
   * runs as on a fresh system), or returns false when it cannot (the world is then rebuilt). Called
   * between inputs, never after an input that threw. The default cannot.
   */
  protected restore(_world: W): boolean {
    return false;
  }
  abstract dictionary(): Uint8Array[];

  /** The world inputs run against (built on first use, restored or rebuilt as needed). */
  protected current(): W {
    if (this.world && !this.failed && this.past.length > 0 && this.restore(this.world)) {
      this.restores++;
      this.past.length = 0;
      this.pastEncoded.length = 0;
    }
    if (!this.world || this.failed || this.past.length >= this.resetEvery || this.spent(this.world)) this.reset();
    if (!this.world) {
      this.world = this.build();
      this.builds++;
    }
    return this.world;
  }

  fuzz(data: Uint8Array): void {
    const w = this.current();
    const records = fuzzRecords(data);
    this.past.push(data.slice());
    this.messages += records.length;
    this.failed = true;
    this.runRecords(w, records);
    this.failed = false;
  }

  reset(): void {
    this.world = null;
    this.failed = false;
    this.past.length = 0;
    this.pastEncoded.length = 0;
  }

  /** The inputs run since the world was built or restored, re-encoded (each once: the same arrays from call to call). */
  history(): Uint8Array[] {
    const out: Uint8Array[] = new Array(this.past.length);
    for (let i = 0; i < this.past.length; i++) out[i] = this.pastEncoded[i] ??= encodeFuzzRecords(fuzzRecords(this.past[i]!));
    return out;
  }

  /** Records that a message kind was reached (coverage reported in {@link kinds}). */
  protected see(kind: string): void {
    this.kinds.add(kind);
  }
}

/** Little-endian u32 bytes. */
export function u32le(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}

/** Reads a little-endian u32 at `at` (0 past the end). */
export function readU32(b: Uint8Array, at: number): number {
  return at + 4 <= b.length ? (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0 : 0;
}

/** A record (`tag`, `bytes`) encoded alone, for dictionaries. */
export function record(tag: number, bytes: Uint8Array): Uint8Array {
  return encodeFuzzRecords([{ tag, bytes }]);
}
