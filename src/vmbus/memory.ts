/**
 * Simulated guest-physical memory in 4 KiB Hyper-V pages.
 *
 * Allocations are physically contiguous runs of pages, as Linux's `alloc_pages` gives the ring
 * buffers (drivers/hv/channel.c `vmbus_alloc_ring`, zeroed with `__GFP_ZERO`). Each run is backed by
 * its own `ArrayBuffer` (or `SharedArrayBuffer`), so the guest and the host address the very same
 * bytes: the guest through the {@link GuestBuffer} it allocated, the host through page frame
 * numbers it learnt from a GPADL ({@link GuestMemory.view}, {@link GuestMemory.page}).
 *
 * Page frame numbers are handed out from `firstPfn` upwards; freed runs are reused first-fit from
 * the lowest address, so the same sequence of calls always yields the same PFNs.
 *
 * @module
 */
import { HV_HYP_PAGE_SIZE } from './packet.js';

/** log2 of the Hyper-V page size. */
export const HV_HYP_PAGE_SHIFT = 12;

/** Most bytes of freed guest memory a {@link GuestMemory} keeps for reuse (128 MiB). */
export const POOL_LIMIT = 128 * 1024 * 1024;

/** A run of contiguous guest pages. */
export interface GuestBuffer {
  /** First page frame number. */
  readonly pfn: number;
  /** Number of 4 KiB pages. */
  readonly pageCount: number;
  /** The pages' bytes (`pageCount * 4096`). */
  readonly bytes: Uint8Array;
}

/** Result of {@link GuestMemory.alloc}. */
export type AllocResult =
  | {
      /** `true`: the pages are allocated and zeroed. */
      readonly ok: true;
      /** The new run of pages. */
      readonly buffer: GuestBuffer;
    }
  | {
      /** `false`: nothing was allocated. */
      readonly ok: false;
      /** `'EINVAL'`: `pageCount` is not a positive integer; `'ENOMEM'`: it would exceed {@link GuestMemory.maxPages}. */
      readonly error: 'ENOMEM' | 'EINVAL';
    };

/** Options of a {@link GuestMemory}. */
export interface GuestMemoryOptions {
  /** PFN of the first page handed out (default 0x10000, i.e. guest-physical 256 MiB). */
  readonly firstPfn?: number;
  /** Pages the guest may have allocated at once (default 262144 = 1 GiB). */
  readonly maxPages?: number;
  /** Back allocations with `SharedArrayBuffer` so host and guest can run in different workers. */
  readonly shared?: boolean;
}

/**
 * @internal One backing store and where its bytes may be non-zero, so that reusing it zeroes only
 * there. Invariant: every non-zero byte lies in [lo, hi) or in [exposedLo, exposedHi). Code given
 * {@link raw} records each write with {@link mark}; a view handed to any other code has its whole
 * range recorded with {@link expose}, for good (whoever holds it may write through it at any time).
 * A view's `.buffer` reaches the whole store: views handed to code outside this package record the
 * whole store ({@link exposeAll}); a range alone is recorded only for views that stay inside it.
 */
export class DirtyBytes {
  /** Bytes written by tracked writers since the store was last zeroed. */
  readonly written = new ByteRanges();
  /** Bytes ever handed out as views: zeroed on every reuse. */
  readonly exposed = new ByteRanges();

  constructor(
    /** The whole store; write only through code that calls {@link mark}. */
    readonly raw: Uint8Array,
  ) {}

  /** Records a write of bytes [lo, hi). */
  mark(lo: number, hi: number): void {
    this.written.add(lo, hi);
  }

  /** Records that bytes [lo, hi) were handed out as a view. */
  expose(lo: number, hi: number): void {
    this.exposed.add(lo, hi);
  }

  /** Records the whole store as handed out (for views given to code that may reach `view.buffer`). */
  exposeAll(): void {
    this.exposed.add(0, this.raw.length);
  }

  /** Zeroes every byte that may be non-zero (the whole store is zero afterwards). */
  clean(): void {
    this.written.zero(this.raw);
    this.exposed.zero(this.raw);
    this.written.clear();
    this.generation++;
  }

  /** Times the store was zeroed: a writer that recorded a range may skip recording it again until this changes. */
  generation = 0;
}

/** Most ranges a {@link ByteRanges} keeps apart (a ring allocation has four: two headers, two data areas). */
const MAX_RANGES = 8;

/** @internal A few disjoint byte ranges, sorted; past {@link MAX_RANGES} the two closest merge (covering the gap). */
export class ByteRanges {
  /** lo0, hi0, lo1, hi1, …: sorted, disjoint, not adjacent. */
  private readonly r: number[] = [];
  /** Index of the range that held the last addition (checked first). */
  private last = 0;

  /** Adds [lo, hi). */
  add(lo: number, hi: number): void {
    const r = this.r;
    const l = this.last;
    if (l < r.length && lo >= r[l]! && lo <= r[l + 1]!) {
      if (hi <= r[l + 1]!) return;
      // a write running on past the end of the last range (a ring filling up): extend it in place
      if (l + 2 >= r.length || hi < r[l + 2]!) {
        r[l + 1] = hi;
        return;
      }
    }
    for (let i = 0; i < r.length; i += 2) {
      if (lo >= r[i]! && hi <= r[i + 1]!) {
        this.last = i;
        return;
      }
    }
    if (hi <= lo) return;
    let i = 0;
    while (i < r.length && r[i + 1]! < lo) i += 2;
    let j = i;
    let nlo = lo;
    let nhi = hi;
    while (j < r.length && r[j]! <= hi) {
      if (r[j]! < nlo) nlo = r[j]!;
      if (r[j + 1]! > nhi) nhi = r[j + 1]!;
      j += 2;
    }
    r.splice(i, j - i, nlo, nhi);
    this.last = i;
    if (r.length > 2 * MAX_RANGES) {
      let k = 0;
      for (let m = 2; m + 2 < r.length; m += 2) if (r[m + 2]! - r[m + 1]! < r[k + 2]! - r[k + 1]!) k = m;
      r.splice(k + 1, 2); // ranges k and k + 2 become one
      this.last = 0;
    }
  }

  /** Zeroes the ranges in `raw`. */
  zero(raw: Uint8Array): void {
    const r = this.r;
    for (let i = 0; i < r.length; i += 2) raw.fill(0, r[i]!, r[i + 1]!);
  }

  /** Forgets every range. */
  clear(): void {
    this.r.length = 0;
    this.last = 0;
  }

  /** The ranges as [lo, hi) pairs. */
  list(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.r.length; i += 2) out.push([this.r[i]!, this.r[i + 1]!]);
    return out;
  }
}

/** @internal A view into guest memory for a writer that records its writes: the view, its store's record, its offset there. */
export interface TrackedView {
  readonly bytes: Uint8Array;
  readonly dirty: DirtyBytes;
  readonly offset: number;
}

/** An allocation: its `bytes` are its backing store's, recorded as handed out when read. */
class Region implements GuestBuffer {
  constructor(
    readonly pfn: number,
    readonly pageCount: number,
    /** @internal */
    readonly dirty: DirtyBytes,
  ) {}

  get bytes(): Uint8Array {
    const raw = this.dirty.raw;
    this.dirty.expose(0, raw.length);
    return raw;
  }
}

/** The store of a buffer without recording it as handed out (a foreign buffer's own `bytes`). */
function rawOf(buffer: GuestBuffer): Uint8Array {
  return buffer instanceof Region ? buffer.dirty.raw : buffer.bytes;
}

/** @internal The dirty-range record of a buffer this module allocated (undefined for a foreign one). */
export function dirtyOf(buffer: GuestBuffer): DirtyBytes | undefined {
  return buffer instanceof Region ? buffer.dirty : undefined;
}

/** @internal `buffer.bytes.set(data, offset)`, recorded as a write. */
export function writeBuffer(buffer: GuestBuffer, offset: number, data: Uint8Array): void {
  if (!(buffer instanceof Region)) {
    buffer.bytes.set(data, offset);
    return;
  }
  const d = buffer.dirty;
  d.raw.set(data, offset);
  d.mark(offset, offset + data.length);
}

/** @internal `v.bytes.set(data, at)`, recorded as a write in the view's store. */
export function writeTracked(v: TrackedView, at: number, data: Uint8Array): void {
  v.bytes.set(data, at);
  v.dirty.mark(v.offset + at, v.offset + at + data.length);
}

/** @internal `buffer.bytes.subarray(begin, end)`, recording only that range as handed out. */
export function bufferView(buffer: GuestBuffer, begin: number, end: number): Uint8Array {
  if (!(buffer instanceof Region)) return buffer.bytes.subarray(begin, end);
  const d = buffer.dirty;
  const v = d.raw.subarray(begin, end);
  const at = v.byteOffset - d.raw.byteOffset;
  d.expose(at, at + v.length);
  return v;
}

/** Guest-physical memory: contiguous page runs addressed by PFN. */
export class GuestMemory {
  /** PFN of the first page handed out ({@link GuestMemoryOptions.firstPfn}, default 0x10000). */
  readonly firstPfn: number;
  /** Most 4 KiB pages allocated at once before {@link GuestMemory.alloc} reports ENOMEM (default 262144). */
  readonly maxPages: number;
  /** Allocations are backed by `SharedArrayBuffer`. */
  readonly shared: boolean;
  /** Live regions, sorted by PFN. */
  private readonly regions: Region[] = [];
  /** Free PFN runs below `top`, sorted, non-adjacent. */
  private readonly holes: { pfn: number; pageCount: number }[] = [];
  private top: number;
  private used = 0;
  /**
   * Freed backing stores kept for reuse, by page count (re-zeroed when handed out, as the kernel's
   * zeroed allocations are): a detach/attach cycle frees and reallocates the same ring and buffer
   * sizes, and reusing them spares the allocator and the garbage collector. Bounded by {@link POOL_LIMIT}.
   */
  private readonly pool = new Map<number, DirtyBytes[]>();
  private pooledBytes = 0;

  constructor(options: GuestMemoryOptions = {}) {
    this.firstPfn = options.firstPfn ?? 0x10000;
    this.maxPages = options.maxPages ?? 262144;
    this.shared = options.shared ?? false;
    this.top = this.firstPfn;
  }

  /** Pages currently allocated. */
  get allocatedPages(): number {
    return this.used;
  }

  /** Allocates `pageCount` zeroed, physically contiguous pages. */
  alloc(pageCount: number): AllocResult {
    if (!Number.isInteger(pageCount) || pageCount <= 0) return { ok: false, error: 'EINVAL' };
    if (this.used + pageCount > this.maxPages) return { ok: false, error: 'ENOMEM' };
    let pfn = -1;
    const hole = this.holes.findIndex((h) => h.pageCount >= pageCount);
    if (hole >= 0) {
      const h = this.holes[hole]!;
      pfn = h.pfn;
      if (h.pageCount === pageCount) this.holes.splice(hole, 1);
      else this.holes[hole] = { pfn: h.pfn + pageCount, pageCount: h.pageCount - pageCount };
    } else {
      pfn = this.top;
      this.top += pageCount;
    }
    const size = pageCount * HV_HYP_PAGE_SIZE;
    const reused = this.pool.get(pageCount)?.pop();
    let store: DirtyBytes;
    if (reused) {
      this.pooledBytes -= size;
      reused.clean(); // zeroes whatever was written or handed out since it was last zeroed
      store = reused;
    } else {
      store = new DirtyBytes(new Uint8Array(this.shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size)));
    }
    const region = new Region(pfn, pageCount, store);
    const at = this.regionIndexAfter(pfn);
    this.regions.splice(at, 0, region);
    this.used += pageCount;
    return { ok: true, buffer: region };
  }

  /** Returns a buffer's pages. Freeing a buffer twice, or one this memory did not allocate, is a no-op. */
  free(buffer: GuestBuffer): void {
    const i = this.findRegion(buffer.pfn);
    if (i < 0) return;
    const region = this.regions[i]!;
    if (region.dirty.raw !== rawOf(buffer)) return;
    this.regions.splice(i, 1);
    this.used -= buffer.pageCount;
    const size = buffer.pageCount * HV_HYP_PAGE_SIZE;
    if (this.pooledBytes + size <= POOL_LIMIT) {
      const list = this.pool.get(buffer.pageCount) ?? [];
      list.push(region.dirty);
      this.pool.set(buffer.pageCount, list);
      this.pooledBytes += size;
    }
    this.holes.push({ pfn: buffer.pfn, pageCount: buffer.pageCount });
    this.holes.sort((a, b) => a.pfn - b.pfn);
    // merge neighbours, and give a hole at the top back to the bump pointer
    for (let j = this.holes.length - 1; j > 0; j--) {
      const a = this.holes[j - 1]!;
      const b = this.holes[j]!;
      if (a.pfn + a.pageCount === b.pfn) {
        this.holes.splice(j - 1, 2, { pfn: a.pfn, pageCount: a.pageCount + b.pageCount });
      }
    }
    const last = this.holes[this.holes.length - 1];
    if (last && last.pfn + last.pageCount === this.top) {
      this.top = last.pfn;
      this.holes.pop();
    }
  }

  /** The PFNs of a buffer, in order, as a GPADL lists them. */
  static pfns(buffer: GuestBuffer): bigint[] {
    const out: bigint[] = new Array(buffer.pageCount);
    for (let i = 0; i < buffer.pageCount; i++) out[i] = BigInt(buffer.pfn + i);
    return out;
  }

  private regionIndexAfter(pfn: number): number {
    let lo = 0;
    let hi = this.regions.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.regions[mid]!.pfn < pfn) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the region containing `pfn`, or -1. */
  private findRegion(pfn: number): number {
    let lo = 0;
    let hi = this.regions.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.regions[mid]!;
      if (pfn < r.pfn) hi = mid - 1;
      else if (pfn >= r.pfn + r.pageCount) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  private toPfn(pfn: number | bigint): number {
    if (typeof pfn === 'bigint') {
      // Number() is exact up to 2^53 − 1 and rounds anything larger to at least 2^53
      const n = Number(pfn);
      return n >= 0 && n <= Number.MAX_SAFE_INTEGER ? n : -1;
    }
    return Number.isSafeInteger(pfn) && pfn >= 0 ? pfn : -1;
  }

  /** True when the page is allocated guest memory. */
  has(pfn: number | bigint): boolean {
    const p = this.toPfn(pfn);
    return p >= 0 && this.findRegion(p) >= 0;
  }

  /** @internal {@link hasAll} over `count` page numbers read by `pfnAt` (−1 for a value that is not one). */
  hasAllBy(count: number, pfnAt: (k: number) => number): boolean {
    let lo = 0;
    let hi = 0; // the region found last: [lo, hi)
    for (let k = 0; k < count; k++) {
      const p = pfnAt(k);
      if (p < 0) return false;
      if (p >= lo && p < hi) continue;
      const i = this.findRegion(p);
      if (i < 0) return false;
      const r = this.regions[i]!;
      lo = r.pfn;
      hi = r.pfn + r.pageCount;
    }
    return true;
  }

  /** @internal {@link hasAll} for the consecutive pages [first, first + count): one lookup per allocation they cross. */
  hasRun(first: number, count: number): boolean {
    const end = first + count;
    for (let p = first; p < end; ) {
      const i = p >= 0 ? this.findRegion(p) : -1;
      if (i < 0) return false;
      const r = this.regions[i]!;
      p = r.pfn + r.pageCount;
    }
    return true;
  }

  /** @internal {@link trackedView} over `count` page numbers read by `pfnAt` (−1 for a value that is not one). */
  trackedViewBy(count: number, pfnAt: (k: number) => number): TrackedView | undefined {
    if (count === 0) return undefined;
    const first = pfnAt(0);
    if (first < 0) return undefined;
    for (let k = 1; k < count; k++) if (pfnAt(k) !== first + k) return undefined;
    return this.trackedRun(first, count);
  }

  /** @internal {@link trackedView} for the consecutive pages [first, first + count), which one allocation must hold. */
  trackedRun(first: number, count: number): TrackedView | undefined {
    if (!(count > 0) || first < 0) return undefined;
    const i = this.findRegion(first);
    if (i < 0) return undefined;
    const r = this.regions[i]!;
    if (first + count > r.pfn + r.pageCount) return undefined;
    const at = (first - r.pfn) * HV_HYP_PAGE_SIZE;
    return { bytes: r.dirty.raw.subarray(at, at + count * HV_HYP_PAGE_SIZE), dirty: r.dirty, offset: at };
  }

  /** True when every page of `pfns` is allocated guest memory (true for none). */
  hasAll(pfns: readonly (number | bigint)[]): boolean {
    return this.hasAllBy(pfns.length, (k) => this.toPfn(pfns[k]!));
  }

  /** The 4096 bytes of one page, or `undefined` when the page is not allocated memory. */
  page(pfn: number | bigint): Uint8Array | undefined {
    const p = this.toPfn(pfn);
    if (p < 0) return undefined;
    const i = this.findRegion(p);
    if (i < 0) return undefined;
    const r = this.regions[i]!;
    const at = (p - r.pfn) * HV_HYP_PAGE_SIZE;
    r.dirty.exposeAll(); // a view's .buffer reaches the whole store
    return r.dirty.raw.subarray(at, at + HV_HYP_PAGE_SIZE);
  }

  /** The allocation holding page `pfn`, or undefined. */
  private regionOf(pfn: number | bigint): Region | undefined {
    const p = this.toPfn(pfn);
    if (p < 0) return undefined;
    const i = this.findRegion(p);
    return i < 0 ? undefined : this.regions[i]!;
  }

  /**
   * @internal Copies bytes [at, at + n) of page `pfn` (clamped to the page) into `dst` at `dstAt`,
   * without handing out a view; false when the page is not memory.
   */
  copyFromPage(pfn: number | bigint, at: number, dst: Uint8Array, dstAt: number, n: number): boolean {
    const r = this.regionOf(pfn);
    if (!r) return false;
    const page = (Number(pfn) - r.pfn) * HV_HYP_PAGE_SIZE;
    const end = Math.min(page + at + n, page + HV_HYP_PAGE_SIZE);
    dst.set(r.dirty.raw.subarray(page + at, end), dstAt);
    return true;
  }

  /** @internal Writes `src` into page `pfn` at byte `at` (as `page(pfn).set(src, at)`), recorded as a write; false when the page is not memory. */
  copyToPage(pfn: number | bigint, at: number, src: Uint8Array): boolean {
    const r = this.regionOf(pfn);
    if (!r) return false;
    const page = (Number(pfn) - r.pfn) * HV_HYP_PAGE_SIZE;
    r.dirty.raw.subarray(page, page + HV_HYP_PAGE_SIZE).set(src, at);
    r.dirty.mark(page + at, page + at + src.length);
    return true;
  }

  /**
   * @internal {@link view} for a writer that records its writes itself: the view, its store's
   * dirty-range record and the view's offset in that store; nothing is recorded as handed out.
   */
  trackedView(pfns: readonly (number | bigint)[]): TrackedView | undefined {
    return this.trackedViewBy(pfns.length, (k) => this.toPfn(pfns[k]!));
  }

  /**
   * One view over consecutive PFNs inside one allocation (how the host maps a ring), or `undefined`
   * when the pages are not consecutive, not allocated, or span two allocations.
   */
  view(pfns: readonly (number | bigint)[]): Uint8Array | undefined {
    const v = this.trackedView(pfns);
    v?.dirty.exposeAll(); // a view's .buffer reaches the whole store
    return v?.bytes;
  }

  /** Reads `length` bytes at guest-physical address `gpa`; `undefined` if any byte is not memory. */
  read(gpa: bigint, length: number): Uint8Array | undefined {
    const out = new Uint8Array(length);
    let done = 0;
    let addr = gpa;
    while (done < length) {
      const off = Number(addr & BigInt(HV_HYP_PAGE_SIZE - 1));
      const n = Math.min(length - done, HV_HYP_PAGE_SIZE - off);
      if (!this.copyFromPage(addr >> BigInt(HV_HYP_PAGE_SHIFT), off, out, done, n)) return undefined;
      done += n;
      addr += BigInt(n);
    }
    return out;
  }

  /** Writes `data` at guest-physical address `gpa`; false (nothing written) if any byte is not memory. */
  write(gpa: bigint, data: Uint8Array): boolean {
    for (let a = gpa; a < gpa + BigInt(data.length); a = ((a >> 12n) + 1n) << 12n) {
      if (!this.has(a >> 12n)) return false;
    }
    let done = 0;
    let addr = gpa;
    while (done < data.length) {
      const off = Number(addr & 0xfffn);
      const n = Math.min(data.length - done, HV_HYP_PAGE_SIZE - off);
      this.copyToPage(addr >> 12n, off, data.subarray(done, done + n));
      done += n;
      addr += BigInt(n);
    }
    return true;
  }
}
