/** The database was written by a newer ZenithFence; opening it could corrupt data we do not know. */
export class StoreVersionError extends Error {
  readonly found: number;
  readonly supported: number;

  constructor(found: number, supported: number) {
    super(
      `The database has schema version ${found}, newer than the ${supported} this ZenithFence understands. ` +
        'It was probably written by a newer release; refusing to open it so nothing is lost. ' +
        'Update ZenithFence or restore a backup.',
    );
    this.name = 'StoreVersionError';
    this.found = found;
    this.supported = supported;
  }
}

/** A row read back from SQLite does not have the shape we wrote (tampering, bug, or corruption). */
export class StoreDataError extends Error {
  constructor(what: string, detail: string) {
    super(`Stored ${what} is invalid: ${detail}`);
    this.name = 'StoreDataError';
  }
}
