/**
 * Fake devices reproducing the ones behind the captures (veth, multi-queue tap, loopback) and
 * netvsc-shaped devices (combined channels only) following hv_netvsc's set_channels rules, for the
 * ethtool tests. Each records the requests its driver operation received.
 */
import type { EthtoolChannels, EthtoolDevice, EthtoolSystem, Errno } from '../../src/ethtool/index.js';
import { staticSystem, zeroChannels } from '../../src/ethtool/index.js';

export interface FakeDevice extends EthtoolDevice {
  present: boolean;
  rxfhConfigured?: boolean;
  /** Every struct the driver's set_channels received. */
  readonly setCalls: EthtoolChannels[];
}

/** A veth end: RX/TX channels only (drivers/net/veth.c get/set_channels), max = queues at creation. */
export function veth(name: string, ifindex: number, max: { rx: number; tx: number }, cur: { rx: number; tx: number }): FakeDevice & { cur: { rx: number; tx: number } } {
  const dev = {
    name,
    ifindex,
    present: true,
    cur: { ...cur },
    setCalls: [] as EthtoolChannels[],
    getChannels: (): EthtoolChannels => ({ ...zeroChannels(), max_rx: max.rx, max_tx: max.tx, rx_count: dev.cur.rx, tx_count: dev.cur.tx }),
    setChannels(ch: EthtoolChannels): 0 | Errno {
      dev.setCalls.push({ ...ch });
      dev.cur = { rx: ch.rx_count, tx: ch.tx_count };
      return 0;
    },
  };
  return dev;
}

/** A multi-queue tap (drivers/net/tun.c): get_channels only, combined max 256. */
export function tap(name: string, ifindex: number, combined: number, maxCombined = 256): FakeDevice {
  return {
    name,
    ifindex,
    present: true,
    setCalls: [],
    getChannels: () => ({ ...zeroChannels(), max_combined: maxCombined, combined_count: combined }),
  };
}

/** A device without channel operations (lo, bridge, ...). */
export function noChannels(name: string, ifindex: number): FakeDevice {
  return { name, ifindex, present: true, setCalls: [] };
}

export interface NetvscState {
  maxChn: number;
  numChn: number;
  nvspVersion: number;
  /** Online CPUs (the 2015 driver clamps to min(max_chn, CPUs)). */
  cpus: number;
  /** When set, the next set_channels fails with this errno (e.g. an attach failure). */
  failNext?: Errno;
}

/**
 * A netvsc-shaped device (combined channels only): `set_channels` records the request, then `set`
 * applies the generation's rules; `reportDetached` says whether `get_channels` still reports
 * max/count while the device is detached (2015) or all zeros (6.1).
 */
function netvscDevice(
  name: string,
  ifindex: number,
  state: NetvscState,
  reportDetached: boolean,
  set: (dev: FakeDevice, ch: EthtoolChannels) => 0 | Errno,
): FakeDevice & { state: NetvscState } {
  const dev = {
    name,
    ifindex,
    present: true,
    state,
    setCalls: [] as EthtoolChannels[],
    getChannels: (): EthtoolChannels =>
      dev.present || reportDetached ? { ...zeroChannels(), max_combined: state.maxChn, combined_count: state.numChn } : zeroChannels(),
    setChannels(ch: EthtoolChannels): 0 | Errno {
      dev.setCalls.push({ ...ch });
      return set(dev, ch);
    },
  };
  return dev;
}

/**
 * netvsc as Linux 6.1.192 hv_netvsc reports and changes channels (nvsp-rndis-netvsc.md §5.1/§5.2):
 * combined only; set refuses count 0 or rx/tx/other, ENODEV while detached, EINVAL below NVSP 5 or
 * above max_chn; otherwise the host grants all and num_chn becomes the count.
 */
export function netvsc(name: string, ifindex: number, init: Partial<NetvscState> & { maxChn: number; numChn: number }): FakeDevice & { state: NetvscState } {
  const state: NetvscState = { nvspVersion: 0x60001, cpus: 64, ...init };
  return netvscDevice(name, ifindex, state, false, (dev, ch) => {
    const count = ch.combined_count;
    if (count === 0 || ch.rx_count !== 0 || ch.tx_count !== 0 || ch.other_count !== 0) return 'EINVAL';
    if (!dev.present) return 'ENODEV';
    if (state.nvspVersion < 0x50000) return 'EINVAL';
    if (count > state.maxChn) return 'EINVAL';
    if (state.failNext) {
      const e = state.failNext;
      delete state.failNext;
      return e;
    }
    state.numChn = count;
    return 0;
  });
}

/**
 * netvsc as the 2015 patch (b5960e6e2b5c) had it: ENODEV first, then NVSP < 5, then rx/tx/other
 * or combined < 1 ⇒ EINVAL; a count above min(max_chn, online CPUs) is clamped, not refused.
 */
export function netvsc2015(name: string, ifindex: number, init: Partial<NetvscState> & { maxChn: number; numChn: number }): FakeDevice & { state: NetvscState } {
  const state: NetvscState = { nvspVersion: 0x50000, cpus: 64, ...init };
  return netvscDevice(name, ifindex, state, true, (dev, ch) => {
    if (!dev.present) return 'ENODEV';
    if (state.nvspVersion < 0x50000) return 'EINVAL';
    if (ch.rx_count || ch.tx_count || ch.other_count || ch.combined_count < 1) return 'EINVAL';
    state.numChn = Math.min(ch.combined_count, Math.min(state.maxChn, state.cpus));
    return 0;
  });
}

/** The namespace of the captures: lo 1, veth peer0 2 (4/4 of 4/4), veth eth0 3 (max 4/4), tap0 4 (combined 0 of 256). */
export function captureSystem(eth0: { rx: number; tx: number }): { system: EthtoolSystem; eth0: ReturnType<typeof veth> } {
  const e = veth('eth0', 3, { rx: 4, tx: 4 }, eth0);
  const system = staticSystem([noChannels('lo', 1), veth('peer0', 2, { rx: 4, tx: 4 }, { rx: 4, tx: 4 }), e, tap('tap0', 4, 0)]);
  return { system, eth0: e };
}
