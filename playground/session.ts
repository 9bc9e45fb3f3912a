/**
 * The playground's model, free of the DOM so that Node tests run it too: a VM built from the
 * visitor's choices, ethtool commands run on it, and for each command what crossed the VMBus rings
 * — the decoded records of the trace floor (src/trace), packet by packet, and the netvsc driver's
 * message counters (`vm.wire()`).
 */
import {
  createVm,
  ETHTOOL_STYLES,
  formatRecordDetail,
  formatRecordLine,
  formatWireSummary,
  type EthtoolStyle,
  type NetvscProfileName,
  type TraceRecord,
  type Vm,
  type WireSummary,
} from '../src/index.js';

/** What the visitor picks before booting. */
export interface PlaygroundConfig {
  readonly vcpus: number;
  readonly hostQueues: number;
  readonly profile: NetvscProfileName;
  readonly ethtool: EthtoolStyle;
}

/** The kernel profiles the page offers. */
export const PROFILES: readonly NetvscProfileName[] = ['linux-6.1', 'linux-4.2'];
/** The ethtool styles the page offers. */
export const STYLES: readonly EthtoolStyle[] = ETHTOOL_STYLES;

/** The session of the 2015 poster: show, shrink to one channel, again, zero, show. */
export const POSTER_SESSION: readonly string[] = [
  'ethtool -l eth0',
  'ethtool -L eth0 combined 1',
  'ethtool -L eth0 combined 1',
  'ethtool -L eth0 combined 0',
  'ethtool -l eth0',
];

/** The 2015 machine: 8 vCPUs, a 4.2 kernel and the ethtool of its day. */
export const POSTER_CONFIG: PlaygroundConfig = { vcpus: 8, hostQueues: 64, profile: 'linux-4.2', ethtool: 'legacy' };

/** One message kind and how many of it crossed, in one direction. */
export interface WireRow {
  readonly direction: 'guest→host' | 'host→guest';
  readonly floor: 'NVSP' | 'RNDIS' | 'other';
  readonly kind: string;
  readonly count: number;
}

/** One decoded packet or channel message: its one-line summary, and its fields and hex dump on demand. */
export interface PacketView {
  readonly line: string;
  detail(): string;
}

/** The page's view of trace records (details are rendered only when asked for: a boot has hundreds). */
export function packetViews(records: readonly TraceRecord[]): PacketView[] {
  return records.map((r) => ({ line: formatRecordLine(r), detail: () => formatRecordDetail(r).join('\n') }));
}

/** One command as the page shows it. */
export interface CommandRecord {
  readonly command: string;
  /** The terminal text: the prompt line, then stdout and stderr as ethtool printed them. */
  readonly transcript: string;
  readonly status: number;
  readonly wire: WireSummary;
  readonly wireLine: string;
  readonly rows: readonly WireRow[];
  /** What crossed the rings for this command, decoded, in order. */
  readonly packets: readonly PacketView[];
}

/** Checks a config and says what is wrong, in words a visitor understands. */
export function checkConfig(c: PlaygroundConfig): string | undefined {
  if (!Number.isInteger(c.vcpus) || c.vcpus < 1) return `vCPUs must be a whole number of at least 1 (got ${c.vcpus})`;
  if (!Number.isInteger(c.hostQueues) || c.hostQueues < 1) return `host queues must be a whole number of at least 1 (got ${c.hostQueues})`;
  if (!PROFILES.includes(c.profile)) return `unknown kernel profile ${String(c.profile)}`;
  if (!STYLES.includes(c.ethtool)) return `unknown ethtool style ${String(c.ethtool)}`;
  return undefined;
}

function rowsOf(w: WireSummary): WireRow[] {
  const floor = (k: string): WireRow['floor'] => (k.startsWith('NVSP') ? 'NVSP' : k.startsWith('RNDIS') ? 'RNDIS' : 'other');
  const rows = (r: Record<string, number>, direction: WireRow['direction']) =>
    Object.entries(r).map(([kind, count]) => ({ direction, floor: floor(kind), kind, count }));
  return [...rows(w.sent, 'guest→host'), ...rows(w.received, 'host→guest')];
}

/** A booted VM and the commands run on it so far. */
export class PlaygroundSession {
  readonly vm: Vm;
  readonly history: CommandRecord[] = [];
  private readonly boot: readonly PacketView[];

  constructor(readonly config: PlaygroundConfig) {
    const bad = checkConfig(config);
    if (bad) throw new Error(bad);
    this.vm = createVm({ vcpus: config.vcpus, host: { queues: config.hostQueues }, profile: config.profile, ethtool: config.ethtool, trace: 'boot' });
    this.boot = packetViews(this.vm.trace().records);
  }

  /** What booting the VM put on the rings, decoded (VMBus offers, channel opening, the driver's probe). */
  bootPackets(): readonly PacketView[] {
    return this.boot;
  }

  /** What booting the VM sent over the rings (the driver's probe). */
  bootWire(): WireSummary {
    return this.vm.wire();
  }

  /** Rows for a {@link WireSummary}, one per message kind and direction. */
  static rows(w: WireSummary): WireRow[] {
    return rowsOf(w);
  }

  /** Runs one command line (with or without the leading `ethtool`). */
  run(line: string): CommandRecord {
    const command = line.trim().replace(/^ethtool(\s+|$)/, '');
    const before = this.vm.wire();
    const tracer = this.vm.trace();
    const seq = tracer.nextSeq;
    const r = this.vm.ethtool(command);
    const packets = packetViews(tracer.since(seq));
    const wire = this.vm.wire(before);
    const record: CommandRecord = {
      command: `ethtool ${command}`.trimEnd(),
      // As a terminal shows it: stdout and stderr interleaved in the order ethtool wrote them.
      transcript: `$ ethtool ${command}`.trimEnd() + '\n' + r.writes.map((w) => w.data).join(''),
      status: r.status,
      wire,
      wireLine: formatWireSummary(wire),
      rows: rowsOf(wire),
      packets,
    };
    this.history.push(record);
    return record;
  }
}
