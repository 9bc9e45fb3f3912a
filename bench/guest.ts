/**
 * The guest driver: full `ethtool -L eth0 combined N` reconfigurations — netvsc_set_channels with
 * its detach (packet filter 0, HALT, revokes, close of every channel, GPADL teardowns) and attach
 * (primary ring GPADL and open, NVSP negotiation, receive and send buffer GPADLs, the RNDIS
 * bring-up, the SUBCHANNEL request, N − 1 subchannel offers opened, RSS disable + enable, packet
 * filter) — against the scripted host, everything crossing the simulated rings and SynIC.
 *
 * The baseline copies, with `Uint8Array.set`, as many bytes as one reconfiguration moves: the guest
 * memory it allocates (rings, buffers, RNDIS request structs — all zeroed) plus the bytes written
 * into the rings both ways. The ratio is what the protocol costs on top of touching that memory.
 * `extras` gives the absolute rates and the heap of a 64-vCPU VM with 64 channels.
 */
import type { BenchCase, BenchSuite } from './harness.js';
import { createBus, type Bus } from '../src/vmbus/bus.js';
import { spawn } from '../src/vmbus/scheduler.js';
import { registerNetvscDriver, type NetvscNetdev } from '../src/guest/netvsc-drv.js';
import { netvscRingBytes } from '../src/guest/constants.js';
import { ScriptedHost } from '../src/testing/peers-host.js';
import { createVm } from '../src/session/vm.js';
import type { HypervisorEvent } from '../src/vmbus/hypervisor.js';
import { RingConsumer, RingProducer, createRingMemory } from '../src/vmbus/ring.js';
import { decodePacket } from '../src/vmbus/packet.js';
import { decodeChannelMessage } from '../src/vmbus/messages.js';
import { decodeNvsp, type NvspSender } from '../src/protocol/nvsp.js';
import { decodeRndis } from '../src/protocol/rndis.js';

interface Config {
  readonly label: string;
  readonly n: number;
  readonly vcpus: number;
  readonly ringSize: number;
  readonly recvSections?: number;
}

interface Vm {
  readonly bus: Bus;
  readonly dev: NetvscNetdev;
  readonly host: ScriptedHost;
}

const COMBINED = (n: number) => ({ max_rx: 0, max_tx: 0, max_other: 0, max_combined: 0, rx_count: 0, tx_count: 0, other_count: 0, combined_count: n });

function boot(c: Config): Vm {
  const bus = createBus({ seed: 1 });
  const host = new ScriptedHost(bus, { queues: Math.max(c.n, 2) });
  const driver = registerNetvscDriver(bus.guest, { vcpus: c.vcpus, ringSize: c.ringSize, recvSections: c.recvSections });
  bus.guest.connect();
  bus.run();
  const dev = driver.devices[0]!;
  reconfigure({ bus, dev, host }, c.n);
  return { bus, dev, host };
}

function reconfigure(vm: Vm, n: number): void {
  const done = spawn(vm.dev.setChannels(COMBINED(n)));
  vm.bus.run();
  if (!done.settled || done.value !== 0 || vm.dev.getChannels().combined_count !== n) {
    throw new Error(`bench: combined ${n} did not complete (${done.settled ? String(done.value) : 'hung'})`);
  }
}

/** Bytes one reconfiguration moves: guest memory allocated (rings, buffers, request structs) + ring traffic. */
function bytesMoved(c: Config, vm: Vm): number {
  const ringBytes = netvscRingBytes(c.ringSize);
  const nv = vm.dev.nvdev!;
  const requests = 20 * 4 * 4096; // ~20 RNDIS requests per cycle, one order-2 struct each
  let traffic = 0;
  for (const e of vm.host.wire) if (e.dir === 'g2h' && e.what === 'nvsp') traffic += e.packet.payload.length + 16;
  const cycles = Math.max(1, vm.dev.stats.detaches);
  return c.n * 2 * ringBytes + nv.recvBufSize + nv.sendBufSize + requests + Math.round(traffic / (cycles + 1)) * 2;
}

const CONFIGS: Config[] = [
  { label: 'combined 4, ring_size 64, 512 receive sections', n: 4, vcpus: 4, ringSize: 64, recvSections: 512 },
  { label: 'combined 8, Linux defaults (ring_size 128, 16 MiB receive buffer)', n: 8, vcpus: 8, ringSize: 128 },
  { label: 'combined 64 on 64 vCPUs, Linux defaults', n: 64, vcpus: 64, ringSize: 128 },
];

/** Wall time the JIT needs to settle on a reconfiguration's paths: hundreds of cycles, not tens. */
const WARM_UP_MS = 1000;

/** One timed reconfiguration; the scripted host's log would otherwise keep every message of every iteration. */
function cycle(vm: Vm, n: number): void {
  vm.host.clearLogs();
  reconfigure(vm, n);
}

/** A rate with the goal beside it. */
function againstGoal(perSec: number): string {
  return `${perSec.toFixed(0)} (goal 5000/s: ${perSec >= 5000 ? 'met' : 'missed'})`;
}

/** What crossed the bus in one reconfiguration, as bytes: its ring packets, its channel messages (both ways) and the guest's RNDIS messages. */
interface Crossings {
  readonly packets: { readonly bytes: Uint8Array; readonly from: NvspSender }[];
  readonly messages: Uint8Array[];
  readonly rndis: Uint8Array[];
}

/** Records one reconfiguration's crossings through a hypervisor tap (copies: the tap's bytes are only lent). */
function record(vm: Vm, n: number): Crossings {
  const out: Crossings = { packets: [], messages: [], rndis: [] };
  const tap = (e: HypervisorEvent): void => {
    if (e.kind === 'packet') out.packets.push({ bytes: e.bytes.slice(), from: e.direction === 'guest-to-host' ? 'guest' : 'host' });
    else if (e.kind === 'post') out.messages.push(e.payload.slice());
    // hv_message: payload_size at byte 4 of the 16-byte header, then the payload
    else if (e.kind === 'message') out.messages.push(e.slot.slice(16, 16 + e.slot[4]!));
  };
  const remove = vm.bus.hypervisor.addTap(tap);
  cycle(vm, n);
  remove();
  for (const e of vm.host.wire) if (e.dir === 'g2h' && e.what === 'rndis') out.rndis.push(e.bytes.slice());
  return out;
}

/**
 * The least any simulator of these bytes must do per reconfiguration, with this library's codecs:
 * every ring packet written into a ring and read back, its descriptor and NVSP message decoded, every
 * channel message and the guest's RNDIS messages decoded — no encoding, no state, no scheduling.
 * The receive-buffer RNDIS replies are left out, so this is below the real floor.
 */
function decodeOnly(x: Crossings): () => number {
  const prod = new RingProducer(createRingMemory(1 << 20));
  const cons = new RingConsumer(prod.mem);
  return () => {
    let k = 0;
    for (const p of x.packets) {
      prod.write(p.bytes);
      const r = cons.read()!;
      const pkt = decodePacket(r.packet);
      k += decodeNvsp(pkt.payload, { from: p.from }).type.length;
    }
    for (const m of x.messages) k += decodeChannelMessage(m).type.length;
    for (const b of x.rndis) k += decodeRndis(b).type.length;
    return k;
  };
}

function benchCase(c: Config): BenchCase {
  const vm = boot(c);
  const bytes = bytesMoved(c, vm);
  const src = new Uint8Array(bytes).fill(1);
  const dst = new Uint8Array(bytes);
  return {
    name: `set_channels ${c.label}`,
    baselineName: `Uint8Array.set of ${(bytes / 1048576).toFixed(1)} MiB`,
    baseline: () => dst.set(src),
    warmUpMs: WARM_UP_MS,
    subject: () => cycle(vm, c.n),
    bytes,
  };
}

/** The reconfiguration against the decode-only floor of its own crossings: what the model costs on top of understanding the bytes. */
function floorCase(c: Config): BenchCase {
  const vm = boot(c);
  const x = record(vm, c.n);
  return {
    name: `set_channels ${c.label}, against decoding its own crossings`,
    baselineName: `ring write+read and decode of its ${x.packets.length} packets, ${x.messages.length} channel messages, ${x.rndis.length} RNDIS messages`,
    baseline: decodeOnly(x),
    warmUpMs: WARM_UP_MS,
    subject: () => cycle(vm, c.n),
  };
}

function mb(n: number): string {
  return `${(n / 1048576).toFixed(2)} MiB`;
}

/** Reconfigurations per second of `step`, after {@link WARM_UP_MS} of warm-up, over at least `ms` of wall time. */
function rate(step: () => void, ms: number): number {
  for (const w0 = performance.now(); performance.now() - w0 < WARM_UP_MS; ) step();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    step();
    n++;
    t = performance.now();
  }
  return (n * 1000) / (t - t0);
}

function extras(): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const c of CONFIGS) {
    const vm = boot(c);
    const events0 = vm.bus.scheduler.eventsRun;
    const t0v = vm.bus.scheduler.now;
    const r0 = vm.dev.stats.detaches;
    const perSec = rate(() => cycle(vm, c.n), 400);
    const cycles = vm.dev.stats.detaches - r0;
    out[`reconfigurations/s, ${c.label}`] = againstGoal(perSec);
    out[`events and virtual time per reconfiguration, ${c.label}`] =
      `${Math.round((vm.bus.scheduler.eventsRun - events0) / cycles)} events, ${((vm.bus.scheduler.now - t0v) / cycles / 1000).toFixed(0)} µs`;
  }
  // the same command through the library's VM (createVm: the NetVSP host model, what the CLI runs)
  for (const n of [4, 8]) {
    const vm = createVm({ vcpus: n, host: { queues: 64 } });
    const perSec = rate(() => {
      const r = vm.setChannels(vm.ifname, n);
      if (r !== 0) throw new Error(`bench: createVm combined ${n}: ${String(r)}`);
    }, 400);
    out[`reconfigurations/s, createVm({ vcpus: ${n} }) with the NetVSP host, combined ${n}`] = againstGoal(perSec);
  }
  // the VM's footprint is what dropping it gives back: robust to garbage the runs above left behind
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  let vm: Vm | null = boot(CONFIGS[2]!);
  const rings = 64 * 2 * netvscRingBytes(128);
  const recv = vm.dev.nvdev!.recvBufSize;
  const send = vm.dev.nvdev!.sendBufSize;
  const pages = vm.bus.memory.allocatedPages;
  gc?.();
  const m1 = process.memoryUsage();
  vm = null;
  gc?.();
  gc?.(); // a second collection: backing stores of the first may still be sweeping
  const m2 = process.memoryUsage();
  out['heap of a 64-vCPU VM with 64 channels (arrayBuffers)'] = `${mb(m1.arrayBuffers - m2.arrayBuffers)} (rings ${mb(rings)} + receive ${mb(recv)} + send ${mb(send)})`;
  out['heap of a 64-vCPU VM with 64 channels (JS heap used)'] = gc ? mb(m1.heapUsed - m2.heapUsed) : 'run node with --expose-gc (npm run bench does) for this figure';
  out['guest pages allocated by that VM'] = pages;
  return out;
}

export const suite: BenchSuite = {
  name: 'guest',
  get cases() {
    return [...CONFIGS.slice(0, 2).map(benchCase), floorCase(CONFIGS[0]!)];
  },
  extras,
};
