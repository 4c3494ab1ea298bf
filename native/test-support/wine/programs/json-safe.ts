// JSON for results that hold bigints (ids, counters) and byte arrays: a bigint becomes the
// string "<digits>n", a Uint8Array its hex, so the Linux side compares them exactly.

/** JSON.stringify with bigints and byte arrays kept exact. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'bigint') return `${item.toString()}n`;
    if (item instanceof Uint8Array) return { hex: Buffer.from(item).toString('hex') };
    return item;
  });
}
