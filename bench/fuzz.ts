/**
 * The `host-control` fuzz target (src/testing/fuzz-targets.ts) end to end: its inputs, each on a
 * world equivalent to a fresh one (restored after every input, rebuilt when the input changed the
 * VMBus side), with the target's own work — framing the records, writing the guest memory they
 * name, polling the host's ring and completing its transfer-page packets, coverage bookkeeping.
 *
 * Inputs: a fixed corpus, the 10,000 inputs (2,000 with `--quick`) of a deterministic campaign
 * (seed 7, a fake clock) as the mutator and the arbitraries produce them. A "hostile message" is a record of
 * an input (a raw VMBus packet, an NVSP message or an RNDIS message fed to
 * `NetvspHost.processPacket`), counted as the target counts them (`FuzzTarget.messages`) — also
 * when an earlier record of the same input had already stopped the channel and the host ignores it.
 *
 * Baseline: the host's bare dispatch of the same records — the same packets, framed beforehand, the
 * same guest-memory writes, one `processPacket` each on the same host put back with `rollback`
 * before every input, the host's ring emptied unread. The
 * ratio is what the target adds to the host's own work: reading the answers and completing them
 * (which the host then processes too), memory restores, rebuilds and coverage bookkeeping.
 * `extras` gives the absolute rates (goal ≥ 200,000 hostile messages/s on one core).
 */
import type { BenchSuite } from './harness.js';
import { HostControlTarget, runFuzzCampaign, fuzzRecords, type FuzzRecord } from '../src/testing/index.js';
import { vmbusPacket } from '../src/vmbus/packet.js';
import { GuestMemory } from '../src/vmbus/memory.js';
import { encodeNvsp, NETVSC_INVALID_INDEX } from '../src/protocol/nvsp.js';

/** Inputs in the corpus (2,000 in a `--quick` smoke run). */
const CORPUS = process.argv.includes('--quick') ? 2_000 : 10_000;

function fakeClock(): () => number {
  let t = 0;
  return () => (t += 0.001);
}

const corpus: Uint8Array[] = [];
runFuzzCampaign(new HostControlTarget(), { seconds: 1e9, maxExecs: CORPUS, seed: 7, now: fakeClock(), beforeExec: (i) => corpus.push(i.slice()) });
const recordsPerInput = corpus.reduce((n, i) => n + fuzzRecords(i).length, 0) / corpus.length;

/** Exposes the target's world (for the baseline) and whether the last input stopped the channel. */
class OpenTarget extends HostControlTarget {
  stopped = false;
  /** Records of the last input that reached a live channel (the one that stopped it included). */
  live = 0;
  /** Probe mode: feed the records one at a time to count {@link live}. */
  probe = false;
  open() {
    return this.current();
  }
  protected override runRecords(w: ReturnType<OpenTarget['open']>, records: FuzzRecord[]): void {
    const fatal = () => Object.keys(w.g.host.counters.fatal).length > 0;
    if (!this.probe) {
      super.runRecords(w, records);
      this.stopped = fatal();
      return;
    }
    this.live = 0;
    this.stopped = false;
    for (const r of records) {
      if (fatal()) break;
      this.live++;
      super.runRecords(w, [r]);
    }
    this.stopped = fatal();
  }
}

// The baseline's world and its pre-framed packets.
const bare = new OpenTarget().open();
const bareHost = bare.g.host;
const ringWords = new Int32Array(bare.ring.buffer, bare.ring.byteOffset, 4);
const gpaPayload = encodeNvsp({ type: 'SEND_RNDIS_PKT', channel_type: 1, send_buf_section_index: NETVSC_INVALID_INDEX, send_buf_section_size: 0 }, { peer: 'linux' });
const pfns = GuestMemory.pfns(bare.scratch);
interface Step {
  readonly packet: Uint8Array;
  readonly write: Uint8Array | null;
  readonly at: number;
  readonly into: 'scratch' | 'send';
}
const steps: Step[][] = corpus.map((input) => {
  let tid = 1n;
  return fuzzRecords(input).map((r): Step => {
    const flags = r.tag & 0x80 ? 1 : 0;
    switch (r.tag & 3) {
      case 0:
        return { packet: r.bytes, write: null, at: 0, into: 'scratch' };
      case 1:
        return { packet: vmbusPacket.encode({ kind: 'inband', flags, trans_id: tid++, payload: r.bytes }), write: null, at: 0, into: 'scratch' };
      case 2: {
        const n = Math.min(r.bytes.length, bare.scratch.bytes.length);
        const ranges = [{ byte_count: n, byte_offset: 0, pfns: pfns.slice(0, Math.max(1, Math.ceil(n / 4096))) }];
        return { packet: vmbusPacket.encode({ kind: 'gpa-direct', flags, trans_id: tid++, ranges, payload: gpaPayload }), write: r.bytes.subarray(0, n), at: 0, into: 'scratch' };
      }
      default: {
        const section = ((r.tag >> 2) & 0x0f) % Math.max(1, Math.floor(bare.send.bytes.length / 6144));
        const n = Math.min(r.bytes.length, 6144);
        const payload = encodeNvsp({ type: 'SEND_RNDIS_PKT', channel_type: 1, send_buf_section_index: section, send_buf_section_size: n }, { peer: 'linux' });
        return { packet: vmbusPacket.encode({ kind: 'inband', flags, trans_id: tid++, payload }), write: r.bytes.subarray(0, n), at: section * 6144, into: 'send' };
      }
    }
  });
});

let bareAt = 0;
/** One input's records through the host's dispatch alone. */
function bareOne(): void {
  const input = steps[bareAt]!;
  bareAt = bareAt === steps.length - 1 ? 0 : bareAt + 1;
  bareHost.rollback(bare.checkpoint);
  for (const s of input) {
    if (s.write) (s.into === 'scratch' ? bare.scratch : bare.send).bytes.set(s.write, s.at);
    bareHost.processPacket(0, s.packet);
  }
  ringWords[1] = ringWords[0]!; // read_index = write_index: the answers are dropped unread
}

const target = new HostControlTarget();
let at = 0;
/** One input through the fuzz target. */
function fuzzOne(): void {
  const input = corpus[at]!;
  at = at === corpus.length - 1 ? 0 : at + 1;
  target.fuzz(input);
}

// warm both up over the whole corpus (the harness's own warm-up stops at 1000 calls)
for (let i = 0; i < 2 * corpus.length; i++) {
  fuzzOne();
  bareOne();
}

export const suite: BenchSuite = {
  name: 'fuzz (host-control target, every input on a restored world)',
  cases: [
    {
      name: `one fuzz input (${recordsPerInput.toFixed(2)} hostile messages on average) through the host-control target`,
      baselineName: 'the host’s bare dispatch of the same records',
      baseline: bareOne,
      subject: fuzzOne,
      goal: { maxRatio: 2 },
    },
  ],
  extras: () => {
    // five trials over the whole corpus; the median is reported (the machine is shared)
    const trials: { execs: number; messages: number }[] = [];
    for (let t = 0; t < 5; t++) {
      const m0 = target.messages;
      const t0 = performance.now();
      for (const input of corpus) target.fuzz(input);
      const s = (performance.now() - t0) / 1000;
      trials.push({ execs: corpus.length / s, messages: (target.messages - m0) / s });
    }
    trials.sort((a, b) => a.messages - b.messages);
    const mid = trials[2]!;
    // the share of inputs whose channel stopped (the host ignores the records after a fatal error)
    let stopped = 0;
    let live = 0;
    let records = 0;
    const probe = new OpenTarget();
    probe.probe = true;
    for (const input of corpus) {
      probe.fuzz(input);
      if (probe.stopped) stopped++;
      live += probe.live;
      records += fuzzRecords(input).length;
    }
    const liveShare = live / records;
    const b0 = target.builds;
    const r0 = target.restores;
    for (const input of corpus) target.fuzz(input);
    const rate = Math.round(mid.messages);
    return {
      'hostile messages per second (absolute, median of 5 passes over the corpus)': `${rate.toLocaleString('en-US')} (goal ≥ 200,000: ${rate >= 200_000 ? 'met' : 'MISSED'})`,
      'inputs (execs) per second': Math.round(mid.execs).toLocaleString('en-US'),
      [`worlds per pass of ${CORPUS.toLocaleString('en-US')} inputs`]: `${target.restores - r0} restored, ${target.builds - b0} rebuilt (an event ran on the bus, or the host took another buffer)`,
      'inputs whose channel stopped (fatal error; later records ignored)': `${((stopped / corpus.length) * 100).toFixed(1)}%`,
      'records that reached a live channel (the stopping one included)': `${(liveShare * 100).toFixed(1)}%, so ${Math.round(mid.messages * liveShare).toLocaleString('en-US')} dispatched hostile messages/s`,
    };
  },
};
