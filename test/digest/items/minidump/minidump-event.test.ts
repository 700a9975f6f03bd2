import { describe, expect, it } from "vitest";
import {
  addMinidumpCrash,
  eventFromMinidumpEnvelope,
  minidumpAttachment,
} from "../../../../queue-consumer/digest/items/minidump/minidump-event";
import type { EnvelopeItem } from "../../../../protocol/parse-envelope";
import {
  LINUX,
  MACOS,
  WINDOWS,
  breadcrumbFile,
  breadcrumbFiles,
  buildMinidump,
  crashScopeEvent,
  encodeMsgpack,
} from "../../../support/crashpad-upload";

const enc = new TextEncoder();
const attachment = (attachmentType: string, payload: Uint8Array, filename = attachmentType): EnvelopeItem => ({
  type: "attachment",
  header: { type: "attachment", attachment_type: attachmentType, filename },
  payload,
});
const formFields = (fields: Array<[string, string]>): EnvelopeItem => ({
  type: "form_data",
  header: { type: "form_data" },
  payload: enc.encode(JSON.stringify(fields)),
});

const WRITTEN_AT = 1_782_900_000;

describe("eventFromMinidumpEnvelope", () => {
  it("starts from the SDK's event, takes the breadcrumb files, and adds the crash named from the minidump", () => {
    const minidump = buildMinidump({
      platformId: WINDOWS,
      code: 0xc0000005,
      parameters: [0n, 0x10n],
      threadId: 7,
      address: 0x7ff61234n,
      writtenAt: WRITTEN_AT,
    });
    const items = [
      attachment("event.minidump", minidump),
      attachment("event.payload", encodeMsgpack(crashScopeEvent)),
      attachment("event.breadcrumbs", breadcrumbFiles.first),
      attachment("event.breadcrumbs", breadcrumbFiles.second),
    ];
    expect(minidumpAttachment(items)).toBe(items[0]);
    const event = eventFromMinidumpEnvelope(items, minidump);
    expect(event).toMatchObject({
      event_id: crashScopeEvent.event_id,
      release: "game@2.4.1",
      environment: "production",
      user: { id: "player-77", username: "ada" },
      tags: { renderer: "vulkan", map: "harbor" },
      platform: "native",
      level: "fatal",
      // The minidump's time: when the crash happened.
      timestamp: WRITTEN_AT,
      sdk: crashScopeEvent.sdk,
      contexts: crashScopeEvent.contexts,
      exception: {
        values: [
          {
            type: "EXCEPTION_ACCESS_VIOLATION_READ",
            value: "Fatal Error: EXCEPTION_ACCESS_VIOLATION_READ",
            thread_id: 7,
            mechanism: { type: "minidump", handled: false, synthetic: true, data: { crash_address: "0x000000007ff61234" } },
          },
        ],
      },
    });
    // The newest 3 (the fuller file's count) across both files, oldest first.
    expect((event.breadcrumbs as { values: Array<{ message: string }> }).values.map((b) => b.message)).toEqual([
      "loading harbor",
      "loaded harbor",
      "pressed jump",
    ]);
  });

  it("keeps at most the newest 100 breadcrumbs, by time", () => {
    const at = (i: number) => new Date(Date.UTC(2026, 6, 1, 9, 0, i)).toISOString();
    const first = breadcrumbFile(Array.from({ length: 150 }, (_, i) => ({ message: `a${i}`, timestamp: at(i * 2) })));
    const second = breadcrumbFile(Array.from({ length: 150 }, (_, i) => ({ message: `b${i}`, timestamp: at(i * 2 + 1) })));
    const minidump = buildMinidump();
    const event = eventFromMinidumpEnvelope(
      [attachment("event.minidump", minidump), attachment("event.breadcrumbs", second), attachment("event.breadcrumbs", first)],
      minidump,
    );
    const messages = (event.breadcrumbs as { values: Array<{ message: string }> }).values.map((b) => b.message);
    expect(messages).toHaveLength(100);
    expect(messages.slice(0, 2)).toEqual(["a100", "b100"]);
    expect(messages.slice(-2)).toEqual(["a149", "b149"]);
  });

  it("keeps a breadcrumb without a time in its place within its file, the older file first (as Relay)", () => {
    const older = breadcrumbFile([{ message: "no time" }, { message: "d1", timestamp: "2026-07-01T09:00:00Z" }]);
    const newer = breadcrumbFile([{ message: "d2", timestamp: "2026-07-01T09:00:05Z" }]);
    const minidump = buildMinidump();
    for (const files of [
      [older, newer],
      [newer, older],
    ]) {
      const event = eventFromMinidumpEnvelope(
        [attachment("event.minidump", minidump), ...files.map((f) => attachment("event.breadcrumbs", f))],
        minidump,
      );
      expect((event.breadcrumbs as { values: Array<{ message: string }> }).values.map((b) => b.message)).toEqual(["d1", "d2"]);
    }
  });

  it("keeps the breadcrumbs read before a write the crash cut short", () => {
    const file = breadcrumbFile([
      { message: "one", timestamp: "2026-07-01T09:00:00Z" },
      { message: "two", timestamp: "2026-07-01T09:00:01Z" },
    ]);
    const minidump = buildMinidump();
    const event = eventFromMinidumpEnvelope(
      [attachment("event.minidump", minidump), attachment("event.breadcrumbs", file.subarray(0, file.byteLength - 3))],
      minidump,
    );
    expect(event.breadcrumbs).toEqual({ values: [{ message: "one", timestamp: "2026-07-01T09:00:00Z" }] });
  });

  it("names a Linux signal, with its meta, and the OS when the SDK sent none", () => {
    const minidump = buildMinidump({ platformId: LINUX, code: 11, flags: 1, version: [6, 8, 12] });
    const event = eventFromMinidumpEnvelope([attachment("event.minidump", minidump)], minidump);
    expect(event).toMatchObject({
      platform: "native",
      level: "fatal",
      sdk: { name: "minidump.crashpad", version: "0.0.0" },
      contexts: { os: { type: "os", name: "Linux", kernel_version: "6.8.12" } },
      exception: {
        values: [
          {
            type: "SIGSEGV",
            value: "Fatal Error: SIGSEGV / SEGV_MAPERR",
            mechanism: { meta: { signal: { number: 11, name: "SIGSEGV" } } },
          },
        ],
      },
    });
  });

  it("still makes Relay's placeholder from a minidump it cannot read", () => {
    for (const minidump of [
      enc.encode("MDMP"),
      buildMinidump().subarray(0, 40),
      enc.encode("MDMP\u0093\u00a7garbage that is no minidump at all"),
    ]) {
      const event = eventFromMinidumpEnvelope(
        [attachment("event.minidump", minidump), attachment("event.payload", encodeMsgpack(crashScopeEvent))],
        minidump,
      );
      expect(event).toMatchObject({
        release: "game@2.4.1",
        platform: "native",
        level: "fatal",
        exception: {
          values: [{ type: "Minidump", value: "Invalid Minidump", mechanism: { type: "minidump", handled: false, synthetic: true } }],
        },
      });
      expect(event.timestamp).toBe(crashScopeEvent.timestamp);
    }
  });

  it("says so when the minidump holds no exception", () => {
    const minidump = buildMinidump({ noException: true });
    const event = eventFromMinidumpEnvelope([attachment("event.minidump", minidump)], minidump);
    expect(event.exception).toEqual({
      values: [
        {
          type: "Minidump",
          value: "Minidump without an exception stream",
          mechanism: { type: "minidump", handled: false, synthetic: true },
        },
      ],
    });
  });

  it("leaves out an event payload it cannot decode, or one larger than an event may be", () => {
    const minidump = buildMinidump();
    for (const payload of [
      enc.encode('{"release":"json, not msgpack"}'),
      encodeMsgpack({ release: "x", extra: { blob: "y".repeat(1_048_576) } }),
    ]) {
      const event = eventFromMinidumpEnvelope([attachment("event.minidump", minidump), attachment("event.payload", payload)], minidump);
      expect(event.release).toBeUndefined();
      expect(event.exception).toMatchObject({ values: [{ type: "EXCEPTION_ACCESS_VIOLATION_READ" }] });
    }
  });

  it("merges the upload's form fields as Relay does, the SDK's event winning", () => {
    const minidump = buildMinidump();
    const items = [
      attachment("event.minidump", minidump),
      attachment("event.payload", encodeMsgpack({ release: "game@2.4.1", tags: { map: "harbor" } })),
      formFields([
        ["guid", "3f1b6c1e"],
        ["sentry[release]", "from-a-field"],
        ["sentry[tags][build]", "nightly"],
        ["sentry[user][id]", "player-77"],
        ["sentry", JSON.stringify({ environment: "staging", release: "from-json" })],
        ["sentry[__proto__][polluted]", "yes"],
        ["sentry[extra][constructor]", "no"],
      ]),
    ];
    const event = eventFromMinidumpEnvelope(items, minidump);
    expect(event).toMatchObject({
      release: "game@2.4.1",
      environment: "staging",
      tags: { map: "harbor", build: "nightly" },
      user: { id: "player-77" },
      extra: { guid: "3f1b6c1e" },
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(event.extra as object)).toEqual(["guid"]);
  });
});

describe("addMinidumpCrash", () => {
  it("adds the crash to an SDK event that has no exception, and keeps its level", () => {
    const minidump = buildMinidump({ platformId: MACOS, code: 1, flags: 1 });
    const event = addMinidumpCrash({ message: "crashed", level: "error", platform: "c" }, minidump);
    expect(event).toMatchObject({
      platform: "native",
      level: "error",
      exception: { values: [{ type: "EXC_BAD_ACCESS", value: "Fatal Error: EXC_BAD_ACCESS / KERN_INVALID_ADDRESS" }] },
    });
  });

  it("keeps an exception the SDK sent", () => {
    const exception = { values: [{ type: "AssertionError", value: "x > 0" }] };
    expect(addMinidumpCrash({ exception }, buildMinidump())).toMatchObject({ exception });
  });

  it("leaves what is not an event object to the normalizer", () => {
    expect(addMinidumpCrash([1, 2], buildMinidump())).toEqual([1, 2]);
  });
});
