/**
 * What the simulated host saw and did: an event log (bounded) and counters (always kept), for tests,
 * traces and the command line. Names are the kernel's constant names where there is one
 * (`NVSP_MSG5_TYPE_SUBCHANNEL`, `RNDIS_MSG_QUERY`, `OID_GEN_RECEIVE_SCALE_PARAMETERS`) and
 * openvmm's error names, upper-cased, for refusals (`INVALID_RNDIS_PACKET_COMPLETION`).
 *
 * @module
 */

/** Kinds of {@link NetvspEvent}. */
export type NetvspEventKind =
  /** An NVSP message from the guest (`name` = its type). */
  | 'nvsp-in'
  /** An NVSP message or completion the host sent. */
  | 'nvsp-out'
  /** An RNDIS message from the guest (`detail` = OID name for QUERY/SET). */
  | 'rndis-in'
  /** An RNDIS message the host put in the receive buffer. */
  | 'rndis-out'
  /** A guest message refused with a failure status or dropped (`name` = reason). */
  | 'reject'
  /** A channel-fatal error: the host stops servicing the channel until it is closed (`name` = reason). */
  | 'fatal'
  /** Channel open, close, offer, rescind. */
  | 'vmbus'
  /** Subchannel request, answer and offers. */
  | 'subchannel'
  /** RSS parameters accepted, disabled or refused. */
  | 'rss'
  /** Link state or speed indications. */
  | 'link'
  /** An inbound frame delivered or dropped (`name` = `'delivered'` or the drop reason). */
  | 'rx'
  /** A frame the guest transmitted. */
  | 'tx'
  /** An injected fault took effect. */
  | 'fault';

/** One entry of the host's event log. */
export interface NetvspEvent {
  /** Virtual time (ns). */
  readonly time: number;
  /** Subchannel index of the channel concerned (0 = primary), or -1 for the device. */
  readonly channel: number;
  /** What sort of event it is; decides what {@link name} holds. */
  readonly kind: NetvspEventKind;
  /** The message type name (`NVSP_MSG5_TYPE_SUBCHANNEL`, `RNDIS_MSG_QUERY`), the reason of a refusal, drop or fault, or the action (`open`, `enabled`, `up`). */
  readonly name: string;
  /** NVSP or RNDIS status, when there is one. */
  readonly status?: number;
  /** Free text for humans: an OID name, a version, a frame size, a hash and queue, a table. */
  readonly detail?: string;
}

/** Per-queue (per-channel) traffic. */
export interface NetvspQueueCounters {
  /** Frames delivered to the guest on this channel. */
  rx: number;
  /** Frames the guest transmitted on this channel. */
  tx: number;
  /** Frames meant for this channel and dropped. */
  rxDropped: number;
}

/** Counters of everything the host did (never bounded). */
export interface NetvspCounters {
  /** NVSP messages received, by type name (completions from the guest under `NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE`). */
  readonly nvspIn: Record<string, number>;
  /** NVSP messages and completions sent, by type name (empty completions under `EMPTY_COMPLETION`). */
  readonly nvspOut: Record<string, number>;
  /** RNDIS messages received, by type name. */
  readonly rndisIn: Record<string, number>;
  /** RNDIS messages sent, by type name. */
  readonly rndisOut: Record<string, number>;
  /** QUERY/SET requests, by OID name. */
  readonly oids: Record<string, number>;
  /** Refusals and drops of guest messages, by reason. */
  readonly rejects: Record<string, number>;
  /** Channel-fatal errors, by reason. */
  readonly fatal: Record<string, number>;
  /** Inbound frames dropped, by reason. */
  readonly rxDropped: Record<string, number>;
  /** Inbound frames delivered on the primary because the queue the table named has no open channel. */
  rxSteeredToPrimary: number;
  /** The subchannel exchange (NVSP 133 ALLOCATE, its completion, the offers and opens). */
  readonly subchannel: {
    /** NVSP 133 requests received. */
    requests: number;
    /** Subchannels asked for, summed over requests. */
    requested: number;
    /** Subchannels granted, summed over completions. */
    granted: number;
    /** Subchannel offers made. */
    offered: number;
    /** Subchannel opens accepted. */
    opened: number;
  };
  /** Indexed by subchannel index. */
  readonly queues: NetvspQueueCounters[];
}

/** A fresh set of counters. */
export function newNetvspCounters(): NetvspCounters {
  return {
    nvspIn: {},
    nvspOut: {},
    rndisIn: {},
    rndisOut: {},
    oids: {},
    rejects: {},
    fatal: {},
    rxDropped: {},
    rxSteeredToPrimary: 0,
    subchannel: { requests: 0, requested: 0, granted: 0, offered: 0, opened: 0 },
    queues: [],
  };
}

/** Adds one to `table[key]`. */
export function bump(table: Record<string, number>, key: string): void {
  table[key] = (table[key] ?? 0) + 1;
}

/** The counters of queue `index`, created on first use. */
export function queueCounters(c: NetvspCounters, index: number): NetvspQueueCounters {
  let q = c.queues[index];
  if (!q) {
    for (let i = c.queues.length; i <= index; i++) c.queues[i] = { rx: 0, tx: 0, rxDropped: 0 };
    q = c.queues[index]!;
  }
  return q;
}

/** A deep copy of a set of counters. */
export function copyNetvspCounters(c: NetvspCounters): NetvspCounters {
  return {
    nvspIn: { ...c.nvspIn },
    nvspOut: { ...c.nvspOut },
    rndisIn: { ...c.rndisIn },
    rndisOut: { ...c.rndisOut },
    oids: { ...c.oids },
    rejects: { ...c.rejects },
    fatal: { ...c.fatal },
    rxDropped: { ...c.rxDropped },
    rxSteeredToPrimary: c.rxSteeredToPrimary,
    subchannel: { ...c.subchannel },
    queues: c.queues.map((q) => ({ ...q })),
  };
}
