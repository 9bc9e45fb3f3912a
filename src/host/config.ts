/**
 * Configuration of the simulated NetVSP host: what the host offers (MAC, MTU, link, NVSP versions,
 * queues, indirection-table size), how it answers subchannel requests, and the faults it injects.
 * Every choice is deterministic: delays are virtual nanoseconds, "shuffled" offer orders draw from
 * the bus scheduler's seeded generator.
 *
 * Defaults follow openvmm's NetVSP (vm/devices/net/netvsp/src/lib.rs: `NicBuilder::build`,
 * `Adapter`, 64 queues at most per vNIC, send sections of 6144 bytes) and Hyper-V's visible values
 * (00:15:5d MAC prefix, "Network Adapter" friendly name, 10 Gbit/s).
 *
 * @module
 */
import { isNvspVersion, NVSP_PROTOCOL_VERSIONS } from '../protocol/nvsp.js';

/** How many subchannels the host grants when asked (NVSP 133 ALLOCATE). */
export type NetvspSubchannelGrant =
  /** All requested, as openvmm does whenever the request is below its queue count. */
  | 'grant-all'
  /** None: the completion carries NVSP_STAT_FAIL and 0. */
  | 'refuse'
  /**
   * Hostile: SUCCESS claiming `extra` more than requested (Linux answers -EINVAL), even when that
   * passes 63; the host offers the claimed subchannels up to index 63.
   */
  | 'grant-more'
  /** At most this many (a host short of queues); SUCCESS with min(requested, n). */
  | {
      /** Most subchannels granted per request, 0..63 (the completion says min(requested, this)). */
      readonly grantFewer: number;
    };

/** The host's subchannel behaviour. Rules that hold whatever the policy: see `NetvspHost`. */
export interface NetvspSubchannelPolicy {
  /** Default `'grant-all'`. */
  readonly grant?: NetvspSubchannelGrant;
  /** Extra subchannels a `'grant-more'` host claims (default 1). */
  readonly extra?: number;
  /** Virtual ns between the request and its completion (a late answer; default 0). */
  readonly answerDelay?: number;
  /** Order of the offers of the granted subchannels (default `'ascending'` by index). */
  readonly offerOrder?: 'ascending' | 'descending' | 'shuffled';
  /** Virtual ns between the completion and the first offer (default 0). */
  readonly offerDelay?: number;
  /** Virtual ns between consecutive offers (default 0). */
  readonly offerInterval?: number;
}

/**
 * Selects host completions of one NVSP message type: every one (`nth` absent) or only the nth
 * (1-based) the host sends of that type over its life.
 */
export interface NetvspCompletionMatch {
  /** The completion's message type (2 INIT_COMPLETE, 102, 105, 108, 133, …; 0 for an empty completion). */
  readonly msgType: number;
  /** Match only the nth completion of that type the host sends (1-based, counted over the host's life); absent = every one. */
  readonly nth?: number;
}

/** When to rescind a channel by itself (fault injection). */
export interface NetvspRescindFault {
  /**
   * `'subchannel-request'`: right after the host answers an NVSP 133 request;
   * `'subchannel-offers'`: right after it offers the granted subchannels;
   * `'rss-enable'`: right after it accepts an enabling RSS SET.
   */
  readonly on: 'subchannel-request' | 'subchannel-offers' | 'rss-enable';
  /** The primary (which takes its subchannels with it) or a subchannel index. */
  readonly target: 'primary' | number;
  /** Virtual ns after the trigger (default 0). */
  readonly delay?: number;
  /** Fire on the nth trigger only (default 1: the first). */
  readonly nth?: number;
}

/** Deterministic fault injection. */
export interface NetvspFaults {
  /** NVSP versions answered with INIT_COMPLETE status 0 even though supported (the guest tries the next). */
  readonly refuseVersions?: readonly number[];
  /**
   * OIDs answered with a failure status (default RNDIS_STATUS_FAILURE) and no data: their QUERY,
   * their SET, or both when `request` is absent.
   */
  readonly failOids?: readonly {
    /** The OID (`OID.GEN_LINK_SPEED`, …). */
    readonly oid: number;
    /** Fail only its QUERY or only its SET; absent = both. */
    readonly request?: 'query' | 'set';
    /** RNDIS status of the failure reply (default `RNDIS_STATUS_FAILURE`, 0xC0000001). */
    readonly status?: number;
  }[];
  /** Completions never sent (the guest waits forever). */
  readonly dropCompletions?: readonly NetvspCompletionMatch[];
  /** Completions sent late. */
  readonly delayCompletions?: readonly (NetvspCompletionMatch & {
    /** Virtual ns the completion is held back (≥ 0). */
    readonly delay: number;
  })[];
  /** A channel rescinded by the host during reconfiguration. */
  readonly rescind?: NetvspRescindFault;
}

/** A frame the guest transmitted, as the host took it off a channel. */
export interface NetvspTxFrame {
  /** Virtual time (ns) the host read the frame. */
  readonly time: number;
  /** Subchannel index of the channel it came on (0 = primary). */
  readonly channel: number;
  /** The Ethernet frame (a copy). */
  readonly frame: Uint8Array;
  /** IEEE 802.1Q tag from the per-packet info, if any. */
  readonly vlan?: {
    /** VLAN id (12 bits). */
    readonly id: number;
    /** User priority (3 bits). */
    readonly priority: number;
  };
  /** Offloads the guest asked for in the per-packet info. */
  readonly offload: {
    /** TCP or UDP checksum offload over IPv4/IPv6 asked for (TCPIP_CHKSUM_PKTINFO), or implied by LSO. */
    readonly checksum: boolean;
    /** Large send offload asked for (TCP_LARGESEND_PKTINFO): the frame is to be cut into `mss`-byte segments (`frame` is the unsegmented one). */
    readonly lso: boolean;
    /** LSO segment size in bytes (the PPI's 20-bit MSS); present only with `lso`. */
    readonly mss?: number;
  };
}

/** What `createNetvspHost` accepts; every field has a default. */
export interface NetvspConfig {
  /** Instance GUID of the NIC (primary and subchannels share it). */
  readonly instance?: string;
  /** Permanent MAC address (text `aa:bb:cc:dd:ee:ff` or 6 bytes); default 00:15:5d:00:00:01. */
  readonly mac?: string | Uint8Array;
  /** Largest frame payload the host reports (OID_GEN_MAXIMUM_FRAME_SIZE cap); default 1500. */
  readonly mtu?: number;
  /** Link speed in bit/s (OID_GEN_LINK_SPEED reports it in 100 bit/s units); default 10 Gbit/s. */
  readonly linkSpeed?: number;
  /** Link state at start (OID_GEN_MEDIA_CONNECT_STATUS); default up. */
  readonly linkUp?: boolean;
  /** OID_GEN_FRIENDLY_NAME (Linux ignores the Hyper-V default "Network Adapter"). */
  readonly friendlyName?: string;
  /**
   * NVSP versions the host accepts (default all six: 1, 2, 4, 5, 6, 6.1). Use
   * {@link nvspVersionsUpTo} to simulate an older host.
   */
  readonly nvspVersions?: readonly number[];
  /**
   * Queues the host has: the RSS capabilities' `num_recv_que`; a subchannel request for this many
   * or more is refused. 1..64 (openvmm clamps to 64 per vNIC); default 64.
   */
  readonly maxQueues?: number;
  /** Entries of the host's indirection table (`num_indirect_tabent`), 1..65535; default 128. */
  readonly indirectionTableSize?: number;
  /** Send-buffer section size given in SEND_SEND_BUF_COMPLETE; default 6144. */
  readonly sendSectionSize?: number;
  /**
   * Whose message sizes to write: `'hyperv'` (28-byte NVSP messages before 6.1, 40 from 6.1; the
   * send table after a full 40-byte message, 104 bytes) or `'openvmm'` (32 / 40; the compact
   * 76-byte send table). Default `'hyperv'`.
   */
  readonly peer?: 'hyperv' | 'openvmm';
  /** Subchannel behaviour. */
  readonly subchannels?: NetvspSubchannelPolicy;
  /** Fault injection. */
  readonly faults?: NetvspFaults;
  /** Accept a NetworkAddress config parameter (MAC change); default true. */
  readonly allowMacChange?: boolean;
  /** Send INDICATE TASK_OFFLOAD_CURRENT_CONFIG after an offload SET, as openvmm does; default true. */
  readonly indicateOffloadChange?: boolean;
  /** Events kept in `NetvspHost.events` (older ones are not recorded past it); default 10000, 0 = none. */
  readonly maxEvents?: number;
  /** Called for every frame the guest transmits. */
  readonly onTransmit?: (frame: NetvspTxFrame) => void;
}

/**
 * The part of {@link NetvspConfig} a running host can change (`NetvspHost.reconfigure`): the
 * subchannel policy and the faults (each merged field by field with those in force), the MAC-change
 * and offload-indication switches, the event-log bound and the transmit callback.
 */
export type NetvspRuntimeConfig = Pick<NetvspConfig, 'subchannels' | 'faults' | 'allowMacChange' | 'indicateOffloadChange' | 'maxEvents' | 'onTransmit'>;

/** A config with every default applied (`NetvspHost.config`). */
export interface ResolvedNetvspConfig {
  /** Instance GUID of the NIC, lower-case (default {@link NETVSP_DEFAULT_INSTANCE}). */
  readonly instance: string;
  /** Permanent MAC address, 6 bytes (default 00:15:5d:00:00:01). */
  readonly mac: Uint8Array;
  /** Largest frame payload reported in OID_GEN_MAXIMUM_FRAME_SIZE, 68..65521 (default 1500). */
  readonly mtu: number;
  /** Link speed in bit/s (default 10 Gbit/s); OID_GEN_LINK_SPEED reports it / 100. */
  readonly linkSpeed: number;
  /** Link state at start (default true); the live state is `NetvspHost.state().link`. */
  readonly linkUp: boolean;
  /** The OID_GEN_FRIENDLY_NAME answer (default "Network Adapter"). */
  readonly friendlyName: string;
  /** NVSP versions accepted in INIT (default all six). */
  readonly nvspVersions: readonly number[];
  /** Queues offered (`num_recv_que`), 1..64; a SUBCHANNEL request for this many or more is refused. */
  readonly maxQueues: number;
  /** Entries of the host's indirection table (`num_indirect_tabent`), 1..65535 (default 128). */
  readonly indirectionTableSize: number;
  /** Send-section size in bytes given in SEND_SEND_BUF_COMPLETE (default 6144). */
  readonly sendSectionSize: number;
  /** Whose message sizes the host writes: Hyper-V's (default) or openvmm's. */
  readonly peer: 'hyperv' | 'openvmm';
  /** The subchannel policy with every default filled in. */
  readonly subchannels: Required<Omit<NetvspSubchannelPolicy, 'grant'>> & {
    /** How many subchannels a request is granted (default `'grant-all'`). */
    readonly grant: NetvspSubchannelGrant;
  };
  /** The faults in force, every list present (empty when none). */
  readonly faults: Required<Omit<NetvspFaults, 'rescind'>> & {
    /** The rescind fault, or `null` when none is set. */
    readonly rescind: NetvspRescindFault | null;
  };
  /** Whether a NetworkAddress config parameter (MAC change) is accepted (default true). */
  readonly allowMacChange: boolean;
  /** Whether INDICATE TASK_OFFLOAD_CURRENT_CONFIG follows an offload SET (default true). */
  readonly indicateOffloadChange: boolean;
  /** Bound of `NetvspHost.events` (default 10000; 0 = no event log). */
  readonly maxEvents: number;
  /** The transmit callback, or `null` when none is set. */
  readonly onTransmit: ((frame: NetvspTxFrame) => void) | null;
}

/** The instance GUID used when none is configured. */
export const NETVSP_DEFAULT_INSTANCE = '9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f';
/** Most queues (channels) per vNIC (openvmm `NETVSP_MAX_SUBCHANNELS_PER_VNIC`). */
export const NETVSP_MAX_QUEUES = 64;
/** Send-buffer section size (openvmm answers 6144 in SEND_SEND_BUF_COMPLETE). */
export const NETVSP_SEND_SECTION_SIZE = 6144;

/** The versions a host accepts when its newest is `newest` (e.g. `nvspVersionsUpTo(0x40000)` = 1, 2, 4). */
export function nvspVersionsUpTo(newest: number): number[] {
  if (!isNvspVersion(newest)) throw new RangeError(`nvspVersionsUpTo: 0x${newest.toString(16)} is not an NVSP version`);
  return NVSP_PROTOCOL_VERSIONS.filter((v) => v <= newest);
}

function parseMac(mac: string | Uint8Array): Uint8Array {
  if (mac instanceof Uint8Array) {
    if (mac.length !== 6) throw new RangeError('NetvspConfig.mac: 6 bytes expected');
    return Uint8Array.from(mac);
  }
  const hex = mac.replace(/[:-]/g, '');
  if (!/^[0-9a-fA-F]{12}$/.test(hex)) throw new RangeError(`NetvspConfig.mac: ${JSON.stringify(mac)} is not a MAC address`);
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function int(name: string, v: number | undefined, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`NetvspConfig.${name}: ${v} is not an integer in ${min}..${max}`);
  return v;
}

function delay(name: string, v: number | undefined): number {
  if (v === undefined) return 0;
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`NetvspConfig.${name}: ${v} is not a delay in virtual ns`);
  return v;
}

/**
 * Applies the defaults and checks the values.
 * @throws RangeError for a value the host cannot take (an unknown NVSP version, a MAC that is not
 *   one, a count out of range). `maxQueues` above 64 is clamped to 64, as openvmm clamps it.
 */
export function resolveNetvspConfig(config: NetvspConfig = {}): ResolvedNetvspConfig {
  const versions = config.nvspVersions ?? NVSP_PROTOCOL_VERSIONS;
  for (const v of versions) {
    if (!isNvspVersion(v)) throw new RangeError(`NetvspConfig.nvspVersions: 0x${(v >>> 0).toString(16)} is not an NVSP version`);
  }
  const maxQueuesIn = int('maxQueues', config.maxQueues, NETVSP_MAX_QUEUES, 1, 0xffff);
  const sc = config.subchannels ?? {};
  const grant = sc.grant ?? 'grant-all';
  if (typeof grant === 'object') int('subchannels.grant.grantFewer', grant.grantFewer, 0, 0, NETVSP_MAX_QUEUES - 1);
  else if (grant !== 'grant-all' && grant !== 'refuse' && grant !== 'grant-more') {
    throw new RangeError(`NetvspConfig.subchannels.grant: ${JSON.stringify(grant)} is not a policy ('grant-all', 'refuse', 'grant-more' or { grantFewer: n })`);
  }
  const offerOrder = sc.offerOrder ?? 'ascending';
  if (offerOrder !== 'ascending' && offerOrder !== 'descending' && offerOrder !== 'shuffled') {
    throw new RangeError(`NetvspConfig.subchannels.offerOrder: ${JSON.stringify(offerOrder)} is not 'ascending', 'descending' or 'shuffled'`);
  }
  const f = config.faults ?? {};
  for (const d of f.delayCompletions ?? []) delay('faults.delayCompletions.delay', d.delay);
  if (f.rescind) delay('faults.rescind.delay', f.rescind.delay);
  const peer = config.peer ?? 'hyperv';
  if (peer !== 'hyperv' && peer !== 'openvmm') throw new RangeError(`NetvspConfig.peer: ${String(peer)} is not 'hyperv' or 'openvmm'`);
  const linkSpeed = config.linkSpeed ?? 10_000_000_000;
  if (!Number.isSafeInteger(linkSpeed) || linkSpeed < 0 || linkSpeed / 100 > 0xffffffff) {
    throw new RangeError(`NetvspConfig.linkSpeed: ${linkSpeed} bit/s does not fit OID_GEN_LINK_SPEED (u32 of 100 bit/s)`);
  }
  return {
    instance: (config.instance ?? NETVSP_DEFAULT_INSTANCE).toLowerCase(),
    mac: parseMac(config.mac ?? '00:15:5d:00:00:01'),
    mtu: int('mtu', config.mtu, 1500, 68, 65521),
    linkSpeed,
    linkUp: config.linkUp ?? true,
    friendlyName: config.friendlyName ?? 'Network Adapter',
    nvspVersions: [...versions],
    maxQueues: Math.min(maxQueuesIn, NETVSP_MAX_QUEUES),
    indirectionTableSize: int('indirectionTableSize', config.indirectionTableSize, 128, 1, 0xffff),
    sendSectionSize: int('sendSectionSize', config.sendSectionSize, NETVSP_SEND_SECTION_SIZE, 68, 0x7fffffff),
    peer,
    subchannels: {
      grant,
      extra: int('subchannels.extra', sc.extra, 1, 1, NETVSP_MAX_QUEUES),
      answerDelay: delay('subchannels.answerDelay', sc.answerDelay),
      offerOrder,
      offerDelay: delay('subchannels.offerDelay', sc.offerDelay),
      offerInterval: delay('subchannels.offerInterval', sc.offerInterval),
    },
    faults: {
      refuseVersions: [...(f.refuseVersions ?? [])],
      failOids: [...(f.failOids ?? [])],
      dropCompletions: [...(f.dropCompletions ?? [])],
      delayCompletions: [...(f.delayCompletions ?? [])],
      rescind: f.rescind ?? null,
    },
    allowMacChange: config.allowMacChange ?? true,
    indicateOffloadChange: config.indicateOffloadChange ?? true,
    maxEvents: int('maxEvents', config.maxEvents, 10_000, 0, Number.MAX_SAFE_INTEGER),
    onTransmit: config.onTransmit ?? null,
  };
}
