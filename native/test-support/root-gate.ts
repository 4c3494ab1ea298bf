// Tests that need root fail with one sentence without it, unless ZF_SKIP_ROOT_TESTS=1 (then
// they are skipped, saying so), like the Rust namespace tests (driver/linux/tests/support).

/** Whether to skip, and the check a suite's beforeAll runs. */
export interface RootGate {
  /** True when not root and ZF_SKIP_ROOT_TESTS=1. */
  readonly skip: boolean;
  /** Throws the one-sentence failure when not root. */
  assertRoot(): void;
}

/** The gate for the suite `name`; prints the skip notice when skipping. */
export function rootGate(name: string): RootGate {
  const isRoot = process.getuid?.() === 0;
  const skip = !isRoot && process.env['ZF_SKIP_ROOT_TESTS'] === '1';
  if (skip) console.log(`SKIPPED ${name}: ZF_SKIP_ROOT_TESTS=1 and not root`);
  return {
    skip,
    assertRoot() {
      if (!isRoot) {
        throw new Error(
          `${name} need root (they create network namespaces and start zenithfenced): run them as root, or set ZF_SKIP_ROOT_TESTS=1 to skip them knowingly.`,
        );
      }
    },
  };
}
