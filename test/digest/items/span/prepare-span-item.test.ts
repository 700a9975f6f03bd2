import { describe, expect, it } from "vitest";
import { type EnvelopeItem, parseEnvelope } from "../../../../protocol/parse-envelope";
import { decodeSpanTree } from "../../../../protocol/span-tree";
import { prepareSpanItem } from "../../../../queue-consumer/digest/items/span/prepare-span-item";
import { TraceRefused } from "../../../../queue-consumer/digest/items/transaction/prepared-trace";
import { sdkEnvelopes } from "../../../support/fixtures";

const encoder = new TextEncoder();

function spanItem(envelope: string): { item: EnvelopeItem; trace: Record<string, unknown> } {
  const parsed = parseEnvelope(encoder.encode(envelope));
  return { item: parsed.items.find((i) => i.type === "span")!, trace: parsed.header.trace as Record<string, unknown> };
}

function itemOf(spans: unknown[]): EnvelopeItem {
  return {
    type: "span",
    header: { type: "span", item_count: spans.length, content_type: "application/vnd.sentry.items.span.v2+json" },
    payload: encoder.encode(JSON.stringify({ version: 2, items: spans })),
  };
}

const node = spanItem(sdkEnvelopes.nodeSpans);
const browser = spanItem(sdkEnvelopes.browserSpans);
const receivedAt = 1795306129_000;
const ctx = (trace: Record<string, unknown> | undefined) => ({ projectId: 3, receivedAt, envelopeTrace: trace });

function nodeSpans(): Array<Record<string, unknown>> {
  return (JSON.parse(new TextDecoder().decode(node.item.payload)) as { items: Array<Record<string, unknown>> }).items;
}

describe("prepareSpanItem", () => {
  it("reads @sentry/node's segment span as a transaction with its child", async () => {
    const { traces, dropped } = prepareSpanItem(node.item, ctx(node.trace));
    expect(dropped).toEqual([]);
    expect(traces).toHaveLength(1);
    const [t] = traces;
    expect(t).toMatchObject({
      kind: "segment",
      traceId: "f905e8cc5e734dfe8e3c6e7eb651b917",
      spanId: "ae640aa55ead3838",
      name: "acceptance-node-transaction",
      op: "task",
      status: "ok",
      environment: "acceptance",
      release: "acceptance@1.0.0",
      spanCount: 1,
      eventId: null,
    });
    expect(t!.durationMs).toBeCloseTo(8.1197, 3);
    const tree = (await decodeSpanTree(t!.tree))!;
    expect(tree.spans.map((s) => [s.span_id, s.parent_span_id, s.op, s.description])).toEqual([
      ["ae640aa55ead3838", null, "task", "acceptance-node-transaction"],
      ["9b9a0f507e537864", "ae640aa55ead3838", "db.query", "SELECT 1"],
    ]);
    // The user's attributes are not kept.
    expect(JSON.stringify(tree)).not.toContain("jane");
  });

  it("reads @sentry/browser's pageload with its Web Vitals and a failed status", () => {
    const { traces } = prepareSpanItem(browser.item, ctx(browser.trace));
    expect(traces).toHaveLength(1);
    expect(traces[0]).toMatchObject({ kind: "segment", name: "Pageload", op: "pageload", status: "internal_error", spanCount: 12 });
    expect(Object.fromEntries(traces[0]!.vitals)).toEqual({ fcp: 188, ttfb: 144.29999999998836 });
  });

  it("keeps the children of a segment sent in another envelope as a group for its trace", async () => {
    const [child] = nodeSpans();
    const vital = {
      ...child,
      span_id: "1111111111111111",
      name: "largest contentful paint",
      attributes: {
        "sentry.segment.id": { type: "string", value: "ae640aa55ead3838" },
        "sentry.segment.name": { type: "string", value: "acceptance-node-transaction" },
        "sentry.pageload.span_id": { type: "string", value: "ae640aa55ead3838" },
        "browser.web_vital.lcp.value": { type: "double", value: 2100 },
      },
    };
    const { traces } = prepareSpanItem(itemOf([child, vital]), ctx(node.trace));
    expect(traces).toHaveLength(1);
    expect(traces[0]).toMatchObject({
      kind: "spans",
      spanId: "9b9a0f507e537864",
      parentSpanId: "ae640aa55ead3838",
      name: "acceptance-node-transaction",
      op: "pageload",
      spanCount: 2,
      vitals: [["lcp", 2100]],
    });
    const tree = (await decodeSpanTree(traces[0]!.tree))!;
    expect(tree.segment_id).toBe("ae640aa55ead3838");
  });

  it("leaves out spans without ids or with impossible times, and spans past 1,000", () => {
    const [child, segment] = nodeSpans();
    const bad = [
      { ...child, span_id: "xyz" },
      { ...child, span_id: "2222222222222222", trace_id: undefined },
      { ...child, span_id: "3333333333333333", end_timestamp: (child!.start_timestamp as number) - 1 },
      { ...child, span_id: "4444444444444444", end_timestamp: (child!.start_timestamp as number) + 90_000 },
    ];
    const many = Array.from({ length: 10_000 }, (_, i) => ({ ...child, span_id: `c${i.toString(16).padStart(15, "0")}` }));
    const { traces, dropped } = prepareSpanItem(itemOf([segment, ...bad, ...many]), ctx(node.trace));
    expect(dropped).toEqual([
      { reason: "too_many_spans", count: 9001 },
      { reason: "invalid_span", count: 4 },
    ]);
    expect(traces).toHaveLength(1);
    expect(traces[0]!.spanCount).toBe(999);
  });

  it("cuts parent chains that loop", async () => {
    const [child, segment] = nodeSpans();
    const loop = [
      { ...child, span_id: "5555555555555555", parent_span_id: "6666666666666666", attributes: {} },
      { ...child, span_id: "6666666666666666", parent_span_id: "5555555555555555", attributes: {} },
    ];
    const { traces } = prepareSpanItem(itemOf([segment, ...loop]), ctx(node.trace));
    // Without a segment id, and with no segment up their (looping) chain, they form a group.
    expect(traces.map((t) => t.kind).sort()).toEqual(["segment", "spans"]);
    const group = traces.find((t) => t.kind === "spans")!;
    const tree = (await decodeSpanTree(group.tree))!;
    expect(tree.spans.filter((s) => s.parent_span_id === null)).toHaveLength(1);
  });

  it("refuses a payload that is not a span v2 container", () => {
    const item = { ...itemOf([]), payload: encoder.encode('{"spans": []}') };
    expect(() => prepareSpanItem(item, ctx(undefined))).toThrow(TraceRefused);
  });
});
