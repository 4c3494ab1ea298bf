// Run by the integration test as another user (spawn's uid/gid): opens the driver at argv[2]
// and prints the outcome as one JSON line.
import { DriverError, openDriver } from '../src/index.ts';

const socketPath = process.argv[2] ?? '';
try {
  const handle = await openDriver({ kind: 'linux', socketPath });
  await handle.close();
  console.log(JSON.stringify({ opened: true }));
} catch (error) {
  const group = error instanceof DriverError && 'group' in error ? error.group : undefined;
  console.log(
    JSON.stringify({
      opened: false,
      name: error instanceof Error ? error.name : 'unknown',
      code: error instanceof DriverError ? error.code : undefined,
      group,
      message: error instanceof Error ? error.message : String(error),
    }),
  );
}
