// Runs under Node for Windows in Wine (wal-checkpointer.wine.test.ts): a WAL database written
// while the checkpoint thread runs, then a thread given a database that is not there.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { WalCheckpointer } from '../wal-checkpointer.ts';

interface Input {
  /** A directory of the test's, as `Z:\...`. */
  readonly dir: string;
}

const [inputFile, outputFile] = process.argv.slice(2);
if (inputFile === undefined || outputFile === undefined) throw new Error('usage: wal-checkpoint-check IN OUT');
const input = JSON.parse(readFileSync(inputFile, 'utf8')) as Input;
const problems: string[] = [];
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const file = path.join(input.dir, 'db.sqlite');
const db = new DatabaseSync(file);
db.exec('PRAGMA journal_mode = WAL; CREATE TABLE t (x TEXT)');
const checkpointer = new WalCheckpointer(db, file, { intervalMs: 20, onProblem: (m) => problems.push(m) });
const before = statSync(file).size;
for (let i = 0; i < 20; i += 1) {
  db.exec(`INSERT INTO t SELECT hex(randomblob(200)) FROM
    (WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 200) SELECT n FROM c)`);
}
const deadline = Date.now() + 10_000;
while (statSync(file).size === before && Date.now() < deadline) await sleep(20);
const written = { mode: checkpointer.mode, before, after: statSync(file).size };
checkpointer.stop();
db.close();
const walLeft = existsSync(`${file}-wal`);

const other = new DatabaseSync(path.join(input.dir, 'other.sqlite'));
const missing = path.join(input.dir, 'missing.sqlite');
const orphan = new WalCheckpointer(other, missing, { intervalMs: 20, onProblem: (m) => problems.push(m) });
const until = Date.now() + 10_000;
while (orphan.mode === 'background' && Date.now() < until) await sleep(20);
const fallback = { mode: orphan.mode, created: existsSync(missing) };
orphan.stop();
other.close();

writeFileSync(outputFile, JSON.stringify({ platform: process.platform, written, walLeft, fallback, problems }));
