// The wlanapi decoders over lists and connection attributes built at the offsets of
// network-layout.ts.
import { describe, expect, it } from 'vitest';
import { WLAN_CONNECTION_ATTRIBUTES, WLAN_INTERFACE_INFO_LIST } from './network-layout.ts';
import { decodeConnectionSsid, decodeWlanInterfaces } from './network-wlan-decode.ts';

function interfaceList(items: ReadonlyArray<{ guid: string; state: number }>, count = items.length): Buffer {
  const bytes = Buffer.alloc(WLAN_INTERFACE_INFO_LIST.ITEMS + items.length * WLAN_INTERFACE_INFO_LIST.ITEM_SIZE);
  bytes.writeUInt32LE(count, WLAN_INTERFACE_INFO_LIST.NUMBER_OF_ITEMS);
  items.forEach((item, i) => {
    const at = WLAN_INTERFACE_INFO_LIST.ITEMS + i * WLAN_INTERFACE_INFO_LIST.ITEM_SIZE;
    Buffer.from(item.guid, 'hex').copy(bytes, at + WLAN_INTERFACE_INFO_LIST.ITEM_GUID);
    bytes.write('Intel(R) Wi-Fi 6 AX201\0', at + 16, 'utf16le');
    bytes.writeUInt32LE(item.state, at + WLAN_INTERFACE_INFO_LIST.ITEM_STATE);
  });
  return bytes;
}

function attributes(ssid: Buffer, length = ssid.length): Buffer {
  const bytes = Buffer.alloc(WLAN_CONNECTION_ATTRIBUTES.SIZE);
  bytes.writeUInt32LE(1, 0);
  bytes.write('HomeProfile\0', 8, 'utf16le');
  bytes.writeUInt32LE(length, WLAN_CONNECTION_ATTRIBUTES.SSID_LENGTH);
  ssid.copy(bytes, WLAN_CONNECTION_ATTRIBUTES.SSID);
  return bytes;
}

describe('wlanapi interface list', () => {
  it('reads each interface’s GUID and state', () => {
    const list = interfaceList([
      { guid: '00112233445566778899aabbccddeeff', state: 1 },
      { guid: 'ffeeddccbbaa99887766554433221100', state: 4 },
    ]);
    expect(decodeWlanInterfaces(list)).toEqual([
      { guid: Uint8Array.from(Buffer.from('00112233445566778899aabbccddeeff', 'hex')), state: 1 },
      { guid: Uint8Array.from(Buffer.from('ffeeddccbbaa99887766554433221100', 'hex')), state: 4 },
    ]);
  });

  it('takes only whole entries, whatever dwNumberOfItems says', () => {
    const list = interfaceList([{ guid: '00112233445566778899aabbccddeeff', state: 1 }], 50);
    expect(decodeWlanInterfaces(list)).toHaveLength(1);
    expect(decodeWlanInterfaces(list.subarray(0, list.length - 1))).toEqual([]);
    expect(decodeWlanInterfaces(Buffer.alloc(4))).toEqual([]);
  });
});

describe('wlanapi current connection', () => {
  it('reads the SSID’s bytes as UTF-8', () => {
    expect(decodeConnectionSsid(attributes(Buffer.from('Café Wi-Fi', 'utf8')))).toBe('Café Wi-Fi');
    expect(decodeConnectionSsid(attributes(Buffer.alloc(32, 0x41)))).toBe('A'.repeat(32));
    expect(decodeConnectionSsid(attributes(Buffer.from([0x4e, 0xff, 0x54])))).toBe('N\ufffdT');
    expect(decodeConnectionSsid(attributes(Buffer.alloc(0)))).toBe('');
  });

  it('gives no SSID for a length above 32 or a copy too short for it', () => {
    expect(decodeConnectionSsid(attributes(Buffer.from('net'), 33))).toBe('');
    const full = attributes(Buffer.from('network'));
    expect(decodeConnectionSsid(full.subarray(0, WLAN_CONNECTION_ATTRIBUTES.SSID + 3))).toBe('');
    expect(decodeConnectionSsid(full.subarray(0, WLAN_CONNECTION_ATTRIBUTES.SSID + 7))).toBe('network');
    expect(decodeConnectionSsid(Buffer.alloc(10))).toBe('');
  });
});
