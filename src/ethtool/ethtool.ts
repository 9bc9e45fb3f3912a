/**
 * ethtool's user-space side of `-l`/`--show-channels` and `-L`/`--set-channels`, in three
 * generations, printing exactly what the real program prints:
 *
 * - ethtool 6.1 (Debian 12) with its netlink code (ethtool.c `main`, netlink/netlink.c
 *   `netlink_run_handler`, netlink/channels.c, netlink/parser.c, netlink/nlsock.c) and its ioctl
 *   fallback (ethtool.c `do_gchannels`, `do_schannels`, `parse_generic_cmdline`, `do_generic_set1`);
 * - ethtool 6.15 (adds `--json`/`-j` for `-l`, `--disable-netlink`, `--phy`; its text output of
 *   `-l` over netlink lost the two headings, a bug fixed in 6.19);
 * - ethtool 4.2 (2015, the Hyper-V vRSS poster's era: ioctl only, `no channel parameters changed,
 *   aborting`, exit 1, a `current values:` line whose labels put rx under `tx`).
 *
 * With ethtool 6.1 (both styles) also `-x`/`-X` (RSS indirection table, key, hash function) and
 * `-S` (statistics), which 6.1 runs over ioctl only: see rxfh.ts and stats.ts.
 *
 * The kernel is reached through the simulated ioctl and netlink entry points over bytes.
 * @module
 */
import { CHANNEL_KINDS, type ChannelKind, type EthtoolChannels, type EthtoolSystem, zeroChannels } from './device.js';
import { type Errno, strerror } from './errno.js';
import { asCString, cStrlen, strtoll, strtoul } from './cnum.js';
import { OPTIONS_4_2, OPTIONS_6_1, OPTIONS_6_15, type OptionRow, type SubCommand, findOption } from './cli-options.js';
import { HELP_4_2, HELP_6_1, HELP_6_15 } from './help-text.js';
import { JsonWriter } from './json-writer.js';
import type { KernelCore } from './kernel-core.js';
import { ETHTOOL_GCHANNELS, ETHTOOL_SCHANNELS, decodeEthtoolChannels, encodeEthtoolChannels, ethtoolIoctl } from './kernel-ioctl.js';
import { ethnlRequest } from './kernel-netlink.js';
import {
  ETHTOOL_A_CHANNELS_COMBINED_COUNT,
  ETHTOOL_A_CHANNELS_COMBINED_MAX,
  ETHTOOL_A_CHANNELS_COUNT_OF,
  ETHTOOL_A_CHANNELS_HEADER,
  ETHTOOL_A_CHANNELS_OTHER_COUNT,
  ETHTOOL_A_CHANNELS_OTHER_MAX,
  ETHTOOL_A_CHANNELS_RX_COUNT,
  ETHTOOL_A_CHANNELS_RX_MAX,
  ETHTOOL_A_CHANNELS_TX_COUNT,
  ETHTOOL_A_CHANNELS_TX_MAX,
  ETHTOOL_A_HEADER_DEV_NAME,
  ETHTOOL_GENL_FAMILY_ID,
  ETHTOOL_GENL_VERSION,
  ETHTOOL_MSG_CHANNELS_GET,
  ETHTOOL_MSG_CHANNELS_SET,
  GENL_HDRLEN,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_HDRLEN,
  NLMSG_MIN_TYPE,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_REQUEST,
  NlMsgBuilder,
  type NlMessage,
  attrString,
  attrTable,
  attrU32,
  decodeAck,
  nlmsgerr,
  parseAttrs,
  splitMessages,
} from './nlmsg.js';
import { OutputLog, type OutputWrite } from './output.js';
import { shellWords } from './shell-words.js';
import { doGrxfh, doSrxfh, type RxfhCtx } from './rxfh.js';
import { doGnicstats } from './stats.js';

/**
 * Which ethtool, on which kind of kernel:
 * - `netlink`: ethtool 6.1 on a kernel with ethtool netlink (what Debian 12 runs; the default);
 * - `ioctl`: ethtool 6.1 on a kernel without ethtool netlink (it falls back silently to ioctl);
 * - `legacy`: ethtool 4.2 (2015), ioctl only;
 * - `netlink-6.15`: ethtool 6.15 on a netlink kernel (`--json`, `--disable-netlink` available);
 * - `ioctl-6.15`: ethtool 6.15 on a kernel without ethtool netlink.
 */
export type EthtoolStyle = 'netlink' | 'ioctl' | 'legacy' | 'netlink-6.15' | 'ioctl-6.15';

/** All styles, for iteration. */
export const ETHTOOL_STYLES: readonly EthtoolStyle[] = ['netlink', 'ioctl', 'legacy', 'netlink-6.15', 'ioctl-6.15'];

/** Options of {@link runEthtool}. */
export interface RunEthtoolOptions {
  /** Default `netlink`. */
  readonly style?: EthtoolStyle;
  /**
   * The kernel's ethtool core behind the ioctl path. Default `linux-4.2` for `legacy` (a 2015
   * kernel: no channel checks in the core, the driver sees every request), `linux-6.1` otherwise.
   * The netlink path always runs the 6.1 core (ethtool netlink appeared in Linux 5.6).
   */
  readonly core?: KernelCore;
  /** The caller holds CAP_NET_ADMIN (default: the system's `capNetAdmin`, else true). */
  readonly capNetAdmin?: boolean;
}

/** What one run printed and returned. */
export interface EthtoolResult {
  /** Everything written to standard output, byte for byte as the selected ethtool prints it (e.g. the `ethtool -l` table). */
  readonly stdout: string;
  /** Everything written to standard error: perror lines (`Cannot get device channel parameters: No such device`), `netlink error: …` lines, usage errors. */
  readonly stderr: string;
  /** The exit status. */
  readonly status: number;
  /** Every write in program order (see {@link mergeOutput} for one shared destination). */
  readonly writes: readonly OutputWrite[];
  /** False when the command asked for something the simulator does not implement (a real ethtool option other than -l/-L/-h/--version, shell syntax...). */
  readonly simulated: boolean;
}

type Version = '4.2' | '6.1' | '6.15';

/** `exit()`: unwinds to {@link runEthtool}. Never escapes it. */
class Exit {
  constructor(
    readonly status: number,
    readonly simulated = true,
  ) {}
}

interface Ctx {
  readonly sys: EthtoolSystem;
  readonly out: OutputLog;
  readonly version: Version;
  readonly netlinkKernel: boolean;
  readonly core: KernelCore;
  readonly cap: boolean;
  seq: number;
}

function notSimulated(ctx: Ctx, what: string): never {
  ctx.out.err(
    `netvsc-sim: ethtool ${what}: not simulated (only -l/--show-channels, -L/--set-channels, -h/--help and --version are${ctx.version !== '6.15' ? ', and -x/-X/-S' : ''})\n`,
  );
  throw new Exit(1, false);
}

/** ethtool.c `exit_bad_args`. */
function badArgs(ctx: Ctx): never {
  ctx.out.err('ethtool: bad command line argument(s)\nFor more information run ethtool -h\n');
  throw new Exit(1);
}

/** ethtool.c `exit_bad_args_info` (6.15). */
function badArgsInfo(ctx: Ctx, info: string): never {
  ctx.out.err(`ethtool: bad command line argument(s)\n${info}\nFor more information run ethtool -h\n`);
  throw new Exit(1);
}

/** `perror(prefix)`. */
function perror(ctx: Ctx, prefix: string, errno: Errno | number): void {
  ctx.out.err(`${prefix}: ${strerror(errno)}\n`);
}

const IFNAMSIZ = 16;
const ALTIFNAMSIZ = 128;

// ---------------------------------------------------------------------------------------------
// ioctl path

/** ethtool.c `get_int_range(str, 0, INT32_MIN, INT32_MAX)`: strtoll with base 0, whole string, in range. */
function getS32(ctx: Ctx, s: string): number {
  const r = strtoll(s, 0);
  if (r.erange || r.end !== s.length || r.value < -0x80000000n || r.value > 0x7fffffffn) badArgs(ctx);
  return Number(r.value);
}

/** ethtool.c `dump_channels`: the ioctl layout, zeros printed as numbers, a blank line at the end. */
function dumpChannels(ch: EthtoolChannels): string {
  return (
    'Pre-set maximums:\n' +
    `RX:\t\t${ch.max_rx >>> 0}\nTX:\t\t${ch.max_tx >>> 0}\nOther:\t\t${ch.max_other >>> 0}\nCombined:\t${ch.max_combined >>> 0}\n` +
    'Current hardware settings:\n' +
    `RX:\t\t${ch.rx_count >>> 0}\nTX:\t\t${ch.tx_count >>> 0}\nOther:\t\t${ch.other_count >>> 0}\nCombined:\t${ch.combined_count >>> 0}\n` +
    '\n'
  );
}

function gchannelsIoctl(ctx: Ctx, devname: string): { ch: EthtoolChannels } | { errno: Errno } {
  const buf = encodeEthtoolChannels(ETHTOOL_GCHANNELS, zeroChannels());
  const rc = ethtoolIoctl(ctx.sys, devname, buf, { core: ctx.core, capNetAdmin: ctx.cap });
  if (rc !== 0) return { errno: rc };
  const { cmd: _cmd, ...ch } = decodeEthtoolChannels(buf);
  return { ch };
}

/** ethtool.c `do_gchannels`. */
function doGchannels(ctx: Ctx, devname: string, rest: readonly string[]): number {
  if (rest.length !== 0) badArgs(ctx);
  ctx.out.out(`Channel parameters for ${devname}:\n`);
  const r = gchannelsIoctl(ctx, devname);
  if ('errno' in r) {
    // Up to ethtool 5.13 the perror prefix carried a stray "\n".
    perror(ctx, ctx.version === '4.2' ? 'Cannot get device channel parameters\n' : 'Cannot get device channel parameters', r.errno);
    return 1;
  }
  ctx.out.out(dumpChannels(r.ch));
  return 0;
}

/** ethtool.c `do_schannels` (with `parse_generic_cmdline` and `do_generic_set`). */
function doSchannels(ctx: Ctx, devname: string, rest: readonly string[]): number {
  const wanted: Record<ChannelKind, number> = { rx: -1, tx: -1, other: -1, combined: -1 };
  for (let i = 0; i < rest.length; i++) {
    const kind = CHANNEL_KINDS.find((k) => k === rest[i]);
    if (!kind) badArgs(ctx);
    i += 1;
    if (i >= rest.length) badArgs(ctx);
    wanted[kind] = getS32(ctx, rest[i]!);
  }
  const r = gchannelsIoctl(ctx, devname);
  if ('errno' in r) {
    perror(ctx, 'Cannot get device channel parameters', r.errno);
    return 1;
  }
  const ch = r.ch;
  let changed = false;
  for (const kind of CHANNEL_KINDS) {
    const w = wanted[kind];
    if (w < 0) continue;
    const field = `${kind}_count` as const;
    if (w === ch[field] >>> 0) ctx.out.err(`${kind} unmodified, ignoring\n`);
    else {
      ch[field] = w;
      changed = true;
    }
  }
  if (!changed) {
    const [rx, tx, other, combined] = [ch.rx_count >>> 0, ch.tx_count >>> 0, ch.other_count >>> 0, ch.combined_count >>> 0];
    if (ctx.version === '4.2') {
      ctx.out.err('no channel parameters changed, aborting\n');
      ctx.out.err(`current values: tx ${rx} rx ${tx} other ${other} combined ${combined}\n`);
      return 1;
    }
    ctx.out.err('no channel parameters changed.\n');
    ctx.out.err(`current values: rx ${rx} tx ${tx} other ${other} combined ${combined}\n`);
    return 0;
  }
  const rc = ethtoolIoctl(ctx.sys, devname, encodeEthtoolChannels(ETHTOOL_SCHANNELS, ch), { core: ctx.core, capNetAdmin: ctx.cap });
  if (rc !== 0) {
    perror(ctx, 'Cannot set device channel parameters', rc);
    return 1;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// netlink path

const MNL_CB_ERROR = -1;
const MNL_CB_STOP = 0;
const MNL_CB_OK = 1;

/** netlink/nlsock.c `nlsock_process_ack`: prints the extended ack and perror, returns -errno. */
function processAck(ctx: Ctx, message: Uint8Array): number {
  const ack = decodeAck(message);
  if (!ack) return -14; // -EFAULT: truncated error message
  if (ack.msg !== undefined) {
    ctx.out.err(`netlink ${ack.errno ? 'error' : 'warning'}: ${ack.msg}${ack.offset !== undefined ? ` (offset ${ack.offset})` : ''}\n`);
  }
  if (ack.errno) perror(ctx, 'netlink error', ack.errno);
  return -ack.errno;
}

/**
 * netlink/nlsock.c `nlsock_process_reply` with libmnl's `mnl_cb_run` defaults: a datagram starting
 * with NLMSG_ERROR is the ack; otherwise messages go to the callback, NLMSG_DONE ends the dump
 * (its status is not looked at), an embedded error message stops with its errno.
 */
function processReply(ctx: Ctx, datagrams: readonly Uint8Array[], cb: (m: NlMessage) => number): number {
  for (const dg of datagrams) {
    const msgs = splitMessages(dg);
    if (msgs.length === 0) return -14;
    if (msgs[0]!.type === NLMSG_ERROR) return processAck(ctx, msgs[0]!.bytes);
    for (const m of msgs) {
      if (m.type >= NLMSG_MIN_TYPE) {
        const r = cb(m);
        if (r === MNL_CB_ERROR) return -1;
        if (r === MNL_CB_STOP) return 0;
      } else if (m.type === NLMSG_DONE) {
        return 0;
      } else if (m.type === NLMSG_ERROR) {
        const e = m.bytes.length >= NLMSG_HDRLEN + 4 ? nlmsgerr.decode(m.bytes, NLMSG_HDRLEN).error : -1;
        return e === 0 ? 0 : -1;
      }
    }
  }
  return 0;
}

function nlRequest(ctx: Ctx, cmd: number, flags: number, devname: string | undefined): NlMsgBuilder {
  const b = new NlMsgBuilder(ETHTOOL_GENL_FAMILY_ID, flags, ++ctx.seq, 0).genl(cmd, ETHTOOL_GENL_VERSION);
  const nest = b.nestStart(ETHTOOL_A_CHANNELS_HEADER);
  if (devname !== undefined) b.putStrz(ETHTOOL_A_HEADER_DEV_NAME, devname);
  b.nestEnd(nest);
  return b;
}

const SHOW: readonly (readonly [number, string, string])[] = [
  [ETHTOOL_A_CHANNELS_RX_MAX, 'rx-max', 'RX:\t\t'],
  [ETHTOOL_A_CHANNELS_TX_MAX, 'tx-max', 'TX:\t\t'],
  [ETHTOOL_A_CHANNELS_OTHER_MAX, 'other-max', 'Other:\t\t'],
  [ETHTOOL_A_CHANNELS_COMBINED_MAX, 'combined-max', 'Combined:\t'],
  [ETHTOOL_A_CHANNELS_RX_COUNT, 'rx', 'RX:\t\t'],
  [ETHTOOL_A_CHANNELS_TX_COUNT, 'tx', 'TX:\t\t'],
  [ETHTOOL_A_CHANNELS_OTHER_COUNT, 'other', 'Other:\t\t'],
  [ETHTOOL_A_CHANNELS_COMBINED_COUNT, 'combined', 'Combined:\t'],
];

/** netlink/channels.c `nl_gchannels` + `channels_reply_cb`. */
function nlGchannels(ctx: Ctx, devname: string, rest: readonly string[], json: boolean): number {
  if (rest.length > 0) {
    ctx.out.err(`ethtool: unexpected parameter '${rest[0]}'\n`);
    return 1;
  }
  const dump = devname === '*';
  const req = nlRequest(ctx, ETHTOOL_MSG_CHANNELS_GET, NLM_F_REQUEST | NLM_F_ACK | (dump ? NLM_F_DUMP : 0), dump ? undefined : devname).finish();
  const jw = json ? new JsonWriter((s) => ctx.out.out(s)) : undefined;
  jw?.startArray();
  const cb = (m: NlMessage): number => {
    const attrs = parseAttrs(m.bytes, NLMSG_HDRLEN + GENL_HDRLEN, m.bytes.length);
    if (!attrs) return dump ? MNL_CB_OK : MNL_CB_ERROR;
    const tb = attrTable(attrs);
    const header = tb.get(ETHTOOL_A_CHANNELS_HEADER);
    let name = '(null)';
    if (header) {
      const inner = parseAttrs(header.payload, 0, header.payload.length);
      const n = inner ? attrTable(inner).get(2) : undefined;
      name = n ? attrString(n) : '(none)';
    }
    const value = (type: number): number | undefined => attrU32(tb.get(type));
    if (jw) {
      jw.startObject();
      jw.stringField('ifname', name);
      for (const [type, key] of SHOW) {
        const v = value(type);
        if (v !== undefined) jw.uintField(key, v);
      }
      jw.endObject();
      return MNL_CB_OK;
    }
    let text = dump ? '\n' : '';
    text += `Channel parameters for ${name}:\n`;
    // ethtool 6.15 prints the two headings through print_string(PRINT_FP, NULL, text, NULL), which
    // its NULL-value guard turns into nothing.
    const headings = ctx.version !== '6.15';
    SHOW.forEach(([type, , label], i) => {
      if (headings && i === 0) text += 'Pre-set maximums:\n';
      if (headings && i === 4) text += 'Current hardware settings:\n';
      const v = value(type);
      text += `${label}${v === undefined ? 'n/a' : String(v)}\n`;
    });
    ctx.out.out(text);
    return MNL_CB_OK;
  };
  const ret = processReply(ctx, ethnlRequest(ctx.sys, req, { capNetAdmin: ctx.cap }), cb);
  if (jw) {
    jw.endArray();
    jw.close();
  }
  return ret === 0 ? 0 : 1;
}

/** netlink/parser.c `parse_u32`: `0x`/`0X` ⇒ hex of the rest, else decimal; strtoul; whole string; ≤ 0xffffffff. */
export function parseU32(arg: string): number | undefined {
  const hex = arg[0] === '0' && (arg[1] === 'x' || arg[1] === 'X');
  const s = hex ? arg.slice(2) : arg;
  if (s === '') return undefined;
  const r = strtoul(s, hex ? 16 : 10);
  if (r.end !== s.length || r.value > 0xffffffffn) return undefined;
  return Number(r.value);
}

/** netlink/channels.c `nl_schannels` with `nl_parser`. Returns the status, or -EOPNOTSUPP for a wildcard. */
function nlSchannels(ctx: Ctx, devname: string, rest: readonly string[]): number {
  if (devname === '*') return -95;
  const b = nlRequest(ctx, ETHTOOL_MSG_CHANNELS_SET, NLM_F_REQUEST | NLM_F_ACK, devname);
  const seen = new Set<ChannelKind>();
  let i = 0;
  while (i < rest.length) {
    const param = rest[i]!;
    const kind = CHANNEL_KINDS.find((k) => k === param);
    if (!kind) {
      ctx.out.err(`ethtool (-L): unknown parameter '${param}'\n`);
      return 1;
    }
    if (seen.has(kind)) {
      ctx.out.err(`ethtool (-L): duplicate parameter '${param}'\n`);
      return 1;
    }
    i++;
    if (rest.length - i < 1) {
      ctx.out.err(`ethtool (-L): no value for parameter '${param}'\n`);
      return 1;
    }
    seen.add(kind);
    const arg = rest[i++]!;
    const v = parseU32(arg);
    if (v === undefined) {
      ctx.out.err(`ethtool (-L): invalid value '${arg}' for parameter '${param}'\n`);
      return 1;
    }
    b.putU32(ETHTOOL_A_CHANNELS_COUNT_OF[kind], v);
  }
  const ret = processReply(ctx, ethnlRequest(ctx.sys, b.finish(), { capNetAdmin: ctx.cap }), () => MNL_CB_OK);
  return ret === 0 ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// main()

interface Parsed {
  readonly row: OptionRow;
  readonly devname: string | undefined;
  readonly rest: readonly string[];
  readonly json: boolean;
  readonly nlDisable: boolean;
  readonly debug: bigint;
}

/** ethtool 6.x `main()` up to the sub-command dispatch. */
function parseModern(ctx: Ctx, args: readonly string[]): Parsed {
  const v615 = ctx.version === '6.15';
  const rows = v615 ? OPTIONS_6_15 : OPTIONS_6_1;
  if (v615 && args.length === 0) badArgs(ctx);
  let i = 0;
  let json = false;
  let nlDisable = false;
  let debug = 0n;
  let phy = 0;
  for (;;) {
    const a = args[i];
    if (a === '--debug') {
      if (args.length - i < 2) badArgs(ctx);
      const v = args[i + 1]!;
      const r = strtoul(v, 0);
      if (v === '' || r.end !== v.length) badArgs(ctx);
      debug = r.value;
      i += 2;
      continue;
    }
    if (v615 && a === '--disable-netlink') {
      nlDisable = true;
      i++;
      continue;
    }
    if (a === '--json' || (v615 && a === '-j')) {
      json = true;
      i++;
      continue;
    }
    if (a === '--include-statistics' || a === '-I') {
      i++;
      continue;
    }
    if (v615 && a === '--phy') {
      if (args.length - i < 2) badArgsInfo(ctx, '--phy parameters expects a phy index');
      const v = args[i + 1]!;
      const r = strtoul(v, 0);
      if (v === '' || r.end !== v.length) badArgsInfo(ctx, 'invalid phy index');
      phy = Number(r.value & 0xffffffffn);
      i += 2;
      continue;
    }
    break;
  }
  if (args[i] === '--monitor') notSimulated(ctx, '--monitor');
  const first = args[i];
  if (first === undefined) badArgs(ctx);
  let k = findOption(rows, first, 1);
  if (k > 0) i++;
  else {
    if (first[0] === '-') badArgs(ctx);
    k = 0;
  }
  const row = rows[k]!;
  let devname: string | undefined;
  if (!row.noDev) {
    devname = args[i++];
    if (devname === undefined) badArgs(ctx);
  }
  if (json && !row.json) {
    if (v615) badArgsInfo(ctx, 'JSON output not available for this subcommand');
    badArgs(ctx);
  }
  if (v615 && !row.targetsPhy && phy !== 0) badArgsInfo(ctx, 'Unexpected --phy parameter');
  return { row, devname, rest: args.slice(i), json, nlDisable, debug };
}

/** DEBUG_NL_MSGS, DEBUG_NL_DUMP_SND, DEBUG_NL_DUMP_RCV, DEBUG_NL_PRETTY_MSG (internal.h): they print netlink traffic. */
const NETLINK_DEBUG_BITS = 0x1en;

function describeSub(row: OptionRow): string {
  return row.opts === '' ? 'DEVNAME (show device settings)' : row.opts.split('|').join('/');
}

/** ethtool 6.x from `main()` on: `netlink_run_handler`, then the ioctl fallback. */
function modernMain(ctx: Ctx, args: readonly string[]): number {
  const p = parseModern(ctx, args);
  const sub: SubCommand = p.row.sub;
  if (sub === 'help') {
    ctx.out.out(ctx.version === '6.15' ? HELP_6_15 : HELP_6_1);
    return 0;
  }
  if (sub === 'version') {
    ctx.out.out(`ethtool version ${ctx.version}\n`);
    return 0;
  }
  const rss = ctx.version === '6.1' ? ioctlOnlySub(p.row) : undefined;
  if (rss) return runIoctlOnly(ctx, p, rss);
  if (sub === 'other') notSimulated(ctx, describeSub(p.row));
  const devname = p.devname!;
  const wildcard = devname === '*';
  let reason: string;
  if (ctx.version === '6.15' && p.nlDisable) {
    reason = 'netlink disabled';
  } else {
    if (cStrlen(devname) >= ALTIFNAMSIZ) {
      ctx.out.err(`device name '${devname}' longer than ${ALTIFNAMSIZ - 1} characters\n`);
      return 1;
    }
    if (!ctx.netlinkKernel) {
      reason = 'netlink interface initialization failed';
    } else {
      if ((p.debug & NETLINK_DEBUG_BITS) !== 0n) notSimulated(ctx, '--debug (netlink message tracing)');
      if (sub === 'show-channels') return nlGchannels(ctx, devname, p.rest, p.json);
      const ret = nlSchannels(ctx, devname, p.rest);
      if (ret === -95) {
        // nl_schannels refused the wildcard (netlink_cmd_check) and there is no ioctl fallback for it.
        ctx.out.err('subcommand does not support wildcard dump\n');
        return 1;
      }
      return ret;
    }
  }
  // no_support: fall back to ioctl unless the request cannot be expressed there.
  if (wildcard) {
    ctx.out.err(`${reason}, wildcard dump not supported\n`);
    return 1;
  }
  if (cStrlen(devname) >= IFNAMSIZ) {
    ctx.out.err(`${reason}, device name longer than ${IFNAMSIZ - 1} not supported\n`);
    return 1;
  }
  if (p.json) {
    if (ctx.version === '6.15') {
      ctx.out.err("ethtool: parameter '--json' can be used only with netlink\n");
      return 1;
    }
    badArgs(ctx);
  }
  return sub === 'show-channels' ? doGchannels(ctx, devname, p.rest) : doSchannels(ctx, devname, p.rest);
}

type IoctlOnlySub = 'show-rxfh' | 'set-rxfh' | 'statistics';

/** The 6.1 sub-commands this simulator runs through ioctl only: -x, -X (no netlink request in 6.1) and -S. */
function ioctlOnlySub(row: OptionRow): IoctlOnlySub | undefined {
  switch (row.opts) {
    case '-x|--show-rxfh-indir|--show-rxfh':
      return 'show-rxfh';
    case '-X|--set-rxfh-indir|--rxfh':
      return 'set-rxfh';
    case '-S|--statistics':
      return 'statistics';
    default:
      return undefined;
  }
}

/**
 * ethtool 6.1 `netlink_run_handler` for a row without `nlfunc` (-x, -X) or whose `nlchk` declines
 * (-S without arguments), then `ioctl_init` and the ioctl handler.
 */
function runIoctlOnly(ctx: Ctx, p: Parsed, sub: IoctlOnlySub): number {
  const devname = p.devname!;
  let reason: string;
  if (sub === 'statistics' && p.rest.length > 0) {
    // nl_gstats_chk accepts: the netlink statistics request (groups), or the ioctl path without netlink
    if (cStrlen(devname) >= ALTIFNAMSIZ) {
      ctx.out.err(`device name '${devname}' longer than ${ALTIFNAMSIZ - 1} characters\n`);
      return 1;
    }
    if (ctx.netlinkKernel) notSimulated(ctx, '-S with arguments (netlink statistics groups)');
    reason = 'netlink interface initialization failed';
  } else {
    reason = sub === 'statistics' ? 'ioctl-only request' : 'ethtool netlink support for subcommand missing';
  }
  if (devname === '*') {
    ctx.out.err(`${reason}, wildcard dump not supported\n`);
    return 1;
  }
  if (cStrlen(devname) >= IFNAMSIZ) {
    ctx.out.err(`${reason}, device name longer than ${IFNAMSIZ - 1} not supported\n`);
    return 1;
  }
  if (p.json) badArgs(ctx);
  return runRssStats(ctx, sub, devname, p.rest);
}

/** The ioctl handlers of -x, -X, -S (ethtool 6.1, or 4.2 with `ctx.version` 4.2). */
function runRssStats(ctx: Ctx, sub: IoctlOnlySub, devname: string, rest: readonly string[]): number {
  const rctx: RxfhCtx = {
    sys: ctx.sys,
    out: ctx.out,
    kernel: { core: ctx.core, capNetAdmin: ctx.cap },
    badArgs: () => badArgs(ctx),
    notSimulated: (what) => notSimulated(ctx, what),
    legacy: ctx.version === '4.2',
  };
  if (sub === 'show-rxfh') return doGrxfh(rctx, devname, rest);
  if (sub === 'set-rxfh') return doSrxfh(rctx, devname, rest);
  return doGnicstats(rctx, devname, rest);
}

/** ethtool 4.2 `main()`. */
function legacyMain(ctx: Ctx, args: readonly string[]): number {
  if (args.length === 0) badArgs(ctx);
  const first = args[0]!;
  const k = findOption(OPTIONS_4_2, first, 0);
  let i = 0;
  let row: OptionRow | undefined;
  if (k >= 0) {
    row = OPTIONS_4_2[k]!;
    i = 1;
  } else if (first[0] === '-') {
    badArgs(ctx);
  }
  let devname: string | undefined;
  if (!row || !row.noDev) {
    devname = args[i++];
    if (devname === undefined) badArgs(ctx);
    if (cStrlen(devname) >= IFNAMSIZ) badArgs(ctx);
  }
  const rest = args.slice(i);
  if (!row) notSimulated(ctx, 'DEVNAME (show device settings)');
  switch (row.sub) {
    case 'help':
      ctx.out.out(HELP_4_2);
      return 0;
    case 'version':
      ctx.out.out('ethtool version 4.2\n');
      return 0;
    case 'show-channels':
      return doGchannels(ctx, devname!, rest);
    case 'set-channels':
      return doSchannels(ctx, devname!, rest);
    default: {
      const rss = ioctlOnlySub(row);
      if (rss) return runRssStats(ctx, rss, devname!, rest);
      return notSimulated(ctx, describeSub(row));
    }
  }
}

function styleParams(style: EthtoolStyle): { version: Version; netlinkKernel: boolean } {
  switch (style) {
    case 'netlink':
      return { version: '6.1', netlinkKernel: true };
    case 'ioctl':
      return { version: '6.1', netlinkKernel: false };
    case 'legacy':
      return { version: '4.2', netlinkKernel: false };
    case 'netlink-6.15':
      return { version: '6.15', netlinkKernel: true };
    case 'ioctl-6.15':
      return { version: '6.15', netlinkKernel: false };
  }
}

/**
 * Splits a command line for {@link runEthtool}: shell word splitting, then a leading `ethtool` (or a
 * path ending in `/ethtool`) is dropped. Returns the arguments or a shell error.
 */
export function ethtoolArgv(commandLine: string):
  | {
      /** The line split. */
      ok: true;
      /** The words after the program name, ready for {@link runEthtool} (`['-L', 'eth0', 'combined', '4']`). */
      args: string[];
    }
  | {
      /** The line needs a real shell. */
      ok: false;
      /** Why, as {@link ShellWords} reports it (an unterminated quote, an expansion, a pipe...). */
      error: string;
    } {
  const w = shellWords(commandLine);
  if (!w.ok) return w;
  const words = w.words;
  if (words.length > 0 && (words[0] === 'ethtool' || words[0]!.endsWith('/ethtool'))) words.shift();
  return { ok: true, args: words };
}

/**
 * Runs ethtool against a simulated system. `argv` is either the arguments after the program name
 * (`['-L', 'eth0', 'combined', '4']`) or a command line (`"ethtool -L eth0 combined 4"`, split as
 * a shell would; a leading `ethtool` is optional). Never throws for any argv: every outcome is an
 * exit status with the exact stdout/stderr the selected ethtool prints.
 */
export function runEthtool(argv: readonly string[] | string, system: EthtoolSystem, options: RunEthtoolOptions = {}): EthtoolResult {
  const style = options.style ?? 'netlink';
  const { version, netlinkKernel } = styleParams(style);
  const out = new OutputLog();
  const ctx: Ctx = {
    sys: system,
    out,
    version,
    netlinkKernel,
    core: options.core ?? (style === 'legacy' ? 'linux-4.2' : 'linux-6.1'),
    cap: options.capNetAdmin ?? system.capNetAdmin ?? true,
    seq: 0,
  };
  const finish = (status: number, simulated: boolean): EthtoolResult => ({ stdout: out.stdout, stderr: out.stderr, status, writes: out.writes, simulated });
  let args: string[];
  if (typeof argv === 'string') {
    const split = ethtoolArgv(argv);
    if (!split.ok) {
      out.err(`netvsc-sim: ${split.error}\n`);
      return finish(2, false);
    }
    args = split.args.map(asCString);
  } else {
    args = argv.map((a) => asCString(String(a)));
  }
  try {
    const status = version === '4.2' ? legacyMain(ctx, args) : modernMain(ctx, args);
    return finish(status & 0xff, true);
  } catch (e) {
    if (e instanceof Exit) return finish(e.status, e.simulated);
    throw e;
  }
}
