/**
 * Which renderer frames may call the contract: only our own windows, loading our own bundle
 * from the app:// scheme. A frame that navigated elsewhere (it cannot: navigation is denied,
 * but defence in depth) or a window we did not create is refused.
 */
export class TrustedSenders {
  readonly #ids = new Set<number>();

  add(webContentsId: number): void {
    this.#ids.add(webContentsId);
  }

  remove(webContentsId: number): void {
    this.#ids.delete(webContentsId);
  }

  /** Whether a request from this web contents, sent by a frame at `frameUrl`, is ours. */
  isTrusted(webContentsId: number, frameUrl: string | undefined): boolean {
    return this.#ids.has(webContentsId) && frameUrl !== undefined && frameUrl.startsWith('app://renderer/');
  }
}
