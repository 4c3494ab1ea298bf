import { realpathSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { statStartTime, statusUid } from './linux-proc.ts';
import { linuxSystemPort, procProcessFacts } from './linux-system-port.ts';

describe('/proc parsing', () => {
  it('finds starttime after a command name with spaces and parentheses', () => {
    const rest = 'S 1 7 7 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 76148 1000 100 0';
    expect(statStartTime(`7 (curl) ${rest}\n`)).toBe(76148n);
    expect(statStartTime(`7 (my (odd) name) ${rest}\n`)).toBe(76148n);
    expect(statStartTime('7 (cut')).toBeUndefined();
    expect(statStartTime('7 (short) S 1 2')).toBeUndefined();
  });

  it('reads the real uid of the Uid line', () => {
    expect(statusUid('Name:\tcurl\nUid:\t1000\t1000\t1000\t1000\nGid:\t100\n')).toBe(1000);
    expect(statusUid('Name:\tcurl\n')).toBeUndefined();
  });
});

describe('the Linux system port', () => {
  it('describes this very process from the real /proc', () => {
    const facts = procProcessFacts(process.pid);
    expect(facts?.path).toBe(realpathSync(process.execPath));
    expect(facts?.uid).toBe(process.getuid?.());
    expect(facts?.startTime).toBeGreaterThan(0n);
    // The same process, the same start time (what tells pid reuse).
    expect(procProcessFacts(process.pid)?.startTime).toBe(facts?.startTime);
  });

  it('knows no process for a pid without one, and says it is not alive', () => {
    // Above the kernel's pid_max limit (4194304): never a process.
    const port = linuxSystemPort();
    expect(port.describeProcess?.(4_194_305)).toBeUndefined();
    expect(port.processAlive(4_194_305)).toBe(false);
    expect(port.processAlive(process.pid)).toBe(true);
  });
});
