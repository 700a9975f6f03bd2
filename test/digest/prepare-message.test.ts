import { describe, expect, it } from "vitest";
import { prepareMessage } from "../../queue-consumer/digest/prepare-message";
import type { IngestMessage } from "../../protocol/ingest-message";
import { minidumpEnvelope } from "../../worker/minidump-envelope";
import { breadcrumbFiles, buildMinidump, crashScopeEvent, encodeMsgpack } from "../support/crashpad-upload";

const encoder = new TextEncoder();

function ingestMessage(body: Uint8Array, eventId: string | null = null): IngestMessage {
  return {
    v: 1,
    kind: "envelope",
    projectId: 1,
    keyId: 1,
    receivedAt: Date.now(),
    clientIp: null,
    userAgent: null,
    eventId,
    size: body.byteLength,
    body: body as Uint8Array<ArrayBuffer>,
  };
}

async function prepare(body: Uint8Array, eventId: string | null = null) {
  const stored = new Map<string, Uint8Array>();
  const prepared = await prepareMessage(ingestMessage(body, eventId), body, {
    messageId: "m-1",
    scrub: { enabled: true, extraKeys: [] },
    storeBlob: async (key, bytes) => void stored.set(key, bytes),
  });
  return { prepared, stored };
}

/** The envelope ingest makes of a crashpad upload. */
function crashpadEnvelope(minidump: Uint8Array, payload: Uint8Array = encodeMsgpack(crashScopeEvent)) {
  const file = (field: string, bytes: Uint8Array) => ({ field, filename: field, contentType: "application/octet-stream", bytes });
  return minidumpEnvelope({
    files: [
      file("upload_file_minidump", minidump),
      file("__sentry-event", payload),
      file("__sentry-breadcrumb1", breadcrumbFiles.first),
      file("__sentry-breadcrumb2", breadcrumbFiles.second),
    ],
    fields: [["guid", "3f1b6c1e"]],
  });
}

describe("prepareMessage", () => {
  it("keeps a small item without the request body around it: a client report beside a 5 MB screenshot", async () => {
    const report = '{"timestamp":1764000000,"discarded_events":[{"reason":"queue_overflow","category":"error","quantity":1}]}';
    const screenshot = new Uint8Array(5 * 1024 * 1024).fill(0x89);
    const head = encoder.encode(
      `{"event_id":"0123456789abcdef0123456789abcdef"}\n{"type":"client_report","length":${report.length}}\n${report}\n{"type":"attachment","length":${screenshot.byteLength},"filename":"screenshot.png"}\n`,
    );
    const body = new Uint8Array(head.byteLength + screenshot.byteLength + 1);
    body.set(head);
    body.set(screenshot, head.byteLength);
    body[body.byteLength - 1] = 0x0a;

    const stored = new Map<string, Uint8Array>();
    const prepared = await prepareMessage(ingestMessage(body), body, {
      messageId: "m-1",
      scrub: { enabled: true, extraKeys: [] },
      storeBlob: async (key, bytes) => void stored.set(key, bytes),
    });

    const [kept, attachment] = prepared.items;
    expect(kept).toMatchObject({ itemType: "client_report", bodyKey: null });
    expect(new TextDecoder().decode(kept!.payload!)).toBe(report);
    // Its own bytes, not a view of the 5 MB body: a batch of such messages must not hold every body until it is written.
    expect(kept!.payload!.buffer.byteLength).toBe(report.length);
    expect(attachment).toMatchObject({ itemType: "attachment", payload: null, bodyKey: "items/1/m-1/1" });
    expect(stored.get("items/1/m-1/1")?.byteLength).toBe(screenshot.byteLength);
  });

  it("makes an event of a minidump envelope, through normalize, scrub and grouping, and keeps the minidump as an attachment", async () => {
    const minidump = buildMinidump({ code: 0xc0000005, parameters: [1n, 0x20n], writtenAt: Math.floor(Date.now() / 1000) - 5 });
    const { eventId, envelope } = crashpadEnvelope(minidump);
    const { prepared, stored } = await prepare(envelope, eventId);

    expect(prepared.rejections).toEqual([]);
    expect(prepared.events).toHaveLength(1);
    const { event, grouping } = prepared.events[0]!;
    expect(event).toMatchObject({
      eventId,
      platform: "native",
      level: "fatal",
      release: "game@2.4.1",
      environment: "production",
      type: "error",
      title: "Fatal Error: EXCEPTION_ACCESS_VIOLATION_WRITE",
    });
    expect(event.data.exception).toMatchObject({
      values: [{ type: "EXCEPTION_ACCESS_VIOLATION_WRITE", mechanism: { type: "minidump", handled: false, synthetic: true } }],
    });
    expect((event.data.breadcrumbs as { values: unknown[] }).values).toHaveLength(3);
    expect(event.data.extra).toEqual({ guid: "3f1b6c1e" });
    expect(event.tags).toEqual(
      expect.arrayContaining([
        ["handled", "no"],
        ["mechanism", "minidump"],
        ["level", "fatal"],
        ["map", "harbor"],
      ]),
    );
    expect(grouping.variant).toBe("exception");

    // The scope event, the breadcrumb files and the form fields are in the event, scrubbed: no
    // unscrubbed copy of them is kept beside it.
    expect(prepared.items.map((i) => [i.itemType, i.eventId, i.bodyKey])).toEqual([["attachment", eventId, "items/1/m-1/0"]]);
    expect([...stored.keys()]).toEqual(["items/1/m-1/0"]);
    expect(stored.get("items/1/m-1/0")).toEqual(minidump);
  });

  it("still makes an event of a minidump it cannot read, or an event payload it cannot decode", async () => {
    const garbage = new TextEncoder().encode("MDMP this is not really a minidump");
    const { eventId, envelope } = crashpadEnvelope(garbage, new TextEncoder().encode("not msgpack"));
    const { prepared, stored } = await prepare(envelope, eventId);
    expect(prepared.rejections).toEqual([]);
    expect(prepared.events[0]?.event).toMatchObject({ eventId, platform: "native", level: "fatal", title: "Invalid Minidump" });
    expect(stored.get("items/1/m-1/0")).toEqual(garbage);
  });

  it("adds a minidump's crash to the event item sent beside it", async () => {
    const minidump = buildMinidump({ platformId: 0x8201, code: 6, flags: 0xfffffffa });
    const event = JSON.stringify({ event_id: "0123456789abcdef0123456789abcdef", level: "fatal", release: "app@1" });
    const head = new TextEncoder().encode(
      `{"event_id":"0123456789abcdef0123456789abcdef"}\n{"type":"event"}\n${event}\n{"type":"attachment","length":${minidump.byteLength},"filename":"crash.dmp","attachment_type":"event.minidump"}\n`,
    );
    const body = new Uint8Array(head.byteLength + minidump.byteLength);
    body.set(head);
    body.set(minidump, head.byteLength);
    const { prepared } = await prepare(body, "0123456789abcdef0123456789abcdef");
    expect(prepared.events).toHaveLength(1);
    expect(prepared.events[0]?.event).toMatchObject({ platform: "native", release: "app@1", title: "Fatal Error: SIGABRT / SI_TKILL" });
    expect(prepared.items.map((i) => i.itemType)).toEqual(["attachment"]);
  });

  it("makes no event of attachments without a minidump", async () => {
    const log = "line\n";
    const body = new TextEncoder().encode(
      `{"event_id":"0123456789abcdef0123456789abcdef"}\n{"type":"attachment","length":${log.length},"filename":"app.log"}\n${log}`,
    );
    const { prepared } = await prepare(body);
    expect(prepared.events).toEqual([]);
    expect(prepared.items).toHaveLength(1);
  });
});
