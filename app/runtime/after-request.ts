/**
 * A request handler that runs `work` with the time of the request, then `after` with that time
 * whatever `work` did (returned or threw): what the request may have changed is pushed and sent
 * to the driver even when the request was refused halfway.
 */
export function withAfter(clock: () => number, after: (now: number) => void) {
  return <P, R>(work: (payload: P, now: number) => R) =>
    (payload: P): R => {
      const now = clock();
      try {
        return work(payload, now);
      } finally {
        after(now);
      }
    };
}
