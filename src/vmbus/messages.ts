/**
 * VMBus channel-management messages (`CHANNELMSG_*`): one declaration per kernel struct, the
 * SynIC message slot they travel in, and the checks Linux applies on receipt.
 *
 * Layouts: include/linux/hyperv.h (channel messages), include/asm-generic/hyperv-tlfs.h
 * (`hv_message`), drivers/hv/hyperv_vmbus.h (`hv_input_post_message`); all packed. Receive rules:
 * drivers/hv/vmbus_drv.c `vmbus_on_msg_dpc` and the `channel_message_table` of
 * drivers/hv/channel_mgmt.c. Facts restated in shared/spec/vmbus.md §4.
 *
 * Every fixed message is a {@link StructCodec} named as the kernel names it. The two variable
 * messages (GPADL header and body, whose page lists follow the fixed part) have composite codecs,
 * {@link gpadlHeaderMessage} and {@link gpadlBodyMessage}.
 *
 * @module
 */
import {
  ProtocolError,
  bytes,
  guid,
  nested,
  reserved,
  struct,
  u16,
  u32,
  u64,
  u8,
  type Codec,
  type StructCodec,
  type ValueOf,
} from '../wire/index.js';
import { gpa_range, gpaRangePageCount, type GpaRange } from './packet.js';

// ---------------------------------------------------------------------------------------------
// Constants

/** `enum vmbus_channel_message_type` (include/linux/hyperv.h). */
export const CHANNELMSG = {
  /** 0: not a message; Linux has no handler and {@link decodeChannelMessage} refuses it. */
  CHANNELMSG_INVALID: 0,
  /** 1, host→guest: offers one channel (device class, instance GUID, relid, signalling); one per channel after REQUESTOFFERS. */
  CHANNELMSG_OFFERCHANNEL: 1,
  /** 2, host→guest: withdraws the channel `child_relid` (device removed); the guest answers with RELID_RELEASED once it is gone. */
  CHANNELMSG_RESCIND_CHANNELOFFER: 2,
  /** 3, guest→host, header only: asks for every offer; sent once after a successful INITIATE_CONTACT. */
  CHANNELMSG_REQUESTOFFERS: 3,
  /** 4, host→guest, header only: ends the burst of offers answering REQUESTOFFERS (Linux's handler does nothing). */
  CHANNELMSG_ALLOFFERS_DELIVERED: 4,
  /** 5, guest→host: opens a channel on the ring GPADL, naming the host→guest ring's page offset and the target VP. */
  CHANNELMSG_OPENCHANNEL: 5,
  /** 6, host→guest: answers OPENCHANNEL (matched by relid and openid); non-zero `status` fails the open. */
  CHANNELMSG_OPENCHANNEL_RESULT: 6,
  /** 7, guest→host: closes an open channel; the host sends no reply. */
  CHANNELMSG_CLOSECHANNEL: 7,
  /** 8, guest→host: starts a GPADL (handle, range header, first PFNs); GPADL_BODY messages carry the rest. */
  CHANNELMSG_GPADL_HEADER: 8,
  /** 9, guest→host: continues the PFN list of the GPADL named by `gpadl`. */
  CHANNELMSG_GPADL_BODY: 9,
  /** 10, host→guest: the GPADL is complete (or refused: non-zero `creation_status`). */
  CHANNELMSG_GPADL_CREATED: 10,
  /** 11, guest→host: asks the host to drop a GPADL. */
  CHANNELMSG_GPADL_TEARDOWN: 11,
  /** 12, host→guest: the GPADL named by `gpadl` is gone and its pages are the guest's again. */
  CHANNELMSG_GPADL_TORNDOWN: 12,
  /** 13, guest→host: the guest no longer uses a rescinded (or unusable) relid; the host may reuse it. */
  CHANNELMSG_RELID_RELEASED: 13,
  /** 14, guest→host: proposes a VMBus protocol version and the shared interrupt/monitor pages. */
  CHANNELMSG_INITIATE_CONTACT: 14,
  /** 15, host→guest: accepts or refuses the proposed version; from 5.0 names the connection id for later posts. */
  CHANNELMSG_VERSION_RESPONSE: 15,
  /** 16, guest→host, header only: disconnect from VMBus (Linux sends it only when the version is 3.0 or later). */
  CHANNELMSG_UNLOAD: 16,
  /** 17, host→guest, header only: acknowledges UNLOAD. */
  CHANNELMSG_UNLOAD_RESPONSE: 17,
  /** 18: no Linux name or handler (Hyper-V: open reserved channel, from 4.0). */
  CHANNELMSG_18: 18,
  /** 19: no Linux name or handler (Hyper-V: close reserved channel). */
  CHANNELMSG_19: 19,
  /** 20: no Linux name or handler (Hyper-V: close-reserved-channel response, from 4.0). */
  CHANNELMSG_20: 20,
  /** 21, guest→host: hv_sock connect request for a host service (protocol 4.0 and later). */
  CHANNELMSG_TL_CONNECT_REQUEST: 21,
  /** 22, guest→host: retargets a channel's interrupts to another VP (protocol 4.1 and later). */
  CHANNELMSG_MODIFYCHANNEL: 22,
  /** 23, host→guest: hv_sock connect result (4.1 and later); Linux has no handler and drops it. */
  CHANNELMSG_TL_CONNECT_RESULT: 23,
  /** 24, host→guest: answers MODIFYCHANNEL with a status (protocol 5.3 and later). */
  CHANNELMSG_MODIFYCHANNEL_RESPONSE: 24,
  /** 25: one past the last type Linux 6.1 knows; Linux drops this and every higher type with a warning. */
  CHANNELMSG_COUNT: 25,
} as const;

/** Name of a channel message type, e.g. `'CHANNELMSG_OFFERCHANNEL'`. */
export type ChannelMessageType = Exclude<keyof typeof CHANNELMSG, 'CHANNELMSG_INVALID' | 'CHANNELMSG_COUNT'>;

/** One past the last message type Linux 6.1 knows; types at or above it are dropped on receipt. */
export const CHANNELMSG_COUNT = CHANNELMSG.CHANNELMSG_COUNT;

const TYPE_NAMES: readonly (ChannelMessageType | 'CHANNELMSG_INVALID')[] = (() => {
  const names: (ChannelMessageType | 'CHANNELMSG_INVALID')[] = [];
  for (const [k, v] of Object.entries(CHANNELMSG)) if (v < CHANNELMSG.CHANNELMSG_COUNT) names[v] = k as ChannelMessageType;
  return names;
})();

/** The kernel name of a message type number (`CHANNELMSG_COUNT` and above: undefined). */
export function channelMessageTypeName(msgtype: number): ChannelMessageType | 'CHANNELMSG_INVALID' | undefined {
  return Number.isInteger(msgtype) && msgtype >= 0 && msgtype < CHANNELMSG_COUNT ? TYPE_NAMES[msgtype] : undefined;
}

/** Size of one SynIC message slot (`HV_MESSAGE_SIZE`). */
export const HV_MESSAGE_SIZE = 256;
/** Largest channel message (`HV_MESSAGE_PAYLOAD_BYTE_COUNT` = `MAX_SIZE_CHANNEL_MESSAGE`). */
export const HV_MESSAGE_PAYLOAD_BYTE_COUNT = 240;
/** Alias used by the GPADL code in drivers/hv/channel.c. */
export const MAX_SIZE_CHANNEL_MESSAGE = HV_MESSAGE_PAYLOAD_BYTE_COUNT;
/** `HVMSG_NONE`: an empty SynIC slot. */
export const HVMSG_NONE = 0;
/** `HVMSG_TIMER_EXPIRED`, the only other SynIC message type Linux looks at in the VMBus slot. */
export const HVMSG_TIMER_EXPIRED = 0x80000010;
/** The SynIC message type VMBus posts with (`vmbus_post_msg` passes 1). */
export const VMBUS_POST_MESSAGE_TYPE = 1;

/** User-defined bytes in offers and OPENCHANNEL. */
export const MAX_USER_DEFINED_BYTES = 120;
/** User-defined bytes left to pipe clients after `pipe_mode`. */
export const MAX_PIPE_USER_DEFINED_BYTES = 116;
/** No channel (`INVALID_RELID`). */
export const INVALID_RELID = 0xffffffff;
/** Linux maps relids below this only (`MAX_CHANNEL_RELIDS` = max(256, 2048)). */
export const MAX_CHANNEL_RELIDS = 2048;

/** Offer `chn_flags` (include/linux/hyperv.h "Server Flags"). */
export const VMBUS_CHANNEL_ENUMERATE_DEVICE_INTERFACE = 0x1;
/** Offer flag 0x2: server supports transfer pages (hyperv.h). */
export const VMBUS_CHANNEL_SERVER_SUPPORTS_TRANSFER_PAGES = 0x2;
/** Offer flag 0x4: server supports GPADLs (hyperv.h). */
export const VMBUS_CHANNEL_SERVER_SUPPORTS_GPADLS = 0x4;
/** Offer flag 0x10: pipe-mode channel (hyperv.h). */
export const VMBUS_CHANNEL_NAMED_PIPE_MODE = 0x10;
/** Offer flag 0x100: loopback offer (hyperv.h). */
export const VMBUS_CHANNEL_LOOPBACK_OFFER = 0x100;
/** Offer flag 0x200: parent offer (hyperv.h). */
export const VMBUS_CHANNEL_PARENT_OFFER = 0x200;
/** Offer flag 0x400: request monitored notification (hyperv.h). */
export const VMBUS_CHANNEL_REQUEST_MONITORED_NOTIFICATION = 0x400;
/** Offer flag 0x2000: hv_sock (TLNPI provider) offer (hyperv.h). */
export const VMBUS_CHANNEL_TLNPI_PROVIDER_OFFER = 0x2000;

/** Windows status words hosts put in `creation_status`/`status` (openvmm: vmbus_core protocol.rs). */
export const STATUS_SUCCESS = 0;
/** Windows STATUS_UNSUCCESSFUL, 0x8000ffff as hosts send it (openvmm vmbus_core). */
export const STATUS_UNSUCCESSFUL = 0x8000ffff;

/** Hypercall status values relevant to posting messages (include/asm-generic/hyperv-tlfs.h). */
export const HV_STATUS_SUCCESS = 0;
/** Hypercall status 5: invalid parameter (hyperv-tlfs.h). */
export const HV_STATUS_INVALID_PARAMETER = 5;
/** Hypercall status 11: insufficient memory (hyperv-tlfs.h). */
export const HV_STATUS_INSUFFICIENT_MEMORY = 11;
/** Hypercall status 18: invalid connection id (hyperv-tlfs.h). */
export const HV_STATUS_INVALID_CONNECTION_ID = 18;
/** Hypercall status 19: insufficient buffers, the message queue is full (hyperv-tlfs.h). */
export const HV_STATUS_INSUFFICIENT_BUFFERS = 19;

// ---------------------------------------------------------------------------------------------
// SynIC transport

/**
 * `struct hv_message_header` (16 bytes). `message_flags` bit 0 is `msg_pending` (a C bitfield in
 * `union hv_message_flags`; declared here as the containing byte). `sender` shares its 8 bytes with
 * `union hv_port_id port`.
 */
export const hv_message_header = struct('hv_message_header', [
  u32('message_type'),
  u8('payload_size'),
  u8('message_flags'),
  reserved('reserved', 2),
  u64('sender'),
]);

/** `struct hv_message`: one 256-byte SynIC message slot (the payload is the `u` union, 240 bytes). */
export const hv_message = struct('hv_message', [
  nested('header', hv_message_header),
  bytes('u', HV_MESSAGE_PAYLOAD_BYTE_COUNT),
]);

/**
 * `struct hv_input_post_message`: the HVCALL_POST_MESSAGE input page (drivers/hv/hyperv_vmbus.h).
 * `connectionid` is `union hv_connection_id` (bits 0–23 id, 24–31 reserved), declared as its u32.
 */
export const hv_input_post_message = struct('hv_input_post_message', [
  u32('connectionid'),
  u32('reserved'),
  u32('message_type'),
  u32('payload_size'),
  bytes('payload', HV_MESSAGE_PAYLOAD_BYTE_COUNT),
]);

/**
 * Codecs declared here that the compiled 6.1.192 modules carry no BTF for, with their size from the
 * headers (for the kernel-layout conformance suite).
 */
export const VMBUS_MESSAGES_NOT_IN_BTF: Readonly<Record<string, {
  /** `sizeof` the struct in bytes, as the header declares it (packed). */
  readonly size: number;
  /** The header that declares the struct, and why the modules' BTF lacks it. */
  readonly why: string;
}>> = Object.freeze({
  hv_message_header: { size: 16, why: 'include/asm-generic/hyperv-tlfs.h; the SynIC slot header, not in the modules\' BTF' },
  hv_message: { size: 256, why: 'include/asm-generic/hyperv-tlfs.h; one SynIC message slot, not in the modules\' BTF' },
  vmbus_channel_query_vmbus_version: { size: 12, why: 'include/linux/hyperv.h; declared, never used by the modules' },
});

/** Value types of the transport structs. */
export type HvMessageHeader = ValueOf<typeof hv_message_header>;
/** A decoded `hv_message` (see {@link hv_message}). */
export type HvMessage = ValueOf<typeof hv_message>;
/** A decoded `hv_input_post_message` (see {@link hv_input_post_message}). */
export type HvInputPostMessage = ValueOf<typeof hv_input_post_message>;

/** `msg_pending` bit of `hv_message_header.message_flags`. */
export const HV_MESSAGE_FLAG_PENDING = 0x1;

// ---------------------------------------------------------------------------------------------
// Channel messages (include/linux/hyperv.h)

/** `struct vmbus_channel_message_header` (8 bytes): the message type, then 4 bytes of padding. */
export const vmbus_channel_message_header = struct('vmbus_channel_message_header', [
  u32('msgtype'),
  reserved('padding', 4),
]);

/**
 * `struct vmbus_channel_offer` (176 bytes). `u` is the 120-byte union of `std.user_def` and
 * `pipe.{pipe_mode, user_def}`; see {@link offerPipeMode}. `reserved1`, `reserved2` and `reserved3`
 * are kept as values (not zeroed) because Linux stores and compares the whole offer.
 */
export const vmbus_channel_offer = struct('vmbus_channel_offer', [
  guid('if_type'),
  guid('if_instance'),
  u64('reserved1'),
  u64('reserved2'),
  u16('chn_flags'),
  u16('mmio_megabytes'),
  bytes('u', MAX_USER_DEFINED_BYTES),
  u16('sub_channel_index'),
  u16('reserved3'),
]);

/**
 * `struct vmbus_channel_offer_channel` (196 bytes), CHANNELMSG_OFFERCHANNEL.
 *
 * Bitfields: byte 189 holds `monitor_allocated:1` and `reserved:7`; the u16 at 190 holds
 * `is_dedicated_interrupt:1` and `reserved1:15`. Each containing unit is declared under the name of
 * its bit-0 member and keeps all its bits; read the flags with {@link offerMonitorAllocated} and
 * {@link offerIsDedicatedInterrupt}.
 */
export const vmbus_channel_offer_channel = struct('vmbus_channel_offer_channel', [
  nested('header', vmbus_channel_message_header),
  nested('offer', vmbus_channel_offer),
  u32('child_relid'),
  u8('monitorid'),
  u8('monitor_allocated'),
  u16('is_dedicated_interrupt'),
  u32('connection_id'),
]);

/** `struct vmbus_channel_rescind_offer` (12 bytes), CHANNELMSG_RESCIND_CHANNELOFFER. */
export const vmbus_channel_rescind_offer = struct('vmbus_channel_rescind_offer', [
  nested('header', vmbus_channel_message_header),
  u32('child_relid'),
]);

/** `struct vmbus_channel_open_channel` (148 bytes), CHANNELMSG_OPENCHANNEL. */
export const vmbus_channel_open_channel = struct('vmbus_channel_open_channel', [
  nested('header', vmbus_channel_message_header),
  u32('child_relid'),
  u32('openid'),
  u32('ringbuffer_gpadlhandle'),
  u32('target_vp'),
  u32('downstream_ringbuffer_pageoffset'),
  bytes('userdata', MAX_USER_DEFINED_BYTES),
]);

/** `struct vmbus_channel_open_result` (20 bytes), CHANNELMSG_OPENCHANNEL_RESULT. */
export const vmbus_channel_open_result = struct('vmbus_channel_open_result', [
  nested('header', vmbus_channel_message_header),
  u32('child_relid'),
  u32('openid'),
  u32('status'),
]);

/** `struct vmbus_channel_close_channel` (12 bytes), CHANNELMSG_CLOSECHANNEL. */
export const vmbus_channel_close_channel = struct('vmbus_channel_close_channel', [
  nested('header', vmbus_channel_message_header),
  u32('child_relid'),
]);

/**
 * `struct vmbus_channel_gpadl_header` (20 bytes), CHANNELMSG_GPADL_HEADER, fixed part. The
 * flexible `range[]` follows at byte 20 (so the first PFN sits at byte 28, 4-byte aligned only).
 * `range_buflen` counts the range data of the whole GPADL, not of this message.
 */
export const vmbus_channel_gpadl_header = struct('vmbus_channel_gpadl_header', [
  nested('header', vmbus_channel_message_header),
  u32('child_relid'),
  u32('gpadl'),
  u16('range_buflen'),
  u16('rangecount'),
]);

/**
 * `struct vmbus_channel_gpadl_body` (16 bytes), CHANNELMSG_GPADL_BODY, fixed part; the flexible
 * `pfn[]` follows. Linux leaves `msgnumber` 0.
 */
export const vmbus_channel_gpadl_body = struct('vmbus_channel_gpadl_body', [
  nested('header', vmbus_channel_message_header),
  u32('msgnumber'),
  u32('gpadl'),
]);

/** `struct vmbus_channel_gpadl_created` (20 bytes), CHANNELMSG_GPADL_CREATED. */
export const vmbus_channel_gpadl_created = struct('vmbus_channel_gpadl_created', [
  nested('header', vmbus_channel_message_header),
  u32('child_relid'),
  u32('gpadl'),
  u32('creation_status'),
]);

/** `struct vmbus_channel_gpadl_teardown` (16 bytes), CHANNELMSG_GPADL_TEARDOWN. */
export const vmbus_channel_gpadl_teardown = struct('vmbus_channel_gpadl_teardown', [
  nested('header', vmbus_channel_message_header),
  u32('child_relid'),
  u32('gpadl'),
]);

/** `struct vmbus_channel_gpadl_torndown` (12 bytes), CHANNELMSG_GPADL_TORNDOWN. */
export const vmbus_channel_gpadl_torndown = struct('vmbus_channel_gpadl_torndown', [
  nested('header', vmbus_channel_message_header),
  u32('gpadl'),
]);

/** `struct vmbus_channel_relid_released` (12 bytes), CHANNELMSG_RELID_RELEASED. */
export const vmbus_channel_relid_released = struct('vmbus_channel_relid_released', [
  nested('header', vmbus_channel_message_header),
  u32('child_relid'),
]);

/**
 * `struct vmbus_channel_initiate_contact` (40 bytes), CHANNELMSG_INITIATE_CONTACT.
 *
 * Bytes 16–23 are an anonymous union: `u64 interrupt_page` (versions below 5.0) or
 * `{u8 msg_sint; u8 padding1[3]; u32 padding2}` (5.0 and later). Declared as `interrupt_page`;
 * {@link initiateContactMsgSint} reads the `msg_sint` view.
 */
export const vmbus_channel_initiate_contact = struct('vmbus_channel_initiate_contact', [
  nested('header', vmbus_channel_message_header),
  u32('vmbus_version_requested'),
  u32('target_vcpu'),
  u64('interrupt_page'),
  u64('monitor_page1'),
  u64('monitor_page2'),
]);

/** `struct vmbus_channel_version_response` (16 bytes), CHANNELMSG_VERSION_RESPONSE. */
export const vmbus_channel_version_response = struct('vmbus_channel_version_response', [
  nested('header', vmbus_channel_message_header),
  u8('version_supported'),
  u8('connection_state'),
  reserved('padding', 2),
  u32('msg_conn_id'),
]);

/** `struct vmbus_channel_tl_connect_request` (40 bytes), CHANNELMSG_TL_CONNECT_REQUEST (hv_sock). */
export const vmbus_channel_tl_connect_request = struct('vmbus_channel_tl_connect_request', [
  nested('header', vmbus_channel_message_header),
  guid('guest_endpoint_id'),
  guid('host_service_id'),
]);

/** `struct vmbus_channel_modifychannel` (16 bytes), CHANNELMSG_MODIFYCHANNEL. */
export const vmbus_channel_modifychannel = struct('vmbus_channel_modifychannel', [
  nested('header', vmbus_channel_message_header),
  u32('child_relid'),
  u32('target_vp'),
]);

/** `struct vmbus_channel_modifychannel_response` (16 bytes), CHANNELMSG_MODIFYCHANNEL_RESPONSE. */
export const vmbus_channel_modifychannel_response = struct('vmbus_channel_modifychannel_response', [
  nested('header', vmbus_channel_message_header),
  u32('child_relid'),
  u32('status'),
]);

/** Legacy `struct vmbus_channel_query_vmbus_version` (12 bytes); declared in Linux, never sent. */
export const vmbus_channel_query_vmbus_version = struct('vmbus_channel_query_vmbus_version', [
  nested('header', vmbus_channel_message_header),
  u32('version'),
]);

/** Legacy `struct vmbus_channel_version_supported` (9 bytes); declared in Linux, never sent. */
export const vmbus_channel_version_supported = struct('vmbus_channel_version_supported', [
  nested('header', vmbus_channel_message_header),
  u8('version_supported'),
]);

/** Value types of the channel message structs. */
export type VmbusChannelMessageHeader = ValueOf<typeof vmbus_channel_message_header>;
/** A decoded `vmbus_channel_offer` (see {@link vmbus_channel_offer}). */
export type VmbusChannelOffer = ValueOf<typeof vmbus_channel_offer>;
/** A decoded `vmbus_channel_offer_channel` (see {@link vmbus_channel_offer_channel}). */
export type VmbusChannelOfferChannel = ValueOf<typeof vmbus_channel_offer_channel>;
/** A decoded `vmbus_channel_rescind_offer` (see {@link vmbus_channel_rescind_offer}). */
export type VmbusChannelRescindOffer = ValueOf<typeof vmbus_channel_rescind_offer>;
/** A decoded `vmbus_channel_open_channel` (see {@link vmbus_channel_open_channel}). */
export type VmbusChannelOpenChannel = ValueOf<typeof vmbus_channel_open_channel>;
/** A decoded `vmbus_channel_open_result` (see {@link vmbus_channel_open_result}). */
export type VmbusChannelOpenResult = ValueOf<typeof vmbus_channel_open_result>;
/** A decoded `vmbus_channel_close_channel` (see {@link vmbus_channel_close_channel}). */
export type VmbusChannelCloseChannel = ValueOf<typeof vmbus_channel_close_channel>;
/** A decoded `vmbus_channel_gpadl_header` (see {@link vmbus_channel_gpadl_header}). */
export type VmbusChannelGpadlHeaderFixed = ValueOf<typeof vmbus_channel_gpadl_header>;
/** A decoded `vmbus_channel_gpadl_body` (see {@link vmbus_channel_gpadl_body}). */
export type VmbusChannelGpadlBodyFixed = ValueOf<typeof vmbus_channel_gpadl_body>;
/** A decoded `vmbus_channel_gpadl_created` (see {@link vmbus_channel_gpadl_created}). */
export type VmbusChannelGpadlCreated = ValueOf<typeof vmbus_channel_gpadl_created>;
/** A decoded `vmbus_channel_gpadl_teardown` (see {@link vmbus_channel_gpadl_teardown}). */
export type VmbusChannelGpadlTeardown = ValueOf<typeof vmbus_channel_gpadl_teardown>;
/** A decoded `vmbus_channel_gpadl_torndown` (see {@link vmbus_channel_gpadl_torndown}). */
export type VmbusChannelGpadlTorndown = ValueOf<typeof vmbus_channel_gpadl_torndown>;
/** A decoded `vmbus_channel_relid_released` (see {@link vmbus_channel_relid_released}). */
export type VmbusChannelRelidReleased = ValueOf<typeof vmbus_channel_relid_released>;
/** A decoded `vmbus_channel_initiate_contact` (see {@link vmbus_channel_initiate_contact}). */
export type VmbusChannelInitiateContact = ValueOf<typeof vmbus_channel_initiate_contact>;
/** A decoded `vmbus_channel_version_response` (see {@link vmbus_channel_version_response}). */
export type VmbusChannelVersionResponse = ValueOf<typeof vmbus_channel_version_response>;
/** A decoded `vmbus_channel_tl_connect_request` (see {@link vmbus_channel_tl_connect_request}). */
export type VmbusChannelTlConnectRequest = ValueOf<typeof vmbus_channel_tl_connect_request>;
/** A decoded `vmbus_channel_modifychannel` (see {@link vmbus_channel_modifychannel}). */
export type VmbusChannelModifyChannel = ValueOf<typeof vmbus_channel_modifychannel>;
/** A decoded `vmbus_channel_modifychannel_response` (see {@link vmbus_channel_modifychannel_response}). */
export type VmbusChannelModifyChannelResponse = ValueOf<typeof vmbus_channel_modifychannel_response>;

// ---------------------------------------------------------------------------------------------
// Bitfield and union views

/** The offer's `monitor_allocated` bit (bit 0 of byte 189). */
export function offerMonitorAllocated(offer: Pick<VmbusChannelOfferChannel, 'monitor_allocated'>): boolean {
  return (offer.monitor_allocated & 1) === 1;
}

/** The offer's `is_dedicated_interrupt` bit (bit 0 of the u16 at 190). */
export function offerIsDedicatedInterrupt(offer: Pick<VmbusChannelOfferChannel, 'is_dedicated_interrupt'>): boolean {
  return (offer.is_dedicated_interrupt & 1) === 1;
}

/** `pipe_mode` of a named-pipe offer: the first 4 bytes of `u`, little-endian. */
export function offerPipeMode(offer: Pick<VmbusChannelOffer, 'u'>): number {
  const u = offer.u;
  return (u[0]! | (u[1]! << 8) | (u[2]! << 16) | (u[3]! << 24)) >>> 0;
}

/** `msg_sint` of INITIATE_CONTACT for versions 5.0 and later: byte 16, the low byte of the union. */
export function initiateContactMsgSint(msg: Pick<VmbusChannelInitiateContact, 'interrupt_page'>): number {
  return Number(msg.interrupt_page & 0xffn);
}

/** True when the offer is a hv_sock offer (`is_hvsock_offer`: TLNPI provider flag set). */
export function isHvsockOffer(offer: VmbusChannelOfferChannel): boolean {
  return (offer.offer.chn_flags & VMBUS_CHANNEL_TLNPI_PROVIDER_OFFER) !== 0;
}

// ---------------------------------------------------------------------------------------------
// Variable-size GPADL messages

/**
 * A whole CHANNELMSG_GPADL_HEADER message: the fixed part plus the range data this message
 * carries, read as consecutive ranges. A range takes `ceil((byte_offset + byte_count) / 4096)`
 * PFNs, or fewer when the message ends first (the rest follow in GPADL_BODY messages).
 */
export interface GpadlHeaderMessage extends VmbusChannelGpadlHeaderFixed {
  /** `header`: the channel message header, `msgtype` CHANNELMSG_GPADL_HEADER (8). */
  header: VmbusChannelMessageHeader;
  /** `child_relid` (byte 8): the relid of the channel the GPADL is for (Linux: the primary's or the subchannel's own). */
  child_relid: number;
  /** `gpadl` (byte 12): the handle the guest chose for this GPADL; GPADL_BODY, GPADL_CREATED and teardown name it again. */
  gpadl: number;
  /** `range_buflen` (byte 16): bytes of range data in the whole GPADL (all ranges with all their PFNs, not just this message's). */
  range_buflen: number;
  /** `rangecount` (byte 18): the number of `gpa_range`s in the GPADL (Linux: 1). */
  rangecount: number;
  /**
   * `range[]` of `vmbus_channel_gpadl_header` (from byte 20): the `gpa_range`s this message
   * carries, the last one possibly cut short. Linux sends one range (`rangecount` 1) with at most
   * 26 PFNs here; the rest of its PFNs follow in GPADL_BODY messages.
   */
  range: GpaRange[];
}

/** A whole CHANNELMSG_GPADL_BODY message: the fixed part and its PFNs (`pfn[]`). */
export interface GpadlBodyMessage extends VmbusChannelGpadlBodyFixed {
  /** `header`: the channel message header, `msgtype` CHANNELMSG_GPADL_BODY (9). */
  header: VmbusChannelMessageHeader;
  /** `msgnumber` (byte 8): sequence number of this body message; Linux leaves it 0. */
  msgnumber: number;
  /** `gpadl` (byte 12): the handle of the GPADL this body continues (the one its GPADL_HEADER named). */
  gpadl: number;
  /**
   * `pfn[]` of `vmbus_channel_gpadl_body` (from byte 16): the next 4 KiB guest page frame numbers
   * of the GPADL's range data, at most 28 per message.
   */
  pfn: bigint[];
}

function readU64(b: Uint8Array, p: number): bigint {
  const lo = (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
  const hi = (b[p + 4]! | (b[p + 5]! << 8) | (b[p + 6]! << 16) | (b[p + 7]! << 24)) >>> 0;
  return BigInt(lo) | (BigInt(hi) << 32n);
}

function writeU64(b: Uint8Array, p: number, v: bigint, struct: string, field: string): void {
  if (typeof v !== 'bigint' || v < 0n || v > 0xffffffffffffffffn) {
    throw new ProtocolError('FIELD_RANGE', 'does not fit u64', { struct, field, value: v, offset: p });
  }
  const lo = Number(v & 0xffffffffn);
  const hi = Number(v >> 32n);
  b[p] = lo;
  b[p + 1] = lo >>> 8;
  b[p + 2] = lo >>> 16;
  b[p + 3] = lo >>> 24;
  b[p + 4] = hi;
  b[p + 5] = hi >>> 8;
  b[p + 6] = hi >>> 16;
  b[p + 7] = hi >>> 24;
}

function checkBuffer(name: string, buf: Uint8Array, offset: number, need: number, what: string): void {
  if (!(buf instanceof Uint8Array)) throw new ProtocolError('BAD_VALUE', `${what} needs a Uint8Array`, { struct: name });
  if (!Number.isInteger(offset) || offset < 0 || offset > buf.length) {
    throw new ProtocolError('BAD_OFFSET', `is not a valid offset into a ${buf.length}-byte buffer`, {
      struct: name,
      field: 'offset',
      value: offset,
      offset,
    });
  }
  if (buf.length - offset < need) {
    throw new ProtocolError('SHORT_BUFFER', `needs ${need} bytes but only ${buf.length - offset} remain (${what})`, {
      struct: name,
      offset,
    });
  }
}

/**
 * Codec of a whole GPADL_HEADER message. `decode` reads the whole u64 words from the fixed part to
 * the end of the buffer as range data (pass exactly the posted message, `payload_size` bytes); a
 * trailing partial word is ignored, as the host ignores it.
 */
export const gpadlHeaderMessage: Codec<GpadlHeaderMessage> = {
  name: 'vmbus_channel_gpadl_header',
  encodingLength(v) {
    let n = vmbus_channel_gpadl_header.size;
    for (const r of v.range) n += gpa_range.size + 8 * r.pfns.length;
    return n;
  },
  encode(v, buf, offset = 0) {
    const len = this.encodingLength(v);
    const out = buf ?? new Uint8Array(offset + len);
    checkBuffer(this.name, out, offset, len, 'encode');
    vmbus_channel_gpadl_header.encode(v, out, offset);
    let p = offset + vmbus_channel_gpadl_header.size;
    for (const r of v.range) {
      gpa_range.encode(r, out, p);
      p += gpa_range.size;
      r.pfns.forEach((pfn, i) => {
        writeU64(out, p, pfn, this.name, `range.pfn_array[${i}]`);
        p += 8;
      });
    }
    return out;
  },
  decode(buf, offset = 0) {
    const fixed = vmbus_channel_gpadl_header.decode(buf, offset);
    let p = offset + vmbus_channel_gpadl_header.size;
    // a trailing partial word is ignored, as the host ignores it (openvmm Gpadl::append)
    const end = p + ((buf.length - p) & ~7);
    const range: GpaRange[] = [];
    while (p < end) {
      const h = gpa_range.decode(buf, p);
      p += gpa_range.size;
      const want = gpaRangePageCount(h.byte_offset, h.byte_count);
      const have = Math.min(want, (end - p) / 8);
      const pfns: bigint[] = new Array(have);
      for (let i = 0; i < have; i++, p += 8) pfns[i] = readU64(buf, p);
      range.push({ byte_count: h.byte_count, byte_offset: h.byte_offset, pfns });
    }
    return { ...fixed, range };
  },
};

/**
 * Codec of a whole GPADL_BODY message; `decode` reads whole u64 PFNs to the end of the buffer (a
 * trailing partial word is ignored).
 */
export const gpadlBodyMessage: Codec<GpadlBodyMessage> = {
  name: 'vmbus_channel_gpadl_body',
  encodingLength(v) {
    return vmbus_channel_gpadl_body.size + 8 * v.pfn.length;
  },
  encode(v, buf, offset = 0) {
    const len = this.encodingLength(v);
    const out = buf ?? new Uint8Array(offset + len);
    checkBuffer(this.name, out, offset, len, 'encode');
    vmbus_channel_gpadl_body.encode(v, out, offset);
    let p = offset + vmbus_channel_gpadl_body.size;
    v.pfn.forEach((pfn, i) => {
      writeU64(out, p, pfn, this.name, `pfn[${i}]`);
      p += 8;
    });
    return out;
  },
  decode(buf, offset = 0) {
    const fixed = vmbus_channel_gpadl_body.decode(buf, offset);
    const p0 = offset + vmbus_channel_gpadl_body.size;
    const n = Math.floor((buf.length - p0) / 8); // a trailing partial word is ignored
    const pfn: bigint[] = new Array(n);
    for (let i = 0; i < n; i++) pfn[i] = readU64(buf, p0 + 8 * i);
    return { ...fixed, pfn };
  },
};

// ---------------------------------------------------------------------------------------------
// The message union

/** Bytes of a message type that has no struct in Linux (18, 19, 20, 23): header plus raw body. */
export interface OpaqueChannelMessage {
  /** The 8-byte `vmbus_channel_message_header`; `msgtype` is 18, 19, 20 or 23. */
  header: VmbusChannelMessageHeader;
  /** Everything after the 8-byte header. */
  body: Uint8Array;
}

/**
 * One channel message as this library passes it around: the kernel name of its type and its
 * decoded value. {@link ChannelMessage} is the union of one envelope per type.
 */
export interface ChannelMessageEnvelope<K extends ChannelMessageType, M> {
  /**
   * Kernel name of the message type (a key of {@link CHANNELMSG}); on the wire only its number
   * travels, in `msg.header.msgtype`, and {@link encodeChannelMessage} refuses a mismatch.
   */
  type: K;
  /**
   * The decoded message, its 8-byte `vmbus_channel_message_header` included (for the header-only
   * types REQUESTOFFERS, ALLOFFERS_DELIVERED, UNLOAD and UNLOAD_RESPONSE, the header itself).
   */
  msg: M;
}

/** Every channel message, discriminated by its kernel type name. */
export type ChannelMessage =
  | ChannelMessageEnvelope<'CHANNELMSG_OFFERCHANNEL', VmbusChannelOfferChannel>
  | ChannelMessageEnvelope<'CHANNELMSG_RESCIND_CHANNELOFFER', VmbusChannelRescindOffer>
  | ChannelMessageEnvelope<'CHANNELMSG_REQUESTOFFERS', VmbusChannelMessageHeader>
  | ChannelMessageEnvelope<'CHANNELMSG_ALLOFFERS_DELIVERED', VmbusChannelMessageHeader>
  | ChannelMessageEnvelope<'CHANNELMSG_OPENCHANNEL', VmbusChannelOpenChannel>
  | ChannelMessageEnvelope<'CHANNELMSG_OPENCHANNEL_RESULT', VmbusChannelOpenResult>
  | ChannelMessageEnvelope<'CHANNELMSG_CLOSECHANNEL', VmbusChannelCloseChannel>
  | ChannelMessageEnvelope<'CHANNELMSG_GPADL_HEADER', GpadlHeaderMessage>
  | ChannelMessageEnvelope<'CHANNELMSG_GPADL_BODY', GpadlBodyMessage>
  | ChannelMessageEnvelope<'CHANNELMSG_GPADL_CREATED', VmbusChannelGpadlCreated>
  | ChannelMessageEnvelope<'CHANNELMSG_GPADL_TEARDOWN', VmbusChannelGpadlTeardown>
  | ChannelMessageEnvelope<'CHANNELMSG_GPADL_TORNDOWN', VmbusChannelGpadlTorndown>
  | ChannelMessageEnvelope<'CHANNELMSG_RELID_RELEASED', VmbusChannelRelidReleased>
  | ChannelMessageEnvelope<'CHANNELMSG_INITIATE_CONTACT', VmbusChannelInitiateContact>
  | ChannelMessageEnvelope<'CHANNELMSG_VERSION_RESPONSE', VmbusChannelVersionResponse>
  | ChannelMessageEnvelope<'CHANNELMSG_UNLOAD', VmbusChannelMessageHeader>
  | ChannelMessageEnvelope<'CHANNELMSG_UNLOAD_RESPONSE', VmbusChannelMessageHeader>
  | ChannelMessageEnvelope<'CHANNELMSG_18', OpaqueChannelMessage>
  | ChannelMessageEnvelope<'CHANNELMSG_19', OpaqueChannelMessage>
  | ChannelMessageEnvelope<'CHANNELMSG_20', OpaqueChannelMessage>
  | ChannelMessageEnvelope<'CHANNELMSG_TL_CONNECT_REQUEST', VmbusChannelTlConnectRequest>
  | ChannelMessageEnvelope<'CHANNELMSG_MODIFYCHANNEL', VmbusChannelModifyChannel>
  | ChannelMessageEnvelope<'CHANNELMSG_TL_CONNECT_RESULT', OpaqueChannelMessage>
  | ChannelMessageEnvelope<'CHANNELMSG_MODIFYCHANNEL_RESPONSE', VmbusChannelModifyChannelResponse>;

/** The {@link ChannelMessage} of one type, e.g. `ChannelMessageOf<'CHANNELMSG_GPADL_CREATED'>`. */
export type ChannelMessageOf<K extends ChannelMessageType> = Extract<ChannelMessage, ChannelMessageEnvelope<K, unknown>>;

/** The message value of one type. */
export type MessageOf<K extends ChannelMessageType> = ChannelMessageOf<K>['msg'];

const opaqueMessage = (name: string): Codec<OpaqueChannelMessage> => ({
  name,
  encodingLength: (v) => 8 + v.body.length,
  encode(v, buf, offset = 0) {
    const out = buf ?? new Uint8Array(offset + 8 + v.body.length);
    checkBuffer(name, out, offset, 8 + v.body.length, 'encode');
    vmbus_channel_message_header.encode(v.header, out, offset);
    out.set(v.body, offset + 8);
    return out;
  },
  decode(buf, offset = 0) {
    const header = vmbus_channel_message_header.decode(buf, offset);
    return { header, body: buf.slice(offset + 8) };
  },
});

/** The codec of each message type (the struct Linux declares for it, or a header-plus-body codec). */
export const CHANNEL_MESSAGE_CODECS: { readonly [K in ChannelMessageType]: Codec<MessageOf<K>> } = {
  CHANNELMSG_OFFERCHANNEL: vmbus_channel_offer_channel,
  CHANNELMSG_RESCIND_CHANNELOFFER: vmbus_channel_rescind_offer,
  CHANNELMSG_REQUESTOFFERS: vmbus_channel_message_header,
  CHANNELMSG_ALLOFFERS_DELIVERED: vmbus_channel_message_header,
  CHANNELMSG_OPENCHANNEL: vmbus_channel_open_channel,
  CHANNELMSG_OPENCHANNEL_RESULT: vmbus_channel_open_result,
  CHANNELMSG_CLOSECHANNEL: vmbus_channel_close_channel,
  CHANNELMSG_GPADL_HEADER: gpadlHeaderMessage,
  CHANNELMSG_GPADL_BODY: gpadlBodyMessage,
  CHANNELMSG_GPADL_CREATED: vmbus_channel_gpadl_created,
  CHANNELMSG_GPADL_TEARDOWN: vmbus_channel_gpadl_teardown,
  CHANNELMSG_GPADL_TORNDOWN: vmbus_channel_gpadl_torndown,
  CHANNELMSG_RELID_RELEASED: vmbus_channel_relid_released,
  CHANNELMSG_INITIATE_CONTACT: vmbus_channel_initiate_contact,
  CHANNELMSG_VERSION_RESPONSE: vmbus_channel_version_response,
  CHANNELMSG_UNLOAD: vmbus_channel_message_header,
  CHANNELMSG_UNLOAD_RESPONSE: vmbus_channel_message_header,
  CHANNELMSG_18: opaqueMessage('CHANNELMSG_18'),
  CHANNELMSG_19: opaqueMessage('CHANNELMSG_19'),
  CHANNELMSG_20: opaqueMessage('CHANNELMSG_20'),
  CHANNELMSG_TL_CONNECT_REQUEST: vmbus_channel_tl_connect_request,
  CHANNELMSG_MODIFYCHANNEL: vmbus_channel_modifychannel,
  CHANNELMSG_TL_CONNECT_RESULT: opaqueMessage('CHANNELMSG_TL_CONNECT_RESULT'),
  CHANNELMSG_MODIFYCHANNEL_RESPONSE: vmbus_channel_modifychannel_response,
};

/** Smallest well-formed size of each message type: its struct's `sizeof` (8 for header-only). */
export function channelMessageMinSize(type: ChannelMessageType): number {
  if (type === 'CHANNELMSG_GPADL_HEADER') return vmbus_channel_gpadl_header.size;
  if (type === 'CHANNELMSG_GPADL_BODY') return vmbus_channel_gpadl_body.size;
  const c = CHANNEL_MESSAGE_CODECS[type] as Codec<unknown> & { size?: number };
  return typeof c.size === 'number' ? c.size : vmbus_channel_message_header.size;
}

/**
 * The fields a caller may give {@link makeChannelMessage}: any subset of the type's struct fields
 * under their kernel names; `header` is not among them (it is set from the type), and fields left
 * out are zero.
 */
export type ChannelMessageFields<K extends ChannelMessageType> = Partial<Omit<MessageOf<K>, 'header'>>;

/**
 * Builds a message of type `type` with its header set and every field not given zero.
 * @example `makeChannelMessage('CHANNELMSG_CLOSECHANNEL', { child_relid: 5 })`
 */
export function makeChannelMessage<K extends ChannelMessageType>(type: K, fields: ChannelMessageFields<K> = {}): ChannelMessageOf<K> {
  const header = { msgtype: CHANNELMSG[type] };
  const codec = CHANNEL_MESSAGE_CODECS[type] as Codec<unknown> & { zero?: () => object };
  if (codec === (vmbus_channel_message_header as Codec<unknown>)) {
    return { type, msg: header } as unknown as ChannelMessageOf<K>;
  }
  const full = typeof codec.zero === 'function' ? allFieldsGiven(codec as StructCodec<unknown>, fields) : null;
  if (full) {
    // every field given: the object `{ ...zero(), ...fields, header }` would be, built without zero()
    const msg: Record<string, unknown> = { header };
    for (const n of full) if (n !== 'header') msg[n] = (fields as Record<string, unknown>)[n];
    for (const k of Object.keys(fields)) if (!Object.prototype.hasOwnProperty.call(msg, k)) msg[k] = (fields as Record<string, unknown>)[k];
    return { type, msg } as unknown as ChannelMessageOf<K>;
  }
  let base: object;
  if (typeof codec.zero === 'function') base = codec.zero();
  else if (type === 'CHANNELMSG_GPADL_HEADER') base = { ...vmbus_channel_gpadl_header.zero(), range: [] };
  else if (type === 'CHANNELMSG_GPADL_BODY') base = { ...vmbus_channel_gpadl_body.zero(), pfn: [] };
  else base = { body: new Uint8Array(0) };
  return { type, msg: { ...base, ...fields, header } } as unknown as ChannelMessageOf<K>;
}

const VALUE_FIELDS = new Map<unknown, readonly string[] | null>();

/**
 * The value fields of a struct codec in declaration order (header first) when `fields` has each of
 * them (but the header) as an own enumerable property and no symbol keys, else null (always null
 * for a struct of scalars, whose zero() is cheap).
 */
function allFieldsGiven(codec: StructCodec<unknown>, fields: object): readonly string[] | null {
  let names = VALUE_FIELDS.get(codec);
  if (names === undefined) {
    // only worth it where zero() is dear: structs with nested structs, GUIDs or byte arrays past the header
    const costly = codec.declaration.slice(1).some((d) => d.kind === 'struct' || d.kind === 'guid' || d.kind === 'bytes');
    names = costly ? codec.declaration.filter((d) => d.kind !== 'reserved' && d.kind !== 'pad').map((d) => d.name) : null;
    VALUE_FIELDS.set(codec, names);
  }
  if (names === null || names[0] !== 'header') return null;
  for (let i = 1; i < names.length; i++) if (!Object.prototype.propertyIsEnumerable.call(fields, names[i]!)) return null;
  return Object.getOwnPropertySymbols(fields).length === 0 ? names : null;
}

/**
 * Encodes a message to exactly the bytes a peer posts (its `payload_size` is the result's length).
 * @throws ProtocolError `BAD_VALUE` when `msg.header.msgtype` disagrees with `type`; `BAD_LENGTH`
 *   when the message is longer than 240 bytes; the struct codec's errors for out-of-range fields.
 */
export function encodeChannelMessage(m: ChannelMessage): Uint8Array {
  const expected = CHANNELMSG[m.type];
  // header-only messages (REQUESTOFFERS, ALLOFFERS_DELIVERED, UNLOAD, UNLOAD_RESPONSE) are the header itself
  const msg = m.msg as Partial<VmbusChannelMessageHeader> & { header?: VmbusChannelMessageHeader };
  const header = msg.header ?? msg;
  if (header?.msgtype !== expected) {
    throw new ProtocolError('BAD_VALUE', `does not match message type ${m.type} (${expected})`, {
      struct: 'vmbus_channel_message_header',
      field: 'msgtype',
      value: header?.msgtype,
      offset: 0,
    });
  }
  const codec = CHANNEL_MESSAGE_CODECS[m.type] as Codec<unknown>;
  const len = codec.encodingLength(m.msg);
  if (len > HV_MESSAGE_PAYLOAD_BYTE_COUNT) {
    throw new ProtocolError('BAD_LENGTH', `is ${len} bytes; a channel message holds at most ${HV_MESSAGE_PAYLOAD_BYTE_COUNT}`, {
      struct: codec.name,
      value: len,
    });
  }
  return codec.encode(m.msg);
}

/**
 * Decodes a posted channel message: `bytes` is exactly the payload (`payload_size` bytes).
 * Bytes beyond a fixed-size struct are ignored, as both Linux and Hyper-V ignore them.
 *
 * @throws ProtocolError `SHORT_BUFFER` (fewer than 8 bytes, or fewer than the type's struct);
 *   `BAD_VALUE` (type 0 or ≥ {@link CHANNELMSG_COUNT}); `BAD_LENGTH` (more than 240 bytes).
 */
export function decodeChannelMessage(bytes: Uint8Array): ChannelMessage {
  if (!(bytes instanceof Uint8Array)) {
    throw new ProtocolError('BAD_VALUE', 'decode needs a Uint8Array', { struct: 'vmbus_channel_message_header' });
  }
  if (bytes.length > HV_MESSAGE_PAYLOAD_BYTE_COUNT) {
    throw new ProtocolError('BAD_LENGTH', `is longer than ${HV_MESSAGE_PAYLOAD_BYTE_COUNT} bytes`, {
      struct: 'vmbus_channel_message_header',
      value: bytes.length,
    });
  }
  const { msgtype } = vmbus_channel_message_header.decode(bytes, 0);
  const name = channelMessageTypeName(msgtype);
  if (name === undefined || name === 'CHANNELMSG_INVALID') {
    throw new ProtocolError('BAD_VALUE', `is not a channel message type (1..${CHANNELMSG_COUNT - 1})`, {
      struct: 'vmbus_channel_message_header',
      field: 'msgtype',
      value: msgtype,
      offset: 0,
    });
  }
  const codec = CHANNEL_MESSAGE_CODECS[name] as Codec<unknown> & { size?: number };
  const min = channelMessageMinSize(name);
  if (bytes.length < min) {
    throw new ProtocolError('SHORT_BUFFER', `${name} needs ${min} bytes but the message has ${bytes.length}`, {
      struct: codec.name,
      value: bytes.length,
      offset: 0,
    });
  }
  return { type: name, msg: codec.decode(bytes, 0) } as ChannelMessage;
}

// ---------------------------------------------------------------------------------------------
// Linux's receive path (drivers/hv/vmbus_drv.c vmbus_on_msg_dpc + channel_message_table)

/** One row of Linux's `channel_message_table`: whether it has a handler, and its minimum length. */
export interface LinuxMessageTableEntry {
  /** The message has a handler in the guest (others are dropped without a log). */
  readonly handled: boolean;
  /** Handled on a work queue (`VMHT_BLOCKING`) rather than in the message tasklet. */
  readonly blocking: boolean;
  /** `min_payload_len`, header included. */
  readonly minPayloadLen: number;
}

/** Linux 6.1's `channel_message_table`, indexed by message type (drivers/hv/channel_mgmt.c). */
export const LINUX_CHANNEL_MESSAGE_TABLE: readonly LinuxMessageTableEntry[] = (() => {
  const none: LinuxMessageTableEntry = { handled: false, blocking: false, minPayloadLen: 0 };
  const t: LinuxMessageTableEntry[] = new Array(CHANNELMSG_COUNT).fill(none);
  t[CHANNELMSG.CHANNELMSG_OFFERCHANNEL] = { handled: true, blocking: true, minPayloadLen: 196 };
  t[CHANNELMSG.CHANNELMSG_RESCIND_CHANNELOFFER] = { handled: true, blocking: true, minPayloadLen: 12 };
  t[CHANNELMSG.CHANNELMSG_ALLOFFERS_DELIVERED] = { handled: true, blocking: false, minPayloadLen: 0 };
  t[CHANNELMSG.CHANNELMSG_OPENCHANNEL_RESULT] = { handled: true, blocking: false, minPayloadLen: 20 };
  t[CHANNELMSG.CHANNELMSG_GPADL_CREATED] = { handled: true, blocking: false, minPayloadLen: 20 };
  t[CHANNELMSG.CHANNELMSG_GPADL_TORNDOWN] = { handled: true, blocking: false, minPayloadLen: 12 };
  t[CHANNELMSG.CHANNELMSG_VERSION_RESPONSE] = { handled: true, blocking: false, minPayloadLen: 16 };
  t[CHANNELMSG.CHANNELMSG_UNLOAD_RESPONSE] = { handled: true, blocking: false, minPayloadLen: 0 };
  t[CHANNELMSG.CHANNELMSG_MODIFYCHANNEL_RESPONSE] = { handled: true, blocking: false, minPayloadLen: 16 };
  return t;
})();

/** Why Linux dropped a SynIC message in the VMBus slot. */
export type LinuxDropReason =
  /** `msgtype >= CHANNELMSG_COUNT` (WARN once). */
  | 'UNKNOWN_MSGTYPE'
  /** `payload_size > 240` (WARN once). */
  | 'PAYLOAD_TOO_LARGE'
  /** The type has no handler in the guest (no log). */
  | 'NO_HANDLER'
  /** `payload_size < min_payload_len` (WARN once). */
  | 'TOO_SHORT';

/** What Linux does with the message in its VMBus SynIC slot. */
export type LinuxMessageVerdict =
  /** `message_type == HVMSG_NONE`: nothing there. */
  | {
      /** `'none'`: the slot is empty. */
      action: 'none';
    }
  /** `HVMSG_TIMER_EXPIRED` in the VMBus slot: handled as a stimer0 expiry, not a channel message. */
  | {
      /** `'timer'`: a synthetic-timer expiry, not a channel message. */
      action: 'timer';
    }
  /** Dropped (and the slot released). */
  | {
      /** `'drop'`: no handler runs; the slot is released all the same. */
      action: 'drop';
      /** Which of Linux's receive checks refused the message. */
      reason: LinuxDropReason;
      /** `vmbus_channel_message_header.msgtype` as read from the payload (may be ≥ 25). */
      msgtype: number;
      /** `hv_message_header.payload_size` of the slot, in bytes (header included). */
      payloadSize: number;
      /** Linux logs a one-time kernel warning for this drop (`NO_HANDLER` drops are silent). */
      warn: boolean;
    }
  /** Passed to the type's handler. */
  | {
      /** `'handle'`: the message reaches its `channel_message_table` handler. */
      action: 'handle';
      /** The decoded message, read from the whole 240-byte payload area. */
      message: ChannelMessage;
      /** Linux defers the handler to a work queue (`VMHT_BLOCKING`: OFFERCHANNEL, RESCIND_CHANNELOFFER). */
      blocking: boolean;
      /** `hv_message_header.payload_size` of the slot, in bytes (header included). */
      payloadSize: number;
    };

/**
 * Applies Linux's receive-path checks to a 256-byte SynIC message slot, in Linux's order:
 * empty slot; message type ≥ 25; payload_size > 240; no handler; payload_size < min_payload_len.
 * The SynIC `message_type` is not required to be 1 (Linux does not look at it beyond HVMSG_NONE and
 * the timer message). Fields are read from the whole 240-byte payload area, as Linux reads them from
 * its private copy of the slot, so a header-only message with `payload_size` 0 is still handled.
 * @throws ProtocolError `SHORT_BUFFER` when `slot` is shorter than 256 bytes.
 */
export function linuxReceiveChannelMessage(slot: Uint8Array): LinuxMessageVerdict {
  if (!(slot instanceof Uint8Array) || slot.length < hv_message.size) hv_message.decode(slot, 0); // throws
  // hv_message: message_type (u32) at 0, payload_size (u8) at 4; the payload `u` from 16
  const message_type = (slot[0]! | (slot[1]! << 8) | (slot[2]! << 16) | (slot[3]! << 24)) >>> 0;
  const payload_size = slot[4]!;
  if (message_type === HVMSG_NONE) return { action: 'none' };
  if (message_type === HVMSG_TIMER_EXPIRED) return { action: 'timer' };
  const msgtype = (slot[16]! | (slot[17]! << 8) | (slot[18]! << 16) | (slot[19]! << 24)) >>> 0;
  if (msgtype >= CHANNELMSG_COUNT) return { action: 'drop', reason: 'UNKNOWN_MSGTYPE', msgtype, payloadSize: payload_size, warn: true };
  if (payload_size > HV_MESSAGE_PAYLOAD_BYTE_COUNT) {
    return { action: 'drop', reason: 'PAYLOAD_TOO_LARGE', msgtype, payloadSize: payload_size, warn: true };
  }
  const entry = LINUX_CHANNEL_MESSAGE_TABLE[msgtype]!;
  if (!entry.handled) return { action: 'drop', reason: 'NO_HANDLER', msgtype, payloadSize: payload_size, warn: false };
  if (payload_size < entry.minPayloadLen) {
    return { action: 'drop', reason: 'TOO_SHORT', msgtype, payloadSize: payload_size, warn: true };
  }
  const name = channelMessageTypeName(msgtype) as ChannelMessageType;
  const codec = CHANNEL_MESSAGE_CODECS[name] as Codec<unknown>;
  // Handled types all have fixed-size structs that fit in the 240-byte payload area.
  const message = { type: name, msg: codec.decode(slot, 16) } as ChannelMessage;
  return { action: 'handle', message, blocking: entry.blocking, payloadSize: payload_size };
}

/**
 * Builds the 256-byte SynIC slot a host delivers `payload` in (message type 1, `payload_size` =
 * the payload's length, no flags, sender 0).
 * @throws ProtocolError `BAD_LENGTH` when the payload is longer than 240 bytes.
 */
export function encodeSynicMessage(payload: Uint8Array, options: { messageType?: number; flags?: number; sender?: bigint } = {}): Uint8Array {
  if (payload.length > HV_MESSAGE_PAYLOAD_BYTE_COUNT) {
    throw new ProtocolError('BAD_LENGTH', `is longer than ${HV_MESSAGE_PAYLOAD_BYTE_COUNT} bytes`, {
      struct: 'hv_message',
      field: 'u',
      value: payload.length,
    });
  }
  if (options.messageType === undefined && options.flags === undefined && options.sender === undefined) {
    // the common case, written directly: message type 1, payload_size, no flags, sender 0
    const out = new Uint8Array(HV_MESSAGE_SIZE);
    out[0] = VMBUS_POST_MESSAGE_TYPE;
    out[4] = payload.length;
    out.set(payload, 16);
    return out;
  }
  const u = new Uint8Array(HV_MESSAGE_PAYLOAD_BYTE_COUNT);
  u.set(payload);
  return hv_message.encode({
    header: {
      message_type: options.messageType ?? VMBUS_POST_MESSAGE_TYPE,
      payload_size: payload.length,
      message_flags: options.flags ?? 0,
      sender: options.sender ?? 0n,
    },
    u,
  });
}
