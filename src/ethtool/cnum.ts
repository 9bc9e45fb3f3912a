/**
 * The C library number parsing ethtool relies on, reproduced exactly: glibc's `strtoul`/`strtoull`
 * and `strtoll` (64-bit `long`), including leading white space, signs, base prefixes, the
 * end pointer and ERANGE. Plus the UTF-8 helpers C string lengths need.
 * @module
 */

/** The outcome of a `strto*` call: the value, the index `*endptr` points at, and whether errno became ERANGE. */
export interface StrtoResult {
  /** The converted value, already wrapped or clamped as glibc returns it (a negative input to `strtoul` wraps modulo 2^64; on overflow `strtoul` gives ULONG_MAX, `strtoll` LLONG_MAX or LLONG_MIN); 0n when nothing was converted. */
  readonly value: bigint;
  /** Index into the string where parsing stopped (0 when nothing was converted). */
  readonly end: number;
  /** True when glibc would set `errno` to ERANGE: the magnitude did not fit (`value` is then the clamped limit). */
  readonly erange: boolean;
}

const U64_MAX = (1n << 64n) - 1n;
const I64_MAX = (1n << 63n) - 1n;
const I64_MIN = -(1n << 63n);

/** C `isspace()` in the "C" locale. */
function isCSpace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\v' || ch === '\f' || ch === '\r';
}

function digitValue(ch: string | undefined): number {
  if (ch === undefined) return 99;
  const c = ch.charCodeAt(0);
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 122) return c - 97 + 10;
  if (c >= 65 && c <= 90) return c - 65 + 10;
  return 99;
}

/**
 * Shared core of glibc's strtol family (stdlib/strtol_l.c): white space, sign, `0x`/`0` prefixes
 * for base 0 and 16, digits; "no conversion" leaves the end at the start, except after a bare
 * `0x` where it points at the `x`.
 */
function scan(s: string, base: number): { negative: boolean; magnitude: bigint; end: number; converted: boolean } {
  let i = 0;
  while (isCSpace(s[i])) i++;
  let negative = false;
  if (s[i] === '-') {
    negative = true;
    i++;
  } else if (s[i] === '+') {
    i++;
  }
  let b = base;
  let skippedX = false;
  if (s[i] === '0') {
    if ((b === 0 || b === 16) && (s[i + 1] === 'x' || s[i + 1] === 'X')) {
      i += 2;
      b = 16;
      skippedX = true;
    } else if (b === 0) {
      b = 8;
    }
  } else if (b === 0) {
    b = 10;
  }
  const start = i;
  let magnitude = 0n;
  const bb = BigInt(b);
  while (digitValue(s[i]) < b) {
    magnitude = magnitude * bb + BigInt(digitValue(s[i]));
    i++;
  }
  if (i === start) {
    // No digits: glibc points the end at the 'x' of a bare "0x", else at the very start.
    return { negative: false, magnitude: 0n, end: skippedX ? start - 1 : 0, converted: false };
  }
  return { negative, magnitude, end: i, converted: true };
}

/** glibc `strtoul`/`strtoull` on a 64-bit system: negative inputs wrap, magnitudes above 2^64-1 give ERANGE and ULONG_MAX. */
export function strtoul(s: string, base: 0 | 8 | 10 | 16): StrtoResult {
  const r = scan(s, base);
  if (!r.converted) return { value: 0n, end: r.end, erange: false };
  if (r.magnitude > U64_MAX) return { value: U64_MAX, end: r.end, erange: true };
  const value = r.negative ? (U64_MAX + 1n - r.magnitude) & U64_MAX : r.magnitude;
  return { value, end: r.end, erange: false };
}

/** glibc `strtoll` (and `strtol` on 64-bit): clamps to LLONG_MIN/LLONG_MAX with ERANGE. */
export function strtoll(s: string, base: 0 | 8 | 10 | 16): StrtoResult {
  const r = scan(s, base);
  if (!r.converted) return { value: 0n, end: r.end, erange: false };
  const v = r.negative ? -r.magnitude : r.magnitude;
  if (v > I64_MAX) return { value: I64_MAX, end: r.end, erange: true };
  if (v < I64_MIN) return { value: I64_MIN, end: r.end, erange: true };
  return { value: v, end: r.end, erange: false };
}

const encoder = new TextEncoder();

/** The bytes C sees for a JavaScript string (UTF-8, as a Linux terminal passes argv). */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** `strlen()` of the C string for `s`. */
export function cStrlen(s: string): number {
  return encoder.encode(s).length;
}

/** A C string ends at its first NUL: argv elements cannot contain one, so anything after it is lost. */
export function asCString(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}
