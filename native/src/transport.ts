// The platform-specific part of a driver connection. The handle (driver-handle.ts) holds all the
// logic (read loop, reassembly, write order, close) and talks only to this interface, so it is
// tested with a fake transport and reused by the Linux socket and the Windows device.

/** A driver's `[major, minor, revision, build]`. */
export type DriverVersion = readonly [number, number, number, number];

/** Which transport a handle runs on. */
export type TransportKind = 'linux' | 'windows' | 'fake';

/**
 * One open connection to a driver. The handle guarantees: at most one `read` in flight; `write`
 * calls in order, never concurrent; `close` only after the last `read` has settled, once.
 */
export interface DriverTransport {
  readonly kind: TransportKind;
  /**
   * Waits, without blocking the JS thread, for the next part of the info stream (Linux: libuv
   * watches the socket, or a threadpool thread blocks in read(); Windows: a threadpool thread
   * blocks in ReadFile). The returned bytes are a view of the transport's own buffer, valid
   * until the next `read`. Empty means end of stream, also after
   * {@link DriverTransport.cancelRead}. Throws a {@link DriverError} on failure.
   */
  read(): Promise<Uint8Array>;
  /** Writes one command as one write. Throws a {@link DriverError} on failure. */
  write(command: Uint8Array): Promise<void>;
  /** Makes a pending or future `read` return end of stream soon. Safe to call more than once. */
  cancelRead(): void;
  /** Releases the OS resources. Called once, after the last `read` settled. */
  close(): void;
  /** The driver's version from a control call (Windows IOCTL); absent where there is none. */
  readonly version?: () => Promise<DriverVersion>;
}
