/**
 * Model-based testing of channel reconfiguration: fast-check commands (`fc.commands`) for the
 * ethtool operations a user runs (`-L eth0 combined N`, `-l eth0`), for host policies and faults
 * (grant fewer, refuse, late answers, rescinds) and for traffic, plus the invariants as reusable
 * checks. "Any sequence of these keeps my driver sane" is then a few lines:
 *
 * ```ts
 * import * as fc from 'fast-check';
 * import { createVm } from 'netvsc-sim';
 * import { channelCommands, channelModel } from 'netvsc-sim/testing';
 * fc.assert(fc.property(fc.commands(channelCommands({ vcpus: 8 }), { maxCommands: 20 }), (cmds) => {
 *   const vm = createVm({ vcpus: 8 });
 *   fc.modelRun(() => ({ model: channelModel(vm), real: vm }), cmds);
 * }));
 * ```
 *
 * The checks only look at what a user can see from outside: ethtool's output, the host's state
 * snapshot ({@link NetvspHost.state}) and counters, and the netdev's statistics. Rules are those of
 * Linux 6.1's netvsc (spec §5.2 and §5.5): combined never exceeds the maximum; the channels the
 * host sees open are the combined count (less a subchannel the host rescinded); a failed `-L`
 * leaves the count it found; every frame the host delivered is counted by the guest.
 * @module
 */
import * as fc from 'fast-check';
import type { NetvspHost } from '../host/netvsp.js';
import type { NetvspSubchannelGrant } from '../host/config.js';
import type { NetvscChannels, NetvscStats } from '../guest/types.js';

/** What the model commands drive: a `Vm` from `createVm` fits, and so does any object shaped alike. */
export interface ChannelSystem {
  /** Runs one ethtool command line (`'-L eth0 combined 4'`). */
  ethtool(command: string): {
    /** What ethtool printed on standard output (the `-l` listing). */
    readonly stdout: string;
    /** What it printed on standard error (the error message of a refused `-L`). */
    readonly stderr: string;
    /** Exit status: 0 on success. */
    readonly status: number;
  };
  /** The NetVSP host serving the VM's NIC. */
  readonly host: NetvspHost;
  /** The interface name (`eth0`). */
  readonly ifname: string;
  /** The guest netdev, when probed: its channel counts and statistics. */
  readonly netvsc:
    | {
        /** The driver's `get_channels` answer (what `ethtool -l` prints). */
        getChannels(): NetvscChannels;
        /** The netdev's counters; `rxPackets` is summed to check that no delivered frame was lost. */
        readonly stats: NetvscStats;
        /** `netif_device_present()`: false while the device is detached. */
        readonly present: boolean;
      }
    | undefined;
  /** Runs the simulation until idle. */
  runIdle(what?: string): number;
}

/** What the model remembers between commands. */
export interface ChannelModel {
  /** Last combined count and maximum read by a successful `-l`. */
  combined: number;
  /** The "Pre-set maximums" Combined count last read (the driver's `max_chn`). */
  max: number;
  /** The host's grant policy now in force. */
  grant: NetvspSubchannelGrant;
  /** Subchannels rescinded since the last successful reconfiguration. */
  rescinded: number;
  /** Frames the host reported delivered, and the guest's receive count at the start. */
  delivered: number;
  /** The guest's total `rxPackets` when the model was built; later counts are taken relative to it. */
  readonly rxBase: number;
  /** Commands run (for reports). */
  steps: number;
}

/** A channel-count violation found by a check. */
export class ChannelInvariantError extends Error {
  /** Always `'ChannelInvariantError'`: the name fast-check and stack traces print for a violation. */
  override readonly name = 'ChannelInvariantError';
}

function fail(what: string, detail: unknown): never {
  throw new ChannelInvariantError(`${what}: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`);
}

const sum = (a: readonly number[]) => a.reduce((x, y) => x + y, 0);

/** The two Combined counts of an `ethtool -l` listing. */
export interface ChannelListing {
  /** "Pre-set maximums" Combined: the most channels allowed (`max_combined`). */
  max: number;
  /** "Current hardware settings" Combined: channels in use (`combined_count`). */
  combined: number;
}

/** Parses the "Current hardware settings" and "Pre-set maximums" Combined lines of `ethtool -l`. */
export function parseChannelListing(stdout: string): ChannelListing {
  const pre = /Pre-set maximums:[\s\S]*?Combined:\s+(\d+)/.exec(stdout);
  const cur = /Current hardware settings:[\s\S]*?Combined:\s+(\d+)/.exec(stdout);
  if (!pre || !cur) fail('ethtool -l output not understood', stdout);
  return { max: Number(pre[1]), combined: Number(cur[1]) };
}

/** Builds the model of a freshly booted system (reads `ethtool -l` once). */
export function channelModel(sys: ChannelSystem): ChannelModel {
  const r = sys.ethtool(`-l ${sys.ifname}`);
  if (r.status !== 0) fail('ethtool -l failed at start', r.stderr);
  const { max, combined } = parseChannelListing(r.stdout);
  const grant = sys.host.config.subchannels.grant;
  return { combined, max, grant, rescinded: 0, delivered: 0, rxBase: sum(sys.netvsc?.stats.rxPackets ?? []), steps: 0 };
}

// ---------------------------------------------------------------------------------------------
// Invariants, usable on their own.

/** combined ≤ max, and `-l` agrees with the driver's get_channels. Returns the listing. */
export function checkCurrentWithinMax(sys: ChannelSystem): ChannelListing {
  const r = sys.ethtool(`-l ${sys.ifname}`);
  if (r.status !== 0) fail('ethtool -l failed', r.stderr);
  const l = parseChannelListing(r.stdout);
  if (l.combined > l.max) fail('combined exceeds the maximum', l);
  if (l.combined < 1) fail('no channel left', l);
  const d = sys.netvsc?.getChannels();
  if (d && (d.combined_count !== l.combined || d.max_combined !== l.max)) fail('ethtool -l and get_channels disagree', { listing: l, driver: d });
  return l;
}

/** The host sees `combined` channels open, less the subchannels it rescinded itself. */
export function checkChannelsOpen(sys: ChannelSystem, combined: number, rescinded = 0): void {
  const s = sys.host.state();
  if (s.phase !== 'ready') fail('host session not ready', s.phase);
  const open = s.channelsOpen.length;
  if (open > combined || open < combined - rescinded) fail('channels open on the host differ from combined', { open: s.channelsOpen, combined, rescinded });
}

/** Host and guest agree: queues in use, and every RSS table entry names a channel the guest has. */
export function checkHostGuestAgree(sys: ChannelSystem, combined: number): void {
  const s = sys.host.state();
  if (s.queues !== combined) fail('host queue count differs from the guest combined count', { host: s.queues, combined });
  if (combined > 1) {
    if (!s.rss) fail('RSS not enabled on the host with several channels', combined);
    const bad = s.rss.table.find((q) => q >= combined);
    if (bad !== undefined) fail('host indirection table names a queue the guest does not have', { queue: bad, combined });
  }
}

/** Every frame the host reported delivered was counted by the guest. */
export function checkNoPacketLost(sys: ChannelSystem, model: Pick<ChannelModel, 'delivered' | 'rxBase'>): void {
  const rx = sum(sys.netvsc?.stats.rxPackets ?? []) - model.rxBase;
  if (rx !== model.delivered) fail('frames lost between host and guest', { delivered: model.delivered, received: rx });
}

/** Runs every invariant against the model. */
export function checkChannelInvariants(sys: ChannelSystem, model: ChannelModel): void {
  const l = checkCurrentWithinMax(sys);
  if (l.combined !== model.combined) fail('combined count changed behind the model', { model: model.combined, now: l.combined });
  checkChannelsOpen(sys, l.combined, model.rescinded);
  if (model.rescinded === 0) checkHostGuestAgree(sys, l.combined);
  checkNoPacketLost(sys, model);
}

/** Combined count a host with `grant` leaves after asking for `n` channels in all. */
export function expectedCombined(n: number, grant: NetvspSubchannelGrant): number {
  if (n <= 1) return 1;
  if (grant === 'grant-all') return n;
  if (grant === 'refuse' || grant === 'grant-more') return 1;
  return 1 + Math.min(grant.grantFewer, n - 1);
}

// ---------------------------------------------------------------------------------------------
// Commands.

/**
 * A fast-check model command over a {@link ChannelModel} and a {@link ChannelSystem}: what every
 * command class here implements and {@link channelCommands} generates, for `fc.commands`.
 */
export type ChannelCommand = fc.Command<ChannelModel, ChannelSystem>;

/** `ethtool -L <if> combined N`. */
export class SetCombinedCommand implements ChannelCommand {
  constructor(
    /** The combined count asked for; values outside 1..max are tried too and must be refused. */
    readonly n: number,
  ) {}
  check(): boolean {
    return true;
  }
  run(m: ChannelModel, sys: ChannelSystem): void {
    m.steps++;
    const before = m.combined;
    const r = sys.ethtool(`-L ${sys.ifname} combined ${this.n}`);
    if (this.n < 1 || this.n > m.max) {
      if (r.status === 0) fail(`-L combined ${this.n} accepted above the maximum ${m.max}`, r);
      const l = checkCurrentWithinMax(sys);
      if (l.combined !== before) fail('a refused -L changed the count', { before, after: l.combined });
    } else if (r.status !== 0) {
      // a failed attach restores the count it found
      const l = checkCurrentWithinMax(sys);
      if (l.combined !== before) fail('a failed -L did not restore the count', { before, after: l.combined, stderr: r.stderr });
    } else {
      const l = checkCurrentWithinMax(sys);
      const want = this.n === before && m.rescinded === 0 ? before : expectedCombined(this.n, m.grant);
      if (l.combined !== want) fail(`-L combined ${this.n} under ${JSON.stringify(m.grant)}`, { want, got: l.combined });
      m.combined = l.combined;
      m.max = l.max;
      if (this.n !== before || m.rescinded === 0) m.rescinded = 0;
    }
    checkChannelInvariants(sys, m);
  }
  toString(): string {
    return `ethtool -L combined ${this.n}`;
  }
}

/** `ethtool -l <if>`: reads the counts and checks them. */
export class GetChannelsCommand implements ChannelCommand {
  check(): boolean {
    return true;
  }
  run(m: ChannelModel, sys: ChannelSystem): void {
    m.steps++;
    const l = checkCurrentWithinMax(sys);
    m.max = l.max;
    checkChannelInvariants(sys, m);
  }
  toString(): string {
    return 'ethtool -l';
  }
}

/**
 * The host changes how it answers the next subchannel requests (an administrator resizing the
 * vNIC's queues). Takes effect at the next NVSP 133; the running session is not touched.
 */
export class HostPolicyCommand implements ChannelCommand {
  constructor(
    /** The grant policy the host applies from the next subchannel request. */
    readonly grant: NetvspSubchannelGrant,
    /** Virtual ns the host waits before answering a subchannel request (default 0). */
    readonly answerDelay = 0,
  ) {}
  check(): boolean {
    return true;
  }
  run(m: ChannelModel, sys: ChannelSystem): void {
    m.steps++;
    // The rest of the policy (offer order and delays) stays as it is.
    sys.host.reconfigure({ subchannels: { grant: this.grant, answerDelay: this.answerDelay } });
    m.grant = this.grant;
  }
  toString(): string {
    return `host grants ${JSON.stringify(this.grant)}${this.answerDelay ? ` after ${this.answerDelay} ns` : ''}`;
  }
}

/** The host rescinds one open subchannel on its own. */
export class RescindCommand implements ChannelCommand {
  constructor(
    /** Which open subchannel to rescind: an index into the open ones (ascending), taken modulo their number. */
    readonly pick: number,
  ) {}
  check(m: ChannelModel): boolean {
    return m.combined > 1;
  }
  run(m: ChannelModel, sys: ChannelSystem): void {
    m.steps++;
    const open = sys.host.state().channelsOpen.filter((i) => i > 0);
    if (open.length === 0) return;
    const idx = open[this.pick % open.length]!;
    const r = sys.host.rescind(idx);
    if (r !== 'OK') fail(`rescind of subchannel ${idx}`, r);
    sys.runIdle('rescind');
    m.rescinded++;
    checkChannelInvariants(sys, m);
  }
  toString(): string {
    return `host rescinds subchannel #${this.pick}`;
  }
}

/** The host delivers `count` TCP frames of distinct flows; the guest must count every delivered one. */
export class TrafficCommand implements ChannelCommand {
  constructor(
    /** Seed of the flows' addresses and ports (frame i uses `seed + i × 7919`). */
    readonly seed: number,
    /** Frames to inject, one flow each. */
    readonly count: number,
  ) {}
  check(): boolean {
    return true;
  }
  run(m: ChannelModel, sys: ChannelSystem): void {
    m.steps++;
    for (let i = 0; i < this.count; i++) {
      const p = (this.seed + i * 7919) >>> 0;
      const r = sys.host.injectFlow({ src: `10.0.${p & 255}.${(p >>> 8) & 255}`, dst: '10.1.0.1', proto: 'tcp', sport: 1024 + (p % 60000), dport: 443 });
      if (r.delivered) m.delivered++;
      sys.runIdle('traffic');
    }
    checkNoPacketLost(sys, m);
  }
  toString(): string {
    return `traffic ${this.count} frames (seed ${this.seed})`;
  }
}

/** Options of {@link channelCommands}. */
export interface ChannelCommandOptions {
  /** The VM's vCPUs (bounds the combined counts tried; default 8). */
  readonly vcpus?: number;
  /** Include host policy changes (default true). */
  readonly policies?: boolean;
  /** Include rescinds (default true). */
  readonly rescinds?: boolean;
  /** Include traffic (default true). */
  readonly traffic?: boolean;
}

/** The command arbitraries, for `fc.commands(channelCommands(...))`. */
export function channelCommands(options: ChannelCommandOptions = {}): fc.Arbitrary<ChannelCommand>[] {
  const vcpus = options.vcpus ?? 8;
  const grant: fc.Arbitrary<NetvspSubchannelGrant> = fc.oneof(
    fc.constant<NetvspSubchannelGrant>('grant-all'),
    fc.constant<NetvspSubchannelGrant>('refuse'),
    fc.integer({ min: 0, max: 7 }).map((k): NetvspSubchannelGrant => ({ grantFewer: k })),
  );
  const cmds: fc.Arbitrary<ChannelCommand>[] = [
    fc.integer({ min: 0, max: vcpus + 2 }).map((n) => new SetCombinedCommand(n)),
    fc.constant(new GetChannelsCommand()),
  ];
  if (options.policies ?? true) cmds.push(fc.tuple(grant, fc.constantFrom(0, 0, 50_000)).map(([g, d]) => new HostPolicyCommand(g, d)));
  if (options.rescinds ?? true) cmds.push(fc.nat(63).map((i) => new RescindCommand(i)));
  if (options.traffic ?? true) cmds.push(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 8 })).map(([s, c]) => new TrafficCommand(s, c)));
  return cmds;
}
