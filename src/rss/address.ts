/**
 * IP address text → network-order bytes, for building RSS hash inputs.
 *
 * Accepted forms (written for this project; no parser library, runs in browsers):
 * - IPv4: dotted decimal `a.b.c.d`, each part 0–255 in decimal without leading zeros (so `010` is
 *   rejected rather than guessed at as octal).
 * - IPv6: RFC 4291 §2.2 text: eight groups of 1–4 hex digits, at most one `::` standing for one or
 *   more zero groups, and optionally a dotted IPv4 tail in place of the last two groups
 *   (`::ffff:192.0.2.1`). Zone ids (`%eth0`) and brackets are rejected.
 *
 * @module
 */
import { ProtocolError } from '../wire/errors.js';

const DEC_OCTET = /^(0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

function badAddress(text: string, reason: string, field: string): ProtocolError {
  return new ProtocolError('BAD_VALUE', reason, { struct: 'ip_address', field, value: text });
}

function parseIPv4Into(text: string, out: Uint8Array, offset: number): boolean {
  const parts = text.split('.');
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!DEC_OCTET.test(p)) return false;
    const v = Number(p);
    if (v > 255) return false;
    out[offset + i] = v;
  }
  return true;
}

/**
 * Parses dotted-decimal IPv4 text into 4 bytes (network order), written at `offset` of `out`.
 * @throws {@link ProtocolError} `BAD_VALUE` for anything else.
 */
export function parseIPv4(text: string, out: Uint8Array = new Uint8Array(4), offset = 0, field = 'ipv4'): Uint8Array {
  if (!parseIPv4Into(text, out, offset)) throw badAddress(text, 'is not dotted-decimal IPv4 text', field);
  return out;
}

/** Parses a list of `:`-separated IPv6 groups into 16-bit values; null when malformed. */
function parseGroups(part: string, allowV4Tail: boolean): number[] | null {
  if (part === '') return [];
  const pieces = part.split(':');
  const groups: number[] = [];
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i]!;
    if (allowV4Tail && i === pieces.length - 1 && p.includes('.')) {
      const v4 = new Uint8Array(4);
      if (!parseIPv4Into(p, v4, 0)) return null;
      groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    } else {
      if (!HEX_GROUP.test(p)) return null;
      groups.push(parseInt(p, 16));
    }
  }
  return groups;
}

/**
 * Parses IPv6 text into 16 bytes (network order), written at `offset` of `out`.
 * @throws {@link ProtocolError} `BAD_VALUE` for malformed text.
 */
export function parseIPv6(text: string, out: Uint8Array = new Uint8Array(16), offset = 0, field = 'ipv6'): Uint8Array {
  const fail = (why: string) => badAddress(text, why, field);
  const gap = text.indexOf('::');
  let groups: number[];
  if (gap < 0) {
    const all = parseGroups(text, true);
    if (!all || all.length !== 8) throw fail('is not IPv6 text (needs 8 groups or a "::")');
    groups = all;
  } else {
    if (text.indexOf('::', gap + 1) >= 0) throw fail('has more than one "::"');
    const head = parseGroups(text.slice(0, gap), false);
    const tail = parseGroups(text.slice(gap + 2), true);
    if (!head || !tail) throw fail('is not IPv6 text');
    const zeros = 8 - head.length - tail.length;
    if (zeros < 1) throw fail('has "::" but already 8 groups');
    groups = [...head, ...new Array<number>(zeros).fill(0), ...tail];
  }
  for (let i = 0; i < 8; i++) {
    out[offset + 2 * i] = groups[i]! >>> 8;
    out[offset + 2 * i + 1] = groups[i]! & 0xff;
  }
  return out;
}

/** An IP address: text (IPv4 dotted or IPv6) or its 4 or 16 network-order bytes. */
export type IpAddressInput = string | Uint8Array;

/**
 * Normalises an address to network-order bytes: 4 for IPv4, 16 for IPv6. Text containing `:` is
 * read as IPv6, otherwise as IPv4. Byte arrays must be 4 or 16 long and are returned as they are.
 * @throws {@link ProtocolError} `BAD_VALUE` for bad text, `BAD_LENGTH` for a byte array of another
 *   length.
 */
export function ipAddressBytes(address: IpAddressInput, field = 'address'): Uint8Array {
  if (typeof address === 'string') {
    return address.includes(':') ? parseIPv6(address, undefined, 0, field) : parseIPv4(address, undefined, 0, field);
  }
  if (address.length !== 4 && address.length !== 16) {
    throw new ProtocolError('BAD_LENGTH', 'is neither an IPv4 (4 bytes) nor an IPv6 (16 bytes) address', {
      struct: 'ip_address',
      field,
      value: address.length,
    });
  }
  return address;
}

/** Formats 4 network-order bytes as dotted-decimal text. */
export function formatIPv4(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}
