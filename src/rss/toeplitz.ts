/**
 * The Toeplitz hash that RSS (receive side scaling) uses, as Microsoft defines it.
 *
 * Definition (Microsoft, "RSS Hashing Functions", `ComputeHash`): read the input as a bit string,
 * most significant bit of `input[0]` first. Keep a 32-bit window over the secret key, starting at
 * the key's first 32 bits. For every input bit that is 1, XOR the window into the result; after
 * every input bit (1 or 0) slide the window one bit further along the key. An input of `n` bytes
 * therefore reads key bits `0 .. 8n + 31`, so the key must be at least `n + 4` bytes long (36 input
 * bytes, an IPv6 4-tuple, with the 40-byte NDIS key).
 *
 * Two implementations live here, written for this project:
 * - {@link toeplitzHash}: the sliding window, bit by bit. No precomputation, no allocation; right
 *   for a one-off hash with a key that is not reused.
 * - {@link ToeplitzKey}: precomputes, for every input byte position `p`, a 256-entry table holding
 *   the XOR of the windows selected by each possible byte value at `p`. A hash is then one table
 *   lookup and one XOR per input byte, still with no allocation. Because the hash is linear over
 *   XOR, the contribution of a byte depends only on its value and its position; that is also what
 *   makes {@link ToeplitzKey.hashPart} possible (hash scattered header fields without copying them
 *   into one buffer).
 *
 * @module
 */
import { ProtocolError } from '../wire/errors.js';

/** Smallest key that can hash anything: the first 32-bit window. */
export const TOEPLITZ_MIN_KEY_LENGTH = 4;

/** The longest input a key of `keyLength` bytes can hash (`keyLength − 4`; 36 for a 40-byte key). */
export function toeplitzMaxInputLength(keyLength: number): number {
  return keyLength < TOEPLITZ_MIN_KEY_LENGTH ? 0 : keyLength - TOEPLITZ_MIN_KEY_LENGTH;
}

function checkKey(key: Uint8Array): void {
  if (key.length < TOEPLITZ_MIN_KEY_LENGTH) {
    throw new ProtocolError('BAD_LENGTH', `is shorter than ${TOEPLITZ_MIN_KEY_LENGTH} bytes (one 32-bit window)`, {
      struct: 'toeplitz',
      field: 'key',
      value: key.length,
    });
  }
}

function inputTooLong(keyLength: number, end: number): ProtocolError {
  return new ProtocolError(
    'BAD_LENGTH',
    `needs a key of at least ${end + TOEPLITZ_MIN_KEY_LENGTH} bytes; the key has ${keyLength} ` +
      `(at most ${toeplitzMaxInputLength(keyLength)} input bytes)`,
    { struct: 'toeplitz', field: 'input', value: end },
  );
}

/**
 * Toeplitz hash of `input` under `key`, as an unsigned 32-bit number.
 *
 * Bit-serial sliding window (see the module text); allocation-free. For many hashes under one key,
 * build a {@link ToeplitzKey} once and use {@link ToeplitzKey.hash}, which is several times faster.
 *
 * @throws {@link ProtocolError} `BAD_LENGTH` when the key is shorter than 4 bytes or shorter than
 *   `input.length + 4`.
 */
export function toeplitzHash(key: Uint8Array, input: Uint8Array): number {
  checkKey(key);
  const n = input.length;
  if (n > key.length - TOEPLITZ_MIN_KEY_LENGTH) throw inputTooLong(key.length, n);
  // Window = key bits [m, m + 32) while input bit m is examined.
  let window = ((key[0]! << 24) | (key[1]! << 16) | (key[2]! << 8) | key[3]!) >>> 0;
  let result = 0;
  for (let i = 0; i < n; i++) {
    const data = input[i]!;
    // The bits that slide into the window while this byte is consumed come from key byte i + 4,
    // which exists because key.length >= n + 4.
    const incoming = key[i + 4]!;
    for (let bit = 7; bit >= 0; bit--) {
      if ((data >>> bit) & 1) result ^= window;
      window = ((window << 1) | ((incoming >>> bit) & 1)) >>> 0;
    }
  }
  return result >>> 0;
}

/**
 * The 32-bit window of `key` that starts at bit `bitPos` (MSB of `key[0]` is bit 0). Bits past the
 * end of the key read as 0 (only reachable for the last window of the last table position, where
 * they are multiplied by nothing because the shift is 0).
 */
function windowAt(key: Uint8Array, bitPos: number): number {
  const byte = bitPos >>> 3;
  const shift = bitPos & 7;
  const b0 = key[byte] ?? 0;
  const b1 = key[byte + 1] ?? 0;
  const b2 = key[byte + 2] ?? 0;
  const b3 = key[byte + 3] ?? 0;
  const b4 = key[byte + 4] ?? 0;
  const hi = ((b0 << 24) | (b1 << 16) | (b2 << 8) | b3) >>> 0;
  if (shift === 0) return hi;
  return ((hi << shift) | (b4 >>> (8 - shift))) >>> 0;
}

/**
 * A Toeplitz secret key with its per-position lookup tables precomputed.
 *
 * Construction copies the key (later changes to the caller's array have no effect) and builds
 * `maxInputLength × 256` u32 entries (36 KiB for a 40-byte key). Every hash method is
 * allocation-free.
 */
export class ToeplitzKey {
  /** The longest input this key can hash, in bytes (`key length − 4`). */
  readonly maxInputLength: number;
  private readonly keyBytes: Uint8Array;
  /** `table[p * 256 + v]` = contribution of byte value `v` at input position `p`. */
  private readonly table: Uint32Array;

  constructor(key: Uint8Array) {
    checkKey(key);
    this.keyBytes = Uint8Array.from(key);
    this.maxInputLength = toeplitzMaxInputLength(key.length);
    const table = new Uint32Array(this.maxInputLength * 256);
    for (let p = 0; p < this.maxInputLength; p++) {
      const base = p * 256;
      // Single-bit values first: value 0x80 >> t selects the window at bit 8p + t.
      for (let t = 0; t < 8; t++) table[base + (0x80 >>> t)] = windowAt(this.keyBytes, p * 8 + t);
      // Every other value is the XOR of its lowest set bit's entry and the rest.
      for (let v = 3; v < 256; v++) {
        const low = v & -v;
        if (low !== v) table[base + v] = (table[base + low]! ^ table[base + (v ^ low)]!) >>> 0;
      }
    }
    this.table = table;
  }

  /** Length of the key in bytes. */
  get length(): number {
    return this.keyBytes.length;
  }

  /** A copy of the key bytes. */
  bytes(): Uint8Array {
    return Uint8Array.from(this.keyBytes);
  }

  /** True when `other` holds the same key bytes. */
  equals(other: ToeplitzKey | Uint8Array): boolean {
    const b = other instanceof ToeplitzKey ? other.keyBytes : other;
    if (b.length !== this.keyBytes.length) return false;
    for (let i = 0; i < b.length; i++) if (b[i] !== this.keyBytes[i]) return false;
    return true;
  }

  /**
   * Toeplitz hash of `length` bytes of `input` starting at `offset` (default: all of `input`).
   * @throws {@link ProtocolError} `BAD_LENGTH` when `length` exceeds {@link maxInputLength}, or
   *   `SHORT_BUFFER` when the range runs past the end of `input`.
   */
  hash(input: Uint8Array, offset = 0, length = input.length - offset): number {
    return this.hashPart(input, offset, length, 0);
  }

  /**
   * The contribution of `length` bytes of `input` (from `offset`) placed at byte `position` of the
   * hash input. The Toeplitz hash is linear over XOR, so the hash of a concatenation is the XOR of
   * the parts at their positions; for an IPv4+TCP packet,
   * `hashPart(pkt, ip + 12, 8, 0) ^ hashPart(pkt, l4, 4, 8)` hashes the 12-byte 4-tuple straight
   * from the packet without copying it.
   */
  hashPart(input: Uint8Array, offset: number, length: number, position: number): number {
    if (!(offset >= 0 && length >= 0 && offset + length <= input.length)) {
      throw new ProtocolError('SHORT_BUFFER', `range [${offset}, ${offset + length}) is outside the input`, {
        struct: 'toeplitz',
        field: 'input',
        offset,
        value: input.length,
      });
    }
    const end = position + length;
    if (!(position >= 0) || end > this.maxInputLength) throw inputTooLong(this.keyBytes.length, end);
    const table = this.table;
    let h = 0;
    let t = position << 8;
    for (let i = offset, stop = offset + length; i < stop; i++, t += 256) h ^= table[t + input[i]!]!;
    return h >>> 0;
  }

  /**
   * Contribution of a big-endian u32 (an IPv4 address as its numeric value) at byte `position`.
   * Allocation-free building block for hashing parsed headers.
   */
  hashU32(value: number, position: number): number {
    this.checkPosition(position, 4);
    const t = this.table;
    const b = position << 8;
    return (
      (t[b + ((value >>> 24) & 0xff)]! ^
        t[b + 256 + ((value >>> 16) & 0xff)]! ^
        t[b + 512 + ((value >>> 8) & 0xff)]! ^
        t[b + 768 + (value & 0xff)]!) >>>
      0
    );
  }

  /** Contribution of a big-endian u16 (a port) at byte `position`. */
  hashU16(value: number, position: number): number {
    this.checkPosition(position, 2);
    const t = this.table;
    const b = position << 8;
    return (t[b + ((value >>> 8) & 0xff)]! ^ t[b + 256 + (value & 0xff)]!) >>> 0;
  }

  /** Hash of an IPv4 2-tuple given as numeric addresses (`a.b.c.d` = `a << 24 | …`). */
  hashIPv4(src: number, dst: number): number {
    return (this.hashU32(src, 0) ^ this.hashU32(dst, 4)) >>> 0;
  }

  /** Hash of an IPv4 4-tuple given as numeric addresses and ports. */
  hashIPv4Ports(src: number, dst: number, sport: number, dport: number): number {
    return (this.hashU32(src, 0) ^ this.hashU32(dst, 4) ^ this.hashU16(sport, 8) ^ this.hashU16(dport, 10)) >>> 0;
  }

  private checkPosition(position: number, width: number): void {
    if (!(position >= 0) || position + width > this.maxInputLength) {
      throw inputTooLong(this.keyBytes.length, position + width);
    }
  }
}
