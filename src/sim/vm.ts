/**
 * Floor 6: a simulated VM — vCPUs, named netdevs (`lo` and the netvsc interface), a Hyper-V host
 * with its configuration, and one deterministic scheduler. Built from the floors below: a VMBus
 * (`createBus`), the NetVSP host on its host side, Linux's netvsc driver on its guest side. The two
 * only exchange bytes; the VM only wires them and runs the scheduler.
 *
 * The VM is a network namespace as ethtool's kernel core sees it: {@link SimVm.lookup} and
 * {@link SimVm.devices} give devices with `getChannels`/`setChannels`, structurally the
 * `EthtoolSystem`/`EthtoolDevice` the ethtool floor expects (it is above this floor, so nothing here
 * imports it).
 *
 * @example
 * ```ts
 * import { createSimVm } from 'netvsc-sim';
 * const vm = createSimVm({ vcpus: 8, host: { maxQueues: 64 } });
 * vm.netdev('eth0')!.getChannels(); // { max_combined: 8, combined_count: 8, … }
 * vm.setChannels('eth0', 4);        // 0, after the whole detach/attach ran over the rings
 * ```
 * @module
 */
import { createBus, type Bus } from '../vmbus/bus.js';
import { spawn, type BlockingFlow, type Completion } from '../vmbus/scheduler.js';
import { createNetvspHost, nvspVersionsUpTo, type NetvspConfig, type NetvspHost } from '../host/index.js';
import {
  registerNetvscDriver,
  type NetvscChannels,
  type NetvscDriver,
  type NetvscErrno,
  type NetvscNetdev,
  type NetvscOptions,
  type NetvscProfileName,
} from '../guest/index.js';
import { netvscEthtoolStats, NETVSC_HASH_KEYLEN, netvscRxfhConfig, netvscStatsStrings } from './netvsc-ethtool.js';

/** Host settings of a {@link SimVm}: the NetVSP configuration plus two shorthands. */
export interface SimHostOptions extends NetvspConfig {
  /** The host's maximum number of queues (the CLI's `--host-queues`; `maxQueues`). Default 64. */
  readonly queues?: number;
  /** Newest NVSP version the host accepts (the CLI's `--nvsp`); older ones are accepted too. */
  readonly nvsp?: number;
}

/** Options of {@link createSimVm}. */
export interface SimVmOptions {
  /** Virtual processors (`num_online_cpus()`); default 4. */
  readonly vcpus?: number;
  /** The host. */
  readonly host?: SimHostOptions;
  /** Guest kernel: `linux-6.1` (default, Debian 12) or `linux-4.2` (the 2015 patches). */
  readonly profile?: NetvscProfileName;
  /** Name of the netvsc interface (default `eth0`). */
  readonly ifname?: string;
  /** Seed of the scheduler: the same options and seed give the same bytes. Default 1. */
  readonly seed?: number;
  /** More driver options (ring size, buffer sections, MTU, …). */
  readonly driver?: Omit<NetvscOptions, 'profile' | 'vcpus' | 'name'>;
  /** Upper bound on scheduler events per operation (a hang is reported, never waited out). Default 5,000,000. */
  readonly maxEventsPerOperation?: number;
  /** Called with the bus once it exists, before the boot (to observe the boot, e.g. a tracer). */
  readonly onBus?: (bus: Bus) => void;
}

/** The `struct ethtool_channels` counts (kernel field names). */
export type SimChannels = NetvscChannels;

/** What the netvsc `get_rxfh` ethtool op reports (see {@link SimNetdev.getRxfhConfig}). */
export interface SimRxfhConfig {
  /** The RSS indirection table the guest driver holds: entry i is the channel for hash bucket i (`rx_table_sz` entries, 128 unless the host says otherwise). */
  readonly indir: readonly number[];
  /** The 40-byte Toeplitz key the driver holds (`NETVSC_HASH_KEYLEN`; all zeros while it has no RNDIS device). */
  readonly key: Uint8Array;
  /** The hash function as an `ETH_RSS_HASH_*` bit: always 1 (`ETH_RSS_HASH_TOP`, Toeplitz) for netvsc. */
  readonly hfunc: number;
}

/** The RSS state {@link SimVm.rxfh} reports for the netvsc interface. */
export interface SimRxfhState {
  /** The indirection table the guest driver holds (`rx_table`): entry i is the channel for hash bucket i. */
  indir: number[];
  /** The 40-byte Toeplitz key the driver holds (all zeros while it has no RNDIS device). */
  key: Uint8Array;
  /** `IFF_RXFH_CONFIGURED`: the user set the table with `ethtool -X`; the kernel core then refuses channel counts the table would outgrow. */
  configured: boolean;
}

/** A network device of the VM, shaped as ethtool's kernel core needs it. */
export interface SimNetdev {
  /** The interface name (`dev->name`): `lo`, or the netvsc interface ({@link SimVmOptions.ifname}, default `eth0`). */
  readonly name: string;
  /** `dev->ifindex`: 1 for `lo`, 2 for the netvsc interface. */
  readonly ifindex: number;
  /** `netif_device_present()`. */
  readonly present: boolean;
  /** The kernel driver's name: `hv_netvsc` for the netvsc interface, `loopback` for `lo`. */
  readonly driverName: string;
  /** `get_channels` ethtool op: current and maximum channel counts. */
  getChannels?(): SimChannels;
  /** `set_channels` ethtool op: change the channel count; 0 or an errno name. */
  setChannels?(channels: SimChannels): 0 | NetvscErrno;
  /** `netif_is_rxfh_configured()`: the user set the RSS indirection table (`ethtool -X`); absent on `lo`. */
  readonly rxfhConfigured?: boolean;
  /** `get_rxfh_indir_size` ethtool op: RSS indirection table size. */
  getRxfhIndirSize?(): number;
  /** The RSS indirection table, or an errno name. */
  getRxfh?(): readonly number[] | NetvscErrno;
  /** `ETHTOOL_GRXRINGS` (`get_rxnfc`): number of RX rings, or an errno name. */
  getRxRings?(): number | NetvscErrno;
  /** `get_rxfh_key_size` ethtool op: RSS key length in bytes. */
  getRxfhKeySize?(): number;
  /** `get_rxfh` ethtool op: indirection table, key and hash function, or an errno name. */
  getRxfhConfig?(): SimRxfhConfig | NetvscErrno;
  /** `set_rxfh` ethtool op: `null` leaves the table or key unchanged; 0 or an errno name. */
  setRxfh?(indir: readonly number[] | null, key: Uint8Array | null, hfunc: number): 0 | NetvscErrno;
  /** Records whether user space configured the indirection table (`IFF_RXFH_CONFIGURED`). */
  setRxfhConfigured?(configured: boolean): void;
  /** `get_strings(ETH_SS_STATS)` ethtool op: names of the statistics, or an errno name. */
  getStatsStrings?(): readonly string[] | NetvscErrno;
  /** `get_ethtool_stats` ethtool op: statistic values in the order of the names. */
  getEthtoolStats?(): readonly bigint[];
}

/** Thrown when an operation does not finish within the event budget (a simulated hang). */
export class SimHangError extends Error {
  /** Always `SimHangError` (the name stack traces and `String(error)` show). */
  override readonly name = 'SimHangError';
}

/** A simulated VM. */
export class SimVm {
  /** Virtual processors (`num_online_cpus()`, {@link SimVmOptions.vcpus}, default 4): the 6.1 driver never offers more channels than this. */
  readonly vcpus: number;
  /** The guest kernel the driver behaves as: `linux-6.1` (default) or `linux-4.2` (2015, no RSS or statistics ethtool ops). */
  readonly profile: NetvscProfileName;
  /** Name of the netvsc interface (default `eth0`). */
  readonly ifname: string;
  /** Seed of the scheduler (default 1): the same options and seed give the same bytes. */
  readonly seed: number;
  /** The VMBus between guest and host: its scheduler, guest memory, hypervisor (where tracers tap in) and both endpoints. */
  readonly bus: Bus;
  /** The Hyper-V side: the NetVSP host with its configuration, counters and event log; inject frames, link changes or rescinds here. */
  readonly host: NetvspHost;
  /** The guest's `hv_netvsc` driver: module options, the RTNL lock and the netdevs it probed. */
  readonly driver: NetvscDriver;
  /** How many times ethtool's core called the netvsc driver's `set_channels` op. */
  setChannelsCalls = 0;
  private readonly maxEvents: number;
  private readonly lo: SimNetdev;
  private readonly ethAdapter: SimNetdev;

  constructor(options: SimVmOptions = {}) {
    this.vcpus = options.vcpus ?? 4;
    if (!Number.isInteger(this.vcpus) || this.vcpus < 1) throw new RangeError(`SimVm: vcpus ${this.vcpus}`);
    this.profile = options.profile ?? 'linux-6.1';
    this.ifname = options.ifname ?? 'eth0';
    this.seed = options.seed ?? 1;
    this.maxEvents = options.maxEventsPerOperation ?? 5_000_000;
    this.bus = createBus({ seed: this.seed, guest: { cpus: this.vcpus } });
    options.onBus?.(this.bus);
    const { queues, nvsp, ...netvsp } = options.host ?? {};
    this.host = createNetvspHost(this.bus.host, {
      ...netvsp,
      ...(queues !== undefined ? { maxQueues: queues } : {}),
      ...(nvsp !== undefined ? { nvspVersions: nvspVersionsUpTo(nvsp) } : {}),
    });
    const ifname = this.ifname;
    this.driver = registerNetvscDriver(this.bus.guest, {
      ...options.driver,
      profile: this.profile,
      vcpus: this.vcpus,
      name: (i) => (i === 0 ? ifname : `eth${i}`),
    });
    this.lo = { name: 'lo', ifindex: 1, present: true, driverName: 'loopback' };
    this.ethAdapter = this.adapt();
    this.boot();
  }

  /** Boot: VMBus connect, offers, netvsc probe, `ip link set up`, the subchannel worker. */
  private boot(): void {
    const connected = this.bus.guest.connect();
    this.settle(connected, 'VMBus connect');
    const r = connected.value;
    if (!r.ok) throw new Error(`SimVm: VMBus connect failed: ${r.error}`);
    this.runIdle('boot');
    if (!this.netvsc) throw new Error('SimVm: the netvsc device did not probe');
  }

  /** The netvsc netdev (undefined only if probe failed). */
  get netvsc(): NetvscNetdev | undefined {
    return this.driver.device(this.ifname);
  }

  /** Runs the scheduler until nothing is left to do. @throws SimHangError past the event budget. */
  runIdle(what = 'run'): number {
    const n = this.bus.run({ maxEvents: this.maxEvents });
    if (this.bus.scheduler.pending > 0 && n >= this.maxEvents) throw new SimHangError(`${what}: still busy after ${n} events`);
    return n;
  }

  /** Runs the scheduler until `c` settles (then to idle, so follow-up work such as offers lands). */
  settle<T>(c: Completion<T>, what: string): T {
    let budget = this.maxEvents;
    while (!c.settled && budget > 0) {
      if (!this.bus.scheduler.step()) break;
      budget--;
    }
    if (!c.settled) throw new SimHangError(`${what}: did not finish (${budget > 0 ? 'nothing left to run' : 'event budget spent'})`);
    this.runIdle(what);
    return c.value;
  }

  /**
   * `rtnl_lock()` from outside the driver (the ethtool core before it calls the driver): runs the
   * VM until RTNL is free. A driver flow that holds it and waits for ever (a host that never
   * answers) leaves every later ethtool command blocked in Linux, so that is a hang here too.
   * @throws SimHangError when RTNL is never released.
   */
  waitForRtnl(what = 'rtnl_lock'): void {
    const rtnl = this.driver.rtnl;
    let budget = this.maxEvents;
    while (rtnl.held && budget > 0 && this.bus.scheduler.step()) budget--;
    if (rtnl.held) throw new SimHangError(`${what}: rtnl_lock() waits for ever (a driver flow holds RTNL and never finishes)`);
  }

  /** Runs a blocking driver flow to its end. */
  run<T>(flow: BlockingFlow<T>, what = 'operation'): T {
    return this.settle(spawn(flow), what);
  }

  private adapt(): SimNetdev {
    const vm = this;
    const base: SimNetdev = {
      get name() {
        return vm.ifname;
      },
      ifindex: 2,
      get present() {
        return vm.netvsc?.present ?? false;
      },
      driverName: 'hv_netvsc',
      getChannels: () => vm.netvscOrThrow().getChannels(),
      setChannels: (ch) => {
        vm.setChannelsCalls++;
        return vm.run(vm.netvscOrThrow().setChannels(ch), `set_channels ${ch.combined_count}`);
      },
      get rxfhConfigured() {
        return vm.netvsc?.rxfhConfigured ?? false;
      },
      getRxfhIndirSize: () => vm.netvscOrThrow().getRxfhIndirSize(),
      getRxfh: () => vm.netvscOrThrow().getRxfh(),
    };
    // the 2015 driver had none of the RSS and statistics ethtool ops
    if (this.profile === 'linux-4.2') return base;
    return Object.assign(base, {
      getRxRings: (): number | NetvscErrno => vm.netvscOrThrow().nvdev?.numChn ?? 'ENODEV',
      getRxfhKeySize: () => NETVSC_HASH_KEYLEN,
      getRxfhConfig: () => netvscRxfhConfig(vm.netvscOrThrow()),
      setRxfh: (indir: readonly number[] | null, key: Uint8Array | null, hfunc: number) =>
        vm.run(vm.netvscOrThrow().setRxfh({ ...(indir ? { indir } : {}), ...(key ? { key } : {}), hfunc }), 'set_rxfh'),
      setRxfhConfigured: (configured: boolean) => {
        vm.netvscOrThrow().rxfhConfigured = configured;
      },
      getStatsStrings: () => netvscStatsStrings(vm.netvscOrThrow(), vm.vcpus),
      getEthtoolStats: () => netvscEthtoolStats(vm.netvscOrThrow(), vm.vcpus),
    });
  }

  /**
   * The RSS state the guest driver holds for `ifname` (what `ethtool -x` shows): the indirection
   * table, the key, whether the user configured the table (IFF_RXFH_CONFIGURED).
   */
  rxfh(ifname = this.ifname): SimRxfhState | NetvscErrno {
    const d = this.lookup(ifname);
    if (!d || d !== this.ethAdapter) return 'ENODEV';
    const cfg = netvscRxfhConfig(this.netvscOrThrow());
    if (typeof cfg === 'string') return cfg;
    return { indir: cfg.indir, key: cfg.key, configured: this.netvscOrThrow().rxfhConfigured };
  }

  /** The netvsc ethtool statistics (`ethtool -S` names → values) of `ifname`. */
  ethtoolStats(ifname = this.ifname): Map<string, bigint> | NetvscErrno {
    const d = this.lookup(ifname);
    if (!d || d !== this.ethAdapter) return 'ENODEV';
    const names = netvscStatsStrings(this.netvscOrThrow(), this.vcpus);
    if (typeof names === 'string') return names;
    const values = netvscEthtoolStats(this.netvscOrThrow(), this.vcpus);
    return new Map(names.map((n, i) => [n, values[i] ?? 0n] as const));
  }

  private netvscOrThrow(): NetvscNetdev {
    const d = this.netvsc;
    if (!d) throw new Error('SimVm: no netvsc device');
    return d;
  }

  /**
   * `__dev_get_by_name`: only registered netdevs have a name. Once netvsc_remove ran (the host
   * rescinded the primary channel) `unregister_netdevice` has taken the name away.
   */
  lookup(name: string): SimNetdev | undefined {
    if (name === 'lo') return this.lo;
    if (name === this.ifname && this.netvsc?.registered) return this.ethAdapter;
    return undefined;
  }

  /** Every registered netdev of the VM. */
  devices(): SimNetdev[] {
    return this.netvsc?.registered ? [this.lo, this.ethAdapter] : [this.lo];
  }

  /** The netdev called `name`. */
  netdev(name: string): SimNetdev | undefined {
    return this.lookup(name);
  }

  /** Typed driver call: current channel counts of `ifname` (ethtool's get_channels, no core checks). */
  getChannels(ifname = this.ifname): SimChannels | 'ENODEV' | 'EOPNOTSUPP' {
    const d = this.lookup(ifname);
    if (!d) return 'ENODEV';
    if (!d.getChannels) return 'EOPNOTSUPP';
    return d.getChannels();
  }

  /**
   * Typed driver call: `set_channels` with `combined` channels (the driver's own checks only — the
   * ethtool core's checks run in `ethtool()` of the session floor). Returns 0 or an errno.
   */
  setChannels(ifname: string, combined: number): 0 | NetvscErrno | 'EOPNOTSUPP' {
    const d = this.lookup(ifname);
    if (!d) return 'ENODEV';
    if (!d.getChannels || !d.setChannels) return 'EOPNOTSUPP';
    const cur = d.getChannels();
    return d.setChannels({ ...cur, combined_count: combined });
  }
}

/** Builds and boots a VM (see {@link SimVmOptions}). */
export function createSimVm(options: SimVmOptions = {}): SimVm {
  return new SimVm(options);
}
