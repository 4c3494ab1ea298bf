// The error of a service control call (install, start, stop, remove the driver service).
import { DriverError } from '../errors.ts';

/** A service control manager call failed; the message says which and what to do. */
export class ServiceControlError extends DriverError {
  override readonly name = 'ServiceControlError';
  /** The failed step (`OpenSCManagerW`, `StartServiceW`, `wait for running`, …). */
  readonly operation: string;
  /** The Win32 error code, 0 when the failure is not a call's (a timeout, a failed start). */
  readonly win32Code: number;

  /** Creates the error. */
  constructor(operation: string, win32Code: number, message: string) {
    super('os-error', message, false);
    this.operation = operation;
    this.win32Code = win32Code;
  }
}
