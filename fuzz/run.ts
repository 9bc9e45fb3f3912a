/**
 * `npm run fuzz -- --target T --seconds N --seed S [--json]` and `npm run fuzz -- --replay FILE`.
 *
 * The campaign (src/testing/fuzz-campaign.ts) runs in a worker thread; the main thread prints its
 * progress and keeps a watchdog: the worker copies each input into shared memory before running
 * it (after the inputs that built the world it runs in), so an input that never returns (a
 * JavaScript-level loop, which no event budget can stop) is saved as a hang too, replayable alone.
 * Findings go to `findings/<target>/<kind>-<hash>.bin` with a `.txt` beside.
 * `--target all` runs the targets one after another.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { FUZZ_TARGET_NAMES, createFuzzTarget, replayFuzzInput, runFuzzCampaign, type FuzzFinding, type FuzzProgress } from '../src/testing/index.js';

interface Args {
  target: string;
  seconds: number;
  seed: number;
  replay: string | null;
  out: string;
  json: boolean;
  watchdogSeconds: number;
}

const USAGE = `usage: npm run fuzz -- --target <${FUZZ_TARGET_NAMES.join('|')}|all> [--seconds N] [--seed S] [--out DIR] [--json]
       npm run fuzz -- --replay FILE [--target T]   (target taken from the file's folder otherwise)`;

function parseArgs(argv: string[]): Args {
  const a: Args = { target: '', seconds: 10, seed: 1, replay: null, out: 'findings', json: false, watchdogSeconds: 20 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    const num = (x: string) => {
      const n = Number(x);
      if (!Number.isFinite(n) || n < 0) throw new Error(`${k}: ${x} is not a number`);
      return n;
    };
    if (k === '--target') a.target = v();
    else if (k === '--seconds') a.seconds = num(v());
    else if (k === '--seed') a.seed = num(v());
    else if (k === '--replay') a.replay = v();
    else if (k === '--out') a.out = v();
    else if (k === '--watchdog') a.watchdogSeconds = num(v());
    else if (k === '--json') a.json = true;
    else if (k === '--help' || k === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${k}`);
  }
  if (!a.replay && !a.target) throw new Error('--target is required');
  if (a.target && a.target !== 'all' && !(FUZZ_TARGET_NAMES as readonly string[]).includes(a.target)) throw new Error(`unknown target ${a.target}; targets: ${FUZZ_TARGET_NAMES.join(', ')}`);
  return a;
}

function save(out: string, f: Pick<FuzzFinding, 'target' | 'kind' | 'message' | 'input'> & { stack?: string }): string {
  const dir = join(out, f.target);
  mkdirSync(dir, { recursive: true });
  const hash = createHash('sha1').update(f.input).digest('hex').slice(0, 12);
  const file = join(dir, `${f.kind}-${hash}.bin`);
  writeFileSync(file, f.input);
  writeFileSync(`${file}.txt`, `${f.message}\n\nreplay: npm run fuzz -- --replay ${file}\n\n${f.stack ?? ''}\n`);
  return file;
}

const SHARED_INPUT = 1 << 20;

function worker(): void {
  const { target: name, seconds, seed, shared } = workerData as { target: string; seconds: number; seed: number; shared: SharedArrayBuffer };
  const ctl = new Int32Array(shared, 0, 2); // [0] exec count, [1] input length
  const buf = new Uint8Array(shared, 8, SHARED_INPUT);
  const target = createFuzzTarget(name);
  const copied: Uint8Array[] = [];
  let copiedBytes = 0;
  const r = runFuzzCampaign(target, {
    seconds,
    seed,
    beforeExec: (input) => {
      // the inputs that built the world this one runs in come first, so a hang the watchdog saves
      // replays on a fresh system (copied once each: the history only grows until the next reset)
      const history = target.history();
      if (history.length < copied.length || copied.some((h, i) => history[i] !== h)) {
        copied.length = 0;
        copiedBytes = 0;
      }
      for (let i = copied.length; i < history.length; i++) {
        const h = history[i]!;
        copied.push(h);
        if (copiedBytes + h.length > SHARED_INPUT) {
          copiedBytes = SHARED_INPUT; // full: the rest of the history and the input are left out
          continue;
        }
        buf.set(h, copiedBytes);
        copiedBytes += h.length;
      }
      const at = Math.min(copiedBytes, SHARED_INPUT);
      const n = at + Math.min(input.length, SHARED_INPUT - at);
      buf.set(input.subarray(0, n - at), at);
      Atomics.store(ctl, 1, n);
      Atomics.add(ctl, 0, 1);
    },
    onProgress: (p) => parentPort!.postMessage({ type: 'progress', p }),
    onFinding: (f) => parentPort!.postMessage({ type: 'finding', f }),
  });
  parentPort!.postMessage({ type: 'done', r: { ...r, findingList: undefined } });
}

function line(p: FuzzProgress): string {
  return `[${p.target}] ${p.seconds.toFixed(1)}s  execs ${p.execs} (${Math.round(p.execsPerSecond)}/s)  messages ${p.messages} (${Math.round(p.messagesPerSecond)}/s)  kinds ${p.kinds}  corpus ${p.corpus}  findings ${p.findings}`;
}

function campaign(args: Args, name: string): Promise<{ progress: FuzzProgress | null; findings: string[]; kinds: readonly string[] }> {
  return new Promise((resolve, reject) => {
    const shared = new SharedArrayBuffer(8 + SHARED_INPUT);
    const ctl = new Int32Array(shared, 0, 2);
    const w = new Worker(fileURLToPath(import.meta.url), { workerData: { target: name, seconds: args.seconds, seed: args.seed, shared } });
    const files: string[] = [];
    let last: FuzzProgress | null = null;
    let lastCount = -1;
    let stalled = 0;
    const dog = setInterval(() => {
      const c = Atomics.load(ctl, 0);
      if (c !== lastCount) {
        lastCount = c;
        stalled = 0;
        return;
      }
      if (++stalled < args.watchdogSeconds) return;
      clearInterval(dog);
      const n = Atomics.load(ctl, 1);
      const input = new Uint8Array(shared, 8, n).slice();
      const file = save(args.out, { target: name, kind: 'hang', message: `FuzzHangError: input did not return within ${args.watchdogSeconds} s (a loop no event budget stops); not minimized`, input });
      files.push(file);
      console.error(`[${name}] hang: saved ${file}`);
      void w.terminate().then(() => resolve({ progress: last, findings: files, kinds: [] }));
    }, 1000);
    w.on('message', (m: { type: string; p?: FuzzProgress; f?: FuzzFinding; r?: FuzzProgress & { kindList: string[] } }) => {
      if (m.type === 'progress') {
        last = m.p!;
        if (!args.json) console.error(line(last));
      } else if (m.type === 'finding') {
        const file = save(args.out, m.f!);
        files.push(file);
        console.error(`[${name}] ${m.f!.kind}: ${m.f!.message.split('\n')[0]} → ${file} (${m.f!.input.length} bytes, from ${m.f!.originalLength})`);
      } else if (m.type === 'done') {
        clearInterval(dog);
        last = m.r!;
        resolve({ progress: last, findings: files, kinds: m.r!.kindList });
      }
    });
    w.on('error', (e) => {
      clearInterval(dog);
      reject(e);
    });
  });
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`fuzz: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.replay) {
    const name = args.target || basename(dirname(args.replay));
    let input: Uint8Array;
    try {
      input = readFileSync(args.replay);
    } catch (e) {
      console.error(`fuzz: cannot read ${args.replay}: ${(e as Error).message}`);
      return 2;
    }
    const target = createFuzzTarget(name);
    const err = replayFuzzInput(target, input);
    if (args.json) console.log(JSON.stringify({ target: name, file: args.replay, ok: !err, error: err ? `${err.name}: ${err.message}` : null }));
    else console.log(err ? `${name}: FAILS: ${err.name}: ${err.message}\n${err.stack ?? ''}` : `${name}: passes (${input.length} bytes)`);
    return err ? 1 : 0;
  }
  const names = args.target === 'all' ? [...FUZZ_TARGET_NAMES] : [args.target];
  const results = [];
  for (const n of names) {
    const r = await campaign(args, n);
    results.push({ target: n, ...(r.progress ?? {}), findings: r.findings, kinds: r.kinds });
    if (!args.json && r.progress) console.log(`${line(r.progress)}\n  message kinds seen: ${r.kinds.length}${r.findings.length ? `\n  findings: ${r.findings.join(', ')}` : ''}`);
  }
  if (args.json) console.log(JSON.stringify(results, null, 2));
  return results.some((r) => r.findings.length) ? 1 : 0;
}

if (isMainThread) main().then((c) => process.exit(c), (e) => {
  console.error(e);
  process.exit(2);
});
else worker();
