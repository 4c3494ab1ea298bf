// The one compatibility rule: same major version. Minor versions only append (README, Extensions).
import { PROTOCOL_VERSION } from './codec/index.ts';
import { VersionMismatch } from './errors.ts';

/** Throws {@link VersionMismatch} unless the driver's major version is this binding's (2). */
export function assertSupportedVersion(version: readonly number[]): void {
  const expectedMajor = PROTOCOL_VERSION[0];
  if (version[0] !== expectedMajor) throw new VersionMismatch(version, expectedMajor);
}
