import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { RELATIVE_ACCURACY, parseSketch, sketchCount, sketchQuantile } from "../../../../protocol/duration-sketch";
import { decodeSpanTree } from "../../../../protocol/span-tree";
import djangoError from "../../../fixtures/python/django/django-1.json?raw";
import djangoTransaction from "../../../fixtures/python/django/django-2.envelope?raw";
import { sdkEnvelopes } from "../../../support/fixtures";
import { seedProject } from "../../../support/seed";
import { digest, hex, ingestMessage, segmentEnvelope, transactionEnvelope } from "../../../support/transaction-envelopes";

interface Rollup {
  name: string;
  op: string;
  environment: string;
  release: string;
  count: number;
  failures: number;
  satisfied: number;
  tolerated: number;
  duration_sum: number;
  sketch: string;
  slowest_ms: number;
  slowest_trace_id: string;
  latest_trace_id: string;
}

async function rollups(projectId: number): Promise<Rollup[]> {
  const { results } = await env.DB.prepare("SELECT * FROM transaction_rollups WHERE project_id = ? ORDER BY name, op")
    .bind(projectId)
    .all<Rollup>();
  return results;
}

async function itemCount(projectId: number, type: string): Promise<number> {
  const row = await env.DB.prepare("SELECT sum(count) AS n FROM item_counts WHERE project_id = ? AND item_type = ?")
    .bind(projectId, type)
    .first<{ n: number | null }>();
  return row?.n ?? 0;
}

describe("transaction statements", () => {
  it("stores a Django transaction: its index row, its rollup, and its span tree in R2", async () => {
    const { projectId } = await seedProject();
    await digest([ingestMessage(projectId, djangoTransaction, { receivedAt: Date.parse("2026-12-07T13:29:43Z") })]);
    const item = await env.DB.prepare("SELECT * FROM trace_items WHERE project_id = ?").bind(projectId).first<Record<string, unknown>>();
    expect(item).toMatchObject({
      trace_id: "d034d05782da48dda9f973f6eaa4dc44",
      span_id: "963df31d3c3521eb",
      kind: "transaction",
      event_id: "f5210e7ad74246aab27786f696589f67",
      name: "/sentry-debug/",
      op: "http.server",
      status: "internal_error",
      span_count: 8,
    });
    const [rollup] = await rollups(projectId);
    expect(rollup).toMatchObject({
      name: "/sentry-debug/",
      op: "http.server",
      environment: "production",
      release: "shop@2.0.0",
      count: 1,
      failures: 1,
    });
    // 741 ms against the default threshold of 300 ms: tolerated (up to 4T), not satisfied.
    expect(rollup).toMatchObject({ satisfied: 0, tolerated: 1, slowest_trace_id: "d034d05782da48dda9f973f6eaa4dc44" });
    expect(sketchQuantile(parseSketch(rollup!.sketch), 0.5)! / 741.453).toBeCloseTo(1, 1);

    const object = await env.RAW.get(item!.body_key as string, {
      range: { offset: item!.body_offset as number, length: item!.body_length as number },
    });
    const tree = (await decodeSpanTree(await object!.arrayBuffer()))!;
    expect(tree.spans).toHaveLength(9);
    expect(tree.transaction).toBe("/sentry-debug/");
    expect(await itemCount(projectId, "transaction")).toBe(1);
  });

  it("counts a segment span exactly like a transaction", async () => {
    const { projectId } = await seedProject();
    await digest([ingestMessage(projectId, sdkEnvelopes.nodeSpans, { receivedAt: 1795306129_000 })]);
    expect(await rollups(projectId)).toMatchObject([
      {
        name: "acceptance-node-transaction",
        op: "task",
        environment: "acceptance",
        release: "acceptance@1.0.0",
        count: 1,
        failures: 0,
        satisfied: 1,
      },
    ]);
    expect(await itemCount(projectId, "transaction")).toBe(1);
    expect(await itemCount(projectId, "span")).toBe(2);
  });

  it("answers known percentiles within 1%, and counts exactly after redelivery and resending", async () => {
    const { projectId } = await seedProject();
    const end = Date.now() - (Date.now() % 3_600_000) + 1_000; // all in one hour
    const durations = Array.from({ length: 300 }, (_, i) => (i + 1) * 5 + 1); // 6 .. 1501 ms
    const envelopes = durations.map((d, i) =>
      i % 2 === 0
        ? segmentEnvelope({ name: "GET /orders", durationMs: d, end: end + i, status: i % 10 === 0 ? "error" : "ok", children: 2 })
        : transactionEnvelope({ name: "GET /orders", durationMs: d, end: end + i, status: i % 10 === 1 ? "cancelled" : "ok" }),
    );
    // Three batches, the second delivered twice (Queues redelivers), the third a resend of the first envelopes.
    const first = envelopes.slice(0, 150).map((e) => ingestMessage(projectId, e));
    const second = envelopes.slice(150).map((e) => ingestMessage(projectId, e));
    await digest(first.slice(0, 100));
    await digest([...first.slice(100), ...second.slice(0, 50)]);
    await digest(second.slice(50));
    await digest(second.slice(50));
    await digest(envelopes.slice(0, 100).map((e) => ingestMessage(projectId, e)));

    const rows = (await rollups(projectId)).filter((r) => r.name === "GET /orders");
    const total = rows.reduce((n, r) => n + r.count, 0);
    expect(total).toBe(300);
    const sketch = rows.reduce(
      (s, r) => {
        for (const [k, v] of Object.entries(parseSketch(r.sketch))) s[k] = (s[k] ?? 0) + v;
        return s;
      },
      {} as Record<string, number>,
    );
    expect(sketchCount(sketch)).toBe(300);
    for (const q of [0.5, 0.75, 0.95, 0.99]) {
      const exact = durations[Math.ceil(q * 300 - 1e-9) - 1]!;
      expect(Math.abs(sketchQuantile(sketch, q)! - exact) / exact).toBeLessThanOrEqual(RELATIVE_ACCURACY);
    }
    // Failures: the segments sent with status error (i % 10 == 0); cancelled is not a failure.
    expect(rows.reduce((n, r) => n + r.failures, 0)).toBe(30);
    // Apdex at T = 300 ms: 6..296 satisfied (59), 301..1196 tolerated (180).
    expect(rows.reduce((n, r) => n + r.satisfied, 0)).toBe(59);
    expect(rows.reduce((n, r) => n + r.tolerated, 0)).toBe(180);
    expect(rows.reduce((n, r) => n + r.duration_sum, 0)).toBeCloseTo(
      durations.reduce((a, b) => a + b, 0),
      1,
    );
    expect(Math.max(...rows.map((r) => r.slowest_ms))).toBeCloseTo(1501, 1);
    const { n } = (await env.DB.prepare("SELECT count(*) AS n FROM trace_items WHERE project_id = ?")
      .bind(projectId)
      .first<{ n: number }>())!;
    expect(n).toBe(300);
    expect(await itemCount(projectId, "transaction")).toBe(300);
  });

  it("uses the project's Apdex threshold", async () => {
    const { projectId } = await seedProject();
    await env.DB.prepare("UPDATE projects SET apdex_threshold_ms = 1000 WHERE id = ?").bind(projectId).run();
    await digest([700, 1200, 5000].map((d) => ingestMessage(projectId, segmentEnvelope({ durationMs: d }))));
    expect(await rollups(projectId)).toMatchObject([{ count: 3, satisfied: 1, tolerated: 1 }]);
  });

  it("keeps Web Vitals per transaction, from segment attributes and from measurements", async () => {
    const { projectId } = await seedProject();
    await digest([
      ingestMessage(projectId, segmentEnvelope({ name: "/checkout", op: "pageload", durationMs: 900, vitals: { lcp: 2500, cls: 0.1 } })),
      ingestMessage(projectId, segmentEnvelope({ name: "/checkout", op: "pageload", durationMs: 800, vitals: { lcp: 1500 } })),
      ingestMessage(projectId, transactionEnvelope({ name: "/checkout", durationMs: 700, measurements: { lcp: 3500, fcp: 400 } })),
    ]);
    const { results } = await env.DB.prepare(
      "SELECT vital, sum(count) AS count, sum(value_sum) AS total FROM transaction_vital_rollups WHERE project_id = ? GROUP BY vital ORDER BY vital",
    )
      .bind(projectId)
      .all();
    expect(results).toEqual([
      { vital: "cls", count: 1, total: 0.1 },
      { vital: "fcp", count: 1, total: 400 },
      { vital: "lcp", count: 3, total: 7500 },
    ]);
  });

  it("joins an error to its trace, once however often it is delivered", async () => {
    const { projectId } = await seedProject();
    const store = (id: string) => ingestMessage(projectId, djangoError, { kind: "store", eventId: id });
    await digest([store("824feed77d1d43acaed902116e5c604a"), ingestMessage(projectId, djangoTransaction)]);
    await digest([store("824feed77d1d43acaed902116e5c604a")]);
    const { results } = await env.DB.prepare("SELECT trace_id, event_id, span_id, issue_id FROM trace_errors WHERE project_id = ?")
      .bind(projectId)
      .all();
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({
      trace_id: "d034d05782da48dda9f973f6eaa4dc44",
      event_id: "824feed77d1d43acaed902116e5c604a",
      span_id: "a0b011ec71a4909c",
    });
    expect(results[0]!.issue_id).toBeGreaterThan(0);
  });

  it("records what it refuses and leaves out, and writes the rest of the batch", async () => {
    const { projectId } = await seedProject();
    const bad = transactionEnvelope({ durationMs: 10, traceId: "nope" });
    const good = ingestMessage(projectId, segmentEnvelope({ durationMs: 10 }));
    const refused = ingestMessage(projectId, bad);
    const tooLong = ingestMessage(projectId, segmentEnvelope({ durationMs: 25 * 3_600_000 }));
    const many = ingestMessage(projectId, segmentEnvelope({ durationMs: 50, children: 1200 }));
    await digest([good, refused, tooLong, many]);
    const { results } = await env.DB.prepare(
      "SELECT message_id, reason, detail FROM rejected_envelopes WHERE project_id = ? ORDER BY reason",
    )
      .bind(projectId)
      .all();
    expect(results).toEqual([
      { message_id: tooLong.id, reason: "invalid_span", detail: "span item 0: left out 1 spans (invalid_span)" },
      { message_id: refused.id, reason: "invalid_transaction", detail: "transaction item 0: trace context is missing trace_id" },
      { message_id: many.id, reason: "too_many_spans", detail: "span item 0: left out 201 spans (too_many_spans)" },
    ]);
    // The good one, and the one with too many spans (its first 1,000 kept).
    expect(await rollups(projectId)).toMatchObject([{ count: 2 }]);
    const { spans } = (await env.DB.prepare("SELECT max(span_count) AS spans FROM trace_items WHERE project_id = ?")
      .bind(projectId)
      .first<{ spans: number }>())!;
    expect(spans).toBe(999);
  });

  it("retries the whole batch when its span trees cannot be stored, writing nothing", async () => {
    const { projectId } = await seedProject();
    const failing = { put: async () => Promise.reject(new Error("R2 unavailable")), get: env.RAW.get.bind(env.RAW) } as unknown as R2Bucket;
    await digest([ingestMessage(projectId, segmentEnvelope({ traceId: hex(32), durationMs: 10 }))], { RAW: failing });
    expect(await rollups(projectId)).toEqual([]);
  });
});
