import { SELF, createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Env } from "../../../protocol/env";
import { ingestApp } from "../../../worker/ingest-app";
import { parseEnvelope } from "../../../protocol/parse-envelope";
import { type IngestMessage, ingestMessageSchema } from "../../../protocol/ingest-message";
import {
  CRASH_EVENT_ID,
  breadcrumbFiles,
  buildMinidump,
  crashScopeEvent,
  crashpadUpload,
  encodeMsgpack,
  multipart,
} from "../../support/crashpad-upload";
import { type SeededKey, seedProject } from "../../support/seed";
import { BASE, callApp, recordingQueue, gzip, waitForRows, envelope } from "../../support/ingest-requests";

describe("the minidump endpoint (crashpad, Breakpad, sentry-native's crashpad backend)", () => {
  // What crashpad posts to: sentry-native's minidump URL names the key and the client in the query.
  const minidumpUrl = (key: SeededKey, path = "minidump/", query = `?sentry_key=${key.publicKey}&sentry_client=sentry.native/0.9.1`) =>
    `${BASE}/api/${key.projectId}/${path}${query}`;
  const crashId = CRASH_EVENT_ID.replaceAll("-", "");

  /** Like callApp, for an answer that is plain text. */
  async function upload(url: string, init: RequestInit, overrides: Partial<Env> = {}) {
    const res = await ingestApp.fetch(new Request(url, { method: "POST", ...init }), { ...env, ...overrides }, createExecutionContext());
    return { res, status: res.status, text: await res.text() };
  }

  function queuedEnvelope(message: IngestMessage | undefined) {
    return parseEnvelope(message?.body ?? new Uint8Array());
  }

  it("answers 200 with the crash's event id as text, and queues the envelope an SDK would have sent", async () => {
    const key = await seedProject();
    const { queue, sent } = recordingQueue();
    const minidump = buildMinidump();
    const { body, contentType } = crashpadUpload(minidump);
    const { res, status, text } = await upload(
      minidumpUrl(key),
      { body, headers: { "content-type": contentType, "user-agent": "Crashpad/0.8.0" } },
      { EVENTS: queue, INLINE_BODY_MAX_BYTES: "10000000" },
    );
    expect(status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    // The id sentry-native gave the crash: the one it can show the user, and the same when crashpad retries.
    expect(text).toBe(crashId);
    expect(sent).toHaveLength(1);
    const message = sent[0]?.message;
    expect(() => ingestMessageSchema.parse(message)).not.toThrow();
    expect(message).toMatchObject({
      kind: "envelope",
      projectId: key.projectId,
      keyId: key.keyId,
      eventId: crashId,
      userAgent: "Crashpad/0.8.0",
    });
    const envelope = queuedEnvelope(message);
    expect(envelope.header).toEqual({ event_id: crashId });
    expect(envelope.items.map((i) => [i.type, i.header.filename, i.header.attachment_type])).toEqual([
      ["attachment", "8f2d0c4e-1b3a-4c5d-9e8f-7a6b5c4d3e2f.dmp", "event.minidump"],
      ["attachment", "__sentry-event", "event.payload"],
      ["attachment", "__sentry-breadcrumb1", "event.breadcrumbs"],
      ["attachment", "__sentry-breadcrumb2", "event.breadcrumbs"],
      ["attachment", "game.log", "event.attachment"],
      ["form_data", undefined, undefined],
    ]);
    // Every file byte for byte.
    expect(envelope.items[0]?.payload).toEqual(minidump);
    expect(envelope.items[1]?.payload).toEqual(encodeMsgpack(crashScopeEvent));
    expect(envelope.items[3]?.payload).toEqual(breadcrumbFiles.second);
    expect(new TextDecoder().decode(envelope.items[4]?.payload)).toBe("frame 1\nframe 2\n");
    expect(JSON.parse(new TextDecoder().decode(envelope.items[5]?.payload))).toEqual([["guid", "3f1b6c1e2f0a4b59a8c7d6e5f4a3b2c1"]]);
  });

  it("takes a minidump sent as the whole body, at the path without a trailing slash, with X-Sentry-Auth", async () => {
    const key = await seedProject();
    const { queue, sent } = recordingQueue();
    const minidump = buildMinidump();
    const { status, text } = await upload(
      minidumpUrl(key, "minidump", ""),
      {
        body: minidump,
        headers: { "content-type": "application/octet-stream", "x-sentry-auth": `Sentry sentry_key=${key.publicKey}, sentry_version=7` },
      },
      { EVENTS: queue },
    );
    expect(status).toBe(200);
    expect(text).toMatch(/^[0-9a-f]{32}$/);
    expect(sent[0]?.message.eventId).toBe(text);
    const envelope = queuedEnvelope(sent[0]?.message);
    expect(envelope.header).toEqual({ event_id: text });
    expect(envelope.items).toHaveLength(1);
    expect(envelope.items[0]?.header).toMatchObject({ type: "attachment", filename: "Minidump", attachment_type: "event.minidump" });
    expect(envelope.items[0]?.payload).toEqual(minidump);
  });

  it("decodes a gzip'd upload, as crashpad compresses it", async () => {
    const key = await seedProject();
    const { queue, sent } = recordingQueue();
    const { body, contentType } = crashpadUpload();
    const { status, text } = await upload(
      minidumpUrl(key),
      { body: await gzip(body), headers: { "content-type": contentType, "content-encoding": "gzip" } },
      { EVENTS: queue },
    );
    expect(status).toBe(200);
    expect(text).toBe(crashId);
    expect(queuedEnvelope(sent[0]?.message).items).toHaveLength(6);
  });

  it("answers 400 missing_minidump for an upload without upload_file_minidump", async () => {
    const key = await seedProject();
    const { queue, sent } = recordingQueue();
    const { body, contentType } = multipart([
      { name: "__sentry-event", filename: "__sentry-event", bytes: encodeMsgpack(crashScopeEvent) },
    ]);
    const { status, text } = await upload(minidumpUrl(key), { body, headers: { "content-type": contentType } }, { EVENTS: queue });
    expect(status).toBe(400);
    expect(JSON.parse(text).reason).toBe("missing_minidump");
    expect(sent).toHaveLength(0);
  });

  it("answers 400 invalid_minidump for a minidump without the MDMP magic, in a form or alone", async () => {
    const key = await seedProject();
    const { queue, sent } = recordingQueue();
    const notADump = new TextEncoder().encode("ZZZZ this is a text file, not a dump");
    const { body, contentType } = crashpadUpload(notADump);
    const inForm = await upload(minidumpUrl(key), { body, headers: { "content-type": contentType } }, { EVENTS: queue });
    expect(inForm.status).toBe(400);
    expect(JSON.parse(inForm.text).reason).toBe("invalid_minidump");
    const alone = await upload(
      minidumpUrl(key),
      { body: notADump, headers: { "content-type": "application/octet-stream" } },
      { EVENTS: queue },
    );
    expect(alone.status).toBe(400);
    expect(JSON.parse(alone.text).reason).toBe("invalid_minidump");
    expect(sent).toHaveLength(0);
  });

  it("answers 400 invalid_multipart for a form body that is not one", async () => {
    const key = await seedProject();
    const { status, text } = await upload(
      minidumpUrl(key),
      { body: "no boundary anywhere", headers: { "content-type": "multipart/form-data; boundary=xyz" } },
      { EVENTS: recordingQueue().queue },
    );
    expect(status).toBe(400);
    expect(JSON.parse(text).reason).toBe("invalid_multipart");
  });

  it("answers 401 without a key, before reading the body", async () => {
    const key = await seedProject();
    const { queue, sent } = recordingQueue();
    // 16 MiB, a chunk at a time: read, it would be pulled to the end.
    const chunk = new Uint8Array(1024 * 1024);
    chunk.set(buildMinidump());
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled === 16) return controller.close();
        pulled += 1;
        controller.enqueue(chunk);
      },
    });
    const { status, text } = await upload(
      minidumpUrl(key, "minidump/", ""),
      { body, headers: { "content-type": "application/octet-stream" } },
      { EVENTS: queue },
    );
    expect(status).toBe(401);
    expect(JSON.parse(text).reason).toBe("missing_auth");
    expect(sent).toHaveLength(0);
    expect(pulled).toBeLessThan(4);
    const unknown = await upload(
      `${BASE}/api/${key.projectId}/minidump/?sentry_key=ffffffffffffffffffffffffffffffff`,
      { body: buildMinidump() },
      { EVENTS: queue },
    );
    expect(unknown.status).toBe(401);
  });

  it("counts a crash against the key's rate limit and answers 429 past it, enqueueing nothing more", async () => {
    const key = await seedProject({ rateLimitPerMinute: 1 });
    const { queue, sent } = recordingQueue();
    const { body, contentType } = crashpadUpload();
    const answers = [];
    for (let i = 0; i < 3; i++)
      answers.push(await upload(minidumpUrl(key), { body, headers: { "content-type": contentType } }, { EVENTS: queue }));
    // A minute boundary may fall inside the loop; then the window restarts once.
    const limited = answers.find((a) => a.status === 429);
    expect(limited).toBeDefined();
    expect(JSON.parse(limited?.text ?? "{}").reason).toBe("rate_limited");
    expect(limited?.res.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(limited?.res.headers.get("x-sentry-rate-limits")?.split(":")[1]?.split(";")).toContain("error");
    expect(sent).toHaveLength(answers.filter((a) => a.status === 200).length);
  });

  it("answers 413 past the body limit, decompressed, as for envelopes", async () => {
    const key = await seedProject();
    const { body, contentType } = crashpadUpload(buildMinidump());
    const { status, text } = await upload(
      minidumpUrl(key),
      { body: await gzip(body), headers: { "content-type": contentType, "content-encoding": "gzip" } },
      { EVENTS: recordingQueue().queue, MAX_BODY_BYTES: "1000" },
    );
    expect(status).toBe(413);
    expect(JSON.parse(text).reason).toBe("body_too_large");
  });

  it("answers 405 for GET", async () => {
    const key = await seedProject();
    expect((await SELF.fetch(minidumpUrl(key))).status).toBe(405);
  });

  it("delivers the crash through the queue to an issue: the SDK's scope, the crash named from the minidump, the minidump in R2", async () => {
    const key = await seedProject();
    const minidump = buildMinidump({ code: 0xc0000005, parameters: [0n, 0x10n], writtenAt: Math.floor(Date.now() / 1000) - 30 });
    const { body, contentType } = crashpadUpload(minidump);
    const res = await SELF.fetch(minidumpUrl(key), { method: "POST", body, headers: { "content-type": contentType } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(crashId);
    // The event, and the minidump and game.log as stored items; the scope event, the breadcrumb
    // files and the form fields are in the (scrubbed) event, not kept beside it.
    const rows = await waitForRows(key.projectId, 3);
    expect(rows.map((r) => r.item_type).sort()).toEqual(["attachment", "attachment", "event"]);
    expect(rows.filter((r) => r.item_type === "event")).toEqual([
      expect.objectContaining({ event_id: crashId, title: "Fatal Error: EXCEPTION_ACCESS_VIOLATION_READ" }),
    ]);

    const issue = await env.DB.prepare("SELECT title, level, platform, first_release FROM issues WHERE project_id = ?")
      .bind(key.projectId)
      .first();
    expect(issue).toEqual({
      title: "Fatal Error: EXCEPTION_ACCESS_VIOLATION_READ",
      level: "fatal",
      platform: "native",
      first_release: "game@2.4.1",
    });
    const row = await env.DB.prepare("SELECT release, environment, user_key, data FROM events WHERE project_id = ? AND event_id = ?")
      .bind(key.projectId, crashId)
      .first<{ data: ArrayBuffer }>();
    expect(row).toMatchObject({ release: "game@2.4.1", environment: "production", user_key: "id:player-77" });
    const data = JSON.parse(
      await new Response(new Blob([new Uint8Array(row!.data)]).stream().pipeThrough(new DecompressionStream("gzip"))).text(),
    );
    expect(data).toMatchObject({
      platform: "native",
      level: "fatal",
      user: { id: "player-77", username: "ada" },
      contexts: { gpu: { name: "Radeon RX 6800" } },
      exception: {
        values: [{ type: "EXCEPTION_ACCESS_VIOLATION_READ", mechanism: { type: "minidump", handled: false, synthetic: true } }],
      },
    });
    expect(data.breadcrumbs.values.map((b: { message: string }) => b.message)).toEqual(["loading harbor", "loaded harbor", "pressed jump"]);
    expect(data.tags).toEqual(
      expect.arrayContaining([
        ["renderer", "vulkan"],
        ["map", "harbor"],
      ]),
    );

    const stored = await env.DB.prepare("SELECT body_key FROM stored_items WHERE project_id = ? AND event_id = ? AND item_index = 0")
      .bind(key.projectId, crashId)
      .first<{ body_key: string }>();
    const object = await env.RAW.get(stored?.body_key ?? "");
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(minidump);
  });

  it("delivers a truncated minidump too: Relay's placeholder, and the bytes kept", async () => {
    const key = await seedProject();
    const truncated = buildMinidump().subarray(0, 60);
    const res = await SELF.fetch(minidumpUrl(key), {
      method: "POST",
      body: truncated,
      headers: { "content-type": "application/octet-stream" },
    });
    expect(res.status).toBe(200);
    const id = await res.text();
    const rows = await waitForRows(key.projectId, 2);
    expect(rows.find((r) => r.item_type === "event")).toMatchObject({ event_id: id, title: "Invalid Minidump" });
    const issue = await env.DB.prepare("SELECT level, platform FROM issues WHERE project_id = ?").bind(key.projectId).first();
    expect(issue).toEqual({ level: "fatal", platform: "native" });
    const attachment = rows.find((r) => r.item_type === "attachment");
    expect(new Uint8Array(await (await env.RAW.get(attachment?.body_key ?? ""))!.arrayBuffer())).toEqual(truncated);
  });
});
