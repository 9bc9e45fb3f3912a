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
  readonly tag: number;
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
  override readonly name = 'FuzzHangError';
}

/** Default scheduler events one fuzz input may run before it counts as a hang. */
export const FUZZ_MAX_EVENTS = 200_000;

/** Runs `bus` until idle within `maxEvents`; throws {@link FuzzHangError} past it. */
export function runWithin(bus: { run(o: { maxEvents: number }): number; readonly scheduler: { readonly pending: number } }, maxEvents = FUZZ_MAX_EVENTS, what = 'input'): number {
  const n = bus.run({ maxEvents });
  if (n >= maxEvents && bus.scheduler.pending > 0) throw new FuzzHangError(`${what}: still busy after ${n} scheduler events`);
  return n;
}

/** A fuzz target: a deterministic function of its input, plus what a campaign needs to steer it. */
export interface FuzzTarget {
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

/** Bookkeeping shared by the targets: history, kinds, message count and periodic resets. */
export abstract class FuzzTargetBase<W> implements FuzzTarget {
  abstract readonly name: string;
  abstract readonly description: string;
  abstract readonly generator: fc.Arbitrary<Uint8Array>;
  readonly kinds = new Set<string>();
  messages = 0;
  private world: W | null = null;
  private readonly past: Uint8Array[] = [];

  /**
   * @param resetEvery Inputs that share one world before it is rebuilt (1 = a fresh system each
   *   time). Sharing makes a campaign fast; a finding is then replayed from {@link history}.
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
  abstract dictionary(): Uint8Array[];

  /** The world inputs run against (built on first use). */
  protected current(): W {
    if (!this.world || this.past.length >= this.resetEvery || this.spent(this.world)) this.reset();
    this.world ??= this.build();
    return this.world;
  }

  fuzz(data: Uint8Array): void {
    const w = this.current();
    const records = fuzzRecords(data);
    this.past.push(encodeFuzzRecords(records));
    this.messages += records.length;
    this.runRecords(w, records);
  }

  reset(): void {
    this.world = null;
    this.past.length = 0;
  }

  history(): Uint8Array[] {
    return this.past.slice();
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
