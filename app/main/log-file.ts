import { closeSync, fstatSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import { formatLogLine, type LogLevel } from './log-line.ts';

export interface LogFileOptions {
  /** The folder (made 0700 when missing: the log names apps and hosts). */
  readonly dir: string;
  readonly name: string;
  /** A file is rotated before a line would take it past this size. */
  readonly maxBytes: number;
  /** How many files are kept in all: `name`, `name.1` (newer) … `name.<files-1>` (oldest). */
  readonly files: number;
  /** Where the one line about a file that cannot be written goes (default: stderr). */
  readonly complain?: (line: string) => void;
  readonly clock?: () => number;
  /** After a failed write, lines are dropped (and counted) for this long before the next try. */
  readonly retryMs?: number;
}

const RETRY_MS = 60_000;

function defaultComplain(line: string): void {
  // Straight to the stream, not through console: console may be teed into this very file.
  process.stderr.write(`${line}\n`);
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return code === undefined ? message : `${code}: ${message}`;
}

/**
 * An append-only log file with size-bounded rotation. Writes are synchronous, so a line logged
 * right before a crash is on disk, and lines keep their order. A file that cannot be written
 * (a full disk, a read-only or missing folder) never throws to the caller: it is said once on
 * stderr, the lines meanwhile are counted, the file is tried again a minute later, and the
 * first line written after that says how many were lost. Rotation renames before it writes, and
 * nothing is written until a rotation succeeded, so the files stay bounded even when renaming
 * fails (a virus scanner holding a file on Windows).
 */
export class RotatingLogFile {
  readonly path: string;
  readonly #options: LogFileOptions;
  readonly #clock: () => number;
  #fd: number | null = null;
  #size = 0;
  /** When writes started to fail; null while they work. */
  #failedSince: number | null = null;
  #lost = 0;
  #nextTry = 0;

  constructor(options: LogFileOptions) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
    this.path = path.join(options.dir, options.name);
  }

  /** Appends one line; never throws. */
  write(level: LogLevel, text: string): void {
    const now = this.#clock();
    if (this.#failedSince !== null && now < this.#nextTry) {
      this.#lost += 1;
      return;
    }
    try {
      let entry = formatLogLine(level, text, new Date(now));
      if (this.#failedSince !== null) {
        const since = new Date(this.#failedSince).toISOString();
        const note = `this log file could not be written from ${since} on: ${String(this.#lost)} lines were lost`;
        entry = formatLogLine('WARN', note, new Date(now)) + entry;
      }
      this.#append(Buffer.from(entry, 'utf8'));
      this.#failedSince = null;
      this.#lost = 0;
    } catch (error) {
      this.#fail(error, now);
    }
  }

  /** Closes the file (later writes open it again). */
  close(): void {
    const fd = this.#fd;
    this.#fd = null;
    if (fd === null) return;
    try {
      closeSync(fd);
    } catch {
      // Nothing is left to lose: every write was synchronous.
    }
  }

  #append(bytes: Buffer): void {
    let fd = this.#fd ?? this.#open();
    if (this.#size > 0 && this.#size + bytes.length > this.#options.maxBytes) {
      this.#rotate();
      fd = this.#open();
    }
    let written = 0;
    // writeSync may write less than asked (a disk that fills mid-line); the rest follows or throws.
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    this.#size += bytes.length;
  }

  #open(): number {
    mkdirSync(this.#options.dir, { recursive: true, mode: 0o700 });
    const fd = openSync(this.path, 'a', 0o600);
    try {
      this.#size = fstatSync(fd).size;
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    this.#fd = fd;
    return fd;
  }

  /** main.log.1 → main.log.2 …, main.log → main.log.1; the oldest is replaced. */
  #rotate(): void {
    this.close();
    for (let index = this.#options.files - 1; index >= 1; index -= 1) {
      const from = index === 1 ? this.path : `${this.path}.${String(index - 1)}`;
      try {
        renameSync(from, `${this.path}.${String(index)}`);
      } catch (error) {
        // A file not made yet has nothing to move; any other failure stops this write.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  }

  #fail(error: unknown, now: number): void {
    this.close();
    this.#lost += 1;
    this.#nextTry = now + (this.#options.retryMs ?? RETRY_MS);
    if (this.#failedSince !== null) return;
    this.#failedSince = now;
    try {
      (this.#options.complain ?? defaultComplain)(
        `zenithfence: the log file ${this.path} cannot be written (${reason(error)}); log lines go to the console only until it can`,
      );
    } catch {
      // Not even stderr: nothing is left to tell, and the app goes on.
    }
  }
}
