/**
 * NVSP message codecs against hand-written DataView codecs of the same messages: the decoder's
 * dispatch on msg_type and the encoder's peer padding should cost little over reading or writing
 * the words by hand.
 */
import type { BenchSuite } from './harness.js';
import {
  decodeNvsp,
  encodeNvsp,
  type NvspDecodeOptions,
  type NvspEncodeOptions,
  type NvspMessage,
  type NvspSendRecvBufComplete,
  type NvspSendIndirectionTable,
  type NvspSubchannelRequest,
} from '../src/protocol/nvsp.js';

const FROM_GUEST: NvspDecodeOptions = { from: 'guest' };
const FROM_HOST: NvspDecodeOptions = { from: 'host', version: 0x60001 };
const LINUX: NvspEncodeOptions = { peer: 'linux' };
const WINDOWS: NvspEncodeOptions = { peer: 'hyperv' };

// --- SUBCHANNEL request, as Linux sends it (40 bytes) -------------------------------------------

const subchannel: NvspSubchannelRequest = { type: 'SUBCHANNEL_REQUEST', op: 1, num_subchannels: 7 };
const subchannelBytes = encodeNvsp(subchannel, LINUX);

function handDecodeSubchannel(b: Uint8Array): NvspMessage {
  if (b.length < 12) throw new Error('short');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const t = dv.getUint32(0, true);
  if (t !== 133) throw new Error('type');
  return { type: 'SUBCHANNEL_REQUEST', op: dv.getUint32(4, true), num_subchannels: dv.getUint32(8, true) };
}

function handEncodeSubchannel(m: NvspSubchannelRequest, out: Uint8Array): Uint8Array {
  if (out.length < 40) throw new Error('short');
  out.fill(0, 0, 40);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  dv.setUint32(0, 133, true);
  dv.setUint32(4, m.op, true);
  dv.setUint32(8, m.num_subchannels, true);
  return out;
}

// --- SEND_RECV_BUF_COMPLETE, one section, as a Windows host sends it (28 bytes) ------------------

const recvBufComplete: NvspSendRecvBufComplete = {
  type: 'SEND_RECV_BUF_COMPLETE',
  status: 1,
  num_sections: 1,
  sections: [{ offset: 0, sub_alloc_size: 1728, num_sub_allocs: 9709, end_offset: 16777152 }],
};
const recvBufCompleteBytes = encodeNvsp(recvBufComplete, WINDOWS);

function handDecodeRecvBufComplete(b: Uint8Array): NvspMessage {
  if (b.length < 28) throw new Error('short');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (dv.getUint32(0, true) !== 102) throw new Error('type');
  const n = dv.getUint32(8, true);
  if (12 + 16 * n > b.length) throw new Error('count');
  const sections = new Array(n);
  for (let i = 0, p = 12; i < n; i++, p += 16) {
    sections[i] = {
      offset: dv.getUint32(p, true),
      sub_alloc_size: dv.getUint32(p + 4, true),
      num_sub_allocs: dv.getUint32(p + 8, true),
      end_offset: dv.getUint32(p + 12, true),
    };
  }
  return { type: 'SEND_RECV_BUF_COMPLETE', status: dv.getUint32(4, true), num_sections: n, sections };
}

function handEncodeRecvBufComplete(m: NvspSendRecvBufComplete, out: Uint8Array): Uint8Array {
  const len = Math.max(28, 12 + 16 * m.sections.length);
  if (out.length < len) throw new Error('short');
  out.fill(0, 0, len);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  dv.setUint32(0, 102, true);
  dv.setUint32(4, m.status, true);
  dv.setUint32(8, m.num_sections, true);
  m.sections.forEach((s, i) => {
    const p = 12 + 16 * i;
    dv.setUint32(p, s.offset, true);
    dv.setUint32(p + 4, s.sub_alloc_size, true);
    dv.setUint32(p + 8, s.num_sub_allocs, true);
    dv.setUint32(p + 12, s.end_offset, true);
  });
  return out;
}

// --- SEND_INDIRECTION_TABLE, openvmm's compact 76-byte form ----------------------------------

const sendTable: NvspSendIndirectionTable = {
  type: 'SEND_INDIRECTION_TABLE',
  count: 16,
  offset: 12,
  table: Array.from({ length: 16 }, (_, i) => i % 4),
};
const sendTableBytes = encodeNvsp(sendTable, { peer: 'openvmm' });

function handDecodeSendTable(b: Uint8Array, version: number): NvspMessage {
  if (b.length < 12) throw new Error('short');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (dv.getUint32(0, true) !== 134) throw new Error('type');
  const count = dv.getUint32(4, true);
  const offset = dv.getUint32(8, true);
  if (count !== 16) throw new Error('count');
  const at = version <= 0x60000 && b.length >= 104 ? 40 : offset;
  if (b.length < 64 || at > b.length - 64) throw new Error('offset');
  const table = new Array(16);
  for (let i = 0; i < 16; i++) table[i] = dv.getUint32(at + 4 * i, true);
  return { type: 'SEND_INDIRECTION_TABLE', count, offset, table };
}

const out = new Uint8Array(128);

export const suite: BenchSuite = {
  name: 'nvsp codecs',
  cases: [
    {
      name: 'decode SUBCHANNEL request (40 B)',
      baselineName: 'hand-written DataView decode',
      bytes: 40,
      baseline: () => handDecodeSubchannel(subchannelBytes),
      subject: () => decodeNvsp(subchannelBytes, FROM_GUEST),
      goal: { maxRatio: 1.5 },
    },
    {
      name: 'encode SUBCHANNEL request (40 B, Linux) into a buffer',
      baselineName: 'hand-written DataView encode',
      bytes: 40,
      baseline: () => handEncodeSubchannel(subchannel, out),
      subject: () => encodeNvsp(subchannel, LINUX, out, 0),
      goal: { maxRatio: 1.5 },
    },
    {
      name: 'decode SEND_RECV_BUF_COMPLETE (28 B, one section)',
      baselineName: 'hand-written DataView decode',
      bytes: 28,
      baseline: () => handDecodeRecvBufComplete(recvBufCompleteBytes),
      subject: () => decodeNvsp(recvBufCompleteBytes, FROM_HOST),
      goal: { maxRatio: 1.5 },
    },
    {
      name: 'encode SEND_RECV_BUF_COMPLETE (28 B, Windows host) into a buffer',
      baselineName: 'hand-written DataView encode',
      bytes: 28,
      baseline: () => handEncodeRecvBufComplete(recvBufComplete, out),
      subject: () => encodeNvsp(recvBufComplete, WINDOWS, out, 0),
      goal: { maxRatio: 1.5 },
    },
    {
      name: 'decode SEND_INDIRECTION_TABLE (76 B, openvmm form)',
      baselineName: 'hand-written DataView decode with the same checks',
      bytes: 76,
      baseline: () => handDecodeSendTable(sendTableBytes, 0x60001),
      subject: () => decodeNvsp(sendTableBytes, FROM_HOST),
      goal: { maxRatio: 1.5 },
    },
  ],
};
