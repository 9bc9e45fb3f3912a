import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import {
  FIRST_GPADL_HANDLE,
  GPADL_BODY_MAX_PFNS,
  GPADL_HEADER_MAX_PFNS,
  GpadlAssembly,
  GpadlView,
  encodeLinuxGpadl,
  linuxGpadlMessages,
  parseGpaRanges,
} from '../../src/vmbus/gpadl.js';
import { GuestMemory } from '../../src/vmbus/memory.js';
import { vmbus_channel_gpadl_body, vmbus_channel_gpadl_header } from '../../src/vmbus/messages.js';

const pfnsFrom = (first: number, n: number) => Array.from({ length: n }, (_, i) => BigInt(first + i));

/** Feeds Linux's messages for a GPADL to a host-side assembly; returns the final result. */
function assemble(messages: Uint8Array[]) {
  const a = new GpadlAssembly(vmbus_channel_gpadl_header.decode(messages[0]!));
  let r = a.append(messages[0]!.subarray(20));
  for (const m of messages.slice(1)) {
    expect(r.state).toBe('more');
    r = a.append(m.subarray(vmbus_channel_gpadl_body.size));
  }
  return r;
}

describe('Linux GPADL messages (create_gpadl_header)', () => {
  it('26 PFNs fit in a header, 28 in a body; handles start at 0xE1E10', () => {
    expect(GPADL_HEADER_MAX_PFNS).toBe(26);
    expect(GPADL_BODY_MAX_PFNS).toBe(28);
    expect(FIRST_GPADL_HANDLE).toBe(0xe1e10);
  });

  it('up to 26 pages: one header message of 28 + 8·n bytes, no body', () => {
    for (const n of [1, 2, 25, 26]) {
      const msgs = encodeLinuxGpadl({ childRelid: 1, gpadl: 0xe1e10, size: n * 4096, pfns: pfnsFrom(100, n) });
      expect(msgs.map((m) => m.length)).toEqual([28 + 8 * n]);
    }
  });

  it('27 pages: header with 26, one body with 1', () => {
    const msgs = encodeLinuxGpadl({ childRelid: 1, gpadl: 0xe1e10, size: 27 * 4096, pfns: pfnsFrom(100, 27) });
    expect(msgs.map((m) => m.length)).toEqual([236, 24]);
  });

  it('256 pages (two 128-page rings): 26 + 8 × 28 + 6', () => {
    const { header, bodies } = linuxGpadlMessages({ childRelid: 1, gpadl: 0xe1e10, size: 256 * 4096, pfns: pfnsFrom(100, 256) });
    expect(header.range[0]!.pfns).toHaveLength(26);
    expect(bodies.map((b) => b.pfn.length)).toEqual([28, 28, 28, 28, 28, 28, 28, 28, 6]);
    expect(header.range_buflen).toBe(8 + 8 * 256);
    expect(header.rangecount).toBe(1);
    expect(header.range[0]!.byte_count).toBe(256 * 4096);
    expect(bodies.every((b) => b.msgnumber === 0 && b.gpadl === 0xe1e10)).toBe(true);
  });

  it('range_buflen wraps modulo 65536 from 8191 pages on, unchecked as in Linux', () => {
    const { header } = linuxGpadlMessages({ childRelid: 1, gpadl: 1, size: 8191 * 4096, pfns: pfnsFrom(0, 8191) });
    expect(header.range_buflen).toBe((8 + 8 * 8191) & 0xffff);
    expect(header.range_buflen).toBe(0);
  });

  it('the page count is size >> 12: a partial page is not listed', () => {
    const { header, bodies } = linuxGpadlMessages({ childRelid: 1, gpadl: 1, size: 4096 + 100, pfns: pfnsFrom(0, 2) });
    expect(header.range[0]!.pfns).toEqual([0n]);
    expect(header.range[0]!.byte_count).toBe(4196);
    expect(bodies).toHaveLength(0);
  });

  it('refuses fewer PFNs than pages', () => {
    expect(() => linuxGpadlMessages({ childRelid: 1, gpadl: 1, size: 3 * 4096, pfns: pfnsFrom(0, 2) })).toThrow(
      expect.objectContaining({ code: 'FIELD_RANGE' }),
    );
  });

  it('property: the host reassembles exactly the pages Linux listed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 0, max: 2 ** 40 }), (n, first) => {
        const pfns = pfnsFrom(first, n);
        const msgs = encodeLinuxGpadl({ childRelid: 3, gpadl: 0xe1e10, size: n * 4096, pfns });
        expect(msgs.every((m) => m.length <= 240)).toBe(true);
        expect(msgs).toHaveLength(n <= 26 ? 1 : 1 + Math.ceil((n - 26) / 28));
        const r = assemble(msgs);
        expect(r.state).toBe('done');
        if (r.state === 'done') expect(r.ranges).toEqual([{ byte_count: n * 4096, byte_offset: 0, pfns }]);
      }),
      { numRuns: 100 },
    );
  });
});

describe('host GPADL assembly (openvmm rules)', () => {
  const head = (range_buflen: number, rangecount: number) =>
    new GpadlAssembly({ header: { msgtype: 8 }, child_relid: 1, gpadl: 7, range_buflen, rangecount });
  const words = (...w: bigint[]) => {
    const b = new Uint8Array(8 * w.length);
    const dv = new DataView(b.buffer);
    w.forEach((x, i) => dv.setBigUint64(8 * i, x, true));
    return b;
  };
  const rangeHead = (count: number, offset: number) => BigInt(count) | (BigInt(offset) << 32n);

  it('is complete when range_buflen / 8 words have arrived, ignoring any extra bytes', () => {
    const a = head(24, 1);
    expect(a.append(words(rangeHead(4096, 0), 5n).subarray(0, 12)).state).toBe('more');
    expect(a.missingWords).toBe(2);
    const r = a.append(words(6n, 7n, 8n));
    expect(r).toEqual({ state: 'done', ranges: [{ byte_count: 4096, byte_offset: 0, pfns: [6n] }] });
  });

  it('a range with byte_count 0 is EMPTY_BYTE_COUNT', () => {
    expect(head(16, 1).append(words(rangeHead(0, 0), 1n))).toEqual({ state: 'invalid', error: 'EMPTY_BYTE_COUNT' });
  });
  it('a byte_offset past the first page is OFFSET_TOO_LARGE', () => {
    expect(head(16, 1).append(words(rangeHead(1, 4096), 1n))).toEqual({ state: 'invalid', error: 'OFFSET_TOO_LARGE' });
  });
  it('too few PFNs for the range is RANGE_TOO_SMALL', () => {
    expect(head(16, 1).append(words(rangeHead(4097, 0), 1n))).toEqual({ state: 'invalid', error: 'RANGE_TOO_SMALL' });
  });
  it('fewer ranges than rangecount is EMPTY_RANGE', () => {
    expect(head(16, 2).append(words(rangeHead(10, 0), 1n))).toEqual({ state: 'invalid', error: 'EMPTY_RANGE' });
  });
  it('a byte count that overflows u32 with its offset is OVERFLOW', () => {
    expect(parseGpaRanges(1, [rangeHead(0xffffffff, 1), 1n])).toEqual({ ok: false, error: 'OVERFLOW', range: 0 });
  });
  it('several ranges are parsed in order', () => {
    const r = parseGpaRanges(2, [rangeHead(100, 4000), 1n, 2n, rangeHead(8192, 0), 3n, 4n, 99n]);
    expect(r).toEqual({
      ok: true,
      ranges: [
        { byte_count: 100, byte_offset: 4000, pfns: [1n, 2n] },
        { byte_count: 8192, byte_offset: 0, pfns: [3n, 4n] },
      ],
    });
  });
  it('range_buflen 0 completes at once with no data', () => {
    expect(head(0, 0).append(new Uint8Array(0))).toEqual({ state: 'done', ranges: [] });
  });
});

describe('GpadlView (host access through a GPADL)', () => {
  it('reads and writes the guest bytes across pages and ranges', () => {
    const mem = new GuestMemory();
    const a = mem.alloc(2);
    const b = mem.alloc(1);
    if (!a.ok || !b.ok) throw new Error('alloc');
    const view = new GpadlView(mem, [
      { byte_count: 5000, byte_offset: 100, pfns: [BigInt(a.buffer.pfn), BigInt(a.buffer.pfn + 1)] },
      { byte_count: 10, byte_offset: 4090, pfns: [BigInt(b.buffer.pfn), BigInt(a.buffer.pfn)] },
    ]);
    expect(view.length).toBe(5010);
    expect(view.mapped()).toBe(true);
    const data = new Uint8Array(5010).map((_, i) => (i * 7) & 0xff);
    expect(view.write(0, data)).toBe(true);
    expect(a.buffer.bytes[100]).toBe(data[0]);
    expect(a.buffer.bytes[4096]).toBe(data[3996]);
    expect(b.buffer.bytes[4095]).toBe(data[5005]);
    expect(a.buffer.bytes[0]).toBe(data[5006]);
    expect(a.buffer.bytes[3]).toBe(data[5009]);
    expect(view.read(0, 5010)).toEqual(data);
    expect(view.read(4999, 3)).toEqual(data.subarray(4999, 5002));
    expect(view.read(5000, 11)).toBeUndefined();
    expect(view.write(-1, data.subarray(0, 1))).toBe(false);
  });

  it('maps ring pages only for a single page-aligned range in one allocation', () => {
    const mem = new GuestMemory();
    const a = mem.alloc(4);
    if (!a.ok) throw new Error('alloc');
    const pfns = GuestMemory.pfns(a.buffer);
    const ring = new GpadlView(mem, [{ byte_count: 4 * 4096, byte_offset: 0, pfns }]);
    expect(ring.pageCount).toBe(4);
    const v = ring.pages(2, 2)!;
    v[0] = 0x5a;
    expect(a.buffer.bytes[2 * 4096]).toBe(0x5a);
    expect(ring.pages(3, 2)).toBeUndefined();
    const scattered = new GpadlView(mem, [{ byte_count: 2 * 4096, byte_offset: 0, pfns: [pfns[1]!, pfns[0]!] }]);
    expect(scattered.pages(0, 2)).toBeUndefined();
    const unmapped = new GpadlView(mem, [{ byte_count: 4096, byte_offset: 0, pfns: [123n] }]);
    expect(unmapped.mapped()).toBe(false);
  });
});
