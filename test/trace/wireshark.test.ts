/**
 * docs/wireshark/netvsc.lua run for real: tshark reads a capture of the demo's session (the boot
 * traced too, as `--trace-boot --pcap` writes it) and must show the NVSP subchannel request, the
 * granted count, the RSS parameters and the Ethernet frames inside RNDIS data packets.
 *
 * CI installs Debian's tshark (.ci/run); without tshark the test is skipped with a message.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createVm } from '../../src/session/vm.js';
import { oidName } from '../../src/protocol/oids.js';
import { renderPcapng } from '../../src/trace/index.js';

const lua = fileURLToPath(new URL('../../docs/wireshark/netvsc.lua', import.meta.url));
const probe = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
const haveTshark = probe.status === 0;
if (!haveTshark) {
  console.warn('test/trace/wireshark.test.ts: tshark is not installed — the Wireshark dissector test is skipped (CI installs it: .ci/run)');
}

/** The demo's poster session on today's kernel, with the boot traced. */
const DEMO_COMMANDS = [
  'ethtool --show-channels eth0',
  'ethtool --set-channels eth0 combined 1',
  'ethtool --set-channels eth0 combined 1',
  'ethtool --set-channels eth0 combined 0',
  'ethtool --show-channels eth0',
];

function demoCapture(): Uint8Array {
  const vm = createVm({ vcpus: 4, host: { queues: 64 }, profile: 'linux-6.1', ethtool: 'netlink', trace: 'boot' });
  for (const cmd of DEMO_COMMANDS) {
    vm.trace().phase(cmd);
    vm.ethtool(cmd);
  }
  vm.trace().phase('traffic');
  vm.traffic({ flows: 2 });
  return renderPcapng([{ name: 'linux-6.1, ethtool netlink', records: vm.trace().records }]);
}

describe('the Lua dissector', () => {
  it('names OIDs as src/protocol/oids.ts does', () => {
    const text = readFileSync(lua, 'utf8');
    const entries = [...text.matchAll(/^\s*\[(0x[0-9a-f]{8})\] = "(OID_[A-Z0-9_]+)",$/gm)];
    expect(entries.length).toBeGreaterThan(10);
    for (const [, code, name] of entries) expect(oidName(Number(code))).toBe(name);
  });

  it.skipIf(!haveTshark)('tshark -X lua_script:docs/wireshark/netvsc.lua -V shows the subchannel request, the grant, the RSS parameters and the frames', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netvsc-trace-'));
    try {
      const file = join(dir, 'demo.pcapng');
      writeFileSync(file, demoCapture());
      const r = spawnSync('tshark', ['-X', `lua_script:${lua}`, '-V', '-r', file], { encoding: 'utf8', maxBuffer: 256 << 20, timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/Lua|error/i);
      const out = r.stdout;
      // Decoded by the dissector's fields (the packet comments carry the summaries too: avoid them).
      expect(out).toMatch(/^NVSP SUBCHANNEL\n {4}Message type: SUBCHANNEL \(133\)\n {4}Subchannel operation: ALLOCATE \(1\)\n {4}Subchannels requested: 3$/m);
      expect(out).toMatch(/^NVSP SUBCHANNEL\n {4}Message type: SUBCHANNEL \(133\)\n {4}Status: SUCCESS \(1\)\n {4}Subchannels granted: 3$/m);
      expect(out).toMatch(/^ {4}OID: OID_GEN_RECEIVE_SCALE_PARAMETERS \(0x00010204\)$/m);
      expect(out).toMatch(/^ {4}RSS parameters \(ndis_recv_scale_param\)\n {8}Object type: RSS_PARAMETERS \(0x89\)$/m);
      expect(out).toMatch(/^ {8}Hash information: 0x00001701$/m);
      expect(out).toMatch(/^ {8}Indirection table \(128 entries\)$/m);
      expect(out).toMatch(/^ {8}\[Queues in the indirection table: 4\]$/m); // boot: 4 channels
      expect(out).toMatch(/^ {8}Hash key size: 40$/m);
      expect(out).toMatch(/^ {8}Receive queues: 64$/m); // RSS capabilities of the host
      expect(out).toMatch(/^Ethernet II, Src: /m);
      expect(out).toMatch(/^Internet Protocol Version 4, /m);
      // Summary lines: no undecoded records.
      const summary = spawnSync('tshark', ['-X', `lua_script:${lua}`, '-r', file], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120_000 });
      expect(summary.status).toBe(0);
      const lines = summary.stdout.trimEnd().split('\n');
      expect(lines.length).toBeGreaterThan(100);
      // Every record is dissected (a data packet's protocol column is the frame's, its info ends with ours).
      for (const l of lines) expect(l).toMatch(/ NETVSC \d+ CHANNELMSG [A-Z_]+|ch\d+ relid \d+ [A-Z_]+/);
      expect(lines.filter((l) => / NVSP SEND_RNDIS_PKT RNDIS PACKET len=\d+$/.test(l))).toHaveLength(2);
      expect(summary.stdout).toMatch(/NVSP SUBCHANNEL ALLOCATE num=3\n/);
      expect(summary.stdout).toMatch(/NVSP SUBCHANNEL COMPLETE SUCCESS granted=3\n/);
      expect(summary.stdout).toMatch(/RNDIS SET OID_GEN_RECEIVE_SCALE_PARAMETERS RSS table=128 queues=4 key=40\n/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
