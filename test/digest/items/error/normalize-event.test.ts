import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  EventNormalizeError,
  normalizeEvent,
  type NormalizeContext,
  type NormalizedEvent,
} from "../../../../queue-consumer/digest/items/error/normalize-event";
import { envelopeEvent, pythonEvent } from "../../../fixtures/grouping/sdk-events";
import ravenRuby from "../../../fixtures/raven/raven-ruby.store?raw";

// The JavaScript captures were sent around 00:08:50 UTC, the Python ones around 00:56:10.
const jsReceivedAt = Date.UTC(2026, 10, 22, 0, 8, 51);
const pyReceivedAt = Date.UTC(2026, 10, 22, 0, 56, 11);
const ctx: NormalizeContext = { eventId: null, receivedAt: jsReceivedAt, clientIp: "192.0.2.10" };

function normalize(raw: unknown, overrides: Partial<NormalizeContext> = {}): NormalizedEvent {
  return normalizeEvent(raw, { ...ctx, ...overrides });
}

type Json = Record<string, unknown>;
const exceptionsOf = (event: NormalizedEvent) => (event.data.exception as { values: Json[] }).values;
const framesOf = (exception: Json | undefined) => (exception?.stacktrace as { frames: Json[] }).frames;

describe("real @sentry/node and @sentry/browser events", () => {
  it("node-2: the outermost error titles a cause chain; the newest in-app frame is the culprit", () => {
    const event = normalize(envelopeEvent("node-2"));
    expect(event).toMatchObject({
      eventId: "91ef9d7711054d688e0faf237f3eb262",
      timestamp: 1795306128453,
      receivedAt: jsReceivedAt,
      platform: "node",
      level: "error",
      type: "error",
      title: "Error: failed to load config",
      culprit: "client in loadConfig",
      message: null,
      release: "acceptance@1.0.0",
      environment: "acceptance",
      transaction: null,
      userKey: "id:42",
      user: { id: "42", email: "jane@example.com", username: "jane", ip_address: "198.51.100.23" },
    });
    expect(event.tags).toEqual([
      ["lang", "node"],
      ["level", "error"],
      ["release", "acceptance@1.0.0"],
      ["environment", "acceptance"],
      ["server_name", "vm"],
      ["os", "Debian 12.11"],
      ["os.name", "Debian"],
      ["runtime", "node v20.20.2"],
      ["runtime.name", "node"],
      ["handled", "yes"],
      ["mechanism", "generic"],
      ["user", "id:42"],
    ]);
    const [cause, outer] = exceptionsOf(event);
    expect([cause?.type, outer?.type]).toEqual(["SyntaxError", "Error"]);
    // Frames stay oldest first: the last one is where the error was thrown.
    expect(framesOf(outer).map((f) => f.function)).toEqual([
      "?",
      "Function.executeUserEntryPoint [as runMain]",
      "Module._load",
      "Module.load",
      "Module._extensions..js",
      "Module._compile",
      "Object.?",
      "main",
      "loadConfig",
    ]);
    expect(event.data.breadcrumbs).toEqual({
      values: [{ timestamp: 1795306128.451, type: "default", category: "auth", level: "info", message: "user logged in" }],
    });
    expect(event.data.contexts).toMatchObject({ runtime: { type: "runtime", name: "node" }, order: { type: "order", id: 1234 } });
  });

  it("node-3: captureMessage with a synthetic stack is an error titled by its message", () => {
    const event = normalize(envelopeEvent("node-3"));
    expect(event).toMatchObject({
      type: "error",
      level: "warning",
      title: "node: something noteworthy happened",
      message: "node: something noteworthy happened",
      culprit: "client in main",
    });
    expect(event.data.logentry).toEqual({ formatted: "node: something noteworthy happened" });
    // Relay splits a legacy "Type: value" value when no type was sent.
    expect(exceptionsOf(event)[0]).toMatchObject({ type: "node", value: "something noteworthy happened", mechanism: { synthetic: true } });
  });

  it("node-6: extra past the size of a Relay bag is cut", () => {
    const event = normalize(envelopeEvent("node-6"));
    const blob = (event.data.extra as Json).big_blob as string;
    expect(blob).toHaveLength(40 * 1024);
    expect(event.title).toBe("node: large event (gzip path)");
  });

  it("browser-2: browser and OS from the User-Agent, the IP inferred, the query split off the URL", () => {
    const event = normalize(envelopeEvent("browser-2"));
    expect(event).toMatchObject({
      platform: "javascript",
      title: "TypeError: Cannot read properties of undefined (reading 'title')",
      culprit: "/dist/bundle.js in renderWidget",
      transaction: "/",
      user: { id: "42", ip_address: "192.0.2.10" },
    });
    expect(event.data.request).toMatchObject({
      url: "http://127.0.0.1:39919/",
      query_string: [["dsn", "http://publickey@127.0.0.1:9999/42"]],
    });
    expect(event.data.contexts).toMatchObject({
      browser: { name: "HeadlessChrome", version: "150.0.0", type: "browser" },
      os: { name: "Linux", type: "os" },
    });
    expect(event.tags).toContainEqual(["browser", "HeadlessChrome 150.0.0"]);
    expect(event.tags).toContainEqual(["url", "http://127.0.0.1:39919/"]);
    expect(event.tags).toContainEqual(["transaction", "/"]);
    // Relay keeps the URL in abs_path and makes the filename its path.
    expect(framesOf(exceptionsOf(event)[0]).at(-1)).toMatchObject({
      abs_path: "http://127.0.0.1:39919/dist/bundle.js",
      filename: "/dist/bundle.js",
      function: "renderWidget",
      lineno: 12149,
      colno: 24,
      in_app: true,
    });
  });

  it("browser-5: an unhandled rejection has no event title quirks", () => {
    const event = normalize(envelopeEvent("browser-5"));
    expect(event).toMatchObject({ title: "Error: browser: unhandled promise rejection", culprit: "/dist/bundle.js in main" });
    expect(event.tags).toContainEqual(["handled", "no"]);
  });
});

describe("real sentry-python events (sent to /store/)", () => {
  it("zero-division: ISO timestamp with microseconds, {{auto}} IP filled in", () => {
    const event = normalize(pythonEvent("zero-division"), { receivedAt: pyReceivedAt });
    expect(event).toMatchObject({
      eventId: "177d7e02b6cf4b928c73a5b51ecfcc4d",
      timestamp: Date.UTC(2026, 10, 22, 0, 56, 10, 501),
      platform: "python",
      title: "ZeroDivisionError: division by zero",
      culprit: "shop.pricing in unit_price",
      release: "shop@2.4.1",
      environment: "staging",
      user: { id: "7", email: "ann@example.com", ip_address: "192.0.2.10" },
      userKey: "id:7",
    });
    expect(event.data.timestamp).toBeCloseTo(Date.UTC(2026, 10, 22, 0, 56, 10) / 1000 + 0.501242, 6);
    expect(event.data.breadcrumbs).toBeUndefined();
  });

  it("logging-order-1: logentry keeps the template and params, formats the message", () => {
    const event = normalize(pythonEvent("logging-order-1"), { receivedAt: pyReceivedAt });
    expect(event).toMatchObject({
      type: "default",
      level: "error",
      title: "Order 42 failed for ann@example.com",
      message: "Order 42 failed for ann@example.com",
      culprit: "",
    });
    expect(event.data.logentry).toEqual({
      formatted: "Order 42 failed for ann@example.com",
      message: "Order %s failed for %s",
      params: [42, "ann@example.com"],
    });
    expect(event.tags).toContainEqual(["logger", "shop.orders"]);
  });

  it("wsgi-request: headers, cookies and query string become pairs", () => {
    const event = normalize(pythonEvent("wsgi-request"), { receivedAt: pyReceivedAt });
    expect(event.data.request).toEqual({
      url: "https://shop.example.com/admin/orders/42",
      method: "POST",
      query_string: [
        ["page", "2"],
        ["token", "tok_abc123"],
      ],
      cookies: [
        ["sessionid", "abc123"],
        ["theme", "dark"],
      ],
      headers: [
        ["Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.secret"],
        ["Cookie", "sessionid=abc123; theme=dark"],
        ["Host", "shop.example.com"],
        [
          "User-Agent",
          "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
        ],
        ["X-Csrftoken", "csrf-xyz"],
      ],
      env: { REMOTE_ADDR: "203.0.113.9", SERVER_NAME: "shop.example.com", SERVER_PORT: "443" },
    });
    expect(event).toMatchObject({
      transaction: "generic WSGI request",
      title: "PermissionError: forbidden: /admin/orders/42",
      culprit: "shop.web in application",
    });
    expect(event.tags).toContainEqual(["browser", "Safari 17.4"]);
    expect(event.tags).toContainEqual(["os", "Mac OS X 10.15.7"]);
    expect(event.tags).toContainEqual(["runtime", "CPython 3.11.2"]);
  });

  it("message-with-threads: the thread's stack trace is kept and gives the culprit", () => {
    const event = normalize(pythonEvent("message-with-threads"), { receivedAt: pyReceivedAt });
    const threads = (event.data.threads as { values: Json[] }).values;
    expect(threads).toHaveLength(1);
    expect(threads[0]).toMatchObject({ current: true, crashed: false });
    expect(framesOf(threads[0]).at(-1)).toMatchObject({ function: "<lambda>", module: "__main__" });
    expect(event).toMatchObject({ type: "default", title: "Cache warmup took too long", culprit: "__main__ in <lambda>" });
    expect((event.data.breadcrumbs as { values: Json[] }).values[0]).toMatchObject({
      type: "http",
      category: "httplib",
      level: "info",
      timestamp: Date.UTC(2026, 10, 22, 0, 56, 10, 602) / 1000 + 0.000747,
    });
  });
});

describe("legacy and alternative forms", () => {
  const exception = {
    type: "ValueError",
    value: "bad input",
    stacktrace: { frames: [{ function: "parse", module: "app.io", lineno: 3, in_app: true }] },
  };

  it.each([
    ["a list", { exception: [exception] }],
    ["{values}", { exception: { values: [exception] } }],
    ["a single object", { exception }],
    ["sentry.interfaces.Exception", { "sentry.interfaces.Exception": { values: [exception] } }],
    ["the dotted legacy path", { "sentry.interfaces.exception.Exception": [exception] }],
  ])("exception as %s", (_form, raw) => {
    const event = normalize(raw);
    expect(exceptionsOf(event)).toEqual([
      {
        type: "ValueError",
        value: "bad input",
        stacktrace: { frames: [{ function: "parse", module: "app.io", lineno: 3, in_app: true }] },
      },
    ]);
    expect(event.title).toBe("ValueError: bad input");
    expect(event.culprit).toBe("app.io in parse");
  });

  it("splits a legacy 'Type: value' value and titles a type without value", () => {
    expect(exceptionsOf(normalize({ exception: [{ value: "TypeError: x is undefined" }] }))[0]).toEqual({
      type: "TypeError",
      value: "x is undefined",
    });
    expect(normalize({ exception: [{ type: "KeyError" }] }).title).toBe("KeyError");
    expect(
      normalize({
        exception: [
          { type: "", value: "" },
          { type: "E", value: "kept" },
        ],
      }).title,
    ).toBe("E: kept");
  });

  it.each([
    ["message as a string", { message: "Disk full" }, { formatted: "Disk full" }],
    [
      "message as an object with %s params",
      { message: { message: "User %s has %d items", params: ["ann", 3] } },
      { formatted: "User ann has 3 items", message: "User %s has %d items", params: ["ann", 3] },
    ],
    [
      "logentry with %(name)s params",
      { logentry: { message: "%(user)s paid %(amount).2f", params: { user: "bob", amount: 9.5 } } },
      { formatted: "bob paid 9.50", message: "%(user)s paid %(amount).2f", params: { user: "bob", amount: 9.5 } },
    ],
    [
      "sentry.interfaces.Message",
      { "sentry.interfaces.Message": { message: "Queue %s stalled", params: ["mail"] } },
      { formatted: "Queue mail stalled", message: "Queue %s stalled", params: ["mail"] },
    ],
    [
      "formatted given as sent",
      { logentry: { message: "a %s", params: ["b"], formatted: "A B" } },
      { formatted: "A B", message: "a %s", params: ["b"] },
    ],
    [
      "params that do not fit leave the template",
      { logentry: { message: "%s and %s", params: ["one"] } },
      { formatted: "%s and %s", params: ["one"] },
    ],
    [
      "%% and None",
      { logentry: { message: "100%% of %s", params: [null] } },
      { formatted: "100% of None", message: "100%% of %s", params: [null] },
    ],
  ])("%s", (_form, raw, logentry) => {
    const event = normalize(raw);
    expect(event.data.logentry).toEqual(logentry);
    expect(event.message).toBe(logentry.formatted);
    expect(event.type).toBe("default");
  });

  it("logentry wins over a message string, and titles use the first line", () => {
    const event = normalize({ logentry: { formatted: "  first line\nsecond" }, message: "ignored" });
    expect(event.title).toBe("first line");
    expect(normalize({}).title).toBe("<unlabeled event>");
  });

  it("an exception without a stack trace takes its thread's, or the crashed thread's", () => {
    const thread = (id: number, fn: string, extra: Json = {}) => ({
      id,
      ...extra,
      stacktrace: { frames: [{ function: fn, module: "app.w", in_app: true }] },
    });
    const byId = normalize({
      exception: [{ type: "E", value: "x", thread_id: 2 }],
      threads: { values: [thread(1, "main", { crashed: true }), thread(2, "worker")] },
    });
    expect(framesOf(exceptionsOf(byId)[0])[0]?.function).toBe("worker");
    const crashed = normalize({
      exception: [{ type: "E", value: "x" }],
      threads: [thread(1, "idle", { current: true }), thread(3, "boom", { crashed: true })],
    });
    expect(framesOf(exceptionsOf(crashed)[0])[0]?.function).toBe("boom");
    expect(crashed.culprit).toBe("app.w in boom");
  });

  it("a legacy top-level stack trace moves into the only exception", () => {
    const event = normalize({
      exception: { type: "E", value: "x" },
      "sentry.interfaces.Stacktrace": { frames: [{ function: "f", filename: "a.py", in_app: true }] },
    });
    expect(framesOf(exceptionsOf(event)[0])[0]).toMatchObject({ function: "f", filename: "a.py", abs_path: "a.py" });
    expect(event.data.stacktrace).toBeUndefined();
  });

  it.each([
    ["ISO with Z", "2026-11-22T00:08:40Z", Date.UTC(2026, 10, 22, 0, 8, 40)],
    ["ISO without zone (UTC)", "2026-11-22T00:08:40.250", Date.UTC(2026, 10, 22, 0, 8, 40, 250)],
    ["ISO with offset", "2026-11-22T01:08:40+01:00", Date.UTC(2026, 10, 22, 0, 8, 40)],
    ["epoch seconds with fraction", 1795306120.125, 1795306120125],
    ["epoch seconds as a string", "1795306120", 1795306120000],
    ["missing", undefined, jsReceivedAt],
    ["unparseable", "yesterday", jsReceivedAt],
    ["more than a minute ahead", Date.UTC(2026, 10, 22, 0, 10, 0) / 1000, jsReceivedAt],
    ["more than 30 days old", Date.UTC(2026, 9, 1) / 1000, jsReceivedAt],
  ])("timestamp %s", (_form, timestamp, expected) => {
    expect(normalize({ timestamp }).timestamp).toBe(expected);
  });

  it("event ids: payload, else the envelope's, else a new one", () => {
    expect(normalize({ event_id: "91EF9D77-1105-4D68-8E0F-AF237F3EB262" }).eventId).toBe("91ef9d7711054d688e0faf237f3eb262");
    expect(normalize({ event_id: "nope" }, { eventId: "a84c448095ec4a949df749bb7577b828" }).eventId).toBe(
      "a84c448095ec4a949df749bb7577b828",
    );
    const generated = normalize({}).eventId;
    expect(generated).toMatch(/^[0-9a-f]{32}$/);
    expect(normalize({}).eventId).not.toBe(generated);
  });

  it("{{auto}} IPs come from the connection, or go when it is unknown", () => {
    const raw = { user: { id: 5, ip_address: "{{auto}}" }, request: { url: "https://a.example/", env: { REMOTE_ADDR: "{{auto}}" } } };
    const event = normalize(raw);
    expect(event.user).toEqual({ id: "5", ip_address: "192.0.2.10" });
    expect((event.data.request as Json).env).toEqual({ REMOTE_ADDR: "192.0.2.10" });
    const unknown = normalize(raw, { clientIp: null });
    expect(unknown.user).toEqual({ id: "5" });
    expect((unknown.data.request as Json).env).toEqual({});
    // Server SDKs are not assumed to want their server's address as the user's.
    expect(normalize({ platform: "python", user: { id: 1 } }).user).toEqual({ id: "1" });
  });

  it("user keys prefer id, then email, username, ip; unknown user fields move into data", () => {
    expect(normalize({ user: { email: "a@b.example", username: "ann" } }).userKey).toBe("email:a@b.example");
    expect(normalize({ user: { username: "ann" } }).userKey).toBe("username:ann");
    expect(normalize({ platform: "javascript" }).userKey).toBe("ip:192.0.2.10");
    expect(normalize({ platform: "python" }).user).toBeNull();
    expect(normalize({ user: { id: "1", plan: "pro" } }).user).toEqual({ id: "1", data: { plan: "pro" } });
  });

  it("a user key is at most a tag value's 200 characters, so a huge id keeps its user tag; a blank id gives way to the email", () => {
    const huge = normalize({ user: { id: "x".repeat(700_000) } });
    expect(huge.userKey!.length).toBe(200);
    expect(huge.userKey!.startsWith("id:xxx")).toBe(true);
    expect(huge.tags).toContainEqual(["user", huge.userKey]);
    expect(normalize({ user: { id: "  ", email: "a@b.example" } }).userKey).toBe("email:a@b.example");
  });

  it("tags as an object or as pairs; invalid ones dropped; derived tags win", () => {
    const fromObject = normalize({ tags: { team: "core", level: "custom", "bad key": "x", empty: "", n: 3 }, level: "warn" }).tags;
    const fromPairs = normalize({
      tags: [["team", "core"], ["level", "custom"], ["bad key", "x"], ["n", 3], ["broken"]],
      level: "warn",
    }).tags;
    expect(fromObject).toEqual([
      ["team", "core"],
      ["n", "3"],
      ["level", "warning"],
    ]);
    expect(fromPairs).toEqual(fromObject);
    expect(normalize({ tags: { long: "x".repeat(201), multi: "a\nb" } }).tags).toEqual([["level", "error"]]);
  });

  it("breadcrumbs as a list or {values}, with levels and timestamps normalized", () => {
    const crumb = { timestamp: "2026-11-22T00:08:49.5Z", category: "ui", level: "warn", message: "click" };
    const expected = [
      { timestamp: Date.UTC(2026, 10, 22, 0, 8, 49, 500) / 1000, type: "default", category: "ui", level: "warning", message: "click" },
    ];
    expect(normalize({ breadcrumbs: [crumb] }).data.breadcrumbs).toEqual({ values: expected });
    expect(normalize({ breadcrumbs: { values: [crumb, "junk"] } }).data.breadcrumbs).toEqual({ values: expected });
  });

  it("a breadcrumb time past the year 9999 or unreadable is left out, one before 1970 drops its breadcrumb, and each is noted", () => {
    const times = [1e20, 8_640_000_000_001, "+275760-09-13T00:00:00.001Z", "soon", -1, 1795306129.5];
    const event = normalize({ breadcrumbs: { values: times.map((timestamp, i) => ({ timestamp, message: `crumb ${i}` })) } });
    expect(event.data.breadcrumbs).toEqual({
      values: [
        { type: "default", level: "info", message: "crumb 0" },
        { type: "default", level: "info", message: "crumb 1" },
        { type: "default", level: "info", message: "crumb 2" },
        { type: "default", level: "info", message: "crumb 3" },
        { timestamp: 1795306129.5, type: "default", level: "info", message: "crumb 5" },
      ],
    });
    expect(event.data.errors).toEqual([
      { type: "invalid_data", name: "breadcrumbs.values.0.timestamp", value: 1e20, reason: "timestamp out of range" },
      { type: "invalid_data", name: "breadcrumbs.values.1.timestamp", value: 8_640_000_000_001, reason: "timestamp out of range" },
      {
        type: "invalid_data",
        name: "breadcrumbs.values.2.timestamp",
        value: "+275760-09-13T00:00:00.001Z",
        reason: "timestamp out of range",
      },
      { type: "invalid_data", name: "breadcrumbs.values.3.timestamp", value: "soon", reason: "not a timestamp" },
      { type: "invalid_data", name: "breadcrumbs.values.4", value: -1, reason: "timestamp is too stale" },
    ]);
    // Every time the event keeps can be formatted.
    for (const crumb of (event.data.breadcrumbs as { values: Json[] }).values) {
      if (crumb.timestamp !== undefined) expect(() => new Date((crumb.timestamp as number) * 1000).toISOString()).not.toThrow();
    }
  });

  it("a bare list of breadcrumbs is read the same way", () => {
    const event = normalize({ breadcrumbs: [{ timestamp: 1e20, message: "far" }] });
    expect(event.data.breadcrumbs).toEqual({ values: [{ type: "default", level: "info", message: "far" }] });
  });

  it("an event time replaced by the time received is noted as Relay notes it", () => {
    const received = new Date(jsReceivedAt).toISOString();
    expect(normalize({ timestamp: 1e20 }).data.errors).toEqual([
      { type: "invalid_data", name: "timestamp", value: 1e20, reason: "timestamp out of range" },
    ]);
    expect(normalize({ timestamp: jsReceivedAt / 1000 + 3600 }).data.errors).toEqual([
      { type: "future_timestamp", name: "timestamp", sdk_time: new Date(jsReceivedAt + 3_600_000).toISOString(), server_time: received },
    ]);
    expect(normalize({ timestamp: Date.UTC(2026, 9, 1) / 1000 }).data.errors).toEqual([
      { type: "past_timestamp", name: "timestamp", sdk_time: "2026-10-01T00:00:00.000Z", server_time: received },
    ]);
    expect(normalize({ timestamp: "x".repeat(1000) }).data.errors).toEqual([
      { type: "invalid_data", name: "timestamp", reason: "not a timestamp" },
    ]);
    expect(normalize({ timestamp: jsReceivedAt / 1000 - 10 }).data.errors).toBeUndefined();
  });

  it.each([
    ["warn", "warning"],
    ["WARNING", "warning"],
    ["critical", "fatal"],
    ["log", "info"],
    [40, "error"],
    [10, "debug"],
    ["verbose", "error"],
    [undefined, "error"],
  ])("level %s is %s", (level, expected) => {
    expect(normalize({ level }).level).toBe(expected);
  });

  it("platform, release and environment follow Sentry's rules", () => {
    expect(normalize({ platform: "Python" }).platform).toBe("python");
    expect(normalize({ platform: "brainfuck" }).platform).toBe("other");
    expect(normalize({}).platform).toBe("other");
    // Sentry stores no environment when the SDK sent none.
    expect(normalize({}).environment).toBeNull();
    expect(normalize({ environment: "prod/eu" }).environment).toBeNull();
    expect(normalize({ environment: "None" }).environment).toBeNull();
    expect(normalize({ release: "a/b" }).release).toBeNull();
    expect(normalize({ release: ".." }).release).toBeNull();
    expect(normalize({ release: " web@1.2.3 " }).release).toBe("web@1.2.3");
  });

  it("culprit falls back to the transaction, then to the newest frame, then to nothing", () => {
    const frames = [
      { function: "main", module: "app", in_app: false },
      { function: "f", module: "lib", in_app: false },
    ];
    const systemOnly = { exception: [{ type: "E", value: "x", stacktrace: { frames } }] };
    expect(normalize({ ...systemOnly, transaction: "/checkout" }).culprit).toBe("/checkout");
    // Sentry's rule (src/sentry/culprit.py): with no in-app frame, the newest frame.
    expect(normalize(systemOnly).culprit).toBe("lib in f");
    // ... as it is: one that names no place gives no culprit, not an older frame's.
    const nowhere = { exception: [{ type: "E", value: "x", stacktrace: { frames: [...frames, { function: "g" }] } }] };
    expect(normalize(nowhere).culprit).toBe("");
  });

  it("raven-ruby, which marks no frame in-app: the newest frame is the culprit", () => {
    const event = normalize(JSON.parse(zlib.inflateSync(Buffer.from(ravenRuby, "base64")).toString()));
    expect(event).toMatchObject({
      title: "PaymentDeclined: card declined for order 17",
      culprit: "capture-raven-ruby-error.rb in charge_card",
    });
  });

  it.each([[null], [[]], ["event"], [42], [undefined]])("refuses %j: not an event object", (raw) => {
    expect(() => normalize(raw)).toThrow(EventNormalizeError);
  });

  it("never throws on odd field shapes", () => {
    const odd = {
      exception: "boom",
      message: 42,
      tags: "x",
      user: [],
      request: "GET /",
      contexts: { os: "linux" },
      breadcrumbs: 7,
      threads: {},
      extra: [1],
      sdk: 1,
      fingerprint: {},
      level: {},
      timestamp: {},
    };
    const event = normalize(odd);
    expect(event).toMatchObject({ type: "default", title: "42", level: "error", user: null, tags: [["level", "error"]] });
  });
});

describe("caps Sentry applies", () => {
  it("messages are cut to 8192 characters ending in ...", () => {
    const event = normalize({ message: "x".repeat(10_000) });
    expect(event.message).toHaveLength(8192);
    expect(event.message?.endsWith("x...")).toBe(true);
  });

  it("titles show at most 100 characters of the value", () => {
    expect(normalize({ exception: [{ type: "E", value: "y".repeat(300) }] }).title).toBe(`E: ${"y".repeat(97)}...`);
  });

  it("only the newest 100 breadcrumbs are kept", () => {
    const crumbs = Array.from({ length: 130 }, (_, i) => ({ message: `crumb ${i}` }));
    const kept = (normalize({ breadcrumbs: crumbs }).data.breadcrumbs as { values: Json[] }).values;
    expect(kept).toHaveLength(100);
    expect([kept[0]?.message, kept[99]?.message]).toEqual(["crumb 30", "crumb 129"]);
  });

  it("stack traces keep 250 frames, from both ends, and slim the middle ones", () => {
    const frames = Array.from({ length: 400 }, (_, i) => ({
      function: `f${i}`,
      vars: { i },
      context_line: `line ${i}`,
      pre_context: ["a"],
      in_app: true,
    }));
    const stacktrace = exceptionsOf(normalize({ exception: [{ type: "RecursionError", stacktrace: { frames } }] }))[0]?.stacktrace as {
      frames: Json[];
      frames_omitted: number[];
    };
    expect(stacktrace.frames).toHaveLength(250);
    expect([
      stacktrace.frames[0]?.function,
      stacktrace.frames[124]?.function,
      stacktrace.frames[125]?.function,
      stacktrace.frames[249]?.function,
    ]).toEqual(["f0", "f124", "f275", "f399"]);
    expect(stacktrace.frames_omitted).toEqual([125, 275]);
    expect(stacktrace.frames[0]).toMatchObject({ vars: { i: 0 }, pre_context: ["a"] });
    expect(stacktrace.frames[100]).not.toHaveProperty("vars");
    expect(stacktrace.frames[100]).toHaveProperty("context_line", "line 100");
    expect(stacktrace.frames[249]).toMatchObject({ vars: { i: 399 } });
  });

  it("extra deeper than 7 levels is kept as JSON text at the last level", () => {
    const deep = { l1: { l2: { l3: { l4: { l5: { l6: { l7: "bottom" } } } } } } };
    expect(normalize({ extra: { deep } }).data.extra).toEqual({ deep: { l1: { l2: { l3: { l4: { l5: '{"l6":{"l7":"bottom"}}' } } } } } });
  });

  it("extra larger than 256 KiB loses its last items", () => {
    const extra = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, "v".repeat(10_000)]));
    const kept = normalize({ extra }).data.extra as Json;
    expect(Object.keys(kept).length).toBeLessThan(40);
    expect(JSON.stringify(kept).length).toBeLessThanOrEqual(262_144 + 100);
    expect(kept.k0).toBe("v".repeat(10_000));
  });

  it("a context is a large bag: 8 KiB", () => {
    const event = normalize({ contexts: { big: { blob: "z".repeat(20_000) } } });
    const blob = ((event.data.contexts as Json).big as Json).blob as string;
    expect(blob.length).toBeLessThan(8192);
    expect(blob.endsWith("...")).toBe(true);
  });

  it("culprits and transactions are cut to 200 characters", () => {
    const event = normalize({ transaction: "t".repeat(500) });
    expect(event.transaction).toHaveLength(200);
    expect(event.culprit).toHaveLength(200);
  });
});
