import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RendererFiles } from './static-files.ts';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'zf-renderer-'));
  mkdirSync(path.join(dir, 'assets'));
  writeFileSync(path.join(dir, 'index.html'), '<title>ZenithFence</title>');
  writeFileSync(path.join(dir, 'assets', 'index.js'), Buffer.alloc(512 * 1024, 'x'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('RendererFiles', () => {
  it('serves every request for a file from one buffer (pipelined requests held a copy each)', async () => {
    const files = new RendererFiles(dir);
    const answers = await Promise.all(Array.from({ length: 50 }, () => files.get('/assets/index.js')));
    const first = answers[0];
    expect(first?.contentType).toBe('text/javascript; charset=utf-8');
    expect(first?.body.length).toBe(512 * 1024);
    expect(answers.every((answer) => answer?.body === first?.body)).toBe(true);
    expect((await files.get('/'))?.body.toString()).toBe('<title>ZenithFence</title>');
  });

  it('finds nothing outside the bundle or missing, and finds a file that appears later', async () => {
    const files = new RendererFiles(dir);
    expect(await files.get('/../../etc/passwd')).toBeNull();
    expect(await files.get('/assets/late.js')).toBeNull();
    writeFileSync(path.join(dir, 'assets', 'late.js'), 'late');
    expect((await files.get('/assets/late.js'))?.body.toString()).toBe('late');
    expect(await files.get('/bad\0path')).toBeNull();
  });
});
