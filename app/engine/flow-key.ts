import type { FlowTuple } from '../contract/driver-events.ts';

/**
 * The key of a flow: its five-tuple as seen from this host. Bandwidth samples carry only the
 * tuple (no direction), so the key leaves the direction out; one tuple cannot be both an
 * inbound and an outbound connection at the same time.
 */
export function flowKey(flow: FlowTuple): string {
  return `${flow.protocol}|${flow.localIp}|${flow.localPort}|${flow.remoteIp}|${flow.remotePort}`;
}
