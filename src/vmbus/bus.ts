/**
 * A VMBus: one scheduler, one guest memory, the hypervisor between them, Linux's VMBus driver on
 * the guest side and the host's VMBus server — wired together and nothing else. The two sides share
 * no objects: the guest's channels and the host's channels are separate, and everything between
 * them crosses the {@link Hypervisor} as bytes or lives in guest memory (rings, GPADL'd buffers).
 *
 * @example
 * ```ts
 * const bus = createBus({ seed: 7 });
 * bus.host.addChannel({ ifType: HV_NIC_GUID, ifInstance: '…' }, { interrupt: (ch) => … });
 * const c = bus.guest.connect();
 * bus.run();
 * c.value; // { ok: true, value: VERSION_WIN10_V5_3 }
 * ```
 * @module
 */
import { Hypervisor, type HypervisorOptions } from './hypervisor.js';
import { VmbusGuest, type VmbusGuestOptions } from './linux-vmbus.js';
import { GuestMemory, type GuestMemoryOptions } from './memory.js';
import { Scheduler, type SchedulerOptions } from './scheduler.js';
import { VmbusHost, type VmbusHostOptions } from './vmbus-server.js';

/** Options of {@link createBus}. */
export interface BusOptions {
  /** Seed of the scheduler (same seed, same interleaving, same bytes). */
  readonly seed?: number;
  /** Other scheduler options (tie-breaking, event hook); the seed comes from {@link BusOptions.seed}. */
  readonly scheduler?: Omit<SchedulerOptions, 'seed'>;
  /** Guest memory: first PFN, page limit, shared backing. */
  readonly memory?: GuestMemoryOptions;
  /** Crossing latencies and a tap that sees every crossing. */
  readonly hypervisor?: HypervisorOptions;
  /** The host's VMBus server: accepted versions, message connection id. */
  readonly host?: VmbusHostOptions;
  /** Linux's VMBus driver: version table, `max_version`, isolation, connect VP. */
  readonly guest?: VmbusGuestOptions;
}

/** The parts of a bus. */
export interface Bus {
  /** The one virtual clock both sides run on. */
  readonly scheduler: Scheduler;
  /** Guest-physical memory, shared by both sides (rings and GPADL'd buffers live here). */
  readonly memory: GuestMemory;
  /** The hypervisor between guest and host: SynIC messages, events and hypercalls. */
  readonly hypervisor: Hypervisor;
  /** The host's VMBus server: add channels here. */
  readonly host: VmbusHost;
  /** Linux's VMBus driver: connect, register drivers and open channels here. */
  readonly guest: VmbusGuest;
  /** Runs the scheduler (see {@link Scheduler.run}); returns the number of events run. */
  run(options?: { until?: number; maxEvents?: number }): number;
}

/** Builds a bus; nothing runs until {@link Bus.run}. */
export function createBus(options: BusOptions = {}): Bus {
  const scheduler = new Scheduler({ ...options.scheduler, seed: options.seed ?? 1 });
  const memory = new GuestMemory(options.memory);
  const hypervisor = new Hypervisor(scheduler, memory, options.hypervisor);
  const host = new VmbusHost(hypervisor, options.host);
  const guest = new VmbusGuest(hypervisor, options.guest);
  return {
    scheduler,
    memory,
    hypervisor,
    host,
    guest,
    run: (o) => scheduler.run(o),
  };
}
