import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveRendererFile } from './renderer-files.ts';

const ROOT = path.resolve('/opt/zenithfence/renderer/dist');

describe('resolveRendererFile', () => {
  it('serves index.html for the root and files below the bundle', () => {
    expect(resolveRendererFile(ROOT, '/')).toBe(path.join(ROOT, 'index.html'));
    expect(resolveRendererFile(ROOT, '/assets/index-1.js')).toBe(path.join(ROOT, 'assets', 'index-1.js'));
  });

  it('refuses paths that leave the bundle', () => {
    expect(resolveRendererFile(ROOT, '/../../etc/passwd')).toBeNull();
    expect(resolveRendererFile(ROOT, '/%2e%2e/%2e%2e/etc/passwd')).toBeNull();
    expect(resolveRendererFile(ROOT, '/assets/..%2f..%2f..%2fsecret')).toBeNull();
    expect(resolveRendererFile(ROOT, '/%E0%A4%A')).toBeNull();
  });
});
