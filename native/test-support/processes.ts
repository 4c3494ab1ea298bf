// Child processes for the namespace tests: run-to-completion helpers and tracked background
// processes that cleanup() always kills.
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';

/** The result of a finished command. */
export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion; throws with its stderr when it fails. */
export function must(program: string, args: readonly string[]): string {
  const result = spawnSync(program, args, { encoding: 'utf8', timeout: 15_000 });
  if (result.status !== 0) {
    throw new Error(`${program} ${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr}`);
  }
  return result.stdout;
}

/** Runs a command to completion, ignoring failure (for cleanup). */
export function attempt(program: string, args: readonly string[]): void {
  spawnSync(program, args, { stdio: 'ignore', timeout: 15_000 });
}

/** A background process whose output is kept (the last 64 KiB) for error messages. */
export class Background {
  readonly child: ChildProcess;
  readonly label: string;
  #output = '';
  readonly exited: Promise<Finished>;

  /** Starts `program`; stdin is closed. */
  constructor(label: string, program: string, args: readonly string[], options: SpawnOptions = {}) {
    this.label = label;
    this.child = spawn(program, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    this.child.stdout?.on('data', (data: Buffer) => {
      stdout += data.toString();
      this.#keep(data);
    });
    this.child.stderr?.on('data', (data: Buffer) => {
      stderr += data.toString();
      this.#keep(data);
    });
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code) => resolve({ code, stdout, stderr }));
      this.child.on('error', (error) => resolve({ code: -1, stdout, stderr: `${stderr}${error.message}` }));
    });
  }

  /** Everything it printed so far (the last 64 KiB). */
  get output(): string {
    return this.#output;
  }

  /** Whether it is still running. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends `signal`, then SIGKILL if it has not exited after `graceMs`; resolves when it exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<Finished> {
    if (this.running) {
      this.child.kill(signal);
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      try {
        return await this.exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return this.exited;
  }

  #keep(data: Buffer): void {
    this.#output = (this.#output + data.toString()).slice(-65536);
  }
}
