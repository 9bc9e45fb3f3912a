/** Helpers shared by the codec tests. */
import { expect } from 'vitest';
import { isProtocolError, ProtocolError } from '../src/wire/errors.js';

/** Runs `fn` and returns the `ProtocolError` it throws; anything else thrown, or nothing, fails the test. */
export function errorOf(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProtocolError) return e;
    throw e;
  }
  throw new Error('expected a ProtocolError, got none');
}

/** The code of the `ProtocolError` `fn` throws, or `'no error'` when it returns; anything else thrown fails the test. */
export function errorCodeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isProtocolError(e)) return e.code;
    throw e;
  }
  return 'no error';
}

/**
 * A property body for "any bytes decode to a value or throw one `ProtocolError`": runs `decode`,
 * then `check` on its value (a re-encoding check, say); a `ProtocolError` from either is accepted,
 * anything else thrown fails.
 */
export function decodesOrRejects<T>(decode: (b: Uint8Array) => T, check: (value: T) => void = () => {}): (b: Uint8Array) => void {
  return (b) => {
    try {
      check(decode(b));
    } catch (e) {
      expect(e).toBeInstanceOf(ProtocolError);
    }
  };
}

/** Bytes as space-separated lowercase hex pairs. */
export const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
