// The migrations through the real `wrangler d1 migrations apply` (the command deploy runs with
// --remote), on a local D1: onto an empty database, and onto the previous release's database
// with rows in it. test/db/schema.test.ts compares the resulting schemas in detail.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { promisify } from "node:util";
import { ROOT, wranglerEnv } from "../../scripts/local-dev.mjs";
import { PREVIOUS_RELEASE_LAST_MIGRATION } from "../support/previous-release.mjs";

const run = promisify(execFile);
const wrangler = join(ROOT, "node_modules", ".bin", "wrangler");
const migrations = readdirSync(join(ROOT, "migrations"))
  .filter((f) => f.endsWith(".sql"))
  .sort();
const dirs = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A folder with a wrangler.toml whose DB takes its migrations from the folder's migrations/. */
function database() {
  const dir = mkdtempSync(join(tmpdir(), "faultline-migrations-"));
  dirs.push(dir);
  mkdirSync(join(dir, "migrations"));
  writeFileSync(
    join(dir, "wrangler.toml"),
    `name = "migrations-check"\ncompatibility_date = "2026-05-01"\n\n[[d1_databases]]\nbinding = "DB"\ndatabase_name = "faultline"\ndatabase_id = "5f1c6a9e-0d0b-4c84-9a52-6a1f3e0b7c21"\nmigrations_dir = "migrations"\n`,
  );
  const d1 = (...args) =>
    run(wrangler, ["d1", ...args, "--local", "--persist-to", join(dir, "state")], {
      cwd: dir,
      env: wranglerEnv,
      maxBuffer: 16 * 1024 * 1024,
    });
  return {
    addMigrations: (names) => names.forEach((n) => cpSync(join(ROOT, "migrations", n), join(dir, "migrations", n))),
    apply: () => d1("migrations", "apply", "DB"),
    query: async (sql) => JSON.parse((await d1("execute", "DB", "--json", "--command", sql)).stdout).at(-1).results,
  };
}

const schemaSqlObjects = () =>
  [...readFileSync(join(ROOT, "schema.sql"), "utf8").matchAll(/^CREATE (?:UNIQUE )?(TABLE|INDEX) (\w+)/gm)]
    .map((m) => `${m[1].toLowerCase()} ${m[2]}`)
    .sort();
const objectsOf = async (db) =>
  (
    await db.query(
      "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name != 'd1_migrations'",
    )
  )
    .map((r) => `${r.type} ${r.name}`)
    .sort();

test("every migration applies to an empty database and builds what schema.sql describes", async () => {
  const db = database();
  db.addMigrations(migrations);
  await db.apply();
  assert.deepEqual(await objectsOf(db), schemaSqlObjects());
  // Applying again finds nothing to do.
  const { stdout } = await db.apply();
  assert.match(stdout, /No migrations to apply/);
});

test("the previous release's database upgrades with its rows kept", async () => {
  const db = database();
  const cut = migrations.indexOf(PREVIOUS_RELEASE_LAST_MIGRATION) + 1;
  assert.ok(cut > 0, `${PREVIOUS_RELEASE_LAST_MIGRATION} is in migrations/`);
  db.addMigrations(migrations.slice(0, cut));
  await db.apply();
  await db.query(`INSERT INTO organizations (id, slug, name, created_at) VALUES (1, 'acme', 'Acme', 1);
    INSERT INTO projects (id, organization_id, slug, name, created_at) VALUES (1, 1, 'web', 'Web', 1);
    INSERT INTO project_keys (project_id, public_key, created_at) VALUES (1, 'k1', 1);
    INSERT INTO issues (id, project_id, fingerprint, grouping, type, title, level, platform, first_seen, last_seen, times_seen) VALUES (1, 1, 'f', '{}', 'error', 'E', 'error', 'node', 1, 2, 2);
    INSERT INTO events (project_id, event_id, issue_id, timestamp, received_at, level, title, data, ingest_batch) VALUES (1, 'e1', 1, 1, 1, 'error', 'E', x'00', 'b'), (1, 'e2', 1, 2, 2, 'error', 'E', x'00', 'b');`);
  db.addMigrations(migrations.slice(cut));
  await db.apply();
  assert.deepEqual(
    await db.query(
      "SELECT (SELECT count(*) FROM events) AS events, (SELECT times_seen FROM issues) AS times_seen, (SELECT public_key FROM project_keys) AS k",
    ),
    [{ events: 2, times_seen: 2, k: "k1" }],
  );
  assert.deepEqual(await objectsOf(db), schemaSqlObjects());
});
