/** Little-endian reads and writes on byte arrays (the driver reads host bytes field by field, as C does). @module */

export function rd16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
export function rd32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}
export function wr16(b: Uint8Array, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
}
export function wr32(b: Uint8Array, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
  b[o + 2] = v >>> 16;
  b[o + 3] = v >>> 24;
}
/** A u32 read that sees zeros past the end (C reading a zero-filled copy of a short message). */
export function rd32z(b: Uint8Array, o: number): number {
  if (o + 4 <= b.length) return rd32(b, o);
  let v = 0;
  for (let i = 0; i < 4; i++) if (o + i < b.length) v |= b[o + i]! << (8 * i);
  return v >>> 0;
}
