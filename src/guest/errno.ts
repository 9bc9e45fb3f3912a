/**
 * Error names the netvsc driver model returns, as the kernel returns them (negated there).
 *
 * The set is what `hv_netvsc` (Linux 6.1.192) can hand back from probe, `ndo_open`, `set_channels`
 * and `set_rxfh`, including the values it passes through from the VMBus layer (`vmbus_open`,
 * `vmbus_establish_gpadl`, `vmbus_sendpacket`). `EPERM` appears because `rndis_filter_query_device`
 * returns a bare `-1` on a malformed QUERY_C, which callers pass on unchanged (rndis_filter.c).
 * @module
 */
import type { VmbusErrno } from '../vmbus/linux-vmbus.js';

/** An errno name the driver returns. */
export type NetvscErrno =
  | VmbusErrno
  | 'EPERM'
  | 'EPROTO'
  | 'EOPNOTSUPP'
  | 'ETIMEDOUT'
  | 'ENOSPC';

/** 0 for success (the kernel's `return 0`) or an errno name. */
export type NetvscResult = 0 | NetvscErrno;
