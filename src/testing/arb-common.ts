/**
 * The near-valid machinery shared by every floor's arbitraries: what a near-valid input is, how
 * one field of a valid encoding is bent, and the property that judges a decoder on such inputs.
 *
 * A near-valid input is a valid encoding with exactly one thing broken — one field off by one, a
 * length that lies, an offset past the end or into the header, a count too large, a truncation at
 * a field boundary, bytes appended. Each carries a `mutation` text naming what was broken and an
 * `expect`: `'reject'` when the protocol's rules (the codec's documented rules, which restate the
 * spec) say a decoder must refuse the bytes, `'any'` when a decoder may accept them.
 *
 * @example A parser of your own must never crash on near-valid RNDIS, and must refuse what the
 * rules refuse (runnable as is with netvsc-sim's own decoder; swap in yours):
 * ```ts
 * import * as fc from 'fast-check';
 * import { decodeRndis, isProtocolError } from 'netvsc-sim';
 * import { arbNearValidRndis, nearValidProperty } from 'netvsc-sim/testing';
 *
 * fc.assert(nearValidProperty(arbNearValidRndis(), (bytes) => decodeRndis(bytes), {
 *   isRejection: (e) => isProtocolError(e), // what your parser throws for bad bytes
 * }));
 * ```
 * @module
 */
import * as fc from 'fast-check';
import { ProtocolError } from '../wire/errors.js';

/** What a near-valid input broke. */
export type MutationKind =
  /** One field one above or below its valid value (wrapping at the field's width). */
  | 'off-by-one'
  /** A length field that disagrees with the bytes it describes (longer or shorter). */
  | 'length-lie'
  /** An offset field pointing past the end of the message. */
  | 'offset-past-end'
  /** An offset field pointing into the header or the fixed fields. */
  | 'offset-into-header'
  /** A count larger than the elements present. */
  | 'count-too-large'
  /** The bytes cut at a field boundary. */
  | 'truncate'
  /** Bytes appended after the message. */
  | 'extend'
  /** A field set to a value the protocol forbids (an unknown type, a reserved flag bit). */
  | 'bad-value';

/** Whether the rules require a decoder to refuse an input (`'reject'`) or leave it free (`'any'`). */
export type NearValidExpectation = 'reject' | 'any';

/** A near-valid byte string: one valid encoding with exactly one thing broken. */
export interface NearValid {
  /** The bytes to decode. */
  bytes: Uint8Array;
  /** What was broken, e.g. `length-lie: rndis_message.msg_len 24 → 25 (the bytes end at 24)`. */
  mutation: string;
  /** The category of {@link NearValid.mutation}. */
  kind: MutationKind;
  /** The field bent (kernel name, `struct.field`), when one field was. */
  field?: string;
  /** `'reject'` when the rules say a decoder must refuse these bytes. */
  expect: NearValidExpectation;
}

/** What the rules say about a byte string: must a decoder refuse it, and by which rule. */
export interface SpecVerdict {
  /** `'reject'`: the rules require a decoder to refuse the bytes; `'accept'`: the rules allow them (a decoder may still refuse). */
  verdict: 'reject' | 'accept';
  /** The rule that refuses the bytes (absent when accepted). */
  rule?: string;
}

/** One way to break a valid encoding, built lazily (only the chosen one is materialised). */
export interface MutationCandidate {
  /** The category of the break; becomes {@link NearValid.kind}. */
  kind: MutationKind;
  /** What was broken, in the words of {@link NearValid.mutation} (`off-by-one: rndis_message.msg_len 24 → 25`). */
  mutation: string;
  /** The field bent (`struct.field`), when one field was; becomes {@link NearValid.field}. */
  field?: string;
  /** Whether the rules make a decoder refuse the result; becomes {@link NearValid.expect}. */
  expect: NearValidExpectation;
  /** Builds the broken bytes (a fresh copy; only called for the candidate that is picked). */
  bytes: () => Uint8Array;
}

/** A place a truncation may cut: before the field starting at `at`. */
export interface FieldBoundary {
  /** Byte offset of the cut: the bytes before it are kept. */
  at: number;
  /** The field that starts there (`struct.field`), named in the mutation text as `before <label>`. */
  label: string;
}

/** A little-endian field of an encoding: where it is and how wide. */
export interface WireField {
  /** `struct.field` as the kernel names it. */
  readonly name: string;
  /** Byte offset in the encoding. */
  readonly at: number;
  /** Width in bytes. */
  readonly size: 1 | 2 | 4 | 8;
}

/** Shorthand for a {@link WireField}. */
export function wf(name: string, at: number, size: 1 | 2 | 4 | 8): WireField {
  return { name, at, size };
}

/** Reads a field (a `number`; 8-byte fields as a `number` too, exact below 2^53). */
export function readField(b: Uint8Array, f: WireField): number {
  let v = 0;
  for (let i = f.size - 1; i >= 0; i--) v = v * 256 + (b[f.at + i] ?? 0);
  return v;
}

/** A copy of `b` with field `f` set to `value` modulo its width. */
export function withField(b: Uint8Array, f: WireField, value: number): Uint8Array {
  const out = b.slice();
  const mod = 2 ** (8 * f.size);
  let v = ((value % mod) + mod) % mod;
  for (let i = 0; i < f.size; i++) {
    if (f.at + i < out.length) out[f.at + i] = v % 256;
    v = Math.floor(v / 256);
  }
  return out;
}

/** The largest value a field holds. */
export function fieldMax(f: WireField): number {
  return 2 ** (8 * f.size) - 1;
}

/** A candidate that sets one field. */
export function setField(
  b: Uint8Array,
  f: WireField,
  value: number,
  kind: MutationKind,
  expect: NearValidExpectation,
  why: string,
): MutationCandidate {
  const mod = 2 ** (8 * f.size);
  const shown = ((value % mod) + mod) % mod;
  return {
    kind,
    field: f.name,
    expect,
    mutation: `${kind}: ${f.name} ${readField(b, f)} → ${shown}${why ? ` (${why})` : ''}`,
    bytes: () => withField(b, f, value),
  };
}

/** The two off-by-one candidates of a field; `expect(newValue)` judges each. */
export function offByOne(
  b: Uint8Array,
  f: WireField,
  expect: (value: number) => NearValidExpectation,
  kind: MutationKind = 'off-by-one',
): MutationCandidate[] {
  const v = readField(b, f);
  const max = fieldMax(f);
  const up = v === max ? 0 : v + 1;
  const down = v === 0 ? max : v - 1;
  return [setField(b, f, up, kind, expect(up), v === max ? 'wrapped' : ''), setField(b, f, down, kind, expect(down), v === 0 ? 'wrapped' : '')];
}

/** A candidate that keeps the first `cut` bytes. */
export function truncate(b: Uint8Array, cut: number, where: string, expect: NearValidExpectation): MutationCandidate {
  return {
    kind: 'truncate',
    expect,
    mutation: `truncate: ${b.length} bytes cut to ${cut}${where ? ` (${where})` : ''}`,
    bytes: () => b.slice(0, cut),
  };
}

/**
 * Truncations at every boundary in `boundaries` (deduplicated, only those below `b.length`), each
 * judged by `expect(cut)`.
 */
export function truncations(
  b: Uint8Array,
  boundaries: readonly FieldBoundary[],
  expect: (cut: number) => NearValidExpectation,
): MutationCandidate[] {
  const seen = new Set<number>();
  const out: MutationCandidate[] = [];
  for (const { at, label } of [...boundaries].sort((x, y) => x.at - y.at)) {
    if (at < 0 || at >= b.length || seen.has(at)) continue;
    seen.add(at);
    out.push(truncate(b, at, `before ${label}`, expect(at)));
  }
  return out;
}

/** The boundaries of a run of fields (each field's start), for {@link truncations}. */
export function fieldBoundaries(fields: readonly WireField[]): FieldBoundary[] {
  return fields.map((f) => ({ at: f.at, label: f.name }));
}

/** A candidate that appends `extra` bytes. */
export function extend(b: Uint8Array, extra: Uint8Array, expect: NearValidExpectation, why: string): MutationCandidate {
  return {
    kind: 'extend',
    expect,
    mutation: `extend: ${extra.length} byte(s) appended after ${b.length}${why ? ` (${why})` : ''}`,
    bytes: () => {
      const out = new Uint8Array(b.length + extra.length);
      out.set(b);
      out.set(extra, b.length);
      return out;
    },
  };
}

/**
 * Near-valid inputs from valid values: `plan(value)` lists the ways to break the value's
 * encoding, and one of them is picked (the choice shrinks towards the first candidate).
 */
export function chooseMutation<T>(valid: fc.Arbitrary<T>, plan: (value: T) => MutationCandidate[]): fc.Arbitrary<NearValid> {
  return fc.tuple(valid, fc.nat()).map(([v, k]) => {
    const cands = plan(v);
    if (cands.length === 0) throw new Error('netvsc-sim/testing: a near-valid plan produced no candidate');
    const c = cands[k % cands.length]!;
    const out: NearValid = { bytes: c.bytes(), mutation: c.mutation, kind: c.kind, expect: c.expect };
    if (c.field !== undefined) out.field = c.field;
    return out;
  });
}

/** Materialises candidates and sets each one's `expect` from a spec verdict on its bytes. */
export function judgedBy(cands: readonly MutationCandidate[], verdict: (bytes: Uint8Array) => SpecVerdict): MutationCandidate[] {
  return cands.map((c) => {
    const bytes = c.bytes();
    return { ...c, expect: verdict(bytes).verdict === 'reject' ? 'reject' : 'any', bytes: () => bytes };
  });
}

/** What decoding one input gave. */
export type DecodeOutcome<T> =
  | {
      /** The decoder returned. */
      ok: true;
      /** What it returned. */
      value: T;
    }
  | {
      /** The decoder threw a rejection (by default a `ProtocolError`). */
      ok: false;
      /** What it threw. */
      error: unknown;
    };

/**
 * Runs `decode(bytes)` and reports the value or the error it threw. Errors for which
 * `isRejection` is false (by default: anything but a {@link ProtocolError}) are re-thrown wrapped,
 * naming the input, so a property fails on them.
 */
export function decodeTotal<T>(
  decode: (bytes: Uint8Array) => T,
  bytes: Uint8Array,
  isRejection: (e: unknown) => boolean = (e) => e instanceof ProtocolError,
): DecodeOutcome<T> {
  try {
    return { ok: true, value: decode(bytes) };
  } catch (e) {
    if (isRejection(e)) return { ok: false, error: e };
    const shown = Array.from(bytes, (x) => x.toString(16).padStart(2, '0')).join('');
    const err = new Error(`decoder threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} (not a rejection) on ${shown}`);
    (err as Error & { cause?: unknown }).cause = e;
    throw err;
  }
}

/** Options of {@link nearValidProperty}. */
export interface NearValidPropertyOptions {
  /** Which thrown errors count as a proper rejection (default: a {@link ProtocolError}). */
  isRejection?: (e: unknown) => boolean;
  /** Also require inputs marked `expect: 'reject'` to be rejected (default true). */
  requireRejection?: boolean;
}

/**
 * The property a decoder should satisfy on near-valid inputs: it returns a value or throws a
 * rejection (never anything else), and it rejects every input the rules say it must.
 */
export function nearValidProperty<N extends NearValid, T>(
  arb: fc.Arbitrary<N>,
  decode: (bytes: Uint8Array, input: N) => T,
  options: NearValidPropertyOptions = {},
): fc.IPropertyWithHooks<[N]> {
  const requireRejection = options.requireRejection ?? true;
  return fc.property(arb, (input) => {
    const out = decodeTotal((b) => decode(b, input), input.bytes, options.isRejection);
    if (requireRejection && input.expect === 'reject' && out.ok) {
      const shown = Array.from(input.bytes, (x) => x.toString(16).padStart(2, '0')).join('');
      throw new Error(`accepted an input the rules reject — ${input.mutation}\n  bytes: ${shown}`);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Small shared arbitraries

/** Any u8. */
export const arbU8: fc.Arbitrary<number> = fc.integer({ min: 0, max: 0xff });
/** Any u16. */
export const arbU16: fc.Arbitrary<number> = fc.integer({ min: 0, max: 0xffff });
/** Any u32. */
export const arbU32: fc.Arbitrary<number> = fc.integer({ min: 0, max: 0xffffffff });
/** Any u64 (a `bigint`). */
export const arbU64: fc.Arbitrary<bigint> = fc.bigInt({ min: 0n, max: 0xffffffffffffffffn });

/** Byte strings of `min`..`max` bytes. */
export function arbBytes(max: number, min = 0): fc.Arbitrary<Uint8Array> {
  return fc.uint8Array({ minLength: min, maxLength: max });
}

/**
 * Offsets for regions of the given lengths placed after `fixedEnd`, in a random order with random
 * gaps of up to `maxGap` bytes; an empty region gets any u32 (empty regions are never checked).
 * The offsets follow the RNDIS / NDIS-object region rules (no overlap, after the fixed fields).
 */
export function arbPlacement(fixedEnd: number, lengths: readonly number[], maxGap = 12): fc.Arbitrary<number[]> {
  const n = lengths.length;
  return fc
    .tuple(
      fc.shuffledSubarray(
        lengths.map((_, i) => i),
        { minLength: n, maxLength: n },
      ),
      fc.array(fc.integer({ min: 0, max: maxGap }), { minLength: n, maxLength: n }),
      fc.array(arbU32, { minLength: n, maxLength: n }),
    )
    .map(([order, gaps, anyOffset]) => {
      const out = new Array<number>(n);
      let cursor = fixedEnd;
      order.forEach((idx, k) => {
        if (lengths[idx] === 0) {
          out[idx] = anyOffset[idx]!;
          return;
        }
        cursor += gaps[k]!;
        out[idx] = cursor;
        cursor += lengths[idx]!;
      });
      return out;
    });
}

/** A copy of `b` zero-padded to `length` bytes (or `b` itself when long enough). */
export function zeroPad(b: Uint8Array, length: number): Uint8Array {
  if (b.length >= length) return b;
  const out = new Uint8Array(length);
  out.set(b);
  return out;
}

/**
 * The RNDIS / NDIS-object region rules as the spec states them (shared/spec/nvsp-rndis-netvsc.md
 * §3.3, restated in `rndis.ts`): each non-empty region starts at or after `fixedEnd`, lies inside
 * `limit` bytes, and no two non-empty regions overlap. Written independently of the decoders, to
 * judge near-valid inputs.
 */
export function regionsFollowRules(fixedEnd: number, limit: number, regions: readonly { offset: number; length: number }[]): boolean {
  const live = regions.filter((r) => r.length > 0);
  for (const r of live) {
    if (r.offset < fixedEnd || r.offset + r.length > limit) return false;
  }
  for (let i = 0; i < live.length; i++) {
    for (let j = i + 1; j < live.length; j++) {
      const a = live[i]!;
      const c = live[j]!;
      if (a.offset < c.offset + c.length && c.offset < a.offset + a.length) return false;
    }
  }
  return true;
}
