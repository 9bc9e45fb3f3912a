/**
 * GPADLs ("guest physical address descriptor lists"): how a guest describes a buffer's pages to the
 * host, on the wire as one GPADL_HEADER message and as many GPADL_BODY messages as the page list
 * needs.
 *
 * Guest side ({@link linuxGpadlMessages}): exactly Linux 6.1's `create_gpadl_header`
 * (drivers/hv/channel.c): one range, byte offset 0, `range_buflen = 8 + 8·pages` truncated to u16,
 * at most 26 PFNs in the header ((240 − 20 − 8) / 8) and 28 per body ((240 − 16) / 8), bodies'
 * `msgnumber` left 0. Handles count up from 0xE1E10 (drivers/hv/connection.c).
 *
 * Host side ({@link GpadlAssembly}, {@link parseGpaRanges}, {@link GpadlView}): the range data is
 * collected as u64 words until `range_buflen / 8` words have arrived, extra trailing bytes ignored,
 * then `rangecount` ranges are validated (byte count non-zero, offset ≤ 0xFFF, enough PFNs) — the
 * rules of openvmm's vmbus_server `Gpadl::append` and vmbus_ring `gparange.rs` (shared/spec/vmbus.md
 * §2.5, §4.6).
 *
 * @module
 */
import { ProtocolError } from '../wire/errors.js';
import type { GuestMemory } from './memory.js';
import {
  CHANNELMSG,
  MAX_SIZE_CHANNEL_MESSAGE,
  encodeChannelMessage,
  vmbus_channel_gpadl_body,
  vmbus_channel_gpadl_header,
  type GpadlBodyMessage,
  type GpadlHeaderMessage,
  type VmbusChannelGpadlHeaderFixed,
} from './messages.js';
import { HV_HYP_PAGE_SIZE, gpa_range, type GpaRange } from './packet.js';

/** `enum hv_gpadl_type` (include/linux/hyperv.h). */
export const HvGpadlType = { HV_GPADL_BUFFER: 0, HV_GPADL_RING: 1 } as const;

/** `GPADL_TYPE_*` values declared in include/linux/hyperv.h but never sent by Linux. */
export const GPADL_TYPE_RING_BUFFER = 1;
/** `GPADL_TYPE_SERVER_SAVE_AREA`, 2 (hyperv.h; unused by Linux). */
export const GPADL_TYPE_SERVER_SAVE_AREA = 2;
/** `GPADL_TYPE_TRANSACTION`, 8 (hyperv.h; unused by Linux). */
export const GPADL_TYPE_TRANSACTION = 8;

/** The first GPADL handle a Linux guest hands out (`next_gpadl_handle` starts at 0xE1E10). */
export const FIRST_GPADL_HANDLE = 0xe1e10;

/** PFNs that fit in a GPADL_HEADER message next to the one range header: 26. */
export const GPADL_HEADER_MAX_PFNS = Math.floor((MAX_SIZE_CHANNEL_MESSAGE - vmbus_channel_gpadl_header.size - gpa_range.size) / 8);
/** PFNs that fit in one GPADL_BODY message: 28. */
export const GPADL_BODY_MAX_PFNS = Math.floor((MAX_SIZE_CHANNEL_MESSAGE - vmbus_channel_gpadl_body.size) / 8);

/** What a guest needs to describe one buffer. */
export interface GpadlRequest {
  /** Relid of the channel the GPADL belongs to. */
  readonly childRelid: number;
  /** The handle the guest chose. */
  readonly gpadl: number;
  /** Buffer size in bytes (a multiple of 4096 for Linux; the page count is `size >> 12`). */
  readonly size: number;
  /** The buffer's 4 KiB page frame numbers, at least `size >> 12` of them. */
  readonly pfns: readonly bigint[];
}

/**
 * The GPADL_HEADER and GPADL_BODY messages Linux posts for a buffer (`create_gpadl_header`).
 * @throws ProtocolError `FIELD_RANGE` when fewer PFNs than pages are given or the size is not a u32.
 */
export function linuxGpadlMessages(req: GpadlRequest): { header: GpadlHeaderMessage; bodies: GpadlBodyMessage[] } {
  if (!Number.isInteger(req.size) || req.size < 0 || req.size > 0xffffffff) {
    throw new ProtocolError('FIELD_RANGE', 'is not a u32 byte count', { struct: 'gpa_range', field: 'byte_count', value: req.size });
  }
  const pageCount = Math.floor(req.size / HV_HYP_PAGE_SIZE);
  if (req.pfns.length < pageCount) {
    throw new ProtocolError('FIELD_RANGE', `lists ${req.pfns.length} PFNs for ${pageCount} pages`, {
      struct: 'gpa_range',
      field: 'pfn_array',
      value: req.pfns.length,
    });
  }
  const inHeader = Math.min(pageCount, GPADL_HEADER_MAX_PFNS);
  const header: GpadlHeaderMessage = {
    header: { msgtype: CHANNELMSG.CHANNELMSG_GPADL_HEADER },
    child_relid: req.childRelid,
    gpadl: req.gpadl,
    // u16 in the kernel, assigned without a check: wraps for 8191 pages and more
    range_buflen: (gpa_range.size + 8 * pageCount) & 0xffff,
    rangecount: 1,
    range: [{ byte_count: req.size, byte_offset: 0, pfns: req.pfns.slice(0, inHeader) }],
  };
  const bodies: GpadlBodyMessage[] = [];
  for (let done = inHeader; done < pageCount; ) {
    const n = Math.min(GPADL_BODY_MAX_PFNS, pageCount - done);
    bodies.push({
      header: { msgtype: CHANNELMSG.CHANNELMSG_GPADL_BODY },
      msgnumber: 0,
      gpadl: req.gpadl,
      pfn: req.pfns.slice(done, done + n),
    });
    done += n;
  }
  return { header, bodies };
}

/** The posted bytes of {@link linuxGpadlMessages}, header first. */
export function encodeLinuxGpadl(req: GpadlRequest): Uint8Array[] {
  const { header, bodies } = linuxGpadlMessages(req);
  return [
    encodeChannelMessage({ type: 'CHANNELMSG_GPADL_HEADER', msg: header }),
    ...bodies.map((b) => encodeChannelMessage({ type: 'CHANNELMSG_GPADL_BODY', msg: b })),
  ];
}

// ---------------------------------------------------------------------------------------------
// Host side

/** Why a GPADL's range data was refused (openvmm gparange.rs error names). */
export type GpaRangeError =
  /** Fewer range headers than `rangecount`. */
  | 'EMPTY_RANGE'
  /** A range with byte_count 0. */
  | 'EMPTY_BYTE_COUNT'
  /** A range whose byte_offset is past the first page (> 0xFFF). */
  | 'OFFSET_TOO_LARGE'
  /** byte_count + byte_offset + 4095 does not fit u32. */
  | 'OVERFLOW'
  /** Fewer PFNs than the range covers. */
  | 'RANGE_TOO_SMALL';

/** Parses and validates `count` ranges from GPADL range data (u64 words). Extra words are ignored. */
export function parseGpaRanges(
  count: number,
  words: readonly bigint[],
): { readonly ok: true; readonly ranges: GpaRange[] } | { readonly ok: false; readonly error: GpaRangeError; readonly range: number } {
  const ranges: GpaRange[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at >= words.length) return { ok: false, error: 'EMPTY_RANGE', range: i };
    const head = words[at++]!;
    const byteCount = Number(head & 0xffffffffn);
    const byteOffset = Number(head >> 32n);
    if (byteCount === 0) return { ok: false, error: 'EMPTY_BYTE_COUNT', range: i };
    if (byteOffset > 0xfff) return { ok: false, error: 'OFFSET_TOO_LARGE', range: i };
    if (byteCount + 4095 + byteOffset > 0xffffffff) return { ok: false, error: 'OVERFLOW', range: i };
    const pages = Math.floor((byteCount + 4095 + byteOffset) / HV_HYP_PAGE_SIZE);
    if (words.length - at < pages) return { ok: false, error: 'RANGE_TOO_SMALL', range: i };
    ranges.push({ byte_count: byteCount, byte_offset: byteOffset, pfns: words.slice(at, at + pages) });
    at += pages;
  }
  return { ok: true, ranges };
}

/** Outcome of feeding a GPADL message to a {@link GpadlAssembly}. */
export type GpadlAppendResult =
  /** More GPADL_BODY messages are needed. */
  | { readonly state: 'more' }
  /** All range data arrived and the ranges are valid. */
  | { readonly state: 'done'; readonly ranges: GpaRange[] }
  /** All range data arrived but the ranges are invalid. */
  | { readonly state: 'invalid'; readonly error: GpaRangeError };

/**
 * A GPADL the host is receiving: created from the GPADL_HEADER message, fed GPADL_BODY messages
 * until `range_buflen / 8` words have arrived. Message data beyond a whole word, or beyond what the
 * GPADL still needs, is ignored (some guests always post full-size messages).
 */
export class GpadlAssembly {
  readonly childRelid: number;
  readonly gpadl: number;
  readonly rangecount: number;
  readonly rangeBuflen: number;
  private readonly words: bigint[] = [];
  private readonly capacity: number;
  private finished = false;

  /** Starts from a GPADL_HEADER's fixed part; feed the header's range data with {@link append} next. */
  constructor(fixed: VmbusChannelGpadlHeaderFixed) {
    this.childRelid = fixed.child_relid;
    this.gpadl = fixed.gpadl;
    this.rangecount = fixed.rangecount;
    this.rangeBuflen = fixed.range_buflen;
    this.capacity = Math.floor(fixed.range_buflen / 8);
  }

  /** True once all range data has arrived (valid or not). */
  get complete(): boolean {
    return this.finished;
  }

  /** Words still expected. */
  get missingWords(): number {
    return this.capacity - this.words.length;
  }

  /** Appends range data (the bytes after a header's 20 or a body's 16 fixed bytes). */
  append(data: Uint8Array): GpadlAppendResult {
    if (this.finished) throw new Error('GpadlAssembly: append after completion');
    const n = Math.min(Math.floor(data.length / 8), this.capacity - this.words.length);
    for (let i = 0; i < n; i++) {
      const p = i * 8;
      const lo = (data[p]! | (data[p + 1]! << 8) | (data[p + 2]! << 16) | (data[p + 3]! << 24)) >>> 0;
      const hi = (data[p + 4]! | (data[p + 5]! << 8) | (data[p + 6]! << 16) | (data[p + 7]! << 24)) >>> 0;
      this.words.push(BigInt(lo) | (BigInt(hi) << 32n));
    }
    if (this.words.length < this.capacity) return { state: 'more' };
    this.finished = true;
    const parsed = parseGpaRanges(this.rangecount, this.words);
    return parsed.ok ? { state: 'done', ranges: parsed.ranges } : { state: 'invalid', error: parsed.error };
  }
}

/**
 * The host's view of an established GPADL: the bytes the ranges describe, concatenated, read and
 * written through guest memory (the same bytes the guest sees).
 */
export class GpadlView {
  readonly ranges: readonly GpaRange[];
  /** Total bytes described (sum of the ranges' byte counts). */
  readonly length: number;
  private readonly memory: GuestMemory;

  constructor(memory: GuestMemory, ranges: readonly GpaRange[]) {
    this.memory = memory;
    this.ranges = ranges;
    this.length = ranges.reduce((n, r) => n + r.byte_count, 0);
  }

  /** True when every page the ranges name is allocated guest memory. */
  mapped(): boolean {
    return this.ranges.every((r) => r.pfns.every((p) => this.memory.has(p)));
  }

  /** Calls `fn(page, pageOffset, gpadlOffset, n)` for each page piece of [offset, offset + length). */
  private walk(offset: number, length: number, fn: (page: Uint8Array, at: number, pos: number, n: number) => void): boolean {
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > this.length) return false;
    let pos = 0;
    let done = 0;
    for (const r of this.ranges) {
      if (done === length) break;
      const start = Math.max(offset + done, pos);
      if (start < pos + r.byte_count) {
        let inRange = start - pos;
        while (done < length && inRange < r.byte_count) {
          const abs = r.byte_offset + inRange;
          const page = this.memory.page(r.pfns[Math.floor(abs / HV_HYP_PAGE_SIZE)]!);
          if (!page) return false;
          const at = abs % HV_HYP_PAGE_SIZE;
          const n = Math.min(HV_HYP_PAGE_SIZE - at, r.byte_count - inRange, length - done);
          fn(page, at, done, n);
          done += n;
          inRange += n;
        }
      }
      pos += r.byte_count;
    }
    return done === length;
  }

  /** Reads bytes at a GPADL offset; `undefined` when out of range or a page is not memory. */
  read(offset: number, length: number): Uint8Array | undefined {
    const out = new Uint8Array(length);
    return this.walk(offset, length, (page, at, pos, n) => out.set(page.subarray(at, at + n), pos)) ? out : undefined;
  }

  /** Writes bytes at a GPADL offset; false when out of range or a page is not memory (nothing is written then). */
  write(offset: number, data: Uint8Array): boolean {
    if (!this.walk(offset, data.length, () => undefined)) return false;
    return this.walk(offset, data.length, (page, at, pos, n) => page.set(data.subarray(pos, pos + n), at));
  }

  /**
   * A single view over pages `[firstPage, firstPage + pageCount)` of a one-range, page-aligned GPADL
   * whose pages are consecutive in one allocation — how the host maps a ring. `undefined` otherwise.
   */
  pages(firstPage: number, pageCount: number): Uint8Array | undefined {
    if (this.ranges.length !== 1) return undefined;
    const r = this.ranges[0]!;
    if (r.byte_offset !== 0 || r.byte_count % HV_HYP_PAGE_SIZE !== 0) return undefined;
    if (firstPage < 0 || pageCount <= 0 || firstPage + pageCount > r.byte_count / HV_HYP_PAGE_SIZE) return undefined;
    return this.memory.view(r.pfns.slice(firstPage, firstPage + pageCount));
  }

  /** Pages the GPADL spans when it is a single page-aligned range, else 0. */
  get pageCount(): number {
    if (this.ranges.length !== 1) return 0;
    const r = this.ranges[0]!;
    return r.byte_offset === 0 && r.byte_count % HV_HYP_PAGE_SIZE === 0 ? r.byte_count / HV_HYP_PAGE_SIZE : 0;
  }
}
