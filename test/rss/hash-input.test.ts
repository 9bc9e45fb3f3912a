import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import {
  HV_DEFAULT_L4HASH,
  IPPROTO_TCP,
  IPPROTO_UDP,
  NDIS_HASH_FUNC_TOEPLITZ,
  NDIS_HASH_IPV4,
  NDIS_HASH_IPV6,
  NDIS_HASH_IPV6_EX,
  NDIS_HASH_TCP_IPV4,
  NDIS_HASH_TCP_IPV6,
  NDIS_HASH_TCP_IPV6_EX,
  NDIS_HASH_TYPE_MASK,
  NDIS_HASH_UDP_IPV4,
  NDIS_HASH_UDP_IPV6,
  NDIS_HASH_UDP_IPV6_EX,
  NETVSC_HASH_INFO,
  ToeplitzKey,
  formatIPv4,
  ipAddressBytes,
  ipv4HashInput,
  ipv4PortsHashInput,
  ipv6HashInput,
  ipv6PortsHashInput,
  netvscHashKey,
  parseIPv4,
  parseIPv6,
  rssHashFlow,
  selectHashInput,
  type Flow,
} from '../../src/rss/index.js';
import { errorCodeOf } from '../helpers.js';

const hex = (b: Uint8Array) => Array.from(b, (v) => v.toString(16).padStart(2, '0')).join('');

describe('constants', () => {
  it('hash-information bits match hyperv_net.h / openvmm rndisprot.rs', () => {
    expect([
      NDIS_HASH_IPV4,
      NDIS_HASH_TCP_IPV4,
      NDIS_HASH_IPV6,
      NDIS_HASH_IPV6_EX,
      NDIS_HASH_TCP_IPV6,
      NDIS_HASH_TCP_IPV6_EX,
      NDIS_HASH_UDP_IPV4,
      NDIS_HASH_UDP_IPV6,
      NDIS_HASH_UDP_IPV6_EX,
    ]).toEqual([0x100, 0x200, 0x400, 0x800, 0x1000, 0x2000, 0x4000, 0x8000, 0x10000]);
    expect(NDIS_HASH_TYPE_MASK).toBe(0x1ff00);
  });
  it('Linux sends hash information 0x1701 (spec §3.9, Appendix A bytes "01 17 00 00")', () => {
    expect(NETVSC_HASH_INFO).toBe(0x1701);
    expect(HV_DEFAULT_L4HASH).toBe(15);
  });
});

describe('IPv4 text', () => {
  it.each([
    ['0.0.0.0', '00000000'],
    ['255.255.255.255', 'ffffffff'],
    ['161.142.100.80', 'a18e6450'],
  ])('%s', (text, want) => {
    expect(hex(parseIPv4(text))).toBe(want);
    expect(formatIPv4(parseIPv4(text))).toBe(text);
  });
  it.each(['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '01.2.3.4', '1.2.3.-4', ' 1.2.3.4', '1.2.3.4 ', 'a.b.c.d', '1..3.4'])(
    'rejects %j',
    (text) => expect(errorCodeOf(() => parseIPv4(text))).toBe('BAD_VALUE'),
  );
  it('round-trips every address', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (b) => {
        expect(parseIPv4(formatIPv4(b))).toEqual(b);
      }),
    );
  });
  it('writes at an offset without touching neighbours', () => {
    const out = new Uint8Array(8).fill(0xee);
    parseIPv4('1.2.3.4', out, 2);
    expect(hex(out)).toBe('eeee01020304eeee');
  });
});

describe('IPv6 text', () => {
  it.each([
    ['::', '00000000000000000000000000000000'],
    ['::1', '00000000000000000000000000000001'],
    ['1::', '00010000000000000000000000000000'],
    ['ff02::1', 'ff020000000000000000000000000001'],
    ['3ffe:2501:200:1fff::7', '3ffe250102001fff0000000000000007'],
    ['3ffe:501:8::260:97ff:fe40:efab', '3ffe050100080000026097fffe40efab'],
    ['3FFE:1900:4545:3:200:F8FF:FE21:67CF', '3ffe1900454500030200f8fffe2167cf'],
    ['::ffff:192.0.2.1', '00000000000000000000ffffc0000201'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
    ['1:2:3:4:5:6:1.2.3.4', '00010002000300040005000601020304'],
    ['1:2:3:4:5:6:7::', '00010002000300040005000600070000'],
  ])('%s', (text, want) => {
    expect(hex(parseIPv6(text))).toBe(want);
  });
  it.each([
    '',
    ':',
    ':::',
    '1:::2',
    '1::2::3',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7:8::',
    '12345::',
    'g::1',
    ':1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:',
    '1.2.3.4::',
    '::1.2.3',
    'fe80::1%eth0',
    '[::1]',
  ])('rejects %j', (text) => expect(errorCodeOf(() => parseIPv6(text))).toBe('BAD_VALUE'));

  /** Formats 16 bytes as IPv6 text, compressing the longest zero run (or none) with "::". */
  function format6(b: Uint8Array, compress: boolean): string {
    const g = Array.from({ length: 8 }, (_, i) => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16));
    if (!compress) return g.join(':');
    let best = -1;
    let bestLen = 0;
    for (let i = 0; i < 8; ) {
      if (g[i] !== '0') {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && g[j] === '0') j++;
      if (j - i > bestLen) [best, bestLen] = [i, j - i];
      i = j;
    }
    if (best < 0) return g.join(':');
    return `${g.slice(0, best).join(':')}::${g.slice(best + bestLen).join(':')}`;
  }

  it('round-trips every address, written in full or compressed', () => {
    // Bias toward zero groups so "::" appears often.
    const bytes = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 }).map(
      (groups) => {
        const b = new Uint8Array(16);
        groups.forEach((v, i) => {
          b[2 * i] = v >> 8;
          b[2 * i + 1] = v & 0xff;
        });
        return b;
      },
    );
    fc.assert(
      fc.property(bytes, (b) => {
        expect(parseIPv6(format6(b, false))).toEqual(b);
        expect(parseIPv6(format6(b, true))).toEqual(b);
      }),
    );
  });

  it('ipAddressBytes picks the family from the text and checks byte lengths', () => {
    expect(ipAddressBytes('10.0.0.1')).toHaveLength(4);
    expect(ipAddressBytes('::1')).toHaveLength(16);
    const raw = new Uint8Array(16);
    expect(ipAddressBytes(raw)).toBe(raw);
    expect(errorCodeOf(() => ipAddressBytes(new Uint8Array(5)))).toBe('BAD_LENGTH');
    expect(errorCodeOf(() => ipAddressBytes('10.0.0'))).toBe('BAD_VALUE');
  });
});

describe('hash input builders', () => {
  it('IPv4 + ports: src, dst, sport, dport in network order (12 bytes)', () => {
    expect(hex(ipv4PortsHashInput('66.9.149.187', '161.142.100.80', 2794, 1766))).toBe('420995bba18e64500aea06e6');
    expect(hex(ipv4HashInput('66.9.149.187', '161.142.100.80'))).toBe('420995bba18e6450');
  });
  it('IPv6 + ports: src, dst, sport, dport in network order (36 bytes)', () => {
    const b = ipv6PortsHashInput('3ffe:2501:200:1fff::7', '3ffe:2501:200:3::1', 2794, 1766);
    expect(hex(b)).toBe('3ffe250102001fff0000000000000007' + '3ffe2501020000030000000000000001' + '0aea06e6');
    expect(hex(ipv6HashInput('3ffe:2501:200:1fff::7', '3ffe:2501:200:3::1'))).toBe(hex(b.subarray(0, 32)));
  });
  it('accepts byte addresses and writes into a caller buffer at an offset', () => {
    const out = new Uint8Array(20).fill(0xee);
    const ret = ipv4PortsHashInput(Uint8Array.of(10, 0, 0, 1), Uint8Array.of(10, 0, 0, 2), 1, 0xffff, out, 4);
    expect(ret).toBe(out);
    expect(hex(out)).toBe('eeeeeeee' + '0a000001' + '0a000002' + '0001ffff' + 'eeeeeeee');
  });
  it('rejects bad ports, wrong families and short buffers', () => {
    expect(errorCodeOf(() => ipv4PortsHashInput('1.1.1.1', '2.2.2.2', 65536, 0))).toBe('FIELD_RANGE');
    expect(errorCodeOf(() => ipv4PortsHashInput('1.1.1.1', '2.2.2.2', 0, -1))).toBe('FIELD_RANGE');
    expect(errorCodeOf(() => ipv6PortsHashInput('::1', '::2', 1.5, 0))).toBe('FIELD_RANGE');
    expect(errorCodeOf(() => ipv4HashInput('::1', '2.2.2.2'))).toBe('BAD_VALUE');
    expect(errorCodeOf(() => ipv6HashInput('::1', '2.2.2.2'))).toBe('BAD_VALUE');
    expect(errorCodeOf(() => ipv4HashInput('1.1.1.1', '2.2.2.2', new Uint8Array(10), 3))).toBe('SHORT_BUFFER');
    expect(errorCodeOf(() => ipv6PortsHashInput('::1', '::2', 1, 2, new Uint8Array(35)))).toBe('SHORT_BUFFER');
  });
});

describe('hash type selection (Microsoft "RSS Hashing Types")', () => {
  const v4 = { src: '10.0.0.1', dst: '10.0.0.2', sport: 1000, dport: 80 };
  const v6 = { src: 'fe80::1', dst: 'fe80::2', sport: 1000, dport: 80 };
  const sel = (flow: Flow, info: number) => {
    const s = selectHashInput(flow, info);
    return s && { len: s.input.length, type: s.hashType };
  };

  it('Linux 0x1701: TCP hashes the 4-tuple, UDP and ICMP the addresses', () => {
    expect(sel({ ...v4, proto: 'tcp' }, NETVSC_HASH_INFO)).toEqual({ len: 12, type: NDIS_HASH_TCP_IPV4 });
    expect(sel({ ...v4, proto: 'udp' }, NETVSC_HASH_INFO)).toEqual({ len: 8, type: NDIS_HASH_IPV4 });
    expect(sel({ ...v4, proto: 1 }, NETVSC_HASH_INFO)).toEqual({ len: 8, type: NDIS_HASH_IPV4 });
    expect(sel({ ...v6, proto: IPPROTO_TCP }, NETVSC_HASH_INFO)).toEqual({ len: 36, type: NDIS_HASH_TCP_IPV6 });
    expect(sel({ ...v6, proto: IPPROTO_UDP }, NETVSC_HASH_INFO)).toEqual({ len: 32, type: NDIS_HASH_IPV6 });
  });
  it('UDP bits hash UDP ports', () => {
    const info = NDIS_HASH_FUNC_TOEPLITZ | NDIS_HASH_UDP_IPV4 | NDIS_HASH_UDP_IPV6;
    expect(sel({ ...v4, proto: 'udp' }, info)).toEqual({ len: 12, type: NDIS_HASH_UDP_IPV4 });
    expect(sel({ ...v6, proto: 'udp' }, info)).toEqual({ len: 36, type: NDIS_HASH_UDP_IPV6 });
    expect(sel({ ...v4, proto: 'tcp' }, info)).toBeNull();
  });
  it('a fragment never hashes ports, even with TCP bits', () => {
    expect(sel({ ...v4, proto: 'tcp', fragment: true }, NETVSC_HASH_INFO)).toEqual({ len: 8, type: NDIS_HASH_IPV4 });
    expect(sel({ ...v4, proto: 'tcp', fragment: true }, NDIS_HASH_FUNC_TOEPLITZ | NDIS_HASH_TCP_IPV4)).toBeNull();
  });
  it('with a TCP bit alone, non-TCP packets are not hashed', () => {
    expect(sel({ ...v4, proto: 'udp' }, NDIS_HASH_FUNC_TOEPLITZ | NDIS_HASH_TCP_IPV4)).toBeNull();
    expect(sel({ ...v6, proto: 58 }, NDIS_HASH_FUNC_TOEPLITZ | NDIS_HASH_TCP_IPV6)).toBeNull();
  });
  it('an IPv4-only configuration does not hash IPv6 and vice versa', () => {
    expect(sel({ ...v6, proto: 'tcp' }, NDIS_HASH_FUNC_TOEPLITZ | NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4)).toBeNull();
    expect(sel({ ...v4, proto: 'tcp' }, NDIS_HASH_FUNC_TOEPLITZ | NDIS_HASH_IPV6 | NDIS_HASH_TCP_IPV6)).toBeNull();
  });
  it('_EX types hash plain addresses when there are no extension headers; regular types win', () => {
    const ex = NDIS_HASH_FUNC_TOEPLITZ | NDIS_HASH_IPV6_EX | NDIS_HASH_TCP_IPV6_EX | NDIS_HASH_UDP_IPV6_EX;
    expect(sel({ ...v6, proto: 'tcp' }, ex)).toEqual({ len: 36, type: NDIS_HASH_TCP_IPV6_EX });
    expect(sel({ ...v6, proto: 'udp' }, ex)).toEqual({ len: 36, type: NDIS_HASH_UDP_IPV6_EX });
    expect(sel({ ...v6, proto: 58 }, ex)).toEqual({ len: 32, type: NDIS_HASH_IPV6_EX });
    expect(sel({ ...v6, proto: 'tcp' }, ex | NDIS_HASH_TCP_IPV6)).toEqual({ len: 36, type: NDIS_HASH_TCP_IPV6 });
  });
  it('no Toeplitz function (0 = RSS off, or an unknown function) means no hash', () => {
    expect(sel({ ...v4, proto: 'tcp' }, NETVSC_HASH_INFO & ~0xff)).toBeNull();
    expect(sel({ ...v4, proto: 'tcp' }, (NETVSC_HASH_INFO & ~0xff) | 2)).toBeNull();
  });
  it('rejects mixed families, TCP without ports, and bad protocol numbers', () => {
    expect(errorCodeOf(() => selectHashInput({ src: '1.1.1.1', dst: '::1', proto: 1 }, NETVSC_HASH_INFO))).toBe(
      'BAD_VALUE',
    );
    expect(errorCodeOf(() => selectHashInput({ src: '1.1.1.1', dst: '2.2.2.2', proto: 'tcp' }, NETVSC_HASH_INFO))).toBe(
      'BAD_VALUE',
    );
    expect(errorCodeOf(() => selectHashInput({ ...v4, proto: 256 }, NETVSC_HASH_INFO))).toBe('FIELD_RANGE');
  });

  it('the hash of the chosen input is what rssHashFlow reports, for any flow and hash info', () => {
    const key = new ToeplitzKey(netvscHashKey());
    const addr4 = fc.uint8Array({ minLength: 4, maxLength: 4 });
    const addr6 = fc.uint8Array({ minLength: 16, maxLength: 16 });
    const flow = fc.record({
      pair: fc.oneof(fc.tuple(addr4, addr4), fc.tuple(addr6, addr6)),
      sport: fc.integer({ min: 0, max: 0xffff }),
      dport: fc.integer({ min: 0, max: 0xffff }),
      proto: fc.constantFrom<Flow['proto']>('tcp', 'udp', 1, 58, 47),
      fragment: fc.boolean(),
    });
    const info = fc.integer({ min: 0, max: 0x1ffff }).map((t) => (t & NDIS_HASH_TYPE_MASK) | NDIS_HASH_FUNC_TOEPLITZ);
    fc.assert(
      fc.property(flow, info, (f, hashInfo) => {
        const fl: Flow = { src: f.pair[0], dst: f.pair[1], sport: f.sport, dport: f.dport, proto: f.proto, fragment: f.fragment };
        const s = selectHashInput(fl, hashInfo);
        const h = rssHashFlow(key, fl, hashInfo);
        if (s === null) {
          expect(h).toBeNull();
          return;
        }
        expect(h).toEqual({ hash: key.hash(s.input), hashType: s.hashType });
        // The reported type is one enabled bit; ports are hashed exactly when the packet is an
        // unfragmented TCP/UDP packet of the family and a matching port type is enabled.
        expect(hashInfo & s.hashType).toBe(s.hashType);
        expect(s.hashType & (s.hashType - 1)).toBe(0);
        const v6 = f.pair[0].length === 16;
        const l4Bits =
          f.proto === 'tcp'
            ? v6
              ? NDIS_HASH_TCP_IPV6 | NDIS_HASH_TCP_IPV6_EX
              : NDIS_HASH_TCP_IPV4
            : f.proto === 'udp'
              ? v6
                ? NDIS_HASH_UDP_IPV6 | NDIS_HASH_UDP_IPV6_EX
                : NDIS_HASH_UDP_IPV4
              : 0;
        const withPorts = s.input.length === (v6 ? 36 : 12);
        expect(withPorts).toBe(!f.fragment && (hashInfo & l4Bits) !== 0);
        expect(s.input.length).toBe(withPorts ? (v6 ? 36 : 12) : v6 ? 32 : 8);
      }),
    );
  });
});
