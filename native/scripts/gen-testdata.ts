// Writes the TypeScript half of the cross-language golden files, for the Rust tests:
// driver/protocol/testdata/ts_commands.bin from TS_COMMAND_FIXTURES, ts_policy.bin from
// TS_POLICY_FIXTURE and ts_policy_lists.bin from TS_POLICY_LISTS_FIXTURE. It writes nothing else
// (the Rust example writes the rust_*.bin files).
// Run with Node 24 (npm run protocol:regen, or node_modules/.bin/node native/scripts/gen-testdata.ts).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  buildTsPolicy,
  buildTsPolicyLists,
  TS_POLICY_FIXTURE,
  TS_POLICY_LISTS_FIXTURE,
  TS_POLICY_LISTS_PATH,
  TS_POLICY_PATH,
} from '../test-support/codec/policy-fixtures.ts';
import { buildTsCommands, TS_COMMAND_FIXTURES, TS_COMMANDS_PATH } from '../test-support/codec/testdata-fixtures.ts';

const repoRoot = new URL('../../', import.meta.url);

function write(path: string, bytes: Uint8Array, what: string): void {
  const target = fileURLToPath(new URL(path, repoRoot));
  writeFileSync(target, bytes);
  console.log(`wrote ${target}: ${what}, ${bytes.length} bytes`);
}

write(TS_COMMANDS_PATH, buildTsCommands(), `${TS_COMMAND_FIXTURES.length} commands`);
write(TS_POLICY_PATH, buildTsPolicy(), `a policy document of ${TS_POLICY_FIXTURE.rules.length} rules`);
const lists = TS_POLICY_LISTS_FIXTURE.blocklist;
write(
  TS_POLICY_LISTS_PATH,
  buildTsPolicyLists(),
  `a policy document listing ${lists?.names.length ?? 0} names and ${lists?.networks.length ?? 0} networks`,
);
