// Child process for last-resort.test.ts: meets an uncaught exception and an unhandled rejection,
// then says whether it is still running. Usage: node faulty-host.ts [installed]
import { installLastResort } from '../last-resort.ts';
import { RateLimitedLog } from '../rate-limited-log.ts';

if (process.argv[2] === 'installed') installLastResort(new RateLimitedLog((line) => console.error(line)));
setTimeout(() => {
  throw new Error('a timer failed');
}, 10);
void Promise.reject(new Error('a promise failed'));
setTimeout(() => {
  console.log('still deciding');
  process.exit(0);
}, 200);
