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
export type AllocResult = { readonly ok: true; readonly buffer: GuestBuffer } | { readonly ok: false; readonly error: 'ENOMEM' | 'EINVAL' };

/** Options of a {@link GuestMemory}. */
export interface GuestMemoryOptions {
  /** PFN of the first page handed out (default 0x10000, i.e. guest-physical 256 MiB). */
  readonly firstPfn?: number;
  /** Pages the guest may have allocated at once (default 262144 = 1 GiB). */
  readonly maxPages?: number;
  /** Back allocations with `SharedArrayBuffer` so host and guest can run in different workers. */
  readonly shared?: boolean;
}

interface Region {
  readonly pfn: number;
  readonly pageCount: number;
  readonly bytes: Uint8Array;
}

/** Guest-physical memory: contiguous page runs addressed by PFN. */
export class GuestMemory {
  readonly firstPfn: number;
  readonly maxPages: number;
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
  private readonly pool = new Map<number, Uint8Array[]>();
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
    let bytes: Uint8Array;
    if (reused) {
      this.pooledBytes -= size;
      reused.fill(0);
      bytes = reused;
    } else {
      bytes = new Uint8Array(this.shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size));
    }
    const region: Region = { pfn, pageCount, bytes };
    const at = this.regionIndexAfter(pfn);
    this.regions.splice(at, 0, region);
    this.used += pageCount;
    return { ok: true, buffer: region };
  }

  /** Returns a buffer's pages. Freeing a buffer twice, or one this memory did not allocate, is a no-op. */
  free(buffer: GuestBuffer): void {
    const i = this.findRegion(buffer.pfn);
    if (i < 0 || this.regions[i]!.bytes !== buffer.bytes) return;
    this.regions.splice(i, 1);
    this.used -= buffer.pageCount;
    const size = buffer.pageCount * HV_HYP_PAGE_SIZE;
    if (this.pooledBytes + size <= POOL_LIMIT) {
      const list = this.pool.get(buffer.pageCount) ?? [];
      list.push(buffer.bytes);
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
    if (typeof pfn === 'bigint') return pfn <= BigInt(Number.MAX_SAFE_INTEGER) && pfn >= 0n ? Number(pfn) : -1;
    return Number.isSafeInteger(pfn) && pfn >= 0 ? pfn : -1;
  }

  /** True when the page is allocated guest memory. */
  has(pfn: number | bigint): boolean {
    const p = this.toPfn(pfn);
    return p >= 0 && this.findRegion(p) >= 0;
  }

  /** The 4096 bytes of one page, or `undefined` when the page is not allocated memory. */
  page(pfn: number | bigint): Uint8Array | undefined {
    const p = this.toPfn(pfn);
    if (p < 0) return undefined;
    const i = this.findRegion(p);
    if (i < 0) return undefined;
    const r = this.regions[i]!;
    const at = (p - r.pfn) * HV_HYP_PAGE_SIZE;
    return r.bytes.subarray(at, at + HV_HYP_PAGE_SIZE);
  }

  /**
   * One view over consecutive PFNs inside one allocation (how the host maps a ring), or `undefined`
   * when the pages are not consecutive, not allocated, or span two allocations.
   */
  view(pfns: readonly (number | bigint)[]): Uint8Array | undefined {
    if (pfns.length === 0) return undefined;
    const first = this.toPfn(pfns[0]!);
    if (first < 0) return undefined;
    const i = this.findRegion(first);
    if (i < 0) return undefined;
    const r = this.regions[i]!;
    for (let k = 1; k < pfns.length; k++) if (this.toPfn(pfns[k]!) !== first + k) return undefined;
    if (first + pfns.length > r.pfn + r.pageCount) return undefined;
    const at = (first - r.pfn) * HV_HYP_PAGE_SIZE;
    return r.bytes.subarray(at, at + pfns.length * HV_HYP_PAGE_SIZE);
  }

  /** Reads `length` bytes at guest-physical address `gpa`; `undefined` if any byte is not memory. */
  read(gpa: bigint, length: number): Uint8Array | undefined {
    const out = new Uint8Array(length);
    let done = 0;
    let addr = gpa;
    while (done < length) {
      const pg = this.page(addr >> BigInt(HV_HYP_PAGE_SHIFT));
      if (!pg) return undefined;
      const off = Number(addr & BigInt(HV_HYP_PAGE_SIZE - 1));
      const n = Math.min(length - done, HV_HYP_PAGE_SIZE - off);
      out.set(pg.subarray(off, off + n), done);
      done += n;
      addr += BigInt(n);
    }
    return out;
  }

  /** Writes `data` at guest-physical address `gpa`; false (nothing written) if any byte is not memory. */
  write(gpa: bigint, data: Uint8Array): boolean {
    for (let a = gpa; a < gpa + BigInt(data.length); a = ((a >> 12n) + 1n) << 12n) {
      if (!this.page(a >> 12n)) return false;
    }
    let done = 0;
    let addr = gpa;
    while (done < data.length) {
      const pg = this.page(addr >> 12n)!;
      const off = Number(addr & 0xfffn);
      const n = Math.min(data.length - done, HV_HYP_PAGE_SIZE - off);
      pg.set(data.subarray(done, done + n), off);
      done += n;
      addr += BigInt(n);
    }
    return true;
  }
}
