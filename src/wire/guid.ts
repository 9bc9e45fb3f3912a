/**
 * GUIDs as VMBus carries them: Linux `guid_t`, Microsoft byte order.
 *
 * For the text form `AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE`, bytes 0–3 hold AAAAAAAA little-endian,
 * bytes 4–5 BBBB little-endian, bytes 6–7 CCCC little-endian, and bytes 8–15 DDDD EEEEEEEEEEEE in
 * text order. Source: include/uapi/linux/uuid.h (`GUID_INIT`); shared/spec/vmbus.md §7.1.
 *
 * @module
 */
import { ProtocolError } from './errors.js';

const HEX = '0123456789abcdef';
const TEXT = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** Text position (in the 32 hex digits, dashes removed) of each wire byte. */
const ORDER = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15] as const;

/** Wire bytes of GUID texts seen lately (VMBus encodes the same few class and instance GUIDs over and over). */
const WIRE = new Map<string, Uint8Array>();


/** Reads the 16 wire bytes at `offset` as lowercase GUID text. The caller guarantees 16 bytes. */
export function guidFromBytes(buf: Uint8Array, offset = 0): string {
  // built from char codes in one go: a flat string (concatenation would leave a rope to flatten later)
  const codes = GUID_CODES;
  let k = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) codes[k++] = 0x2d; // '-'
    const b = buf[offset + ORDER[i]!]!;
    codes[k++] = HEX_CODES[b >>> 4]!;
    codes[k++] = HEX_CODES[b & 15]!;
  }
  return String.fromCharCode.apply(null, codes);
}

const HEX_CODES = Array.from(HEX, (c) => c.charCodeAt(0));
const GUID_CODES: number[] = new Array<number>(36).fill(0);

/** True when `text` is a GUID in `8-4-4-4-12` hex form (either case, no braces). */
export function isGuidText(text: unknown): text is string {
  return typeof text === 'string' && TEXT.test(text);
}

/**
 * Writes GUID text as its 16 wire bytes at `offset`.
 * @throws {@link ProtocolError} `BAD_VALUE` when the text is not a GUID.
 */
export function guidToBytes(
  text: string,
  buf: Uint8Array = new Uint8Array(16),
  offset = 0,
  field = 'guid',
): Uint8Array {
  const known = typeof text === 'string' ? WIRE.get(text) : undefined;
  if (known) {
    for (let i = 0; i < 16; i++) buf[offset + i] = known[i]!;
    return buf;
  }
  if (!isGuidText(text)) {
    throw new ProtocolError('BAD_VALUE', 'is not GUID text (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)', {
      field,
      value: text,
    });
  }
  const hex = text.replace(/-/g, '');
  const wire = new Uint8Array(16);
  for (let i = 0; i < 16; i++) wire[ORDER[i]!] = parseInt(hex.substr(i * 2, 2), 16);
  if (WIRE.size >= 256) WIRE.clear();
  WIRE.set(text, wire);
  for (let i = 0; i < 16; i++) buf[offset + i] = wire[i]!;
  return buf;
}
