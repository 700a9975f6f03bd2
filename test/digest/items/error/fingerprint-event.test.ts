import { describe, expect, it } from "vitest";
import { fingerprintEvent, type Grouping } from "../../../../queue-consumer/digest/items/error/fingerprint-event";
import { normalizeEvent } from "../../../../queue-consumer/digest/items/error/normalize-event";
import { scrubEvent } from "../../../../queue-consumer/digest/items/error/scrub-event";
import { groupingCases, type EventSource, type Payload } from "../../../fixtures/grouping/cases";
import { envelopeEvent, pythonEvent } from "../../../fixtures/grouping/sdk-events";

const receivedAt = Date.UTC(2026, 10, 22, 1, 0, 0);

function payloadOf(source: EventSource): Payload {
  if ("event" in source) return structuredClone(source.event);
  const payload = "envelope" in source ? envelopeEvent(source.envelope) : pythonEvent(source.python);
  source.edit?.(payload);
  return payload;
}

/** The pipeline as the consumer runs it: normalize, scrub, fingerprint. */
async function group(payload: Payload): Promise<Grouping> {
  const event = normalizeEvent(payload, { eventId: null, receivedAt, clientIp: "192.0.2.10" });
  return fingerprintEvent(scrubEvent(event.data, { enabled: true, extraKeys: [] }));
}

describe("grouping corpus", () => {
  it("has at least 40 cases with unique names", () => {
    expect(groupingCases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(groupingCases.map((c) => c.name)).size).toBe(groupingCases.length);
  });

  it.each(groupingCases.map((c) => [c.name, c] as const))("%s", async (_name, testCase) => {
    const [a, b] = await Promise.all([group(payloadOf(testCase.a)), group(payloadOf(testCase.b))]);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect([a.variant, b.variant]).toEqual([testCase.variant, testCase.variant]);
    if (testCase.expect === "same") expect(b.hash).toBe(a.hash);
    else expect(b.hash).not.toBe(a.hash);
  });
});

describe("fingerprintEvent components", () => {
  it("explains a python error by its in-app frames: module, function and source line", async () => {
    const grouping = await group(pythonEvent("zero-division"));
    expect(grouping.variant).toBe("exception");
    expect(grouping.components).toEqual({
      frames: "in-app",
      exceptions: [
        {
          type: "ZeroDivisionError",
          frames: [
            { module: "__main__", function: "run", context_line: "fn(*args)" },
            { module: "shop.checkout", function: "checkout", context_line: "return pricing.unit_price(total, qty)" },
            { module: "shop.pricing", function: "unit_price", context_line: "return total / qty" },
          ],
        },
      ],
    });
  });

  it("counts every exception of a node cause chain, cause first, without node internals", async () => {
    const grouping = await group(envelopeEvent("node-2"));
    expect(grouping.components).toEqual({
      frames: "in-app",
      exceptions: [
        {
          type: "SyntaxError",
          frames: [
            { module: "client", context_line: "main().catch((e) => {" },
            { module: "client", function: "main", context_line: "loadConfig();" },
            { module: "client", function: "loadConfig", context_line: "return parseConfig('{not json');" },
            { module: "client", function: "parseConfig", context_line: "return JSON.parse(text);" },
          ],
        },
        {
          type: "Error",
          frames: [
            { module: "client", context_line: "main().catch((e) => {" },
            { module: "client", function: "main", context_line: "loadConfig();" },
            { module: "client", function: "loadConfig", context_line: "throw new Error('failed to load config', { cause: err });" },
          ],
        },
      ],
    });
  });

  it("uses base file names and drops unknown browser function names", async () => {
    const grouping = await group(envelopeEvent("browser-2"));
    expect(grouping.components).toEqual({
      frames: "in-app",
      exceptions: [
        {
          type: "TypeError",
          frames: [
            { filename: "bundle.js" },
            { filename: "bundle.js" },
            { filename: "bundle.js", function: "main" },
            { filename: "bundle.js", function: "renderWidget" },
          ],
        },
      ],
    });
  });

  it("leaves a synthetic exception's type out", async () => {
    const grouping = await group(envelopeEvent("node-3"));
    const components = grouping.components as { exceptions: Array<Record<string, unknown>> };
    expect(components.exceptions[0]).not.toHaveProperty("type");
    expect(components.exceptions[0]).not.toHaveProperty("value");
  });

  it("falls back to all frames when none is in-app", async () => {
    const grouping = await group({
      platform: "python",
      exception: [{ type: "OSError", value: "x", stacktrace: { frames: [{ module: "lib.a", function: "one", lineno: 1 }] } }],
    });
    expect(grouping.components).toEqual({
      frames: "all",
      exceptions: [{ type: "OSError", frames: [{ module: "lib.a", function: "one" }] }],
    });
  });

  it("groups an exception without stack trace by type and normalised value", async () => {
    const grouping = await group({
      exception: { values: [{ type: "ValueError", value: "user 42 (ann@example.com) not in 3b241101-e2bb-4255-8caf-4136c566a962" }] },
    });
    expect(grouping.components).toEqual({
      frames: "all",
      exceptions: [{ type: "ValueError", value: "user <int> (<email>) not in <uuid>" }],
    });
  });

  it("groups a message by its template", async () => {
    const grouping = await group(pythonEvent("logging-order-1"));
    expect(grouping).toMatchObject({ variant: "message", components: { message: "Order %s failed for %s" } });
  });

  it("replaces the variable parts of a message", async () => {
    const grouping = await group(pythonEvent("message-payment-1"));
    expect(grouping.components).toEqual({ message: "Payment <int> declined for <email> from <ip> (request <uuid>)" });
  });

  it("keeps a client fingerprint and the default it expands", async () => {
    const payload = pythonEvent("message-other");
    payload.fingerprint = ["{{ default }}", "{{ transaction }}", "{{ level }}", "{{ tags.scenario }}", "{{ logger }}", "static"];
    const grouping = await group(payload);
    expect(grouping.variant).toBe("custom");
    expect(grouping.components).toEqual({
      fingerprint: ["{{ default }}", "<no-transaction>", "warning", "message-other", "<no-logger>", "static"],
      default: { variant: "message", components: { message: "Inventory sync finished with warnings" } },
    });
  });

  it("falls back to a bare stack trace, else to one shared fallback", async () => {
    const stack = await group({
      platform: "python",
      stacktrace: { frames: [{ module: "app.jobs", function: "nightly", lineno: 3, in_app: true }] },
    });
    expect(stack).toMatchObject({
      variant: "fallback",
      components: { frames: "in-app", stacktrace: [{ module: "app.jobs", function: "nightly" }] },
    });
    expect((await group({})).components).toEqual({ fallback: "no exception or message" });
  });

  it("hashes the same input to the same SHA-256 every time", async () => {
    const first = await group({ fingerprint: ["a"] });
    const second = await group({ fingerprint: ["a"] });
    expect(first).toEqual(second);
    expect(first.hash).toHaveLength(64);
  });
});
