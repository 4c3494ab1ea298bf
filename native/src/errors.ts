// Typed errors of the driver binding. Each message says what to do, because the app shows it to
// the user as it is. The same classes serve both platforms (the platform modules build the
// messages), so the app handles "not running" or "permission denied" once.

/** A stable identifier of the failure, for code that cannot use instanceof (e.g. across IPC). */
export type DriverErrorCode =
  | 'daemon-not-running'
  | 'permission-denied'
  | 'version-mismatch'
  | 'driver-gone'
  | 'timeout'
  | 'closed'
  | 'usage'
  | 'os-error';

/** The base of every error the binding throws. */
export class DriverError extends Error {
  /** What failed, as a stable string. */
  readonly code: DriverErrorCode;
  /** Whether trying again later can help; the app's DriverSession retries only these. */
  readonly retryable: boolean;

  /** Creates an error; `options.cause` keeps the underlying error. */
  constructor(code: DriverErrorCode, message: string, retryable: boolean, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.retryable = retryable;
  }
}

/**
 * Nobody listens where the driver should be: the Linux socket is missing or refuses (ENOENT,
 * ECONNREFUSED), or the Windows device does not exist (ERROR_FILE_NOT_FOUND). Retryable: the
 * daemon or driver may be starting.
 */
export class DaemonNotRunning extends DriverError {
  override readonly name = 'DaemonNotRunning';
  /** The socket or device path that was tried. */
  readonly path: string;

  /** Creates the error for `path`. */
  constructor(path: string, message: string, options?: ErrorOptions) {
    super('daemon-not-running', message, true, options);
    this.path = path;
  }
}

/** The user may not open the socket or device (EACCES, ERROR_ACCESS_DENIED). Not retryable. */
export class PermissionDenied extends DriverError {
  override readonly name = 'PermissionDenied';
  /** The socket or device path that was tried. */
  readonly path: string;
  /** Linux: the socket's group, whose members may connect (undefined when it cannot be read). */
  readonly group: string | undefined;

  /** Creates the error for `path`. */
  constructor(path: string, group: string | undefined, message: string, options?: ErrorOptions) {
    super('permission-denied', message, false, options);
    this.path = path;
    this.group = group;
  }
}

/** The driver speaks another major protocol version than this app. Not retryable. */
export class VersionMismatch extends DriverError {
  override readonly name = 'VersionMismatch';
  /** The driver's `[major, minor, revision, build]`. */
  readonly driverVersion: readonly number[];
  /** The major version this binding speaks. */
  readonly expectedMajor: number;

  /** Creates the error for a driver reporting `driverVersion`. */
  constructor(driverVersion: readonly number[], expectedMajor: number) {
    super(
      'version-mismatch',
      `The driver speaks protocol ${driverVersion.join('.')}, this app speaks ${expectedMajor}.x: ` +
        'install the driver (zenithfenced) and the app from the same ZenithFence release.',
      false,
    );
    this.driverVersion = driverVersion;
    this.expectedMajor = expectedMajor;
  }
}

/**
 * The connection ended without this side asking (end of stream, ECONNRESET, a broken device
 * handle). The caller reconnects with back-off (the app's DriverSession).
 */
export class DriverGone extends DriverError {
  override readonly name = 'DriverGone';

  /** Creates the error; `detail` says what was observed. */
  constructor(detail: string, options?: ErrorOptions) {
    super(
      'driver-gone',
      `The driver ended the connection (${detail}): it stopped or restarted, or another ZenithFence ` +
        'client is connected (only one may be). Reconnecting with back-off; if this persists, ' +
        'check that zenithfenced runs and that no other ZenithFence app is open.',
      true,
      options,
    );
  }
}

/** The driver did not answer in time (e.g. no HelloReply). Retryable. */
export class DriverTimeout extends DriverError {
  override readonly name = 'DriverTimeout';

  /** Creates the error; `what` names what was waited for. */
  constructor(what: string, timeoutMs: number) {
    super(
      'timeout',
      `The driver did not send ${what} within ${timeoutMs} ms: it may be overloaded or hung; ` +
        'reconnecting, and if this persists restart zenithfenced (sudo systemctl restart zenithfenced).',
      true,
    );
  }
}

/** The handle was closed by this side; opening a new one is the remedy. */
export class DriverClosed extends DriverError {
  override readonly name = 'DriverClosed';

  /** Creates the error; `what` names the refused operation. */
  constructor(what: string) {
    super('closed', `Cannot ${what}: this driver handle is closed; open a new one with openDriver().`, false);
  }
}

/** The binding was used in a way it does not support; the message says how to use it. */
export class DriverUsageError extends DriverError {
  override readonly name = 'DriverUsageError';

  /** Creates the error. */
  constructor(message: string) {
    super('usage', message, false);
  }
}

/** An operating-system call failed in a way the binding has no specific advice for. */
export class DriverOsError extends DriverError {
  override readonly name = 'DriverOsError';
  /** The failed call (`connect`, `read`, `CreateFileW`, …). */
  readonly syscall: string;
  /** errno (Linux) or the Win32 error code (Windows). */
  readonly osCode: number;

  /** Creates the error for `syscall` failing with `osCode`, described by `osName`. */
  constructor(syscall: string, osCode: number, osName: string, retryable: boolean) {
    super(
      'os-error',
      `${syscall} failed with ${osName} (${osCode}); ` +
        (retryable ? 'reconnecting with back-off.' : 'please report this with the app log.'),
      retryable,
    );
    this.syscall = syscall;
    this.osCode = osCode;
  }
}
