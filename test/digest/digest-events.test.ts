import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { digestEvents } from "../../queue-consumer/digest/digest-events";
import { mergeStatements } from "../../dashboard/api/issues/merge-issues";
import type { IngestMessage } from "../../protocol/ingest-message";
import { minidumpEnvelope } from "../../worker/minidump-envelope";
import { readMinidumpUpload } from "../../worker/read-minidump-upload";
import { LINUX, buildMinidump, crashpadUpload } from "../support/crashpad-upload";
import { sdkEnvelopes } from "../support/fixtures";
import { seedProject } from "../support/seed";
import { nodeSessionAt } from "../support/session-envelopes";

const enc = new TextEncoder();
type QueuedMessage<Body> = Parameters<typeof createMessageBatch<Body>>[1][number];
let messageCounter = 0;

function message(projectId: number, body: string | Uint8Array, extra: Partial<IngestMessage> = {}): QueuedMessage<IngestMessage> {
  messageCounter += 1;
  const bytes = typeof body === "string" ? enc.encode(body) : body;
  return {
    id: `msg-${Date.now()}-${messageCounter}`,
    timestamp: new Date(),
    attempts: 1,
    body: {
      v: 1,
      kind: "envelope",
      projectId,
      keyId: 1,
      receivedAt: Date.now(),
      clientIp: "198.51.100.7",
      userAgent: "test",
      eventId: null,
      size: bytes.byteLength,
      body: bytes,
      ...extra,
    },
  };
}

/** An error envelope like @sentry/node's, with the parts a test varies. */
function errorEnvelope(o: {
  eventId: string;
  type?: string;
  value?: string;
  lineno?: number;
  fn?: string;
  release?: string;
  user?: string;
  tags?: Record<string, string>;
}): string {
  const event = {
    event_id: o.eventId,
    platform: "node",
    level: "error",
    release: o.release ?? "app@1.0.0",
    environment: "production",
    user: { id: o.user ?? "u1" },
    tags: o.tags ?? { route: "/checkout" },
    timestamp: Date.now() / 1000,
    exception: {
      values: [
        {
          type: o.type ?? "TypeError",
          value: o.value ?? "Cannot read properties of undefined (reading 'id')",
          stacktrace: {
            frames: [
              {
                filename: "/app/node_modules/express/lib/router.js",
                module: "express.lib:router",
                function: "handle",
                lineno: 10,
                in_app: false,
              },
              {
                filename: "/app/src/checkout.js",
                module: "checkout",
                function: o.fn ?? "placeOrder",
                lineno: o.lineno ?? 42,
                colno: 7,
                in_app: true,
                context_line: "  return order.customer.id;",
              },
            ],
          },
        },
      ],
    },
  };
  return `${JSON.stringify({ event_id: o.eventId })}\n{"type":"event"}\n${JSON.stringify(event)}\n`;
}

const id = (n: number) => n.toString(16).padStart(32, "0");
let idBase = Date.now() * 1000;
const freshId = () => id(++idBase);

async function digest(messages: QueuedMessage<IngestMessage>[]) {
  const batch = createMessageBatch<IngestMessage>("events", messages);
  const ctx = createExecutionContext();
  const outcomes = await digestEvents(batch as MessageBatch<unknown>, env);
  const result = await getQueueResult(batch, ctx);
  return { outcomes, result };
}

async function issuesOf(projectId: number) {
  const { results } = await env.DB.prepare("SELECT * FROM issues WHERE project_id = ? ORDER BY id")
    .bind(projectId)
    .all<Record<string, unknown>>();
  return results;
}

/** Every counter the digest keeps for a project, in one comparable snapshot. */
async function counters(projectId: number) {
  const q = (sql: string) =>
    env.DB.prepare(sql)
      .bind(projectId)
      .all()
      .then((r) => r.results);
  return {
    issues: await q(
      "SELECT id, fingerprint, times_seen, user_count, first_seen, last_seen, last_event_id, status FROM issues WHERE project_id = ? ORDER BY id",
    ),
    events: await q("SELECT count(*) n FROM events WHERE project_id = ?"),
    hourly: await q(
      "SELECT h.issue_id, h.hour, h.count FROM issue_hourly h JOIN issues i ON i.id = h.issue_id WHERE i.project_id = ? ORDER BY 1, 2",
    ),
    projectHourly: await q("SELECT hour, count FROM project_hourly WHERE project_id = ? ORDER BY 1"),
    users: await q(
      "SELECT u.issue_id, u.user_key FROM issue_users u JOIN issues i ON i.id = u.issue_id WHERE i.project_id = ? ORDER BY 1, 2",
    ),
    tags: await q(
      "SELECT t.issue_id, t.key, t.value, t.count FROM issue_tags t JOIN issues i ON i.id = t.issue_id WHERE i.project_id = ? ORDER BY 1, 2, 3",
    ),
    releases: await q("SELECT version, first_seen, last_seen FROM releases WHERE project_id = ? ORDER BY 1"),
    organizationReleases: await q(
      "SELECT version, date_created FROM organization_releases WHERE organization_id = (SELECT organization_id FROM projects WHERE id = ?) ORDER BY 1",
    ),
    environments: await q("SELECT name FROM environments WHERE project_id = ? ORDER BY 1"),
    items: await q("SELECT day, item_type, count FROM item_counts WHERE project_id = ? ORDER BY 1, 2"),
    stored: await q("SELECT count(*) n FROM stored_items WHERE project_id = ?"),
    sessions: await q(
      "SELECT release, environment, hour, sessions, errored, abnormal, crashed, users, crashed_users FROM session_rollups WHERE project_id = ? ORDER BY 1, 2, 3",
    ),
  };
}

async function gunzipJson(data: ArrayBuffer | number[]): Promise<Record<string, unknown>> {
  const bytes = new Uint8Array(data as ArrayBuffer);
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return JSON.parse(await new Response(stream).text());
}

describe("digesting real SDK events", () => {
  it("turns @sentry/node's chained exception into an issue titled like Sentry, with its event stored", async () => {
    const key = await seedProject();
    const { result } = await digest([message(key.projectId, sdkEnvelopes.nodeException, { eventId: "91ef9d7711054d688e0faf237f3eb262" })]);
    expect(result.explicitAcks).toHaveLength(1);
    const [issue] = await issuesOf(key.projectId);
    expect(issue).toMatchObject({
      title: "Error: failed to load config",
      culprit: "client in loadConfig",
      level: "error",
      status: "unresolved",
      times_seen: 1,
      user_count: 1,
      last_event_id: "91ef9d7711054d688e0faf237f3eb262",
      first_release: "acceptance@1.0.0",
    });
    const row = await env.DB.prepare("SELECT * FROM events WHERE project_id = ? AND event_id = ?")
      .bind(key.projectId, "91ef9d7711054d688e0faf237f3eb262")
      .first<Record<string, unknown>>();
    expect(row).toMatchObject({ issue_id: issue?.id, release: "acceptance@1.0.0", environment: "acceptance" });
    const data = await gunzipJson(row?.data as ArrayBuffer);
    const values = (data.exception as { values: Array<{ type: string }> }).values;
    expect(values.map((v) => v.type)).toEqual(["SyntaxError", "Error"]);
    const c = await counters(key.projectId);
    expect(c.environments).toEqual([{ name: "acceptance" }]);
    expect(c.tags).toContainEqual(expect.objectContaining({ key: "environment", value: "acceptance", count: 1 }));
    // Each tag value row names its project (the stream's tag filters look values up by project).
    const projects = await env.DB.prepare("SELECT DISTINCT project_id FROM issue_tags WHERE issue_id = ?").bind(issue?.id).all();
    expect(projects.results).toEqual([{ project_id: key.projectId }]);
    expect(c.items).toEqual([expect.objectContaining({ item_type: "event", count: 1 })]);
  });

  it("counts sessions, keeps spans and unknown items, counted per day, and stores attachments in R2", async () => {
    const key = await seedProject();
    const attachment = "log line 1\nlog line 2\n";
    const withAttachment = `{"event_id":"${id(77)}"}\n{"type":"attachment","length":${attachment.length},"filename":"app.log"}\n${attachment}\n{"type":"brand_new_type"}\n{}\n`;
    await digest([
      message(key.projectId, nodeSessionAt()),
      message(key.projectId, sdkEnvelopes.nodeSpans),
      message(key.projectId, withAttachment),
    ]);
    const c = await counters(key.projectId);
    expect(c.items.map((r) => [(r as { item_type: string }).item_type, (r as { count: number }).count])).toEqual([
      ["attachment", 1],
      ["brand_new_type", 1],
      ["session", 1],
      // The span stream: its segment span and its child are spans, the segment a transaction too.
      ["span", 2],
      ["transaction", 1],
    ]);
    const stored = await env.DB.prepare("SELECT body_key FROM stored_items WHERE project_id = ? AND item_type = 'attachment'")
      .bind(key.projectId)
      .first<{ body_key: string }>();
    expect(await (await env.RAW.get(stored?.body_key ?? ""))?.text()).toBe(attachment);
  });
});

describe("project settings", () => {
  it("scrubs a project's events by its own extra keys", async () => {
    const key = await seedProject();
    await env.DB.prepare("UPDATE projects SET scrub_fields = ? WHERE id = ?").bind('["order_ref"]', key.projectId).run();
    const eventId = freshId();
    const event = JSON.parse(errorEnvelope({ eventId }).split("\n")[2]!);
    const body = `${JSON.stringify({ event_id: eventId })}\n{"type":"event"}\n${JSON.stringify({ ...event, extra: { order_ref: "A-1", note: "kept" } })}\n`;
    await digest([message(key.projectId, body)]);
    const row = await env.DB.prepare("SELECT data FROM events WHERE project_id = ? AND event_id = ?")
      .bind(key.projectId, eventId)
      .first<{ data: ArrayBuffer }>();
    expect((await gunzipJson(row!.data)).extra).toEqual({ order_ref: "[Filtered]", note: "kept" });
  });

  it("reads them only for a batch with something to scrub: a batch of sessions is one D1 call", async () => {
    const key = await seedProject();
    let calls = 0;
    const counted = (statement: D1PreparedStatement): D1PreparedStatement =>
      new Proxy(statement, {
        get(target, prop) {
          const value = Reflect.get(target, prop);
          if (typeof value !== "function") return value;
          if (prop === "bind") return (...args: unknown[]) => counted(value.apply(target, args));
          if (["run", "all", "first", "raw"].includes(String(prop))) calls += 1;
          return value.bind(target);
        },
      });
    const DB = new Proxy(env.DB, {
      get(target, prop) {
        const value = Reflect.get(target, prop);
        if (prop === "prepare") return (sql: string) => counted(target.prepare(sql));
        if (prop === "batch") calls += 1;
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const sessions = [message(key.projectId, nodeSessionAt()), message(key.projectId, nodeSessionAt())];
    await digestEvents(createMessageBatch<IngestMessage>("events", sessions) as MessageBatch<unknown>, { ...env, DB });
    expect(calls).toBe(1);
    expect((await counters(key.projectId)).sessions).toMatchObject([{ sessions: 1 }]);
  });
});

describe("digesting native crashes", () => {
  it("groups crashpad uploads by their crash reason, each event with the SDK's scope and its minidump in R2", async () => {
    const key = await seedProject();
    const upload = (minidump: Uint8Array) => {
      const { body, contentType } = crashpadUpload(minidump, {
        release: "game@2.4.1",
        environment: "production",
        user: { id: "player-77" },
      });
      return minidumpEnvelope(readMinidumpUpload(body, contentType));
    };
    const segv = { platformId: LINUX, code: 11, flags: 1 };
    const dumps = [
      buildMinidump({ ...segv, address: 0x10n }),
      buildMinidump({ ...segv, address: 0x7fn }),
      buildMinidump({ platformId: LINUX, code: 6, flags: 0xfffffffa }),
    ];
    const crashes = dumps.map(upload);
    const { result } = await digest(crashes.map((c) => message(key.projectId, c.envelope, { eventId: c.eventId })));
    expect(result.explicitAcks).toHaveLength(3);

    const issues = await issuesOf(key.projectId);
    expect(issues.map((i) => [i.title, i.level, i.platform, i.times_seen, i.first_release])).toEqual([
      ["Fatal Error: SIGSEGV / SEGV_MAPERR", "fatal", "native", 2, "game@2.4.1"],
      ["Fatal Error: SIGABRT / SI_TKILL", "fatal", "native", 1, "game@2.4.1"],
    ]);
    const row = await env.DB.prepare("SELECT data FROM events WHERE project_id = ? AND event_id = ?")
      .bind(key.projectId, crashes[2]!.eventId)
      .first<{ data: ArrayBuffer }>();
    const data = await gunzipJson(row!.data);
    expect(data).toMatchObject({
      environment: "production",
      user: { id: "player-77" },
      exception: { values: [{ type: "SIGABRT", mechanism: { type: "minidump", meta: { signal: { number: 6 } } } }] },
    });
    expect((data.breadcrumbs as { values: unknown[] }).values).toHaveLength(3);

    const minidump = await env.DB.prepare("SELECT body_key FROM stored_items WHERE project_id = ? AND event_id = ? AND item_index = 0")
      .bind(key.projectId, crashes[2]!.eventId)
      .first<{ body_key: string }>();
    expect(new Uint8Array(await (await env.RAW.get(minidump!.body_key))!.arrayBuffer())).toEqual(dumps[2]);
  });
});

describe("storing a batch's events", () => {
  it("stores every event of a batch byte for byte, small ones many to a statement, large and incompressible ones alone", async () => {
    const key = await seedProject();
    // Random text hardly compresses. 40 breadcrumbs of 3,000 characters gzip to ~100 KB, so a few
    // such events fill one statement's JSON parameter (their data travels as hex); 100 of 8,000
    // gzip to ~650 KB, over what travels as hex, so that event goes alone, its data a blob.
    const noise = (n: number) => {
      const bytes = new Uint8Array(n);
      for (let i = 0; i < n; i += 65_536) crypto.getRandomValues(bytes.subarray(i, Math.min(n, i + 65_536)));
      return Array.from(bytes, (b) => String.fromCharCode(48 + (b % 75)))
        .join("")
        .replaceAll("\\", "/");
    };
    const crumbs = (count: number, length: number) => Array.from({ length: count }, () => noise(length));
    const shapes = [
      [],
      [],
      crumbs(40, 3_000),
      [],
      crumbs(100, 8_000),
      [],
      crumbs(40, 3_000),
      crumbs(40, 3_000),
      crumbs(40, 3_000),
      [],
      ...Array.from({ length: 100 }, () => []),
    ];
    const ids = shapes.map(() => freshId());
    const messages = ids.map((eventId, i) => {
      const breadcrumbs = shapes[i]!.map((message) => ({ timestamp: Date.now() / 1000, category: "noise", message }));
      const envelope = errorEnvelope({ eventId, value: `payload ${i}` }).replace(
        '"platform":"node"',
        `"platform":"node","breadcrumbs":${JSON.stringify(breadcrumbs)}`,
      );
      return message(key.projectId, envelope, { eventId });
    });
    const { result } = await digest(messages);
    expect(result.explicitAcks).toHaveLength(ids.length);
    expect(result.retryMessages).toEqual([]);

    const { results } = await env.DB.prepare(
      "SELECT event_id, data, length(data) AS bytes, tags, timestamp, issue_id FROM events WHERE project_id = ?",
    )
      .bind(key.projectId)
      .all<Record<string, unknown>>();
    expect(results.map((r) => r.event_id).sort()).toEqual([...ids].sort());
    expect(Math.max(...results.map((r) => r.bytes as number))).toBeGreaterThan(256 * 1024);
    const [issue] = await issuesOf(key.projectId);
    for (const row of results) {
      const i = ids.indexOf(row.event_id as string);
      const data = await gunzipJson(row.data as ArrayBuffer);
      const stored = ((data.breadcrumbs as { values?: Array<{ message?: string }> } | undefined)?.values ?? []).map((b) => b.message);
      expect(stored, `event ${i}`).toEqual(shapes[i]);
      expect(JSON.parse(row.tags as string)).toContainEqual(["route", "/checkout"]);
      expect(typeof row.timestamp).toBe("number");
      expect(row.issue_id).toBe(issue?.id);
    }
    expect(issue?.times_seen).toBe(ids.length);
  });
  it("stores events whose columns other than data are large, such as 700 KB of tags, and cuts a huge user id to a tag value", async () => {
    const key = await seedProject();
    // They gzip to almost nothing, but travel as text in the statement's JSON: three of them in
    // one statement would pass D1's 2 MB limit on a parameter.
    const manyTags = (c: string) => Object.fromEntries(Array.from({ length: 3_500 }, (_, i) => [`k${i}`, c.repeat(190)]));
    const tags = ["a", "b", "c"].map(manyTags);
    const ids = [freshId(), freshId(), freshId(), freshId(), freshId()];
    const messages = ids.map((eventId, i) =>
      message(key.projectId, errorEnvelope({ eventId, tags: tags[i], user: i === 3 ? "u".repeat(700_000) : `small-${i}` }), { eventId }),
    );
    const { result } = await digest(messages);
    expect(result.explicitAcks).toHaveLength(ids.length);
    const { results } = await env.DB.prepare("SELECT event_id, user_key, length(tags) AS tag_bytes FROM events WHERE project_id = ?")
      .bind(key.projectId)
      .all<{ event_id: string; user_key: string; tag_bytes: number }>();
    const byId = new Map(results.map((r) => [r.event_id, r]));
    expect([...byId.keys()].toSorted()).toEqual(ids.toSorted());
    for (const id of ids.slice(0, 3)) expect(byId.get(id)!.tag_bytes).toBeGreaterThan(700_000);
    expect(byId.get(ids[3]!)!.user_key).toBe(`id:${"u".repeat(194)}...`);
    expect(byId.get(ids[4]!)!.user_key).toBe("id:small-4");
  });
});

describe("grouping into issues", () => {
  it("joins the same error at another line or with another value, and splits another call path or type", async () => {
    const key = await seedProject();
    await digest([
      message(key.projectId, errorEnvelope({ eventId: freshId(), lineno: 42 })),
      message(
        key.projectId,
        errorEnvelope({ eventId: freshId(), lineno: 97, value: "Cannot read properties of undefined (reading 'name')" }),
      ),
      message(key.projectId, errorEnvelope({ eventId: freshId(), fn: "refundOrder" })),
      message(key.projectId, errorEnvelope({ eventId: freshId(), type: "RangeError" })),
    ]);
    const issues = await issuesOf(key.projectId);
    expect(issues.map((i) => i.times_seen)).toEqual([2, 1, 1]);
  });
});

describe("exactly once", () => {
  it("the same batch delivered three times leaves every counter as after the first", async () => {
    const key = await seedProject();
    const messages = [
      message(key.projectId, errorEnvelope({ eventId: freshId(), user: "a", tags: { route: "/a" } })),
      message(key.projectId, errorEnvelope({ eventId: freshId(), user: "b", tags: { route: "/b" } })),
      message(key.projectId, errorEnvelope({ eventId: freshId(), user: "a", type: "RangeError", release: "app@2.0.0" })),
      message(key.projectId, nodeSessionAt()),
    ];
    await digest(messages);
    const once = await counters(key.projectId);
    expect(once.sessions).toMatchObject([{ release: "acceptance@1.0.0", sessions: 1, errored: 1, users: 1 }]);
    expect(once.issues.map((i) => [(i as { times_seen: number }).times_seen, (i as { user_count: number }).user_count])).toEqual([
      [2, 2],
      [1, 1],
    ]);
    expect(once.releases.map((r) => (r as { version: string }).version)).toEqual(["acceptance@1.0.0", "app@1.0.0", "app@2.0.0"]);
    expect(once.organizationReleases.map((r) => (r as { version: string }).version)).toEqual([
      "acceptance@1.0.0",
      "app@1.0.0",
      "app@2.0.0",
    ]);
    await digest(messages);
    await digest(messages);
    expect(await counters(key.projectId)).toEqual(once);
  });

  it("a batch with a message that cannot be written commits the others once, retries only that one, and redelivery changes nothing", async () => {
    const key = await seedProject();
    const good = [
      message(key.projectId, errorEnvelope({ eventId: freshId() })),
      message(key.projectId, errorEnvelope({ eventId: freshId(), user: "z" })),
    ];
    // A project that does not exist: the foreign key refuses its event, so the batch write fails.
    const poison = message(987_654_321, errorEnvelope({ eventId: freshId() }));
    const first = await digest([good[0]!, poison, good[1]!]);
    expect(first.result.explicitAcks.sort()).toEqual([good[0]!.id, good[1]!.id].sort());
    expect(first.result.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual([poison.id]);
    const after = await counters(key.projectId);
    expect(after.issues.map((i) => (i as { times_seen: number }).times_seen)).toEqual([2]);
    await digest(good);
    expect(await counters(key.projectId)).toEqual(after);
  });
});

describe("merged issues", () => {
  const mergeInto = (projectId: number, parent: number, children: number[]) =>
    env.DB.batch(mergeStatements(env.DB, { parent, children }, { projectId, userId: null, now: Date.now(), tag: `merge:${freshId()}` }));

  it("a new event of a merged child's fingerprint lands in the parent; the child's old events delivered again change nothing", async () => {
    const key = await seedProject();
    const typeErrors = [
      message(key.projectId, errorEnvelope({ eventId: freshId(), user: "a" })),
      message(key.projectId, errorEnvelope({ eventId: freshId(), user: "b" })),
    ];
    const rangeError = message(key.projectId, errorEnvelope({ eventId: freshId(), type: "RangeError", fn: "refund", user: "a" }));
    await digest([...typeErrors, rangeError]);
    const [parent, child] = (await issuesOf(key.projectId)).map((i) => i.id as number);
    await mergeInto(key.projectId, parent!, [child!]);
    const merged = await counters(key.projectId);
    expect(
      merged.issues.map((i) => [
        (i as { id: number }).id,
        (i as { times_seen: number }).times_seen,
        (i as { user_count: number }).user_count,
      ]),
    ).toEqual([[parent, 3, 2]]);

    // Redelivered, the child's event is stored already (in the parent): nothing moves, no issue is left behind.
    const again = await digest([rangeError, ...typeErrors]);
    expect(again.outcomes.map((o) => o.newIssueIds)).toEqual([[]]);
    expect(await counters(key.projectId)).toEqual(merged);

    // A new event of the child's fingerprint counts in the parent, with its user, and is no new issue.
    const fresh = await digest([
      message(key.projectId, errorEnvelope({ eventId: freshId(), type: "RangeError", fn: "refund", user: "c" })),
    ]);
    expect(fresh.outcomes.map((o) => [o.newIssueIds, o.touchedIssueIds])).toEqual([[[], [parent]]]);
    const after = await counters(key.projectId);
    expect(
      after.issues.map((i) => [
        (i as { id: number }).id,
        (i as { times_seen: number }).times_seen,
        (i as { user_count: number }).user_count,
      ]),
    ).toEqual([[parent, 4, 3]]);
    expect(after.events).toEqual([{ n: 4 }]);
    // The same new event again: still once.
    await digest([message(key.projectId, errorEnvelope({ eventId: freshId(), type: "RangeError", fn: "refund", user: "c" }))]);
    expect((await issuesOf(key.projectId)).map((i) => i.times_seen)).toEqual([5]);
  });

  it("a resolved parent regresses on a child's fingerprint, as on its own", async () => {
    const key = await seedProject();
    await digest([
      message(key.projectId, errorEnvelope({ eventId: freshId() })),
      message(key.projectId, errorEnvelope({ eventId: freshId(), type: "RangeError", fn: "refund" })),
    ]);
    const [parent, child] = (await issuesOf(key.projectId)).map((i) => i.id as number);
    await mergeInto(key.projectId, parent!, [child!]);
    await env.DB.prepare("UPDATE issues SET status = 'resolved', resolved_at = ? WHERE id = ?").bind(Date.now(), parent).run();
    const back = await digest([message(key.projectId, errorEnvelope({ eventId: freshId(), type: "RangeError", fn: "refund" }))]);
    expect(back.outcomes[0]?.regressedIssueIds).toEqual([parent]);
  });

  it("once the parent is gone, the child's fingerprint starts an issue of its own again", async () => {
    const key = await seedProject();
    await digest([
      message(key.projectId, errorEnvelope({ eventId: freshId() })),
      message(key.projectId, errorEnvelope({ eventId: freshId(), type: "RangeError", fn: "refund" })),
    ]);
    const [parent, child] = (await issuesOf(key.projectId)).map((i) => i.id as number);
    await mergeInto(key.projectId, parent!, [child!]);
    // As retention leaves it when it deletes the parent but has not reached issue_merges yet.
    await env.DB.batch([
      env.DB.prepare("DELETE FROM events WHERE issue_id = ?").bind(parent),
      env.DB.prepare("DELETE FROM issues WHERE id = ?").bind(parent),
    ]);
    const fresh = await digest([message(key.projectId, errorEnvelope({ eventId: freshId(), type: "RangeError", fn: "refund" }))]);
    const [reborn] = await issuesOf(key.projectId);
    expect(fresh.outcomes.map((o) => o.newIssueIds)).toEqual([[reborn?.id]]);
    expect(reborn).toMatchObject({ title: expect.stringMatching(/^RangeError/), times_seen: 1 });
  });
});

describe("an event id sent again with other content", () => {
  it("keeps the first event and makes no issue without an event, nor a new-issue alert for one", async () => {
    const key = await seedProject();
    const eventId = freshId();
    await digest([message(key.projectId, errorEnvelope({ eventId }))]);
    // The same id with another error: its event is a duplicate and is dropped, and so must be its issue.
    const again = await digest([message(key.projectId, errorEnvelope({ eventId, type: "RangeError", fn: "refund" }))]);
    expect(again.outcomes.map((o) => o.newIssueIds)).toEqual([[]]);
    const issues = await issuesOf(key.projectId);
    expect(issues.map((i) => [i.title, i.times_seen])).toEqual([[expect.stringMatching(/^TypeError/), 1]]);
    // A batch with the duplicate and a really new error keeps the new one's issue, and only it.
    const fresh = await digest([
      message(key.projectId, errorEnvelope({ eventId, type: "RangeError", fn: "refund" })),
      message(key.projectId, errorEnvelope({ eventId: freshId(), type: "SyntaxError" })),
    ]);
    const after = await issuesOf(key.projectId);
    expect(after.map((i) => [String(i.title).split(":")[0], i.times_seen])).toEqual([
      ["TypeError", 1],
      ["SyntaxError", 1],
    ]);
    expect(fresh.outcomes.map((o) => o.newIssueIds)).toEqual([[after[1]!.id]]);
  });
});

describe("issue lifecycle", () => {
  const setStatus = (issueId: unknown, sql: string, ...params: unknown[]) =>
    env.DB.prepare(`UPDATE issues SET ${sql} WHERE id = ?`)
      .bind(...params, issueId)
      .run();

  it("a resolved issue regresses on a new event", async () => {
    const key = await seedProject();
    await digest([message(key.projectId, errorEnvelope({ eventId: freshId() }))]);
    const [issue] = await issuesOf(key.projectId);
    await setStatus(issue?.id, "status = 'resolved', substatus = 'resolved', resolved_at = ?", Date.now());
    const { outcomes } = await digest([message(key.projectId, errorEnvelope({ eventId: freshId() }))]);
    expect(outcomes[0]?.regressedIssueIds).toEqual([issue?.id]);
    expect((await issuesOf(key.projectId))[0]).toMatchObject({
      status: "unresolved",
      substatus: "regressed",
      resolved_at: null,
      times_seen: 2,
    });
  });

  it("a regression goes on the issue's trail once, by no one; the same event delivered again records nothing", async () => {
    const key = await seedProject();
    const trail = async (issueId: unknown) =>
      (
        await env.DB.prepare("SELECT type, user_id, data, created_at FROM issue_activity WHERE issue_id = ? ORDER BY id")
          .bind(issueId)
          .all<{ type: string; user_id: number | null; data: string; created_at: number }>()
      ).results;
    await digest([message(key.projectId, errorEnvelope({ eventId: freshId() }))]);
    const [issue] = await issuesOf(key.projectId);
    expect(await trail(issue?.id)).toEqual([]);

    await setStatus(issue?.id, "status = 'resolved', resolved_at = ?", Date.now());
    const back = message(key.projectId, errorEnvelope({ eventId: freshId(), release: "app@1.2.0" }));
    const before = Date.now();
    await digest([back, message(key.projectId, errorEnvelope({ eventId: freshId(), release: "app@1.2.0" }))]);
    const [regression, ...more] = await trail(issue?.id);
    expect(more).toEqual([]);
    expect(regression).toMatchObject({ type: "set_regression", user_id: null });
    expect(JSON.parse(regression!.data)).toEqual({ event_id: (await issuesOf(key.projectId))[0]?.last_event_id, version: "app@1.2.0" });
    expect(regression!.created_at).toBeGreaterThanOrEqual(before);

    // Still unresolved, another event is no regression; resolved again, the same message
    // delivered again stores nothing, so it regresses nothing and records nothing.
    await digest([message(key.projectId, errorEnvelope({ eventId: freshId() }))]);
    await setStatus(issue?.id, "status = 'resolved', resolved_at = ?", Date.now());
    const again = await digest([back]);
    expect(again.outcomes[0]?.regressedIssueIds).toEqual([]);
    expect((await issuesOf(key.projectId))[0]).toMatchObject({ status: "resolved" });
    expect(await trail(issue?.id)).toHaveLength(1);
    // A new event does: a second regression, a second row.
    await digest([message(key.projectId, errorEnvelope({ eventId: freshId() }))]);
    expect((await trail(issue?.id)).map((a) => a.type)).toEqual(["set_regression", "set_regression"]);
  });

  it("resolved in the next release: events from the release out then do not regress it, events from a newer one do", async () => {
    const key = await seedProject();
    await digest([message(key.projectId, errorEnvelope({ eventId: freshId(), release: "app@1.0.0" }))]);
    const [issue] = await issuesOf(key.projectId);
    await setStatus(
      issue?.id,
      "status = 'resolved', resolved_in_release = 'app@1.0.0', resolved_in_next_release = 1, resolved_at = ?",
      Date.now(),
    );
    const old = await digest([message(key.projectId, errorEnvelope({ eventId: freshId(), release: "app@1.0.0" }))]);
    expect(old.outcomes[0]?.regressedIssueIds).toEqual([]);
    expect((await issuesOf(key.projectId))[0]).toMatchObject({ status: "resolved", times_seen: 2 });
    await new Promise((r) => setTimeout(r, 5));
    const newer = await digest([message(key.projectId, errorEnvelope({ eventId: freshId(), release: "app@1.1.0" }))]);
    expect(newer.outcomes[0]?.regressedIssueIds).toEqual([issue?.id]);
    expect((await issuesOf(key.projectId))[0]).toMatchObject({ status: "unresolved", substatus: "regressed" });
  });

  it("resolved in release X: events from older releases do not regress it, events from X do", async () => {
    const key = await seedProject();
    await digest([message(key.projectId, errorEnvelope({ eventId: freshId(), release: "app@1.0.0" }))]);
    const [issue] = await issuesOf(key.projectId);
    // The fix ships in 1.1.0, which has not been seen yet.
    await setStatus(
      issue?.id,
      "status = 'resolved', resolved_in_release = 'app@1.1.0', resolved_in_next_release = 0, resolved_at = ?",
      Date.now(),
    );
    const old = await digest([message(key.projectId, errorEnvelope({ eventId: freshId(), release: "app@1.0.0" }))]);
    expect(old.outcomes[0]?.regressedIssueIds).toEqual([]);
    await new Promise((r) => setTimeout(r, 5));
    const fixed = await digest([message(key.projectId, errorEnvelope({ eventId: freshId(), release: "app@1.1.0" }))]);
    expect(fixed.outcomes[0]?.regressedIssueIds).toEqual([issue?.id]);
    expect((await issuesOf(key.projectId))[0]).toMatchObject({ status: "unresolved", substatus: "regressed", resolved_in_next_release: 0 });
  });

  it("ignored until N more events: escalates once the Nth arrives, not before", async () => {
    const key = await seedProject();
    await digest([message(key.projectId, errorEnvelope({ eventId: freshId() }))]);
    const [issue] = await issuesOf(key.projectId);
    await setStatus(
      issue?.id,
      "status = 'ignored', substatus = 'until_escalating', ignored_until_count = 2, ignored_count_base = times_seen",
    );
    await digest([message(key.projectId, errorEnvelope({ eventId: freshId() }))]);
    expect((await issuesOf(key.projectId))[0]).toMatchObject({ status: "ignored" });
    const { outcomes } = await digest([message(key.projectId, errorEnvelope({ eventId: freshId() }))]);
    expect(outcomes[0]?.escalatedIssueIds).toEqual([issue?.id]);
    expect((await issuesOf(key.projectId))[0]).toMatchObject({ status: "unresolved", substatus: "escalating", times_seen: 3 });
  });

  it("ignored forever stays ignored", async () => {
    const key = await seedProject();
    await digest([message(key.projectId, errorEnvelope({ eventId: freshId() }))]);
    const [issue] = await issuesOf(key.projectId);
    await setStatus(issue?.id, "status = 'ignored', substatus = 'forever'");
    await digest([
      message(key.projectId, errorEnvelope({ eventId: freshId() })),
      message(key.projectId, errorEnvelope({ eventId: freshId() })),
    ]);
    expect((await issuesOf(key.projectId))[0]).toMatchObject({ status: "ignored", times_seen: 3 });
  });
});

describe("bad input is recorded, not dropped", () => {
  it("an event item that is not JSON is a rejection with its reason; the envelope's other items are kept", async () => {
    const key = await seedProject();
    const body = `{"event_id":"${id(5)}"}\n{"type":"event"}\n{not json\n{"type":"client_report"}\n{"discarded_events":[]}\n`;
    const m = message(key.projectId, body);
    await digest([m]);
    const rejected = await env.DB.prepare("SELECT reason, detail FROM rejected_envelopes WHERE message_id = ?").bind(m.id).first();
    expect(rejected).toMatchObject({ reason: "malformed_event" });
    expect((await counters(key.projectId)).items).toEqual([expect.objectContaining({ item_type: "client_report", count: 1 })]);
  });

  it("sessions Sentry would refuse are recorded with invalid_session and count nothing; the envelope's good session counts", async () => {
    const key = await seedProject();
    const started = new Date().toISOString();
    const session = (fields: object) =>
      `{"type":"session"}\n${JSON.stringify({ sid: crypto.randomUUID(), started, attrs: { release: "app@1.0.0" }, ...fields })}\n`;
    const good = session({ status: "exited" });
    const bad = [
      session({ status: "exploded" }),
      session({ attrs: { release: "app\u0000" } }),
      session({ started: new Date(Date.now() - 365 * 86_400_000).toISOString() }),
      `{"type":"sessions"}\n${JSON.stringify({ aggregates: [{ started, exited: -4 }], attrs: { release: "app@1.0.0" } })}\n`,
    ];
    // One message each (a message keeps one rejection row), the good session beside the first.
    const messages = bad.map((item, i) => message(key.projectId, `{}\n${item}${i === 0 ? good : ""}`));
    await digest(messages);
    const details = [];
    for (const m of messages) {
      const row = await env.DB.prepare("SELECT reason, detail FROM rejected_envelopes WHERE message_id = ?").bind(m.id).first();
      details.push(row);
    }
    expect(details).toEqual([
      { reason: "invalid_session", detail: expect.stringMatching(/^session item 0: unknown session status "exploded"/) },
      { reason: "invalid_session", detail: expect.stringMatching(/^session item 0: invalid release name/) },
      { reason: "invalid_session", detail: expect.stringMatching(/^session item 0: session started more than five days ago/) },
      { reason: "invalid_session", detail: expect.stringMatching(/^sessions item 0: aggregate 0: exited is not a count/) },
    ]);
    expect((await counters(key.projectId)).sessions).toMatchObject([{ release: "app@1.0.0", sessions: 1, crashed: 0 }]);
  });

  it("a message that is not an ingest message is recorded as invalid", async () => {
    const m = { id: `junk-${Date.now()}`, timestamp: new Date(), attempts: 1, body: { hello: "world" } };
    const { result } = await digest([m as unknown as QueuedMessage<IngestMessage>]);
    expect(result.explicitAcks).toEqual([m.id]);
    const row = await env.DB.prepare("SELECT reason FROM rejected_envelopes WHERE message_id = ?").bind(m.id).first();
    expect(row).toEqual({ reason: "invalid_message" });
  });

  it("a body missing from R2 is recorded as missing", async () => {
    const key = await seedProject();
    const m = message(key.projectId, "", { body: undefined, bodyKey: "raw/none/missing" });
    await digest([m]);
    const row = await env.DB.prepare("SELECT reason FROM rejected_envelopes WHERE message_id = ?").bind(m.id).first();
    expect(row).toEqual({ reason: "missing_body" });
  });
});

describe("releases", () => {
  it("an event naming a version creates its organization's release once, for all of its projects, and keeps one sentry-cli made", async () => {
    const key = await seedProject();
    const org = await env.DB.prepare("SELECT organization_id AS id FROM projects WHERE id = ?").bind(key.projectId).first<{ id: number }>();
    const second = await env.DB.prepare(
      "INSERT INTO projects (organization_id, slug, name, created_at) VALUES (?, 'second', 'Second', ?) RETURNING id",
    )
      .bind(org!.id, Date.now())
      .first<{ id: number }>();
    const madeByCli = Date.UTC(2026, 0, 2);
    await env.DB.prepare(
      "INSERT INTO organization_releases (organization_id, version, date_created, url) VALUES (?, 'app@3.0.0', ?, 'https://ci')",
    )
      .bind(org!.id, madeByCli)
      .run();

    const before = Date.now();
    await digest([
      message(key.projectId, errorEnvelope({ eventId: freshId(), release: "app@2.0.0" })),
      message(second!.id, errorEnvelope({ eventId: freshId(), release: "app@2.0.0" })),
      message(second!.id, errorEnvelope({ eventId: freshId(), release: "app@3.0.0" })),
    ]);
    await digest([message(key.projectId, errorEnvelope({ eventId: freshId(), release: "app@2.0.0" }))]);

    const { results } = await env.DB.prepare(
      "SELECT version, date_created, url FROM organization_releases WHERE organization_id = ? ORDER BY version",
    )
      .bind(org!.id)
      .all<{ version: string; date_created: number; url: string | null }>();
    expect(results.map((r) => [r.version, r.url])).toEqual([
      ["app@2.0.0", null],
      ["app@3.0.0", "https://ci"],
    ]);
    // Created when the digest first saw it; the one sentry-cli made keeps its own date.
    expect(results[0]!.date_created).toBeGreaterThanOrEqual(before);
    expect(results[1]!.date_created).toBe(madeByCli);
  });
});
