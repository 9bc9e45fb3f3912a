/**
 * An in-process fuzzing campaign over a {@link FuzzTarget}: byte mutation (bit flips, interesting
 * values, dictionary tokens of versions / message types / OIDs / status codes, record splicing,
 * deletions, duplications) of a corpus grown by message-kind coverage, mixed with inputs drawn from
 * the toolkit's arbitraries. Findings (exceptions, hangs) are confirmed on a fresh system and
 * minimized record by record, then byte by byte. No Node APIs: the command line (`npm run fuzz`,
 * fuzz/run.ts) saves the findings.
 * @module
 */
import * as fc from 'fast-check';
import { FuzzHangError, encodeFuzzRecords, fuzzRecords, type FuzzRecord, type FuzzTarget } from './fuzz-core.js';
import { FUZZ_TOKENS, isHang } from './fuzz-targets.js';

/** A confirmed finding. */
export interface FuzzFinding {
  /** Name of the target it was found on. */
  readonly target: string;
  /** `hang`: a {@link FuzzHangError} (the simulation never went idle); `crash`: any other exception. */
  readonly kind: 'crash' | 'hang';
  /** The error's name and message. */
  readonly message: string;
  /** The error's stack trace as first thrown, when it had one. */
  readonly stack?: string;
  /** The smallest input found that still fails the same way on a fresh system. */
  readonly input: Uint8Array;
  /** Bytes of the input as first seen (with the inputs that built its state, if it needed them). */
  readonly originalLength: number;
}

/** Progress of a campaign. */
export interface FuzzProgress {
  /** Name of the target being fuzzed. */
  readonly target: string;
  /** Wall-clock seconds since the campaign started. */
  readonly seconds: number;
  /** Inputs run so far. */
  readonly execs: number;
  /** Records (hostile messages) those inputs fed the target. */
  readonly messages: number;
  /** {@link execs} per wall-clock second. */
  readonly execsPerSecond: number;
  /** {@link messages} per wall-clock second. */
  readonly messagesPerSecond: number;
  /** Distinct message kinds the target has reached (its coverage measure). */
  readonly kinds: number;
  /** Inputs in the corpus: the dictionary plus every input that reached a new kind (at most 4096). */
  readonly corpus: number;
  /** Distinct findings so far (deduplicated by error name and message, numbers ignored). */
  readonly findings: number;
}

/** Result of {@link runFuzzCampaign}. */
export interface FuzzCampaignResult extends FuzzProgress {
  /** The message kinds reached, sorted. */
  readonly kindList: readonly string[];
  /** The confirmed, minimized findings, in the order found. */
  readonly findingList: readonly FuzzFinding[];
}

/** Options of {@link runFuzzCampaign}. */
export interface FuzzCampaignOptions {
  /** Wall-clock time to run, in seconds (per the `now` clock). */
  readonly seconds: number;
  /** Seed of the mutator and of the arbitraries' draws (default 1): same seed, same inputs. */
  readonly seed?: number;
  /** Stop after this many inputs (default: none). */
  readonly maxExecs?: number;
  /** Clock in ms (default `performance.now`). */
  readonly now?: () => number;
  /** Called about every `progressEveryMs` (default 1000). */
  readonly onProgress?: (p: FuzzProgress) => void;
  /** Milliseconds between {@link onProgress} calls (default 1000). */
  readonly progressEveryMs?: number;
  /** Called once per new (deduplicated) finding, after minimization. */
  readonly onFinding?: (f: FuzzFinding) => void;
  /** Share of inputs drawn from the arbitraries (default 0.02: drawing one costs as much as running dozens). */
  readonly generatedShare?: number;
  /** Called with each input just before it runs (a watchdog in another thread can save it when the run never returns). */
  readonly beforeExec?: (input: Uint8Array) => void;
  /** Attempts the minimizer may spend per finding (default 400). */
  readonly minimizeBudget?: number;
}

/** xorshift32: a small deterministic generator for the mutator. */
class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  below(n: number): number {
    return n <= 1 ? 0 : this.next() % n;
  }
}

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0xfe, 0x40, 0x10];

/** One mutation of `input` (a fresh array). */
export function mutateFuzzInput(input: Uint8Array, rng: { below(n: number): number }, dictionary: readonly Uint8Array[]): Uint8Array {
  const b = input.length ? Uint8Array.from(input) : new Uint8Array(4);
  switch (rng.below(9)) {
    case 0: {
      const i = rng.below(b.length);
      b[i]! ^= 1 << rng.below(8);
      return b;
    }
    case 1:
      b[rng.below(b.length)] = INTERESTING[rng.below(INTERESTING.length)]!;
      return b;
    case 2: {
      const t = FUZZ_TOKENS[rng.below(FUZZ_TOKENS.length)]!;
      const at = rng.below(Math.max(1, b.length - 3));
      const out = b.length >= 4 ? b : Uint8Array.from([...b, 0, 0, 0, 0]);
      out.set(t.subarray(0, Math.min(4, out.length - at)), at);
      return out;
    }
    case 3: {
      // splice a dictionary record at a record boundary
      const d = dictionary[rng.below(dictionary.length)];
      if (!d) return b;
      const recs = fuzzRecords(b);
      const at = rng.below(recs.length + 1);
      const add = fuzzRecords(d);
      return encodeFuzzRecords([...recs.slice(0, at), ...add, ...recs.slice(at)]);
    }
    case 4: {
      // delete 1..16 bytes
      const from = rng.below(b.length);
      const n = 1 + rng.below(Math.min(16, b.length - from));
      const out = new Uint8Array(b.length - n);
      out.set(b.subarray(0, from));
      out.set(b.subarray(from + n), from);
      return out;
    }
    case 5: {
      // duplicate 1..16 bytes somewhere
      const from = rng.below(b.length);
      const n = 1 + rng.below(Math.min(16, b.length - from));
      const at = rng.below(b.length);
      const out = new Uint8Array(b.length + n);
      out.set(b.subarray(0, at));
      out.set(b.subarray(from, from + n), at);
      out.set(b.subarray(at), at + n);
      return out;
    }
    case 6: {
      // retag a record
      const recs = fuzzRecords(b);
      if (!recs.length) return b;
      const i = rng.below(recs.length);
      recs[i] = { tag: rng.below(256), bytes: recs[i]!.bytes };
      return encodeFuzzRecords(recs);
    }
    case 7: {
      // a 32-bit little-endian arithmetic step
      const at = rng.below(Math.max(1, b.length - 3));
      if (at + 4 > b.length) return b;
      const dv = new DataView(b.buffer, b.byteOffset, b.length);
      dv.setUint32(at, (dv.getUint32(at, true) + (rng.below(2) ? 1 : -1) * (1 + rng.below(16))) >>> 0, true);
      return b;
    }
    default: {
      // repeat the records (state machines often need a message twice)
      const recs = fuzzRecords(b);
      return encodeFuzzRecords([...recs, ...recs.slice(rng.below(recs.length))]);
    }
  }
}

function signature(e: unknown): string {
  const name = e instanceof Error ? e.name : typeof e;
  const msg = e instanceof Error ? e.message : String(e);
  return `${name}: ${msg.replace(/0x[0-9a-f]+|\d+/gi, 'N').slice(0, 160)}`;
}

/** Runs `input` on a fresh system; returns the error signature, or null when it passes. */
function failsFresh(target: FuzzTarget, input: Uint8Array): string | null {
  target.reset();
  try {
    target.fuzz(input);
    return null;
  } catch (e) {
    return signature(e);
  } finally {
    target.reset();
  }
}

/** Shrinks `input` while it fails with `sig` on a fresh system: records first, then their bytes. */
export function minimizeFuzzInput(target: FuzzTarget, input: Uint8Array, sig: string, budget = 400): Uint8Array {
  let recs: FuzzRecord[] = fuzzRecords(input);
  let tries = 0;
  const still = (rs: FuzzRecord[]) => {
    tries++;
    return failsFresh(target, encodeFuzzRecords(rs)) === sig;
  };
  // drop chunks of records, halving the chunk size
  for (let chunk = Math.max(1, recs.length >> 1); chunk >= 1 && tries < budget; chunk >>= 1) {
    for (let i = recs.length - chunk; i >= 0 && tries < budget; i -= chunk) {
      const cand = [...recs.slice(0, i), ...recs.slice(i + chunk)];
      if (cand.length && still(cand)) recs = cand;
    }
    if (chunk === 1) break;
  }
  // shorten each record's bytes
  for (let i = 0; i < recs.length && tries < budget; i++) {
    let len = recs[i]!.bytes.length;
    for (let cut = len >> 1; cut >= 1 && tries < budget; cut >>= 1) {
      while (len - cut >= 0 && tries < budget) {
        const cand = recs.slice();
        cand[i] = { tag: recs[i]!.tag, bytes: recs[i]!.bytes.subarray(0, len - cut) };
        if (!still(cand)) break;
        recs = cand;
        len -= cut;
      }
    }
  }
  return encodeFuzzRecords(recs);
}

/** Runs a campaign against `target` for `options.seconds`. */
export function runFuzzCampaign(target: FuzzTarget, options: FuzzCampaignOptions): FuzzCampaignResult {
  const now = options.now ?? (() => performance.now());
  const seed = options.seed ?? 1;
  const rng = new Rng(seed);
  const start = now();
  const end = start + options.seconds * 1000;
  const every = options.progressEveryMs ?? 1000;
  const share = options.generatedShare ?? 0.02;
  const dictionary = target.dictionary();
  const corpus: Uint8Array[] = [...dictionary, encodeFuzzRecords(dictionary.flatMap((d) => fuzzRecords(d)))];
  const findings: FuzzFinding[] = [];
  const seen = new Set<string>();
  let generated: Uint8Array[] = [];
  let batch = 0;
  let execs = 0;
  const messages0 = target.messages;
  let nextReport = start + every;
  const progress = (): FuzzProgress => {
    const secs = Math.max(1e-9, (now() - start) / 1000);
    const messages = target.messages - messages0;
    return {
      target: target.name,
      seconds: secs,
      execs,
      messages,
      execsPerSecond: execs / secs,
      messagesPerSecond: messages / secs,
      kinds: target.kinds.size,
      corpus: corpus.length,
      findings: findings.length,
    };
  };
  target.reset();
  while (now() < end && (options.maxExecs === undefined || execs < options.maxExecs)) {
    let input: Uint8Array;
    if (rng.below(1000) < share * 1000) {
      if (!generated.length) generated = fc.sample(target.generator, { seed: seed * 7919 + batch++, numRuns: 64 });
      input = generated.pop()!;
    } else {
      input = corpus[rng.below(corpus.length)]!;
      const rounds = 1 + rng.below(4);
      for (let i = 0; i < rounds; i++) input = mutateFuzzInput(input, rng, dictionary);
      if (input.length > 16384) input = input.subarray(0, 16384);
    }
    const before = target.kinds.size;
    execs++;
    options.beforeExec?.(input);
    try {
      target.fuzz(input);
      if (target.kinds.size > before && corpus.length < 4096) corpus.push(input);
    } catch (e) {
      const history = target.history();
      target.reset();
      const sig = signature(e);
      if (!seen.has(sig)) {
        seen.add(sig);
        const f = confirm(target, input, history, e, sig, options.minimizeBudget ?? 400);
        findings.push(f);
        options.onFinding?.(f);
      }
    }
    if (options.onProgress && now() >= nextReport) {
      nextReport += every;
      options.onProgress(progress());
    }
  }
  const p = progress();
  return { ...p, kindList: [...target.kinds].sort(), findingList: findings };
}

function confirm(target: FuzzTarget, input: Uint8Array, history: Uint8Array[], e: unknown, sig: string, budget: number): FuzzFinding {
  const kind = isHang(e) || e instanceof FuzzHangError ? 'hang' : 'crash';
  const base = { target: target.name, kind, message: e instanceof Error ? `${e.name}: ${e.message}` : String(e), ...(e instanceof Error && e.stack ? { stack: e.stack } : {}) } as const;
  // alone on a fresh system, or with the inputs that built the state it failed in
  let repro: Uint8Array | null = failsFresh(target, input) === sig ? input : null;
  if (!repro) {
    const all = encodeFuzzRecords(history.flatMap((h) => fuzzRecords(h)));
    if (failsFresh(target, all) === sig) repro = all;
  }
  if (!repro) return { ...base, message: `${base.message} (not reproduced on a fresh system)`, input: encodeFuzzRecords(history.flatMap((h) => fuzzRecords(h))), originalLength: input.length };
  return { ...base, input: minimizeFuzzInput(target, repro, sig, budget), originalLength: repro.length };
}

/** Replays one input on a fresh system: `null` when it passes, else the error. */
export function replayFuzzInput(target: FuzzTarget, input: Uint8Array): Error | null {
  target.reset();
  try {
    target.fuzz(input);
    return null;
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  } finally {
    target.reset();
  }
}
