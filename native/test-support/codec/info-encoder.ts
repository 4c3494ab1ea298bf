// Encodes infos as a driver writes them. The app never sends infos; this serves tests and fake
// drivers, so it validates every field like the command encoder instead of truncating.
import { ByteWriter } from '../../src/codec/byte-writer.ts';
import type {
  BandwidthStatsInfo,
  ConnectionEndInfo,
  ConnectionInfo,
  DnsExchangeInfo,
  DnsNameInfo,
  HelloReplyInfo,
  Info,
  NetworkFactsInfo,
  PolicyStateInfo,
  ProcessInfo,
  RuleDecidedInfo,
} from '../../src/codec/info-types.ts';
import { INFO_HEADER_LENGTH, INFO_TYPE, POLICY_ORIGINS, POLICY_PROBLEMS } from '../../src/codec/protocol-constants.ts';
import { checkAddress, checkIpVersion, checkU64, checkUint, checkVerdict } from '../../src/codec/range-checks.ts';

const utf8 = new TextEncoder();

/** Frames a raw body as an info (`type u8`, `body_len u32 LE`, body); for malformed-info tests too. */
export function frameInfo(type: number, body: Uint8Array): Uint8Array {
  return new ByteWriter(INFO_HEADER_LENGTH + body.length)
    .u8(checkUint('type', type, 8))
    .u32(body.length)
    .raw(body)
    .finish();
}

/** Encodes several infos back to back, as one driver read returns them. */
export function encodeInfos(infos: readonly Info[]): Uint8Array {
  const parts = infos.map(encodeInfo);
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let pos = 0;
  for (const part of parts) {
    out.set(part, pos);
    pos += part.length;
  }
  return out;
}

/** Encodes one info, header included. Throws a RangeError naming the field a value does not fit. */
export function encodeInfo(info: Info): Uint8Array {
  switch (info.kind) {
    case 'log': {
      const text = utf8.encode(info.text);
      return header(INFO_TYPE.logLine, 1 + text.length)
        .u8(checkUint('log.severity', info.severity, 8))
        .raw(text)
        .finish();
    }
    case 'connection':
      return encodeConnection(info);
    case 'connectionEnd':
      return encodeConnectionEnd(info);
    case 'bandwidthStats':
      return encodeBandwidthStats(info);
    case 'helloReply':
      return encodeHelloReply(info);
    case 'process':
      return encodeProcess(info);
    case 'dnsName':
      return encodeDnsName(info);
    case 'counters': {
      const count = checkUint('counters.values.length', info.values.length, 8);
      const writer = header(INFO_TYPE.counters, 1 + 8 * count).u8(count);
      info.values.forEach((value, i) => writer.u64(checkU64(`counters.values[${i}]`, value)));
      return writer.finish();
    }
    case 'policyState':
      return encodePolicyState(info);
    case 'ruleDecided':
      return encodeRuleDecided(info);
    case 'dnsExchange':
      return encodeDnsExchange(info);
    case 'networkFacts':
      return encodeNetworkFacts(info);
    default:
      throw new RangeError(`unknown info kind ${JSON.stringify((info as { kind?: unknown }).kind)}`);
  }
}

function header(type: number, bodyLength: number): ByteWriter {
  return new ByteWriter(INFO_HEADER_LENGTH + bodyLength).u8(type).u32(checkUint('body length', bodyLength, 32));
}

function encodeConnection(info: ConnectionInfo): Uint8Array {
  const v6 = checkIpVersion('connection.ipVersion', info.ipVersion) === 6;
  const fixed = v6 ? 59 : 35;
  return header(v6 ? INFO_TYPE.connectionV6 : INFO_TYPE.connectionV4, fixed + info.payload.length)
    .u64(checkU64('connection.id', info.id))
    .u64(checkU64('connection.processId', info.processId))
    .u8(checkUint('connection.direction', info.direction, 8))
    .u8(checkUint('connection.protocol', info.protocol, 8))
    .raw(checkAddress('connection.localIp', info.localIp, info.ipVersion))
    .raw(checkAddress('connection.remoteIp', info.remoteIp, info.ipVersion))
    .u16(checkUint('connection.localPort', info.localPort, 16))
    .u16(checkUint('connection.remotePort', info.remotePort, 16))
    .u8(checkUint('connection.payloadLayer', info.payloadLayer, 8))
    .u32(info.payload.length)
    .raw(info.payload)
    .finish();
}

function encodeConnectionEnd(info: ConnectionEndInfo): Uint8Array {
  const v6 = checkIpVersion('connectionEnd.ipVersion', info.ipVersion) === 6;
  return header(v6 ? INFO_TYPE.connectionEndV6 : INFO_TYPE.connectionEndV4, v6 ? 46 : 22)
    .u64(checkU64('connectionEnd.processId', info.processId))
    .u8(checkUint('connectionEnd.direction', info.direction, 8))
    .u8(checkUint('connectionEnd.protocol', info.protocol, 8))
    .raw(checkAddress('connectionEnd.localIp', info.localIp, info.ipVersion))
    .raw(checkAddress('connectionEnd.remoteIp', info.remoteIp, info.ipVersion))
    .u16(checkUint('connectionEnd.localPort', info.localPort, 16))
    .u16(checkUint('connectionEnd.remotePort', info.remotePort, 16))
    .finish();
}

function encodeBandwidthStats(info: BandwidthStatsInfo): Uint8Array {
  const v6 = checkIpVersion('bandwidthStats.ipVersion', info.ipVersion) === 6;
  const writer = header(
    v6 ? INFO_TYPE.bandwidthStatsV6 : INFO_TYPE.bandwidthStatsV4,
    5 + (v6 ? 52 : 28) * info.entries.length,
  )
    .u8(checkUint('bandwidthStats.protocol', info.protocol, 8))
    .u32(info.entries.length);
  info.entries.forEach((entry, i) => {
    const field = `bandwidthStats.entries[${i}]`;
    writer
      .raw(checkAddress(`${field}.localIp`, entry.localIp, info.ipVersion))
      .u16(checkUint(`${field}.localPort`, entry.localPort, 16))
      .raw(checkAddress(`${field}.remoteIp`, entry.remoteIp, info.ipVersion))
      .u16(checkUint(`${field}.remotePort`, entry.remotePort, 16))
      .u64(checkU64(`${field}.transmitted`, entry.transmitted))
      .u64(checkU64(`${field}.received`, entry.received));
  });
  return writer.finish();
}

function encodeHelloReply(info: HelloReplyInfo): Uint8Array {
  const writer = header(INFO_TYPE.helloReply, 11);
  info.version.forEach((part, i) => writer.u8(checkUint(`helloReply.version[${i}]`, part, 8)));
  return writer
    .u16(checkUint('helloReply.extVersion', info.extVersion, 16))
    .u32(checkUint('helloReply.features', info.features, 32))
    .u8(checkUint('helloReply.driverKind', info.driverKind, 8))
    .finish();
}

function encodeProcess(info: ProcessInfo): Uint8Array {
  const path = utf8.encode(info.path);
  checkUint('process.path byte length', path.length, 16);
  // Each argument ends with a NUL, as in /proc/PID/cmdline: unlike NUL separators this keeps a
  // trailing empty argument, so every command line round-trips through the decoder.
  const commandLine = utf8.encode(
    info.commandLine
      .map((arg, i) => {
        if (arg.includes('\0')) throw new RangeError(`process.commandLine[${i}] must not contain NUL`);
        return `${arg}\0`;
      })
      .join(''),
  );
  return header(INFO_TYPE.process, 22 + path.length + commandLine.length)
    .u64(checkU64('process.processId', info.processId))
    .u64(checkU64('process.startTime', info.startTime))
    .u32(checkUint('process.uid', info.uid, 32))
    .u16(path.length)
    .raw(path)
    .raw(commandLine)
    .finish();
}

function encodeDnsName(info: DnsNameInfo): Uint8Array {
  const v6 = checkIpVersion('dnsName.ipVersion', info.ipVersion) === 6;
  const name = utf8.encode(info.name);
  if (name.length === 0) throw new RangeError('dnsName.name must not be empty');
  return header(v6 ? INFO_TYPE.dnsNameV6 : INFO_TYPE.dnsNameV4, (v6 ? 20 : 8) + name.length)
    .u32(checkUint('dnsName.ttlSeconds', info.ttlSeconds, 32))
    .raw(checkAddress('dnsName.ip', info.ip, info.ipVersion))
    .raw(name)
    .finish();
}

// An address in a 16-byte field: IPv4 fills the first 4 bytes, the other 12 stay zero.
function wideAddress(field: string, ip: Uint8Array, version: 4 | 6): Uint8Array {
  const wide = new Uint8Array(16);
  wide.set(checkAddress(field, ip, version));
  return wide;
}

function encodeDnsExchange(info: DnsExchangeInfo): Uint8Array {
  const version = checkIpVersion('dnsExchange.ipVersion', info.ipVersion);
  const name = utf8.encode(info.name);
  if (name.length === 0) throw new RangeError('dnsExchange.name must not be empty');
  const v4 = checkUint('dnsExchange.v4Addresses.length', info.v4Addresses.length, 16);
  const v6 = checkUint('dnsExchange.v6Addresses.length', info.v6Addresses.length, 16);
  const writer = header(INFO_TYPE.dnsExchange, 58 + name.length + 4 * v4 + 16 * v6)
    .u64(checkU64('dnsExchange.processId', info.processId))
    .u16(checkUint('dnsExchange.localPort', info.localPort, 16))
    .u16(checkUint('dnsExchange.resolverPort', info.resolverPort, 16))
    .u8(version)
    .raw(wideAddress('dnsExchange.localIp', info.localIp, version))
    .raw(wideAddress('dnsExchange.resolverIp', info.resolverIp, version))
    .u16(checkUint('dnsExchange.qtype', info.qtype, 16))
    .u8(checkUint('dnsExchange.rcode', info.rcode, 8))
    .u32(checkUint('dnsExchange.ttlSeconds', info.ttlSeconds, 32))
    .u16(checkUint('dnsExchange.name length', name.length, 16))
    .u16(v4)
    .u16(v6)
    .raw(name);
  info.v4Addresses.forEach((ip, i) => writer.raw(checkAddress(`dnsExchange.v4Addresses[${i}]`, ip, 4)));
  info.v6Addresses.forEach((ip, i) => writer.raw(checkAddress(`dnsExchange.v6Addresses[${i}]`, ip, 6)));
  return writer.finish();
}

function encodeNetworkFacts(info: NetworkFactsInfo): Uint8Array {
  const { ipVersion } = info;
  if (ipVersion !== 0 && ipVersion !== 4 && ipVersion !== 6) {
    throw new RangeError(`networkFacts.ipVersion must be 0, 4 or 6, got ${String(ipVersion)}`);
  }
  // Without a route (ip_version 0) the 16 bytes stay zero; the decoder gives no address then.
  if (ipVersion === 0 && info.gatewayIp.length !== 0) {
    throw new RangeError('networkFacts.gatewayIp must be empty when ipVersion is 0');
  }
  const gateway =
    ipVersion === 0 ? new Uint8Array(16) : wideAddress('networkFacts.gatewayIp', info.gatewayIp, ipVersion);
  if (!(info.gatewayMac instanceof Uint8Array) || info.gatewayMac.length !== 6) {
    throw new RangeError('networkFacts.gatewayMac must be 6 bytes');
  }
  const ifname = utf8.encode(info.interfaceName);
  const suffix = utf8.encode(info.dnsSuffix);
  const ifnameLength = checkUint('networkFacts.interfaceName byte length', ifname.length, 8);
  const suffixLength = checkUint('networkFacts.dnsSuffix byte length', suffix.length, 8);
  const ssidLength = checkUint('networkFacts.ssid length', info.ssid.length, 8);
  return header(INFO_TYPE.networkFacts, 35 + ifnameLength + suffixLength + ssidLength)
    .u32(checkUint('networkFacts.epoch', info.epoch, 32))
    .u8(checkUint('networkFacts.flags', info.flags, 8))
    .u8(ipVersion)
    .raw(gateway)
    .raw(info.gatewayMac)
    .u32(checkUint('networkFacts.interfaceIndex', info.interfaceIndex, 32))
    .u8(ifnameLength)
    .u8(suffixLength)
    .u8(ssidLength)
    .raw(ifname)
    .raw(suffix)
    .raw(info.ssid)
    .finish();
}

// 'unknown' names a byte the decoder did not know, which it did not keep: it has no value to write.
function codeOf(field: string, names: readonly string[], name: string): number {
  const code = names.indexOf(name);
  if (code < 0) throw new RangeError(`${field} must be one of ${names.join(', ')}, got ${JSON.stringify(name)}`);
  return code;
}

function encodePolicyState(info: PolicyStateInfo): Uint8Array {
  return header(INFO_TYPE.policyState, 23)
    .u64(checkU64('policyState.generation', info.generation))
    .u32(checkUint('policyState.ruleCount', info.ruleCount, 32))
    .u8(checkVerdict('policyState.noAppAction', info.noAppAction))
    .u8(codeOf('policyState.origin', POLICY_ORIGINS, info.origin))
    .u8(codeOf('policyState.problem', POLICY_PROBLEMS, info.problem))
    .u64(checkU64('policyState.problemGeneration', info.problemGeneration))
    .finish();
}

function encodeRuleDecided(info: RuleDecidedInfo): Uint8Array {
  const v6 = checkIpVersion('ruleDecided.ipVersion', info.ipVersion) === 6;
  return header(v6 ? INFO_TYPE.ruleDecidedV6 : INFO_TYPE.ruleDecidedV4, v6 ? 59 : 35)
    .u64(checkU64('ruleDecided.processId', info.processId))
    .u8(checkUint('ruleDecided.direction', info.direction, 8))
    .u8(checkUint('ruleDecided.protocol', info.protocol, 8))
    .raw(checkAddress('ruleDecided.localIp', info.localIp, info.ipVersion))
    .raw(checkAddress('ruleDecided.remoteIp', info.remoteIp, info.ipVersion))
    .u16(checkUint('ruleDecided.localPort', info.localPort, 16))
    .u16(checkUint('ruleDecided.remotePort', info.remotePort, 16))
    .u8(checkVerdict('ruleDecided.verdict', info.verdict))
    .u64(checkU64('ruleDecided.generation', info.generation))
    .u32(checkUint('ruleDecided.ruleTag', info.ruleTag, 32))
    .finish();
}
