import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import { ByteRanges, GuestMemory, bufferView, dirtyOf, writeBuffer, type DirtyBytes, type GuestBuffer } from '../../src/vmbus/memory.js';
import { GpadlAssembly, GpadlView, encodeLinuxGpadl, encodeLinuxGpadlRun } from '../../src/vmbus/gpadl.js';
import { vmbus_channel_gpadl_body, vmbus_channel_gpadl_header } from '../../src/vmbus/messages.js';
import { GuestChannelRings, HostChannelRings } from '../../src/vmbus/channel.js';
import { RingConsumer, RingProducer } from '../../src/vmbus/ring.js';
import { createBus } from '../../src/vmbus/bus.js';
import { spawn } from '../../src/vmbus/scheduler.js';
import { registerNetvscDriver } from '../../src/guest/netvsc-drv.js';
import { ScriptedHost } from '../../src/testing/peers-host.js';
import { createVm } from '../../src/session/vm.js';

/** A reused backing store must come back all zero whatever path wrote into it before. */
function allZeroAfterReuse(mem: GuestMemory, buf: GuestBuffer): boolean {
  const pages = buf.pageCount;
  mem.free(buf);
  const again = mem.alloc(pages);
  if (!again.ok) throw new Error('alloc');
  return again.buffer.bytes.every((x) => x === 0);
}

function alloc(mem: GuestMemory, pages: number): GuestBuffer {
  const a = mem.alloc(pages);
  if (!a.ok) throw new Error('alloc');
  return a.buffer;
}

const pfnsOf = (b: GuestBuffer) => GuestMemory.pfns(b);

describe('guest memory: reused stores are zeroed wherever they were written', () => {
  it('through bytes, page(), view(), write(), GpadlView.write, writeBuffer and bufferView', () => {
    const mem = new GuestMemory();
    const writers: ((b: GuestBuffer) => void)[] = [
      (b) => (b.bytes[5000] = 1),
      (b) => (mem.page(b.pfn + 2)![7] = 2),
      (b) => (mem.view(pfnsOf(b).slice(1, 3))![4100] = 3),
      (b) => mem.write(BigInt(b.pfn) * 4096n + 4090n, new Uint8Array([9, 9, 9, 9, 9, 9, 9, 9, 9, 9])),
      (b) => new GpadlView(mem, [{ byte_count: 4 * 4096, byte_offset: 0, pfns: pfnsOf(b) }]).write(12000, Uint8Array.of(4, 4)),
      (b) => writeBuffer(b, 8000, Uint8Array.of(5)),
      (b) => (bufferView(b, 100, 200)[50] = 6),
      (b) => new GpadlView(mem, [{ byte_count: 4 * 4096, byte_offset: 0, pfns: pfnsOf(b) }]).pages(0, 4)![16383] = 7,
    ];
    for (const w of writers) {
      const b = alloc(mem, 4);
      w(b);
      expect(b.bytes.some((x) => x !== 0)).toBe(true);
      expect(allZeroAfterReuse(mem, b)).toBe(true);
      mem.free(alloc(mem, 4)); // leave nothing allocated between cases
    }
  });

  it('through tracked rings on both ends, and through their mem/data views', () => {
    const mem = new GuestMemory();
    const ring = alloc(mem, 8);
    const g = new GuestChannelRings(ring.bytes, { sendPages: 4, recvPages: 4 }, { rqstorSize: 4 });
    const v = mem.view(pfnsOf(ring))!;
    const h = new HostChannelRings(v.subarray(0, 4 * 4096), v.subarray(4 * 4096));
    g.send({ kind: 'inband', flags: 1, trans_id: 7n, payload: new Uint8Array(24).fill(0xaa) }, 7n);
    h.send({ kind: 'inband', flags: 0, trans_id: 9n, payload: new Uint8Array(40).fill(0xbb) });
    expect(allZeroAfterReuse(mem, ring)).toBe(true);
  });

  it('a writer that kept a view writes after the store was reused: zeroed on the next reuse', () => {
    const mem = new GuestMemory();
    const a = alloc(mem, 2);
    const stale = a.bytes;
    mem.free(a);
    const b = alloc(mem, 2);
    stale[4097] = 0x55; // use after free: lands in b, as in the kernel
    expect(b.bytes[4097]).toBe(0x55);
    expect(allZeroAfterReuse(mem, b)).toBe(true);
    const c = alloc(mem, 2);
    mem.free(c);
    stale[3] = 1;
    const d = alloc(mem, 2);
    expect(d.bytes.every((x) => x === 0)).toBe(true);
  });

  it('property: any mix of writes through any path leaves nothing behind', () => {
    const write = fc.record({ how: fc.integer({ min: 0, max: 6 }), at: fc.integer({ min: 0, max: 4 * 4096 - 16 }), v: fc.integer({ min: 1, max: 255 }) });
    fc.assert(
      fc.property(fc.array(write, { maxLength: 12 }), fc.boolean(), (ws, ringFirst) => {
        const mem = new GuestMemory();
        const b = alloc(mem, 4);
        if (ringFirst) {
          const r = new RingProducer(mem.view(pfnsOf(b).slice(0, 2))!, { validate: false });
          r.reset();
          r.write(new Uint8Array(16).fill(3));
          new RingConsumer(mem.view(pfnsOf(b).slice(2, 4))!, { mode: 'linux' }).beginRead();
        }
        for (const w of ws) {
          const one = Uint8Array.of(w.v);
          if (w.how === 0) b.bytes[w.at] = w.v;
          else if (w.how === 1) mem.page(b.pfn + (w.at >> 12))![w.at & 4095] = w.v;
          else if (w.how === 2) mem.write(BigInt(b.pfn) * 4096n + BigInt(w.at), one);
          else if (w.how === 3) writeBuffer(b, w.at, one);
          else if (w.how === 4) bufferView(b, w.at, w.at + 1)[0] = w.v;
          else if (w.how === 5) new GpadlView(mem, [{ byte_count: 4 * 4096, byte_offset: 0, pfns: pfnsOf(b) }]).write(w.at, one);
          else new GpadlView(mem, [{ byte_count: 4 * 4096, byte_offset: 0, pfns: pfnsOf(b) }]).pages(w.at >> 12, 1)![w.at & 4095] = w.v;
        }
        return allZeroAfterReuse(mem, b);
      }),
      { numRuns: 200 },
    );
  });
});

/** Every non-zero byte of the store lies in a range it recorded (what makes lazy zeroing exact). */
function invariantHolds(d: DirtyBytes): boolean {
  const ranges = [...d.written.list(), ...d.exposed.list()];
  const raw = d.raw;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== 0 && !ranges.some(([lo, hi]) => i >= lo && i < hi)) return false;
  }
  return true;
}

describe('guest memory: the tracked writers record every byte they write', () => {
  it('rings written through their tracked ends on both sides', () => {
    const mem = new GuestMemory();
    const ring = alloc(mem, 8);
    const d = dirtyOf(ring)!;
    const g = new GuestChannelRings(d.raw, { sendPages: 4, recvPages: 4 }, { rqstorSize: 4, track: { dirty: d, offset: 0 } });
    const send = mem.trackedView(pfnsOf(ring).slice(0, 4))!;
    const recv = mem.trackedView(pfnsOf(ring).slice(4))!;
    const h = new HostChannelRings(send.bytes, recv.bytes, { send, recv });
    for (let i = 0; i < 200; i++) {
      // enough packets to wrap both rings
      g.send({ kind: 'inband', flags: 0, trans_id: BigInt(i), payload: new Uint8Array(56).fill(i + 1) }, BigInt(i));
      h.inbound.read();
      h.send({ kind: 'inband', flags: 0, trans_id: BigInt(i), payload: new Uint8Array(96).fill(i + 2) });
      g.inbound.beginRead();
      g.inbound.first();
      g.inbound.next();
      g.inbound.close();
      g.inbound.endRead();
    }
    expect(invariantHolds(d)).toBe(true);
    expect(d.exposed.list()).toEqual([]);
    expect(allZeroAfterReuse(mem, ring)).toBe(true);
  });

  it('a netvsc VM and the scripted host through detach/attach cycles', () => {
    const bus = createBus({ seed: 3 });
    new ScriptedHost(bus, { queues: 4 });
    const driver = registerNetvscDriver(bus.guest, { vcpus: 4, ringSize: 8, recvSections: 32 });
    bus.guest.connect();
    bus.run();
    const dev = driver.devices[0]!;
    const combined = (n: number) => ({ max_rx: 0, max_tx: 0, max_other: 0, max_combined: 0, rx_count: 0, tx_count: 0, other_count: 0, combined_count: n });
    for (const n of [4, 2, 4, 1, 3]) {
      const done = spawn(dev.setChannels(combined(n)));
      bus.run();
      expect(done.value).toBe(0);
      const m = bus.memory as unknown as { regions: { dirty: DirtyBytes }[]; pool: Map<number, DirtyBytes[]> };
      for (const r of m.regions) expect(invariantHolds(r.dirty)).toBe(true);
      for (const list of m.pool.values()) for (const d of list) expect(invariantHolds(d)).toBe(true);
    }
  });

  it('a VM with the NetVSP host: control replies and frames in the receive buffer, through set_channels cycles', () => {
    const vm = createVm({ vcpus: 4, host: { queues: 8 } });
    const m = vm.bus.memory as unknown as { regions: { dirty: DirtyBytes; pageCount: number }[]; pool: Map<number, DirtyBytes[]> };
    const recvStore = () => m.regions.reduce((a, r) => (r.pageCount > a.pageCount ? r : a)).dirty;
    // before any frame arrives the host has written only control replies: the receive buffer is not exposed whole
    expect(recvStore().exposed.list().some(([lo, hi]) => hi - lo === recvStore().raw.length)).toBe(false);
    const check = () => {
      for (const r of m.regions) expect(invariantHolds(r.dirty)).toBe(true);
      for (const list of m.pool.values()) for (const d of list) expect(invariantHolds(d)).toBe(true);
    };
    check();
    expect(vm.setChannels('eth0', 2)).toBe(0); // no frame yet: only the host's recorded control replies
    check();
    // the host reads rings and buffers without handing views out: no store is marked for a full re-zero
    for (const r of m.regions) expect(r.dirty.exposed.list().some(([lo, hi]) => lo === 0 && hi === r.dirty.raw.length)).toBe(false);
    vm.host.injectFlow({ src: '10.0.0.1', dst: '10.0.0.2', sport: 999, dport: 80, proto: 'tcp' });
    check(); // the frame is in the receive buffer and the guest has not looked at it yet
    for (const n of [4, 1, 3]) {
      for (let i = 0; i < 6; i++) vm.host.injectFlow({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1000 + i, dport: 80, proto: 'tcp' });
      vm.runIdle();
      expect(vm.setChannels('eth0', n)).toBe(0);
      check();
    }
  });
});


describe('GPADL ranges assembled by the host', () => {
  const assemble = (msgs: Uint8Array[]) => {
    const a = new GpadlAssembly(vmbus_channel_gpadl_header.decode(msgs[0]!));
    let r = a.append(msgs[0]!.subarray(vmbus_channel_gpadl_header.size));
    for (const m of msgs.slice(1)) r = a.append(m.subarray(vmbus_channel_gpadl_body.size));
    if (r.state !== 'done') throw new Error(r.state);
    return r.ranges;
  };

  it('encodeLinuxGpadlRun gives the bytes of encodeLinuxGpadl', () => {
    for (const [first, pages, size] of [[0x10000, 1, 4096], [0x10000, 60, 60 * 4096], [0x1_0000_0005, 30, 29 * 4096 + 5], [7, 8191, 8191 * 4096]] as const) {
      const pfns = Array.from({ length: pages }, (_, i) => BigInt(first + i));
      expect(encodeLinuxGpadlRun(3, 0xe1e10, size, first, pages)).toEqual(encodeLinuxGpadl({ childRelid: 3, gpadl: 0xe1e10, size, pfns }));
    }
  });

  it('pfns read as the BigInts listed, stay one array, and can be replaced', () => {
    const pfns = Array.from({ length: 70 }, (_, i) => BigInt(0x2_0000_0000 + 0x10 + i));
    const ranges = assemble(encodeLinuxGpadl({ childRelid: 1, gpadl: 9, size: 70 * 4096, pfns }));
    expect(ranges).toEqual([{ byte_count: 70 * 4096, byte_offset: 0, pfns }]);
    expect(ranges[0]!.pfns).toBe(ranges[0]!.pfns);
    ranges[0]!.pfns = [1n];
    expect(ranges[0]!.pfns).toEqual([1n]);
    expect(JSON.stringify(assemble(encodeLinuxGpadl({ childRelid: 1, gpadl: 9, size: 4096, pfns: [5n] })), (_, v) => (typeof v === 'bigint' ? String(v) : v))).toBe(
      '[{"byte_count":4096,"byte_offset":0,"pfns":["5"]}]',
    );
  });

  it('a view reads the pages the ranges name, before and after someone changed pfns', () => {
    const mem = new GuestMemory();
    const a = alloc(mem, 4);
    const b = alloc(mem, 4);
    writeBuffer(a, 4096, Uint8Array.of(1));
    writeBuffer(b, 4096, Uint8Array.of(2));
    const ranges = assemble(encodeLinuxGpadlRun(1, 9, 4 * 4096, a.pfn, 4));
    const view = new GpadlView(mem, ranges);
    expect(view.mapped()).toBe(true);
    expect(view.read(4096, 1)).toEqual(Uint8Array.of(1));
    expect(view.pages(1, 1)![0]).toBe(1);
    ranges[0]!.pfns = GuestMemory.pfns(b);
    expect(view.read(4096, 1)).toEqual(Uint8Array.of(2));
    expect(view.pages(1, 1)![0]).toBe(2);
    ranges[0]!.pfns = [0n];
    expect(view.mapped()).toBe(false);
  });
});

describe('ByteRanges', () => {
  it('a write that runs on from a range up to the next one merges the two (ranges never touch)', () => {
    const r = new ByteRanges();
    for (const [lo, hi] of [[0, 8], [16, 24], [0, 4], [8, 16]] as const) r.add(lo, hi);
    expect(r.list()).toEqual([[0, 24]]);
    r.add(24, 40); // runs on from the last range: extended in place
    r.add(48, 56);
    expect(r.list()).toEqual([[0, 40], [48, 56]]);
  });


  it('property: covers every range added, sorted and disjoint, at most 8 ranges', () => {
    fc.assert(
      // on a coarse grid too, so that ranges often touch: writes that run on from the last one
      fc.property(fc.array(fc.oneof(fc.tuple(fc.nat(5000), fc.nat(300)), fc.tuple(fc.nat(40).map((x) => 8 * x), fc.nat(6).map((x) => 8 * x))), { maxLength: 60 }), (adds) => {
        const r = new ByteRanges();
        for (const [lo, n] of adds) r.add(lo, lo + n);
        const list = r.list();
        expect(list.length).toBeLessThanOrEqual(8);
        for (let i = 0; i < list.length; i++) {
          expect(list[i]![0]).toBeLessThan(list[i]![1]);
          if (i > 0) expect(list[i]![0]).toBeGreaterThan(list[i - 1]![1]);
        }
        for (const [lo, n] of adds) {
          if (n > 0) expect(list.some(([a, b]) => lo >= a && lo + n <= b)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
