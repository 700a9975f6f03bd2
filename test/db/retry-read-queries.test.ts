import { createExecutionContext, createMessageBatch, env, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { describe, expect, it } from "vitest";
import { onRequest as apiFunction } from "../../dashboard/functions/api/[[path]]";
import { isReadOnlySql, retryReadQueries } from "../../db/retry-read-queries";
import { organizations } from "../../db/schema";
import { handleQueueBatch } from "../../queue-consumer/handle-batch";
import type { IngestMessage } from "../../protocol/ingest-message";
import { seedProject } from "../support/seed";
import { envelopeMessage } from "../support/seed-alerts";
import { seedOrganization } from "../support/seed-issues";

// What a read that collides with another process's commit on local D1 throws (the SQLITE_BUSY is
// only in workerd's log).
const busy = () => new Error("D1_ERROR: Failed to parse body as JSON, got: Error: internal error; reference = 4lhldh8tasd0bo6v48cmun2e");

/**
 * The real D1 binding, except that the first `failures` executions throw `error()` before reaching
 * the database: contention between two workerd processes cannot be produced on demand in one.
 */
function failingFirst(db: D1Database, failures: number, error: () => Error = busy) {
  const calls: string[] = [];
  let left = failures;
  const gate = <T>(sql: string, run: () => Promise<T>): Promise<T> => {
    calls.push(sql);
    if (left > 0) {
      left--;
      return Promise.reject(error());
    }
    return run();
  };
  const wrap = (sql: string, stmt: D1PreparedStatement): D1PreparedStatement =>
    ({
      bind: (...values: unknown[]) => wrap(sql, stmt.bind(...values)),
      first: (column?: string) => gate(sql, () => (column === undefined ? stmt.first() : stmt.first(column))),
      all: () => gate(sql, () => stmt.all()),
      run: () => gate(sql, () => stmt.run()),
      raw: (options?: { columnNames?: boolean }) => gate(sql, () => stmt.raw(options as { columnNames: true })),
      inner: stmt,
    }) as unknown as D1PreparedStatement;
  const flaky = {
    prepare: (sql: string) => wrap(sql, db.prepare(sql)),
    batch: (statements: D1PreparedStatement[]) =>
      gate("batch", () => db.batch(statements.map((s) => (s as unknown as { inner: D1PreparedStatement }).inner))),
    exec: (sql: string) => db.exec(sql),
  } as unknown as D1Database;
  return { db: flaky, calls };
}

const noWait = { sleep: async () => {} };

describe("read-only statements", () => {
  it.each([
    ["select 1", true],
    ['select "id" from "issues" where "id" = ?', true],
    ["  WITH recent AS (select 1) select * from recent", true],
    ["explain query plan select 1", true],
    ['insert into "events" ("id") values (?)', false],
    ['update "issues" set "status" = ? where "id" = ?', false],
    ['delete from "events" where "id" in (select "id" from "events" limit 10)', false],
    ["with doomed as (select 1) delete from events", false],
    ['insert into "issues" select * from "issues"', false],
    ["pragma table_info(issues)", false],
  ])("%s is read-only: %s", (sql, readOnly) => {
    expect(isReadOnlySql(sql)).toBe(readOnly);
  });
});

describe("retryReadQueries", () => {
  it("answers a read that failed transiently, from the real database", async () => {
    const org = await seedOrganization();
    const { db, calls } = failingFirst(env.DB, 3);
    const rows = await drizzle(retryReadQueries(db, noWait))
      .select({ slug: organizations.slug })
      .from(organizations)
      .where(eq(organizations.id, org.orgId));
    expect(rows).toEqual([{ slug: org.orgSlug }]);
    expect(calls).toHaveLength(4);
  });

  it("gives up after its attempts and throws the last error", async () => {
    const { db, calls } = failingFirst(env.DB, 10);
    await expect(
      retryReadQueries(db, { ...noWait, attempts: 3 })
        .prepare("select 1")
        .first(),
    ).rejects.toThrow(/internal error/);
    expect(calls).toHaveLength(3);
  });

  it("never retries a write, whose failure may hide a change", async () => {
    const org = await seedOrganization();
    const { db, calls } = failingFirst(env.DB, 1);
    const write = drizzle(retryReadQueries(db, noWait))
      .update(organizations)
      .set({ name: "Renamed" })
      .where(eq(organizations.id, org.orgId));
    // drizzle wraps the driver's error: "Failed query: update ...", the D1 error as its cause.
    await expect(write.run()).rejects.toMatchObject({ cause: { message: expect.stringMatching(/internal error/) } });
    expect(calls).toHaveLength(1);
    const [row] = await drizzle(env.DB).select({ name: organizations.name }).from(organizations).where(eq(organizations.id, org.orgId));
    expect(row?.name).not.toBe("Renamed");
  });

  it("does not retry an error in the query itself", async () => {
    const { db, calls } = failingFirst(env.DB, 1, () => new Error("D1_ERROR: no such table: nowhere: SQLITE_ERROR"));
    await expect(retryReadQueries(db, noWait).prepare("select * from nowhere").all()).rejects.toThrow(/no such table/);
    expect(calls).toHaveLength(1);
  });

  it("retries a batch of reads but not a batch that writes", async () => {
    const org = await seedOrganization();
    const reads = failingFirst(env.DB, 1);
    const retrying = retryReadQueries(reads.db, noWait);
    const results = await retrying.batch([
      retrying.prepare("select 1 as one"),
      retrying.prepare("select slug from organizations where id = ?").bind(org.orgId),
    ]);
    expect(results.map((r) => r.results)).toEqual([[{ one: 1 }], [{ slug: org.orgSlug }]]);
    expect(reads.calls).toEqual(["batch", "batch"]);

    const writes = failingFirst(env.DB, 1);
    const writing = retryReadQueries(writes.db, noWait);
    await expect(writing.batch([writing.prepare("select 1"), writing.prepare("update organizations set name = 'x'")])).rejects.toThrow(
      /internal error/,
    );
    expect(writes.calls).toEqual(["batch"]);
  });
});

describe("the dashboard's Pages Function", () => {
  it("answers 200 when its first reads collide with a commit", async () => {
    const org = await seedOrganization();
    const { db } = failingFirst(env.DB, 2);
    const waits: Promise<unknown>[] = [];
    const res = await apiFunction({
      request: new Request("http://dashboard.test/api/0/projects/", { headers: { authorization: `Bearer ${org.token}` } }),
      env: { DB: db },
      waitUntil: (p: Promise<unknown>) => waits.push(p),
      passThroughOnException: () => {},
    } as unknown as Parameters<typeof apiFunction>[0]);
    await Promise.all(waits);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { slug: string }[]).map((p) => p.slug)).toContain(org.projectSlug);
  });
});

describe("the queue consumer", () => {
  it("digests a batch whose first reads collide with a commit, instead of failing it for Queues to retry", async () => {
    const { projectId } = await seedProject();
    const message = envelopeMessage(projectId);
    const batch = createMessageBatch<IngestMessage>("events", [message]);
    const ctx = createExecutionContext();
    const { db, calls } = failingFirst(env.DB, 2);
    await handleQueueBatch(batch as MessageBatch<unknown>, { ...env, DB: db });
    await waitOnExecutionContext(ctx);
    expect(calls.length).toBeGreaterThan(2);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual([message.id]);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM events WHERE project_id = ?").bind(projectId).first("n")).toBe(1);
  });
});
