import type { BenchSuite } from './harness.js';
import { pad, struct, u16, u32, u64, u8 } from '../src/wire/struct.js';

// A flat 40-byte struct with ndis_recv_scale_param's shape (two alignment holes), declared here so
// the figure measures the wire layer alone.
const flat40 = struct('flat40', [
  u8('type'),
  u8('rev'),
  u16('size'),
  u16('flag'),
  u16('base_cpu_number'),
  u32('hashinfo'),
  u16('indirection_tbl_size'),
  pad(2),
  u32('indirection_tbl_offset'),
  u16('hashkey_size'),
  pad(2),
  u32('hashkey_offset'),
  u32('processor_masks_offset'),
  u32('num_processor_masks'),
  u32('processor_masks_entry_size'),
]);
type Flat = ReturnType<typeof flat40.zero>;

const sample: Flat = {
  type: 0x89,
  rev: 2,
  size: 40,
  flag: 0,
  base_cpu_number: 0,
  hashinfo: 0x301,
  indirection_tbl_size: 512,
  indirection_tbl_offset: 40,
  hashkey_size: 40,
  hashkey_offset: 552,
  processor_masks_offset: 0,
  num_processor_masks: 0,
  processor_masks_entry_size: 0,
};
const bytes = flat40.encode(sample);

function handDecode(b: Uint8Array, o = 0): Flat {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    type: dv.getUint8(o),
    rev: dv.getUint8(o + 1),
    size: dv.getUint16(o + 2, true),
    flag: dv.getUint16(o + 4, true),
    base_cpu_number: dv.getUint16(o + 6, true),
    hashinfo: dv.getUint32(o + 8, true),
    indirection_tbl_size: dv.getUint16(o + 12, true),
    indirection_tbl_offset: dv.getUint32(o + 16, true),
    hashkey_size: dv.getUint16(o + 20, true),
    hashkey_offset: dv.getUint32(o + 24, true),
    processor_masks_offset: dv.getUint32(o + 28, true),
    num_processor_masks: dv.getUint32(o + 32, true),
    processor_masks_entry_size: dv.getUint32(o + 36, true),
  };
}
const out = new Uint8Array(64);
function handEncode(v: Flat, b: Uint8Array, o = 0): Uint8Array {
  if (b.length - o < 40) throw new Error('short');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  dv.setUint8(o, v.type);
  dv.setUint8(o + 1, v.rev);
  dv.setUint16(o + 2, v.size, true);
  dv.setUint16(o + 4, v.flag, true);
  dv.setUint16(o + 6, v.base_cpu_number, true);
  dv.setUint32(o + 8, v.hashinfo, true);
  dv.setUint16(o + 12, v.indirection_tbl_size, true);
  dv.setUint16(o + 14, 0, true);
  dv.setUint32(o + 16, v.indirection_tbl_offset, true);
  dv.setUint16(o + 20, v.hashkey_size, true);
  dv.setUint16(o + 22, 0, true);
  dv.setUint32(o + 24, v.hashkey_offset, true);
  dv.setUint32(o + 28, v.processor_masks_offset, true);
  dv.setUint32(o + 32, v.num_processor_masks, true);
  dv.setUint32(o + 36, v.processor_masks_entry_size, true);
  return b;
}

const desc = struct('vmpacket_descriptor', [u16('type'), u16('offset8'), u16('len8'), u16('flags'), u64('trans_id')]);
const descBytes = desc.encode({ type: 6, offset8: 2, len8: 7, flags: 1, trans_id: 0x123456789n });
function handDesc(b: Uint8Array) {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { type: dv.getUint16(0, true), offset8: dv.getUint16(2, true), len8: dv.getUint16(4, true), flags: dv.getUint16(6, true), trans_id: dv.getBigUint64(8, true) };
}

export const suite: BenchSuite = {
  name: 'wire (one-declaration struct codecs)',
  cases: [
    { name: 'decode flat 40-byte struct (generated decoder)', baselineName: 'hand DataView decoder', baseline: () => handDecode(bytes), subject: () => flat40.decode(bytes), goal: { maxRatio: 1.5 } },
    { name: 'decode flat 40-byte struct (binary-parser Parser)', baselineName: 'hand DataView decoder', baseline: () => handDecode(bytes), subject: () => flat40.decodeWithParser(bytes) },
    { name: 'encode flat 40-byte struct into a caller buffer', baselineName: 'hand DataView encoder', baseline: () => handEncode(sample, out, 8), subject: () => flat40.encode(sample, out, 8), goal: { maxRatio: 1.5 } },
    { name: 'decode vmpacket_descriptor (u64 trans_id)', baselineName: 'hand DataView decoder', baseline: () => handDesc(descBytes), subject: () => desc.decode(descBytes), goal: { maxRatio: 1.5 } },
  ],
};
