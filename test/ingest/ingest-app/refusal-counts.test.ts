import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { seedProject } from "../../support/seed";
import { BASE, envelopeUrl, post, smallEvent } from "../../support/ingest-requests";

async function refusalRows(projectId: number) {
  const { results } = await env.DB.prepare("SELECT reason, count, status, detail FROM ingest_refusals WHERE project_id = ? ORDER BY reason")
    .bind(projectId)
    .all<{ reason: string; count: number; status: number; detail: string }>();
  return results;
}

/** Waits for the counts written after the answers (ctx.waitUntil, a second after the first refusal). */
function waitForRefusals(projectId: number, total: number) {
  return vi.waitFor(
    async () => {
      const rows = await refusalRows(projectId);
      const counted = rows.reduce((n, r) => n + r.count, 0);
      if (counted < total) throw new Error(`${counted} of ${total} refusals counted`);
      return rows;
    },
    { timeout: 15_000, interval: 100 },
  );
}

describe("refusals for content are counted per project and reason", () => {
  it("counts 400s and 413s of requests with a key of the project, and keeps no body", async () => {
    const key = await seedProject();
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post(envelopeUrl(key), "{not json}\n")).status);
    statuses.push((await post(envelopeUrl(key), "definitely not gzip", { "content-encoding": "gzip" })).status);
    statuses.push((await post(`${BASE}/api/${key.projectId}/store/?sentry_key=${key.publicKey}`, "%%% not an event %%%")).status);
    const big = JSON.stringify({ message: "x".repeat(1_048_577) });
    statuses.push((await post(`${BASE}/api/${key.projectId}/store/?sentry_key=${key.publicKey}`, big)).status);
    expect(statuses).toEqual([400, 400, 400, 400, 400, 413]);

    expect(await waitForRefusals(key.projectId, 6)).toEqual([
      { reason: "bad_compression", count: 1, status: 400, detail: "body is not valid gzip data" },
      { reason: "item_too_large", count: 1, status: 413, detail: "event exceeds 1048576 bytes" },
      { reason: "malformed_envelope", count: 3, status: 400, detail: expect.any(String) },
      { reason: "malformed_event", count: 1, status: 400, detail: "event is neither JSON nor base64" },
    ]);
    const columns = await env.DB.prepare("SELECT name FROM pragma_table_info('ingest_refusals')").all<{ name: string }>();
    expect(columns.results.map((c) => c.name)).not.toContain("body");
  });

  it("counts nothing for requests that authenticated to no project, nor refusals that are not about content", async () => {
    const key = await seedProject({ rateLimitPerMinute: 1 });
    // No key, an unknown key, a key in a body that cannot be read: no project to count for.
    expect((await post(`${BASE}/api/${key.projectId}/envelope/`, "{not json}\n")).status).toBe(400);
    expect((await post(`${BASE}/api/${key.projectId}/envelope/?sentry_key=ffffffffffffffffffffffffffffffff`, "{not json}\n")).status).toBe(
      401,
    );
    // Rate limited (429) and a key of another project (403).
    expect((await post(envelopeUrl(key), smallEvent)).status).toBe(200);
    expect((await post(envelopeUrl(key), smallEvent)).status).toBe(429);
    const other = await seedProject();
    expect((await post(`${BASE}/api/${key.projectId}/envelope/?sentry_key=${other.publicKey}`, "{not json}\n")).status).toBe(403);
    // One counted refusal, to know the flush has run.
    expect((await post(envelopeUrl(key), "{not json}\n")).status).toBe(400);
    expect((await waitForRefusals(key.projectId, 1)).map((r) => [r.reason, r.count])).toEqual([["malformed_envelope", 1]]);
    expect(await refusalRows(other.projectId)).toEqual([]);
  });
});
