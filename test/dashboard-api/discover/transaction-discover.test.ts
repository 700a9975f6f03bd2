import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { apiApp } from "../../../dashboard/api/api-app";
import { HOUR } from "../../../protocol/time";
import { advanceRecentTransactions, recentStartAt } from "../../../queue-consumer/jobs/advance-recent-transactions";
import { compareKeys, readsRecentTotals } from "../../../dashboard/api/discover/transaction-discover";
import { transactionField } from "../../../dashboard/api/discover/transaction-fields";
import { seedOrganization, seedProjectIn } from "../../support/seed-issues";
import { digest, ingestMessage, segmentEnvelope, transactionEnvelope } from "../../support/transaction-envelopes";

const T0 = Date.UTC(2026, 10, 20, 0, 0, 0);
const WINDOW = `start=${new Date(T0).toISOString()}&end=${new Date(T0 + 6 * HOUR).toISOString()}`;

async function get(path: string, token: string) {
  const ctx = createExecutionContext();
  const res = await apiApp.fetch(
    new Request(`http://dashboard.test/api/0${path}`, { headers: { authorization: `Bearer ${token}` } }),
    env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: res.status, json: (await res.json()) as any, link: res.headers.get("link") };
}

/** A GET whose D1 statements (SQL and bound values) are recorded into `reads`. */
async function getRecording(path: string, token: string, reads: Array<{ sql: string; args: unknown[] }>) {
  const db = env.DB;
  const recording = new Proxy(db, {
    get(target, prop) {
      if (prop !== "prepare") {
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      }
      return (sql: string) => {
        const statement = target.prepare(sql);
        return new Proxy(statement, {
          get(s, p) {
            const value = Reflect.get(s, p, s);
            if (p === "bind")
              return (...args: unknown[]) => {
                reads.push({ sql, args });
                return s.bind(...args);
              };
            return typeof value === "function" ? value.bind(s) : value;
          },
        });
      };
    },
  });
  const ctx = createExecutionContext();
  const res = await apiApp.fetch(
    new Request(`http://dashboard.test/api/0${path}`, { headers: { authorization: `Bearer ${token}` } }),
    { ...env, DB: recording },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: res.status, json: (await res.json()) as any, link: res.headers.get("link") };
}

const at = (ms: number) => ({ receivedAt: ms + 1000 });

/** 100 "GET /orders" (1..100 ms, every 10th failing) in hour 1, 20 "POST /checkout" (500 ms) in hour 3 with LCP, one old. */
async function seedTransactions(projectId: number, other: number): Promise<void> {
  const messages = [];
  for (let i = 1; i <= 100; i += 1) {
    const end = T0 + HOUR + i * 1000;
    const envelope =
      i % 2 === 0
        ? segmentEnvelope({ name: "GET /orders", durationMs: i, end, status: i % 10 === 0 ? "error" : "ok", environment: "production" })
        : transactionEnvelope({ name: "GET /orders", durationMs: i, end });
    messages.push(ingestMessage(projectId, envelope, at(end)));
  }
  for (let i = 0; i < 20; i += 1) {
    const end = T0 + 3 * HOUR + i * 1000;
    messages.push(
      ingestMessage(
        other,
        segmentEnvelope({
          name: "POST /checkout",
          op: "pageload",
          durationMs: 500,
          end,
          environment: "staging",
          vitals: { lcp: 1000 + i * 100 },
        }),
        at(end),
      ),
    );
  }
  const old = T0 - 2 * HOUR;
  messages.push(ingestMessage(projectId, segmentEnvelope({ name: "GET /orders", durationMs: 9000, end: old }), at(old)));
  await digest(messages);
}

describe("GET /organizations/{org}/events/?dataset=transactions", () => {
  it("answers Sentry's fields per transaction, from the rollups of the window", async () => {
    const org = await seedOrganization();
    const other = await seedProjectIn(org.orgId, "zz-frontend");
    await seedTransactions(org.projectId, other);
    const fields = [
      "transaction",
      "project",
      "count()",
      "p50()",
      "p75()",
      "p95()",
      "p99()",
      "avg(transaction.duration)",
      "failure_rate()",
      "apdex()",
      "tpm()",
      "p75(measurements.lcp)",
    ];
    const res = await get(
      `/organizations/${org.orgSlug}/events/?dataset=transactions&${fields.map((f) => `field=${encodeURIComponent(f)}`).join("&")}&sort=-count()&${WINDOW}`,
      org.token,
    );
    expect(res.status).toBe(200);
    const [orders, checkout] = res.json.data;
    expect(orders).toMatchObject({
      transaction: "GET /orders",
      project: org.projectSlug,
      "count()": 100,
      "failure_rate()": 0.1,
      "apdex()": 1,
      "p75(measurements.lcp)": null,
    });
    // Percentiles of 1..100 ms within 1% (lower nearest rank), the average exact, per minute over 6 hours.
    for (const [f, exact] of [
      ["p50()", 50],
      ["p75()", 75],
      ["p95()", 95],
      ["p99()", 99],
    ] as const)
      expect(Math.abs(orders[f] - exact) / exact).toBeLessThanOrEqual(0.01);
    expect(orders["avg(transaction.duration)"]).toBeCloseTo(50.5, 1);
    expect(orders["tpm()"]).toBeCloseTo(100 / 360, 6);
    expect(checkout).toMatchObject({
      transaction: "POST /checkout",
      project: "zz-frontend",
      "count()": 20,
      "failure_rate()": 0,
      "apdex()": 0.5,
    });
    expect(Math.abs(checkout["p75(measurements.lcp)"] - 2400) / 2400).toBeLessThanOrEqual(0.01);
    expect(res.json.meta).toMatchObject({
      fields: {
        transaction: "string",
        "count()": "integer",
        "p95()": "duration",
        "failure_rate()": "percentage",
        "apdex()": "number",
        "tpm()": "rate",
      },
      units: { "p95()": "millisecond", "tpm()": "1/minute", "count()": null },
    });
  });

  it("filters with transaction:, transaction.op:, environment and free text; sorts; pages", async () => {
    const org = await seedOrganization();
    const other = await seedProjectIn(org.orgId, "zz-web");
    await seedTransactions(org.projectId, other);
    const base = `/organizations/${org.orgSlug}/events/?dataset=transactions&field=transaction&field=count()&field=p95()&${WINDOW}`;
    const names = async (extra: string) =>
      (await get(`${base}&${extra}`, org.token)).json.data.map((r: any) => [r.transaction, r["count()"]]);
    expect(await names(`query=${encodeURIComponent('event.type:transaction transaction:"POST /checkout"')}`)).toEqual([
      ["POST /checkout", 20],
    ]);
    expect(await names(`query=${encodeURIComponent("transaction.op:pageload")}`)).toEqual([["POST /checkout", 20]]);
    expect(await names(`query=${encodeURIComponent("!transaction:POST*")}`)).toEqual([["GET /orders", 100]]);
    expect(await names(`query=orders`)).toEqual([["GET /orders", 100]]);
    // The Django transactions and the orders segments say production, the checkouts staging.
    expect(await names(`environment=production`)).toEqual([["GET /orders", 100]]);
    expect(await names(`project=${other}`)).toEqual([["POST /checkout", 20]]);
    expect(await names(`sort=-p95()`)).toEqual([
      ["POST /checkout", 20],
      ["GET /orders", 100],
    ]);
    expect(await names(`sort=transaction`)).toEqual([
      ["GET /orders", 100],
      ["POST /checkout", 20],
    ]);
    const first = await get(`${base}&sort=transaction&per_page=1`, org.token);
    expect(first.json.data).toHaveLength(1);
    expect(first.link).toContain('rel="next"; results="true"; cursor="0:1:0"');
    const second = await get(`${base}&sort=transaction&per_page=1&cursor=0:1:0`, org.token);
    expect(second.json.data.map((r: any) => r.transaction)).toEqual(["POST /checkout"]);
    expect(second.link).toContain('rel="next"; results="false"');
    // Grouped by op as well: one row per (transaction, op).
    expect((await get(`${base}&field=transaction.op&query=orders`, org.token)).json.data).toEqual([
      expect.objectContaining({ transaction: "GET /orders", "transaction.op": "http.server", "count()": 100 }),
    ]);
  });

  it("pages a sort by a count in SQL, with the page's sketches and vitals in the same statement", async () => {
    const org = await seedOrganization();
    const other = await seedProjectIn(org.orgId, "zz-shop");
    await seedTransactions(org.projectId, other);
    const fields = ["transaction", "project", "count()", "tpm()", "failure_rate()", "p50()", "p95()", "p75(measurements.lcp)"];
    const base = `/organizations/${org.orgSlug}/events/?dataset=transactions&${fields.map((f) => `field=${encodeURIComponent(f)}`).join("&")}&${WINDOW}`;
    // A sort by a percentile reads and merges every row of the window: the full answer.
    const full = (await get(`${base}&sort=-p95()`, org.token)).json.data;
    expect(full.map((r: any) => r.transaction)).toEqual(["POST /checkout", "GET /orders"]);
    const reads: Array<{ sql: string; args: unknown[] }> = [];
    const first = await getRecording(`${base}&sort=-count()&per_page=1`, org.token, reads);
    const second = await getRecording(`${base}&sort=-count()&per_page=1&cursor=0:1:0`, org.token, reads);
    expect([...first.json.data, ...second.json.data]).toEqual([full[1], full[0]]);
    expect(first.link).toContain('rel="next"; results="true"');
    expect(second.link).toContain('rel="next"; results="false"');
    // One statement a page answers the page's groups with their sketches and their names' vitals.
    const rollupReads = reads.filter((r) => /transaction_(vital_)?rollups/.test(r.sql));
    expect(rollupReads).toHaveLength(2);
    for (const r of rollupReads) expect(r.sql).toMatch(/group_concat[\s\S]*LIMIT \?6[\s\S]*FROM transaction_vital_rollups/);
    expect(rollupReads[0]!.args.slice(5, 7)).toEqual([1, 0]);
    expect(rollupReads[1]!.args.slice(5, 7)).toEqual([1, 1]);
  });

  it("merges sketches as it merges each row, however a stored sketch reads", async () => {
    const org = await seedOrganization();
    const other = await seedProjectIn(org.orgId, "zz-sketch");
    await seedTransactions(org.projectId, other);
    const base = `/organizations/${org.orgSlug}/events/?dataset=transactions&field=transaction&field=count()&field=p50()&field=p95()&${WINDOW}`;
    const named = async (name: string) =>
      (await get(`${base}&query=${encodeURIComponent(`transaction:"${name}"`)}`, org.token)).json.data[0];
    // Texts that are not one JSON object: each reads as an empty sketch, its counts still counted.
    for (const text of ['{"1": 5}, 1, {"900": 5}', '{"1": 5}, {"900": 5}', "[1, 2]", "not json", '{"400": 3} ']) {
      await env.DB.prepare("UPDATE transaction_rollups SET sketch = ? WHERE project_id = ? AND name = 'POST /checkout'")
        .bind(text, other)
        .run();
      for (const sort of ["-p95()", "-count()"]) {
        const table = (await get(`${base}&sort=${sort}`, org.token)).json.data;
        expect(table, `${sort} ${text}`).toEqual([await named(table[0].transaction), await named(table[1].transaction)]);
      }
    }
  });

  it("reads named projects beside the organization, answering only once it is checked", async () => {
    const org = await seedOrganization();
    const stranger = await seedOrganization();
    await seedTransactions(stranger.projectId, stranger.projectId);
    const table = (orgSlug: string, project: number, extra = "") =>
      get(
        `/organizations/${orgSlug}/events/?dataset=transactions&field=transaction&field=count()&project=${project}&${WINDOW}${extra}`,
        org.token,
      );
    // Another organization's: 404, whatever else the request says; its project in ours: 400.
    for (const extra of ["", "&sort=-p95()", "&field=p95()&sort=-p95()", "&field=id", "&sort=nope", "&per_page=1000"]) {
      const res = await table(stranger.orgSlug, stranger.projectId, extra);
      expect([res.status, res.json.data], extra).toEqual([404, undefined]);
    }
    expect((await table(org.orgSlug, stranger.projectId)).json).toEqual({
      detail: `project: ${stranger.projectId} is not a project of this organization`,
    });
    expect((await table(org.orgSlug, stranger.projectId, "&sort=nope")).status).toBe(400);
    expect((await table(org.orgSlug, org.projectId)).json.data).toEqual([]);
  });

  it("answers a search of as many filters as a query holds, beyond what one SQL expression can", async () => {
    const org = await seedOrganization();
    const other = await seedProjectIn(org.orgId, "zz-filters");
    await seedTransactions(org.projectId, other);
    const base = `/organizations/${org.orgSlug}/events/?dataset=transactions&field=transaction&field=count()&field=p95()&${WINDOW}`;
    // 100 filters in 999 characters, each matching every row: SQLite allows expressions 100 deep.
    const query = Array.from({ length: 100 }, () => "release:*").join(" ");
    for (const sort of ["-count()", "-p95()"]) {
      const res = await get(`${base}&sort=${sort}&query=${encodeURIComponent(query)}`, org.token);
      expect(res.status, sort).toBe(200);
      expect(res.json.data, sort).toEqual((await get(`${base}&sort=${sort}`, org.token)).json.data);
    }
  });

  it("answers a pattern longer than D1 takes for GLOB (50 bytes)", async () => {
    const org = await seedOrganization();
    const other = await seedProjectIn(org.orgId, "zz-long-glob");
    await seedTransactions(org.projectId, other);
    const base = `/organizations/${org.orgSlug}/events/?dataset=transactions&field=transaction&field=count()&field=p95()&${WINDOW}`;
    for (const [pattern, names] of [
      ["GET /orders*", ["GET /orders"]],
      [`GET /or*${"x".repeat(60)}*`, []],
      [`GET /o*${"[?".repeat(20)}*`, []],
      [`*rs${"*".repeat(60)}`, ["GET /orders"]],
    ] as const)
      for (const sort of ["-count()", "-p95()"]) {
        const res = await get(`${base}&sort=${sort}&query=${encodeURIComponent(`transaction:"${pattern}"`)}`, org.token);
        expect(res.status, `${sort} ${pattern}`).toBe(200);
        expect(
          res.json.data.map((r: any) => r.transaction),
          `${sort} ${pattern}`,
        ).toEqual(names);
      }
  });

  it("answers 400 naming an unknown field, query key, sort or malformed query", async () => {
    const org = await seedOrganization();
    const base = `/organizations/${org.orgSlug}/events/?dataset=transactions`;
    const detail = async (extra: string) => (await get(`${base}&${extra}`, org.token)).json.detail;
    expect(await detail("field=transaction&field=p42()")).toMatch(/^field: "p42\(\)" is not supported/);
    expect(await detail("field=p95(measurements.fid)")).toMatch(/^field: "p95\(measurements.fid\)" is not supported/);
    expect(await detail("field=count()&query=user.email:a")).toBe(
      'query: "user.email" is not a key this search knows (transaction, transaction.op, environment, release, event.type)',
    );
    expect(await detail(`field=count()&query=${encodeURIComponent('transaction:"GET /a')}`)).toBe("query: a quote is not closed");
    expect(await detail("field=count()&query=event.type:error")).toBe(
      "query: event.type:error is not this dataset (event.type:transaction is)",
    );
    expect(await detail("field=count()&sort=-p95()")).toBe('sort: "-p95()" is not one of the fields');
    expect(await detail("field=count()&per_page=1000")).toBe("per_page: a whole number from 1 to 100");
    expect(await detail("field=count()&cursor=nope")).toBe("cursor: not a cursor this API returned");
  });
});

describe("GET /organizations/{org}/events-stats/ over transactions", () => {
  it("answers p50, p95, count and failure rate per bucket, one series per yAxis", async () => {
    const org = await seedOrganization();
    const other = await seedProjectIn(org.orgId, "zz-stats");
    await seedTransactions(org.projectId, other);
    const res = await get(
      `/organizations/${org.orgSlug}/events-stats/?dataset=transactions&yAxis=p95()&yAxis=count()&yAxis=failure_rate()&yAxis=p50()&interval=1h&${WINDOW}`,
      org.token,
    );
    expect(res.status).toBe(200);
    const values = (y: string) => res.json[y].data.map(([, [{ count }]]: any) => count);
    expect(values("count()")).toEqual([0, 100, 0, 20, 0, 0]);
    expect(values("failure_rate()")).toEqual([0, 0.1, 0, 0, 0, 0]);
    expect(Math.abs(values("p95()")[1] - 95) / 95).toBeLessThanOrEqual(0.01);
    expect(Math.abs(values("p50()")[3] - 500) / 500).toBeLessThanOrEqual(0.01);
    expect(res.json["p95()"].meta.units["p95()"]).toBe("millisecond");

    const one = await get(
      `/organizations/${org.orgSlug}/events-stats/?yAxis=count()&query=${encodeURIComponent('event.type:transaction transaction:"GET /orders"')}&interval=3h&${WINDOW}`,
      org.token,
    );
    expect(one.json.data.map(([, [{ count }]]: any) => count)).toEqual([100, 0]);
    expect(
      (await get(`/organizations/${org.orgSlug}/events-stats/?dataset=transactions&yAxis=transaction&${WINDOW}`, org.token)).json.detail,
    ).toBe('yAxis: "transaction" is not a function');
  });
});

describe("GET /organizations/{org}/events/?dataset=transactions with per-transaction fields", () => {
  it("answers the slowest and the latest transaction of each hour as sample rows", async () => {
    const org = await seedOrganization();
    const other = await seedProjectIn(org.orgId, "zz-samples");
    await seedTransactions(org.projectId, other);
    const fields = ["id", "trace", "transaction", "transaction.duration", "timestamp", "project"];
    const base = `/organizations/${org.orgSlug}/events/?dataset=transactions&${fields.map((f) => `field=${f}`).join("&")}&${WINDOW}`;
    const slowest = await get(
      `${base}&query=${encodeURIComponent('transaction:"GET /orders"')}&sort=-transaction.duration&per_page=5`,
      org.token,
    );
    expect(slowest.status).toBe(200);
    // Hour 1 holds two rollup rows of the name (the segments' release and the Django transactions'):
    // the slowest of each is also its latest. The old hour is outside the window.
    expect(slowest.json.data).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f]{16}$/),
        trace: expect.stringMatching(/^[0-9a-f]{32}$/),
        transaction: "GET /orders",
        "transaction.duration": expect.closeTo(100, 1),
        timestamp: new Date(T0 + HOUR + 100_000).toISOString(),
        project: org.projectSlug,
      },
      expect.objectContaining({ id: expect.stringMatching(/^[0-9a-f]{32}$/), "transaction.duration": expect.closeTo(99, 1) }),
    ]);
    const latest = await get(`${base}&sort=-timestamp`, org.token);
    // The checkouts' hour is the latest; its samples come first.
    expect(latest.json.data[0].transaction).toBe("POST /checkout");
    expect(latest.json.data.at(-1).transaction).toBe("GET /orders");
    expect(latest.json.meta.fields).toMatchObject({ "transaction.duration": "duration", timestamp: "date" });
    expect((await get(`${base}&field=count()`, org.token)).json.detail).toMatch(
      /^field: "count\(\)" cannot be asked with per-transaction fields/,
    );
  });
});

describe("the Performance table from the recent totals", () => {
  const NOW = Date.UTC(2026, 10, 25, 12, 30);
  const NAMES = ["GET /orders", "GET /orders/:id", "POST /checkout", "/cart"];

  /** Transactions of four names, two environments and releases, in hours `hoursAgo` before NOW; pageloads with LCP. */
  function recentMessages(projectId: number, hoursAgo: number[]) {
    return hoursAgo.flatMap((h) =>
      NAMES.flatMap((name, n) =>
        [1, 2, 3].map((k) => {
          const end = NOW - h * HOUR + n * 60_000 + k * 1000;
          const durationMs = 20 * (n + 1) * k + h * 7;
          const options = {
            name,
            durationMs,
            end,
            status: (h + k) % 5 === 0 ? ("error" as const) : ("ok" as const),
            environment: k === 3 ? "staging" : "production",
            release: h % 2 === 0 ? "shop@1" : "shop@2",
          };
          const envelope =
            name === "/cart"
              ? segmentEnvelope({ ...options, op: "pageload", vitals: { lcp: 800 + h * 10 + k } })
              : segmentEnvelope(options);
          return ingestMessage(projectId, envelope, at(end));
        }),
      ),
    );
  }

  it("reads them when fewer hourly rows are added or taken out than the window holds, and never for max()", () => {
    const since = recentStartAt(NOW);
    const fields = ["count()", "p95()"].map(transactionField);
    const window = (start: number, end: number) => ({ start, end, interval: HOUR });
    expect(readsRecentTotals(since, window(since, since + 25 * HOUR), fields)).toBe(true);
    expect(readsRecentTotals(since, window(since - 6 * 24 * HOUR, since + 25 * HOUR), fields)).toBe(true);
    expect(readsRecentTotals(null, window(since, since + 25 * HOUR), fields)).toBe(false);
    expect(readsRecentTotals(since, window(since, since + 25 * HOUR), [...fields, transactionField("max()")])).toBe(false);
    // The last hour: 23 hours to take out against 2 to read.
    expect(readsRecentTotals(since, window(since + 23 * HOUR, since + 25 * HOUR), fields)).toBe(false);
    expect(readsRecentTotals(since, window(since - 48 * HOUR, since), fields)).toBe(false);
  });

  it("answers every window and sort exactly as the hourly rows do", async () => {
    const org = await seedOrganization();
    const other = await seedProjectIn(org.orgId, "zz-recent");
    await env.DB.batch([env.DB.prepare("DELETE FROM transaction_recent_since"), env.DB.prepare("DELETE FROM transaction_recent_rollups")]);
    try {
      // Some hours before the totals are first built, more after (the digest adds to them), one an hour dated after a window.
      await digest([...recentMessages(org.projectId, [40, 30, 24, 23, 10]), ...recentMessages(other, [24, 3])]);
      await advanceRecentTransactions(env.DB, NOW);
      await digest([...recentMessages(org.projectId, [26, 24, 12, 2, 0]), ...recentMessages(other, [25, 1])]);
      const since = recentStartAt(NOW);
      const windows = [
        [since, since + 25 * HOUR], // the last 24 hours
        [since + 2 * HOUR, since + 25 * HOUR],
        [since - 3 * HOUR, since + 25 * HOUR],
        [since + HOUR, since + 20 * HOUR],
        [since - 6 * 24 * HOUR, since + 25 * HOUR],
      ];
      const table = [
        "transaction",
        "transaction.op",
        "project",
        "project.id",
        "count()",
        "tpm()",
        "p50()",
        "p95()",
        "p99()",
        "failure_rate()",
        "apdex()",
        "p75(measurements.lcp)",
        "avg(transaction.duration)",
      ];
      const queries = [
        { field: table, sort: "-tpm()" },
        { field: table, sort: "-p95()" },
        { field: table, sort: "p50()", per_page: "2", cursor: "0:2:0" },
        { field: table, sort: "-p75(measurements.lcp)" },
        { field: table, sort: "-count()", query: "transaction:*orders*" },
        { field: table, sort: "-failure_rate()", environment: "staging" },
        { field: ["release", "count()", "p95()", "apdex()"], sort: "-p95()" },
        { field: ["transaction", "count()", "p75()"], sort: "-count()", query: 'transaction:"POST /checkout"' },
        { field: table, sort: "-count()", per_page: "3", cursor: "0:3:0" },
        { field: table, sort: "apdex()", query: "!transaction.op:pageload orders" },
        { field: ["release", "environment", "count()", "failure_rate()", "p95()"], sort: "-failure_rate()" },
        { field: ["project", "count()", "p95()"], sort: "count()", query: "!transaction:[/cart, GET*]" },
      ];
      // What a table sorted in SQL must answer: the groups of a sort by a percentile (read and
      // sorted in the function), sorted by the field, ties by their group fields, then paged.
      const groupFields = new Set(["transaction", "transaction.op", "project", "project.id", "release", "environment"]);
      const sortedInFunction = (rows: Array<Record<string, string | number>>, q: Record<string, unknown>) => {
        const field = String(q.sort).replace(/^-/, "");
        const direction = String(q.sort).startsWith("-") ? -1 : 1;
        const keys = (q.field as string[]).filter((f) => groupFields.has(f));
        const offset = q.cursor === undefined ? 0 : Number(String(q.cursor).split(":")[1]);
        const sorted = [...rows].sort(
          (a, b) =>
            direction * (Number(a[field]) - Number(b[field])) ||
            compareKeys(
              keys.map((k) => a[k]!),
              keys.map((k) => b[k]!),
            ),
        );
        return sorted.slice(offset, offset + Number(q.per_page ?? 50));
      };
      // At the test's clock, long past NOW, the start is read before the rows; at NOW, where the
      // minute job's start is the one kept, beside them.
      for (const [clock, [start, end]] of [null, NOW].flatMap((t) => windows.map((w) => [t, w] as const))) {
        if (clock === null) vi.useRealTimers();
        else vi.useFakeTimers({ toFake: ["Date"], now: clock });
        for (const q of queries) {
          const params = new URLSearchParams({
            dataset: "transactions",
            start: new Date(start!).toISOString(),
            end: new Date(end!).toISOString(),
          });
          for (const [k, v] of Object.entries(q)) for (const value of [v].flat()) params.append(k, value);
          const path = `/organizations/${org.orgSlug}/events/?${params}`;
          const reads: Array<{ sql: string; args: unknown[] }> = [];
          const recent = await getRecording(path, org.token, reads);
          expect(
            reads.some((r) => r.sql.includes("transaction_recent_rollups")),
            path,
          ).toBe(true);
          await env.DB.prepare("DELETE FROM transaction_recent_since").run();
          const hourly = await get(path, org.token);
          await env.DB.prepare("INSERT INTO transaction_recent_since (id, hour) VALUES (1, ?)").bind(since).run();
          expect(recent.status, path).toBe(200);
          expect(hourly.json.data.length, path).toBeGreaterThan(0);
          // Sums of durations taken out again may differ in their last bits; everything else is exact.
          const avg = "avg(transaction.duration)";
          const exact = (rows: Array<Record<string, unknown>>) => rows.map((r) => ({ ...r, [avg]: null }));
          expect(exact(recent.json.data), path).toEqual(exact(hourly.json.data));
          recent.json.data.forEach((r: Record<string, number>, i: number) => {
            if (r[avg] !== undefined) expect(r[avg]).toBeCloseTo(hourly.json.data[i][avg], 6);
          });
          expect(recent.link, path).toBe(hourly.link);
          if (q.field === table && q.sort === "-p95()") {
            // Each group as the function merges its rows when a search names them.
            for (const row of recent.json.data) {
              const one = new URLSearchParams(params);
              one.set("query", `transaction:"${row.transaction}"`);
              const named = await get(`/organizations/${org.orgSlug}/events/?${one}`, org.token);
              const same = named.json.data.find((r: any) => r["transaction.op"] === row["transaction.op"] && r.project === row.project);
              expect(exact([row]), path).toEqual(exact([same]));
            }
          }
          if (!/p\d|lcp/.test(q.sort)) {
            const everyGroup = new URLSearchParams(params);
            everyGroup.set(
              "sort",
              q.field.find((f) => /^p\d+\(\)$/.test(f))!,
            );
            everyGroup.set("per_page", "100");
            everyGroup.delete("cursor");
            const full = await get(`/organizations/${org.orgSlug}/events/?${everyGroup}`, org.token);
            expect(full.status, JSON.stringify(full.json)).toBe(200);
            expect(exact(recent.json.data), path).toEqual(exact(sortedInFunction(full.json.data, q)));
          }
        }
      }
    } finally {
      vi.useRealTimers();
      await env.DB.batch([
        env.DB.prepare("DELETE FROM transaction_recent_since"),
        env.DB.prepare("DELETE FROM transaction_recent_rollups"),
      ]);
    }
  });

  it("answers from one state when the totals are first built between the start's read and the rows'", async () => {
    const org = await seedOrganization();
    await env.DB.batch([env.DB.prepare("DELETE FROM transaction_recent_since"), env.DB.prepare("DELETE FROM transaction_recent_rollups")]);
    vi.useFakeTimers({ toFake: ["Date"], now: NOW });
    try {
      await digest(recentMessages(org.projectId, [3, 2]));
      const path = `/organizations/${org.orgSlug}/events/?dataset=transactions&field=transaction&field=count()&sort=-count()&statsPeriod=24h`;
      const expected = (await get(path, org.token)).json.data;
      expect(expected).toHaveLength(NAMES.length);
      // The rows' statement runs before the minute job first builds the totals, the start's read after.
      let rowsRead: () => void = () => undefined;
      const rowsDone = new Promise<void>((resolve) => (rowsRead = resolve));
      const db = env.DB;
      const racing = new Proxy(db, {
        get(target, prop) {
          if (prop !== "prepare") {
            const value = Reflect.get(target, prop, target);
            return typeof value === "function" ? value.bind(target) : value;
          }
          return (sql: string) => {
            const statement = target.prepare(sql);
            if (sql === "SELECT hour FROM transaction_recent_since WHERE id = 1")
              return {
                first: async () => {
                  await rowsDone;
                  await advanceRecentTransactions(db, NOW);
                  return statement.first();
                },
              };
            if (!sql.includes("transaction_recent_rollups")) return statement;
            return {
              bind: (...args: unknown[]) => {
                const bound = statement.bind(...args);
                return { all: async () => bound.all().finally(() => rowsRead()) };
              },
            };
          };
        },
      });
      const ctx = createExecutionContext();
      const res = await apiApp.fetch(
        new Request(`http://dashboard.test/api/0${path}`, { headers: { authorization: `Bearer ${org.token}` } }),
        { ...env, DB: racing },
        ctx,
      );
      await waitOnExecutionContext(ctx);
      expect(((await res.json()) as any).data).toEqual(expected);
    } finally {
      vi.useRealTimers();
      await env.DB.batch([
        env.DB.prepare("DELETE FROM transaction_recent_since"),
        env.DB.prepare("DELETE FROM transaction_recent_rollups"),
      ]);
    }
  });
});

describe("the Performance table of a group with more sketch text than SQLite holds in one value", () => {
  it("merges its rows one by one instead, sorted by a percentile or paged in SQL", async () => {
    const org = await seedOrganization();
    // 6 hours of 150 releases with 800-bucket sketches: about 8 MB joined, over SQLite's limit for one text.
    const sketch = JSON.stringify(Object.fromEntries(Array.from({ length: 800 }, (_, i) => [String(i + 1), 1])));
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 900)
       INSERT INTO transaction_rollups (project_id, hour, name, op, environment, release, count, failures, satisfied, tolerated,
         duration_sum, sketch, slowest_ms, slowest_trace_id, slowest_span_id, latest_at, latest_trace_id, latest_span_id)
       SELECT ?1, ?2 + (i % 6) * ${HOUR}, 'GET /orders', 'http.server', 'production', 'shop@' || (i / 6), 800, 0, 800, 0, 800, ?3, 1, '', '', 0, '', ''
       FROM n`,
    )
      .bind(org.projectId, T0, sketch)
      .run();
    const base = `/organizations/${org.orgSlug}/events/?dataset=transactions&field=transaction&field=count()&field=p95()&${WINDOW}`;
    // A search for the exact name merges the rows one by one in any case.
    const named = (await get(`${base}&query=${encodeURIComponent('transaction:"GET /orders"')}`, org.token)).json.data;
    expect(named).toEqual([{ transaction: "GET /orders", "count()": 900 * 800, "p95()": expect.any(Number) }]);
    for (const sort of ["-p95()", "-count()"]) {
      const res = await get(`${base}&sort=${sort}`, org.token);
      expect(res.status, sort).toBe(200);
      expect(res.json.data, sort).toEqual(named);
    }
  });
});
