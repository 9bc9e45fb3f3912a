/**
 * The VMBus control plane: a guest connects, is offered a NIC primary and 63 subchannels, and
 * opens all 64 with netvsc's default rings (128 pages per direction): 64 ring allocations, 64 ring
 * GPADLs (a header and nine bodies each), 64 OPENCHANNEL/OPENCHANNEL_RESULT exchanges. The
 * baseline allocates the same 64 ring buffers as plain `Uint8Array`s, so the ratio is what the
 * protocol costs on top of the memory itself. `extras` reports the heap one such bus holds.
 */
import type { BenchSuite } from './harness.js';
import { createBus, type Bus } from '../src/vmbus/bus.js';
import { HV_NIC_GUID } from '../src/vmbus/guids.js';

const CHANNELS = 64;
const RING_BYTES = 128 * 4096; // per direction, header page included (netvsc ring_size default)
const INSTANCE = '7a3c5f10-2b4d-4e6f-9a81-0c2d3e4f5a6b';

/** Builds a bus and opens 64 channels; throws if any open fails. */
export function open64(seed = 1): Bus {
  const bus = createBus({ seed });
  for (let i = 0; i < CHANNELS; i++) bus.host.addChannel({ ifType: HV_NIC_GUID, ifInstance: INSTANCE, subChannelIndex: i });
  const opts = { sendRingSize: RING_BYTES, recvRingSize: RING_BYTES, rqstorSize: 128 };
  let opened = 0;
  bus.guest.registerDriver({
    name: 'hv_netvsc',
    ifType: HV_NIC_GUID,
    probe(ch, g) {
      ch.scCreationCallback = (sub) => g.open(sub, opts).then((r) => (opened += r.ok ? 1 : 0));
      return g.open(ch, opts).then((r) => (opened += r.ok ? 1 : 0));
    },
  });
  bus.guest.connect();
  bus.run();
  if (opened !== CHANNELS) throw new Error(`bench bus: ${opened} of ${CHANNELS} channels opened`);
  return bus;
}

function plainRings(): Uint8Array[] {
  const out: Uint8Array[] = new Array(CHANNELS);
  for (let i = 0; i < CHANNELS; i++) out[i] = new Uint8Array(2 * RING_BYTES);
  return out;
}

function heapFigures(): Record<string, string> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const mb = (n: number) => `${(n / 1048576).toFixed(2)} MiB`;
  // the bus's footprint is what dropping it gives back: robust to garbage the cases left behind
  gc?.();
  let bus: Bus | null = open64();
  const events = bus.scheduler.eventsRun;
  const now = bus.scheduler.now;
  gc?.();
  const m1 = process.memoryUsage();
  bus = null;
  gc?.();
  gc?.(); // a second collection: backing stores of the first may still be sweeping
  const m2 = process.memoryUsage();
  const rings = CHANNELS * 2 * RING_BYTES;
  return {
    'heap of one bus with 64 open channels (arrayBuffers)': `${mb(m1.arrayBuffers - m2.arrayBuffers)} (rings alone: ${mb(rings)})`,
    'heap of one bus with 64 open channels (JS heap used)': gc ? mb(m1.heapUsed - m2.heapUsed) : 'run node with --expose-gc (npm run bench does) for this figure',
    'events run to open 64 channels': String(events),
    'virtual time to open 64 channels': `${(now / 1000).toFixed(0)} µs`,
  };
}

export const suite: BenchSuite = {
  name: 'bus',
  cases: [
    {
      name: `open ${CHANNELS} channels (rings + GPADLs)`,
      baselineName: `${CHANNELS} plain Uint8Array allocations of the ring sizes`,
      baseline: plainRings,
      subject: () => open64(),
    },
  ],
  extras: heapFigures,
};
