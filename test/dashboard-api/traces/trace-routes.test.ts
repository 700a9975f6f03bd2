import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { apiApp } from "../../../dashboard/api/api-app";
import { MAX_DEPTH } from "../../../dashboard/api/traces/build-trace";
import djangoError from "../../fixtures/python/django/django-1.json?raw";
import djangoTransaction from "../../fixtures/python/django/django-2.envelope?raw";
import { sdkEnvelopes } from "../../support/fixtures";
import { seedOrganization, seedProjectIn } from "../../support/seed-issues";
import { digest, hex, ingestMessage, segmentEnvelope } from "../../support/transaction-envelopes";

const DJANGO_TRACE = "d034d05782da48dda9f973f6eaa4dc44";
const DJANGO_RECEIVED = Date.parse("2026-12-07T13:29:43Z");

async function get(path: string, token: string) {
  const ctx = createExecutionContext();
  const res = await apiApp.fetch(
    new Request(`http://dashboard.test/api/0${path}`, { headers: { authorization: `Bearer ${token}` } }),
    env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: res.status, json: (await res.json()) as any };
}

/** Every span node of a trace answer, depth first. */
function flatten(nodes: any[]): any[] {
  return nodes.flatMap((n) => [n, ...flatten(n.children ?? [])]);
}

function depth(nodes: any[]): number {
  return nodes.length === 0 ? 0 : 1 + Math.max(...nodes.map((n) => depth(n.children ?? [])));
}

describe("GET /organizations/{org}/trace/{trace_id}/", () => {
  it("answers a Django request's transaction, its spans nested, and the error raised inside it", async () => {
    const org = await seedOrganization();
    await digest([
      ingestMessage(org.projectId, djangoError, {
        kind: "store",
        eventId: "824feed77d1d43acaed902116e5c604a",
        receivedAt: DJANGO_RECEIVED,
      }),
      ingestMessage(org.projectId, djangoTransaction, { receivedAt: DJANGO_RECEIVED }),
    ]);
    const res = await get(`/organizations/${org.orgSlug}/trace/${DJANGO_TRACE}/?timestamp=${DJANGO_RECEIVED / 1000}`, org.token);
    expect(res.status).toBe(200);
    expect(res.json).toHaveLength(1);
    const [root] = res.json;
    expect(root).toMatchObject({
      event_type: "transaction",
      event_id: "f5210e7ad74246aab27786f696589f67",
      span_id: "963df31d3c3521eb",
      parent_span_id: "acfa75391bb943cf",
      project_slug: org.projectSlug,
      is_transaction: true,
      transaction: "/sentry-debug/",
      op: "http.server",
      status: "internal_error",
    });
    expect(root.duration).toBeCloseTo(741.453, 2);
    const view = root.children.find((c: any) => c.op === "django.view");
    expect(view.children.map((c: any) => c.description)).toEqual(["connect", "SELECT 1", "SELECT %s + %s"]);
    expect(flatten(res.json)).toHaveLength(9);
    // The error is on the span it happened in, with its issue.
    const signal = root.children.find((c: any) => c.span_id === "a0b011ec71a4909c");
    expect(signal.errors).toEqual([
      expect.objectContaining({
        event_type: "error",
        event_id: "824feed77d1d43acaed902116e5c604a",
        title: "ZeroDivisionError: division by zero",
        level: "error",
      }),
    ]);
    expect(signal.errors[0].issue).toMatch(/^[A-Z0-9-]+-[0-9A-Z]+$/);
  });

  it("joins transactions of several projects and spans sent apart from their segment", async () => {
    const org = await seedOrganization();
    const backend = await seedProjectIn(org.orgId, "zz-backend");
    const traceId = hex(32);
    const rootSpan = hex(16);
    const end = Date.now();
    const frontend = segmentEnvelope({ traceId, spanId: rootSpan, name: "/checkout", op: "pageload", durationMs: 900, end });
    // The backend's transaction is a child of the pageload.
    const backendTx = segmentEnvelope({ traceId, name: "POST /api/pay", durationMs: 300, end: end - 100 }).replace(
      `"is_segment":true`,
      `"is_segment":true,"parent_span_id":"${rootSpan}"`,
    );
    // A span of the pageload sent in an envelope of its own.
    const [header, , payload] = sdkEnvelopes.nodeSpans.split("\n");
    const [child] = JSON.parse(payload!).items;
    const late = {
      ...child,
      trace_id: traceId,
      span_id: hex(16),
      parent_span_id: rootSpan,
      name: "late span",
      start_timestamp: end / 1000 - 0.5,
      end_timestamp: end / 1000 - 0.4,
      attributes: { "sentry.segment.id": { type: "string", value: rootSpan } },
    };
    const lateEnvelope = `${header}\n{"type":"span","item_count":1,"content_type":"application/vnd.sentry.items.span.v2+json"}\n${JSON.stringify({ version: 2, items: [late] })}\n`;
    await digest([ingestMessage(org.projectId, frontend), ingestMessage(backend, backendTx)]);
    await digest([ingestMessage(org.projectId, lateEnvelope)]);

    const res = await get(`/organizations/${org.orgSlug}/trace/${traceId}/`, org.token);
    expect(res.json).toHaveLength(1);
    const [root] = res.json;
    expect(root).toMatchObject({ transaction: "/checkout", project_slug: org.projectSlug, is_transaction: true });
    // Sorted by start: the late span began 500 ms before the end, the backend's call 400 ms before.
    expect(root.children.map((c: any) => [c.name, c.project_slug, c.is_transaction])).toEqual([
      ["late span", org.projectSlug, false],
      ["POST /api/pay", "zz-backend", true],
    ]);
    // Another organization cannot read it; a malformed id is a 400.
    const stranger = await seedOrganization();
    expect((await get(`/organizations/${stranger.orgSlug}/trace/${traceId}/`, stranger.token)).json).toEqual([]);
    expect((await get(`/organizations/${org.orgSlug}/trace/${traceId}/`, stranger.token)).status).toBe(404);
    expect(await get(`/organizations/${org.orgSlug}/trace/not-a-trace/`, org.token)).toEqual({
      status: 400,
      json: { detail: "trace_id: 32 hexadecimal digits" },
    });
  });

  it("draws loops and chains deeper than it can nest as a tree", async () => {
    const org = await seedOrganization();
    const traceId = hex(32);
    const segment = hex(16);
    const end = Date.now();
    const [header, , payload] = sdkEnvelopes.nodeSpans.split("\n");
    const [child] = JSON.parse(payload!).items;
    // A chain of 300 spans, each the parent of the next, under the segment; then two spans in a loop, sent apart.
    const ids = Array.from({ length: 300 }, () => hex(16));
    const chain = ids.map((id, i) => ({
      ...child,
      trace_id: traceId,
      span_id: id,
      parent_span_id: i === 0 ? segment : ids[i - 1],
      start_timestamp: end / 1000 - 1 + i / 1000,
      end_timestamp: end / 1000 - 0.5,
      attributes: { "sentry.segment.id": { type: "string", value: segment } },
    }));
    const seg = segmentEnvelope({ traceId, spanId: segment, durationMs: 2000, end });
    const withChain = seg
      .replace(/"items":\[(.*)\]\}\n$/, (_m, items) => `"items":[${items},${chain.map((s) => JSON.stringify(s)).join(",")}]}\n`)
      .replace('"item_count":1', '"item_count":301');
    const [a, b] = [hex(16), hex(16)];
    const loop = [a, b].map((id, i) => ({ ...child, trace_id: traceId, span_id: id, parent_span_id: i === 0 ? b : a, attributes: {} }));
    const loopEnvelope = `${header}\n{"type":"span","item_count":2,"content_type":"application/vnd.sentry.items.span.v2+json"}\n${JSON.stringify({ version: 2, items: loop })}\n`;
    await digest([ingestMessage(org.projectId, withChain), ingestMessage(org.projectId, loopEnvelope)]);

    const res = await get(`/organizations/${org.orgSlug}/trace/${traceId}/`, org.token);
    expect(res.status).toBe(200);
    const all = flatten(res.json);
    expect(all).toHaveLength(303);
    expect(depth(res.json)).toBeLessThanOrEqual(MAX_DEPTH + 1);
    // Two roots: the segment, and the span where the loop was cut (the other hangs from it).
    expect(res.json[0].span_id === segment || res.json[1].span_id === segment).toBe(true);
    expect([a, b]).toContain(res.json.find((n: any) => n.span_id !== segment).span_id);
    expect(res.json.length).toBe(2);
  });
});
