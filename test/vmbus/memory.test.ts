import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import { test } from '@fast-check/vitest';
import { GuestMemory } from '../../src/vmbus/memory.js';

describe('guest memory', () => {
  it('hands out zeroed contiguous runs from firstPfn upwards', () => {
    const mem = new GuestMemory({ firstPfn: 0x100 });
    const a = mem.alloc(3);
    const b = mem.alloc(1);
    if (!a.ok || !b.ok) throw new Error('alloc');
    expect([a.buffer.pfn, b.buffer.pfn]).toEqual([0x100, 0x103]);
    expect(a.buffer.bytes.length).toBe(3 * 4096);
    expect(a.buffer.bytes.every((x) => x === 0)).toBe(true);
    expect(GuestMemory.pfns(a.buffer)).toEqual([0x100n, 0x101n, 0x102n]);
    expect(mem.allocatedPages).toBe(4);
  });

  it('the host sees the guest bytes through PFNs', () => {
    const mem = new GuestMemory();
    const a = mem.alloc(2);
    if (!a.ok) throw new Error('alloc');
    a.buffer.bytes[4096 + 7] = 0x42;
    expect(mem.page(BigInt(a.buffer.pfn + 1))![7]).toBe(0x42);
    expect(mem.view([a.buffer.pfn, a.buffer.pfn + 1])!.buffer).toBe(a.buffer.bytes.buffer);
    expect(mem.view([a.buffer.pfn + 1, a.buffer.pfn])).toBeUndefined();
    expect(mem.view([a.buffer.pfn + 1, a.buffer.pfn + 2])).toBeUndefined();
    expect(mem.page(a.buffer.pfn + 2)).toBeUndefined();
    expect(mem.page(-1)).toBeUndefined();
  });

  it('reads and writes by guest-physical address across page boundaries', () => {
    const mem = new GuestMemory();
    const a = mem.alloc(2);
    if (!a.ok) throw new Error('alloc');
    const gpa = BigInt(a.buffer.pfn) * 4096n + 4090n;
    expect(mem.write(gpa, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]))).toBe(true);
    expect(mem.read(gpa, 10)).toEqual(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    expect(a.buffer.bytes[4096]).toBe(7);
    expect(mem.write(gpa + 4096n, new Uint8Array(10))).toBe(false);
    expect(a.buffer.bytes[4096 + 4090]).toBe(0);
  });

  it('reuses freed runs first-fit from the lowest address, merging neighbours', () => {
    const mem = new GuestMemory({ firstPfn: 0 });
    const r = [1, 2, 3, 4].map((n) => mem.alloc(n));
    const bufs = r.map((x) => (x.ok ? x.buffer : null)!);
    mem.free(bufs[1]!);
    mem.free(bufs[2]!);
    const c = mem.alloc(4);
    expect(c.ok && c.buffer.pfn).toBe(1);
    const d = mem.alloc(1);
    expect(d.ok && d.buffer.pfn).toBe(5);
    mem.free(bufs[3]!);
    const e = mem.alloc(10);
    expect(e.ok && e.buffer.pfn).toBe(6);
  });

  it('refuses more than maxPages with ENOMEM and bad sizes with EINVAL', () => {
    const mem = new GuestMemory({ maxPages: 4 });
    expect(mem.alloc(5)).toEqual({ ok: false, error: 'ENOMEM' });
    expect(mem.alloc(0)).toEqual({ ok: false, error: 'EINVAL' });
    expect(mem.alloc(4).ok).toBe(true);
    expect(mem.alloc(1)).toEqual({ ok: false, error: 'ENOMEM' });
  });

  it('freeing twice or a foreign buffer is a no-op', () => {
    const mem = new GuestMemory();
    const a = mem.alloc(1);
    if (!a.ok) throw new Error('alloc');
    mem.free(a.buffer);
    mem.free(a.buffer);
    mem.free({ pfn: 5, pageCount: 1, bytes: new Uint8Array(4096) });
    expect(mem.allocatedPages).toBe(0);
  });

  it('SharedArrayBuffer backing on request', () => {
    const mem = new GuestMemory({ shared: true });
    const a = mem.alloc(1);
    expect(a.ok && a.buffer.bytes.buffer instanceof SharedArrayBuffer).toBe(true);
  });

  it('property: live allocations never overlap and the same calls give the same PFNs', () => {
    const op = fc.oneof(fc.record({ alloc: fc.integer({ min: 1, max: 8 }) }), fc.record({ free: fc.nat() }));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const run = () => {
          const mem = new GuestMemory({ firstPfn: 10 });
          const live: { pfn: number; pageCount: number; bytes: Uint8Array }[] = [];
          const trace: number[] = [];
          for (const o of ops) {
            if ('alloc' in o) {
              const r = mem.alloc(o.alloc);
              if (r.ok) {
                live.push(r.buffer);
                trace.push(r.buffer.pfn);
              }
            } else if (live.length) {
              mem.free(live.splice(o.free % live.length, 1)[0]!);
            }
            const sorted = [...live].sort((x, y) => x.pfn - y.pfn);
            for (let i = 1; i < sorted.length; i++) expect(sorted[i]!.pfn).toBeGreaterThanOrEqual(sorted[i - 1]!.pfn + sorted[i - 1]!.pageCount);
            for (const b of live) expect(mem.page(b.pfn + b.pageCount - 1)).toBeDefined();
          }
          return trace;
        };
        expect(run()).toEqual(run());
      }),
      { numRuns: 150 },
    );
  });
  it('reuses a freed backing store for the same size, zeroed again, and never aliases a live buffer', () => {
    const mem = new GuestMemory();
    const a = mem.alloc(2);
    if (!a.ok) throw new Error('alloc');
    a.buffer.bytes.fill(0xab);
    const store = a.buffer.bytes;
    mem.free(a.buffer);
    const b = mem.alloc(2);
    const c = mem.alloc(2);
    if (!b.ok || !c.ok) throw new Error('alloc');
    expect(b.buffer.bytes).toBe(store);
    expect(b.buffer.bytes.every((x) => x === 0)).toBe(true);
    expect(c.buffer.bytes).not.toBe(store);
    expect(mem.allocatedPages).toBe(4);
  });
});

describe('GuestMemory page runs (the shortcut for GPADLs whose pages are consecutive)', () => {
  test.prop([
    fc.array(fc.tuple(fc.integer({ min: 1, max: 6 }), fc.boolean()), { minLength: 1, maxLength: 8 }),
    fc.integer({ min: -2, max: 60 }),
    fc.integer({ min: 0, max: 20 }),
  ])('hasRun and trackedRun answer as hasAll and trackedView over the same page numbers', (allocs, offset, count) => {
    const mem = new GuestMemory({ firstPfn: 100 });
    const dropped = [];
    for (const [pages, keep] of allocs) {
      const a = mem.alloc(pages);
      if (a.ok && !keep) dropped.push(a.buffer);
    }
    for (const d of dropped) mem.free(d); // holes between the kept allocations, which stay adjacent otherwise
    const first = 100 + offset;
    const pfns = Array.from({ length: count }, (_, k) => first + k);
    expect(mem.hasRun(first, count)).toBe(mem.hasAll(pfns));
    const a = mem.trackedRun(first, count);
    const b = mem.trackedViewBy(count, (k) => pfns[k]!);
    expect(a === undefined).toBe(b === undefined);
    if (a && b) expect([a.offset, a.bytes.byteOffset, a.bytes.length, a.dirty === b.dirty]).toEqual([b.offset, b.bytes.byteOffset, b.bytes.length, true]);
  });
});
