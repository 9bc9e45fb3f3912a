/**
 * What the command line writes for `--trace`, `--trace-json` and `--pcap`, for the traces of one
 * or more VMs (the demo runs three). Pure: the caller writes the strings and bytes.
 *
 * @module
 */
import { formatTrace, recordToJson } from './format.js';
import { toPcapngSources } from './pcapng.js';
import type { TraceRecord } from './tracer.js';

/** The records of one VM, with a name for headings, JSON and pcapng interface names. */
export interface TraceSource {
  /** The VM's name, shown only when there are several sources: the `## name` heading of the text and the `vm` member of each JSON line (pcapng names interfaces `vm1`, `vm2`… by position instead). */
  readonly name: string;
  /** The VM's records in recording order (e.g. {@link Tracer.records}). */
  readonly records: readonly TraceRecord[];
}

/** `--trace` text: each VM's records (a `## name` heading when there are several). */
export function renderTraceText(sources: readonly TraceSource[], verbose = false): string {
  return sources
    .map((s) => (sources.length > 1 ? `## ${s.name}\n` : '') + formatTrace(s.records, { verbose }))
    .join('');
}

/** `--trace-json` lines: one object per record, with a `vm` member when there are several VMs. */
export function renderTraceJsonLines(sources: readonly TraceSource[]): string {
  return sources
    .flatMap((s) => s.records.map((r) => JSON.stringify(sources.length > 1 ? { vm: s.name, ...recordToJson(r) } : recordToJson(r)) + '\n'))
    .join('');
}

/** `--pcap` bytes. */
export function renderPcapng(sources: readonly TraceSource[]): Uint8Array {
  return toPcapngSources(sources.map((s, i) => ({ name: sources.length > 1 ? `vm${i + 1}` : 'vmbus', records: s.records })));
}
