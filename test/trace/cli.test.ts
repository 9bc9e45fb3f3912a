/**
 * The command line's trace options: parsing (cli-args.ts), and the built CLI (`npm test` builds
 * dist/ first; NETVSC_SIM_BIN may point at another build) printing `--trace` to stderr, writing
 * `--trace-json` and `--pcap` files.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCli } from '../../src/bin/cli-args.js';

const bin = process.env.NETVSC_SIM_BIN ?? fileURLToPath(new URL('../../dist/bin/netvsc-sim.js', import.meta.url));
const built = existsSync(bin) && existsSync(join(bin, '..', '..', 'trace', 'render.js'));
if (!built) console.warn(`test/trace/cli.test.ts: ${bin} has no trace support built — run npm run build (npm test does); the CLI runs are skipped`);
const run = (args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
};

describe('trace options', () => {
  it('parse: --trace, -v, --trace-json [FILE], --trace-boot, --pcap FILE', () => {
    const p = parseCli(['--trace', '-v', '--trace-json', '--pcap', 'x.pcapng', 'ethtool', '-l', 'eth0']);
    expect(p).toMatchObject({ kind: 'run', command: 'ethtool', args: ['-l', 'eth0'], options: { trace: true, traceVerbose: true, traceJson: '-', pcap: 'x.pcapng', traceBoot: false } });
    expect(parseCli(['--trace-json', 'out.jsonl', 'demo'])).toMatchObject({ kind: 'run', command: 'demo', options: { traceJson: 'out.jsonl' } });
    expect(parseCli(['--trace-json=out.jsonl', '--trace-boot', 'demo'])).toMatchObject({ kind: 'run', options: { traceJson: 'out.jsonl', traceBoot: true } });
    expect(parseCli(['--trace-json', 'session'])).toMatchObject({ kind: 'run', command: 'session', options: { traceJson: '-' } });
    expect(parseCli(['-v', 'demo'])).toEqual({ kind: 'error', message: 'option -v needs --trace' });
    expect(parseCli(['--pcap'])).toEqual({ kind: 'error', message: 'option --pcap needs a file name' });
    expect(parseCli(['--trace', 'ring'])).toMatchObject({ kind: 'error' });
    expect(parseCli(['ethtool', '-l', 'eth0'])).toMatchObject({ options: { trace: false, traceJson: undefined, pcap: undefined } });
  });

  it.skipIf(!built)('--trace ethtool -L eth0 combined 2 prints the exchange on stderr, stdout unchanged', () => {
    const plain = run(['ethtool', '-L', 'eth0', 'combined', '2']);
    const r = run(['--trace', 'ethtool', '-L', 'eth0', 'combined', '2']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(plain.stdout);
    expect(r.stderr).toMatch(/^# ethtool -L eth0 combined 2\n/);
    expect(r.stderr).toMatch(/guest→host {2}ch0 {2}VMBUS INBAND tid=\d+ rc \| NVSP SUBCHANNEL ALLOCATE num=1\n/);
    expect(r.stderr).toMatch(/host→guest {2}ch0 {2}VMBUS COMP tid=\d+ \| NVSP SUBCHANNEL COMPLETE status=SUCCESS num=1\n/);
    expect(r.stderr).toMatch(/RNDIS SET OID_GEN_RECEIVE_SCALE_PARAMETERS req=\d+ info=592 \| OID RSS .* queues=2 key=40\n/);
    expect(r.stderr).not.toMatch(/INITIATE_CONTACT/); // the boot is not traced
    const v = run(['--trace', '-v', 'ethtool', '-l', 'eth0']);
    expect(v.status).toBe(0);
  });

  it.skipIf(!built)('--trace-boot marks the boot; -v adds fields and hex; --trace-json and --pcap write files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netvsc-cli-'));
    try {
      const json = join(dir, 't.jsonl');
      const pcap = join(dir, 't.pcapng');
      const r = run(['--trace', '-v', '--trace-boot', '--trace-json', json, '--pcap', pcap, 'ethtool', '-L', 'eth0', 'combined', '2']);
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(/^# boot\n +\d+\.\d{3}us {2}guest→host {2}ctl {2}CHANNELMSG INITIATE_CONTACT\n {4}CHANNELMSG:\n/);
      expect(r.stderr).toMatch(/\n# ethtool -L eth0 combined 2\n/);
      expect(r.stderr).toMatch(/\n {4}bytes \(\d+\):\n {6}0000 {2}/);
      const lines = readFileSync(json, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { phase: string | null; summary: string });
      expect(lines[0]!.phase).toBe('boot');
      expect(lines.some((l) => l.phase === 'ethtool -L eth0 combined 2' && l.summary.endsWith('NVSP SUBCHANNEL ALLOCATE num=1'))).toBe(true);
      const file = readFileSync(pcap);
      expect(file.readUInt32LE(0)).toBe(0x0a0d0d0a);
      const toStderr = run(['--trace-json', 'ethtool', '-L', 'eth0', 'combined', '1']);
      const jsonLines = toStderr.stderr.trimEnd().split('\n');
      expect(jsonLines.length).toBeGreaterThan(10);
      for (const l of jsonLines) expect(() => JSON.parse(l)).not.toThrow();
      const bad = run(['--pcap', join(dir, 'no', 'such', 'dir', 'x.pcapng'), 'ethtool', '-l', 'eth0']);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/^netvsc-sim: cannot write the trace: /m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!built)('--pcap FILE demo writes one capture of the three VMs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netvsc-cli-'));
    try {
      const pcap = join(dir, 'demo.pcapng');
      const r = run(['--trace-boot', '--pcap', pcap, 'demo']);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(run(['demo']).stdout);
      const names = [...readFileSync(pcap).toString('latin1').matchAll(/vm(\d)-relid1-ch0/g)].map((m) => m[1]);
      expect(new Set(names)).toEqual(new Set(['1', '2', '3', ...(names.includes('4') ? ['4'] : [])]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
