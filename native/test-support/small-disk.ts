import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A tmpfs of a few hundred KiB: a disk that a test can fill and free. Shared by the store's
 * full-disk tests (app/runtime) and the end-to-end full-disk test (e2e/hostile.spec.ts).
 */
export class SmallDisk {
  readonly dir: string;
  readonly #filler: string;
  #mounted = true;

  private constructor(dir: string) {
    this.dir = dir;
    this.#filler = path.join(dir, 'filler');
  }

  /**
   * Mounts one in a new directory under `parent` (the test's private temporary directory by
   * default), or returns why it cannot (mounting needs root).
   */
  static mount(sizeKiB: number, parent = tmpdir()): SmallDisk | string {
    if (process.getuid?.() !== 0) return 'mounting a small tmpfs needs root';
    const dir = mkdtempSync(path.join(parent, 'zf-small-disk-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${String(sizeKiB)}k,mode=0700`, 'tmpfs', dir]);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      return `could not mount a tmpfs: ${error instanceof Error ? error.message : String(error)}`;
    }
    return new SmallDisk(dir);
  }

  /** Takes every free block with one file. */
  fill(): void {
    const fd = openSync(this.#filler, 'a');
    const block = Buffer.alloc(4096, 1);
    try {
      // Bounded: the disk is small, this ends with ENOSPC long before.
      for (let i = 0; i < 1_000_000; i += 1) writeSync(fd, block);
      throw new Error('the small disk never filled');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
    } finally {
      closeSync(fd);
    }
  }

  /** Gives back what fill() took. */
  free(): void {
    rmSync(this.#filler, { force: true });
  }

  /**
   * Unmounts and removes the mount point (call in afterAll, also after a failure; a second call
   * does nothing). The lazy unmount detaches it even while a process still holds files there.
   */
  unmount(): void {
    if (!this.#mounted) return;
    this.#mounted = false;
    execFileSync('umount', ['--lazy', this.dir]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
