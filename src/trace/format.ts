/**
 * Text and JSON renderings of trace records: one line per message (the layers' names and key
 * fields), optionally with every decoded field and a hex dump; or one JSON object per line.
 *
 * @module
 */
import { hex, type TraceValue } from './decode.js';
import type { TraceRecord } from './tracer.js';

/** Options of {@link formatTrace}. */
export interface FormatTraceOptions {
  /** Add each layer's fields (indented) and a hex dump of the bytes. */
  readonly verbose?: boolean;
}

const arrow = (r: TraceRecord) => (r.direction === 'guest-to-host' ? 'guest→host' : 'host→guest');
const where = (r: TraceRecord) => (r.kind === 'channel-message' ? 'ctl' : `ch${r.channel}`);

/** Virtual time as microseconds with three decimals. */
export function formatTime(ns: number): string {
  return `${(ns / 1000).toFixed(3)}us`;
}

/** The one-line text of a record (no newline). */
export function formatRecordLine(r: TraceRecord): string {
  return `${formatTime(r.time).padStart(14)}  ${arrow(r)}  ${where(r).padEnd(4)} ${r.summary}`;
}

/** A classic hex dump (offset, 16 bytes in hex, ASCII), each line prefixed with `indent`. */
export function hexDump(bytes: Uint8Array, indent = ''): string[] {
  const out: string[] = [];
  for (let o = 0; o < bytes.length; o += 16) {
    const row = bytes.subarray(o, o + 16);
    const h = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const a = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    out.push(`${indent}${o.toString(16).padStart(4, '0')}  ${h.padEnd(47)}  ${a}`);
  }
  return out;
}

function fieldText(v: TraceValue): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** The indented field lines and hex dumps `-v` adds under a record's line. */
export function formatRecordDetail(r: TraceRecord): string[] {
  const out: string[] = [];
  for (const l of r.layers) {
    out.push(`    ${l.layer}:`);
    for (const [k, v] of Object.entries(l.fields)) out.push(`      ${k} = ${fieldText(v)}`);
  }
  out.push(`    bytes (${r.bytes.length}):`);
  out.push(...hexDump(r.bytes, '      '));
  for (const p of r.payloads) {
    out.push(`    ${p.source} (${p.bytes.length}):`);
    out.push(...hexDump(p.bytes, '      '));
  }
  return out;
}

/**
 * The text of a list of records, one line each (`-v`: with details). Without `verbose`, runs of
 * identical consecutive lines (a GPADL's BODY messages) are folded into one with a count.
 */
export function formatTrace(records: readonly TraceRecord[], options: FormatTraceOptions = {}): string {
  const out: string[] = [];
  let phase: string | undefined;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (r.phase !== phase) {
      phase = r.phase;
      if (phase !== undefined) out.push(`# ${phase}`);
    }
    if (options.verbose) {
      out.push(formatRecordLine(r), ...formatRecordDetail(r));
      continue;
    }
    let n = 1;
    while (i + n < records.length && sameLine(records[i + n]!, r)) n++;
    out.push(n > 1 ? `${formatRecordLine(r)}  (×${n})` : formatRecordLine(r));
    i += n - 1;
  }
  return out.length ? out.join('\n') + '\n' : '';
}

function sameLine(a: TraceRecord, b: TraceRecord): boolean {
  return a.summary === b.summary && a.direction === b.direction && a.kind === b.kind && a.channel === b.channel && a.phase === b.phase;
}

/** A record as a JSON-safe object (bytes as hex). */
export function recordToJson(r: TraceRecord): Record<string, TraceValue> {
  return {
    seq: r.seq,
    time: r.time,
    kind: r.kind,
    direction: r.direction,
    relid: r.relid,
    channel: r.channel,
    phase: r.phase ?? null,
    summary: r.summary,
    layers: r.layers.map((l) => ({ layer: l.layer, summary: l.summary, fields: l.fields })),
    bytes: hex(r.bytes),
    payloads: r.payloads.map((p) => ({ source: p.source, bytes: hex(p.bytes) })),
  };
}

/** JSON lines: one object per record, each followed by a newline. */
export function formatTraceJsonLines(records: readonly TraceRecord[]): string {
  return records.map((r) => JSON.stringify(recordToJson(r)) + '\n').join('');
}
