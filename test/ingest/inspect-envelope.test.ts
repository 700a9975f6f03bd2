import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EVENT_CATEGORIES, MAX_ATTACHMENTS, MAX_CHECK_IN_BYTES, inspectEnvelope, topLevelEventId } from "../../worker/inspect-envelope";
import { RefusedError } from "../../worker/refusal";

const encoder = new TextEncoder();
const limits = { maxEventBytes: 1_048_576 };
const ID = "0123456789abcdef0123456789abcdef";
const NESTED = "fedcba9876543210fedcba9876543210";

function envelopeWithEvent(header: object, payload: string): Uint8Array {
  return encoder.encode(`${JSON.stringify(header)}\n{"type":"event"}\n${payload}`);
}

function reasonOf(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    if (e instanceof RefusedError) return e.refusal.reason;
    throw e;
  }
  return "accepted";
}

describe("the event id of an envelope without one in its header", () => {
  it("is the payload's top-level event_id, not one nested before it", () => {
    const payload = JSON.stringify({ extra: { event_id: NESTED, note: 'a "quoted" } brace' }, tags: [["event_id", "x"]], event_id: ID });
    expect(inspectEnvelope(envelopeWithEvent({}, payload), limits).eventId).toBe(ID);
  });

  it("ignores a nested event_id that is not an id, and makes one up when there is no top-level id", () => {
    const payload = JSON.stringify({ extra: { event_id: "order-1234" }, message: "hi" });
    const { eventId } = inspectEnvelope(envelopeWithEvent({}, payload), limits);
    expect(eventId).toMatch(/^[0-9a-f]{32}$/);
    expect(eventId).not.toBe(NESTED);
  });

  it("refuses a top-level event_id that is not an id (400)", () => {
    for (const value of ['"order-1234"', "42", "{}"]) {
      expect(reasonOf(() => inspectEnvelope(envelopeWithEvent({}, `{"message":"hi","event_id":${value}}`), limits))).toBe(
        "invalid_event_id",
      );
    }
  });

  it("reads escaped keys and ids, and takes null as absent", () => {
    expect(
      topLevelEventId(
        encoder.encode(
          `{"message":"a \\\\\\"event_id\\\\\\": x","event\\u005fid":"${ID.slice(0, 8)}-${ID.slice(8, 12)}-${ID.slice(12, 16)}-${ID.slice(16, 20)}-${ID.slice(20)}"}`,
        ),
      ),
    ).toBe(ID);
    expect(topLevelEventId(encoder.encode(`{ "event_id" : null }`))).toBeNull();
    expect(topLevelEventId(encoder.encode(`["event_id", "${ID}"]`))).toBeNull();
    expect(topLevelEventId(encoder.encode(`{"a":1}{"event_id":"${ID}"}`))).toBeNull();
  });

  it("passes over a key with an escape JSON does not have, instead of failing the request", () => {
    const payload = `{"\\q":1,"event_id":"${ID}"}`;
    expect(payload).toContain('"\\q"');
    expect(topLevelEventId(encoder.encode(payload))).toBe(ID);
    expect(inspectEnvelope(envelopeWithEvent({}, payload), limits).eventId).toBe(ID);
  });

  it("keeps the header's id when the payload names another (the header takes precedence, as in Relay)", () => {
    const payload = JSON.stringify({ event_id: NESTED });
    expect(inspectEnvelope(envelopeWithEvent({ event_id: ID }, payload), limits).eventId).toBe(ID);
  });

  it("agrees with JSON.parse on any object", () => {
    const id = fc.stringMatching(/^[0-9a-f]{32}$/);
    const other = fc.dictionary(
      fc.string().filter((k) => k !== "event_id"),
      fc.jsonValue(),
      { maxKeys: 5 },
    );
    fc.assert(
      fc.property(other, other, fc.option(id), fc.option(id), (before, after, topLevel, nested) => {
        const event: Record<string, unknown> = { ...before };
        if (nested !== null) event.extra = { event_id: nested, deeper: [{ event_id: nested }] };
        if (topLevel !== null) event.event_id = topLevel;
        Object.assign(event, after);
        const text = JSON.stringify(event);
        expect(topLevelEventId(encoder.encode(text))).toBe((JSON.parse(text) as { event_id?: string }).event_id ?? null);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("rate-limit categories", () => {
  const item = (type: string) => encoder.encode(`{}\n{"type":"${type}"}\n{}`);

  it("names the categories each event-like item counts as, and none for other items", () => {
    expect(inspectEnvelope(item("event"), limits).eventCategories).toEqual(["error", "default"]);
    expect(inspectEnvelope(item("transaction"), limits).eventCategories).toEqual(["transaction"]);
    expect(inspectEnvelope(item("security"), limits).eventCategories).toEqual(["security"]);
    expect(inspectEnvelope(item("feedback"), limits).eventCategories).toEqual(["feedback"]);
    for (const type of ["session", "sessions", "attachment", "client_report", "span", "user_report", "check_in"]) {
      expect(inspectEnvelope(item(type), limits).eventCategories).toEqual([]);
    }
  });

  it("counts a minidump sent without an event as an error event, under the header's id or a new one", () => {
    const minidump = (header: object, attachmentType = "event.minidump") =>
      encoder.encode(
        `${JSON.stringify(header)}\n{"type":"attachment","length":4,"filename":"crash.dmp","attachment_type":"${attachmentType}"}\nMDMP`,
      );
    expect(inspectEnvelope(minidump({ event_id: ID }), limits)).toMatchObject({ eventId: ID, eventCategories: ["error"] });
    expect(inspectEnvelope(minidump({}), limits).eventId).toMatch(/^[0-9a-f]{32}$/);
    expect(inspectEnvelope(minidump({}, "event.attachment"), limits)).toMatchObject({ eventId: null, eventCategories: [] });
    const withEvent = encoder.encode(`{}\n{"type":"event"}\n{}\n{"type":"attachment","length":4,"attachment_type":"event.minidump"}\nMDMP`);
    expect(inspectEnvelope(withEvent, limits).eventCategories).toEqual(["error", "default"]);
  });

  it("lists every counted category once, as Sentry names them", () => {
    expect([...EVENT_CATEGORIES].sort()).toEqual(["default", "error", "feedback", "security", "span", "transaction"]);
  });
});

describe("inspectEnvelope: attachments", () => {
  it(`takes up to ${MAX_ATTACHMENTS} attachments and refuses more with 413: each is an R2 write in the digest`, () => {
    const envelope = (n: number) =>
      encoder.encode(
        `{"event_id":"${ID}"}\n${Array.from({ length: n }, (_, i) => `{"type":"attachment","length":1,"filename":"a${i}.txt"}\nx\n`).join("")}`,
      );
    expect(inspectEnvelope(envelope(MAX_ATTACHMENTS), limits).itemTypes).toHaveLength(MAX_ATTACHMENTS);
    expect(reasonOf(() => inspectEnvelope(envelope(MAX_ATTACHMENTS + 1), limits))).toBe("too_many_items");
  });
});

describe("inspectEnvelope: check-ins", () => {
  it(`takes a check_in item up to ${MAX_CHECK_IN_BYTES} bytes, counted against no event quota, and refuses a larger one with 413`, () => {
    const envelope = (padding: number) => {
      const payload = JSON.stringify({
        check_in_id: ID,
        monitor_slug: "nightly",
        status: "ok",
        monitor_config: { schedule: { type: "crontab", value: "0 3 * * *" }, padding: "x".repeat(padding) },
      });
      return { bytes: encoder.encode(`{}\n{"type":"check_in"}\n${payload}\n`), size: encoder.encode(payload).byteLength };
    };
    const fits = envelope(0);
    const summary = inspectEnvelope(fits.bytes, limits);
    expect(summary.itemTypes).toEqual(["check_in"]);
    expect(summary.eventCategories).toEqual([]);
    expect(reasonOf(() => inspectEnvelope(envelope(MAX_CHECK_IN_BYTES - fits.size).bytes, limits))).toBe("accepted");
    expect(reasonOf(() => inspectEnvelope(envelope(MAX_CHECK_IN_BYTES - fits.size + 1).bytes, limits))).toBe("item_too_large");
  });
});
