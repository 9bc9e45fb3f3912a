#!/usr/bin/env node
/**
 * The `netvsc-sim` command line. See `netvsc-sim --help` and cli-args.ts for the contract.
 */
import { readFileSync } from 'node:fs';
import { parseCli, USAGE, type CliOptions } from './cli-args.js';
import { createVm, formatWireSummary, type Vm, type VmOptions } from '../session/vm.js';
import { ringDemo } from './ring-demo.js';

function vmOptions(o: CliOptions, overrides: Partial<VmOptions> = {}): VmOptions {
  return {
    vcpus: o.vcpus,
    host: { queues: o.hostQueues, nvsp: o.nvsp },
    profile: o.profile,
    ethtool: o.ethtool,
    ifname: o.ifname,
    seed: o.seed,
    ...overrides,
  };
}

/** The exact transcript line and output of one command, as a terminal shows it. */
function transcript(command: string, r: { stdout: string; stderr: string }): string {
  return `$ ${command}\n${r.stdout}${r.stderr}`;
}

function runSession(vm: Vm, input: string, json: boolean): number {
  const entries: { command: string; stdout: string; stderr: string; status: number }[] = [];
  let status = 0;
  for (const raw of input.split('\n')) {
    const line = raw.replace(/\r$/, '').trim();
    if (!line || line.startsWith('#')) continue;
    let r: { stdout: string; stderr: string; status: number };
    if (/^ethtool(\s|$)/.test(line)) {
      r = vm.ethtool(line);
    } else {
      const word = line.split(/\s+/)[0];
      r = { stdout: '', stderr: `netvsc-sim: ${word}: command not found (a session runs ethtool command lines)\n`, status: 127 };
    }
    status = r.status;
    entries.push({ command: line, stdout: r.stdout, stderr: r.stderr, status: r.status });
    if (!json) process.stdout.write(transcript(line, r));
  }
  if (json) process.stdout.write(JSON.stringify(entries, null, 2) + '\n');
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
    const r = vm.ethtool(cmd);
    out.push(transcript(cmd, r).replace(/\n$/, ''));
    out.push(`   [exit ${r.status}; ${formatWireSummary(vm.wire(before))}]`);
    out.push('');
  }
}

function demo(o: CliOptions): number {
  const out: string[] = [];
  out.push("The 2015 poster's ethtool session (Microsoft Hyper-V Ethtool Support), replayed through the");
  out.push('simulated netvsc driver, VMBus rings and Hyper-V host. Each command is followed by what crossed');
  out.push('the rings for it.');
  out.push('');
  const base = { vcpus: 4, host: { queues: 64, nvsp: o.nvsp }, ifname: o.ifname, seed: o.seed };
  const old = createVm({ ...base, profile: 'linux-4.2', ethtool: 'legacy' });
  demoPart('2015: Linux 4.2 with the vRSS patches, the ethtool of 2015', old, out);
  const nl = createVm({ ...base, profile: 'linux-6.1', ethtool: 'netlink' });
  demoPart('Today: Linux 6.1 (Debian 12), ethtool 6.1 over netlink', nl, out);
  const io = createVm({ ...base, profile: 'linux-6.1', ethtool: 'ioctl' });
  demoPart('Today: Linux 6.1, ethtool 6.1 on its ioctl path (a kernel without ethtool netlink)', io, out);
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
    process.stdout.write(USAGE);
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`netvsc-sim: ${parsed.message}\n\n${USAGE}`);
    return 2;
  }
  const { options, command, args } = parsed;
  switch (command) {
    case 'ethtool': {
      const vm = createVm(vmOptions(options));
      const r = vm.ethtool(args);
      process.stdout.write(r.stdout);
      process.stderr.write(r.stderr);
      return r.status;
    }
    case 'session': {
      const vm = createVm(vmOptions(options));
      let input: string;
      try {
        input = readFileSync(0, 'utf8');
      } catch {
        input = '';
      }
      return runSession(vm, input, args.includes('--json'));
    }
    case 'demo':
      return demo(options);
    case 'ring':
      process.stdout.write(ringDemo());
      return 0;
  }
  return 2;
}

process.exitCode = main(process.argv.slice(2));
