/**
 * The VM a user drives: a {@link SimVm} plus ethtool. `vm.ethtool('-L eth0 combined 4')` runs the
 * command as real ethtool would — its argv parsing, the kernel ethtool core's checks, the netvsc
 * driver's detach/attach over the simulated VMBus rings, and the exact text it prints.
 *
 * @example
 * ```ts
 * import { createVm } from 'netvsc-sim';
 * const vm = createVm({ vcpus: 8, host: { queues: 64 } });
 * vm.ethtool('-L eth0 combined 4'); // { stdout: '', stderr: '', status: 0, … }
 * vm.ethtool('-l eth0').stdout;      // 'Channel parameters for eth0:\nPre-set maximums:\n…'
 * ```
 * @module
 */
import { runEthtool, type EthtoolResult, type EthtoolStyle, type EthtoolSystem } from '../ethtool/index.js';
import type { NetvscStats } from '../guest/index.js';
import { SimVm, type SimVmOptions } from '../sim/vm.js';
import { runTraffic, type TrafficOptions, type TrafficReport } from './traffic.js';
import { startBootTrace, traceVm, type Tracer } from '../trace/tracer.js';

/** ethtool styles a VM runs (see the ethtool floor): `netlink` (6.1, default), `ioctl` (6.1 without ethtool netlink), `legacy` (2015). */
export type VmEthtoolStyle = EthtoolStyle;

/** Options of {@link createVm}. */
export interface VmOptions extends SimVmOptions {
  /**
   * The ethtool that runs the commands. Default `netlink`, except on `linux-4.2`, which had no
   * ethtool netlink: there `netlink` and `netlink-6.15` silently fall back to their ioctl paths
   * (`ioctl`, `ioctl-6.15`), and `legacy` (the ethtool of 2015) is the period-correct choice.
   */
  readonly ethtool?: VmEthtoolStyle;
  /**
   * Record the exchange, decoded (see {@link Vm.trace}): `true` from the end of the boot on,
   * `'boot'` from the start, the boot's records labelled with the phase `boot`.
   */
  readonly trace?: boolean | 'boot';
}

/** What crossed the wire between two points of a VM's life, from the driver's counters. */
export interface WireSummary {
  /** Guest→host messages by kind (NVSP message type names, RNDIS message types and OIDs). */
  readonly sent: Record<string, number>;
  /** Host→guest messages by kind. */
  readonly received: Record<string, number>;
  /** Subchannels the driver asked for in NVSP SUBCHANNEL ALLOCATE requests (`num_subchannels`, summed). */
  readonly subchannelsAsked: number;
  /** Subchannels the host granted (`num_subchannels` of its successful SUBCHANNEL ALLOCATE completions, summed). */
  readonly subchannelsGranted: number;
  /** Detach/attach cycles. */
  readonly detaches: number;
}

/** A simulated VM with ethtool. */
export class Vm extends SimVm {
  /** The ethtool {@link Vm.ethtool} runs: {@link VmOptions.ethtool}, except that `netlink` on `linux-4.2` becomes `ioctl` (that kernel has no ethtool netlink). */
  readonly ethtoolStyle: VmEthtoolStyle;

  constructor(options: VmOptions = {}) {
    let early: Tracer | undefined;
    super(options.trace === 'boot' ? { ...options, onBus: (bus) => void (early = startBootTrace(bus, options.onBus)) } : options);
    this.tracer = early;
    const requested = options.ethtool ?? 'netlink';
    // A 4.2 kernel has no ethtool netlink: ethtool ≥ 5.8 falls back to ioctl without a word
    // (ethtool-output.md §1), 6.1 and 6.15 alike.
    const ioctlOf: Partial<Record<VmEthtoolStyle, VmEthtoolStyle>> = { netlink: 'ioctl', 'netlink-6.15': 'ioctl-6.15' };
    this.ethtoolStyle = this.profile === 'linux-4.2' ? (ioctlOf[requested] ?? requested) : requested;
    if (options.trace === true) this.tracer = traceVm(this);
    this.tracer?.phase(undefined);
  }

  private tracer: Tracer | undefined;

  /** The VM's tracer (src/trace), started now if `trace` was not set: decoded records of what crossed. */
  trace(): Tracer {
    return (this.tracer ??= traceVm(this));
  }

  /** The VM as the ethtool floor's kernel core sees it. */
  get ethtoolSystem(): EthtoolSystem {
    return { lookup: (n) => this.lookup(n), devices: () => this.devices(), capNetAdmin: true, rtnlLock: () => this.waitForRtnl('ethtool') };
  }

  /**
   * Runs one ethtool command (`'-L eth0 combined 4'`, `'ethtool -l eth0'` or an argv array) and
   * returns its stdout, stderr and exit status exactly as the chosen ethtool prints them.
   */
  ethtool(command: string | readonly string[]): EthtoolResult {
    return runEthtool(command, this.ethtoolSystem, {
      style: this.ethtoolStyle,
      core: this.profile === 'linux-4.2' ? 'linux-4.2' : 'linux-6.1',
    });
  }

  /**
   * Inbound flows through the host's RSS steering into the guest (see {@link runTraffic}); `ethtool -S`
   * then shows the per-queue spread the indirection table made.
   */
  traffic(options: TrafficOptions = {}): TrafficReport {
    return runTraffic(this, options);
  }

  /** A snapshot of the netvsc driver's wire counters; pass an earlier one to get the difference. */
  wire(since?: WireSummary): WireSummary {
    const s: NetvscStats | undefined = this.netvsc?.stats;
    const now: WireSummary = {
      sent: { ...(s?.sent ?? {}) },
      received: { ...(s?.received ?? {}) },
      subchannelsAsked: s?.subchannelsAsked ?? 0,
      subchannelsGranted: s?.subchannelsGranted ?? 0,
      detaches: s?.detaches ?? 0,
    };
    if (!since) return now;
    const diff = (a: Record<string, number>, b: Record<string, number>) =>
      Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v - (b[k] ?? 0)] as const).filter(([, v]) => v !== 0));
    return {
      sent: diff(now.sent, since.sent),
      received: diff(now.received, since.received),
      subchannelsAsked: now.subchannelsAsked - since.subchannelsAsked,
      subchannelsGranted: now.subchannelsGranted - since.subchannelsGranted,
      detaches: now.detaches - since.detaches,
    };
  }
}

/** Builds and boots a VM with ethtool (see {@link VmOptions}). */
export function createVm(options: VmOptions = {}): Vm {
  return new Vm(options);
}

/** One line for a {@link WireSummary}: messages by floor, subchannels asked and granted. */
export function formatWireSummary(w: WireSummary): string {
  const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  const sent = total(w.sent);
  const received = total(w.received);
  if (sent === 0 && received === 0) return 'wire: nothing crossed the rings';
  const kinds = (r: Record<string, number>, prefix: string) =>
    Object.entries(r)
      .filter(([k]) => k.startsWith(prefix))
      .reduce((a, [, v]) => a + v, 0);
  const parts = [
    `${sent} guest→host and ${received} host→guest messages`,
    `NVSP ${kinds(w.sent, 'NVSP')}/${kinds(w.received, 'NVSP')}`,
    `RNDIS ${kinds(w.sent, 'RNDIS')}/${kinds(w.received, 'RNDIS')}`,
  ];
  if (w.detaches) parts.push(`${w.detaches} detach/attach`);
  if (w.detaches || w.subchannelsAsked || w.subchannelsGranted) parts.push(`subchannels asked ${w.subchannelsAsked}, granted ${w.subchannelsGranted}`);
  return `wire: ${parts.join('; ')}`;
}
