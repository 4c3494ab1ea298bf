// Writes driver/protocol/testdata/ts_commands.bin from TS_COMMAND_FIXTURES, for the Rust tests.
// Run with Node 24 (npm run protocol:regen, or node_modules/.bin/node native/scripts/gen-testdata.ts).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { buildTsCommands, TS_COMMAND_FIXTURES, TS_COMMANDS_PATH } from '../src/codec/testdata-fixtures.ts';

const repoRoot = new URL('../../', import.meta.url);
const target = fileURLToPath(new URL(TS_COMMANDS_PATH, repoRoot));
const bytes = buildTsCommands();
writeFileSync(target, bytes);
console.log(`wrote ${target}: ${TS_COMMAND_FIXTURES.length} commands, ${bytes.length} bytes`);
