/**
 * VMBus protocol versions and the connection ids they imply.
 *
 * A version is `(major << 16) | minor` (include/linux/hyperv.h `VERSION_*`). The Debian 6.1.192
 * guest tries 5.3, 5.2, 5.1, 5.0, 4.1, 4.0, 3.0, 2.4 in that order (drivers/hv/connection.c
 * `vmbus_versions`); INITIATE_CONTACT for 5.0 and later is posted on connection id 4, older ones on
 * connection id 1, and from 5.0 on every later message goes to the `msg_conn_id` the host returns.
 *
 * @module
 */

/** Builds a version word from major and minor. */
export function vmbusVersion(major: number, minor: number): number {
  return ((major << 16) | minor) >>> 0;
}

/** `"5.3"` for 0x00050003. */
export function versionText(version: number): string {
  return `${version >>> 16}.${version & 0xffff}`;
}

/** Windows Server 2008 (0.13). Removed from Linux in 2022. */
export const VERSION_WS2008 = vmbusVersion(0, 13);
/** Windows 7 / WS2008 R2 (1.1). Removed from Linux in 2022. */
export const VERSION_WIN7 = vmbusVersion(1, 1);
/** Windows 8 / WS2012 (2.4): the oldest version 6.1.192 negotiates. */
export const VERSION_WIN8 = vmbusVersion(2, 4);
/** Windows 8.1 / WS2012 R2 (3.0): UNLOAD is sent from here on. */
export const VERSION_WIN8_1 = vmbusVersion(3, 0);
/** Windows 10 / WS2016 (4.0). */
export const VERSION_WIN10 = vmbusVersion(4, 0);
/** 4.1: MODIFYCHANNEL. */
export const VERSION_WIN10_V4_1 = vmbusVersion(4, 1);
/** 5.0: INITIATE_CONTACT on connection id 4, msg_sint, msg_conn_id. */
export const VERSION_WIN10_V5 = vmbusVersion(5, 0);
/** 5.1. */
export const VERSION_WIN10_V5_1 = vmbusVersion(5, 1);
/** 5.2 (WS2019): minimum for isolated guests. */
export const VERSION_WIN10_V5_2 = vmbusVersion(5, 2);
/** 5.3 (WS2022): MODIFYCHANNEL_RESPONSE. The newest version 6.1.192 knows. */
export const VERSION_WIN10_V5_3 = vmbusVersion(5, 3);
/** 6.0 (2025 confidential-VMBus work; not known to 6.1.192). */
export const VERSION_WIN10_V6_0 = vmbusVersion(6, 0);

/** The table 6.1.192 walks, newest first (drivers/hv/connection.c `vmbus_versions`). */
export const LINUX_VMBUS_VERSIONS: readonly number[] = [
  VERSION_WIN10_V5_3,
  VERSION_WIN10_V5_2,
  VERSION_WIN10_V5_1,
  VERSION_WIN10_V5,
  VERSION_WIN10_V4_1,
  VERSION_WIN10,
  VERSION_WIN8_1,
  VERSION_WIN8,
];

/** Every version a host can be configured to accept. */
export const ALL_VMBUS_VERSIONS: readonly number[] = [
  VERSION_WS2008,
  VERSION_WIN7,
  VERSION_WIN8,
  VERSION_WIN8_1,
  VERSION_WIN10,
  VERSION_WIN10_V4_1,
  VERSION_WIN10_V5,
  VERSION_WIN10_V5_1,
  VERSION_WIN10_V5_2,
  VERSION_WIN10_V5_3,
  VERSION_WIN10_V6_0,
];

/** Connection id for posting channel messages below 5.0 (drivers/hv/hyperv_vmbus.h). */
export const VMBUS_MESSAGE_CONNECTION_ID = 1;
/** Connection id for INITIATE_CONTACT from 5.0 on. */
export const VMBUS_MESSAGE_CONNECTION_ID_4 = 4;
/** Legacy event-signalling connection id (pre-Win7). */
export const VMBUS_EVENT_CONNECTION_ID = 2;
/** Monitor connection id. */
export const VMBUS_MONITOR_CONNECTION_ID = 3;
/** SynIC interrupt source VMBus uses for channel messages and channel events. */
export const VMBUS_MESSAGE_SINT = 2;

/** The connection id a guest posts INITIATE_CONTACT for `version` on. */
export function initiateContactConnectionId(version: number): number {
  return version >= VERSION_WIN10_V5 ? VMBUS_MESSAGE_CONNECTION_ID_4 : VMBUS_MESSAGE_CONNECTION_ID;
}

/** `enum vmbus_connect_state` (drivers/hv/hyperv_vmbus.h). */
export const VmbusConnectState = {
  /** 0: no VMBus connection: before INITIATE_CONTACT, after every version was refused, and once the guest starts unloading. */
  DISCONNECTED: 0,
  /** 1: INITIATE_CONTACT posted, waiting for VERSION_RESPONSE. */
  CONNECTING: 1,
  /** 2: the host accepted a version; channel messages may flow. */
  CONNECTED: 2,
  /** 3: declared in the enum, but Linux 6.1 never enters it (unload goes straight to DISCONNECTED). */
  DISCONNECTING: 3,
} as const;
/** A VMBus connection state name. */
export type VmbusConnectStateName = keyof typeof VmbusConnectState;
