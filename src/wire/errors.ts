/**
 * The one error type every decoder, encoder and ring operation throws for bad bytes or bad values.
 *
 * Decoders are total: any byte string yields a value or a `ProtocolError`, never a `RangeError`
 * and never a read past the buffer.
 *
 * @module
 */

/** Machine-readable reason of a {@link ProtocolError}. */
export type ProtocolErrorCode =
  /** The buffer ends before the structure or message does. */
  | 'SHORT_BUFFER'
  /** A value given to an encoder does not fit its field (a u16 given 70000, a 3-byte key for a 40-byte field). */
  | 'FIELD_RANGE'
  /** A field holds a value the protocol does not allow (unknown type, bad flag bits, a bad GUID text). */
  | 'BAD_VALUE'
  /** A length field disagrees with the bytes present or with another length. */
  | 'BAD_LENGTH'
  /** An offset field points outside the message or into its header. */
  | 'BAD_OFFSET'
  /** A ring control-page index is outside the data area or not 8-byte aligned. */
  | 'RING_INDEX'
  /** A packet in a ring is malformed (descriptor lengths, packet longer than the bytes available). */
  | 'RING_PACKET'
  /** A ring's memory or geometry is unusable (too small, data area not a multiple of 8). */
  | 'RING_GEOMETRY';

/** Details carried by a {@link ProtocolError}. */
export interface ProtocolErrorDetails {
  /** The struct or message being decoded or encoded (kernel name where there is one). */
  readonly struct?: string;
  /** The field (kernel name) at fault. */
  readonly field?: string;
  /** Byte offset of the offending field, relative to the start of the buffer given to the call. */
  readonly offset?: number;
  /** The offending value. */
  readonly value?: unknown;
}

function describe(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  if (Array.isArray(value)) return `<array of ${value.length}>`;
  return String(value);
}

/**
 * A typed protocol error: a {@link ProtocolErrorCode}, the struct and field at fault, the offending
 * offset and value. The message names all of them, for example
 * `FIELD_RANGE: vmpacket_descriptor.offset8 = 70000 does not fit u16 (0..65535) at offset 2`.
 */
export class ProtocolError extends Error {
  /** Always `'ProtocolError'`. */
  override readonly name = 'ProtocolError';
  /** What kind of protocol violation this is. */
  readonly code: ProtocolErrorCode;
  /** The struct being decoded or encoded, when known. */
  readonly struct: string | undefined;
  /** The offending field, when known. */
  readonly field: string | undefined;
  /** Byte offset of the offending field in the buffer given to the call, when known. */
  readonly offset: number | undefined;
  /** The offending value, when there is one. */
  readonly value: unknown;

  constructor(code: ProtocolErrorCode, reason: string, details: ProtocolErrorDetails = {}) {
    const where = details.struct
      ? details.field
        ? `${details.struct}.${details.field}`
        : details.struct
      : details.field ?? '';
    const shown = 'value' in details ? ` = ${describe(details.value)}` : '';
    const at = details.offset !== undefined ? ` at offset ${details.offset}` : '';
    super(`${code}: ${where}${shown}${where || shown ? ' ' : ''}${reason}${at}`);
    this.code = code;
    this.struct = details.struct;
    this.field = details.field;
    this.offset = details.offset;
    this.value = details.value;
  }
}

/** True when `e` is a {@link ProtocolError} (optionally with the given code). */
export function isProtocolError(e: unknown, code?: ProtocolErrorCode): e is ProtocolError {
  return e instanceof ProtocolError && (code === undefined || e.code === code);
}
