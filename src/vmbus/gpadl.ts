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
import { writeTracked, type GuestMemory, type TrackedView } from './memory.js';
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
import { freshWords } from '../wire/slab.js';

/** `enum hv_gpadl_type` (include/linux/hyperv.h). */
export const HvGpadlType = {
  /** 0: an ordinary buffer (netvsc's receive and send buffers); `byte_count` is the buffer size. */
  HV_GPADL_BUFFER: 0,
  /** 1: a channel's ring pair; Linux adjusts `byte_count` and PFNs for guest pages larger than 4 KiB. */
  HV_GPADL_RING: 1,
} as const;

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
export function linuxGpadlMessages(req: GpadlRequest): {
  /** The GPADL_HEADER: one range covering the whole buffer, with its first (at most 26) PFNs. */
  header: GpadlHeaderMessage;
  /** The GPADL_BODY messages with the remaining PFNs, up to 28 each, in order (empty for 26 pages or fewer). */
  bodies: GpadlBodyMessage[];
} {
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

function putU32(b: Uint8Array, p: number, v: number): void {
  b[p] = v;
  b[p + 1] = v >>> 8;
  b[p + 2] = v >>> 16;
  b[p + 3] = v >>> 24;
}

function putPfn(b: Uint8Array, p: number, pfn: number): void {
  const hi = pfn > 0xffffffff ? Math.floor(pfn / 4294967296) : 0;
  putU32(b, p, pfn >>> 0);
  putU32(b, p + 4, hi);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Writes `n` consecutive PFNs from `first` as u64s at byte `p` (4-aligned) of a fresh array `b`. */
function putPfnRun(b: Uint8Array, p: number, first: number, n: number): void {
  if (!LITTLE_ENDIAN || b.byteOffset % 4 !== 0 || p % 4 !== 0 || first + n > 0xffffffff) {
    for (let i = 0; i < n; i++, p += 8) putPfn(b, p, first + i);
    return;
  }
  // low words hold the PFNs, high words stay 0 (the array is fresh)
  const w = new Uint32Array(b.buffer, b.byteOffset, b.length >>> 2);
  for (let i = 0, k = p >>> 2; i < n; i++, k += 2) w[k] = first + i;
}

/**
 * {@link encodeLinuxGpadl} for a buffer of consecutive pages starting at `firstPfn` (as every
 * {@link GuestMemory} allocation is): the same bytes, written straight from the page numbers.
 */
export function encodeLinuxGpadlRun(childRelid: number, gpadl: number, size: number, firstPfn: number, pfnCount: number): Uint8Array[] {
  const pageCount = Math.floor(size / HV_HYP_PAGE_SIZE);
  const simple =
    Number.isInteger(size) && size >= 0 && size <= 0xffffffff && pfnCount >= pageCount && Number.isSafeInteger(firstPfn + pfnCount) && firstPfn >= 0;
  if (!simple || (childRelid >>> 0) !== childRelid || (gpadl >>> 0) !== gpadl) {
    const pfns: bigint[] = [];
    for (let i = 0; i < pfnCount; i++) pfns.push(BigInt(firstPfn + i));
    return encodeLinuxGpadl({ childRelid, gpadl, size, pfns });
  }
  const inHeader = Math.min(pageCount, GPADL_HEADER_MAX_PFNS);
  const headerSize = vmbus_channel_gpadl_header.size + gpa_range.size + 8 * inHeader;
  const bodyPfns = pageCount - inHeader;
  const bodyCount = Math.ceil(bodyPfns / GPADL_BODY_MAX_PFNS);
  // every message lives in one fresh (zeroed) buffer, each at a 4-aligned offset: one allocation
  // instead of one per message; the messages are disjoint views and nobody writes them once posted
  const total = headerSize + bodyCount * vmbus_channel_gpadl_body.size + 8 * bodyPfns;
  if (!LITTLE_ENDIAN || firstPfn + pageCount > 0xffffffff) {
    return encodeLinuxGpadlRunBytes(childRelid, gpadl, size, firstPfn, pageCount, inHeader);
  }
  const w = freshWords(total >>> 2);
  const all = new Uint8Array(w.buffer, w.byteOffset, w.byteLength);
  const out: Uint8Array[] = new Array(1 + bodyCount);
  w[0] = CHANNELMSG.CHANNELMSG_GPADL_HEADER;
  w[2] = childRelid;
  w[3] = gpadl;
  // range_buflen (u16, wrapping) at 16, rangecount 1 at 18
  w[4] = ((gpa_range.size + 8 * pageCount) & 0xffff) | (1 << 16);
  w[5] = size;
  for (let i = 0, k = 7; i < inHeader; i++, k += 2) w[k] = firstPfn + i;
  out[0] = all.subarray(0, headerSize);
  let at = headerSize;
  let m = 1;
  for (let done = inHeader; done < pageCount; ) {
    const n = Math.min(GPADL_BODY_MAX_PFNS, pageCount - done);
    const k0 = at >>> 2;
    w[k0] = CHANNELMSG.CHANNELMSG_GPADL_BODY;
    w[k0 + 3] = gpadl;
    const first = firstPfn + done;
    for (let i = 0, k = k0 + 4; i < n; i++, k += 2) w[k] = first + i;
    const len = vmbus_channel_gpadl_body.size + 8 * n;
    out[m++] = all.subarray(at, at + len);
    at += len;
    done += n;
  }
  return out;
}

/** {@link encodeLinuxGpadlRun} written byte by byte, one fresh array per message (any PFN range, any endianness). */
function encodeLinuxGpadlRunBytes(childRelid: number, gpadl: number, size: number, firstPfn: number, pageCount: number, inHeader: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const h = new Uint8Array(vmbus_channel_gpadl_header.size + gpa_range.size + 8 * inHeader);
  putU32(h, 0, CHANNELMSG.CHANNELMSG_GPADL_HEADER);
  putU32(h, 8, childRelid);
  putU32(h, 12, gpadl);
  const buflen = (gpa_range.size + 8 * pageCount) & 0xffff;
  h[16] = buflen;
  h[17] = buflen >>> 8;
  h[18] = 1; // rangecount
  putU32(h, 20, size);
  putPfnRun(h, 28, firstPfn, inHeader);
  out.push(h);
  for (let done = inHeader; done < pageCount; ) {
    const n = Math.min(GPADL_BODY_MAX_PFNS, pageCount - done);
    const b = new Uint8Array(vmbus_channel_gpadl_body.size + 8 * n);
    putU32(b, 0, CHANNELMSG.CHANNELMSG_GPADL_BODY);
    putU32(b, 12, gpadl);
    putPfnRun(b, 16, firstPfn + done, n);
    out.push(b);
    done += n;
  }
  return out;
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
):
  | {
      /** `true`: all `count` ranges are well formed. */
      readonly ok: true;
      /** The ranges in order, each with exactly the PFNs it covers. */
      readonly ranges: GpaRange[];
    }
  | {
      /** `false`: the range data is refused. */
      readonly ok: false;
      /** Why the range was refused. */
      readonly error: GpaRangeError;
      /** Index (from 0) of the first bad range. */
      readonly range: number;
    } {
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

/** PFNs of a range parsed from received words, as numbers, until someone reads the range's `pfns`. */
interface WordPfns {
  /** The range data as u32 halves: word k's low half at [2k], high half at [2k + 1]. */
  readonly words: Uint32Array;
  readonly start: number;
  readonly count: number;
  /** The `pfns` array once read (or assigned): from then on it is the truth. */
  array: bigint[] | null;
  /** The first page when the pages are consecutive (page k = first + k), −1 when not; undefined until {@link wordRun} looked. */
  run: number | undefined;
}

/** Where a lazily built range keeps its {@link WordPfns} (a non-enumerable own property). */
const WORD_PFNS = Symbol('wordPfns');

/** The `pfns` accessor of a lazily built range, shared by all of them. */
const PFNS_ACCESSOR: PropertyDescriptor & ThisType<{ [WORD_PFNS]: WordPfns }> = {
  get(): bigint[] {
    const w = this[WORD_PFNS];
    if (w.array === null) {
      const out: bigint[] = new Array(w.count);
      for (let k = 0; k < w.count; k++) {
        const lo = w.words[2 * (w.start + k)]!;
        const hi = w.words[2 * (w.start + k) + 1]!;
        out[k] = hi === 0 ? BigInt(lo) : BigInt(lo) | (BigInt(hi) << 32n);
      }
      w.array = out;
    }
    return w.array;
  },
  set(v: bigint[]): void {
    this[WORD_PFNS].array = v;
  },
  enumerable: true,
  configurable: true,
};

/** A range whose `pfns` (an own enumerable accessor) are BigInts made on first read (the same array every read). */
function wordRange(byteCount: number, byteOffset: number, w: WordPfns): GpaRange {
  const r = { byte_count: byteCount, byte_offset: byteOffset } as GpaRange;
  Object.defineProperty(r, 'pfns', PFNS_ACCESSOR);
  Object.defineProperty(r, WORD_PFNS, { value: w, enumerable: false });
  return r;
}

/** The received words of a range whose `pfns` nobody has read yet (then they are the truth), else undefined. */
function liveWords(r: GpaRange): WordPfns | undefined {
  const w = (r as GpaRange & { [WORD_PFNS]?: WordPfns })[WORD_PFNS];
  return w && w.array === null ? w : undefined;
}

/** Page `k` of `w` as a number; −1 past the end or when not a safe integer (as GuestMemory reads a BigInt PFN). */
function wordPfn(w: WordPfns, k: number): number {
  if (k < 0 || k >= w.count) return -1;
  const at = 2 * (w.start + k);
  const hi = w.words[at + 1]!;
  return hi < 0x200000 ? hi * 4294967296 + w.words[at]! : -1;
}

/**
 * The first page of `w` when its pages are consecutive safe integers (as every buffer Linux maps:
 * one allocation), else −1; worked out once, so checking or mapping a 4096-page buffer is one
 * lookup rather than one per page.
 */
function wordRun(w: WordPfns): number {
  if (w.run !== undefined) return w.run;
  let run = w.count > 0 ? wordPfn(w, 0) : -1;
  for (let k = 1; run >= 0 && k < w.count; k++) if (wordPfn(w, k) !== run + k) run = -1;
  return (w.run = run);
}

/** Ranges of up to this many pages get their BigInt PFNs at once (cheaper than a lazy range). */
const EAGER_PAGES = 16;

/** {@link parseGpaRanges} over words held as u32 halves (word k: low half at [2k], high at [2k + 1]). */
function parseWords(
  count: number,
  words: Uint32Array,
  length: number,
): { readonly ok: true; readonly ranges: GpaRange[] } | { readonly ok: false; readonly error: GpaRangeError; readonly range: number } {
  const ranges: GpaRange[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at >= length) return { ok: false, error: 'EMPTY_RANGE', range: i };
    const byteCount = words[2 * at]!;
    const byteOffset = words[2 * at + 1]!;
    at++;
    if (byteCount === 0) return { ok: false, error: 'EMPTY_BYTE_COUNT', range: i };
    if (byteOffset > 0xfff) return { ok: false, error: 'OFFSET_TOO_LARGE', range: i };
    if (byteCount + 4095 + byteOffset > 0xffffffff) return { ok: false, error: 'OVERFLOW', range: i };
    const pages = Math.floor((byteCount + 4095 + byteOffset) / HV_HYP_PAGE_SIZE);
    if (length - at < pages) return { ok: false, error: 'RANGE_TOO_SMALL', range: i };
    if (pages <= EAGER_PAGES) {
      const pfns: bigint[] = new Array(pages);
      for (let k = 0, p = 2 * at; k < pages; k++, p += 2) pfns[k] = words[p + 1] === 0 ? BigInt(words[p]!) : BigInt(words[p]!) | (BigInt(words[p + 1]!) << 32n);
      ranges.push({ byte_count: byteCount, byte_offset: byteOffset, pfns });
    } else {
      ranges.push(wordRange(byteCount, byteOffset, { words, start: at, count: pages, array: null, run: undefined }));
    }
    at += pages;
  }
  return { ok: true, ranges };
}

/** Outcome of feeding a GPADL message to a {@link GpadlAssembly}. */
export type GpadlAppendResult =
  /** More GPADL_BODY messages are needed. */
  | {
      /** `'more'`: fewer than `range_buflen / 8` words so far. */
      readonly state: 'more';
    }
  /** All range data arrived and the ranges are valid. */
  | {
      /** `'done'`: the GPADL is complete and usable; the host answers GPADL_CREATED (status 0 unless the device objects). */
      readonly state: 'done';
      /** The validated ranges, each with its PFNs. */
      readonly ranges: GpaRange[];
    }
  /** All range data arrived but the ranges are invalid. */
  | {
      /** `'invalid'`: the GPADL is complete but refused; the host answers GPADL_CREATED with `STATUS_UNSUCCESSFUL`. */
      readonly state: 'invalid';
      /** What is wrong with the ranges. */
      readonly error: GpaRangeError;
    };

/**
 * A GPADL the host is receiving: created from the GPADL_HEADER message, fed GPADL_BODY messages
 * until `range_buflen / 8` words have arrived. Message data beyond a whole word, or beyond what the
 * GPADL still needs, is ignored (some guests always post full-size messages).
 */
export class GpadlAssembly {
  /** `child_relid` of the GPADL_HEADER: the channel the GPADL belongs to. */
  readonly childRelid: number;
  /** The guest-chosen GPADL handle (`gpadl`); GPADL_BODY messages are matched to it. */
  readonly gpadl: number;
  /** `rangecount` of the GPADL_HEADER: how many `gpa_range`s the range data holds (Linux: 1). */
  readonly rangecount: number;
  /** `range_buflen` of the GPADL_HEADER: bytes of range data in the whole GPADL (u16; Linux: 8 + 8 × pages). */
  readonly rangeBuflen: number;
  /** The range data as u64 words in u32 halves, low first (kept as numbers: PFNs become BigInts only when read). */
  private readonly words: Uint32Array;
  /** The bytes of {@link words}. */
  private readonly bytes: Uint8Array;
  private count = 0;
  private readonly capacity: number;
  private finished = false;

  /** Starts from a GPADL_HEADER's fixed part; feed the header's range data with {@link append} next. */
  constructor(fixed: VmbusChannelGpadlHeaderFixed) {
    this.childRelid = fixed.child_relid;
    this.gpadl = fixed.gpadl;
    this.rangecount = fixed.rangecount;
    this.rangeBuflen = fixed.range_buflen;
    this.capacity = Math.floor(fixed.range_buflen / 8);
    this.words = freshWords(2 * this.capacity);
    this.bytes = new Uint8Array(this.words.buffer, this.words.byteOffset, this.words.byteLength);
  }

  /** True once all range data has arrived (valid or not). */
  get complete(): boolean {
    return this.finished;
  }

  /** Words still expected. */
  get missingWords(): number {
    return this.capacity - this.count;
  }

  /** Appends range data (the bytes after a header's 20 or a body's 16 fixed bytes). */
  append(data: Uint8Array): GpadlAppendResult {
    if (this.finished) throw new Error('GpadlAssembly: append after completion');
    const n = Math.min(Math.floor(data.length / 8), this.capacity - this.count);
    const words = this.words;
    if (LITTLE_ENDIAN) {
      // the u32 halves of little-endian u64s are the bytes as they come
      this.bytes.set(n * 8 === data.length ? data : data.subarray(0, n * 8), this.count * 8);
    } else {
      for (let i = 0, c = 2 * this.count; i < n; i++, c += 2) {
        const p = i * 8;
        words[c] = (data[p]! | (data[p + 1]! << 8) | (data[p + 2]! << 16) | (data[p + 3]! << 24)) >>> 0;
        words[c + 1] = (data[p + 4]! | (data[p + 5]! << 8) | (data[p + 6]! << 16) | (data[p + 7]! << 24)) >>> 0;
      }
    }
    this.count += n;
    if (this.count < this.capacity) return { state: 'more' };
    this.finished = true;
    const parsed = parseWords(this.rangecount, words, this.count);
    return parsed.ok ? { state: 'done', ranges: parsed.ranges } : { state: 'invalid', error: parsed.error };
  }
}

/**
 * The host's view of an established GPADL: the bytes the ranges describe, concatenated, read and
 * written through guest memory (the same bytes the guest sees).
 */
export class GpadlView {
  /** The GPADL's validated ranges, in order; their bytes are concatenated into offsets 0…`length`. */
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
    return this.ranges.every((r) => {
      const w = liveWords(r);
      if (!w) return this.memory.hasAll(r.pfns);
      const run = wordRun(w);
      return run >= 0 ? this.memory.hasRun(run, w.count) : this.memory.hasAllBy(w.count, (k) => wordPfn(w, k));
    });
  }

  /** Calls `fn(pfn, pageOffset, gpadlOffset, n)` for each page piece of [offset, offset + length). */
  private walk(offset: number, length: number, fn: (pfn: number | bigint, at: number, pos: number, n: number) => void): boolean {
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > this.length) return false;
    let pos = 0;
    let done = 0;
    for (const r of this.ranges) {
      if (done === length) break;
      const start = Math.max(offset + done, pos);
      if (start < pos + r.byte_count) {
        let inRange = start - pos;
        const w = liveWords(r); // fn never touches the ranges
        while (done < length && inRange < r.byte_count) {
          const abs = r.byte_offset + inRange;
          const pfn = w ? wordPfn(w, Math.floor(abs / HV_HYP_PAGE_SIZE)) : r.pfns[Math.floor(abs / HV_HYP_PAGE_SIZE)]!;
          if (!this.memory.has(pfn)) return false;
          const at = abs % HV_HYP_PAGE_SIZE;
          const n = Math.min(HV_HYP_PAGE_SIZE - at, r.byte_count - inRange, length - done);
          fn(pfn, at, done, n);
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
    const span = this.span(offset, length);
    if (span) return span.bytes.slice(span.at, span.at + length);
    const out = new Uint8Array(length);
    return this.walk(offset, length, (pfn, at, pos, n) => this.memory.copyFromPage(pfn, at, out, pos, n)) ? out : undefined;
  }

  /** Writes bytes at a GPADL offset; false when out of range or a page is not memory (nothing is written then). */
  write(offset: number, data: Uint8Array): boolean {
    const span = this.span(offset, data.length);
    if (span) {
      writeTracked(span, span.at, data);
      return true;
    }
    if (!this.walk(offset, data.length, () => undefined)) return false;
    return this.walk(offset, data.length, (pfn, at, pos, n) => this.memory.copyToPage(pfn, at, data.subarray(pos, pos + n)));
  }

  /**
   * The pages under [offset, offset + length) as one tracked view when the GPADL is one page-aligned
   * range and those pages are consecutive in one allocation (every GPADL Linux makes): `at` is the
   * offset's place in the view. Undefined otherwise, and for an empty or out-of-range span.
   */
  private span(offset: number, length: number): (TrackedView & { at: number }) | undefined {
    if (!(length > 0) || !Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || offset + length > this.length) return undefined;
    const first = Math.floor(offset / HV_HYP_PAGE_SIZE);
    const v = this.trackedPages(first, Math.floor((offset + length - 1) / HV_HYP_PAGE_SIZE) - first + 1);
    return v && { bytes: v.bytes, dirty: v.dirty, offset: v.offset, at: offset - first * HV_HYP_PAGE_SIZE };
  }

  /**
   * A single view over pages `[firstPage, firstPage + pageCount)` of a one-range, page-aligned GPADL
   * whose pages are consecutive in one allocation — how the host maps a ring. `undefined` otherwise.
   */
  pages(firstPage: number, pageCount: number): Uint8Array | undefined {
    const v = this.trackedPages(firstPage, pageCount);
    v?.dirty.exposeAll(); // handed out (its .buffer reaches the whole store): recorded as such
    return v?.bytes;
  }

  /** @internal {@link pages} for a writer that records its writes (see {@link GuestMemory.trackedView}). */
  trackedPages(firstPage: number, pageCount: number): ReturnType<GuestMemory['trackedView']> {
    if (this.ranges.length !== 1) return undefined;
    const r = this.ranges[0]!;
    if (r.byte_offset !== 0 || r.byte_count % HV_HYP_PAGE_SIZE !== 0) return undefined;
    if (firstPage < 0 || pageCount <= 0 || firstPage + pageCount > r.byte_count / HV_HYP_PAGE_SIZE) return undefined;
    const w = liveWords(r);
    if (!w) return this.memory.trackedView(r.pfns.slice(firstPage, firstPage + pageCount));
    const run = wordRun(w);
    if (run >= 0) return this.memory.trackedRun(run + firstPage, pageCount);
    return this.memory.trackedViewBy(pageCount, (k) => wordPfn(w, firstPage + k));
  }

  /** Pages the GPADL spans when it is a single page-aligned range, else 0. */
  get pageCount(): number {
    if (this.ranges.length !== 1) return 0;
    const r = this.ranges[0]!;
    return r.byte_offset === 0 && r.byte_count % HV_HYP_PAGE_SIZE === 0 ? r.byte_count / HV_HYP_PAGE_SIZE : 0;
  }
}
