// Symbolication through the digest, with maps uploaded through the API as sentry-cli uploads them.
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { readEventData } from "../../../../protocol/event-data";
import type { IngestMessage } from "../../../../protocol/ingest-message";
import { digestEvents } from "../../../../queue-consumer/digest/digest-events";
import { DEBUG_ID, debugIdBundle, releaseUrlBundle, uploadBundle } from "../../../support/artifact-bundles";
import { seedOrganization, seedProjectIn } from "../../../support/seed-issues";

const APP = "http://localhost:5000/app.min.js";
let counter = 0;

/** What @sentry/browser sends for the fixture app's error (frames oldest first), as V8 reports the injected build. */
function browserEnvelope(options: { release?: string; dist?: string; debugIds?: boolean; lineOffset?: number; path?: string } = {}) {
  counter += 1;
  const eventId = (Date.now() * 1000 + counter).toString(16).padStart(32, "0");
  const path = options.path ?? APP;
  const line = 4 - (options.lineOffset ?? 0);
  const event = {
    event_id: eventId,
    platform: "javascript",
    timestamp: Date.now() / 1000,
    release: options.release,
    dist: options.dist,
    sdk: { name: "sentry.javascript.browser", version: "11.12.0" },
    exception: {
      values: [
        {
          type: "Error",
          value: "bad config line: broken",
          mechanism: { type: "onerror", handled: false },
          stacktrace: {
            frames: [
              { filename: path, abs_path: path, function: "?", lineno: line, colno: 152, in_app: true },
              { filename: path, abs_path: path, function: "i", lineno: line, colno: 147, in_app: true },
              { filename: path, abs_path: path, function: "e", lineno: line, colno: 62, in_app: true },
            ],
          },
        },
      ],
    },
    ...(options.debugIds === false ? {} : { debug_meta: { images: [{ type: "sourcemap", code_file: APP, debug_id: DEBUG_ID }] } }),
  };
  const body = `${JSON.stringify({ event_id: eventId })}\n${JSON.stringify({ type: "event" })}\n${JSON.stringify(event)}\n`;
  return { eventId, body };
}

async function digestOne(projectId: number, body: string) {
  const bytes = new TextEncoder().encode(body);
  const batch = createMessageBatch<IngestMessage>("events", [
    {
      id: `sourcemaps-${counter}`,
      timestamp: new Date(),
      attempts: 1,
      body: {
        v: 1,
        kind: "envelope",
        projectId,
        keyId: 1,
        receivedAt: Date.now(),
        clientIp: null,
        userAgent: "test",
        eventId: null,
        size: bytes.byteLength,
        body: bytes,
      },
    },
  ]);
  const ctx = createExecutionContext();
  await digestEvents(batch as MessageBatch<unknown>, env);
  return getQueueResult(batch, ctx);
}

async function storedEvent(projectId: number, eventId: string) {
  const row = await env.DB.prepare(
    "SELECT e.data, i.title, i.culprit, i.grouping FROM events e JOIN issues i ON i.id = e.issue_id WHERE e.project_id = ? AND e.event_id = ?",
  )
    .bind(projectId, eventId)
    .first<{ data: ArrayBuffer; title: string; culprit: string; grouping: string }>();
  if (row === null) throw new Error(`event ${eventId} was not stored`);
  const { data } = await readEventData(row.data);
  return { data: data as any, title: row.title, culprit: row.culprit, grouping: JSON.parse(row.grouping) };
}

describe("source maps in the digest", () => {
  it("an event of an uploaded build is stored with its original frames, and its issue names the original code", async () => {
    const org = await seedOrganization();
    await uploadBundle(org, debugIdBundle(), { projects: [org.projectSlug] });
    const { eventId, body } = browserEnvelope();
    const result = await digestOne(org.projectId, body);
    expect(result.explicitAcks).toHaveLength(1);
    const stored = await storedEvent(org.projectId, eventId);
    const exception = stored.data.exception.values[0];
    expect(exception.stacktrace.frames.at(-1)).toMatchObject({
      filename: "../app/src/config.js",
      function: "parseConfig",
      lineno: 6,
      context_line: "      throw new Error(`bad config line: ${key}`);",
    });
    expect(exception.raw_stacktrace.frames.at(-1)).toMatchObject({ function: "e", lineno: 4, colno: 62 });
    expect(stored.title).toBe("Error: bad config line: broken");
    expect(stored.culprit).toBe("app/src/config in parseConfig");
    expect(stored.data.culprit).toBe("app/src/config in parseConfig");
    // Grouped on the original code: its functions and source lines, not e and i.
    expect(JSON.stringify(stored.grouping)).toContain('"function":"parseConfig"');
    expect(JSON.stringify(stored.grouping)).not.toContain('"function":"e"');
  });

  it("finds files by release, dist and URL for builds without debug ids", async () => {
    const org = await seedOrganization();
    await uploadBundle(org, releaseUrlBundle(), { projects: [org.projectSlug], version: "1.0.0", dist: "web1" });
    const { eventId, body } = browserEnvelope({
      release: "1.0.0",
      dist: "web1",
      debugIds: false,
      lineOffset: 2,
      path: "https://shop.example.com/dist/app.min.js",
    });
    await digestOne(org.projectId, body);
    const stored = await storedEvent(org.projectId, eventId);
    expect(stored.data.exception.values[0].stacktrace.frames.at(-1)).toMatchObject({ function: "parseConfig", lineno: 6 });
    expect(stored.data.errors).toBeUndefined();

    const other = browserEnvelope({
      release: "1.0.1",
      dist: "web1",
      debugIds: false,
      lineOffset: 2,
      path: "https://shop.example.com/dist/app.min.js",
    });
    await digestOne(org.projectId, other.body);
    const unmapped = await storedEvent(org.projectId, other.eventId);
    expect(unmapped.data.errors).toEqual([
      { type: "js_no_source", url: "https://shop.example.com/dist/app.min.js", release: "1.0.1", dist: "web1" },
    ]);
  });

  it("marks the bundles it maps frames with as used, at most once a day, by debug id and by release", async () => {
    const org = await seedOrganization();
    await uploadBundle(org, debugIdBundle(), { projects: [org.projectSlug] });
    await uploadBundle(org, releaseUrlBundle(), { projects: [org.projectSlug], version: "1.0.0", dist: "web1" });
    const lastUsed = async () =>
      (
        await env.DB.prepare("SELECT release, last_used_at FROM artifact_bundles WHERE organization_id = ? ORDER BY id")
          .bind(org.orgId)
          .all<{ release: string | null; last_used_at: number | null }>()
      ).results.map((r) => r.last_used_at);

    // Uploaded today: no write.
    await digestOne(org.projectId, browserEnvelope().body);
    expect(await lastUsed()).toEqual([null, null]);

    const longAgo = Date.now() - 40 * 86_400_000;
    await env.DB.prepare("UPDATE artifact_bundles SET date_added = ? WHERE organization_id = ?").bind(longAgo, org.orgId).run();
    const before = Date.now();
    await digestOne(org.projectId, browserEnvelope().body);
    const [byDebugId, byRelease] = await lastUsed();
    expect(byDebugId).toBeGreaterThanOrEqual(before);
    expect(byRelease).toBeNull();

    const path = "https://shop.example.com/dist/app.min.js";
    await digestOne(org.projectId, browserEnvelope({ release: "1.0.0", dist: "web1", debugIds: false, lineOffset: 2, path }).body);
    expect((await lastUsed())[1]).toBeGreaterThanOrEqual(before);
  });

  it("uses only the project's own bundles: another project's upload leaves the event minified, saying so", async () => {
    const org = await seedOrganization();
    await seedProjectIn(org.orgId, "other-app");
    await uploadBundle(org, debugIdBundle(), { projects: ["other-app"] });
    const { eventId, body } = browserEnvelope();
    await digestOne(org.projectId, body);
    const stored = await storedEvent(org.projectId, eventId);
    expect(stored.data.exception.values[0].stacktrace.frames.at(-1)).toMatchObject({ function: "e", lineno: 4 });
    // No bundle at all in this project: nothing was looked up, nothing to say.
    expect(stored.data.errors).toBeUndefined();
  });

  it("a map missing from R2 never fails the batch: the event is stored minified and says why", async () => {
    const org = await seedOrganization();
    await uploadBundle(org, debugIdBundle(), { projects: [org.projectSlug] });
    const { results } = await env.DB.prepare(
      "SELECT f.object_key FROM artifact_bundle_files f JOIN artifact_bundles b ON b.id = f.artifact_bundle_id WHERE b.organization_id = ? AND f.file_type = 'source_map'",
    )
      .bind(org.orgId)
      .all<{ object_key: string }>();
    await env.RAW.delete(results.map((r) => r.object_key));
    const { eventId, body } = browserEnvelope();
    const result = await digestOne(org.projectId, body);
    expect(result.explicitAcks).toHaveLength(1);
    const stored = await storedEvent(org.projectId, eventId);
    expect(stored.data.exception.values[0].stacktrace.frames.at(-1)).toMatchObject({ function: "e" });
    expect(stored.data.errors).toEqual([{ type: "js_generic_fetch_error", url: "http://localhost:5000/app.min.js.map" }]);
  });
});
