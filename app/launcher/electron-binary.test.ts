import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testTempDir } from '../test-support/temp-dirs.ts';
import { findElectronBinary } from './electron-binary.ts';

function fakePackage(pathTxt: string | null, binary: string | null): string {
  const dir = testTempDir('zf-electron-');
  if (pathTxt !== null) writeFileSync(path.join(dir, 'path.txt'), pathTxt);
  if (binary !== null) {
    mkdirSync(path.join(dir, 'dist'), { recursive: true });
    writeFileSync(path.join(dir, 'dist', binary), '');
  }
  return dir;
}

describe('findElectronBinary', () => {
  it('returns the binary named by path.txt when it exists', () => {
    const dir = fakePackage('electron\n', 'electron');
    expect(findElectronBinary(dir)).toBe(path.join(dir, 'dist', 'electron'));
  });

  it('returns null when the package never downloaded its binary', () => {
    expect(findElectronBinary(fakePackage(null, null))).toBeNull();
    expect(findElectronBinary(fakePackage('electron', null))).toBeNull();
    expect(findElectronBinary(fakePackage('', 'electron'))).toBeNull();
  });
});
