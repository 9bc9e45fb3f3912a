/**
 * Rules of the house that the compiler does not check: the library core runs in browsers (no Node
 * modules outside src/bin), lower floors never import higher ones, and the package's exports map
 * resolves to built files with types.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const src = join(root, 'src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}
const imports = (file: string) =>
  [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);

/** Floor numbers from ARCHITECTURE.md; trace/ and testing/ sit beside the stack and may use any floor below bin. */
const FLOOR: Record<string, number> = { wire: 1, vmbus: 2, protocol: 3, rss: 4, guest: 5, host: 5, sim: 6, ethtool: 7, trace: 7.5, testing: 7.5, session: 7.5, bin: 8 };

describe('floors', () => {
  const all = files(src);
  it('nothing under src/ except src/bin imports a Node-only module', () => {
    const offenders = all
      .filter((f) => !relative(src, f).startsWith('bin/'))
      .flatMap((f) => imports(f).filter((i) => i.startsWith('node:') || ['fs', 'path', 'net', 'os', 'child_process', 'worker_threads'].includes(i)).map((i) => `${relative(root, f)} → ${i}`));
    expect(offenders).toEqual([]);
  });

  it('a lower floor never imports a higher one; guest and host never import each other', () => {
    const offenders: string[] = [];
    for (const f of all) {
      const rel = relative(src, f).split('/');
      if (rel.length < 2) continue;
      const mine = rel[0]!;
      for (const i of imports(f).filter((x) => x.startsWith('.'))) {
        const target = relative(src, join(f, '..', i)).split('/')[0]!;
        if (!(target in FLOOR) || target === mine) continue;
        if (FLOOR[target]! > FLOOR[mine]! || (mine === 'guest' && target === 'host') || (mine === 'host' && target === 'guest')) {
          offenders.push(`${relative(root, f)} → ${i}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });
});

describe('package', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  it('is an ESM package with an exports map for . and ./testing, each with types, side-effect free', () => {
    expect(pkg.type).toBe('module');
    expect(pkg.sideEffects).toBe(false);
    for (const entry of ['.', './testing']) {
      expect(pkg.exports[entry].types).toMatch(/\.d\.ts$/);
      expect(pkg.exports[entry].import).toMatch(/\.js$/);
    }
    expect(pkg.scripts.prepare).toContain('build');
  });

  it('the exports map resolves to built files that load (npm test builds first)', async () => {
    for (const entry of ['.', './testing']) {
      for (const kind of ['types', 'import']) expect(existsSync(join(root, pkg.exports[entry][kind])), `${entry} ${kind}`).toBe(true);
    }
    const main = await import('netvsc-sim');
    const testing = await import('netvsc-sim/testing');
    expect(typeof main.struct).toBe('function');
    expect(typeof main.RingProducer).toBe('function');
    expect(typeof testing.checkRoundTrip).toBe('function');
  });
});
