/**
 * A small benchmark harness that reports every figure as a ratio against a baseline measured in the
 * same run, interleaved with it, because these machines are noisy. Nothing here fails a run: goals
 * are printed as met or missed.
 */
export interface BenchCase {
  name: string;
  /** The reference operation (for example `Uint8Array.set` of the same bytes, a hand-written DataView codec). */
  baseline: () => unknown;
  /** The operation under test. */
  subject: () => unknown;
  /** Goal on the time ratio subject/baseline (`maxRatio`) or its inverse, the speed ratio (`minRatio`). */
  goal?: { maxRatio?: number; minRatio?: number };
  /** Bytes moved per operation, to print a bandwidth. */
  bytes?: number;
  /** Short label of the baseline for the report. */
  baselineName?: string;
  /** Warm-up of the subject in ms (default: five samples' worth); code with many paths needs longer before the JIT settles. */
  warmUpMs?: number;
}

export interface BenchSuite {
  name: string;
  cases: BenchCase[];
  /** Extra figures a suite measures itself (heap, counts), printed after its cases. */
  extras?: () => Record<string, string | number>;
}

export interface CaseResult {
  suite: string;
  name: string;
  baselineName: string;
  baselineNsPerOp: number;
  subjectNsPerOp: number;
  /** subject time / baseline time (lower is better). */
  timeRatio: number;
  /** baseline time / subject time: "0.6× the baseline's speed". */
  speedRatio: number;
  subjectOpsPerSec: number;
  subjectMBps?: number;
  baselineMBps?: number;
  goal?: string;
  goalMet?: boolean;
}

let sink: unknown;

function timeLoop(fn: () => unknown, iterations: number): number {
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) sink = fn();
  return performance.now() - t0;
}

function warmUp(fn: () => unknown, budgetMs: number): void {
  const t0 = performance.now();
  for (let i = 0; i < Math.max(1000, budgetMs) && performance.now() - t0 < budgetMs; i++) sink = fn();
}

/** Iterations that take about `targetMs`. */
function calibrate(fn: () => unknown, targetMs: number): number {
  let n = 1;
  for (;;) {
    const ms = timeLoop(fn, n);
    if (ms >= targetMs / 4 || n >= 1 << 26) return Math.max(1, Math.round((n * targetMs) / Math.max(ms, 0.001)));
    n *= 4;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface RunOptions {
  /** Milliseconds per sample (default 40). */
  sampleMs?: number;
  /** Interleaved samples of each side (default 7). */
  rounds?: number;
}

export function runCase(suite: string, c: BenchCase, opts: RunOptions = {}): CaseResult {
  const sampleMs = opts.sampleMs ?? 40;
  const rounds = opts.rounds ?? 7;
  // warm up both sides so the JIT has settled before anything counts: up to 1000 calls or about
  // five samples' worth of time, whichever comes first (some cases allocate megabytes per call)
  warmUp(c.baseline, sampleMs * 5);
  warmUp(c.subject, c.warmUpMs ?? sampleMs * 5);
  const nb = calibrate(c.baseline, sampleMs);
  const ns = calibrate(c.subject, sampleMs);
  const b: number[] = [];
  const s: number[] = [];
  for (let r = 0; r < rounds; r++) {
    b.push((timeLoop(c.baseline, nb) * 1e6) / nb);
    s.push((timeLoop(c.subject, ns) * 1e6) / ns);
  }
  const baselineNsPerOp = median(b);
  const subjectNsPerOp = median(s);
  const timeRatio = subjectNsPerOp / baselineNsPerOp;
  const speedRatio = baselineNsPerOp / subjectNsPerOp;
  const res: CaseResult = {
    suite,
    name: c.name,
    baselineName: c.baselineName ?? 'baseline',
    baselineNsPerOp,
    subjectNsPerOp,
    timeRatio,
    speedRatio,
    subjectOpsPerSec: 1e9 / subjectNsPerOp,
  };
  if (c.bytes) {
    res.subjectMBps = (c.bytes / subjectNsPerOp) * 1e3;
    res.baselineMBps = (c.bytes / baselineNsPerOp) * 1e3;
  }
  if (c.goal) {
    const parts: string[] = [];
    let met = true;
    if (c.goal.maxRatio !== undefined) {
      parts.push(`time ≤ ${c.goal.maxRatio}× baseline`);
      met &&= timeRatio <= c.goal.maxRatio;
    }
    if (c.goal.minRatio !== undefined) {
      parts.push(`speed ≥ ${c.goal.minRatio}× baseline`);
      met &&= speedRatio >= c.goal.minRatio;
    }
    res.goal = parts.join(', ');
    res.goalMet = met;
  }
  return res;
}

export function formatResult(r: CaseResult): string {
  const fmtNs = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} µs` : `${x.toFixed(1)} ns`);
  let line = `  ${r.name}\n    subject ${fmtNs(r.subjectNsPerOp)}/op (${Math.round(r.subjectOpsPerSec).toLocaleString('en-US')}/s)`;
  line += `, ${r.baselineName} ${fmtNs(r.baselineNsPerOp)}/op → time ratio ${r.timeRatio.toFixed(2)}× (speed ${r.speedRatio.toFixed(2)}× the baseline)`;
  if (r.subjectMBps !== undefined) line += `\n    bandwidth ${r.subjectMBps.toFixed(0)} MB/s vs ${r.baselineMBps!.toFixed(0)} MB/s`;
  if (r.goal) line += `\n    goal: ${r.goal} — ${r.goalMet ? 'met' : 'MISSED'}`;
  return line;
}

/** Keeps results observable so the JIT cannot drop the measured work. */
export function consume(): unknown {
  return sink;
}
