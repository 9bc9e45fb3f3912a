/**
 * VMBus facts the generic kernel-conformance suite (test/conformance) cannot see: the order of the
 * device classes, and the connection-id constants that the kernel declares in an anonymous enum.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as messages from '../../src/vmbus/messages.js';
import { VMBUS_DEVICE_CLASSES, VmbusDeviceType } from '../../src/vmbus/guids.js';
import * as v from '../../src/vmbus/versions.js';
import { ProtocolError } from '../../src/wire/index.js';

const layouts: { enums: Record<string, Record<string, number>> } = JSON.parse(
  readFileSync(new URL('../../fixtures/kernel/layouts.json', import.meta.url), 'utf8'),
);

describe('VMBus constants against the compiled kernel', () => {
  it('VMBUS_DEVICE_CLASSES lists the classes in vmbus_device_type order', () => {
    VMBUS_DEVICE_CLASSES.forEach((c, i) => expect((VmbusDeviceType as Record<string, number>)[`HV_${c.name}`]).toBe(i));
  });
  it('the VMBus connection-id enum matches the constants', () => {
    const e = layouts.enums['enum@VMBUS_MESSAGE_CONNECTION_ID']!;
    expect([v.VMBUS_MESSAGE_CONNECTION_ID, v.VMBUS_MESSAGE_CONNECTION_ID_4, v.VMBUS_EVENT_CONNECTION_ID, v.VMBUS_MONITOR_CONNECTION_ID, v.VMBUS_MESSAGE_SINT]).toEqual([
      e['VMBUS_MESSAGE_CONNECTION_ID'],
      e['VMBUS_MESSAGE_CONNECTION_ID_4'],
      e['VMBUS_EVENT_CONNECTION_ID'],
      e['VMBUS_MONITOR_CONNECTION_ID'],
      e['VMBUS_MESSAGE_SINT'],
    ]);
  });
  it('reading a short slot is a ProtocolError', () => {
    expect(() => messages.linuxReceiveChannelMessage(new Uint8Array(255))).toThrow(ProtocolError);
  });
});
