import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import fixture from '../../fixtures/rss/microsoft-verification.json' with { type: 'json' };
import {
  MICROSOFT_VERIFICATION_KEY_HEX,
  NETVSC_HASH_KEYLEN,
  NETVSC_HASH_KEY_HEX,
  NDIS_HASH_FUNC_TOEPLITZ,
  NDIS_HASH_IPV4,
  NDIS_HASH_IPV6,
  NDIS_HASH_TCP_IPV4,
  NDIS_HASH_TCP_IPV6,
  ToeplitzKey,
  ipv4HashInput,
  ipv4PortsHashInput,
  ipv6HashInput,
  ipv6PortsHashInput,
  microsoftVerificationKey,
  netvscDefaultToeplitzKey,
  netvscHashKey,
  parseIPv4,
  rssHashFlow,
  toeplitzHash,
  toeplitzMaxInputLength,
} from '../../src/rss/index.js';
import { errorCodeOf } from '../helpers.js';

/**
 * Reference Toeplitz, written as literally as Microsoft's `ComputeHash` pseudocode reads
 * ("RSS Hashing Functions"): the whole key is one big integer K; for each input bit from the left,
 * if it is 1 XOR the left-most 32 bits of K into the result; then shift K left one bit.
 * Deliberately slow and independent of the sliding-window and table implementations.
 */
function referenceToeplitz(key: Uint8Array, input: Uint8Array): number {
  const keyBits = BigInt(key.length * 8);
  const mask = (1n << keyBits) - 1n;
  let k = 0n;
  for (const b of key) k = (k << 8n) | BigInt(b);
  let result = 0n;
  for (const byte of input) {
    for (let bit = 7; bit >= 0; bit--) {
      if ((byte >> bit) & 1) result ^= (k >> (keyBits - 32n)) & 0xffffffffn;
      k = (k << 1n) & mask;
    }
  }
  return Number(result);
}

function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
}

/** `netvsc_hash_key` transcribed from drivers/net/hyperv/rndis_filter.c (Debian 6.1.192). */
const KERNEL_NETVSC_HASH_KEY = [
  0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b,
  0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac,
  0x01, 0xfa,
];

const msKey = hexToBytes(fixture.key);
const msToeplitz = new ToeplitzKey(msKey);

type Row = (typeof fixture.ipv4)[number];
const rows = [
  ...fixture.ipv4.map((r) => ({ family: 'ipv4' as const, ...r })),
  ...fixture.ipv6.map((r) => ({ family: 'ipv6' as const, ...r })),
];

function inputs(r: Row & { family: 'ipv4' | 'ipv6' }): { addr: Uint8Array; ports: Uint8Array } {
  // Hash input order: source first, although the published table lists the destination first.
  return r.family === 'ipv4'
    ? {
        addr: ipv4HashInput(r.source, r.destination),
        ports: ipv4PortsHashInput(r.source, r.destination, r.sourcePort, r.destinationPort),
      }
    : {
        addr: ipv6HashInput(r.source, r.destination),
        ports: ipv6PortsHashInput(r.source, r.destination, r.sourcePort, r.destinationPort),
      };
}

describe('Microsoft RSS verification table (fixtures/rss/microsoft-verification.json)', () => {
  it('has the 5 IPv4 and 3 IPv6 rows of the published table', () => {
    expect(fixture.ipv4).toHaveLength(5);
    expect(fixture.ipv6).toHaveLength(3);
  });

  describe.each(rows)('$family $source:$sourcePort -> $destination:$destinationPort', (r) => {
    const want = { addr: Number(r.hashAddresses), ports: Number(r.hashWithPorts) };
    const got = inputs(r);

    it('input lengths are 8/12 (IPv4) or 32/36 (IPv6)', () => {
      expect([got.addr.length, got.ports.length]).toEqual(r.family === 'ipv4' ? [8, 12] : [32, 36]);
    });
    it('ToeplitzKey.hash matches the published hashes', () => {
      expect(msToeplitz.hash(got.addr)).toBe(want.addr);
      expect(msToeplitz.hash(got.ports)).toBe(want.ports);
    });
    it('toeplitzHash (sliding window) matches the published hashes', () => {
      expect(toeplitzHash(msKey, got.addr)).toBe(want.addr);
      expect(toeplitzHash(msKey, got.ports)).toBe(want.ports);
    });
    it('the naive reference matches the published hashes', () => {
      expect(referenceToeplitz(msKey, got.addr)).toBe(want.addr);
      expect(referenceToeplitz(msKey, got.ports)).toBe(want.ports);
    });
    it('rssHashFlow picks the address-only type for ICMP and the port type for TCP', () => {
      const flow = { src: r.source, dst: r.destination, sport: r.sourcePort, dport: r.destinationPort };
      const v6 = r.family === 'ipv6';
      expect(rssHashFlow(netvscDefaultToeplitzKey(), { ...flow, proto: 'tcp' })).toEqual({
        hash: want.ports,
        hashType: v6 ? NDIS_HASH_TCP_IPV6 : NDIS_HASH_TCP_IPV4,
      });
      expect(rssHashFlow(netvscDefaultToeplitzKey(), { ...flow, proto: v6 ? 58 : 1 })).toEqual({
        hash: want.addr,
        hashType: v6 ? NDIS_HASH_IPV6 : NDIS_HASH_IPV4,
      });
    });
    it('swapping source and destination gives a different hash (order matters)', () => {
      const swapped =
        r.family === 'ipv4'
          ? ipv4PortsHashInput(r.destination, r.source, r.destinationPort, r.sourcePort)
          : ipv6PortsHashInput(r.destination, r.source, r.destinationPort, r.sourcePort);
      expect(msToeplitz.hash(swapped)).not.toBe(want.ports);
    });
  });

  it.each(fixture.ipv4)('numeric IPv4 helpers: $source -> $destination', (r) => {
    const num = (text: string) => new DataView(parseIPv4(text).buffer).getUint32(0);
    expect(msToeplitz.hashIPv4(num(r.source), num(r.destination))).toBe(Number(r.hashAddresses));
    expect(msToeplitz.hashIPv4Ports(num(r.source), num(r.destination), r.sourcePort, r.destinationPort)).toBe(
      Number(r.hashWithPorts),
    );
  });

  it.each(fixture.ipv4)('hashPart straight from an IPv4+TCP packet: $source -> $destination', (r) => {
    // 20-byte IPv4 header (addresses at 12..19) followed by a TCP header (ports at 0..3).
    const pkt = new Uint8Array(40);
    parseIPv4(r.source, pkt, 12);
    parseIPv4(r.destination, pkt, 16);
    new DataView(pkt.buffer).setUint16(20, r.sourcePort);
    new DataView(pkt.buffer).setUint16(22, r.destinationPort);
    expect(msToeplitz.hashPart(pkt, 12, 8, 0)).toBe(Number(r.hashAddresses));
    expect((msToeplitz.hashPart(pkt, 12, 8, 0) ^ msToeplitz.hashPart(pkt, 20, 4, 8)) >>> 0).toBe(
      Number(r.hashWithPorts),
    );
  });
});

describe('well-known keys', () => {
  it('Linux netvsc_hash_key and Microsoft verification key are the same 40 bytes', () => {
    expect(Array.from(netvscHashKey())).toEqual(KERNEL_NETVSC_HASH_KEY);
    expect(Array.from(microsoftVerificationKey())).toEqual(Array.from(msKey));
    expect(netvscHashKey()).toEqual(microsoftVerificationKey());
    expect(NETVSC_HASH_KEY_HEX).toBe(MICROSOFT_VERIFICATION_KEY_HEX);
    expect(netvscHashKey()).toHaveLength(NETVSC_HASH_KEYLEN);
  });

  it('hands out copies: mutating one does not change the next', () => {
    const a = netvscHashKey();
    a[0] = 0;
    expect(netvscHashKey()[0]).toBe(0x6d);
  });

  it('netvscDefaultToeplitzKey is the netvsc key, built once', () => {
    expect(netvscDefaultToeplitzKey().equals(netvscHashKey())).toBe(true);
    expect(netvscDefaultToeplitzKey()).toBe(netvscDefaultToeplitzKey());
    expect(netvscDefaultToeplitzKey().maxInputLength).toBe(36);
    expect(NDIS_HASH_FUNC_TOEPLITZ).toBe(1);
  });
});

/** A key and an input it can hash. */
const keyAndInput = fc
  .integer({ min: 4, max: 64 })
  .chain((keyLen) =>
    fc.tuple(
      fc.uint8Array({ minLength: keyLen, maxLength: keyLen }),
      fc.uint8Array({ maxLength: keyLen - 4 }),
    ),
  );

/** A key and two inputs of equal length. */
const keyAndTwoInputs = fc
  .integer({ min: 4, max: 64 })
  .chain((keyLen) =>
    fc.tuple(fc.uint8Array({ minLength: keyLen, maxLength: keyLen }), fc.integer({ min: 0, max: keyLen - 4 })),
  )
  .chain(([key, n]) =>
    fc.tuple(
      fc.constant(key),
      fc.uint8Array({ minLength: n, maxLength: n }),
      fc.uint8Array({ minLength: n, maxLength: n }),
    ),
  );

describe('Toeplitz properties', () => {
  it('ToeplitzKey.hash and toeplitzHash equal the naive reference on random keys and inputs', () => {
    fc.assert(
      fc.property(keyAndInput, ([key, input]) => {
        const want = referenceToeplitz(key, input);
        expect(new ToeplitzKey(key).hash(input)).toBe(want);
        expect(toeplitzHash(key, input)).toBe(want);
      }),
      { numRuns: 300 },
    );
  });

  it('is linear over XOR: h(a ^ b) = h(a) ^ h(b) for equal-length inputs', () => {
    fc.assert(
      fc.property(keyAndTwoInputs, ([key, a, b]) => {
        const k = new ToeplitzKey(key);
        const x = a.map((v, i) => v ^ b[i]!);
        expect(k.hash(x)).toBe((k.hash(a) ^ k.hash(b)) >>> 0);
        expect(toeplitzHash(key, x)).toBe((toeplitzHash(key, a) ^ toeplitzHash(key, b)) >>> 0);
      }),
      { numRuns: 300 },
    );
  });

  it('all-zero input hashes to 0, and a single set bit selects the key window at that bit', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 40, maxLength: 40 }),
        fc.integer({ min: 0, max: 36 * 8 - 1 }),
        (key, bitPos) => {
          const k = new ToeplitzKey(key);
          expect(k.hash(new Uint8Array(36))).toBe(0);
          const input = new Uint8Array(36);
          input[bitPos >> 3] = 0x80 >> (bitPos & 7);
          let window = 0;
          for (let i = 0; i < 32; i++) {
            const b = bitPos + i;
            window = (window << 1) | ((key[b >> 3]! >> (7 - (b & 7))) & 1);
          }
          expect(k.hash(input)).toBe(window >>> 0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('hashPart: the hash of a concatenation is the XOR of the parts at their positions', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 40, maxLength: 40 }),
        fc.uint8Array({ maxLength: 36 }),
        fc.nat(),
        fc.nat(8),
        (key, input, cutSeed, pad) => {
          const k = new ToeplitzKey(key);
          const cut = input.length === 0 ? 0 : cutSeed % (input.length + 1);
          // Place the two parts at unrelated offsets of a bigger buffer.
          const buf = new Uint8Array(pad + input.length + 3);
          buf.set(input.subarray(cut), pad);
          buf.set(input.subarray(0, cut), pad + input.length - cut + 3);
          const head = k.hashPart(buf, pad + input.length - cut + 3, cut, 0);
          const tail = k.hashPart(buf, pad, input.length - cut, cut);
          expect((head ^ tail) >>> 0).toBe(k.hash(input));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('hashU32 / hashU16 equal hashPart of the big-endian bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 40, maxLength: 40 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 32 }),
        (key, u32, u16, pos) => {
          const k = new ToeplitzKey(key);
          const b = new Uint8Array(6);
          new DataView(b.buffer).setUint32(0, u32);
          new DataView(b.buffer).setUint16(4, u16);
          expect(k.hashU32(u32, pos)).toBe(k.hashPart(b, 0, 4, pos));
          expect(k.hashU16(u16, pos + 2)).toBe(k.hashPart(b, 4, 2, pos + 2));
        },
      ),
    );
  });

  it('hash(input, offset, length) hashes just that range', () => {
    fc.assert(
      fc.property(keyAndInput, fc.uint8Array({ maxLength: 8 }), ([key, input], pre) => {
        const buf = new Uint8Array(pre.length + input.length + 5);
        buf.set(pre);
        buf.set(input, pre.length);
        expect(new ToeplitzKey(key).hash(buf, pre.length, input.length)).toBe(referenceToeplitz(key, input));
      }),
      { numRuns: 100 },
    );
  });

  it('a ToeplitzKey keeps its own copy of the key', () => {
    fc.assert(
      fc.property(keyAndInput, ([key, input]) => {
        const k = new ToeplitzKey(key);
        const before = k.hash(input);
        const copy = Uint8Array.from(key);
        key.fill(0xa5);
        expect(k.hash(input)).toBe(before);
        expect(k.bytes()).toEqual(copy);
        expect(k.equals(copy)).toBe(true);
        expect(k.length).toBe(copy.length);
      }),
      { numRuns: 50 },
    );
  });
});

describe('Toeplitz errors', () => {
  it('rejects keys shorter than 4 bytes', () => {
    expect(errorCodeOf(() => new ToeplitzKey(new Uint8Array(3)))).toBe('BAD_LENGTH');
    expect(errorCodeOf(() => toeplitzHash(new Uint8Array(0), new Uint8Array(0)))).toBe('BAD_LENGTH');
    expect(toeplitzMaxInputLength(3)).toBe(0);
    expect(toeplitzMaxInputLength(40)).toBe(36);
  });

  it('rejects inputs longer than key length − 4, accepts exactly that length', () => {
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 64 }), fc.integer({ min: 1, max: 8 }), (keyLen, extra) => {
        const key = new Uint8Array(keyLen).fill(0xff);
        const k = new ToeplitzKey(key);
        expect(errorCodeOf(() => k.hash(new Uint8Array(keyLen - 4 + extra)))).toBe('BAD_LENGTH');
        expect(errorCodeOf(() => toeplitzHash(key, new Uint8Array(keyLen - 4 + extra)))).toBe('BAD_LENGTH');
        expect(errorCodeOf(() => k.hash(new Uint8Array(keyLen - 4)))).toBe('no error');
      }),
      { numRuns: 50 },
    );
  });

  it('rejects ranges outside the buffer and positions past the key', () => {
    const k = new ToeplitzKey(msKey);
    expect(errorCodeOf(() => k.hash(new Uint8Array(8), 4, 8))).toBe('SHORT_BUFFER');
    expect(errorCodeOf(() => k.hashPart(new Uint8Array(8), -1, 2, 0))).toBe('SHORT_BUFFER');
    expect(errorCodeOf(() => k.hashPart(new Uint8Array(8), 0, 8, 30))).toBe('BAD_LENGTH');
    expect(errorCodeOf(() => k.hashPart(new Uint8Array(8), 0, 1, -1))).toBe('BAD_LENGTH');
    expect(errorCodeOf(() => k.hashU32(0, 33))).toBe('BAD_LENGTH');
    expect(errorCodeOf(() => k.hashU16(0, 35))).toBe('BAD_LENGTH');
    expect(errorCodeOf(() => k.hashU16(0, 34))).toBe('no error');
  });
});
