/**
 * The host side of VMBus's control plane: accepts a configurable set of protocol versions, offers
 * channels, assembles GPADLs, maps channel rings through their ring GPADL, opens, closes, rescinds
 * and releases channels, and answers UNLOAD — talking to the guest only through bytes posted to and
 * from the {@link Hypervisor}.
 *
 * Behaviour follows Microsoft's host implementation as openvmm's vmbus_server restates it
 * (vm/devices/vmbus/vmbus_server/src/channels.rs): a guest message the host cannot accept is
 * dropped and recorded in {@link VmbusHost.rejected} with openvmm's reason, except that a bad
 * GPADL_HEADER (or a GPADL whose ranges turn out invalid) is answered with GPADL_CREATED carrying
 * STATUS_UNSUCCESSFUL, and an open that cannot map its rings is answered with OPENCHANNEL_RESULT
 * carrying STATUS_UNSUCCESSFUL. Offers go out sorted by interface GUID, then offer order, then
 * instance GUID; relids are the lowest free from 1; connection id = relid | 0x2000 (SINT 2, VTL 0);
 * every channel is dedicated-interrupt. VERSION_RESPONSE carries the configured message connection
 * id for 5.0 and later, the version itself below (shared/spec/vmbus.md §4, §5).
 *
 * @module
 */
import { GpadlAssembly, GpadlView } from './gpadl.js';
import type { Hypervisor } from './hypervisor.js';
import {
  CHANNELMSG,
  MAX_CHANNEL_RELIDS,
  MAX_USER_DEFINED_BYTES,
  STATUS_SUCCESS,
  STATUS_UNSUCCESSFUL,
  channelMessageMinSize,
  channelMessageTypeName,
  encodeChannelMessage,
  makeChannelMessage,
  vmbus_channel_close_channel,
  vmbus_channel_gpadl_body,
  vmbus_channel_gpadl_created,
  vmbus_channel_gpadl_header,
  vmbus_channel_gpadl_torndown,
  vmbus_channel_open_result,
  vmbus_channel_gpadl_teardown,
  vmbus_channel_initiate_contact,
  vmbus_channel_message_header,
  vmbus_channel_modifychannel,
  vmbus_channel_open_channel,
  vmbus_channel_relid_released,
  type ChannelMessage,
  type ChannelMessageType,
  type VmbusChannelOfferChannel,
  type VmbusChannelOpenChannel,
} from './messages.js';
import { vmbusPacket, type GpaRange, type VmbusPacket } from './packet.js';
import { HostChannelRings } from './channel.js';
import type { RingWriteResult } from './ring.js';
import {
  VERSION_WIN10,
  VERSION_WIN10_V4_1,
  VERSION_WIN10_V5,
  VERSION_WIN10_V5_3,
  VERSION_WIN8,
  VERSION_WIN8_1,
  VERSION_WIN10_V5_1,
  VERSION_WIN10_V5_2,
  VMBUS_MESSAGE_CONNECTION_ID,
  VMBUS_MESSAGE_CONNECTION_ID_4,
} from './versions.js';

/** `connection_state` values of VERSION_RESPONSE (openvmm protocol.rs ConnectionState). */
export const VERSION_RESPONSE_CONNECTION_STATE = {
  /** 0: the connection is established (with `version_supported` 1). */
  SUCCESSFUL: 0,
  /** 1: the host lacks resources for the connection. */
  FAILED_LOW_RESOURCES: 1,
  /** 2: any other failure (openvmm: e.g. only one of the two monitor pages given). */
  FAILED_UNKNOWN_FAILURE: 2,
} as const;

/** Why the host dropped a guest message (openvmm's ChannelError / ParseError names). */
export type HostRejectReason =
  | 'MESSAGE_TOO_SMALL'
  | 'INVALID_MESSAGE_TYPE'
  | 'UNKNOWN_CHANNEL_ID'
  | 'UNKNOWN_GPADL_ID'
  | 'DUPLICATE_GPADL_ID'
  | 'CHANNEL_ALREADY_OPEN'
  | 'CHANNEL_NOT_OPEN'
  | 'INVALID_GPADL_STATE'
  | 'INVALID_CHANNEL_STATE'
  | 'OFFERS_ALREADY_SENT'
  | 'WRONG_GPADL_CHANNEL_ID';

/** One dropped guest message. */
export interface HostRejection {
  /** Why the host refused the message (openvmm's error name). */
  readonly reason: HostRejectReason;
  /** `vmbus_channel_message_header.msgtype` of the refused message. */
  readonly msgtype: number;
  /** Virtual time the message was refused, in ns. */
  readonly time: number;
  /** The message's `child_relid`, when it names a channel. */
  readonly relid?: number;
  /** The message's GPADL handle, for GPADL messages. */
  readonly gpadl?: number;
}

/** Host channel states (after openvmm's, without the reserved-channel ones). */
export type HostChannelState =
  /** Not offered to the guest (offers not requested yet, or the guest released it). */
  | 'unoffered'
  /** Offered; not open. */
  | 'closed'
  /** OPENCHANNEL accepted; rings mapped. */
  | 'open'
  /** Rescinded; waiting for RELID_RELEASED. */
  | 'revoked';

/** What a host device may do when the guest acts on its channel. All hooks are optional. */
export interface HostDevice {
  /** The guest opened the channel (rings are mapped): return a status for OPENCHANNEL_RESULT (default success). */
  open?(channel: HostChannel, request: VmbusChannelOpenChannel): number;
  /** The guest closed the channel (or the connection was reset). */
  close?(channel: HostChannel): void;
  /** The guest signalled the channel's event port. */
  interrupt?(channel: HostChannel): void;
  /** A GPADL of this channel is complete and valid: return a status for GPADL_CREATED (default success). */
  gpadlCreated?(channel: HostChannel, gpadl: HostGpadl): number;
  /** A GPADL of this channel was torn down. */
  gpadlTorndown?(channel: HostChannel, gpadl: HostGpadl): void;
}

/** What describes a channel offer. */
export interface HostOfferParams {
  /** Device class GUID (text). */
  readonly ifType: string;
  /** Instance GUID (text). */
  readonly ifInstance: string;
  /** 0 for a primary channel. */
  readonly subChannelIndex?: number;
  /** The offer's `chn_flags` (`VMBUS_CHANNEL_*` bits, e.g. `VMBUS_CHANNEL_TLNPI_PROVIDER_OFFER` 0x2000); default 0. */
  readonly chnFlags?: number;
  /** The offer's `mmio_megabytes`: MMIO space the device needs, in MiB (synthvid, vPCI); default 0. */
  readonly mmioMegabytes?: number;
  /** Up to 120 bytes. */
  readonly userDefined?: Uint8Array;
  /** Use monitored notification (MNF) with this monitor id (0–127); default: none (monitorid 0xFF, monitor_allocated 0). */
  readonly monitorId?: number;
}

/** A GPADL as the host holds it. */
export interface HostGpadl {
  /** The guest-chosen handle (`gpadl` of GPADL_HEADER); unique per channel. */
  readonly handle: number;
  /** Relid of the channel the GPADL belongs to (`child_relid` of GPADL_HEADER). */
  readonly relid: number;
  /**
   * `'in-progress'`: GPADL_BODY messages still expected; `'accepted'`: GPADL_CREATED sent with
   * success; `'tearing-down'`: GPADL_TEARDOWN for the open channel's ring GPADL, answered at close.
   */
  state: 'in-progress' | 'accepted' | 'tearing-down';
  /** The mapped ranges once accepted. */
  view: GpadlView | null;
}

/** One channel the host offers. */
export class HostChannel {
  /** What the offer says: class and instance GUIDs, subchannel index, flags, monitor id. */
  readonly params: HostOfferParams;
  /** The device model behind the channel, called on open, close, interrupts and GPADL events. */
  readonly device: HostDevice;
  /** Offer order (for sorting). */
  readonly order: number;
  /** `child_relid` of the current offer: the lowest free id from 1; 0 while unoffered. */
  relid = 0;
  /** Where the channel is in its life cycle on the host. */
  state: HostChannelState = 'unoffered';
  /** The OFFERCHANNEL message last sent. */
  offer: VmbusChannelOfferChannel | null = null;
  /** The OPENCHANNEL request of the current open. */
  openRequest: VmbusChannelOpenChannel | null = null;
  /** The host end of the rings while open. */
  rings: HostChannelRings | null = null;
  /** Last target VP (OPENCHANNEL or MODIFYCHANNEL). */
  targetVp = 0;
  private readonly host: VmbusHost;

  constructor(host: VmbusHost, params: HostOfferParams, device: HostDevice, order: number) {
    this.host = host;
    this.params = params;
    this.device = device;
    this.order = order;
  }

  /** Connection id the guest signals this channel on. */
  get connectionId(): number {
    return (this.relid | (2 << 12)) >>> 0;
  }

  /** This channel's GPADL with `handle`. */
  gpadl(handle: number): HostGpadl | undefined {
    return this.host.gpadlOf(this.relid, handle);
  }

  /** Interrupts the guest for this channel (sets its event flag). */
  signalGuest(): void {
    if (this.relid) this.host.hypervisor.signalGuest(this.relid);
  }

  /**
   * Writes a packet into the host→guest ring and interrupts the guest when the ring says so.
   * `{ ok: false, error: 'ENODEV' }` when the channel is not open.
   */
  send(packet: VmbusPacket):
    | RingWriteResult
    | {
        /** `false`: nothing was written. */
        readonly ok: false;
        /** `'ENODEV'`: the channel is not open (no rings mapped). */
        readonly error: 'ENODEV';
      } {
    if (!this.rings || this.state !== 'open') return { ok: false, error: 'ENODEV' };
    const r = this.rings.send(packet);
    if (r.ok) this.written(packet);
    if (r.ok && r.signal) this.signalGuest();
    return r;
  }

  /** Reports a packet written into the host→guest ring to the hypervisor's observers (tracing); call it after any write that bypasses {@link send}. */
  written(packet: VmbusPacket): void {
    const hv = this.host.hypervisor;
    if (hv.observed) hv.notePacket(this.relid, this.params.subChannelIndex ?? 0, 'host-to-guest', vmbusPacket.encode(packet));
  }
}

/** Options of a {@link VmbusHost}. */
export interface VmbusHostOptions {
  /** Versions the host accepts (default 2.4 through 5.3, as WS2022). */
  readonly versions?: readonly number[];
  /** msg_conn_id returned for 5.0 and later (default 4). */
  readonly messageConnectionId?: number;
}

/** The host's VMBus server. */
export class VmbusHost {
  /** The hypervisor the host receives posts from and delivers messages and interrupts through. */
  readonly hypervisor: Hypervisor;
  /** Protocol versions the host accepts in INITIATE_CONTACT ({@link VmbusHostOptions.versions}). */
  readonly versions: ReadonlySet<number>;
  /** `msg_conn_id` sent in VERSION_RESPONSE for 5.0 and later (default 4). */
  readonly messageConnectionId: number;
  /** Guest messages dropped, with the reason. */
  readonly rejected: HostRejection[] = [];
  /** Every message received, decoded (for tests and traces). */
  readonly received: ChannelMessage[] = [];
  private readonly channels: HostChannel[] = [];
  private readonly byRelid = new Map<number, HostChannel>();
  private readonly gpadls = new Map<number, HostGpadl & { assembly: GpadlAssembly | null }>();
  private readonly incomplete = new Map<number, number>();
  private connected: { version: number; offersSent: boolean; monitorPage2: bigint } | null = null;
  private order = 0;
  /** Teardowns of a ring GPADL waiting for its channel to close. */
  private readonly deferredTeardowns = new Map<number, () => void>();

  constructor(hypervisor: Hypervisor, options: VmbusHostOptions = {}) {
    this.hypervisor = hypervisor;
    this.versions = new Set(
      options.versions ?? [VERSION_WIN8, VERSION_WIN8_1, VERSION_WIN10, VERSION_WIN10_V4_1, VERSION_WIN10_V5, VERSION_WIN10_V5_1, VERSION_WIN10_V5_2, VERSION_WIN10_V5_3],
    );
    this.messageConnectionId = options.messageConnectionId ?? VMBUS_MESSAGE_CONNECTION_ID_4;
    hypervisor.openMessagePort(VMBUS_MESSAGE_CONNECTION_ID);
    if ([...this.versions].some((v) => v >= VERSION_WIN10_V5)) hypervisor.openMessagePort(VMBUS_MESSAGE_CONNECTION_ID_4);
    hypervisor.attachHost({ onPostMessage: (id, payload) => this.onPostMessage(id, payload) });
  }

  /** Negotiated version, or 0 when not connected. */
  get version(): number {
    return this.connected?.version ?? 0;
  }

  /** True after INITIATE_CONTACT succeeded and until UNLOAD. */
  get isConnected(): boolean {
    return this.connected !== null;
  }

  /** Channels the host has (any state), in offer order. */
  get allChannels(): readonly HostChannel[] {
    return this.channels;
  }

  /** The channel with `relid`. */
  channel(relid: number): HostChannel | undefined {
    return this.byRelid.get(relid);
  }

  /** @internal The GPADL (`relid`, `handle`). */
  gpadlOf(relid: number, handle: number): HostGpadl | undefined {
    // keys are built from decoded u32s only: anything else names no GPADL
    if ((handle >>> 0) !== handle || (relid >>> 0) !== relid) return undefined;
    return this.gpadls.get(gpadlKey(handle, relid));
  }

  /**
   * Adds a channel. If the guest has already asked for offers it is offered at once (a subchannel
   * appearing after NVSP's subchannel request), otherwise with the next REQUESTOFFERS.
   */
  addChannel(params: HostOfferParams, device: HostDevice = {}): HostChannel {
    if ((params.userDefined?.length ?? 0) > MAX_USER_DEFINED_BYTES) throw new RangeError('HostOfferParams.userDefined: more than 120 bytes');
    const ch = new HostChannel(this, params, device, this.order++);
    this.channels.push(ch);
    if (this.connected?.offersSent) this.sendOffer(ch);
    return ch;
  }

  /**
   * Rescinds a channel: the device is closed if open, RESCIND_CHANNELOFFER is sent and the relid
   * stays reserved until the guest's RELID_RELEASED. Rescinding a primary rescinds its subchannels
   * (same interface and instance GUIDs) first. A channel never offered is just removed.
   * Returns 'ENOENT' when the host has no such channel, 'EALREADY' when it is already revoked.
   */
  rescind(channel: HostChannel): 'OK' | 'ENOENT' | 'EALREADY' {
    if (!this.channels.includes(channel)) return 'ENOENT';
    if (channel.state === 'revoked') return 'EALREADY';
    if ((channel.params.subChannelIndex ?? 0) === 0) {
      for (const sub of this.channels) {
        if (sub !== channel && (sub.params.subChannelIndex ?? 0) !== 0 && sameDevice(sub, channel) && sub.state !== 'revoked') this.rescind(sub);
      }
    }
    if (channel.state === 'unoffered') {
      this.remove(channel);
      return 'OK';
    }
    if (channel.state === 'open') this.closeDevice(channel);
    channel.state = 'revoked';
    this.hypervisor.closeEventPort(channel.connectionId);
    if (channel.params.monitorId !== undefined) this.hypervisor.unregisterMonitor(channel.params.monitorId);
    this.send({ type: 'CHANNELMSG_RESCIND_CHANNELOFFER', msg: makeChannelMessage('CHANNELMSG_RESCIND_CHANNELOFFER', { child_relid: channel.relid }).msg });
    return 'OK';
  }

  // -------------------------------------------------------------------------------------------

  private send(m: ChannelMessage): void {
    this.hypervisor.sendOwnedToGuest(encodeChannelMessage(m));
  }

  private reject(reason: HostRejectReason, msgtype: number, extra: { relid?: number; gpadl?: number } = {}): void {
    this.rejected.push({ reason, msgtype, time: this.hypervisor.scheduler.now, ...extra });
  }

  private lowestFreeRelid(): number {
    for (let id = 1; id < MAX_CHANNEL_RELIDS; id++) if (!this.byRelid.has(id)) return id;
    throw new RangeError('VmbusHost: no free relid (2047 channels in use)');
  }

  private sendOffer(ch: HostChannel): void {
    ch.relid = this.lowestFreeRelid();
    this.byRelid.set(ch.relid, ch);
    const u = new Uint8Array(MAX_USER_DEFINED_BYTES);
    if (ch.params.userDefined) u.set(ch.params.userDefined);
    const monitored = ch.params.monitorId !== undefined && this.connected !== null && this.connected.monitorPage2 !== 0n;
    const offer = makeChannelMessage('CHANNELMSG_OFFERCHANNEL', {
      offer: {
        if_type: ch.params.ifType.toLowerCase(),
        if_instance: ch.params.ifInstance.toLowerCase(),
        reserved1: 0n,
        reserved2: 0n,
        chn_flags: ch.params.chnFlags ?? 0,
        mmio_megabytes: ch.params.mmioMegabytes ?? 0,
        u,
        sub_channel_index: ch.params.subChannelIndex ?? 0,
        reserved3: 0,
      },
      child_relid: ch.relid,
      monitorid: monitored ? ch.params.monitorId! : 0xff,
      monitor_allocated: monitored ? 1 : 0,
      is_dedicated_interrupt: 1,
      connection_id: ch.connectionId,
    });
    ch.offer = offer.msg;
    ch.state = 'closed';
    this.hypervisor.openEventPort(ch.connectionId, () => {
      if (ch.state === 'open') ch.device.interrupt?.(ch);
    });
    if (monitored) this.hypervisor.registerMonitor(ch.params.monitorId!, ch.connectionId);
    this.send(offer);
  }

  private remove(ch: HostChannel): void {
    const i = this.channels.indexOf(ch);
    if (i >= 0) this.channels.splice(i, 1);
    this.releaseRelid(ch);
  }

  /** Drops the channel's relid and GPADLs (the guest released it, or the connection reset). */
  private releaseRelid(ch: HostChannel): void {
    if (ch.relid) {
      for (const [key, g] of [...this.gpadls]) {
        if (g.relid === ch.relid) {
          this.gpadls.delete(key);
          if (this.incomplete.get(g.handle) === ch.relid) this.incomplete.delete(g.handle);
        }
      }
      this.hypervisor.closeEventPort(ch.connectionId);
      if (ch.params.monitorId !== undefined) this.hypervisor.unregisterMonitor(ch.params.monitorId);
      this.byRelid.delete(ch.relid);
    }
    ch.relid = 0;
    ch.offer = null;
  }

  private closeDevice(ch: HostChannel): void {
    ch.rings = null;
    ch.openRequest = null;
    ch.device.close?.(ch);
    const ring = [...this.deferredTeardowns.entries()].filter(([k]) => keyRelid(k) === ch.relid);
    for (const [k, run] of ring) {
      this.deferredTeardowns.delete(k);
      run();
    }
  }

  /** Disconnects: channels close, revoked ones vanish, the rest go back to unoffered. */
  private reset(): void {
    for (const ch of [...this.channels]) {
      if (ch.state === 'open') this.closeDevice(ch);
      if (ch.state === 'revoked') this.remove(ch);
      else {
        this.releaseRelid(ch);
        ch.state = 'unoffered';
      }
    }
    this.gpadls.clear();
    this.incomplete.clear();
    this.deferredTeardowns.clear();
    if (this.connected && this.connected.version >= VERSION_WIN10_V5 && this.messageConnectionId !== VMBUS_MESSAGE_CONNECTION_ID_4) {
      this.hypervisor.closeMessagePort(this.messageConnectionId);
    }
    this.hypervisor.setMonitorPage(0n);
    this.connected = null;
  }

  // -------------------------------------------------------------------------------------------
  // Receive path

  /** Message types a guest may send, and the minimum version each needs (openvmm's table). */
  private static readonly FROM_GUEST: Partial<Record<ChannelMessageType, number>> = {
    CHANNELMSG_REQUESTOFFERS: 1,
    CHANNELMSG_OPENCHANNEL: 1,
    CHANNELMSG_CLOSECHANNEL: 1,
    CHANNELMSG_GPADL_HEADER: 1,
    CHANNELMSG_GPADL_BODY: 1,
    CHANNELMSG_GPADL_TEARDOWN: 1,
    CHANNELMSG_RELID_RELEASED: 1,
    CHANNELMSG_INITIATE_CONTACT: 0,
    CHANNELMSG_UNLOAD: 1,
    CHANNELMSG_MODIFYCHANNEL: VERSION_WIN10_V4_1,
  };

  private onPostMessage(_connectionId: number, payload: Uint8Array): void {
    if (payload.length < vmbus_channel_message_header.size) {
      const msgtype = payload.length >= 4 ? (payload[0]! | (payload[1]! << 8) | (payload[2]! << 16) | (payload[3]! << 24)) >>> 0 : -1;
      this.reject('MESSAGE_TOO_SMALL', msgtype);
      return;
    }
    const msgtype = (payload[0]! | (payload[1]! << 8) | (payload[2]! << 16) | (payload[3]! << 24)) >>> 0; // the header's msgtype
    const name = channelMessageTypeName(msgtype);
    const minVersion = name && name !== 'CHANNELMSG_INVALID' ? VmbusHost.FROM_GUEST[name] : undefined;
    if (minVersion === undefined || (minVersion > 0 && (this.connected === null || this.connected.version < minVersion))) {
      this.reject('INVALID_MESSAGE_TYPE', msgtype);
      return;
    }
    const type = name as ChannelMessageType;
    if (payload.length < channelMessageMinSize(type)) {
      this.reject('MESSAGE_TOO_SMALL', msgtype);
      return;
    }
    switch (type) {
      case 'CHANNELMSG_INITIATE_CONTACT':
        return this.onInitiateContact(payload);
      case 'CHANNELMSG_REQUESTOFFERS':
        return this.onRequestOffers();
      case 'CHANNELMSG_GPADL_HEADER':
        return this.onGpadlHeader(payload);
      case 'CHANNELMSG_GPADL_BODY':
        return this.onGpadlBody(payload);
      case 'CHANNELMSG_GPADL_TEARDOWN':
        return this.onGpadlTeardown(payload);
      case 'CHANNELMSG_OPENCHANNEL':
        return this.onOpenChannel(payload);
      case 'CHANNELMSG_CLOSECHANNEL':
        return this.onCloseChannel(payload);
      case 'CHANNELMSG_RELID_RELEASED':
        return this.onRelidReleased(payload);
      case 'CHANNELMSG_UNLOAD':
        return this.onUnload();
      case 'CHANNELMSG_MODIFYCHANNEL':
        return this.onModifyChannel(payload);
      default:
        this.reject('INVALID_MESSAGE_TYPE', msgtype);
    }
  }

  private onInitiateContact(payload: Uint8Array): void {
    const m = vmbus_channel_initiate_contact.decode(payload);
    this.received.push({ type: 'CHANNELMSG_INITIATE_CONTACT', msg: m });
    if (this.connected) this.reset();
    const v = m.vmbus_version_requested;
    const respond = (supported: number, state: number, connId: number) =>
      this.send(
        makeChannelMessage('CHANNELMSG_VERSION_RESPONSE', {
          version_supported: supported,
          connection_state: state,
          msg_conn_id: connId,
        }),
      );
    if (!this.versions.has(v)) {
      respond(0, 0, 0);
      return;
    }
    const connId = v >= VERSION_WIN10_V5 ? this.messageConnectionId : v;
    if ((m.monitor_page1 === 0n) !== (m.monitor_page2 === 0n)) {
      respond(1, VERSION_RESPONSE_CONNECTION_STATE.FAILED_UNKNOWN_FAILURE, connId);
      return;
    }
    this.connected = { version: v, offersSent: false, monitorPage2: m.monitor_page2 };
    this.hypervisor.setMonitorPage(m.monitor_page2);
    if (v >= VERSION_WIN10_V5) this.hypervisor.openMessagePort(this.messageConnectionId);
    respond(1, VERSION_RESPONSE_CONNECTION_STATE.SUCCESSFUL, connId);
  }

  private onRequestOffers(): void {
    this.received.push(makeChannelMessage('CHANNELMSG_REQUESTOFFERS'));
    const c = this.connected!;
    if (c.offersSent) {
      this.reject('OFFERS_ALREADY_SENT', CHANNELMSG.CHANNELMSG_REQUESTOFFERS);
      return;
    }
    c.offersSent = true;
    const sorted = this.channels
      .filter((ch) => ch.state === 'unoffered')
      .sort((a, b) => cmp(a.params.ifType.toLowerCase(), b.params.ifType.toLowerCase()) || a.order - b.order || cmp(a.params.ifInstance.toLowerCase(), b.params.ifInstance.toLowerCase()));
    for (const ch of sorted) this.sendOffer(ch);
    this.send(makeChannelMessage('CHANNELMSG_ALLOFFERS_DELIVERED'));
  }

  private gpadlCreated(relid: number, gpadl: number, status: number): void {
    if (!this.sendWords(CHANNELMSG.CHANNELMSG_GPADL_CREATED, vmbus_channel_gpadl_created.size, relid, gpadl, status)) {
      this.send(makeChannelMessage('CHANNELMSG_GPADL_CREATED', { child_relid: relid, gpadl, creation_status: status }));
    }
  }

  /**
   * Sends a message whose fields after the 8-byte header are u32s (at 8, 12, 16), written directly:
   * the bytes encodeChannelMessage gives. False (nothing sent) when a value is not a u32.
   */
  private sendWords(msgtype: number, size: number, a: number, b?: number, c?: number): boolean {
    const words = [a, b, c];
    const n = (size - 8) / 4;
    const out = new Uint8Array(size);
    out[0] = msgtype;
    for (let i = 0; i < n; i++) {
      const v = words[i];
      if (typeof v !== 'number' || v >>> 0 !== v) return false;
      const p = 8 + 4 * i;
      out[p] = v;
      out[p + 1] = v >>> 8;
      out[p + 2] = v >>> 16;
      out[p + 3] = v >>> 24;
    }
    this.hypervisor.sendOwnedToGuest(out);
    return true;
  }

  private onGpadlHeader(payload: Uint8Array): void {
    const fixed = vmbus_channel_gpadl_header.decode(payload);
    const data = payload.subarray(vmbus_channel_gpadl_header.size);
    const ch = this.byRelid.get(fixed.child_relid);
    const fail = (reason: HostRejectReason) => {
      this.reject(reason, CHANNELMSG.CHANNELMSG_GPADL_HEADER, { relid: fixed.child_relid, gpadl: fixed.gpadl });
      this.gpadlCreated(fixed.child_relid, fixed.gpadl, STATUS_UNSUCCESSFUL);
    };
    if (!ch) return fail('UNKNOWN_CHANNEL_ID');
    const key = gpadlKey(fixed.gpadl, ch.relid);
    if (this.gpadls.has(key)) return fail('DUPLICATE_GPADL_ID');
    const assembly = new GpadlAssembly(fixed);
    const r = assembly.append(data);
    const entry = { handle: fixed.gpadl, relid: ch.relid, state: 'in-progress' as HostGpadl['state'], view: null, assembly };
    if (r.state === 'more') {
      if (this.incomplete.has(fixed.gpadl)) return fail('DUPLICATE_GPADL_ID');
      this.gpadls.set(key, entry);
      this.incomplete.set(fixed.gpadl, ch.relid);
      return;
    }
    this.gpadls.set(key, entry);
    this.finishGpadl(ch, entry, r.state === 'done' ? r.ranges : null);
  }

  private onGpadlBody(payload: Uint8Array): void {
    // vmbus_channel_gpadl_body: only `gpadl` (u32 at 12) is needed; the length was checked
    const fixed = { gpadl: (payload[12]! | (payload[13]! << 8) | (payload[14]! << 16) | (payload[15]! << 24)) >>> 0 };
    const relid = this.incomplete.get(fixed.gpadl);
    const entry = relid === undefined ? undefined : this.gpadls.get(gpadlKey(fixed.gpadl, relid));
    if (relid === undefined || !entry || !entry.assembly) {
      this.reject('UNKNOWN_GPADL_ID', CHANNELMSG.CHANNELMSG_GPADL_BODY, { gpadl: fixed.gpadl });
      return;
    }
    const r = entry.assembly.append(payload.subarray(vmbus_channel_gpadl_body.size));
    if (r.state === 'more') return;
    this.incomplete.delete(fixed.gpadl);
    this.finishGpadl(this.byRelid.get(relid)!, entry, r.state === 'done' ? r.ranges : null);
  }

  private finishGpadl(ch: HostChannel, entry: HostGpadl & { assembly: GpadlAssembly | null }, ranges: GpaRange[] | null): void {
    const key = gpadlKey(entry.handle, entry.relid);
    entry.assembly = null;
    const view = ranges ? new GpadlView(this.hypervisor.memory, ranges) : null;
    if (!view || !view.mapped()) {
      this.gpadls.delete(key);
      this.gpadlCreated(entry.relid, entry.handle, STATUS_UNSUCCESSFUL);
      return;
    }
    entry.view = view;
    const status = ch.state === 'revoked' ? STATUS_SUCCESS : (ch.device.gpadlCreated?.(ch, entry) ?? STATUS_SUCCESS);
    if (status === STATUS_SUCCESS) entry.state = 'accepted';
    else this.gpadls.delete(key);
    this.gpadlCreated(entry.relid, entry.handle, status >>> 0);
  }

  private onGpadlTeardown(payload: Uint8Array): void {
    const m = vmbus_channel_gpadl_teardown.decode(payload);
    this.received.push({ type: 'CHANNELMSG_GPADL_TEARDOWN', msg: m });
    const ch = this.byRelid.get(m.child_relid);
    if (!ch) return this.reject('UNKNOWN_CHANNEL_ID', CHANNELMSG.CHANNELMSG_GPADL_TEARDOWN, { relid: m.child_relid, gpadl: m.gpadl });
    const key = gpadlKey(m.gpadl, ch.relid);
    const g = this.gpadls.get(key);
    if (!g) return this.reject('UNKNOWN_GPADL_ID', CHANNELMSG.CHANNELMSG_GPADL_TEARDOWN, { relid: m.child_relid, gpadl: m.gpadl });
    if (g.state !== 'accepted') return this.reject('INVALID_GPADL_STATE', CHANNELMSG.CHANNELMSG_GPADL_TEARDOWN, { relid: m.child_relid, gpadl: m.gpadl });
    const finish = () => {
      this.gpadls.delete(key);
      if (ch.state !== 'revoked') ch.device.gpadlTorndown?.(ch, g);
      if (!this.sendWords(CHANNELMSG.CHANNELMSG_GPADL_TORNDOWN, vmbus_channel_gpadl_torndown.size, m.gpadl)) {
        this.send(makeChannelMessage('CHANNELMSG_GPADL_TORNDOWN', { gpadl: m.gpadl }));
      }
    };
    if (ch.state === 'open' && ch.openRequest?.ringbuffer_gpadlhandle === m.gpadl) {
      // The ring GPADL is in use: the teardown completes when the channel closes.
      g.state = 'tearing-down';
      this.deferredTeardowns.set(key, finish);
      return;
    }
    finish();
  }

  private onOpenChannel(payload: Uint8Array): void {
    const m = vmbus_channel_open_channel.decode(payload);
    this.received.push({ type: 'CHANNELMSG_OPENCHANNEL', msg: m });
    const ch = this.byRelid.get(m.child_relid);
    if (!ch) return this.reject('UNKNOWN_CHANNEL_ID', CHANNELMSG.CHANNELMSG_OPENCHANNEL, { relid: m.child_relid });
    if (ch.state === 'revoked') return; // openvmm ignores opens of revoked channels
    if (ch.state === 'open') return this.reject('CHANNEL_ALREADY_OPEN', CHANNELMSG.CHANNELMSG_OPENCHANNEL, { relid: m.child_relid });
    const result = (status: number) => {
      if (!this.sendWords(CHANNELMSG.CHANNELMSG_OPENCHANNEL_RESULT, vmbus_channel_open_result.size, m.child_relid, m.openid, status >>> 0)) {
        this.send(makeChannelMessage('CHANNELMSG_OPENCHANNEL_RESULT', { child_relid: m.child_relid, openid: m.openid, status: status >>> 0 }));
      }
    };
    const rings = this.mapRings(ch, m);
    if (!rings) return result(STATUS_UNSUCCESSFUL);
    ch.state = 'open';
    ch.openRequest = m;
    ch.rings = rings;
    ch.targetVp = m.target_vp;
    const status = ch.device.open?.(ch, m) ?? STATUS_SUCCESS;
    if (status !== STATUS_SUCCESS) {
      ch.state = 'closed';
      ch.openRequest = null;
      ch.rings = null;
    }
    result(status);
  }

  /** Maps the two rings through the ring GPADL: pages [0, offset) guest→host, [offset, end) host→guest. */
  private mapRings(ch: HostChannel, m: VmbusChannelOpenChannel): HostChannelRings | null {
    const g = this.gpadls.get(gpadlKey(m.ringbuffer_gpadlhandle, ch.relid));
    if (!g || g.state !== 'accepted' || !g.view) return null;
    const pages = g.view.pageCount;
    const split = m.downstream_ringbuffer_pageoffset;
    if (pages === 0 || split < 2 || pages - split < 2) return null;
    const send = g.view.trackedPages(0, split);
    const recv = g.view.trackedPages(split, pages - split);
    if (!send || !recv) return null;
    try {
      return new HostChannelRings(send.bytes, recv.bytes, { send, recv });
    } catch {
      return null; // a ring whose control page holds a bad index cannot be used
    }
  }

  private onCloseChannel(payload: Uint8Array): void {
    const m = vmbus_channel_close_channel.decode(payload);
    this.received.push({ type: 'CHANNELMSG_CLOSECHANNEL', msg: m });
    const ch = this.byRelid.get(m.child_relid);
    if (!ch) return this.reject('UNKNOWN_CHANNEL_ID', CHANNELMSG.CHANNELMSG_CLOSECHANNEL, { relid: m.child_relid });
    if (ch.state === 'revoked') return;
    if (ch.state !== 'open') return this.reject('CHANNEL_NOT_OPEN', CHANNELMSG.CHANNELMSG_CLOSECHANNEL, { relid: m.child_relid });
    ch.state = 'closed';
    this.closeDevice(ch);
  }

  private onRelidReleased(payload: Uint8Array): void {
    const m = vmbus_channel_relid_released.decode(payload);
    this.received.push({ type: 'CHANNELMSG_RELID_RELEASED', msg: m });
    const ch = this.byRelid.get(m.child_relid);
    if (!ch) return this.reject('UNKNOWN_CHANNEL_ID', CHANNELMSG.CHANNELMSG_RELID_RELEASED, { relid: m.child_relid });
    if (ch.state === 'open') return this.reject('INVALID_CHANNEL_STATE', CHANNELMSG.CHANNELMSG_RELID_RELEASED, { relid: m.child_relid });
    if (ch.state === 'revoked') this.remove(ch);
    else {
      this.releaseRelid(ch);
      ch.state = 'unoffered';
    }
  }

  private onUnload(): void {
    this.received.push(makeChannelMessage('CHANNELMSG_UNLOAD'));
    this.reset();
    this.send(makeChannelMessage('CHANNELMSG_UNLOAD_RESPONSE'));
  }

  private onModifyChannel(payload: Uint8Array): void {
    const m = vmbus_channel_modifychannel.decode(payload);
    this.received.push({ type: 'CHANNELMSG_MODIFYCHANNEL', msg: m });
    const ch = this.byRelid.get(m.child_relid);
    if (!ch) return this.reject('UNKNOWN_CHANNEL_ID', CHANNELMSG.CHANNELMSG_MODIFYCHANNEL, { relid: m.child_relid });
    if (ch.state !== 'open') return this.reject('CHANNEL_NOT_OPEN', CHANNELMSG.CHANNELMSG_MODIFYCHANNEL, { relid: m.child_relid });
    ch.targetVp = m.target_vp;
    if (this.version >= VERSION_WIN10_V5_3) {
      this.send(makeChannelMessage('CHANNELMSG_MODIFYCHANNEL_RESPONSE', { child_relid: m.child_relid, status: STATUS_SUCCESS }));
    }
  }
}

/** Key of GPADL `handle` of channel `relid` in the host's maps (relids stay below 2^21). */
function gpadlKey(handle: number, relid: number): number {
  return relid * 4294967296 + handle;
}

function keyRelid(key: number): number {
  return Math.floor(key / 4294967296);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sameDevice(a: HostChannel, b: HostChannel): boolean {
  return a.params.ifType.toLowerCase() === b.params.ifType.toLowerCase() && a.params.ifInstance.toLowerCase() === b.params.ifInstance.toLowerCase();
}
