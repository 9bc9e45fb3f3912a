/**
 * Inbound traffic for a simulated VM: `count` flows built from a seed, each one frame pushed through
 * the host's receive steering (`NetvspHost.injectFlow`: Toeplitz hash over the RSS key and hash
 * types the guest programmed, then the indirection table), and the scheduler run so the guest's
 * netvsc driver receives, counts and completes every frame. `ethtool -S` afterwards shows where the
 * flows landed.
 * @module
 */
import type { NetvspRxResult } from '../host/index.js';
import type { Flow } from '../rss/hash-input.js';
import type { SimVm } from '../sim/vm.js';

/** Options of {@link runTraffic}. */
export interface TrafficOptions {
  /** Number of flows (one frame each). Default 1000. */
  readonly flows?: number;
  /** Transport protocol. Default `tcp`. */
  readonly proto?: 'tcp' | 'udp';
  /** Seed of the flow generator. Default 1. */
  readonly seed?: number;
  /** IP payload bytes after the TCP/UDP header. Default 64. */
  readonly payloadLength?: number;
}

/** What {@link runTraffic} did. */
export interface TrafficReport {
  /** Flows pushed in (one frame each), as requested. */
  readonly flows: number;
  /** Their transport protocol (destination port 443 for tcp, 53 for udp). */
  readonly proto: 'tcp' | 'udp';
  /** Seed of the flow generator: the same seed gives the same flows. */
  readonly seed: number;
  /** Frames the guest received. */
  readonly delivered: number;
  /** Frames the host could not deliver, by reason. */
  readonly dropped: Readonly<Record<string, number>>;
  /** Frames delivered per receive channel (index = channel). */
  readonly perChannel: readonly number[];
}

/** Upper bound on `flows` for one call. */
export const TRAFFIC_MAX_FLOWS = 1_000_000;

/** mulberry32: a small 32-bit PRNG, enough to spread addresses and ports reproducibly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** The `count` flows of a seed: sources in 10.0.0.0/8 with ephemeral ports, to 192.168.0.4 port 443 (tcp) or 53 (udp). */
export function trafficFlows(count: number, proto: 'tcp' | 'udp', seed: number): Flow[] {
  const next = prng(seed);
  const flows: Flow[] = [];
  for (let i = 0; i < count; i++) {
    const r = next();
    const src = `10.${(r >>> 16) & 0xff}.${(r >>> 8) & 0xff}.${r & 0xff}`;
    const sport = 1024 + (next() % (65536 - 1024));
    flows.push({ src, dst: '192.168.0.4', sport, dport: proto === 'tcp' ? 443 : 53, proto });
  }
  return flows;
}

/**
 * Pushes the flows into the VM: each frame is injected, then the scheduler runs until the guest has
 * taken it (so receive sections are returned and no ring fills up).
 * @throws RangeError for a flow count outside 0..{@link TRAFFIC_MAX_FLOWS} or an unknown protocol.
 */
export function runTraffic(vm: SimVm, options: TrafficOptions = {}): TrafficReport {
  const count = options.flows ?? 1000;
  const proto = options.proto ?? 'tcp';
  const seed = options.seed ?? 1;
  if (!Number.isInteger(count) || count < 0 || count > TRAFFIC_MAX_FLOWS) throw new RangeError(`traffic: flows must be an integer in 0..${TRAFFIC_MAX_FLOWS}, not ${count}`);
  if (proto !== 'tcp' && proto !== 'udp') throw new RangeError(`traffic: proto must be tcp or udp, not ${String(proto)}`);
  const payloadLength = options.payloadLength ?? 64;
  const perChannel: number[] = [];
  const dropped: Record<string, number> = {};
  let delivered = 0;
  for (const flow of trafficFlows(count, proto, seed)) {
    const r: NetvspRxResult = vm.host.injectFlow(flow, { payloadLength });
    if (r.delivered) {
      delivered++;
      while (perChannel.length <= r.channel) perChannel.push(0);
      perChannel[r.channel]!++;
    } else {
      dropped[r.reason] = (dropped[r.reason] ?? 0) + 1;
    }
    vm.runIdle('traffic');
  }
  return { flows: count, proto, seed, delivered, dropped, perChannel };
}

/** One line: `traffic: 1000 tcp flows (seed 1): 1000 delivered; per channel 0:251 1:250 …`. */
export function formatTrafficReport(r: TrafficReport): string {
  const drops = Object.entries(r.dropped).map(([k, v]) => `${v} ${k}`);
  const spread = r.perChannel.map((n, i) => `${i}:${n}`).join(' ');
  return `traffic: ${r.flows} ${r.proto} flows (seed ${r.seed}): ${r.delivered} delivered${drops.length ? `, dropped ${drops.join(', ')}` : ''}${spread ? `; per channel ${spread}` : ''}`;
}

/** Parsed `traffic` arguments (the CLI command and the session line). */
export interface TrafficArgs extends TrafficOptions {
  /** `--json`: print the report as JSON (the CLI command only). */
  readonly json: boolean;
}

/**
 * Parses `--flows N`, `--proto tcp|udp`, `--seed N`, `--payload N` and (when `allowJson`) `--json`,
 * also written `--flows=N`. Returns the options or a message saying what is wrong.
 */
export function parseTrafficArgs(
  args: readonly string[],
  allowJson = true,
):
  | {
      /** Every argument was understood. */
      ok: true;
      /** The options given (unset ones absent, so {@link runTraffic}'s defaults apply). */
      args: TrafficArgs;
    }
  | {
      /** An argument was not understood. */
      ok: false;
      /** What is wrong, e.g. `traffic: option --flows needs a value`. */
      message: string;
    } {
  let flows: number | undefined;
  let proto: 'tcp' | 'udp' | undefined;
  let seed: number | undefined;
  let payloadLength: number | undefined;
  let json = false;
  const count = (flag: string, text: string | undefined, max: number): number | string => {
    if (text === undefined) return `traffic: option ${flag} needs a value`;
    if (!/^\d+$/.test(text)) return `traffic: option ${flag}: '${text}' is not a whole number`;
    const n = Number(text);
    if (n > max) return `traffic: option ${flag}: ${n} is out of range (0..${max})`;
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const value = (): string | undefined => (eq > 0 ? a.slice(eq + 1) : args[++i]);
    let r: number | string;
    switch (flag) {
      case '--flows':
        r = count(flag, value(), TRAFFIC_MAX_FLOWS);
        if (typeof r === 'string') return { ok: false, message: r };
        flows = r;
        break;
      case '--seed':
        r = count(flag, value(), 0xffffffff);
        if (typeof r === 'string') return { ok: false, message: r };
        seed = r;
        break;
      case '--payload':
        r = count(flag, value(), 1400);
        if (typeof r === 'string') return { ok: false, message: r };
        payloadLength = r;
        break;
      case '--proto': {
        const v = value();
        if (v !== 'tcp' && v !== 'udp') return { ok: false, message: `traffic: option --proto: '${v ?? ''}' is not tcp or udp` };
        proto = v;
        break;
      }
      case '--json':
        if (!allowJson || eq > 0) return { ok: false, message: `traffic: unknown option '${a}'` };
        json = true;
        break;
      default:
        return { ok: false, message: `traffic: unknown option '${a}' (options: --flows N, --proto tcp|udp, --seed N, --payload N${allowJson ? ', --json' : ''})` };
    }
  }
  return {
    ok: true,
    args: {
      json,
      ...(flows !== undefined ? { flows } : {}),
      ...(proto !== undefined ? { proto } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(payloadLength !== undefined ? { payloadLength } : {}),
    },
  };
}
