/**
 * `npm run bench`: every suite, each figure a ratio against a baseline measured in the same run.
 * Options: `--quick` (a short smoke run, used by CI: figures only, goals not judged), `--json` (results as JSON on stdout),
 * `--filter TEXT` (suites or cases whose name contains TEXT).
 */
import { formatResult, runCase, type BenchSuite, type CaseResult } from './harness.js';
import { suite as wire } from './wire.js';
import { suite as ring } from './ring.js';
import { suite as rss } from './rss.js';
import { suite as nvsp } from './nvsp.js';
import { suite as rndis } from './rndis.js';
import { suite as bus } from './bus.js';
import { suite as host } from './host.js';
import { suite as guest } from './guest.js';
import { suite as fuzz } from './fuzz.js';

const suites: BenchSuite[] = [wire, ring, rss, nvsp, rndis, bus, host, guest, fuzz];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const json = args.includes('--json');
const fi = args.indexOf('--filter');
const filter = fi >= 0 ? (args[fi + 1] ?? '') : '';

const results: CaseResult[] = [];
const log = (s: string) => (json ? process.stderr.write(s + '\n') : console.log(s));
log(`netvsc-sim benchmarks — node ${process.version}, ${quick ? 'quick smoke run' : 'full run'}; ratios are against baselines measured in this run`);
for (const s of suites) {
  const cases = s.cases.filter((c) => !filter || s.name.includes(filter) || c.name.includes(filter));
  if (!cases.length) continue;
  log(`\n${s.name}`);
  for (const c of cases) {
    // a quick run's 5 ms samples are too short to judge a goal: it reports the figures only
    const r = runCase(s.name, quick ? { ...c, goal: undefined } : c, quick ? { sampleMs: 5, rounds: 3 } : {});
    results.push(r);
    log(formatResult(r));
  }
  if (s.extras) for (const [k, v] of Object.entries(s.extras())) log(`  ${k}: ${v}`);
}
const missed = results.filter((r) => r.goalMet === false);
log(
  quick
    ? `\n${results.length} cases (quick smoke run: goals are judged only in a full run)`
    : `\n${results.length} cases, ${results.filter((r) => r.goalMet).length} goals met, ${missed.length} missed${missed.length ? ': ' + missed.map((r) => r.name).join('; ') : ''}`,
);
if (json) process.stdout.write(JSON.stringify(results, null, 2) + '\n');
