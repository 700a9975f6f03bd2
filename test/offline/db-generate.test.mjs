// `npm run db:generate` against the tree: db/schema.ts holds no change that migrations/ lacks, and
// every migration since the baseline went through the generator (its snapshot is the next diff's
// starting point). test/db/schema.test.ts checks the migrated database against db/schema.ts and schema.sql.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, test } from "node:test";
import { promisify } from "node:util";
import { ROOT } from "../../scripts/local-dev.mjs";

const run = promisify(execFile);
const migrationsDir = join(ROOT, "migrations");
const journal = () => JSON.parse(readFileSync(join(migrationsDir, "meta", "_journal.json"), "utf8"));
const dirs = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

test("db/schema.ts has no change that a migration does not capture", async () => {
  // The real drizzle.config.ts, writing into a copy of migrations/meta.
  const dir = mkdtempSync(join(tmpdir(), "faultline-db-generate-"));
  dirs.push(dir);
  cpSync(join(migrationsDir, "meta"), join(dir, "out", "meta"), { recursive: true });
  // drizzle-kit reads `out` relative to the working directory, even an absolute one.
  const config = join(dir, "drizzle.config.ts");
  writeFileSync(
    config,
    `import config from ${JSON.stringify(join(ROOT, "drizzle.config.ts"))};\nexport default { ...config, out: ${JSON.stringify(relative(ROOT, join(dir, "out")))} };\n`,
  );

  const { stdout = "", stderr = "" } = await run(
    join(ROOT, "node_modules", ".bin", "drizzle-kit"),
    ["generate", "--config", config, "--name", "pending"],
    { cwd: ROOT },
  ).catch((error) => error);
  const written = readdirSync(join(dir, "out")).filter((f) => f.endsWith(".sql"));
  const sql = written.map((f) => readFileSync(join(dir, "out", f), "utf8")).join("\n");
  assert.deepEqual(written, [], `db/schema.ts differs from the last migration's snapshot; run npm run db:generate -- <name>:\n${sql}`);
  // Without a terminal, a change that needs a question answered (a column renamed, or dropped and
  // another added?) stops with an error, and drizzle-kit still exits 0.
  assert.match(
    stdout,
    /No schema changes/,
    `db/schema.ts differs from the last migration's snapshot; run npm run db:generate -- <name>:\n${stderr}`,
  );
});

test("every migration since the baseline was generated, and the newest is the journal's last", () => {
  const entries = journal().entries;
  const tags = entries.map((e) => e.tag);
  const migrations = readdirSync(migrationsDir)
    .filter((f) => f.endsWith(".sql"))
    .map((f) => f.replace(/\.sql$/, ""))
    .sort();
  // A hand-written migration leaves the snapshot behind (the next diff would repeat its change);
  // write SQL by hand into a generated file instead (`npm run db:generate -- <name> --custom`).
  const baseline = migrations.indexOf(tags[0]);
  assert.ok(baseline >= 0, `the journal's first entry ${tags[0]} names a migration in migrations/`);
  assert.deepEqual(migrations.slice(baseline), tags);
  for (const entry of entries) readFileSync(join(migrationsDir, "meta", `${entry.tag.split("_")[0]}_snapshot.json`));
});
