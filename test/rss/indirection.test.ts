import { VRSS_SEND_TAB_SIZE } from '../../src/protocol/nvsp.js';
import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import {
  INDIRECTION_ENTRY_BYTES,
  ITAB_NUM,
  ITAB_NUM_MAX,
  checkHashKeySize,
  checkIndirectionEntries,
  checkIndirectionTableBytes,
  checkRssTable,
  defaultIndirectionTable,
  defaultSendTable,
  ethtoolRxfhIndirDefault,
  expandIndirectionTable,
  indirectionIndex,
  isPowerOfTwo,
  ipv4PortsHashInput,
  netvscDefaultToeplitzKey,
  selectQueue,
  selectSendQueue,
} from '../../src/rss/index.js';
import { errorCodeOf } from '../helpers.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const channels = fc.integer({ min: 1, max: 64 });

describe('Linux netvsc tables', () => {
  it('constants follow hyperv_net.h (6.1.192)', () => {
    expect([ITAB_NUM, ITAB_NUM_MAX, VRSS_SEND_TAB_SIZE, INDIRECTION_ENTRY_BYTES]).toEqual([128, 256, 16, 4]);
  });

  it('default receive table: 128 entries, entry i = i mod num_chn', () => {
    const t = defaultIndirectionTable(3);
    expect(t).toHaveLength(128);
    expect(Array.from(t.subarray(0, 8))).toEqual([0, 1, 2, 0, 1, 2, 0, 1]);
    expect(t[127]).toBe(127 % 3);
    fc.assert(
      fc.property(channels, fc.integer({ min: 1, max: ITAB_NUM_MAX }), (n, size) => {
        const table = defaultIndirectionTable(n, size);
        expect(table).toHaveLength(size);
        table.forEach((e, i) => expect(e).toBe(ethtoolRxfhIndirDefault(i, n)));
        table.forEach((e, i) => expect(e).toBe(i % n));
      }),
      { numRuns: 50 },
    );
  });

  it('rejects zero channels and empty tables', () => {
    expect(errorCodeOf(() => defaultIndirectionTable(0))).toBe('BAD_VALUE');
    expect(errorCodeOf(() => defaultIndirectionTable(4, 0))).toBe('BAD_VALUE');
    expect(errorCodeOf(() => ethtoolRxfhIndirDefault(1, 0))).toBe('BAD_VALUE');
  });

  it('send table: 16 entries i mod num_chn; tx queue = table[hash & 15]', () => {
    expect(Array.from(defaultSendTable(5))).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0]);
    fc.assert(
      fc.property(channels, u32, (n, hash) => {
        const st = defaultSendTable(n);
        expect(selectSendQueue(hash, st)).toBe((hash & 15) % n);
        expect(selectSendQueue(hash, st)).toBeLessThan(n);
      }),
    );
    expect(errorCodeOf(() => selectSendQueue(0, new Uint32Array(8)))).toBe('BAD_LENGTH');
  });
});

describe('hash → entry → queue', () => {
  it('power-of-two sizes use the low bits, which equals hash mod size', () => {
    fc.assert(
      fc.property(u32, fc.integer({ min: 0, max: 30 }), (hash, bits) => {
        const size = 2 ** bits;
        expect(indirectionIndex(hash, size)).toBe((hash & (size - 1)) >>> 0);
        expect(indirectionIndex(hash, size)).toBe(hash % size);
      }),
    );
  });

  it('other sizes use hash mod size; the index is always inside the table', () => {
    fc.assert(
      fc.property(u32, fc.integer({ min: 1, max: 4096 }), (hash, size) => {
        const i = indirectionIndex(hash, size);
        expect(i).toBe(hash % size);
        expect(i).toBeGreaterThanOrEqual(0);
        expect(i).toBeLessThan(size);
      }),
    );
    expect(indirectionIndex(0xffffffff, 96)).toBe(0xffffffff % 96);
  });

  it('treats the hash as unsigned (a signed int32 from XOR gives the same entry)', () => {
    fc.assert(
      fc.property(u32, fc.integer({ min: 1, max: 512 }), (hash, size) => {
        expect(indirectionIndex(hash | 0, size)).toBe(indirectionIndex(hash, size));
      }),
    );
  });

  it('rejects an empty table', () => {
    expect(errorCodeOf(() => indirectionIndex(5, 0))).toBe('BAD_VALUE');
    expect(errorCodeOf(() => selectQueue(5, []))).toBe('BAD_VALUE');
    expect(errorCodeOf(() => indirectionIndex(5, 2.5))).toBe('BAD_VALUE');
  });

  it('selectQueue = table[hash mod size] for any table', () => {
    fc.assert(
      fc.property(u32, fc.array(fc.integer({ min: 0, max: 63 }), { minLength: 1, maxLength: 300 }), (hash, table) => {
        expect(selectQueue(hash, table)).toBe(table[hash % table.length]);
      }),
    );
  });

  it('with the Linux default table of n channels, queue = (hash & 127) mod n', () => {
    fc.assert(
      fc.property(u32, channels, (hash, n) => {
        expect(selectQueue(hash, defaultIndirectionTable(n))).toBe((hash & 127) % n);
      }),
      { numRuns: 200 },
    );
  });

  it('worked example: Microsoft row 1 (TCP) under the netvsc key, 4 channels', () => {
    const h = netvscDefaultToeplitzKey().hash(ipv4PortsHashInput('66.9.149.187', '161.142.100.80', 2794, 1766));
    expect(h).toBe(0x51ccc178);
    // 0x51ccc178 & 127 = 0x78 = 120 → entry 120 = 120 mod 4 = 0; with 7 channels 120 mod 7 = 1.
    expect(indirectionIndex(h, 128)).toBe(120);
    expect(selectQueue(h, defaultIndirectionTable(4))).toBe(0);
    expect(selectQueue(h, defaultIndirectionTable(7))).toBe(1);
  });
});

describe('host table expansion (openvmm)', () => {
  it('repeats the first min(len, hostSize) entries to fill the host table', () => {
    expect(Array.from(expandIndirectionTable([3, 1, 2], 8))).toEqual([3, 1, 2, 3, 1, 2, 3, 1]);
    expect(Array.from(expandIndirectionTable([0, 1, 2, 3, 4, 5], 4))).toEqual([0, 1, 2, 3]);
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 63 }), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 1, max: 300 }),
        (entries, hostSize) => {
          const out = expandIndirectionTable(entries, hostSize);
          expect(out).toHaveLength(hostSize);
          const used = Math.min(entries.length, hostSize);
          out.forEach((e, i) => expect(e).toBe(entries[i % used]));
        },
      ),
    );
  });
  it('a guest table of the host size is kept as is', () => {
    fc.assert(
      fc.property(channels, (n) => {
        const t = defaultIndirectionTable(n);
        expect(expandIndirectionTable(t, ITAB_NUM)).toEqual(t);
      }),
    );
  });
  it('rejects empty inputs', () => {
    expect(errorCodeOf(() => expandIndirectionTable([], 128))).toBe('BAD_VALUE');
    expect(errorCodeOf(() => expandIndirectionTable([0], 0))).toBe('BAD_VALUE');
  });
});

describe('validation helpers (errors returned as values)', () => {
  it('isPowerOfTwo', () => {
    expect([1, 2, 4, 128, 256, 2 ** 30].every(isPowerOfTwo)).toBe(true);
    expect([0, -2, 3, 6, 12, 96, 1.5, NaN].some(isPowerOfTwo)).toBe(false);
  });

  it('table size: non-zero multiple of 4 (openvmm); power of two only on request', () => {
    expect(checkIndirectionTableBytes(512)).toBeUndefined();
    expect(checkIndirectionTableBytes(4)).toBeUndefined();
    expect(checkIndirectionTableBytes(12)).toBeUndefined();
    const zero = checkIndirectionTableBytes(0);
    expect(zero?.code).toBe('BAD_LENGTH');
    expect(zero?.field).toBe('indirect_tabsize');
    expect(zero?.offset).toBe(12);
    expect(checkIndirectionTableBytes(6)?.code).toBe('BAD_LENGTH');
    expect(checkIndirectionTableBytes(12, { requirePowerOfTwo: true })?.code).toBe('BAD_LENGTH');
    expect(checkIndirectionTableBytes(512, { requirePowerOfTwo: true })).toBeUndefined();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), (bytes) => {
        const err = checkIndirectionTableBytes(bytes);
        expect(err === undefined).toBe(bytes > 0 && bytes % 4 === 0);
      }),
    );
  });

  it('key size must be 40', () => {
    expect(checkHashKeySize(40)).toBeUndefined();
    for (const bad of [0, 16, 39, 41, 52]) {
      const err = checkHashKeySize(bad);
      expect(err?.code).toBe('BAD_LENGTH');
      expect(err?.field).toBe('hashkey_size');
      expect(err?.value).toBe(bad);
    }
  });

  it('entries must be below the queue count; the error names the first bad entry and its byte offset', () => {
    expect(checkIndirectionEntries(defaultIndirectionTable(8), 8)).toBeUndefined();
    const err = checkIndirectionEntries([0, 1, 8, 9], 8);
    expect(err?.code).toBe('BAD_VALUE');
    expect(err?.field).toBe('entry[2]');
    expect(err?.offset).toBe(8);
    expect(err?.value).toBe(8);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 70 }), { maxLength: 64 }), channels, (entries, q) => {
        const err2 = checkIndirectionEntries(entries, q);
        const firstBad = entries.findIndex((e) => e >= q);
        if (firstBad < 0) expect(err2).toBeUndefined();
        else expect(err2?.offset).toBe(firstBad * 4);
      }),
    );
  });

  it('checkRssTable applies openvmm order: key size, table size, entries', () => {
    const ok = { hashKeySize: 40, tableBytes: 512, entries: defaultIndirectionTable(4), queueCount: 4 };
    expect(checkRssTable(ok)).toBeUndefined();
    expect(checkRssTable({ ...ok, hashKeySize: 0, tableBytes: 0, entries: [9] })?.field).toBe('hashkey_size');
    expect(checkRssTable({ ...ok, tableBytes: 0, entries: [9] })?.field).toBe('indirect_tabsize');
    expect(checkRssTable({ ...ok, entries: [0, 9] })?.field).toBe('entry[1]');
    expect(checkRssTable({ ...ok, tableBytes: 12, entries: [0, 1, 2] })).toBeUndefined();
    expect(checkRssTable({ ...ok, tableBytes: 12, entries: [0, 1, 2], requirePowerOfTwo: true })?.code).toBe(
      'BAD_LENGTH',
    );
  });
});
