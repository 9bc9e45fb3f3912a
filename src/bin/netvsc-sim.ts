#!/usr/bin/env node
/**
 * The `netvsc-sim` command line. See `netvsc-sim --help` and cli-args.ts for the contract.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseCli, USAGE, type CliOptions } from './cli-args.js';
import { createVm, formatWireSummary, type Vm, type VmOptions } from '../session/vm.js';
import { ringDemo } from './ring-demo.js';
import { formatTrafficReport, parseTrafficArgs } from '../session/traffic.js';
import { renderPcapng, renderTraceJsonLines, renderTraceText, type TraceSource } from '../trace/render.js';
import { flushOrder, type OutputWrite } from '../ethtool/output.js';

// --trace / --trace-json / --pcap: the VMs whose exchange is written when the command is done.
const traced: { name: string; vm: Vm }[] = [];
const tracing = (o: CliOptions) => o.trace || o.traceJson !== undefined || o.pcap !== undefined;
const traceOption = (o: CliOptions): Partial<VmOptions> => (tracing(o) ? { trace: o.traceBoot ? 'boot' : true } : {});
/** Labels what a traced VM records next (the command it runs). */
function tracePhase(vm: Vm, label: string): void {
  if (traced.some((t) => t.vm === vm)) vm.trace().phase(label);
}
function watch(vm: Vm, name: string, o: CliOptions): Vm {
  if (tracing(o)) traced.push({ name, vm });
  return vm;
}
/** Writes the traces; returns false when a file could not be written. */
function writeTraces(o: CliOptions): boolean {
  if (!traced.length) return true;
  const sources: TraceSource[] = traced.map((t) => ({ name: t.name, records: t.vm.trace().records }));
  if (o.trace) process.stderr.write(renderTraceText(sources, o.traceVerbose));
  try {
    if (o.traceJson === '-') process.stderr.write(renderTraceJsonLines(sources));
    else if (o.traceJson !== undefined) writeFileSync(o.traceJson, renderTraceJsonLines(sources));
    if (o.pcap !== undefined) writeFileSync(o.pcap, renderPcapng(sources));
  } catch (e) {
    process.stderr.write(`netvsc-sim: cannot write the trace: ${e instanceof Error ? e.message : String(e)}\n`);
    return false;
  }
  return true;
}

function vmOptions(o: CliOptions, overrides: Partial<VmOptions> = {}): VmOptions {
  return {
    vcpus: o.vcpus,
    host: { queues: o.hostQueues, nvsp: o.nvsp },
    profile: o.profile,
    ethtool: o.ethtool,
    ifname: o.ifname,
    seed: o.seed,
    ...traceOption(o),
    ...overrides,
  };
}

/** The exact transcript line and output of one command, as a terminal shows it (stdout line-buffered, stderr not). */
function transcript(command: string, r: { stdout: string; stderr: string; writes?: readonly OutputWrite[] }): string {
  const shown = r.writes ? flushOrder(r.writes, 'tty').map((w) => w.data).join('') : `${r.stdout}${r.stderr}`;
  return `$ ${command}\n${shown}`;
}

function runSession(vm: Vm, input: string, json: boolean): number {
  const entries: { command: string; stdout: string; stderr: string; status: number }[] = [];
  let status = 0;
  for (const raw of input.split('\n')) {
    const line = raw.replace(/\r$/, '').trim();
    if (!line || line.startsWith('#')) continue;
    let r: { stdout: string; stderr: string; status: number };
    if (/^ethtool(\s|$)/.test(line)) {
      tracePhase(vm, line);
      r = vm.ethtool(line);
    } else if (/^traffic(\s|$)/.test(line)) {
      const t = parseTrafficArgs(line.split(/\s+/).slice(1), false);
      r = t.ok ? { stdout: `${formatTrafficReport(vm.traffic(t.args))}\n`, stderr: '', status: 0 } : { stdout: '', stderr: `netvsc-sim: ${t.message}\n`, status: 2 };
    } else {
      const word = line.split(/\s+/)[0];
      r = { stdout: '', stderr: `netvsc-sim: ${word}: command not found (a session runs ethtool and traffic command lines)\n`, status: 127 };
    }
    status = r.status;
    entries.push({ command: line, stdout: r.stdout, stderr: r.stderr, status: r.status });
    if (!json) process.stdout.write(transcript(line, r));
  }
  // one JSON array, one object per line (the contract): each line of output is one command's object
  if (json) process.stdout.write(entries.length ? `[\n${entries.map((e) => JSON.stringify(e)).join(',\n')}\n]\n` : '[]\n');
  return status;
}

const POSTER_SESSION = [
  'ethtool --show-channels eth0',
  'ethtool --set-channels eth0 combined 1',
  'ethtool --set-channels eth0 combined 1',
  'ethtool --set-channels eth0 combined 0',
  'ethtool --show-channels eth0',
];

function demoPart(title: string, vm: Vm, out: string[]): void {
  out.push(`== ${title}`);
  out.push(`   (${vm.vcpus} vCPUs, host with ${vm.host.config.maxQueues} queues, NVSP 0x${(vm.netvsc?.nvspVersion ?? 0).toString(16)}, ethtool style ${vm.ethtoolStyle})`);
  out.push('');
  for (const cmd of POSTER_SESSION) {
    const before = vm.wire();
    tracePhase(vm, cmd);
    const r = vm.ethtool(cmd);
    out.push(transcript(cmd, r).replace(/\n$/, ''));
    out.push(`   [exit ${r.status}; ${formatWireSummary(vm.wire(before))}]`);
    out.push('');
  }
}

/** The `rx_queue_N_packets` lines of `ethtool -S`. */
function rxQueueLines(stdout: string): string {
  return stdout
    .split('\n')
    .filter((l) => /^ {5}rx_queue_\d+_packets: /.test(l))
    .join('\n');
}

/** Demo end: 1,000 TCP flows spread by RSS over 4 queues, then over 2 after `-L combined 2`. */
function rssDemo(vm: Vm, out: string[]): void {
  const name = vm.ifname;
  out.push('== Watch RSS spread 1,000 flows over 4 queues, then over 2');
  out.push('   (the host hashes each flow with the Toeplitz key and steers it by the indirection table)');
  out.push('');
  for (const combined of [4, 2]) {
    const cmd = `ethtool -L ${name} combined ${combined}`;
    const before = vm.wire();
    const r = vm.ethtool(cmd);
    out.push(transcript(cmd, r).replace(/\n$/, ''));
    out.push(`   [exit ${r.status}; ${formatWireSummary(vm.wire(before))}]`);
    const t = vm.traffic({ flows: 1000, proto: 'tcp', seed: vm.seed });
    out.push(`$ traffic --flows 1000 --proto tcp --seed ${vm.seed}`);
    out.push(formatTrafficReport(t));
    const s = vm.ethtool(`ethtool -S ${name}`);
    out.push(`$ ethtool -S ${name} | grep rx_queue_.*_packets`);
    out.push(rxQueueLines(s.stdout));
    out.push('');
  }
  out.push('- The counters start again at 0 after -L: every channel change is a new netvsc device.');
  out.push('');
}

function demo(o: CliOptions): number {
  const out: string[] = [];
  out.push("The 2015 poster's ethtool session (Microsoft Hyper-V Ethtool Support), replayed through the");
  out.push('simulated netvsc driver, VMBus rings and Hyper-V host. Each command is followed by what crossed');
  out.push('the rings for it.');
  out.push('');
  const base = { vcpus: 4, host: { queues: 64, nvsp: o.nvsp }, ifname: o.ifname, seed: o.seed };
  const old = watch(createVm({ ...base, ...traceOption(o), profile: 'linux-4.2', ethtool: 'legacy' }), 'linux-4.2, ethtool legacy', o);
  demoPart('2015: Linux 4.2 with the vRSS patches, the ethtool of 2015', old, out);
  const nl = watch(createVm({ ...base, ...traceOption(o), profile: 'linux-6.1', ethtool: 'netlink' }), 'linux-6.1, ethtool netlink', o);
  demoPart('Today: Linux 6.1 (Debian 12), ethtool 6.1 over netlink', nl, out);
  const io = watch(createVm({ ...base, ...traceOption(o), profile: 'linux-6.1', ethtool: 'ioctl' }), 'linux-6.1, ethtool ioctl', o);
  demoPart('Today: Linux 6.1, ethtool 6.1 on its ioctl path (a kernel without ethtool netlink)', io, out);
  rssDemo(createVm({ ...base, profile: 'linux-6.1', ethtool: 'netlink' }), out);
  const oldMax = old.getChannels();
  const newMax = nl.getChannels();
  out.push('What changed since 2015:');
  if (typeof oldMax === 'object' && typeof newMax === 'object') {
    out.push(`- The maximum: 2015 reported the host's raw queue count (max_combined ${oldMax.max_combined}); 6.1 reports`);
    out.push(`  min(64, online vCPUs, host queues) (max_combined ${newMax.max_combined}).`);
  }
  out.push('- A count above the maximum was clamped silently in 2015; today the ethtool core refuses it');
  out.push('  (EINVAL, with an extack message over netlink).');
  out.push('- Asking for the current count: the 2015 ethtool printed "no channel parameters changed, aborting"');
  out.push('  and exited 1; ethtool 6.1 says nothing over netlink and exits 0 (the kernel core skips the driver).');
  out.push('- combined 0 is refused either way: by the 2015 driver, by the kernel ethtool core today.');
  out.push('- Every change is a full detach/attach: RNDIS halted, buffers revoked, channels closed, then the');
  out.push('  whole bring-up again (NVSP, buffers, RNDIS queries, NVSP 133 for the subchannels, RSS SET).');
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}

function main(argv: string[]): number {
  const parsed = parseCli(argv);
  if (parsed.kind === 'help') {
    // the usage on stdout, and status 2 as for a bad option: the CLI contract of issue 7 says so
    process.stdout.write(USAGE);
    return 2;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`netvsc-sim: ${parsed.message}\n\n${USAGE}`);
    return 2;
  }
  const { options, command, args } = parsed;
  switch (command) {
    case 'ethtool': {
      const vm = watch(createVm(vmOptions(options)), 'vm', options);
      tracePhase(vm, ['ethtool', ...args].join(' '));
      const r = vm.ethtool(args);
      // in the order glibc lets them out: into a pipe or file (`2>&1`) stdout is held back in blocks,
      // so a failing ioctl `-l` shows its error line before the heading, as real ethtool does
      for (const w of flushOrder(r.writes, process.stdout.isTTY ? 'tty' : 'pipe')) (w.fd === 1 ? process.stdout : process.stderr).write(w.data);
      return writeTraces(options) ? r.status : 1;
    }
    case 'session': {
      const vm = watch(createVm(vmOptions(options)), 'vm', options);
      let input: string;
      try {
        input = readFileSync(0, 'utf8');
      } catch {
        input = '';
      }
      const status = runSession(vm, input, args.includes('--json'));
      return writeTraces(options) ? status : 1;
    }
    case 'traffic': {
      const t = parseTrafficArgs(args);
      if (!t.ok) {
        process.stderr.write(`netvsc-sim: ${t.message}\n`);
        return 2;
      }
      const vm = watch(createVm(vmOptions(options)), 'vm', options);
      tracePhase(vm, ['traffic', ...args].join(' '));
      const report = vm.traffic(t.args);
      process.stdout.write(t.args.json ? JSON.stringify(report, null, 2) + '\n' : formatTrafficReport(report) + '\n');
      return writeTraces(options) ? 0 : 1;
    }
    case 'demo': {
      const status = demo(options);
      return writeTraces(options) ? status : 1;
    }
    case 'ring':
      process.stdout.write(ringDemo());
      return 0;
  }
  return 2;
}

process.exitCode = main(process.argv.slice(2));
