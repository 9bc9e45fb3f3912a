import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import {
  createRingMemory,
  initRing,
  RING_CONTROL_SIZE,
  RingConsumer,
  RingProducer,
  hv_ring_buffer,
} from '../../src/vmbus/ring.js';
import { ProtocolError } from '../../src/wire/errors.js';

/** A packet as the ring sees it: descriptor (type 6, offset8 2) + payload padded to 8. */
function packet(payloadLen: number, fill: number, transId = 0n, flags = 0, type = 6): Uint8Array {
  const len = 16 + ((payloadLen + 7) & ~7);
  const b = new Uint8Array(len);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, type, true);
  dv.setUint16(2, 2, true);
  dv.setUint16(4, len / 8, true);
  dv.setUint16(6, flags, true);
  dv.setBigUint64(8, transId, true);
  for (let i = 0; i < payloadLen; i++) b[16 + i] = (fill + i) & 0xff;
  return b;
}

function control(mem: Uint8Array) {
  return hv_ring_buffer.decode(mem);
}

function setWord(mem: Uint8Array, word: number, value: number) {
  new DataView(mem.buffer, mem.byteOffset).setUint32(word * 4, value, true);
}

describe('ring: basics as Linux does them', () => {
  it('init sets both indices to 0 and feature_bits to 1', () => {
    const mem = createRingMemory(4096);
    mem.fill(0xee, 0, 16);
    initRing(mem);
    expect(control(mem)).toMatchObject({ write_index: 0, read_index: 0, feature_bits: 1, interrupt_mask: 0xeeeeeeee });
    initRing(mem, { clear: true });
    expect(control(mem)).toMatchObject({ interrupt_mask: 0, pending_send_sz: 0, feature_bits: 1 });
  });

  it('write lays out descriptor, payload, and trailer = old write_index << 32', () => {
    const mem = createRingMemory(4096);
    initRing(mem);
    const tx = new RingProducer(mem);
    const p = packet(5, 1);
    expect(tx.write(p)).toEqual({ ok: true, signal: true, offset: 0, consumed: 32 });
    expect(Array.from(mem.subarray(RING_CONTROL_SIZE, RING_CONTROL_SIZE + 24))).toEqual(Array.from(p));
    // second packet: trailer carries 32 (its own start offset) in the high half
    expect(tx.write(p)).toMatchObject({ ok: true, signal: false, offset: 32 });
    const trailer = mem.subarray(RING_CONTROL_SIZE + 56, RING_CONTROL_SIZE + 64);
    expect(Array.from(trailer)).toEqual([0, 0, 0, 0, 32, 0, 0, 0]);
    expect(control(mem).write_index).toBe(64);
  });

  it('a write that would leave the ring exactly full is refused with EAGAIN, one 8 bytes smaller fits', () => {
    const mem = createRingMemory(256);
    initRing(mem);
    const tx = new RingProducer(mem);
    // total = len + 8; free = 256. total = 256 refused; total = 248 accepted.
    const refused = tx.write(packet(256 - 8 - 16, 0));
    expect(refused).toEqual({ ok: false, error: 'EAGAIN', needed: 256, available: 256 });
    expect(control(mem).write_index).toBe(0);
    expect(tx.write(packet(256 - 16 - 16, 0))).toMatchObject({ ok: true, consumed: 248 });
    expect(tx.bytesToWrite()).toBe(8);
  });

  it('wraps payload and trailer around the end of the data area', () => {
    const mem = createRingMemory(128);
    initRing(mem);
    setWord(mem, 0, 96);
    setWord(mem, 1, 96);
    const tx = new RingProducer(mem);
    const rx = new RingConsumer(mem);
    const p = packet(24, 9); // 40 bytes + 8 trailer, starts at 96: wraps 8 bytes of payload
    expect(tx.write(p)).toMatchObject({ ok: true, signal: true, offset: 96 });
    expect(control(mem).write_index).toBe(16);
    expect(Array.from(mem.subarray(RING_CONTROL_SIZE + 8, RING_CONTROL_SIZE + 16))).toEqual([0, 0, 0, 0, 96, 0, 0, 0]);
    const got = rx.read();
    expect(Array.from(got!.packet)).toEqual(Array.from(p));
    expect(control(mem).read_index).toBe(16);
  });

  it('interrupt_mask set by the reader suppresses the signal; a non-empty ring never signals', () => {
    const mem = createRingMemory(4096);
    initRing(mem);
    const tx = new RingProducer(mem);
    const rx = new RingConsumer(mem);
    rx.beginRead();
    expect(tx.write(packet(8, 0))).toMatchObject({ ok: true, signal: false });
    expect(rx.endRead()).toBe(32);
    expect(tx.write(packet(8, 0))).toMatchObject({ ok: true, signal: false });
  });

  it('close wakes a blocked writer only on the not-enough → enough transition', () => {
    const mem = createRingMemory(256);
    initRing(mem);
    const tx = new RingProducer(mem);
    const rx = new RingConsumer(mem);
    for (let i = 0; i < 7; i++) expect(tx.write(packet(8, i)).ok).toBe(true); // 7 × 32 = 224 used, 32 free
    tx.setPendingSendSize(48);
    rx.first();
    rx.next();
    expect(rx.close()).toEqual({ signal: true }); // 64 free > 48 now, 32 ≤ 48 before
    rx.next();
    expect(rx.close()).toEqual({ signal: false }); // already had enough
    tx.setPendingSendSize(128);
    rx.next();
    expect(rx.close()).toEqual({ signal: false }); // 128 free: equality is "not enough"
  });

  it('a ring whose feature bit 0 is clear never signals on read', () => {
    const mem = createRingMemory(256);
    initRing(mem);
    const tx = new RingProducer(mem);
    tx.setFeatureBits(0);
    const rx = new RingConsumer(mem);
    for (let i = 0; i < 7; i++) tx.write(packet(8, i));
    tx.setPendingSendSize(48);
    rx.first();
    rx.next();
    expect(rx.close()).toEqual({ signal: false });
  });
});

describe('ring: bad bytes give ProtocolError and leave everything untouched', () => {
  function filled(): { mem: Uint8Array; snapshot: Uint8Array } {
    const mem = createRingMemory(256);
    initRing(mem);
    const tx = new RingProducer(mem);
    tx.write(packet(8, 1));
    tx.write(packet(16, 2));
    return { mem, snapshot: mem.slice() };
  }
  const expectError = (fn: () => unknown, code: string, field: string) => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(ProtocolError);
      expect((e as ProtocolError).code).toBe(code);
      expect((e as ProtocolError).field).toBe(field);
      return;
    }
    throw new Error('expected a ProtocolError');
  };

  it('write_index outside the data area is rejected by the reader and the writer', () => {
    const { mem } = filled();
    setWord(mem, 0, 256);
    const snap = mem.slice();
    expectError(() => new RingConsumer(mem).first(), 'RING_INDEX', 'write_index');
    expectError(() => new RingProducer(mem), 'RING_INDEX', 'write_index');
    expect(mem).toEqual(snap);
  });

  it('an unaligned read_index is rejected', () => {
    const { mem } = filled();
    setWord(mem, 1, 4);
    expectError(() => new RingConsumer(mem), 'RING_INDEX', 'read_index');
    expectError(() => new RingProducer(mem, { validate: false }).write(packet(8, 0)), 'RING_INDEX', 'read_index');
  });

  it('offset8 < 2 is rejected and nothing is consumed', () => {
    const { mem } = filled();
    mem[RING_CONTROL_SIZE + 2] = 1;
    const snap = mem.slice();
    const rx = new RingConsumer(mem);
    expectError(() => rx.first(), 'RING_PACKET', 'offset8');
    expect(mem).toEqual(snap);
    expect(rx.cursor).toBe(0);
  });

  it('len8 < offset8 is rejected', () => {
    const { mem } = filled();
    mem[RING_CONTROL_SIZE + 4] = 1;
    expectError(() => new RingConsumer(mem).first(), 'RING_PACKET', 'len8');
  });

  it('a packet longer than the bytes available is rejected', () => {
    const { mem } = filled();
    mem[RING_CONTROL_SIZE + 4] = 30;
    expectError(() => new RingConsumer(mem).first(), 'RING_PACKET', 'len8');
  });

  it('unknown packet type and unknown flag bits are rejected', () => {
    const { mem } = filled();
    mem[RING_CONTROL_SIZE] = 5;
    expectError(() => new RingConsumer(mem).first(), 'RING_PACKET', 'type');
    mem[RING_CONTROL_SIZE] = 6;
    mem[RING_CONTROL_SIZE + 6] = 2;
    expectError(() => new RingConsumer(mem).first(), 'RING_PACKET', 'flags');
  });

  it('a bad second packet leaves the first readable and the second still queued', () => {
    const { mem } = filled();
    mem[RING_CONTROL_SIZE + 32 + 2] = 0; // second packet's offset8
    const rx = new RingConsumer(mem);
    const first = rx.read();
    expect(first!.packet.length).toBe(24);
    expectError(() => rx.read(), 'RING_PACKET', 'offset8');
    expect(control(mem).read_index).toBe(32);
    mem[RING_CONTROL_SIZE + 32 + 2] = 2; // repaired: the packet was never lost
    expect(rx.read()!.packet.length).toBe(32);
  });

  it('ring memory of a bad geometry is refused', () => {
    expect(() => new RingProducer(new Uint8Array(4096 + 12))).toThrow(ProtocolError);
    expect(() => new RingConsumer(new Uint8Array(100))).toThrow(ProtocolError);
    expect(() => createRingMemory(20)).toThrow(ProtocolError);
  });

  it('property: arbitrary control page and data bytes never throw anything but ProtocolError, and reading never writes the data area', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        fc.constantFrom<'strict' | 'linux'>('strict', 'linux'),
        fc.integer({ min: 1, max: 6 }),
        (ctl, data, mode, reads) => {
          const mem = createRingMemory(64);
          mem.set(ctl, 0);
          mem.set(data, RING_CONTROL_SIZE);
          const before = mem.slice(RING_CONTROL_SIZE);
          try {
            const rx = new RingConsumer(mem, { mode, maxPacketSize: 48 });
            for (let i = 0; i < reads; i++) rx.next();
            rx.close();
          } catch (e) {
            if (!(e instanceof ProtocolError)) throw e;
          }
          expect(mem.subarray(RING_CONTROL_SIZE)).toEqual(before);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('ring: Linux reader mode (hv_pkt_iter_first clamps instead of rejecting)', () => {
  it('clamps len8 larger than available and offset8 below 2, rewriting them in the copy', () => {
    const mem = createRingMemory(256);
    initRing(mem);
    new RingProducer(mem).write(packet(8, 3));
    mem[RING_CONTROL_SIZE + 2] = 0; // offset8 0 → 16
    mem[RING_CONTROL_SIZE + 4] = 200; // len8 1600 → available 32
    const rx = new RingConsumer(mem, { mode: 'linux' });
    const p = rx.first()!;
    expect(p.len8).toBe(4);
    expect(p.offset8).toBe(2);
    expect(p.bytes[4]).toBe(4);
    expect(p.bytes[2]).toBe(2);
    // the cursor lands 8 bytes past write_index, as Linux's does
    rx.next();
    expect(rx.cursor).toBe(40);
  });

  it('truncates a packet larger than max_pkt_size', () => {
    const mem = createRingMemory(4096);
    initRing(mem);
    new RingProducer(mem).write(packet(200, 0));
    const rx = new RingConsumer(mem, { mode: 'linux', maxPacketSize: 64 });
    expect(rx.first()!.bytes.length).toBe(64);
  });
});

// ------------------------------------------------------------------------------------------------
// Model-based test: the ring against a plain queue and the formulas of shared/spec/vmbus.md §3.

interface Model {
  d: number;
  w: number;
  r: number; // published read_index
  priv: number;
  mask: number;
  pending: number;
  features: number;
  queue: Uint8Array[]; // packets not yet passed by the cursor
  batchStart: number;
}
interface Real {
  mem: Uint8Array;
  tx: RingProducer;
  rx: RingConsumer;
}
let commandsRun = 0;
const free = (m: Model, w: number, r: number) => (w >= r ? m.d - (w - r) : r - w);

class WriteCmd implements fc.Command<Model, Real> {
  constructor(readonly payload: number, readonly fill: number, readonly trans: bigint, readonly flags: number) {}
  check() {
    return true;
  }
  run(m: Model, real: Real) {
    commandsRun++;
    const p = packet(this.payload, this.fill, this.trans, this.flags);
    const total = p.length + 8;
    const avail = free(m, m.w, m.r);
    expect(real.tx.bytesToWrite()).toBe(avail);
    const res = real.tx.write(this.payload % 2 ? [p.subarray(0, 16), p.subarray(16)] : p);
    if (avail <= total) {
      expect(res).toEqual({ ok: false, error: 'EAGAIN', needed: total, available: avail });
      return;
    }
    const expectSignal = m.mask === 0 && m.w === m.r;
    expect(res).toEqual({ ok: true, signal: expectSignal, offset: m.w, consumed: total });
    m.w = (m.w + total) % m.d;
    m.queue.push(p);
    expect(real.tx.writeIndex).toBe(m.w);
  }
  toString() {
    return `write(${this.payload}, fill ${this.fill}, id ${this.trans}, flags ${this.flags})`;
  }
}

class ReadBatchCmd implements fc.Command<Model, Real> {
  constructor(readonly count: number) {}
  check() {
    return true;
  }
  run(m: Model, real: Real) {
    commandsRun++;
    const start = m.r;
    let got = real.rx.first();
    for (let i = 0; i < this.count; i++) {
      const want = m.queue[0];
      if (!want) {
        expect(got).toBeNull();
        break;
      }
      expect(got).not.toBeNull();
      expect(Array.from(got!.bytes)).toEqual(Array.from(want));
      m.queue.shift();
      m.priv = (m.priv + want.length + 8) % m.d;
      got = real.rx.next();
    }
    const res = real.rx.close();
    m.r = m.priv;
    let signal = false;
    if (m.features & 1 && m.pending !== 0) {
      const curr = free(m, m.w, m.r);
      const read = m.priv >= start ? m.priv - start : m.d - start + m.priv;
      signal = !(curr - read > m.pending) && !(curr <= m.pending);
    }
    expect(res).toEqual({ signal });
    expect(real.rx.readIndex).toBe(m.r);
  }
  toString() {
    return `read(${this.count})`;
  }
}

class MaskCmd implements fc.Command<Model, Real> {
  constructor(readonly on: boolean) {}
  check() {
    return true;
  }
  run(m: Model, real: Real) {
    commandsRun++;
    if (this.on) {
      real.rx.beginRead();
      m.mask = 1;
    } else {
      const left = real.rx.endRead();
      m.mask = 0;
      const expected = m.queue.reduce((n, p) => n + p.length + 8, 0);
      expect(left).toBe(expected);
    }
  }
  toString() {
    return this.on ? 'beginRead' : 'endRead';
  }
}

class PendingCmd implements fc.Command<Model, Real> {
  constructor(readonly bytes: number) {}
  check() {
    return true;
  }
  run(m: Model, real: Real) {
    commandsRun++;
    real.tx.setPendingSendSize(this.bytes);
    m.pending = this.bytes;
  }
  toString() {
    return `pending(${this.bytes})`;
  }
}

describe('ring: model-based (fc.commands) against a plain queue', () => {
  it('no packet lost, duplicated, reordered or corrupted; space and signals exactly as Linux decides', () => {
    const commands = [
      fc
        .tuple(fc.integer({ min: 0, max: 120 }), fc.nat(255), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.integer({ min: 0, max: 1 }))
        .map(([n, f, t, fl]) => new WriteCmd(n, f, t, fl)),
      fc.integer({ min: 1, max: 4 }).map((n) => new ReadBatchCmd(n)),
      fc.boolean().map((b) => new MaskCmd(b)),
      fc.integer({ min: 0, max: 40 }).map((n) => new PendingCmd(n * 8)),
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: 4, max: 40 }).map((n) => n * 8),
        fc.nat(),
        fc.boolean(),
        fc.commands(commands, { maxCommands: 80, size: 'max' }),
        (d, startRaw, featureOn, cmds) => {
          const start = (startRaw % (d / 8)) * 8; // wrap-around at every offset
          const mem = createRingMemory(d);
          initRing(mem);
          setWord(mem, 0, start);
          setWord(mem, 1, start);
          if (!featureOn) setWord(mem, 16, 0);
          const real: Real = { mem, tx: new RingProducer(mem), rx: new RingConsumer(mem) };
          const model: Model = {
            d,
            w: start,
            r: start,
            priv: start,
            mask: 0,
            pending: 0,
            features: featureOn ? 1 : 0,
            queue: [],
            batchStart: start,
          };
          fc.modelRun(() => ({ model, real }), cmds);
        },
      ),
      { numRuns: 200 },
    );
    // The property really exercised the ring: thousands of commands, not a vacuous pass.
    expect(commandsRun).toBeGreaterThan(4000);
  });
});
