// Runs under Node for Windows in Wine (device-refusal.wine.test.ts): writes commands the device
// stand-in refuses as malformed (a wrong length for their id) through the real transport
// (openWindowsDevice over kernel32), then a well-formed one, and reports what each write gave.
import { readFileSync, writeFileSync } from 'node:fs';
import { DriverError } from '../../../src/index.ts';
import { openWindowsDevice } from '../../../src/windows/device-transport.ts';
import { kernel32DeviceIo } from '../../../src/windows/kernel32-device-io.ts';
import { toJson } from './json-safe.ts';

interface Input {
  readonly devicePath: string;
  /** Hex-encoded commands, written in order, one WriteFile each. */
  readonly writes: readonly string[];
}

const [inputFile, outputFile] = process.argv.slice(2);
if (inputFile === undefined || outputFile === undefined) throw new Error('usage: refused-command IN OUT');
const input = JSON.parse(readFileSync(inputFile, 'utf8')) as Input;
const result: Record<string, unknown> = {};

try {
  const transport = openWindowsDevice(input.devicePath, kernel32DeviceIo());
  const writes: unknown[] = [];
  for (const hex of input.writes) {
    try {
      await transport.write(Buffer.from(hex, 'hex'));
      writes.push('written');
    } catch (error) {
      if (!(error instanceof DriverError)) throw error;
      writes.push({ name: error.name, code: error.code, retryable: error.retryable, message: error.message });
    }
  }
  result['writes'] = writes;
  transport.close();
} catch (error) {
  result['error'] = error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error);
}
writeFileSync(outputFile, toJson(result));
