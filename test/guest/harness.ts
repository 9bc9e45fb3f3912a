/** Builds a bus with the scripted host and the netvsc driver, and runs driver flows to completion. */
import { createBus, type Bus, type BusOptions } from '../../src/vmbus/bus.js';
import { spawn, type BlockingFlow, type Completion } from '../../src/vmbus/scheduler.js';
import { registerNetvscDriver, type NetvscDriver, type NetvscNetdev } from '../../src/guest/netvsc-drv.js';
import type { NetvscOptions } from '../../src/guest/types.js';
import { ScriptedHost, type ScriptedHostOptions } from './scripted-host.js';

export interface NicVm {
  readonly bus: Bus;
  readonly host: ScriptedHost;
  readonly driver: NetvscDriver;
  readonly dev: NetvscNetdev;
}

/** A VM with one synthetic NIC, booted (probe, subchannel work, `ip link set up`) unless `boot` is false. */
export function nicVm(o: { host?: ScriptedHostOptions; driver?: NetvscOptions; bus?: BusOptions; boot?: boolean } = {}): NicVm {
  const bus = createBus({ seed: 1, ...o.bus });
  const host = new ScriptedHost(bus, o.host);
  const driver = registerNetvscDriver(bus.guest, { vcpus: 8, ...o.driver });
  bus.guest.connect();
  if (o.boot !== false) bus.run();
  return {
    bus,
    host,
    driver,
    get dev() {
      const d = driver.devices[0];
      if (!d) throw new Error('no netvsc device was probed');
      return d;
    },
  };
}

/** Runs a flow and the scheduler until idle; returns the completion (check `.settled` for hangs). */
export function run<T>(bus: Bus, flow: BlockingFlow<T>, maxEvents = 5_000_000): Completion<T> {
  const c = spawn(flow);
  bus.run({ maxEvents });
  return c;
}

/** Runs a flow to its result; throws when it does not finish (a hang). */
export function result<T>(bus: Bus, flow: BlockingFlow<T>): T {
  const c = run(bus, flow);
  if (!c.settled) throw new Error('flow did not finish (hang)');
  return c.value;
}

/** The channel counts of a `combined N` request. */
export function combined(n: number) {
  return { max_rx: 0, max_tx: 0, max_other: 0, max_combined: 0, rx_count: 0, tx_count: 0, other_count: 0, combined_count: n };
}
