import { describe, expect, it } from "vitest";
import { parseEnvelope, parseItemJson } from "../../../../protocol/parse-envelope";
import { decodeSpanTree } from "../../../../protocol/span-tree";
import { prepareTransaction } from "../../../../queue-consumer/digest/items/transaction/prepare-transaction";
import { TraceRefused } from "../../../../queue-consumer/digest/items/transaction/prepared-trace";
import djangoError from "../../../fixtures/python/django/django-2.envelope?raw";

// Debian's python3-sentry-sdk 1.9.10 with Django: GET /sentry-debug/ (two queries, then 1 / 0).
function djangoTransaction(): Record<string, unknown> {
  const item = parseEnvelope(new TextEncoder().encode(djangoError)).items.find((i) => i.type === "transaction")!;
  return parseItemJson(item) as Record<string, unknown>;
}

const received = Date.parse("2026-12-07T13:29:43Z");
const ctx = { projectId: 7, eventId: "f5210e7ad74246aab27786f696589f67", receivedAt: received };

describe("prepareTransaction", () => {
  it("reads a Django transaction: name, op, status, duration and its span tree", async () => {
    const t = prepareTransaction(djangoTransaction(), ctx);
    expect(t).toMatchObject({
      kind: "transaction",
      projectId: 7,
      traceId: "d034d05782da48dda9f973f6eaa4dc44",
      spanId: "963df31d3c3521eb",
      parentSpanId: "acfa75391bb943cf",
      eventId: "f5210e7ad74246aab27786f696589f67",
      name: "/sentry-debug/",
      op: "http.server",
      status: "internal_error",
      environment: "production",
      release: "shop@2.0.0",
      spanCount: 8,
      dropped: [],
    });
    expect(t.durationMs).toBeCloseTo(741.453, 2);
    expect(t.endedAt).toBe(Date.parse("2026-12-07T13:29:42.781Z") + 0.276);
    const tree = (await decodeSpanTree(t.tree))!;
    expect(tree.spans[0]).toMatchObject({ span_id: "963df31d3c3521eb", op: "http.server", description: "/sentry-debug/" });
    const query = tree.spans.find((s) => s.description === "SELECT %s + %s")!;
    expect(query).toMatchObject({ op: "db", parent_span_id: "a08970a928feadc1", status: "unknown" });
    // The view's span carries the status the SDK put in its tags; the http span its request, never headers.
    expect(tree.spans.find((s) => s.op === "django.view")!.status).toBe("internal_error");
    expect(tree.spans.find((s) => s.op === "http")!.data).toMatchObject({ method: "POST", status_code: 200 });
  });

  it("refuses what Relay refuses, naming why", () => {
    const refused = (change: (t: Record<string, unknown>) => void) => {
      const t = djangoTransaction();
      change(t);
      try {
        prepareTransaction(t, ctx);
      } catch (err) {
        expect(err).toBeInstanceOf(TraceRefused);
        expect((err as TraceRefused).reason).toBe("invalid_transaction");
        return (err as Error).message;
      }
      return "kept";
    };
    expect(refused((t) => delete (t.contexts as Record<string, unknown>).trace)).toBe("missing valid trace context");
    expect(refused((t) => ((t.contexts as { trace: Record<string, unknown> }).trace.trace_id = "nope"))).toBe(
      "trace context is missing trace_id",
    );
    expect(refused((t) => delete (t.contexts as { trace: Record<string, unknown> }).trace.span_id)).toBe(
      "trace context is missing span_id",
    );
    expect(refused((t) => delete t.start_timestamp)).toBe("start_timestamp hard-required for transaction events");
    expect(refused((t) => delete t.timestamp)).toBe("timestamp hard-required for transaction events");
    expect(refused((t) => (t.timestamp = "2026-12-07T13:29:41Z"))).toBe("end timestamp is smaller than start timestamp");
    expect(refused((t) => (t.start_timestamp = "2026-12-05T13:29:41Z"))).toBe("transaction lasts more than 24 hours");
    expect(refused((t) => (t.timestamp = 1e13))).toBe("timestamp: timestamp out of range");
    expect(refused(() => undefined)).toBe("kept");
    expect(() => prepareTransaction([], ctx)).toThrow(TraceRefused);
  });

  it("moves every time of a transaction from a clock that is off, keeping its duration", async () => {
    const t = djangoTransaction();
    const later = received + 10 * 24 * 3600 * 1000 * 4; // 40 days after the SDK's clock
    const prepared = prepareTransaction(t, { ...ctx, receivedAt: later });
    expect(prepared.endedAt).toBeCloseTo(later, 3);
    expect(prepared.durationMs).toBeCloseTo(741.453, 2);
    const tree = (await decodeSpanTree(prepared.tree))!;
    expect(tree.spans[0]!.timestamp * 1000).toBeCloseTo(later, 3);
    expect(tree.spans.every((s) => s.start_timestamp * 1000 > later - 1000)).toBe(true);
  });

  it("leaves out spans it cannot use and counts them; 10,000 spans keep the first 1,000", async () => {
    const t = djangoTransaction();
    const [first] = t.spans as Array<Record<string, unknown>>;
    const spans: unknown[] = [
      { ...first, span_id: undefined },
      { ...first, span_id: "aaaaaaaaaaaaaaa1", timestamp: "2026-12-07T13:29:42.0Z" }, // ends before it starts
      { ...first, span_id: "aaaaaaaaaaaaaaa2", start_timestamp: "2026-12-05T13:29:42.0Z" }, // over 24 hours
      "not a span",
    ];
    for (let i = 0; i < 10_000; i += 1) spans.push({ ...first, span_id: `c${i.toString(16).padStart(15, "0")}` });
    t.spans = spans;
    const prepared = prepareTransaction(t, ctx);
    expect(prepared.spanCount).toBe(1000);
    expect(prepared.dropped).toEqual([
      { reason: "invalid_span", count: 4 },
      { reason: "too_many_spans", count: 9000 },
    ]);
    const tree = (await decodeSpanTree(prepared.tree))!;
    expect(tree.spans).toHaveLength(1001);
    expect(tree.dropped).toEqual(prepared.dropped);
  });

  it("cuts a parent chain that loops, so the tree has a root", async () => {
    const t = djangoTransaction();
    const [first] = t.spans as Array<Record<string, unknown>>;
    t.spans = [
      { ...first, span_id: "aaaaaaaaaaaaaaa1", parent_span_id: "aaaaaaaaaaaaaaa2" },
      { ...first, span_id: "aaaaaaaaaaaaaaa2", parent_span_id: "aaaaaaaaaaaaaaa1" },
      { ...first, span_id: "aaaaaaaaaaaaaaa3", parent_span_id: "aaaaaaaaaaaaaaa3" },
    ];
    const tree = (await decodeSpanTree(prepareTransaction(t, ctx).tree))!;
    const parents = Object.fromEntries(tree.spans.map((s) => [s.span_id, s.parent_span_id]));
    expect(parents.aaaaaaaaaaaaaaa3).toBe("963df31d3c3521eb");
    // The loop is cut at one of its two spans, which now hangs from the root; the other hangs from it.
    const cut = parents.aaaaaaaaaaaaaaa1 === "963df31d3c3521eb" ? "aaaaaaaaaaaaaaa1" : "aaaaaaaaaaaaaaa2";
    const other = cut === "aaaaaaaaaaaaaaa1" ? "aaaaaaaaaaaaaaa2" : "aaaaaaaaaaaaaaa1";
    expect(parents[cut]).toBe("963df31d3c3521eb");
    expect(parents[other]).toBe(cut);
  });

  it("reads Web Vitals from measurements", () => {
    const t = djangoTransaction();
    t.measurements = { lcp: { value: 1234.5, unit: "millisecond" }, cls: { value: 0.12 }, fid: { value: 3 }, ttfb: { value: "x" } };
    expect(prepareTransaction(t, ctx).vitals).toEqual([
      ["lcp", 1234.5],
      ["cls", 0.12],
    ]);
  });
});
