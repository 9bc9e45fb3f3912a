/**
 * RNDIS codecs against hand-written DataView codecs of the same messages. Each baseline produces
 * the same value (or the same bytes) as its subject, checks the same bounds, and copies the same
 * buffers, so the ratio is the price of the generic message dispatch and region rules.
 */
import type { BenchSuite } from './harness.js';
import {
  decodeRndis,
  encodeRndis,
  rndisPacket,
  rndisQueryComplete,
  type RndisMessage,
  type RndisPacketMessage,
  type RndisQueryComplete,
  type RndisSetRequest,
} from '../src/protocol/rndis.js';
import { encodeRndisDataPacket, rndisRssSetRequest } from '../src/protocol/rndis-builders.js';
import {
  decodeRssSetRequest,
  rndisRssSetMessage,
  rssParameters,
  type NdisRssParameters,
  type RndisRssSetRequest,
} from '../src/protocol/ndis.js';
import {
  decodePpiList,
  encodePpiList,
  ppiChecksumTransmit,
  ppiHashValue,
  type PpiElement,
} from '../src/protocol/ppi.js';

function fail(what: string): never {
  throw new Error(`bad message: ${what}`);
}
function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}
/** The shared body-relative region check, written out by hand. */
function region(off: number, len: number, fixed: number, limit: number): void {
  if (len === 0) return;
  if (off < fixed || off > limit || len > limit - off) fail('region');
}

// --- RSS SET, N = 128 (620 bytes) ----------------------------------------------------------------

const table = Array.from({ length: 128 }, (_, i) => i % 8);
const rssSet = rndisRssSetRequest(11, rssParameters({ indirection_table: table }));
const rssBytes = encodeRndis(rssSet);
const rssValue = decodeRssSetRequest(rssBytes);

function handDecodeSet(b: Uint8Array): RndisSetRequest {
  if (b.length < 8) fail('short');
  const dv = view(b);
  const len = dv.getUint32(4, true);
  if (len < 8 || len > b.length) fail('msg_len');
  if (dv.getUint32(0, true) !== 5 || len < 28) fail('type');
  const ilen = dv.getUint32(16, true);
  const ioff = dv.getUint32(20, true);
  region(ioff, ilen, 20, len - 8);
  return {
    type: 'SET',
    req_id: dv.getUint32(8, true),
    oid: dv.getUint32(12, true),
    info_buf_offset: ioff,
    info_buf: b.slice(8 + ioff, 8 + ioff + ilen),
    dev_vc_handle: dv.getUint32(24, true),
  };
}

function handDecodeRssSet(b: Uint8Array): RndisRssSetRequest {
  const set = handDecodeSet(b);
  if (set.oid !== 0x00010204) fail('oid');
  const o = set.info_buf;
  if (o.length < 40) fail('short rss');
  const dv = view(o);
  const tabsize = dv.getUint16(12, true);
  const taboff = dv.getUint32(16, true);
  const keysize = dv.getUint16(20, true);
  const keyoff = dv.getUint32(24, true);
  if (tabsize % 4) fail('tabsize');
  region(taboff, tabsize, 40, o.length);
  region(keyoff, keysize, 40, o.length);
  if (tabsize && keysize && taboff < keyoff + keysize && keyoff < taboff + tabsize) fail('overlap');
  const n = tabsize >>> 2;
  const t = new Array<number>(n);
  for (let i = 0; i < n; i++) t[i] = dv.getUint32(taboff + 4 * i, true);
  const params: NdisRssParameters = {
    hdr: { type: o[0]!, rev: o[1]!, size: dv.getUint16(2, true) },
    flag: dv.getUint16(4, true),
    base_cpu_number: dv.getUint16(6, true),
    hashinfo: dv.getUint32(8, true),
    indirect_taboffset: taboff,
    indirection_table: t,
    hashkey_offset: keyoff,
    hash_key: o.slice(keyoff, keyoff + keysize),
    processor_masks_offset: dv.getUint32(28, true),
    num_processor_masks: dv.getUint32(32, true),
    processor_masks_entry_size: dv.getUint32(36, true),
  };
  return { req_id: set.req_id, info_buf_offset: set.info_buf_offset, dev_vc_handle: set.dev_vc_handle, params };
}

function handEncodeRssSet(v: RndisRssSetRequest): Uint8Array {
  const p = v.params;
  const n = p.indirection_table.length;
  const objLen = Math.max(40, p.indirect_taboffset + 4 * n, p.hashkey_offset + p.hash_key.length);
  const len = 8 + v.info_buf_offset + objLen;
  const b = new Uint8Array(len);
  const dv = view(b);
  dv.setUint32(0, 5, true);
  dv.setUint32(4, len, true);
  dv.setUint32(8, v.req_id, true);
  dv.setUint32(12, 0x00010204, true);
  dv.setUint32(16, objLen, true);
  dv.setUint32(20, v.info_buf_offset, true);
  dv.setUint32(24, v.dev_vc_handle, true);
  const o = 8 + v.info_buf_offset;
  b[o] = p.hdr.type;
  b[o + 1] = p.hdr.rev;
  dv.setUint16(o + 2, p.hdr.size, true);
  dv.setUint16(o + 4, p.flag, true);
  dv.setUint16(o + 6, p.base_cpu_number, true);
  dv.setUint32(o + 8, p.hashinfo, true);
  dv.setUint16(o + 12, 4 * n, true);
  dv.setUint32(o + 16, p.indirect_taboffset, true);
  dv.setUint16(o + 20, p.hash_key.length, true);
  dv.setUint32(o + 24, p.hashkey_offset, true);
  dv.setUint32(o + 28, p.processor_masks_offset, true);
  dv.setUint32(o + 32, p.num_processor_masks, true);
  dv.setUint32(o + 36, p.processor_masks_entry_size, true);
  for (let i = 0; i < n; i++) dv.setUint32(o + p.indirect_taboffset + 4 * i, p.indirection_table[i]!, true);
  b.set(p.hash_key, o + p.hashkey_offset);
  return b;
}

// --- QUERY_C with a 6-byte MAC (30 bytes) ---------------------------------------------------------

const queryC = rndisQueryComplete(3, 0, new Uint8Array([0x00, 0x15, 0x5d, 0x01, 0x02, 0x0a]));
const queryCBytes = encodeRndis(queryC);

function handDecodeQueryC(b: Uint8Array): RndisMessage {
  if (b.length < 8) fail('short');
  const dv = view(b);
  const len = dv.getUint32(4, true);
  if (len < 8 || len > b.length) fail('msg_len');
  if (dv.getUint32(0, true) !== 0x80000004 || len < 24) fail('type');
  const ilen = dv.getUint32(16, true);
  const ioff = dv.getUint32(20, true);
  region(ioff, ilen, 16, len - 8);
  const m: RndisQueryComplete = {
    type: 'QUERY_C',
    req_id: dv.getUint32(8, true),
    status: dv.getUint32(12, true),
    info_buf_offset: ioff,
    info_buf: b.slice(8 + ioff, 8 + ioff + ilen),
  };
  if (len !== 8 + Math.max(16, ilen ? ioff + ilen : 16)) m.msg_len = len;
  return m;
}

function handEncodeQueryC(m: RndisQueryComplete): Uint8Array {
  const len = 8 + Math.max(16, m.info_buf.length ? m.info_buf_offset + m.info_buf.length : 16);
  const b = new Uint8Array(len);
  const dv = view(b);
  dv.setUint32(0, 0x80000004, true);
  dv.setUint32(4, len, true);
  dv.setUint32(8, m.req_id, true);
  dv.setUint32(12, m.status, true);
  dv.setUint32(16, m.info_buf.length, true);
  dv.setUint32(20, m.info_buf_offset, true);
  b.set(m.info_buf, 8 + m.info_buf_offset);
  return b;
}

// --- data PACKET: hash + checksum PPIs and a 1514-byte frame (1590 bytes) ----------------------------

const frame = new Uint8Array(1514).map((_, i) => i & 0xff);
const ppis: PpiElement[] = [
  ppiHashValue(0x9e3779b9),
  ppiChecksumTransmit({ is_ipv4: true, is_ipv6: false, tcp_checksum: true, udp_checksum: false, ip_header_checksum: false, reserved: 0, tcp_header_offset: 34 }),
];
const packet = rndisPacket(frame, encodePpiList(ppis));
const packetBytes = encodeRndis(packet);

function handDecodePacket(b: Uint8Array): RndisPacketMessage {
  if (b.length < 8) fail('short');
  const dv = view(b);
  const len = dv.getUint32(4, true);
  if (len < 8 || len > b.length) fail('msg_len');
  if (dv.getUint32(0, true) !== 1 || len < 44) fail('type');
  const body = len - 8;
  const dOff = dv.getUint32(8, true);
  const dLen = dv.getUint32(12, true);
  const oOff = dv.getUint32(16, true);
  const oLen = dv.getUint32(20, true);
  const iOff = dv.getUint32(32, true);
  const iLen = dv.getUint32(36, true);
  region(dOff, dLen, 36, body);
  region(oOff, oLen, 36, body);
  region(iOff, iLen, 36, body);
  const overlap = (a: number, al: number, c: number, cl: number) => al && cl && a < c + cl && c < a + al;
  if (overlap(oOff, oLen, dOff, dLen) || overlap(iOff, iLen, dOff, dLen) || overlap(iOff, iLen, oOff, oLen)) fail('overlap');
  const m: RndisPacketMessage = {
    type: 'PACKET',
    data_offset: dOff,
    data: b.slice(8 + dOff, 8 + dOff + dLen),
    oob_data_offset: oOff,
    oob_data: b.slice(8 + oOff, 8 + oOff + oLen),
    num_oob_data_elements: dv.getUint32(24, true),
    per_pkt_info_offset: iOff,
    per_pkt_info: b.slice(8 + iOff, 8 + iOff + iLen),
    vc_handle: dv.getUint32(40, true),
  };
  const end = Math.max(36, dLen ? dOff + dLen : 0, oLen ? oOff + oLen : 0, iLen ? iOff + iLen : 0);
  if (len !== 8 + end) m.msg_len = len;
  return m;
}

function handDecodePpis(b: Uint8Array): PpiElement[] {
  const dv = view(b);
  const out: PpiElement[] = [];
  let p = 0;
  while (p < b.length) {
    if (b.length - p < 12) fail('ppi header');
    const size = dv.getUint32(p, true);
    const w = dv.getUint32(p + 4, true);
    const off = dv.getUint32(p + 8, true);
    if (size < 12 || size > b.length - p || off < 12 || off >= size) fail('ppi');
    out.push({ type: w & 0x7fffffff, internal: w >>> 31 === 1, ppi_offset: off, data: b.slice(p + off, p + size) });
    p += size;
  }
  return out;
}

function handEncodePacket(frameBytes: Uint8Array, list: readonly PpiElement[]): Uint8Array {
  let ppiLen = 0;
  for (const e of list) ppiLen += e.ppi_offset + e.data.length;
  const len = 44 + ppiLen + frameBytes.length;
  const b = new Uint8Array(len);
  const dv = view(b);
  dv.setUint32(0, 1, true);
  dv.setUint32(4, len, true);
  dv.setUint32(8, 36 + ppiLen, true);
  dv.setUint32(12, frameBytes.length, true);
  dv.setUint32(28, 36, true);
  dv.setUint32(32, ppiLen, true);
  let p = 44;
  for (const e of list) {
    const size = e.ppi_offset + e.data.length;
    dv.setUint32(p, size, true);
    dv.setUint32(p + 4, (e.type | (e.internal ? 0x80000000 : 0)) >>> 0, true);
    dv.setUint32(p + 8, e.ppi_offset, true);
    b.set(e.data, p + e.ppi_offset);
    p += size;
  }
  b.set(frameBytes, p);
  return b;
}

export const suite: BenchSuite = {
  name: 'rndis codecs',
  cases: [
    {
      name: 'decode RSS SET (OID_GEN_RECEIVE_SCALE_PARAMETERS, 128 entries): message with raw info buffer',
      baselineName: 'hand-written DataView decode',
      baseline: () => handDecodeSet(rssBytes),
      subject: () => decodeRndis(rssBytes),
      goal: { maxRatio: 1.5 },
      bytes: rssBytes.length,
    },
    {
      name: 'decode RSS SET (128 entries): whole message, table and key decoded',
      baselineName: 'hand-written DataView decode',
      baseline: () => handDecodeRssSet(rssBytes),
      subject: () => decodeRssSetRequest(rssBytes),
      goal: { maxRatio: 1.5 },
      bytes: rssBytes.length,
    },
    {
      name: 'encode RSS SET (128 entries) from its decoded value',
      baselineName: 'hand-written DataView encode',
      baseline: () => handEncodeRssSet(rssValue),
      subject: () => rndisRssSetMessage.encode(rssValue),
      goal: { maxRatio: 1.5 },
      bytes: rssBytes.length,
    },
    {
      name: 'decode QUERY_C (6-byte MAC)',
      baselineName: 'hand-written DataView decode',
      baseline: () => handDecodeQueryC(queryCBytes),
      subject: () => decodeRndis(queryCBytes),
      goal: { maxRatio: 1.5 },
    },
    {
      name: 'encode QUERY_C (6-byte MAC)',
      baselineName: 'hand-written DataView encode',
      baseline: () => handEncodeQueryC(queryC),
      subject: () => encodeRndis(queryC),
      goal: { maxRatio: 1.5 },
    },
    {
      name: 'decode data PACKET (hash + checksum PPI, 1514-byte frame), PPI list decoded',
      baselineName: 'hand-written DataView decode',
      baseline: () => {
        const m = handDecodePacket(packetBytes);
        return handDecodePpis(m.per_pkt_info);
      },
      subject: () => {
        const m = decodeRndis(packetBytes) as RndisPacketMessage;
        return decodePpiList(m.per_pkt_info);
      },
      goal: { maxRatio: 1.5 },
      bytes: packetBytes.length,
    },
    {
      name: 'encode data PACKET (hash + checksum PPI, 1514-byte frame) from frame and PPI list',
      baselineName: 'hand-written DataView encode',
      baseline: () => handEncodePacket(frame, ppis),
      subject: () => encodeRndisDataPacket(frame, ppis),
      goal: { maxRatio: 1.5 },
      bytes: packetBytes.length,
    },
    {
      name: 'encode data PACKET (same) through the generic message encoder (PPI block encoded first)',
      baselineName: 'hand-written DataView encode',
      baseline: () => handEncodePacket(frame, ppis),
      subject: () => encodeRndis(rndisPacket(frame, encodePpiList(ppis))),
      bytes: packetBytes.length,
    },
  ],
};
