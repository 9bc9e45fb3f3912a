/**
 * `netvsc-sim ring`: the VMBus ring floor on its own — packets written into a ring, a hex dump of
 * the ring, a refused write on a nearly full ring, and a read-back across the wrap-around.
 */
import { createRingMemory, initRing, RING_CONTROL_SIZE, RingConsumer, RingProducer, hv_ring_buffer } from '../vmbus/ring.js';
import { decodePacket, vmbusPacket, writePacket, type VmbusPacket } from '../vmbus/packet.js';
import { ProtocolError } from '../wire/errors.js';

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function hexdump(bytes: Uint8Array, base: number, label: (off: number) => string = () => ''): string {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const row = bytes.subarray(i, i + 16);
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0'));
    const left = hex.slice(0, 8).join(' ');
    const right = hex.slice(8).join(' ');
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`  ${(base + i).toString(16).padStart(6, '0')}  ${left.padEnd(23)}  ${right.padEnd(23)}  |${ascii}|${label(base + i)}`);
  }
  return lines.join('\n');
}

function describe(p: VmbusPacket): string {
  const head = `${p.kind} flags=${p.flags} trans_id=${p.trans_id} payload=${p.payload.length} bytes`;
  if (p.kind === 'xfer-pages') return `${head} pageset=0x${p.xfer_pageset_id.toString(16)} ranges=${JSON.stringify(p.ranges)}`;
  if (p.kind === 'gpa-direct') return `${head} ranges=${p.ranges.map((r) => `${r.byte_count}@${r.byte_offset} pfns=[${r.pfns.join(',')}]`).join(' ')}`;
  return head;
}

/** A VMBus ring written and read back, with hex dumps of the ring, as text. */
export function ringDemo(): string {
  const out: string[] = [];
  const say = (s = '') => out.push(s);
  const dataSize = 256;
  const mem = createRingMemory(dataSize);
  initRing(mem);
  const tx = new RingProducer(mem);
  const rx = new RingConsumer(mem);
  const text = new TextEncoder();
  const packets: VmbusPacket[] = [
    { kind: 'inband', flags: 1, trans_id: 1n, payload: text.encode('NVSP INIT v6.1') },
    { kind: 'gpa-direct', flags: 1, trans_id: 2n, ranges: [{ byte_count: 1514, byte_offset: 0x80, pfns: [0x1f2n] }], payload: text.encode('RNDIS') },
    { kind: 'xfer-pages', flags: 0, trans_id: 3n, xfer_pageset_id: 0xcafe, sender_owns_set: 0, ranges: [{ byte_count: 60, byte_offset: 0x1000 }], payload: new Uint8Array(8) },
  ];
  say(`A ${dataSize}-byte VMBus ring (plus its 4 KiB hv_ring_buffer control page), written and read as Linux does.`);
  say();
  for (const p of packets) {
    const r = writePacket(tx, p);
    say(`write ${describe(p)}`);
    say(`  → ${r.ok ? `ok at data offset ${r.offset}, ${r.consumed} bytes with trailer, signal the reader: ${r.signal}` : `${r.error} (needs ${r.needed}, ${r.available} free)`}`);
  }
  const ctl = hv_ring_buffer.decode(mem);
  say();
  say(`control page: write_index=${ctl.write_index} read_index=${ctl.read_index} interrupt_mask=${ctl.interrupt_mask} pending_send_sz=${ctl.pending_send_sz} feature_bits=${ctl.feature_bits}`);
  say(`data area (offsets into the ring memory; the data area starts at 0x${RING_CONTROL_SIZE.toString(16)}):`);
  say(hexdump(mem.subarray(RING_CONTROL_SIZE, RING_CONTROL_SIZE + ctl.write_index), RING_CONTROL_SIZE));
  say();
  const big: VmbusPacket = { kind: 'inband', flags: 0, trans_id: 4n, payload: new Uint8Array(200) };
  const full = writePacket(tx, big);
  say(`write ${describe(big)}`);
  say(`  → ${full.ok ? 'ok' : `${full.error}: needs ${full.needed} bytes, ${full.available} free (Linux never fills a ring completely)`}`);
  say();
  for (;;) {
    let got;
    try {
      got = rx.read();
    } catch (e) {
      if (e instanceof ProtocolError) {
        say(`read failed: ${e.message}`);
        break;
      }
      throw e;
    }
    if (!got) break;
    const p = decodePacket(got.packet);
    say(`read  ${describe(p)}  (wake a blocked writer: ${got.signal})`);
  }
  const after = hv_ring_buffer.decode(mem);
  say();
  say(`control page: write_index=${after.write_index} read_index=${after.read_index} — the ring is empty again`);
  const retry = writePacket(tx, big);
  say(`write ${describe(big)} → ${retry.ok ? `ok, wraps around the end of the data area (starts at ${retry.offset})` : retry.error}`);
  const wrapped = rx.read()!;
  say(`read  ${vmbusPacket.decode(wrapped.packet).kind} packet of ${wrapped.packet.length} bytes, identical to what was written: ${sameBytes(wrapped.packet, vmbusPacket.encode(big))}`);
  return out.join('\n') + '\n';
}

