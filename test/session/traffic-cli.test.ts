/**
 * `netvsc-sim traffic` and `traffic …` session lines, run as a user runs them (the built
 * dist/bin/netvsc-sim.js; `npm test` builds first).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../dist/bin/netvsc-sim.js', import.meta.url));
const run = (args: string[], input = '') => {
  const r = spawnSync(process.execPath, [bin, ...args], { input, encoding: 'utf8', timeout: 60_000 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
};

describe('netvsc-sim traffic', () => {
  it('prints one report line; --json the report; the same seed gives the same spread', () => {
    const r = run(['traffic', '--flows', '300', '--proto', 'udp', '--seed', '5']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^traffic: 300 udp flows \(seed 5\): 300 delivered; per channel 0:\d+ 1:\d+ 2:\d+ 3:\d+\n$/);
    const j = JSON.parse(run(['traffic', '--flows', '300', '--proto', 'udp', '--seed', '5', '--json']).stdout) as { perChannel: number[]; delivered: number };
    expect(j.delivered).toBe(300);
    expect(r.stdout).toContain(`per channel ${j.perChannel.map((n, i) => `${i}:${n}`).join(' ')}\n`);
  });

  it('bad options: exit 2 with the message and the usage', () => {
    const r = run(['traffic', '--proto', 'sctp']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^netvsc-sim: traffic: option --proto: 'sctp' is not tcp or udp\n/);
  });

  it('session: traffic lines between ethtool lines; -S shows the spread the table made', () => {
    const input = 'ethtool -X eth0 weight 1 0 0 1\ntraffic --flows 200 --seed 3\nethtool -S eth0\ntraffic --json\n';
    const r = run(['session', '--json'], input);
    const entries = JSON.parse(r.stdout) as { command: string; stdout: string; stderr: string; status: number }[];
    expect(entries.map((e) => [e.command, e.status])).toEqual([
      ['ethtool -X eth0 weight 1 0 0 1', 0],
      ['traffic --flows 200 --seed 3', 0],
      ['ethtool -S eth0', 0],
      ['traffic --json', 2],
    ]);
    const m = /per channel 0:(\d+) 1:0 2:0 3:(\d+)/.exec(entries[1]!.stdout);
    expect(m).not.toBeNull();
    expect(entries[2]!.stdout).toContain(`     rx_queue_0_packets: ${m![1]}\n`);
    expect(entries[2]!.stdout).toContain('     rx_queue_1_packets: 0\n');
    expect(entries[2]!.stdout).toContain(`     rx_queue_3_packets: ${m![2]}\n`);
    expect(entries[3]!.stderr).toBe("netvsc-sim: traffic: unknown option '--json'\n");
    expect(r.status).toBe(2);
  });

  it('demo shows the RSS spread over 4 queues, then 2, before its closing note', () => {
    const r = run(['demo']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('== Watch RSS spread 1,000 flows over 4 queues, then over 2');
    expect(r.stdout).toMatch(/\$ ethtool -L eth0 combined 2\n   \[exit 0; wire: [^\n]+\]\n\$ traffic --flows 1000 --proto tcp --seed 1\ntraffic: 1000 tcp flows \(seed 1\): 1000 delivered; per channel 0:\d+ 1:\d+\n/);
    expect(r.stdout).toContain('     rx_queue_3_packets: ');
  });
});
