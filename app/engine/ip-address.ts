/**
 * IP address parsing and canonical formatting: one implementation, in the contract, shared with
 * the rule schema (app/contract/ip-address.ts), so the schema and the engine agree on what an
 * address is. Re-exported here for the engine's modules.
 */
export { canonicalIp, formatIp, parseIp, parseIpv4 } from '../contract/ip-address.ts';
