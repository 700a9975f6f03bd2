import { createScheduledController, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_RETENTION_LIMITS,
  RETENTION_QUERIES,
  type RetentionReport,
  enforceRetention,
} from "../../queue-consumer/jobs/enforce-retention";
import worker from "../../faultline-worker";
import { seedProject } from "../support/seed";
import { bindNumbered } from "../../db/bind-numbered";
import { DAY, HOUR } from "../../protocol/time";

const NOW = Date.UTC(2026, 5, 1, 12, 30);
const day = (t: number) => new Date(t).toISOString().slice(0, 10);
let n = 0;
const unique = (prefix: string) => `${prefix}-${++n}-${Math.random().toString(36).slice(2, 8)}`;

async function project(retentionDays: number): Promise<number> {
  const { projectId } = await seedProject();
  await env.DB.prepare("UPDATE projects SET retention_days = ? WHERE id = ?").bind(retentionDays, projectId).run();
  return projectId;
}

/** An issue with one event per timestamp, and the buckets, tags and users the digest would write. */
async function issueWithEvents(projectId: number, timestamps: number[]): Promise<number> {
  const first = Math.min(...timestamps);
  const last = Math.max(...timestamps);
  const issue = await env.DB.prepare(
    `INSERT INTO issues (project_id, fingerprint, grouping, type, title, level, platform, first_seen, last_seen, times_seen, user_count)
     VALUES (?, ?, '{}', 'error', 'TypeError: x', 'error', 'node', ?, ?, ?, ?) RETURNING id`,
  )
    .bind(projectId, unique("fp"), first, last, timestamps.length, timestamps.length)
    .first<{ id: number }>();
  const issueId = issue!.id;
  const statements = timestamps.flatMap((t, i) => [
    env.DB.prepare(
      `INSERT INTO events (project_id, event_id, issue_id, timestamp, received_at, level, title, user_key, tags, data, ingest_batch)
       VALUES (?, ?, ?, ?, ?, 'error', 'TypeError: x', ?, '[["route","/a"]]', x'00', 'seed')`,
    ).bind(projectId, unique("ev"), issueId, t, t, `id:u${i}`),
    env.DB.prepare("INSERT INTO issue_hourly (issue_id, hour, count) VALUES (?, ?, 1) ON CONFLICT DO UPDATE SET count = count + 1").bind(
      issueId,
      t - (t % HOUR),
    ),
    env.DB.prepare("INSERT INTO issue_users (issue_id, user_key, first_seen, ingest_batch) VALUES (?, ?, ?, 'seed')").bind(
      issueId,
      `id:u${i}`,
      t,
    ),
    env.DB.prepare(
      `INSERT INTO issue_tags (issue_id, key, value, count, first_seen, last_seen, project_id) VALUES (?, 'route', '/a', 1, ?, ?, ?)
       ON CONFLICT DO UPDATE SET count = count + 1, last_seen = max(last_seen, excluded.last_seen)`,
    ).bind(issueId, t, t, projectId),
    env.DB.prepare(
      "INSERT INTO project_hourly (project_id, hour, count) VALUES (?, ?, 1) ON CONFLICT DO UPDATE SET count = count + 1",
    ).bind(projectId, t - (t % HOUR)),
    env.DB.prepare(
      "INSERT INTO item_counts (project_id, day, item_type, count) VALUES (?, ?, 'event', 1) ON CONFLICT DO UPDATE SET count = count + 1",
    ).bind(projectId, t - (t % DAY)),
  ]);
  await env.DB.batch(statements);
  return issueId;
}

async function storedItem(projectId: number, receivedAt: number): Promise<string> {
  const messageId = unique("msg");
  const key = `items/${projectId}/${messageId}/0`;
  await env.RAW.put(key, "attachment bytes");
  await env.DB.prepare(
    "INSERT INTO stored_items (project_id, message_id, item_index, item_type, received_at, body_key, ingest_batch) VALUES (?, ?, 0, 'attachment', ?, ?, 'seed')",
  )
    .bind(projectId, messageId, receivedAt, key)
    .run();
  return key;
}

async function rejected(projectId: number, receivedAt: number): Promise<string> {
  const key = `raw/${projectId}/${day(receivedAt)}/${crypto.randomUUID()}`;
  await env.RAW.put(key, "not an envelope");
  await env.DB.prepare(
    "INSERT INTO rejected_envelopes (message_id, project_id, received_at, reason, detail, body_key) VALUES (?, ?, ?, 'malformed_envelope', 'x', ?)",
  )
    .bind(unique("msg"), projectId, receivedAt, key)
    .run();
  return key;
}

async function rawBody(projectId: number, receivedAt: number): Promise<string> {
  const key = `raw/${projectId}/${day(receivedAt)}/${crypto.randomUUID()}`;
  await env.RAW.put(key, "large body");
  return key;
}

async function deadLetter(projectId: number | null, receivedAt: number) {
  await env.DB.prepare("INSERT INTO dead_letters (queue, message_id, project_id, received_at, attempts) VALUES ('events-dlq', ?, ?, ?, 6)")
    .bind(unique("msg"), projectId, receivedAt)
    .run();
}

/** An artifact bundle as assembly stores it: its row, its files (in R2) and the projects keeping it. */
async function bundle(
  projectIds: number[],
  dates: { added: number; lastUsed?: number },
  files = 2,
): Promise<{ id: number; keys: string[] }> {
  const org = (await env.DB.prepare("SELECT organization_id AS id FROM projects WHERE id = ?").bind(projectIds[0]).first<{ id: number }>())!
    .id;
  const checksum = unique("sha");
  const row = await env.DB.prepare(
    "INSERT INTO artifact_bundles (organization_id, checksum, file_count, size, date_added, last_used_at) VALUES (?, ?, ?, 10, ?, ?) RETURNING id",
  )
    .bind(org, checksum, files, dates.added, dates.lastUsed ?? null)
    .first<{ id: number }>();
  const keys: string[] = [];
  for (let i = 0; i < files; i++) {
    const key = `sourcemaps/${org}/bundles/${checksum}/${i}`;
    await env.RAW.put(key, "{}");
    keys.push(key);
    await env.DB.prepare(
      "INSERT INTO artifact_bundle_files (artifact_bundle_id, file_type, url, object_key, size) VALUES (?, 'source_map', ?, ?, 2)",
    )
      .bind(row!.id, `~/app${i}.js.map`, key)
      .run();
  }
  for (const projectId of projectIds)
    await env.DB.prepare("INSERT INTO artifact_bundle_projects (project_id, artifact_bundle_id) VALUES (?, ?)")
      .bind(projectId, row!.id)
      .run();
  return { id: row!.id, keys };
}

const rows = async (sql: string, ...params: unknown[]) =>
  (
    await env.DB.prepare(sql)
      .bind(...params)
      .all<Record<string, number>>()
  ).results;
const countOf = async (sql: string, ...params: unknown[]) => Number((await rows(sql, ...params))[0]?.n ?? 0);
const exists = async (key: string) => (await env.RAW.head(key)) !== null;

/** An issue last seen 45 days ago whose events an earlier run deleted: expired in a 30-day project. */
async function eventlessIssue(projectId: number): Promise<number> {
  const issue = await issueWithEvents(projectId, [NOW - 50 * DAY, NOW - 45 * DAY]);
  await env.DB.prepare("DELETE FROM events WHERE issue_id = ?").bind(issue).run();
  return issue;
}

/** The digest's insert of a new event of user u0 for the issue, at NOW. */
function lateEvent(projectId: number, issueId: number): D1PreparedStatement {
  return env.DB.prepare(
    "INSERT INTO events (project_id, event_id, issue_id, timestamp, received_at, level, title, user_key, tags, data, ingest_batch) VALUES (?, ?, ?, ?, ?, 'error', 'TypeError: x', 'id:u0', '[]', x'00', 'late')",
  ).bind(projectId, unique("ev"), issueId, NOW, NOW);
}

/**
 * The test database, with `commit` run once right after the first statement whose SQL `matches`
 * has run (`all` or `run`): a digest committing in the middle of a retention run. Statements are
 * wrapped, never changed, as D1 may hand the same statement object out again.
 */
function committingAfter(matches: (sql: string) => boolean, method: "all" | "run", commit: () => Promise<unknown>) {
  let committed = false;
  const db = new Proxy(env.DB, {
    get(target, prop) {
      if (prop !== "prepare") return Reflect.get(target, prop).bind(target);
      return (sql: string) => {
        const statement = target.prepare(sql);
        if (!matches(sql)) return statement;
        return new Proxy(statement, {
          get(st, key) {
            if (key !== "bind") return Reflect.get(st, key).bind(st);
            return (...values: unknown[]) =>
              new Proxy(st.bind(...values), {
                get(bound, k) {
                  if (k !== method) return Reflect.get(bound, k).bind(bound);
                  return async () => {
                    const result = await (bound[method] as () => Promise<unknown>)();
                    if (!committed) {
                      committed = true;
                      await commit();
                    }
                    return result;
                  };
                },
              });
          },
        });
      };
    },
  });
  return { db: db as D1Database, committed: () => committed };
}

describe("enforceRetention", () => {
  it("deletes what is past each project's retention, with its R2 objects, and keeps the rest", async () => {
    const short = await project(30);
    const long = await project(90);
    const forever = await project(0);

    // In `short`: one issue seen 40 days ago and yesterday, one last seen 45 days ago.
    const live = await issueWithEvents(short, [NOW - 40 * DAY, NOW - DAY]);
    const expired = await issueWithEvents(short, [NOW - 50 * DAY, NOW - 45 * DAY]);
    const keptByLong = await issueWithEvents(long, [NOW - 40 * DAY]);
    const keptForever = await issueWithEvents(forever, [NOW - 400 * DAY]);

    const oldItem = await storedItem(short, NOW - 31 * DAY);
    const newItem = await storedItem(short, NOW - 29 * DAY);
    const oldRejected = await rejected(short, NOW - 31 * DAY);
    const newRejected = await rejected(short, NOW - DAY);
    const oldRaw = await rawBody(short, NOW - 32 * DAY);
    const newRaw = await rawBody(short, NOW - 28 * DAY);
    const longRaw = await rawBody(long, NOW - 40 * DAY);
    await deadLetter(short, NOW - 31 * DAY);
    await deadLetter(short, NOW - DAY);
    await deadLetter(null, NOW - 91 * DAY);
    await deadLetter(null, NOW - 89 * DAY);
    const user = await env.DB.prepare("INSERT INTO users (email, password_hash, created_at) VALUES (?, 'x', 0) RETURNING id")
      .bind(`${unique("u")}@example.com`)
      .first<{ id: number }>();
    await env.DB.prepare("INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES (?, ?, 0, ?), (?, ?, 0, ?)")
      .bind(unique("s-expired"), user!.id, NOW - 1, unique("s-valid"), user!.id, NOW + DAY)
      .run();

    await env.DB.prepare(
      "INSERT INTO login_throttles (key, failures, last_failure_at, blocked_until) VALUES ('ip:192.0.2.1', 30, ?, ?), ('ip:192.0.2.2', 30, ?, ?)",
    )
      .bind(NOW - 2 * DAY, NOW - 2 * DAY, NOW - HOUR, NOW + HOUR)
      .run();

    // What goes, in one run: the budget has a test of its own (below), and a first chunk of
    // every kind for this file's projects takes more than the default budget.
    const report = await enforceRetention(env.DB, env.RAW, NOW, { ...DEFAULT_RETENTION_LIMITS, operationsPerRun: 100 });
    expect(report.finished).toBe(true);

    // Events: only the ones past their own project's retention.
    expect(
      await rows("SELECT issue_id, timestamp FROM events WHERE project_id IN (?, ?, ?) ORDER BY timestamp", short, long, forever),
    ).toEqual([
      { issue_id: keptForever, timestamp: NOW - 400 * DAY },
      { issue_id: keptByLong, timestamp: NOW - 40 * DAY },
      { issue_id: live, timestamp: NOW - DAY },
    ]);
    // The live issue keeps its lifetime counters; its old hourly bucket goes.
    expect(await rows("SELECT times_seen, user_count, first_seen FROM issues WHERE id = ?", live)).toEqual([
      { times_seen: 2, user_count: 2, first_seen: NOW - 40 * DAY },
    ]);
    expect(await rows("SELECT hour FROM issue_hourly WHERE issue_id = ?", live)).toEqual([{ hour: NOW - DAY - ((NOW - DAY) % HOUR) }]);
    expect(await countOf("SELECT count(*) AS n FROM issue_users WHERE issue_id = ?", live)).toBe(2);
    expect(await countOf("SELECT count(*) AS n FROM issue_tags WHERE issue_id = ?", live)).toBe(1);
    // The expired issue goes with everything it had.
    for (const table of ["issues WHERE id", "issue_hourly WHERE issue_id", "issue_users WHERE issue_id", "issue_tags WHERE issue_id"]) {
      expect(await countOf(`SELECT count(*) AS n FROM ${table} = ?`, expired), table).toBe(0);
    }
    expect(await countOf("SELECT count(*) AS n FROM issue_hourly WHERE issue_id IN (?, ?)", keptByLong, keptForever)).toBe(2);
    // Project buckets and daily counts.
    expect(await rows("SELECT hour FROM project_hourly WHERE project_id = ?", short)).toEqual([{ hour: NOW - DAY - ((NOW - DAY) % HOUR) }]);
    expect(await rows("SELECT day FROM item_counts WHERE project_id = ?", short)).toEqual([{ day: NOW - DAY - ((NOW - DAY) % DAY) }]);
    expect(await countOf("SELECT count(*) AS n FROM project_hourly WHERE project_id IN (?, ?)", long, forever)).toBe(2);
    // Stored items, rejections and raw bodies, rows and R2 objects alike.
    expect(await rows("SELECT body_key AS k FROM stored_items WHERE project_id = ?", short)).toEqual([{ k: newItem }]);
    expect(await rows("SELECT body_key AS k FROM rejected_envelopes WHERE project_id = ?", short)).toEqual([{ k: newRejected }]);
    expect([await exists(oldItem), await exists(oldRejected), await exists(oldRaw)]).toEqual([false, false, false]);
    expect([await exists(newItem), await exists(newRejected), await exists(newRaw), await exists(longRaw)]).toEqual([
      true,
      true,
      true,
      true,
    ]);
    // Dead letters: by project, and by the default retention when they name none.
    expect(await rows("SELECT received_at FROM dead_letters WHERE project_id = ?", short)).toEqual([{ received_at: NOW - DAY }]);
    expect(await rows("SELECT received_at FROM dead_letters WHERE project_id IS NULL")).toEqual([{ received_at: NOW - 89 * DAY }]);
    expect(await rows("SELECT expires_at FROM sessions WHERE user_id = ?", user!.id)).toEqual([{ expires_at: NOW + DAY }]);
    expect(await rows("SELECT key FROM login_throttles")).toEqual([{ key: "ip:192.0.2.2" }]);

    expect(report.deleted).toMatchObject({
      events: 3,
      issues: 1,
      stored_items: 1,
      rejected_envelopes: 1,
      dead_letters: 2,
      sessions: 1,
      login_throttles: 1,
      r2: 3,
    });

    // A second run finds nothing left to do.
    const again = await enforceRetention(env.DB, env.RAW, NOW);
    expect(again).toMatchObject({ finished: true, deleted: {} });
  });

  it("keeps an event that arrived late for the whole retention, counted from its arrival", async () => {
    const p = await project(7);
    // A phone offline for ten days sends its crash yesterday; another event is old both ways.
    const late = await issueWithEvents(p, [NOW - 10 * DAY]);
    await env.DB.prepare("UPDATE events SET received_at = ? WHERE issue_id = ?")
      .bind(NOW - DAY, late)
      .run();
    const old = await issueWithEvents(p, [NOW - 10 * DAY]);
    await enforceRetention(env.DB, env.RAW, NOW);
    expect(await rows("SELECT issue_id FROM events WHERE project_id = ?", p)).toEqual([{ issue_id: late }]);
    expect(await rows("SELECT id FROM issues WHERE project_id = ?", p)).toEqual([{ id: late }]);
    expect(await countOf("SELECT count(*) AS n FROM issues WHERE id = ?", old)).toBe(0);
    // Eight days after it arrived, it goes too.
    await enforceRetention(env.DB, env.RAW, NOW + 7 * DAY);
    expect(await countOf("SELECT count(*) AS n FROM events WHERE project_id = ?", p)).toBe(0);
  });

  it("keeps an expired issue's users and tags when an event reaches it while it is being deleted", async () => {
    const p = await project(30);
    // An issue whose events are gone (an earlier run), found expired, gets an event (the digest
    // commits) just after the expired issues were listed.
    const issue = await eventlessIssue(p);
    const digestCommits = () =>
      env.DB.batch([
        lateEvent(p, issue),
        env.DB.prepare("UPDATE issues SET last_seen = ?, times_seen = times_seen + 1 WHERE id = ?").bind(NOW, issue),
      ]);
    const racing = committingAfter(
      (sql) => sql.includes("NOT EXISTS (SELECT 1 FROM events e WHERE e.issue_id = i.id)"),
      "all",
      digestCommits,
    );
    await enforceRetention(racing.db, env.RAW, NOW + HOUR, { rowsPerStatement: 100, operationsPerRun: 1000, defaultRetentionDays: 90 });
    expect(racing.committed()).toBe(true);
    expect(await rows("SELECT times_seen, user_count FROM issues WHERE id = ?", issue)).toEqual([{ times_seen: 3, user_count: 2 }]);
    expect(await rows("SELECT user_key FROM issue_users WHERE issue_id = ? ORDER BY 1", issue)).toEqual([
      { user_key: "id:u0" },
      { user_key: "id:u1" },
    ]);
    expect(await countOf("SELECT count(*) AS n FROM issue_tags WHERE issue_id = ?", issue)).toBe(1);
  });

  it("recounts the users of an issue that an event kept after some of its users were deleted, so none counts twice", async () => {
    const p = await project(30);
    const issue = await eventlessIssue(p);
    // The digest commits an event of user u0 right after the first chunk of users went (one row a
    // chunk): its user row is new again, and it adds one to user_count, as the digest does.
    const digestCommits = () =>
      env.DB.batch([
        lateEvent(p, issue),
        env.DB.prepare(
          "INSERT INTO issue_users (issue_id, user_key, first_seen, ingest_batch) VALUES (?, 'id:u0', ?, 'late') ON CONFLICT DO NOTHING",
        ).bind(issue, NOW),
        env.DB.prepare(
          "UPDATE issues SET last_seen = ?, times_seen = times_seen + 1, user_count = user_count + (SELECT count(*) FROM issue_users WHERE issue_id = ? AND ingest_batch = 'late') WHERE id = ?",
        ).bind(NOW, issue, issue),
      ]);
    const racing = committingAfter((sql) => sql.startsWith("DELETE FROM issue_users WHERE (issue_id, user_key) IN"), "run", digestCommits);
    await enforceRetention(racing.db, env.RAW, NOW, { rowsPerStatement: 1, operationsPerRun: 1000, defaultRetentionDays: 90 });
    expect(racing.committed()).toBe(true);
    const users = await rows("SELECT user_key FROM issue_users WHERE issue_id = ? ORDER BY 1", issue);
    expect(users).toEqual([{ user_key: "id:u0" }, { user_key: "id:u1" }]);
    expect(await rows("SELECT user_count FROM issues WHERE id = ?", issue)).toEqual([{ user_count: 2 }]);
  });

  it("stays within its budget of calls and rows, and later runs finish the work", async () => {
    // Every run keeps to its budget; the project's expired rows are gone after a few.
    const p = await project(7);
    for (let i = 0; i < 5; i++) await issueWithEvents(p, [NOW - 30 * DAY - i * HOUR, NOW - 20 * DAY - i * HOUR, NOW - 10 * DAY - i * HOUR]);
    const limits = { rowsPerStatement: 4, operationsPerRun: 20, defaultRetentionDays: 90 };
    const reports: RetentionReport[] = [];
    // Hourly runs, as the cron trigger makes them.
    for (let run = 0; run < 40; run++) {
      const report = await enforceRetention(env.DB, env.RAW, NOW + run * HOUR, limits);
      expect(report.operations).toBeLessThanOrEqual(20);
      for (const n of Object.values(report.deleted)) expect(n).toBeLessThanOrEqual(20 * 4);
      reports.push(report);
      // Done with this project's rows: a run does not say "finished" while the raw bodies' turn
      // through every project (other tests' too) is not over, which it takes hours to go round.
      const left = await countOf(
        "SELECT (SELECT count(*) FROM events WHERE project_id = ?1) + (SELECT count(*) FROM issues WHERE project_id = ?1) + (SELECT count(*) FROM project_hourly WHERE project_id = ?1) AS n",
        p,
      );
      if (left === 0) break;
    }
    expect(reports.length).toBeGreaterThan(1);
    expect(await countOf("SELECT count(*) AS n FROM events WHERE project_id = ?", p)).toBe(0);
    expect(await countOf("SELECT count(*) AS n FROM issues WHERE project_id = ?", p)).toBe(0);
    expect(await countOf("SELECT count(*) AS n FROM project_hourly WHERE project_id = ?", p)).toBe(0);
    const total = (what: string) => reports.reduce((sum, r) => sum + (r.deleted[what] ?? 0), 0);
    expect([total("events"), total("issues"), total("issue_users"), total("issue_hourly")]).toEqual([15, 5, 15, 15]);
  });

  it("lists raw bodies oldest first and stops at the first one inside the window", async () => {
    const p = await project(20);
    const keys = [];
    for (let d = 30; d >= 1; d--) keys.push(await rawBody(p, NOW - d * DAY));
    const report = await enforceRetention(env.DB, env.RAW, NOW, { rowsPerStatement: 4, operationsPerRun: 1000, defaultRetentionDays: 90 });
    expect(report.finished).toBe(true);
    const left = (await env.RAW.list({ prefix: `raw/${p}/` })).objects.map((o) => o.key);
    // Day folders strictly before the cutoff's day go; the cutoff's own day stays whole.
    expect(left).toEqual(keys.slice(10).sort());
  });

  it("keeps raw bodies as long as a queue may still hold their message, whatever the retention", async () => {
    const p = await project(1);
    const recent = await rawBody(p, NOW - 10 * DAY);
    const old = await rawBody(p, NOW - 20 * DAY);
    await enforceRetention(env.DB, env.RAW, NOW);
    expect([await exists(recent), await exists(old)]).toEqual([true, false]);
  });

  it("deletes the alert log past the retention, but never younger than 15 days, attempts first", async () => {
    const alertLog = async (projectId: number, at: number, attempts: number) => {
      const rule = await env.DB.prepare(
        "INSERT INTO alert_rules (project_id, name, triggers, created_at, updated_at) VALUES (?, 'r', '[]', ?, ?) RETURNING id",
      )
        .bind(projectId, at, at)
        .first<{ id: number }>();
      const issueId = await issueWithEvents(projectId, [NOW - HOUR]);
      const firing = await env.DB.prepare(
        "INSERT INTO alert_firings (rule_id, issue_id, project_id, window_key, evaluation_id, fired_at, context) VALUES (?, ?, ?, 'new_issue', ?, ?, '{}') RETURNING id",
      )
        .bind(rule!.id, issueId, projectId, unique("eval"), at)
        .first<{ id: number }>();
      await env.DB.prepare("INSERT INTO alert_throttle (rule_id, issue_id, last_fired_at, evaluation_id) VALUES (?, ?, ?, 'e')")
        .bind(rule!.id, issueId, at)
        .run();
      const delivery = await env.DB.prepare(
        "INSERT INTO alert_deliveries (firing_id, project_id, rule_id, issue_id, target_id, target_type, status, attempts, created_at, updated_at) VALUES (?, ?, ?, ?, 1, 'webhook', 'sent', ?, ?, ?) RETURNING id",
      )
        .bind(firing!.id, projectId, rule!.id, issueId, attempts, at, at)
        .first<{ id: number }>();
      await env.DB.batch(
        Array.from({ length: attempts }, (_, i) =>
          env.DB.prepare(
            "INSERT INTO alert_delivery_attempts (delivery_id, attempt, started_at, latency_ms, outcome) VALUES (?, ?, ?, 5, 'retry')",
          ).bind(delivery!.id, i + 1, at),
        ),
      );
      return { rule: rule!.id, firing: firing!.id, delivery: delivery!.id };
    };
    const month = await project(30);
    const old = await alertLog(month, NOW - 40 * DAY, 7);
    const recent = await alertLog(month, NOW - 20 * DAY, 3);
    // One day of retention still keeps ten-day-old firings: a queue may redeliver for 14 days.
    const short = await project(1);
    const tenDays = await alertLog(short, NOW - 10 * DAY, 2);
    const twentyDays = await alertLog(short, NOW - 20 * DAY, 2);
    const forever = await project(0);
    const ancient = await alertLog(forever, NOW - 400 * DAY, 2);

    const report = await enforceRetention(env.DB, env.RAW, NOW, { rowsPerStatement: 3, operationsPerRun: 1000, defaultRetentionDays: 90 });
    expect(report.finished).toBe(true);
    const left = async (log: { firing: number; delivery: number; rule: number }) => ({
      firing: await countOf("SELECT count(*) AS n FROM alert_firings WHERE id = ?", log.firing),
      delivery: await countOf("SELECT count(*) AS n FROM alert_deliveries WHERE id = ?", log.delivery),
      attempts: await countOf("SELECT count(*) AS n FROM alert_delivery_attempts WHERE delivery_id = ?", log.delivery),
      throttle: await countOf("SELECT count(*) AS n FROM alert_throttle WHERE rule_id = ?", log.rule),
    });
    const none = { firing: 0, delivery: 0, attempts: 0, throttle: 0 };
    expect(await left(old)).toEqual(none);
    expect(await left(twentyDays)).toEqual(none);
    expect(await left(recent)).toEqual({ firing: 1, delivery: 1, attempts: 3, throttle: 1 });
    expect(await left(tenDays)).toEqual({ firing: 1, delivery: 1, attempts: 2, throttle: 1 });
    expect(await left(ancient)).toEqual({ firing: 1, delivery: 1, attempts: 2, throttle: 1 });
    expect(report.deleted).toMatchObject({ alert_delivery_attempts: 9, alert_deliveries: 2, alert_firings: 2, alert_throttle: 2 });
  });

  it("deletes an expired issue's activity, comments and merged fingerprints with it, and keeps a live issue's", async () => {
    const p = await project(30);
    const live = await issueWithEvents(p, [NOW - DAY]);
    const expired = await issueWithEvents(p, [NOW - 45 * DAY]);
    for (const issue of [live, expired])
      await env.DB.prepare(
        `INSERT INTO issue_activity (issue_id, project_id, type, data, created_at) VALUES (?1, ?2, 'note', '{"text":"seen it"}', ?3), (?1, ?2, 'set_resolved', '{}', ?3)`,
      )
        .bind(issue, p, NOW - 40 * DAY)
        .run();
    // Each took a merged issue's fingerprint.
    for (const issue of [live, expired])
      await env.DB.prepare("INSERT INTO issue_merges (project_id, fingerprint, issue_id, merged_at) VALUES (?, ?, ?, ?)")
        .bind(p, unique("merged"), issue, NOW - 40 * DAY)
        .run();
    const report = await enforceRetention(env.DB, env.RAW, NOW);
    expect(report.deleted).toMatchObject({ issues: 1, issue_activity: 2, issue_merges: 1 });
    for (const [issue, left] of [
      [expired, 0],
      [live, 2],
    ] as const) {
      expect(await countOf("SELECT count(*) AS n FROM issue_activity WHERE issue_id = ?", issue)).toBe(left);
      expect(await countOf("SELECT count(*) AS n FROM issue_merges WHERE issue_id = ?", issue)).toBe(left / 2);
    }
  });

  it("deletes cron monitors' check-ins past the retention, but not a run still in progress", async () => {
    const p = await project(7);
    const monitor = await env.DB.prepare(
      "INSERT INTO monitors (project_id, slug, name, config, date_created) VALUES (?, 'nightly', 'nightly', '{}', ?) RETURNING id",
    )
      .bind(p, NOW - 30 * DAY)
      .first<{ id: number }>();
    const environment = await env.DB.prepare("INSERT INTO monitor_environments (monitor_id, name) VALUES (?, 'production') RETURNING id")
      .bind(monitor!.id)
      .first<{ id: number }>();
    for (const [guid, status, at] of [
      ["old-ok", "ok", NOW - 8 * DAY],
      ["old-running", "in_progress", NOW - 8 * DAY],
      ["new-error", "error", NOW - 6 * DAY],
    ] as const) {
      await env.DB.prepare(
        `INSERT INTO monitor_checkins (project_id, monitor_id, monitor_environment_id, guid, status, date_created, date_updated, changed_by_run)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'run')`,
      )
        .bind(p, monitor!.id, environment!.id, guid, status, at, at)
        .run();
    }
    await enforceRetention(env.DB, env.RAW, NOW);
    const left = await rows("SELECT guid FROM monitor_checkins WHERE project_id = ? ORDER BY guid", p);
    expect(left.map((r) => r.guid)).toEqual(["new-error", "old-running"]);
  });

  it("deletes uptime monitors' checks past the retention", async () => {
    const p = await project(7);
    const monitor = await env.DB.prepare(
      `INSERT INTO uptime_monitors (project_id, name, url, timeout_ms, interval_seconds, failure_threshold, recovery_threshold, next_due_at, date_created)
       VALUES (?, 'Shop', 'https://shop.example.com/', 5000, 60, 3, 1, ?, ?) RETURNING id`,
    )
      .bind(p, NOW, NOW - 30 * DAY)
      .first<{ id: number }>();
    for (const at of [NOW - 8 * DAY, NOW - 7 * DAY - 1, NOW - 6 * DAY]) {
      await env.DB.prepare(
        `INSERT INTO uptime_checks (monitor_id, scheduled_at, date_created, status, duration_ms, changed_by_run) VALUES (?, ?, ?, 'ok', 20, 'run')`,
      )
        .bind(monitor!.id, at, at)
        .run();
    }
    const report = await enforceRetention(env.DB, env.RAW, NOW);
    const left = await rows("SELECT scheduled_at FROM uptime_checks WHERE monitor_id = ?", monitor!.id);
    expect(left.map((r) => r.scheduled_at)).toEqual([NOW - 6 * DAY]);
    expect(report.deleted.uptime_checks).toBe(2);
  });

  it("deletes session rollups and users past the retention, states and aggregate markers once no update can come", async () => {
    const p = await project(30);
    const hour = (t: number) => t - (t % HOUR);
    for (const at of [NOW - 31 * DAY, NOW - 21 * DAY, NOW - 2 * DAY]) {
      await env.DB.prepare(
        "INSERT INTO session_rollups (project_id, release, environment, hour, sessions, errored, abnormal, crashed, users, crashed_users) VALUES (?, 'a@1', '', ?, 1, 0, 0, 0, 1, 0)",
      )
        .bind(p, hour(at))
        .run();
      await env.DB.prepare(
        "INSERT INTO session_users (project_id, release, environment, hour, user, crashed) VALUES (?, 'a@1', '', ?, 'u', 0)",
      )
        .bind(p, hour(at))
        .run();
      await env.DB.prepare(
        "INSERT INTO session_states (project_id, sid, hour, release, environment, user, seq, status) VALUES (?, ?, ?, 'a@1', '', 'u', 1, 0)",
      )
        .bind(p, unique("sid"), hour(at))
        .run();
      await env.DB.prepare(
        "INSERT INTO session_aggregate_items (project_id, message_id, item_index, received_at, ingest_batch) VALUES (?, ?, 0, ?, 'run')",
      )
        .bind(p, unique("message"), at)
        .run();
    }
    const report = await enforceRetention(env.DB, env.RAW, NOW);
    expect(report.deleted).toMatchObject({ session_rollups: 1, session_users: 1, session_states: 2, session_aggregate_items: 2 });
    expect(await rows("SELECT hour FROM session_rollups WHERE project_id = ? ORDER BY hour", p)).toEqual([
      { hour: hour(NOW - 21 * DAY) },
      { hour: hour(NOW - 2 * DAY) },
    ]);
    expect(await rows("SELECT hour FROM session_states WHERE project_id = ?", p)).toEqual([{ hour: hour(NOW - 2 * DAY) }]);
  });

  it("deletes ingest's refusal counts whose hour ended before the retention", async () => {
    const p = await project(7);
    const hour = (t: number) => t - (t % HOUR);
    for (const [at, reason] of [
      [NOW - 8 * DAY, "bad_compression"],
      [NOW - 7 * DAY - HOUR, "malformed_event"],
      [NOW - 6 * DAY, "bad_compression"],
      [NOW - HOUR, "body_too_large"],
    ] as const) {
      await env.DB.prepare(
        "INSERT INTO ingest_refusals (project_id, hour, reason, count, status, detail, last_seen) VALUES (?, ?, ?, 3, 400, 'x', ?)",
      )
        .bind(p, hour(at), reason, at)
        .run();
    }
    const report = await enforceRetention(env.DB, env.RAW, NOW);
    expect(report.deleted.ingest_refusals).toBe(2);
    expect(await rows("SELECT hour, reason FROM ingest_refusals WHERE project_id = ? ORDER BY hour", p)).toEqual([
      { hour: hour(NOW - 6 * DAY), reason: "bad_compression" },
      { hour: hour(NOW - HOUR), reason: "body_too_large" },
    ]);
  });

  it("deletes user feedback past the retention", async () => {
    const p = await project(7);
    for (const [id, at] of [
      ["a", NOW - 8 * DAY],
      ["b", NOW - 6 * DAY],
    ] as const) {
      await env.DB.prepare(
        "INSERT INTO user_feedback (project_id, feedback_id, message, source, date_created, ingest_batch) VALUES (?, ?, 'hi', 'api', ?, 'api')",
      )
        .bind(p, id.repeat(32), at)
        .run();
    }
    const report = await enforceRetention(env.DB, env.RAW, NOW);
    expect(report.deleted.user_feedback).toBe(1);
    expect(await rows("SELECT feedback_id FROM user_feedback WHERE project_id = ?", p)).toEqual([{ feedback_id: "b".repeat(32) }]);
  });

  it("deletes transactions' index rows, errors, rollups and span trees past the retention", async () => {
    const p = await project(7);
    const dayOf = (t: number) => t - (t % DAY);
    const hourOf = (t: number) => t - (t % HOUR);
    for (const [at, trace] of [
      [NOW - 9 * DAY, "a".repeat(32)],
      [NOW - 8 * DAY, "b".repeat(32)],
      [NOW - 6 * DAY, "c".repeat(32)],
    ] as const) {
      await env.DB.batch([
        env.DB.prepare(
          `INSERT INTO trace_items (project_id, day, trace_id, span_id, kind, name, op, status, started_at, duration_ms, span_count, body_key, body_offset, body_length, ingest_batch)
           VALUES (?, ?, ?, '1111111111111111', 'segment', 'GET /a', 'http.server', 'ok', ?, 5, 0, 'k', 0, 1, 'seed')`,
        ).bind(p, dayOf(at), trace, at),
        env.DB.prepare(
          "INSERT INTO trace_errors (project_id, day, trace_id, event_id, issue_id, timestamp) VALUES (?, ?, ?, ?, 1, ?)",
        ).bind(p, dayOf(at), trace, unique("ev"), at),
        env.DB.prepare(
          `INSERT INTO transaction_rollups (project_id, hour, name, op, environment, release, count, failures, satisfied, tolerated, duration_sum, sketch,
             slowest_ms, slowest_trace_id, slowest_span_id, latest_at, latest_trace_id, latest_span_id)
           VALUES (?, ?, 'GET /a', 'http.server', '', '', 1, 0, 1, 0, 5, '{}', 5, ?, '1111111111111111', ?, ?, '1111111111111111')`,
        ).bind(p, hourOf(at), trace, at, trace),
        env.DB.prepare(
          "INSERT INTO transaction_vital_rollups (project_id, hour, name, op, environment, release, vital, count, value_sum, sketch) VALUES (?, ?, 'GET /a', 'pageload', '', '', 'lcp', 1, 900, '{}')",
        ).bind(p, hourOf(at)),
      ]);
    }
    // Span trees: the object of a day goes once every transaction it can hold is past the retention.
    for (const at of [NOW - 9 * DAY, NOW - 8 * DAY, NOW - 7 * DAY]) await env.RAW.put(`spans/${p}/${day(at)}/batch`, "trees");
    const report = await enforceRetention(env.DB, env.RAW, NOW, {
      rowsPerStatement: 100,
      operationsPerRun: 1000,
      defaultRetentionDays: 90,
    });
    expect(report.deleted).toMatchObject({ trace_items: 2, trace_errors: 2, transaction_rollups: 2, transaction_vital_rollups: 2 });
    expect(await rows("SELECT trace_id FROM trace_items WHERE project_id = ?", p)).toEqual([{ trace_id: "c".repeat(32) }]);
    expect(await rows("SELECT trace_id FROM trace_errors WHERE project_id = ?", p)).toEqual([{ trace_id: "c".repeat(32) }]);
    expect(await rows("SELECT slowest_trace_id FROM transaction_rollups WHERE project_id = ?", p)).toEqual([
      { slowest_trace_id: "c".repeat(32) },
    ]);
    expect(await rows("SELECT hour FROM transaction_vital_rollups WHERE project_id = ?", p)).toEqual([{ hour: hourOf(NOW - 6 * DAY) }]);
    const left = (await env.RAW.list({ prefix: `spans/${p}/` })).objects.map((o) => o.key);
    expect(left).toEqual([`spans/${p}/${day(NOW - 8 * DAY)}/batch`, `spans/${p}/${day(NOW - 7 * DAY)}/batch`]);
  });

  it("keeps the hourly transaction rollups the recent totals still hold, until the minute job takes them out", async () => {
    const p = await project(1);
    const hourOf = (t: number) => t - (t % HOUR);
    for (const at of [NOW - 40 * HOUR, NOW - 28 * HOUR])
      await env.DB.prepare(
        `INSERT INTO transaction_rollups (project_id, hour, name, op, environment, release, count, failures, satisfied, tolerated, duration_sum, sketch,
           slowest_ms, slowest_trace_id, slowest_span_id, latest_at, latest_trace_id, latest_span_id)
         VALUES (?, ?, 'GET /a', 'http.server', '', '', 1, 0, 1, 0, 5, '{}', 5, 't', 's', ?, 't', 's')`,
      )
        .bind(p, hourOf(at), at)
        .run();
    const since = (hour: number) =>
      env.DB.prepare("INSERT INTO transaction_recent_since (id, hour) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET hour = excluded.hour")
        .bind(hour)
        .run();
    try {
      // The job lags: the recent totals still start 30 hours back, and hold the hour 28 hours back.
      await since(hourOf(NOW - 30 * HOUR));
      await enforceRetention(env.DB, env.RAW, NOW);
      expect(await rows("SELECT hour FROM transaction_rollups WHERE project_id = ?", p)).toEqual([{ hour: hourOf(NOW - 28 * HOUR) }]);
      await since(hourOf(NOW) - 24 * HOUR);
      await enforceRetention(env.DB, env.RAW, NOW);
      expect(await rows("SELECT hour FROM transaction_rollups WHERE project_id = ?", p)).toEqual([]);
    } finally {
      await env.DB.prepare("DELETE FROM transaction_recent_since").run();
    }
  });

  it("takes source map bundles off a project unused within its retention, and deletes those no project keeps with their files", async () => {
    const p = await project(30);
    const forever = await project(0);
    await env.DB.prepare("UPDATE projects SET organization_id = (SELECT organization_id FROM projects WHERE id = ?) WHERE id = ?")
      .bind(p, forever)
      .run();
    const unused = await bundle([p], { added: NOW - 40 * DAY });
    const usedLately = await bundle([p], { added: NOW - 40 * DAY, lastUsed: NOW - 5 * DAY });
    const recent = await bundle([p], { added: NOW - 10 * DAY });
    const shared = await bundle([p, forever], { added: NOW - 40 * DAY });
    const many = await bundle([p], { added: NOW - 40 * DAY }, 5);

    const report = await enforceRetention(env.DB, env.RAW, NOW, { rowsPerStatement: 2, operationsPerRun: 1000, defaultRetentionDays: 90 });
    expect(report.finished).toBe(true);
    const kept = await rows(
      "SELECT id FROM artifact_bundles WHERE id IN (?, ?, ?, ?, ?) ORDER BY id",
      unused.id,
      usedLately.id,
      recent.id,
      shared.id,
      many.id,
    );
    expect(kept.map((r) => r.id)).toEqual([usedLately.id, recent.id, shared.id]);
    expect(await rows("SELECT project_id FROM artifact_bundle_projects WHERE artifact_bundle_id = ?", shared.id)).toEqual([
      { project_id: forever },
    ]);
    expect(await countOf("SELECT count(*) AS n FROM artifact_bundle_files WHERE artifact_bundle_id IN (?, ?)", unused.id, many.id)).toBe(0);
    for (const key of [...unused.keys, ...many.keys]) expect(await exists(key)).toBe(false);
    for (const key of [...usedLately.keys, ...recent.keys, ...shared.keys]) expect(await exists(key)).toBe(true);
    expect(report.deleted).toMatchObject({ artifact_bundles: 2, artifact_bundle_files: 7 });
  });

  it("deletes source map chunks no assembly took within a day", async () => {
    const fresh = `sourcemap-chunks/1/${unique("chunk")}`;
    await env.RAW.put(fresh, "chunk");
    await enforceRetention(env.DB, env.RAW, Date.now() + 23 * HOUR);
    expect(await exists(fresh)).toBe(true);
    await enforceRetention(env.DB, env.RAW, Date.now() + 25 * HOUR, {
      rowsPerStatement: 1,
      operationsPerRun: 1000,
      defaultRetentionDays: 90,
    });
    expect(await exists(fresh)).toBe(false);
  });

  it("reads every table that grows with events through an index", async () => {
    // The tables, and the aliases the statements give them.
    const big = new Set([
      "events",
      "stored_items",
      "rejected_envelopes",
      "dead_letters",
      "issue_hourly",
      "monitor_checkins",
      "uptime_checks",
      "project_hourly",
      "item_counts",
      "ingest_refusals",
      "user_feedback",
      "issues",
      "issue_users",
      "issue_tags",
      "issue_activity",
      "trace_items",
      "trace_errors",
      "transaction_rollups",
      "transaction_vital_rollups",
      "artifact_bundle_projects",
      "artifact_bundle_files",
    ]);
    for (const table of ["alert_deliveries", "alert_delivery_attempts", "alert_firings", "alert_throttle"]) big.add(table);
    for (const alias of ["e", "s", "r", "d", "h", "n", "x", "i", "f", "th", "tx", "l"]) big.add(alias);
    for (const [name, sql] of Object.entries(RETENTION_QUERIES)) {
      const plan = await bindNumbered(env.DB, `EXPLAIN QUERY PLAN ${sql}`, [NOW, 1000, 90]).all<{ detail: string }>();
      const details = plan.results.map((r) => r.detail);
      const scans = details.filter((d) => big.has(/^SCAN (\w+)/.exec(d)?.[1] ?? ""));
      expect(scans, `${name}: ${details.join(" | ")}`).toEqual([]);
    }
  });

  it("runs from the Worker's cron trigger", async () => {
    const p = await project(1);
    await issueWithEvents(p, [Date.now() - 3 * DAY]);
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "17 * * * *" }), env);
    expect(await countOf("SELECT count(*) AS n FROM issues WHERE project_id = ?", p)).toBe(0);
  });
});
