import type { BenchSuite } from './harness.js';
import { createRingMemory, initRing, RingConsumer, RingProducer } from '../src/vmbus/ring.js';

/** netvsc's default ring: 128 pages per direction, data area 520 192 bytes (vmbus.md §1). */
const DATA = 520192;

function descriptor(payloadLen: number): { head: Uint8Array; pad: Uint8Array } {
  const total = (16 + payloadLen + 7) & ~7;
  const head = new Uint8Array(16);
  const dv = new DataView(head.buffer);
  dv.setUint16(0, 6, true);
  dv.setUint16(2, 2, true);
  dv.setUint16(4, total / 8, true);
  return { head, pad: new Uint8Array(total - 16 - payloadLen) };
}

function ringCases(payloadLen: number) {
  const mem = createRingMemory(DATA);
  initRing(mem);
  const tx = new RingProducer(mem);
  const rx = new RingConsumer(mem);
  const payload = new Uint8Array(payloadLen).map((_, i) => i);
  const { head, pad } = descriptor(payloadLen);
  const pieces = pad.length ? [head, payload, pad] : [head, payload];
  const dst = new Uint8Array(payloadLen);
  const copyOut = new Uint8Array(payloadLen + 32);
  const memcpy = () => {
    dst.set(payload);
    return dst;
  };
  // The same copy walking a buffer of the ring's size, as the ring's writes do (same cache behaviour).
  const big = new Uint8Array(DATA);
  const stride = ((16 + payloadLen + 7) & ~7) + 8;
  let off = 0;
  const rolling = () => {
    big.set(payload, off);
    off += stride;
    if (off + stride > DATA) off = 0;
    return big;
  };
  return [
    {
      name: `ring write + read (view) of a ${payloadLen}-byte payload`,
      baselineName: 'Uint8Array.set of the payload',
      bytes: payloadLen,
      baseline: memcpy,
      subject: () => {
        tx.write(pieces);
        const p = rx.first()!;
        rx.next();
        rx.close();
        return p;
      },
      goal: payloadLen >= 1514 ? { minRatio: 0.5 } : undefined,
    },
    {
      name: `ring write + read (view) of a ${payloadLen}-byte payload, rolling baseline`,
      baselineName: 'Uint8Array.set of the payload at rolling offsets in a ring-sized buffer',
      bytes: payloadLen,
      baseline: rolling,
      subject: () => {
        tx.write(pieces);
        const p = rx.first()!;
        rx.next();
        rx.close();
        return p;
      },
      goal: payloadLen >= 1514 ? { minRatio: 0.5 } : undefined,
    },
    {
      name: `ring write + read copying out (vmbus_recvpacket_raw) of a ${payloadLen}-byte payload`,
      baselineName: 'Uint8Array.set of the payload',
      bytes: payloadLen,
      baseline: memcpy,
      subject: () => {
        tx.write(pieces);
        const p = rx.first()!;
        copyOut.set(p.bytes);
        rx.next();
        return rx.close();
      },
    },
  ];
}

export const suite: BenchSuite = {
  name: 'ring (netvsc default 128-page ring)',
  cases: [...ringCases(64), ...ringCases(1514)],
};
