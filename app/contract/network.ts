import { z } from 'zod';

/**
 * The network the machine is on, as the facts the OS gives about its default route
 * (driver/protocol/README.md, "Network facts"): the Linux daemon reports them (NetworkFacts, in
 * stream order with the connections), on Windows the platform reads them itself. Profiles are
 * assigned to networks by the key these facts give (app/engine/network-key.ts).
 */
export const networkFactsSchema = z
  .object({
    /** Grows by one at every change the reporter saw; per reporter run (the daemon's, the app's). */
    epoch: z.number().int().nonnegative(),
    /** Without a default route the machine is offline: every other field is empty. */
    hasDefaultRoute: z.boolean(),
    /** The default route's interface ('' offline) and its index (0 offline). */
    interfaceName: z.string().max(64),
    interfaceIndex: z.number().int().nonnegative(),
    /** Canonical address text; null for a route without a gateway (point-to-point) or offline. */
    gatewayIp: z.string().max(64).nullable(),
    /** Lowercase `aa:bb:cc:dd:ee:ff`; null while unknown. */
    gatewayMac: z
      .string()
      .regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/)
      .nullable(),
    /** The first DNS search suffix, lowercase without the trailing dot; '' when none. */
    dnsSuffix: z.string().max(253),
    /** The Wi-Fi network's name as the OS reports it; '' when unknown or not Wi-Fi. */
    ssid: z.string().max(64),
    /** A tunnel interface (tun, WireGuard, PPP) is up. */
    vpnUp: z.boolean(),
    /**
     * The gateway's MAC is being resolved: the network is not identified yet (the strictest
     * profile applies, nothing is remembered). Absent: false (the Windows watcher never sets it).
     */
    gatewayMacPending: z.boolean().optional(),
  })
  .strict();
export type NetworkFacts = z.infer<typeof networkFactsSchema>;

/** The facts of a machine without a default route (what a reporter says before it knows more). */
export const OFFLINE_FACTS: NetworkFacts = {
  epoch: 0,
  hasDefaultRoute: false,
  interfaceName: '',
  interfaceIndex: 0,
  gatewayIp: null,
  gatewayMac: null,
  dnsSuffix: '',
  ssid: '',
  vpnUp: false,
};
