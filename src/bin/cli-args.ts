/**
 * Option parsing of the `netvsc-sim` command line (kept apart from the entry point so tests can use
 * it without spawning a process). The contract is used by external checks: keep it exact.
 *
 * `netvsc-sim [options] <command> [command args]`, options before the command:
 * `--vcpus N` (4), `--host-queues N` (64), `--nvsp V` (1, 2, 4, 5, 6, 6.1 or hex), `--profile
 * linux-6.1|linux-4.2`, `--ethtool netlink|ioctl|legacy|netlink-6.15|ioctl-6.15`, `--ifname NAME` (eth0), `--seed N`.
 */

import { parseTrafficArgs } from '../session/traffic.js';
import { ETHTOOL_STYLES, type EthtoolStyle } from '../ethtool/ethtool.js';

/** NVSP versions `--nvsp` accepts by their short names (drivers/net/hyperv/hyperv_net.h). */
export const NVSP_SHORT_NAMES: Readonly<Record<string, number>> = {
  '1': 0x2,
  '2': 0x30002,
  '4': 0x40000,
  '5': 0x50000,
  '6': 0x60000,
  '6.1': 0x60001,
};
const NVSP_VALUES = new Set(Object.values(NVSP_SHORT_NAMES));

export type CliProfile = 'linux-6.1' | 'linux-4.2';
export type CliEthtool = EthtoolStyle;

export interface CliOptions {
  vcpus: number;
  hostQueues: number;
  /** Newest NVSP version the host accepts. */
  nvsp: number;
  profile: CliProfile;
  ethtool: CliEthtool;
  /** Whether `--ethtool` was given (the demo sets styles itself otherwise). */
  ethtoolGiven: boolean;
  ifname: string;
  seed: number;
  /** `--trace`: the decoded exchange on stderr, one line per message (`-v`: with fields and hex). */
  trace: boolean;
  traceVerbose: boolean;
  /** `--trace-json [FILE]`: JSON lines to FILE, or to stderr for `-` (the default). */
  traceJson: string | undefined;
  /** `--trace-boot`: traces and captures include the boot (marked `# boot`). */
  traceBoot: boolean;
  /** `--pcap FILE`: a pcapng capture for Wireshark (docs/wireshark/netvsc.lua). */
  pcap: string | undefined;
}

export type ParsedCli =
  | { kind: 'run'; options: CliOptions; command: string; args: string[] }
  | { kind: 'help' }
  | { kind: 'error'; message: string };

export const USAGE = `usage: netvsc-sim [options] <command> [args]

Simulates Hyper-V's synthetic NIC as Linux hv_netvsc sees it: ethtool channel commands run
through the netvsc driver, NVSP and RNDIS messages in VMBus rings, and a simulated host.

options (before the command):
  --vcpus N             virtual processors of the VM (default 4)
  --host-queues N       the host's maximum number of queues (default 64; like openvmm, a host
                        has at most 64 per NIC, so larger values count as 64)
  --nvsp V              newest NVSP version the host accepts: 1, 2, 4, 5, 6, 6.1 or hex (default 6.1)
  --profile P           guest kernel: linux-6.1 (default) or linux-4.2 (the 2015 patches)
  --ethtool S           ethtool style: netlink (default), ioctl, legacy (the 2015 ethtool),
                        netlink-6.15 or ioctl-6.15 (ethtool 6.15: -l --json on netlink)
  --ifname NAME         name of the netvsc interface (default eth0)
  --seed N              seed of the deterministic scheduler (default 1)
  --trace               print the decoded VMBus/NVSP/RNDIS exchange of the command to stderr
  -v, --verbose         with --trace: every decoded field and a hex dump under each line
  --trace-json [FILE]   the decoded exchange as JSON lines, to FILE (default: stderr)
  --trace-boot          traces and captures include the VM's boot (marked as such)
  --pcap FILE           write the exchange as a pcapng capture (Wireshark: docs/wireshark/netvsc.lua)
  -h, --help            show this message (exit status 2, as for a bad option)

commands:
  ethtool ARGS...       run one ethtool command; prints its stdout and stderr, exits with its status
  session [--json]      read ethtool command lines from stdin and run them in order on one VM
                        (lines 'traffic [opts]' inject flows in between); --json prints one JSON
                        array of {command, stdout, stderr, status}
  traffic [opts]        inbound flows steered by the host's RSS into the guest, then the spread per
                        channel: --flows N (1000), --proto tcp|udp (tcp), --seed N (1), --payload N
                        (64 bytes), --json
  demo                  the 2015 poster's session, as in 2015 and on today's kernel and ethtool
  ring                  a VMBus ring buffer written and read back, with hex dumps
`;

function parseCount(flag: string, text: string | undefined, min: number, max: number): number | string {
  if (text === undefined) return `option ${flag} needs a value`;
  if (!/^\d+$/.test(text)) return `option ${flag}: '${text}' is not a whole number`;
  const n = Number(text);
  if (n < min || n > max) return `option ${flag}: ${n} is out of range (${min}..${max})`;
  return n;
}

export function parseNvsp(text: string | undefined): number | string {
  if (text === undefined) return 'option --nvsp needs a value';
  if (text in NVSP_SHORT_NAMES) return NVSP_SHORT_NAMES[text]!;
  if (/^0x[0-9a-f]+$/i.test(text)) {
    const v = parseInt(text, 16);
    if (NVSP_VALUES.has(v)) return v;
    return `option --nvsp: 0x${v.toString(16)} is not an NVSP version (0x2, 0x30002, 0x40000, 0x50000, 0x60000, 0x60001)`;
  }
  return `option --nvsp: '${text}' is not an NVSP version (1, 2, 4, 5, 6, 6.1 or hex)`;
}

const COMMANDS = new Set(['ethtool', 'session', 'traffic', 'demo', 'ring', 'help']);

export function parseCli(argv: readonly string[]): ParsedCli {
  const o: CliOptions = {
    vcpus: 4,
    hostQueues: 64,
    nvsp: 0x60001,
    profile: 'linux-6.1',
    ethtool: 'netlink',
    ethtoolGiven: false,
    ifname: 'eth0',
    seed: 1,
    trace: false,
    traceVerbose: false,
    traceJson: undefined,
    traceBoot: false,
    pcap: undefined,
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-')) break;
    const eq = a.indexOf('=');
    const flag = eq > 0 && a.startsWith('--') ? a.slice(0, eq) : a;
    const inline = eq > 0 && a.startsWith('--') ? a.slice(eq + 1) : undefined;
    const value = (): string | undefined => (inline !== undefined ? inline : argv[++i]);
    let r: number | string;
    switch (flag) {
      case '-h':
      case '--help':
        return { kind: 'help' };
      case '--vcpus':
        r = parseCount(flag, value(), 1, 4096);
        if (typeof r === 'string') return { kind: 'error', message: r };
        o.vcpus = r;
        break;
      case '--host-queues':
        r = parseCount(flag, value(), 1, 4096);
        if (typeof r === 'string') return { kind: 'error', message: r };
        o.hostQueues = r;
        break;
      case '--seed':
        r = parseCount(flag, value(), 0, 0xffffffff);
        if (typeof r === 'string') return { kind: 'error', message: r };
        o.seed = r;
        break;
      case '--nvsp':
        r = parseNvsp(value());
        if (typeof r === 'string') return { kind: 'error', message: r };
        o.nvsp = r;
        break;
      case '--profile': {
        const v = value();
        if (v !== 'linux-6.1' && v !== 'linux-4.2') return { kind: 'error', message: `option --profile: '${v ?? ''}' is not linux-6.1 or linux-4.2` };
        o.profile = v;
        break;
      }
      case '--ethtool': {
        const v = value();
        if (!(ETHTOOL_STYLES as readonly string[]).includes(v ?? '')) {
          return { kind: 'error', message: `option --ethtool: '${v ?? ''}' is not netlink, ioctl, legacy, netlink-6.15 or ioctl-6.15` };
        }
        o.ethtool = v as EthtoolStyle;
        o.ethtoolGiven = true;
        break;
      }
      case '--ifname': {
        const v = value();
        if (v === undefined || v.length === 0 || v.length > 15 || /[\s/:]/.test(v) || v === '.' || v === '..') {
          return { kind: 'error', message: `option --ifname: '${v ?? ''}' is not a valid interface name (1–15 characters, no spaces, '/' or ':')` };
        }
        if (v === 'lo') return { kind: 'error', message: "option --ifname: 'lo' is taken by the VM's loopback device" };
        o.ifname = v;
        break;
      }
      case '--trace':
        o.trace = true;
        break;
      case '-v':
      case '--verbose':
        o.traceVerbose = true;
        break;
      case '--trace-boot':
        o.traceBoot = true;
        break;
      case '--trace-json': {
        // The FILE is optional: the next word is a file unless it is a command or an option.
        const next = inline ?? argv[i + 1];
        if (inline === undefined && (next === undefined || next.startsWith('-') || COMMANDS.has(next))) {
          o.traceJson = '-';
        } else {
          if (inline === undefined) i++;
          if (!next) return { kind: 'error', message: 'option --trace-json: empty file name' };
          o.traceJson = next;
        }
        break;
      }
      case '--pcap': {
        const v = value();
        if (!v) return { kind: 'error', message: 'option --pcap needs a file name' };
        o.pcap = v;
        break;
      }
      default:
        return { kind: 'error', message: `unknown option '${a}'` };
    }
  }
  const command = argv[i];
  if (command === undefined) return { kind: 'error', message: 'no command given' };
  if (command === 'help') return { kind: 'help' };
  const args = argv.slice(i + 1);
  if (o.traceVerbose && !o.trace) return { kind: 'error', message: 'option -v needs --trace' };
  if (command === 'ring' && (o.trace || o.traceJson !== undefined || o.pcap !== undefined)) {
    return { kind: 'error', message: 'ring runs no VM: --trace, --trace-json and --pcap do not apply' };
  }
  switch (command) {
    case 'ethtool':
      return { kind: 'run', options: o, command, args };
    case 'session':
      if (args.some((a) => a !== '--json')) return { kind: 'error', message: `session takes only --json, not '${args.find((a) => a !== '--json')}'` };
      return { kind: 'run', options: o, command, args };
    case 'traffic': {
      const t = parseTrafficArgs(args);
      if (!t.ok) return { kind: 'error', message: t.message };
      return { kind: 'run', options: o, command, args };
    }
    case 'demo':
    case 'ring':
      if (args.length) return { kind: 'error', message: `${command} takes no arguments` };
      return { kind: 'run', options: o, command, args };
    default:
      return { kind: 'error', message: `unknown command '${command}'` };
  }
}
