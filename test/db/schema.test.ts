import { applyD1Migrations, env } from "cloudflare:test";
import { SQL, is } from "drizzle-orm";
import { type SQLiteColumn, SQLiteSyncDialect, SQLiteTable, getTableConfig } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import * as schema from "../../db/schema";
import { PREVIOUS_RELEASE_LAST_MIGRATION } from "../support/previous-release.mjs";

// Two more D1 databases for this file (vitest.config.ts): one built from schema.sql, one
// upgraded from the previous release's schema.
declare global {
  namespace Cloudflare {
    interface Env {
      SCHEMA_DB: D1Database;
      UPGRADE_DB: D1Database;
      SCHEMA_SQL: string;
    }
  }
}

interface Column {
  name: string;
  type: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
}

interface DescribedTable {
  withoutRowid: boolean;
  columns: Column[];
  indexes: Array<{ label: string; unique: number; partial: number; keys: string[] }>;
  foreignKeys: string[];
}

/** Everything about a database's schema that a query can depend on, in a comparable form. */
async function describeSchema(db: D1Database): Promise<Record<string, DescribedTable>> {
  const tables = (
    await db
      .prepare(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name != 'd1_migrations' ORDER BY name",
      )
      .all<{ name: string; sql: string }>()
  ).results;
  const out: Record<string, DescribedTable> = {};
  for (const { name, sql } of tables) {
    const withoutRowid = /\)\s*WITHOUT\s+ROWID\s*$/i.test(sql);
    const info = (await db.prepare(`PRAGMA table_info("${name}")`).all<Column>()).results;
    const rowidAlias =
      !withoutRowid && info.filter((c) => c.pk > 0).length === 1
        ? info.find((c) => c.pk > 0 && c.type.toUpperCase() === "INTEGER")
        : undefined;
    // Generated migrations write `integer PRIMARY KEY NOT NULL` and `DEFAULT false` where schema.sql
    // says INTEGER PRIMARY KEY and DEFAULT 0: the same to SQLite (type names ignore case, a rowid
    // alias is never NULL, true and false are 1 and 0).
    const columns = info.map(({ name, type, notnull, dflt_value, pk }) => ({
      name,
      type: type.toUpperCase(),
      notnull: name === rowidAlias?.name ? 1 : notnull,
      dflt_value: dflt_value === "true" ? "1" : dflt_value === "false" ? "0" : dflt_value,
      pk,
    }));
    const indexes = [];
    for (const index of (
      await db.prepare(`PRAGMA index_list("${name}")`).all<{ name: string; unique: number; origin: string; partial: number }>()
    ).results) {
      const keys = (
        await db.prepare(`PRAGMA index_xinfo("${index.name}")`).all<{ name: string | null; desc: number; coll: string; key: number }>()
      ).results
        .filter((k) => k.key === 1)
        .map((k) => `${k.name}${k.desc ? " DESC" : ""}${k.coll !== "BINARY" ? ` COLLATE ${k.coll}` : ""}`);
      // SQLite numbers the indexes behind UNIQUE and PRIMARY KEY constraints by their order.
      const label = index.origin === "c" ? index.name : `(${index.origin}) ${keys.join(", ")}`;
      indexes.push({ label, unique: index.unique, partial: index.partial, keys });
    }
    indexes.sort((a, b) => a.label.localeCompare(b.label));
    const foreignKeys = (
      await db.prepare(`PRAGMA foreign_key_list("${name}")`).all<{ table: string; from: string; to: string | null }>()
    ).results
      .map((k) => `${k.from} -> ${k.table}(${k.to ?? ""})`)
      .sort();
    out[name] = { withoutRowid, columns, indexes, foreignKeys };
  }
  return out;
}

/** schema.sql's statements: comments dropped, split on the semicolons that end them. */
function statementsOf(sql: string): string[] {
  return sql
    .replace(/--[^\n]*/g, "")
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

describe("the D1 schema", () => {
  it("schema.sql builds the same tables, columns and indexes as the migrations", async () => {
    await env.SCHEMA_DB.batch(statementsOf(env.SCHEMA_SQL).map((s) => env.SCHEMA_DB.prepare(s)));
    const fromSchemaSql = await describeSchema(env.SCHEMA_DB);
    const fromMigrations = await describeSchema(env.DB);
    expect(Object.keys(fromSchemaSql)).toEqual(Object.keys(fromMigrations));
    for (const table of Object.keys(fromMigrations)) expect(fromSchemaSql[table], table).toEqual(fromMigrations[table]);
  });

  it("db/schema.ts describes exactly the migrated database: tables, columns, keys and indexes", async () => {
    const tables = Object.values(schema as Record<string, unknown>).filter((value): value is SQLiteTable => is(value, SQLiteTable));
    expect(tables.length).toBeGreaterThan(10);
    const fromDrizzle = Object.fromEntries(tables.map((table) => [getTableConfig(table).name, shapeOfDrizzleTable(table)]));
    const uniqueNames = new Set(tables.flatMap(uniqueConstraintNames));
    const migrated = await describeSchema(env.DB);
    const fromMigrations = Object.fromEntries(
      Object.entries(migrated).map(([name, table]) => [name, shapeOfDescribedTable(table, uniqueNames)]),
    );
    expect(Object.keys(fromDrizzle).sort()).toEqual(Object.keys(fromMigrations).sort());
    for (const table of Object.keys(fromMigrations)) expect(fromDrizzle[table], table).toEqual(fromMigrations[table]);
  });

  it("upgrades the previous release's database, keeping its rows", async () => {
    const db = env.UPGRADE_DB;
    const cut = env.TEST_MIGRATIONS.findIndex((m) => m.name === PREVIOUS_RELEASE_LAST_MIGRATION);
    expect(cut).toBeGreaterThanOrEqual(0);
    await applyD1Migrations(db, env.TEST_MIGRATIONS.slice(0, cut + 1));

    // What a deployment of the previous release holds: an account, a project with a key, an
    // issue with an event and its counters, a stored item, a rejection and a dead letter.
    const now = Date.UTC(2026, 3, 1);
    await db.batch(
      [
        `INSERT INTO organizations (id, slug, name, created_at) VALUES (1, 'acme', 'Acme', ${now})`,
        `INSERT INTO projects (id, organization_id, slug, name, platform, created_at) VALUES (1, 1, 'web', 'Web', 'javascript', ${now})`,
        `INSERT INTO project_keys (id, project_id, public_key, created_at) VALUES (1, 1, '0123456789abcdef0123456789abcdef', ${now})`,
        `INSERT INTO users (id, email, password_hash, created_at) VALUES (1, 'owner@example.com', 'pbkdf2_sha256$100000$AAAA$AAAA', ${now})`,
        `INSERT INTO memberships (organization_id, user_id, role) VALUES (1, 1, 'owner')`,
        `INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES ('s1', 1, ${now}, ${now + 86_400_000})`,
        `INSERT INTO issues (id, project_id, fingerprint, grouping, type, title, level, platform, first_seen, last_seen, times_seen, user_count, last_event_id)
           VALUES (1, 1, 'f1', '{}', 'error', 'TypeError: x', 'error', 'javascript', ${now}, ${now}, 1, 1, 'e1')`,
        `INSERT INTO events (project_id, event_id, issue_id, timestamp, received_at, level, title, data, ingest_batch)
           VALUES (1, 'e1', 1, ${now}, ${now}, 'error', 'TypeError: x', x'1f8b', 'b1')`,
        `INSERT INTO issue_hourly (issue_id, hour, count) VALUES (1, ${now}, 1)`,
        `INSERT INTO project_hourly (project_id, hour, count) VALUES (1, ${now}, 1)`,
        `INSERT INTO issue_users (issue_id, user_key, first_seen, ingest_batch) VALUES (1, 'id:1', ${now}, 'b1')`,
        `INSERT INTO issue_tags (issue_id, key, value, count, first_seen, last_seen) VALUES (1, 'browser', 'Chrome', 1, ${now}, ${now})`,
        `INSERT INTO releases (project_id, version, first_seen, last_seen) VALUES (1, 'web@1.0.0', ${now}, ${now + 1000})`,
        `INSERT INTO stored_items (project_id, message_id, item_index, item_type, received_at, payload, ingest_batch) VALUES (1, 'm1', 1, 'session', ${now}, x'7b7d', 'b1')`,
        `INSERT INTO item_counts (project_id, day, item_type, count) VALUES (1, ${now}, 'event', 1)`,
        `INSERT INTO rejected_envelopes (message_id, project_id, received_at, reason, detail) VALUES ('m2', 1, ${now}, 'malformed_envelope', 'x')`,
        `INSERT INTO dead_letters (queue, message_id, project_id, received_at, attempts) VALUES ('events-dlq', 'm3', 1, ${now}, 6)`,
      ].map((s) => db.prepare(s)),
    );
    const before = await countRows(db);

    await applyD1Migrations(db, env.TEST_MIGRATIONS);

    expect(await countRows(db)).toMatchObject(before);
    expect(await db.prepare("SELECT times_seen, last_event_id FROM issues WHERE id = 1").first()).toEqual({
      times_seen: 1,
      last_event_id: "e1",
    });
    // Tag values learn their issue's project, so the stream's tag filters still find them.
    expect(await db.prepare("SELECT project_id FROM issue_tags WHERE issue_id = 1").first()).toEqual({ project_id: 1 });
    // A release events named becomes its organization's release, created when first seen.
    expect(
      await db
        .prepare("SELECT organization_id, version, date_created FROM organization_releases")
        .all()
        .then((r) => r.results),
    ).toEqual([{ organization_id: 1, version: "web@1.0.0", date_created: now }]);
    expect(await describeSchema(db)).toEqual(await describeSchema(env.DB));
  });
});

/**
 * A table as db/schema.ts can say it, to compare drizzle with the database. Drizzle cannot say
 * WITHOUT ROWID, a column's COLLATE or a CHECK: the schema.sql comparison covers those.
 */
interface TableShape {
  columns: Array<{ name: string; type: string; notNull: boolean; default: string | null }>;
  primaryKey: string[];
  indexes: string[];
  foreignKeys: string[];
}

const dialect = new SQLiteSyncDialect();

function shapeOfDrizzleTable(table: SQLiteTable): TableShape {
  const config = getTableConfig(table);
  const keyOf = (key: SQLiteColumn | SQL) =>
    is(key, SQL) ? dialect.sqlToQuery(key, "indexes").sql.replace(/^"(\w+)" desc$/i, "$1 DESC") : key.name;
  return {
    columns: config.columns.map((c) => ({
      name: c.name,
      type: c.getSQLType().toLowerCase(),
      notNull: c.notNull,
      default: sqlDefaultOf(c),
    })),
    primaryKey: [...config.columns.filter((c) => c.primary), ...config.primaryKeys.flatMap((k) => k.columns)].map((c) => c.name),
    indexes: [
      ...config.indexes.map(
        ({ config: i }) =>
          `${i.unique ? "unique " : ""}index ${i.name} (${i.columns.map((k) => keyOf(k as SQLiteColumn | SQL)).join(", ")})${i.where ? " partial" : ""}`,
      ),
      ...config.uniqueConstraints.map((u) => `unique (${u.columns.map((c) => c.name).join(", ")})`),
      ...config.columns.filter((c) => c.isUnique).map((c) => `unique (${c.name})`),
    ].sort(),
    foreignKeys: config.foreignKeys
      .flatMap((fk) => {
        const { columns, foreignTable, foreignColumns } = fk.reference();
        return columns.map((c, i) => `${c.name} -> ${getTableConfig(foreignTable).name}(${foreignColumns[i]!.name})`);
      })
      .sort(),
  };
}

/** The names drizzle-kit gives the unique indexes it creates for drizzle's unique constraints. */
function uniqueConstraintNames(table: SQLiteTable): string[] {
  const config = getTableConfig(table);
  const names = [
    ...config.uniqueConstraints.map((u) => u.getName()),
    ...config.columns.map((c) => (c.isUnique ? c.uniqueName : undefined)),
  ];
  return names.filter((name) => name !== undefined);
}

/** A column's default as SQLite's table_info shows it. */
function sqlDefaultOf(column: SQLiteColumn): string | null {
  const value = column.default;
  if (value === undefined) return null;
  if (is(value, SQL)) return dialect.sqlToQuery(value).sql;
  if (typeof value === "boolean") return value ? "1" : "0";
  if (typeof value === "number") return String(value);
  return `'${(typeof value === "string" ? value : JSON.stringify(value)).replaceAll("'", "''")}'`;
}

function shapeOfDescribedTable(table: DescribedTable, uniqueConstraintNames: Set<string>): TableShape {
  return {
    // A primary key column is never NULL, whether or not table_info says so.
    columns: table.columns.map((c) => ({
      name: c.name,
      type: c.type.toLowerCase(),
      notNull: c.notnull === 1 || c.pk > 0,
      default: c.dflt_value,
    })),
    primaryKey: table.columns
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name),
    indexes: table.indexes
      .filter((i) => !i.label.startsWith("(pk)"))
      .map((i) => {
        const keys = i.keys.map((k) => k.replace(/ COLLATE \w+$/, "")).join(", ");
        // An inline UNIQUE (SQLite's autoindex) and drizzle-kit's named unique index say the same.
        if (i.label.startsWith("(u)") || (i.unique && uniqueConstraintNames.has(i.label))) return `unique (${keys})`;
        return `${i.unique ? "unique " : ""}index ${i.label} (${keys})${i.partial ? " partial" : ""}`;
      })
      .sort(),
    foreignKeys: table.foreignKeys,
  };
}

async function countRows(db: D1Database): Promise<Record<string, number>> {
  const tables = (
    await db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name != 'd1_migrations'",
      )
      .all<{ name: string }>()
  ).results;
  const out: Record<string, number> = {};
  for (const { name } of tables) out[name] = Number((await db.prepare(`SELECT count(*) AS n FROM "${name}"`).first<{ n: number }>())?.n);
  return out;
}
