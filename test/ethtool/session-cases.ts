/**
 * The ethtool session fixtures (fixtures/ethtool/rxfh-6.1.json, rxfh-4.2.json, stats-6.1.json):
 * each case runs its commands on a fresh VM and records what the last one prints. Shared by the
 * `-x`/`-X` and `-S` tests.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { Vm } from '../../src/session/vm.js';

/** One recorded case: the commands, in order, and the last one's output and status. */
export interface SessionCase {
  name: string;
  vcpus: number;
  commands: string[];
  stdout: string;
  stderr: string;
  status: number;
}

/** The cases of `fixtures/ethtool/<file>`. */
export function sessionCases<C extends SessionCase = SessionCase>(file: string): C[] {
  return (JSON.parse(readFileSync(new URL(`../../fixtures/ethtool/${file}`, import.meta.url), 'utf8')) as { cases: C[] }).cases;
}

/** Runs `commands` on `vm`, each but the last required to succeed silently; returns the last result. */
function runAll(vm: Vm, commands: readonly string[]): ReturnType<Vm['ethtool']> {
  let last = vm.ethtool(commands[0]!);
  for (const c of commands.slice(1)) {
    expect({ c, status: last.status, stderr: last.stderr }).toEqual({ c, status: 0, stderr: '' });
    last = vm.ethtool(c);
  }
  return last;
}

/** Runs case `c` on `vm` and expects the last command's stdout, stderr and status byte for byte. */
export function replayCase(vm: Vm, c: SessionCase): void {
  const r = runAll(vm, c.commands);
  expect({ stdout: r.stdout, stderr: r.stderr, status: r.status }).toEqual({ stdout: c.stdout, stderr: c.stderr, status: c.status });
}
