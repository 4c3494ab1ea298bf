// Decoders of what wlanapi allocates: the interface list (WlanEnumInterfaces) and the current
// connection's attributes (WlanQueryInterface), from copies of their bytes. Pure; never throw.
import { WLAN_CONNECTION_ATTRIBUTES, WLAN_INTERFACE_INFO_LIST } from './network-layout.ts';

/** One WLAN_INTERFACE_INFO: the interface's GUID (16 raw bytes) and WLAN_INTERFACE_STATE. */
export interface WlanInterface {
  readonly guid: Uint8Array;
  readonly state: number;
}

/** The whole entries of a WLAN_INTERFACE_INFO_LIST copy (dwNumberOfItems, bounded by the bytes). */
export function decodeWlanInterfaces(block: Uint8Array): WlanInterface[] {
  const bytes = Buffer.from(block.buffer, block.byteOffset, block.byteLength);
  if (bytes.length < WLAN_INTERFACE_INFO_LIST.ITEMS) return [];
  const count = bytes.readUInt32LE(WLAN_INTERFACE_INFO_LIST.NUMBER_OF_ITEMS);
  const whole = Math.floor((bytes.length - WLAN_INTERFACE_INFO_LIST.ITEMS) / WLAN_INTERFACE_INFO_LIST.ITEM_SIZE);
  const interfaces: WlanInterface[] = [];
  for (let i = 0; i < Math.min(count, whole); i += 1) {
    const at = WLAN_INTERFACE_INFO_LIST.ITEMS + i * WLAN_INTERFACE_INFO_LIST.ITEM_SIZE;
    const guid = at + WLAN_INTERFACE_INFO_LIST.ITEM_GUID;
    interfaces.push({
      guid: Uint8Array.from(bytes.subarray(guid, guid + 16)),
      state: bytes.readUInt32LE(at + WLAN_INTERFACE_INFO_LIST.ITEM_STATE),
    });
  }
  return interfaces;
}

/**
 * The SSID in a WLAN_CONNECTION_ATTRIBUTES copy, as UTF-8 text (an SSID is up to 32 raw bytes;
 * what is not UTF-8 becomes U+FFFD). '' when the copy is too short or the length is above 32.
 */
export function decodeConnectionSsid(block: Uint8Array): string {
  const bytes = Buffer.from(block.buffer, block.byteOffset, block.byteLength);
  if (bytes.length < WLAN_CONNECTION_ATTRIBUTES.SSID) return '';
  const length = bytes.readUInt32LE(WLAN_CONNECTION_ATTRIBUTES.SSID_LENGTH);
  const end = WLAN_CONNECTION_ATTRIBUTES.SSID + length;
  if (length > WLAN_CONNECTION_ATTRIBUTES.SSID_MAX || end > bytes.length) return '';
  return bytes.toString('utf8', WLAN_CONNECTION_ATTRIBUTES.SSID, end);
}
