/**
 * The independent golden vectors (fixtures/golden/*.json, built from shared/spec and the kernel
 * sources by fixtures/golden/gen/, not from this code) run through the ring and packet codecs.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRingMemory, hv_ring_buffer, RING_CONTROL_SIZE, RingConsumer, RingProducer } from '../../src/vmbus/ring.js';
import { decodePacket, gpa_range, vmbusPacket, vmpacket_descriptor, type VmbusPacket } from '../../src/vmbus/packet.js';

interface Vector {
  name: string;
  struct: string;
  rule: string;
  value: Record<string, any>;
  hex: string;
}
const load = (f: string) => JSON.parse(readFileSync(new URL(`../../fixtures/golden/${f}`, import.meta.url), 'utf8'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => new Uint8Array(Buffer.from(s.replace(/^hex:/, ''), 'hex'));
const big = (s: string) => BigInt(s);
const padTo8 = (b: Uint8Array) => {
  const out = new Uint8Array((b.length + 7) & ~7);
  out.set(b);
  return out;
};

/** Maps a golden vector's value (kernel field names) to our packet value. */
function asPacket(v: Vector): VmbusPacket | undefined {
  const x = v.value;
  switch (v.struct) {
    case 'inband-packet':
      return { kind: x.type === 11 ? 'completion' : 'inband', flags: x.flags, trans_id: big(x.trans_id), payload: unhex(x.payload) };
    case 'vmtransfer_page_packet_header':
      return {
        kind: 'xfer-pages',
        flags: x.d.flags,
        trans_id: big(x.d.trans_id),
        xfer_pageset_id: x.xfer_pageset_id,
        sender_owns_set: x.sender_owns_set,
        ranges: x.ranges,
        payload: unhex(x.payload),
      };
    case 'vmbus_channel_packet_page_buffer':
      return {
        kind: 'gpa-direct',
        flags: x.flags,
        trans_id: big(x.transactionid),
        ranges: x.range.map((r: any) => ({ byte_count: r.len, byte_offset: r.offset, pfns: [big(r.pfn)] })),
        payload: unhex(x.payload),
      };
    case 'vmbus_packet_mpb_array':
      return {
        kind: 'gpa-direct',
        flags: x.flags,
        trans_id: big(x.transactionid),
        ranges: [{ byte_count: x.range.len, byte_offset: x.range.offset, pfns: x.range.pfn_array.map(big) }],
        payload: unhex(x.payload),
      };
  }
  return undefined;
}

describe('golden: vmbus-packets.json', () => {
  const file = load('vmbus-packets.json');
  for (const v of file.vectors as Vector[]) {
    it(`${v.name}: ${v.rule}`, () => {
      const bytes = unhex(v.hex);
      if (v.struct === 'vmpacket_descriptor') {
        const want = { ...v.value, trans_id: big(v.value.trans_id) };
        expect(vmpacket_descriptor.decode(bytes)).toEqual(want);
        expect(hex(vmpacket_descriptor.encode(want as any))).toBe(v.hex);
        return;
      }
      if (v.struct === 'hv_ring_buffer') {
        expect(hv_ring_buffer.decode(bytes)).toEqual(v.value);
        expect(hex(hv_ring_buffer.encode(v.value as any))).toBe(v.hex);
        return;
      }
      if (v.struct === 'gpa_range') {
        expect(gpa_range.decode(bytes)).toEqual({ byte_count: v.value.byte_count, byte_offset: v.value.byte_offset });
        const pfns = v.value.pfn_array.map(big);
        const dv = new DataView(bytes.buffer, bytes.byteOffset);
        expect(pfns.map((_: bigint, i: number) => dv.getBigUint64(8 + 8 * i, true))).toEqual(pfns);
        expect(bytes.length).toBe(8 + 8 * pfns.length);
        return;
      }
      const p = asPacket(v);
      expect(p, `no mapping for ${v.struct}`).toBeDefined();
      expect(hex(vmbusPacket.encode(p!))).toBe(v.hex);
      expect(decodePacket(bytes)).toEqual({ ...p, payload: padTo8(p!.payload) });
    });
  }
});

describe('golden: ring-states.json', () => {
  const file = load('ring-states.json');
  for (const v of file.vectors as any[]) {
    it(`${v.name}: ${v.rule}`, () => {
      const mem = createRingMemory(v.dataSize);
      const ctl = new DataView(mem.buffer);
      ctl.setUint32(0, v.initial.write_index, true);
      ctl.setUint32(4, v.initial.read_index, true);
      ctl.setUint32(8, v.initial.interrupt_mask, true);
      ctl.setUint32(12, v.initial.pending_send_sz, true);
      ctl.setUint32(64, v.initial.feature_bits, true);
      const tx = new RingProducer(mem);
      let rx: RingConsumer | undefined;
      const results: unknown[] = [];
      const offsets: Record<string, number> = { write_index: 0, read_index: 4, interrupt_mask: 8, pending_send_sz: 12, feature_bits: 64 };
      for (const op of v.ops) {
        if (op.op === 'write') {
          const raw = vmbusPacket.encode({ kind: 'inband', flags: op.flags, trans_id: big(op.trans_id), payload: unhex(op.payload) });
          raw[0] = op.type; // the framing is the same for every type the vectors use
          raw[1] = op.type >>> 8;
          const r = tx.write(raw);
          results.push(r.ok ? { ok: true, signal: r.signal } : { ok: false, error: r.error });
        } else if (op.op === 'read') {
          rx ??= new RingConsumer(mem);
          const packets: string[] = [];
          let p = rx.first();
          for (let i = 0; i < op.count && p; i++) {
            packets.push(hex(p.bytes));
            p = rx.next();
          }
          results.push({ packets, signal: rx.close().signal });
        } else if (op.op === 'set') {
          ctl.setUint32(offsets[op.field]!, op.value, true);
          results.push({});
        } else throw new Error(`unknown op ${op.op}`);
      }
      expect(results).toEqual(v.expect.results);
      expect(hv_ring_buffer.decode(mem)).toEqual(v.expect.control);
      expect(hex(mem.subarray(RING_CONTROL_SIZE))).toBe(v.expect.data);
    });
  }
});
