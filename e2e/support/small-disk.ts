import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * A small tmpfs mounted at `dir` (inside a test's private directory): a disk that a test can
 * fill and free. `unmount()` in afterAll, also after a failure; it detaches even while a
 * process still holds files there.
 */
export class SmallDisk {
  readonly dir: string;
  readonly #filler: string;
  #mounted = false;

  constructor(dir: string, sizeKiB: number) {
    this.dir = dir;
    this.#filler = path.join(dir, 'filler');
    mkdirSync(dir, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${String(sizeKiB)}k,mode=0700`, 'tmpfs', dir]);
    this.#mounted = true;
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

  unmount(): void {
    if (!this.#mounted) return;
    this.#mounted = false;
    execFileSync('umount', ['--lazy', this.dir]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
