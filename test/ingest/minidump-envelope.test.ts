import { describe, expect, it } from "vitest";
import { parseEnvelope } from "../../protocol/parse-envelope";
import { minidumpEnvelope } from "../../worker/minidump-envelope";
import type { MinidumpUpload, UploadFile } from "../../worker/read-minidump-upload";
import { RefusedError } from "../../worker/refusal";
import { breadcrumbFiles, buildMinidump, crashScopeEvent, encodeMsgpack } from "../support/crashpad-upload";

const file = (
  field: string | null,
  bytes: Uint8Array | string,
  filename = field ?? "Minidump",
  contentType: string | null = "application/octet-stream",
): UploadFile => ({
  field,
  filename,
  contentType,
  bytes: typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes,
});

function rejection(upload: MinidumpUpload) {
  try {
    minidumpEnvelope(upload);
  } catch (err) {
    if (err instanceof RefusedError) return err.refusal;
    throw err;
  }
  throw new Error("not rejected");
}

describe("minidumpEnvelope", () => {
  it("makes one attachment per file, typed by its field, and the form fields one item", () => {
    const minidump = buildMinidump();
    const upload: MinidumpUpload = {
      files: [
        file("upload_file_minidump", minidump, "crash.dmp"),
        file("__sentry-event", encodeMsgpack(crashScopeEvent)),
        file("__sentry-breadcrumb1", breadcrumbFiles.first),
        file("__sentry-breadcrumb2", breadcrumbFiles.second),
        file("game.log", "frame 1\n", "game.log", null),
      ],
      fields: [
        ["guid", "3f1b6c1e"],
        ["sentry[tags][build]", "nightly"],
      ],
    };
    const { eventId, envelope, itemCount } = minidumpEnvelope(upload);
    // The id sentry-native gave the crash, so a retried upload is the same event.
    expect(eventId).toBe(crashScopeEvent.event_id.replaceAll("-", ""));
    const parsed = parseEnvelope(envelope);
    expect(parsed.header).toEqual({ event_id: eventId });
    expect(itemCount).toBe(6);
    expect(parsed.items.map((i) => i.header)).toEqual([
      {
        type: "attachment",
        filename: "crash.dmp",
        attachment_type: "event.minidump",
        content_type: "application/octet-stream",
        length: minidump.byteLength,
      },
      expect.objectContaining({ type: "attachment", filename: "__sentry-event", attachment_type: "event.payload" }),
      expect.objectContaining({ type: "attachment", filename: "__sentry-breadcrumb1", attachment_type: "event.breadcrumbs" }),
      expect.objectContaining({ type: "attachment", filename: "__sentry-breadcrumb2", attachment_type: "event.breadcrumbs" }),
      { type: "attachment", filename: "game.log", attachment_type: "event.attachment", length: 8 },
      expect.objectContaining({ type: "form_data" }),
    ]);
    expect(parsed.items[0]?.payload).toEqual(minidump);
    expect(parsed.items[3]?.payload).toEqual(breadcrumbFiles.second);
    expect(JSON.parse(new TextDecoder().decode(parsed.items[5]?.payload))).toEqual(upload.fields);
  });

  it("takes a minidump sent as the whole body, under a new id", () => {
    const minidump = buildMinidump();
    const { eventId, envelope, itemCount } = minidumpEnvelope({
      files: [file(null, minidump, "Minidump", "application/x-dmp")],
      fields: [],
    });
    expect(eventId).toMatch(/^[0-9a-f]{32}$/);
    const parsed = parseEnvelope(envelope);
    expect(itemCount).toBe(1);
    expect(parsed.items).toHaveLength(1);
    expect(parsed.items[0]?.header).toMatchObject({ type: "attachment", filename: "Minidump", attachment_type: "event.minidump" });
  });

  it("gives a new id when the event payload has none, or one that is not an id, or is not msgpack", () => {
    const minidump = file("upload_file_minidump", buildMinidump());
    for (const payload of [
      encodeMsgpack({ level: "fatal" }),
      encodeMsgpack({ event_id: "nope" }),
      encodeMsgpack({ event_id: "0".repeat(32) }),
      new TextEncoder().encode("{}"),
    ]) {
      const { eventId } = minidumpEnvelope({ files: [minidump, file("__sentry-event", payload)], fields: [] });
      expect(eventId).toMatch(/^[0-9a-f]{32}$/);
      expect(eventId).not.toBe("0".repeat(32));
    }
  });

  it("does not decode an event payload larger than an event may be", () => {
    const payload = encodeMsgpack({ ...crashScopeEvent, extra: { blob: "x".repeat(1_100_000) } });
    const { eventId } = minidumpEnvelope({
      files: [file("upload_file_minidump", buildMinidump()), file("__sentry-event", payload)],
      fields: [],
    });
    expect(eventId).not.toBe(crashScopeEvent.event_id.replaceAll("-", ""));
  });

  it("refuses an upload without a minidump (400 missing_minidump)", () => {
    expect(rejection({ files: [file("__sentry-event", encodeMsgpack(crashScopeEvent))], fields: [["guid", "x"]] })).toMatchObject({
      status: 400,
      reason: "missing_minidump",
    });
  });

  it("refuses a minidump that does not start with MDMP (400 invalid_minidump)", () => {
    expect(rejection({ files: [file("upload_file_minidump", "PK\u0003\u0004 a zip, not a dump")], fields: [] })).toMatchObject({
      status: 400,
      reason: "invalid_minidump",
    });
    expect(rejection({ files: [file(null, "")], fields: [] })).toMatchObject({ status: 400, reason: "invalid_minidump" });
  });

  it("accepts a big-endian minidump (PMDM), as Relay does", () => {
    expect(() => minidumpEnvelope({ files: [file(null, buildMinidump({ bigEndian: true }))], fields: [] })).not.toThrow();
  });
});
