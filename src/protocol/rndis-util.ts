/**
 * Internal helpers shared by the RNDIS, NDIS-object and per-packet-info codecs: little-endian
 * reads and writes on a `Uint8Array`, and the one rule set for "offset + length" regions inside a
 * message or object. Not part of the public API.
 *
 * The region rules (applied to every variable-length buffer an RNDIS message or NDIS object points
 * at — info buffers, status buffers, packet data/OOB/PPI, RSS indirection table and key, config
 * parameter name and value, PPI values):
 *
 * 1. A region of length 0 is never checked: its offset is kept as read (Linux itself sends
 *    `info_buf_offset` 20 with an empty buffer) and never makes the message longer.
 * 2. A non-empty region must start at or after the end of the fixed fields
 *    (`BAD_OFFSET`, "overlaps the fixed fields").
 * 3. It must start inside the message (`BAD_OFFSET`, "points outside") and end inside it
 *    (`BAD_LENGTH`, "runs past the end").
 * 4. Two non-empty regions of one message must not overlap (`BAD_OFFSET`, "overlaps …").
 *
 * @module
 * @internal
 */
import { ProtocolError } from '../wire/errors.js';

/** Reads a little-endian u16 (caller guarantees the bytes exist). */
export function rd16(b: Uint8Array, p: number): number {
  return b[p]! | (b[p + 1]! << 8);
}

/** Reads a little-endian u32 (caller guarantees the bytes exist). */
export function rd32(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}

/** Writes a little-endian u16 (value already range-checked). */
export function wr16(b: Uint8Array, p: number, v: number): void {
  b[p] = v;
  b[p + 1] = v >>> 8;
}

/** Writes a little-endian u32 (value already range-checked). */
export function wr32(b: Uint8Array, p: number, v: number): void {
  b[p] = v;
  b[p + 1] = v >>> 8;
  b[p + 2] = v >>> 16;
  b[p + 3] = v >>> 24;
}

/** True for an integer in 0..2^32−1. */
export function isU32(v: unknown): v is number {
  return typeof v === 'number' && (v >>> 0) === v;
}

/** True for an integer in 0..65535. */
export function isU16(v: unknown): v is number {
  return typeof v === 'number' && (v & 0xffff) === v;
}

/** Throws FIELD_RANGE unless `v` is a u32. */
export function needU32(struct: string, field: string, v: unknown): number {
  if (!isU32(v)) {
    throw new ProtocolError('FIELD_RANGE', 'does not fit u32 (0..4294967295)', { struct, field, value: v });
  }
  return v;
}

/** Throws FIELD_RANGE unless `v` is a u16. */
export function needU16(struct: string, field: string, v: unknown): number {
  if (!isU16(v)) {
    throw new ProtocolError('FIELD_RANGE', 'does not fit u16 (0..65535)', { struct, field, value: v });
  }
  return v;
}

/** Throws FIELD_RANGE unless `v` is an integer in 0..max. */
export function needUint(struct: string, field: string, v: unknown, max: number, bits: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    throw new ProtocolError('FIELD_RANGE', `does not fit ${bits} bits (0..${max})`, { struct, field, value: v });
  }
  return v;
}

/** Throws FIELD_RANGE unless `v` is a `Uint8Array` (of at most `max` bytes). */
export function needBytes(struct: string, field: string, v: unknown, max = 0xffffffff): Uint8Array {
  if (!(v instanceof Uint8Array)) {
    throw new ProtocolError('FIELD_RANGE', 'must be a Uint8Array', { struct, field, value: v });
  }
  if (v.length > max) {
    throw new ProtocolError('FIELD_RANGE', `is longer than ${max} bytes`, { struct, field, value: v });
  }
  return v;
}

/** Throws BAD_VALUE unless `v` is a non-null object. */
export function needObject(struct: string, v: unknown): void {
  if (v === null || typeof v !== 'object') {
    throw new ProtocolError('BAD_VALUE', 'encode needs an object', { struct, value: v });
  }
}

/** Validates a caller's (buffer, offset) pair for decoding; returns the bytes available. */
export function available(struct: string, buf: unknown, offset: unknown): number {
  if (!(buf instanceof Uint8Array)) {
    throw new ProtocolError('BAD_VALUE', 'decode needs a Uint8Array', { struct, value: buf });
  }
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0 || offset > buf.length) {
    throw new ProtocolError('BAD_OFFSET', `is not a valid offset into a ${buf.length}-byte buffer`, {
      struct,
      field: 'offset',
      value: offset,
      offset: typeof offset === 'number' ? offset : undefined,
    });
  }
  return buf.length - offset;
}

/**
 * {@link available}, then at least `size` bytes from `offset` (`SHORT_BUFFER`, "needs `size` bytes
 * but only … remain"); returns the bytes available.
 */
export function availableAtLeast(struct: string, buf: unknown, offset: number, size: number): number {
  const avail = available(struct, buf, offset);
  if (avail < size) {
    throw new ProtocolError('SHORT_BUFFER', `needs ${size} bytes but only ${avail} remain`, { struct, offset });
  }
  return avail;
}

/** A copy of the (already checked) region `buf[start, start + length)`; an empty region gives a fresh empty array. */
export function regionBytes(buf: Uint8Array, start: number, length: number): Uint8Array {
  return length ? buf.slice(start, start + length) : new Uint8Array(0);
}

/** Returns `buf` (checked to have `need` bytes from `offset`) or a fresh buffer of `offset + need`. */
export function outBuffer(struct: string, need: number, buf: Uint8Array | undefined, offset: number): Uint8Array {
  if (buf === undefined) {
    if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) {
      throw new ProtocolError('BAD_OFFSET', 'is not a valid offset', { struct, field: 'offset', value: offset });
    }
    return new Uint8Array(offset + need);
  }
  if (!(buf instanceof Uint8Array)) {
    throw new ProtocolError('BAD_VALUE', 'encode needs a Uint8Array', { struct, value: buf });
  }
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0 || offset > buf.length) {
    throw new ProtocolError('BAD_OFFSET', `is not a valid offset into a ${buf.length}-byte buffer`, {
      struct,
      field: 'offset',
      value: offset,
    });
  }
  if (buf.length - offset < need) {
    throw new ProtocolError('SHORT_BUFFER', `needs ${need} bytes but only ${buf.length - offset} remain (encode)`, {
      struct,
      offset,
    });
  }
  return buf;
}

/** One variable-length region of a message: where its offset field is and what it says. */
export interface Region {
  /** Name of the offset field (kernel name), for errors. */
  readonly offsetField: string;
  /** Name of the length field (kernel name), for errors. */
  readonly lengthField: string;
  /** The region's start, relative to the origin the message's rule uses. */
  readonly offset: number;
  /** The region's length in bytes. */
  readonly length: number;
  /** Position of the offset field in the caller's buffer (for the error's `offset`). */
  readonly at: number;
  /** Position of the length field, where an encoder needs it (same origin as `at`). */
  readonly lengthAt?: number;
}

/**
 * Applies the region rules (module comment) to `regions`. `fixedEnd` is where the fixed fields end
 * and `limit` where the message ends, both relative to the same origin as the regions' offsets.
 */
export function checkRegions(struct: string, regions: readonly Region[], fixedEnd: number, limit: number): void {
  for (let i = 0; i < regions.length; i++) {
    const r = regions[i]!;
    if (r.length === 0) continue;
    if (r.offset < fixedEnd) {
      throw new ProtocolError('BAD_OFFSET', `overlaps the fixed fields (which end at ${fixedEnd})`, {
        struct,
        field: r.offsetField,
        value: r.offset,
        offset: r.at,
      });
    }
    if (r.offset > limit) {
      throw new ProtocolError('BAD_OFFSET', `points outside the ${limit}-byte message`, {
        struct,
        field: r.offsetField,
        value: r.offset,
        offset: r.at,
      });
    }
    if (r.length > limit - r.offset) {
      throw new ProtocolError('BAD_LENGTH', `runs past the end of the ${limit}-byte message (from ${r.offset})`, {
        struct,
        field: r.lengthField,
        value: r.length,
        offset: r.at,
      });
    }
    for (let j = 0; j < i; j++) {
      const q = regions[j]!;
      if (q.length === 0) continue;
      if (r.offset < q.offset + q.length && q.offset < r.offset + r.length) {
        throw new ProtocolError('BAD_OFFSET', `overlaps ${q.lengthField} bytes at ${q.offset}..${q.offset + q.length}`, {
          struct,
          field: r.offsetField,
          value: r.offset,
          offset: r.at,
        });
      }
    }
  }
}

/** Where the content of a message ends: the fixed fields or the furthest non-empty region. */
export function contentEnd(fixedEnd: number, regions: readonly Region[]): number {
  let end = fixedEnd;
  for (const r of regions) if (r.length > 0 && r.offset + r.length > end) end = r.offset + r.length;
  return end;
}
