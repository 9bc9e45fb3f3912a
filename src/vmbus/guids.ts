/**
 * VMBus device class GUIDs (the offer's `if_type`) as the Debian 6.1.192 kernel knows them.
 *
 * Text form as written in include/linux/hyperv.h; on the wire each GUID is 16 bytes in Microsoft
 * mixed-endian order (see `guid()` in src/wire/guid.ts and shared/spec/vmbus.md §7.1).
 *
 * Which devices a confidential (isolated) guest accepts and which ones count as "performance"
 * devices follow the `vmbus_devs` table in drivers/hv/channel_mgmt.c (6.1.192: PCIe pass-through is
 * not allowed in isolated guests).
 *
 * @module
 */

/** Network (netvsc): f8615163-df3e-46c5-913f-f2d2f965ed0e. */
export const HV_NIC_GUID = 'f8615163-df3e-46c5-913f-f2d2f965ed0e';
/** SCSI (storvsc). */
export const HV_SCSI_GUID = 'ba6163d9-04a1-4d29-b605-72e2ffb1dc7f';
/** IDE. */
export const HV_IDE_GUID = '32412632-86cb-44a2-9b5c-50d1417354f5';
/** Shutdown integration component. */
export const HV_SHUTDOWN_GUID = '0e0b6031-5213-4934-818b-38d90ced39db';
/** Time synchronization integration component. */
export const HV_TS_GUID = '9527e630-d0ae-497b-adce-e80ab0175caf';
/** Heartbeat integration component. */
export const HV_HEART_BEAT_GUID = '57164f39-9115-4e78-ab55-382f3bd5422d';
/** Key-value pair integration component. */
export const HV_KVP_GUID = 'a9a0f4e7-5a45-4d96-b827-8a841e8c03e6';
/** Volume shadow copy integration component. */
export const HV_VSS_GUID = '35fa2e29-ea23-4236-96ae-3a6ebacba440';
/** Dynamic memory. */
export const HV_DM_GUID = '525074dc-8985-46e2-8057-a307dc18a502';
/** Synthetic mouse. */
export const HV_MOUSE_GUID = 'cfa8b69e-5b4a-4cc0-b98b-8ba1a1f3f95a';
/** Synthetic keyboard. */
export const HV_KBD_GUID = 'f912ad6d-2b17-48ea-bd65-f927a61c7684';
/** Synthetic video. */
export const HV_SYNTHVID_GUID = 'da0a7802-e377-4aac-8e77-0558eb1073f8';
/** PCIe pass-through. */
export const HV_PCIE_GUID = '44c4f61d-4444-4400-9d52-802e27ede19f';
/** Synthetic Fibre Channel. */
export const HV_SYNTHFC_GUID = '2f9bcc4a-0069-4af3-b76b-6fd0be528cda';
/** Guest file copy. */
export const HV_FCOPY_GUID = '34d14be3-dee4-41c8-9ae7-6b174977c192';
/** NetworkDirect. */
export const HV_ND_GUID = '8c2eaf3d-32a7-4b09-ab99-bd1f1c86b501';
/** Automatic VM activation (ignored by Linux). */
export const HV_AVMA1_GUID = 'f8e65716-3cb3-4a06-9a60-1889c5cccab5';
/** Automatic VM activation, second channel (ignored by Linux). */
export const HV_AVMA2_GUID = '3375baf4-9e15-4b30-b765-67acb10d607b';
/** Remote desktop virtualization (ignored by Linux). */
export const HV_RDV_GUID = '276aacf4-ac15-426c-98dd-7521ad3f01fe';
/** Instance metadata (ignored by Linux). */
export const HV_IMC_GUID = 'c376c1c3-d276-48d2-90a9-c04748072c60';

/** One row of Linux's table of known VMBus device classes. */
export interface VmbusDeviceClass {
  /** Name as in `enum vmbus_device_type` (include/linux/hyperv.h), without the `HV_` prefix. */
  readonly name: string;
  /** Class GUID text. */
  readonly guid: string;
  /** Channels of this class are spread across CPUs (`perf_device`). */
  readonly perfDevice: boolean;
  /** Accepted by an isolated (SNP/TDX) guest in 6.1.192 (`allowed_in_isolated`). */
  readonly allowedInIsolated: boolean;
}

/** Linux's `vmbus_devs` table, in `enum vmbus_device_type` order (drivers/hv/channel_mgmt.c). */
export const VMBUS_DEVICE_CLASSES: readonly VmbusDeviceClass[] = [
  { name: 'IDE', guid: HV_IDE_GUID, perfDevice: true, allowedInIsolated: false },
  { name: 'SCSI', guid: HV_SCSI_GUID, perfDevice: true, allowedInIsolated: true },
  { name: 'FC', guid: HV_SYNTHFC_GUID, perfDevice: true, allowedInIsolated: false },
  { name: 'NIC', guid: HV_NIC_GUID, perfDevice: true, allowedInIsolated: true },
  { name: 'ND', guid: HV_ND_GUID, perfDevice: true, allowedInIsolated: false },
  { name: 'PCIE', guid: HV_PCIE_GUID, perfDevice: false, allowedInIsolated: false },
  { name: 'FB', guid: HV_SYNTHVID_GUID, perfDevice: false, allowedInIsolated: false },
  { name: 'KBD', guid: HV_KBD_GUID, perfDevice: false, allowedInIsolated: false },
  { name: 'MOUSE', guid: HV_MOUSE_GUID, perfDevice: false, allowedInIsolated: false },
  { name: 'KVP', guid: HV_KVP_GUID, perfDevice: false, allowedInIsolated: false },
  { name: 'TS', guid: HV_TS_GUID, perfDevice: false, allowedInIsolated: true },
  { name: 'HB', guid: HV_HEART_BEAT_GUID, perfDevice: false, allowedInIsolated: true },
  { name: 'SHUTDOWN', guid: HV_SHUTDOWN_GUID, perfDevice: false, allowedInIsolated: true },
  { name: 'FCOPY', guid: HV_FCOPY_GUID, perfDevice: false, allowedInIsolated: false },
  { name: 'BACKUP', guid: HV_VSS_GUID, perfDevice: false, allowedInIsolated: false },
  { name: 'DM', guid: HV_DM_GUID, perfDevice: false, allowedInIsolated: false },
];

/** Classes Linux recognises but deliberately gives no device type (`vmbus_unsupported_devs`). */
export const VMBUS_UNSUPPORTED_CLASSES: readonly string[] = [HV_AVMA1_GUID, HV_AVMA2_GUID, HV_RDV_GUID, HV_IMC_GUID];

/**
 * The device class Linux assigns to an offer's `if_type` (`hv_get_dev_type`), or `'UNKNOWN'`.
 * GUID text is compared case-insensitively, as the bytes are compared in the kernel.
 */
export function deviceClassOf(ifType: string): string {
  const t = ifType.toLowerCase();
  if (VMBUS_UNSUPPORTED_CLASSES.includes(t)) return 'UNKNOWN';
  return VMBUS_DEVICE_CLASSES.find((c) => c.guid === t)?.name ?? 'UNKNOWN';
}

/** `enum vmbus_device_type` (include/linux/hyperv.h): the index of a class in {@link VMBUS_DEVICE_CLASSES}. */
export const VmbusDeviceType = {
  /** 0: IDE disk controller ({@link HV_IDE_GUID}). */
  HV_IDE: 0,
  /** 1: SCSI controller, storvsc ({@link HV_SCSI_GUID}). */
  HV_SCSI: 1,
  /** 2: synthetic Fibre Channel, storvsc ({@link HV_SYNTHFC_GUID}). */
  HV_FC: 2,
  /** 3: network adapter, hv_netvsc ({@link HV_NIC_GUID}). */
  HV_NIC: 3,
  /** 4: NetworkDirect ({@link HV_ND_GUID}). */
  HV_ND: 4,
  /** 5: PCIe pass-through, pci-hyperv ({@link HV_PCIE_GUID}). */
  HV_PCIE: 5,
  /** 6: synthetic video, hyperv_fb / hyperv_drm ({@link HV_SYNTHVID_GUID}). */
  HV_FB: 6,
  /** 7: synthetic keyboard ({@link HV_KBD_GUID}). */
  HV_KBD: 7,
  /** 8: synthetic mouse ({@link HV_MOUSE_GUID}). */
  HV_MOUSE: 8,
  /** 9: key-value pair exchange ({@link HV_KVP_GUID}). */
  HV_KVP: 9,
  /** 10: time synchronization ({@link HV_TS_GUID}). */
  HV_TS: 10,
  /** 11: heartbeat ({@link HV_HEART_BEAT_GUID}). */
  HV_HB: 11,
  /** 12: shutdown ({@link HV_SHUTDOWN_GUID}). */
  HV_SHUTDOWN: 12,
  /** 13: guest file copy ({@link HV_FCOPY_GUID}). */
  HV_FCOPY: 13,
  /** 14: volume shadow copy backup ({@link HV_VSS_GUID}). */
  HV_BACKUP: 14,
  /** 15: dynamic memory ({@link HV_DM_GUID}). */
  HV_DM: 15,
  /** 16: any `if_type` not in {@link VMBUS_DEVICE_CLASSES}, and the unsupported classes. */
  HV_UNKNOWN: 16,
} as const;
