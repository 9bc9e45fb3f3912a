/**
 * The C-library behaviour ethtool's output depends on, checked against the real glibc 2.36 of the
 * capture machine: strtoul/strtoll results (fixtures/ethtool/glibc-strto.json) and strerror texts
 * (fixtures/ethtool/glibc-strerror.json); plus ethtool's own number parsers built on them.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { ERRNO, type Errno, cStrlen, errnoName, errnoNumber, isErrno, parseU32, strerror, strtoll, strtoul } from '../../src/ethtool/index.js';

const fixture = (name: string): any => JSON.parse(readFileSync(fileURLToPath(new URL(`../../fixtures/ethtool/${name}`, import.meta.url)), 'utf8'));

describe('strtoul / strtoll match glibc', () => {
  const { cases } = fixture('glibc-strto.json') as { cases: { fn: 'strtoul' | 'strtoll'; base: 0 | 10 | 16; input: string; value: string; end: number; erange: boolean }[] };
  it('has the generated table', () => expect(cases.length).toBe(300));
  it.each(cases.map((c) => [`${c.fn}(${JSON.stringify(c.input)}, ${c.base})`, c] as const))('%s', (_l, c) => {
    const r = (c.fn === 'strtoul' ? strtoul : strtoll)(c.input, c.base);
    // glibc reports byte offsets; the JS index differs only for the one non-ASCII input, where both are 0.
    expect({ value: String(r.value), end: r.end, erange: r.erange }).toEqual({ value: c.value, end: c.end, erange: c.erange });
  });
});

describe('strerror matches glibc', () => {
  const { errnos } = fixture('glibc-strerror.json') as { errnos: { name: string; number: number; text: string }[] };
  it('covers every errno name the simulator knows, with the same numbers', () => {
    expect(new Set(errnos.map((e) => e.name))).toEqual(new Set(Object.keys(ERRNO)));
  });
  it.each(errnos.map((e) => [e.name, e] as const))('%s', (_n, e) => {
    expect(isErrno(e.name)).toBe(true);
    expect(errnoNumber(e.name as Errno)).toBe(e.number);
    expect(errnoName(e.number)).toBe(e.name);
    expect(strerror(e.name as Errno)).toBe(e.text);
    expect(strerror(e.number)).toBe(e.text);
  });
  it('unknown numbers read "Unknown error N"; non-names are not errnos', () => {
    expect(strerror(4095)).toBe('Unknown error 4095');
    expect(errnoName(4095)).toBeUndefined();
    expect(isErrno('EWHATEVER')).toBe(false);
    expect(isErrno('toString')).toBe(false);
  });
});

describe("ethtool's netlink parse_u32 (netlink/parser.c)", () => {
  it.each([
    ['0', 0],
    ['7', 7],
    ['0x1f', 31],
    ['0X1F', 31],
    ['010', 10],
    [' 5', 5],
    ['+5', 5],
    ['-0', 0],
    ['4294967295', 4294967295],
    ['0x0x5', 5],
    ['0xffffffff', 4294967295],
  ] as const)('%j → %d', (s, v) => expect(parseU32(s)).toBe(v));
  it.each(['', '0x', '-1', '4294967296', '0x100000000', 'abc', '5 ', ' 0x5', '+0x5', '1e3', '0x-1'])('%j is invalid', (s) => {
    expect(parseU32(s)).toBeUndefined();
  });
  it('agrees with a direct reading of the rule for any decimal or hex number', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 40n) }), fc.boolean(), (n, hex) => {
        const s = hex ? `0x${n.toString(16)}` : n.toString();
        expect(parseU32(s)).toBe(n <= 0xffffffffn ? Number(n) : undefined);
      }),
      { numRuns: 200 },
    );
  });
  it('counts C string lengths in UTF-8 bytes', () => {
    expect(cStrlen('eth0')).toBe(4);
    expect(cStrlen('ä')).toBe(2);
  });
});
