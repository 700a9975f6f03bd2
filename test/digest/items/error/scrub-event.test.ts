import { describe, expect, it } from "vitest";
import { normalizeEvent } from "../../../../queue-consumer/digest/items/error/normalize-event";
import { FILTERED, scrubEvent, scrubNormalizedEvent, type ScrubOptions } from "../../../../queue-consumer/digest/items/error/scrub-event";
import { pythonEvent } from "../../../fixtures/grouping/sdk-events";

const on: ScrubOptions = { enabled: true, extraKeys: [] };
const receivedAt = Date.UTC(2026, 10, 22, 0, 56, 11);
type Json = Record<string, unknown>;

function normalized(raw: unknown) {
  return normalizeEvent(raw, { eventId: null, receivedAt, clientIp: "192.0.2.10" });
}

describe("scrubEvent on real sentry-python events", () => {
  it("wsgi-request: Authorization and Cookie headers, cookies, csrf header and the token in the query", () => {
    const data = scrubEvent(normalized(pythonEvent("wsgi-request")).data, on);
    expect(data.request).toEqual({
      url: "https://shop.example.com/admin/orders/42",
      method: "POST",
      query_string: [
        ["page", "2"],
        ["token", FILTERED],
      ],
      cookies: [
        ["sessionid", FILTERED],
        ["theme", FILTERED],
      ],
      headers: [
        ["Authorization", FILTERED],
        ["Cookie", FILTERED],
        ["Host", "shop.example.com"],
        [
          "User-Agent",
          "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
        ],
        ["X-Csrftoken", FILTERED],
      ],
      env: { REMOTE_ADDR: "203.0.113.9", SERVER_NAME: "shop.example.com", SERVER_PORT: "443" },
    });
    // The frame's local `environ` holds the query string too: only the key-matched values go.
    const frame = ((data.exception as { values: Json[] }).values[0]!.stacktrace as { frames: Json[] }).frames[0]!;
    expect((frame.vars as Json).environ).toMatchObject({ QUERY_STRING: "'page=2&token=tok_abc123'", PATH_INFO: "'/admin/orders/42'" });
  });

  it("card-declined: frame vars by key, the card number in every string", () => {
    const event = scrubNormalizedEvent(normalized(pythonEvent("card-declined")), on);
    const exception = (event.data.exception as { values: Json[] }).values[0]!;
    const frames = (exception.stacktrace as { frames: Json[] }).frames;
    expect(frames.at(-1)?.vars).toEqual({ amount: "10", api_key: FILTERED, card_number: `'${FILTERED}'`, password: FILTERED });
    expect(frames.at(-2)?.vars).toEqual({ card_number: `'${FILTERED}'` });
    expect(exception.value).toBe(`card declined: ${FILTERED}`);
    expect(event.title).toBe(`RuntimeError: card declined: ${FILTERED}`);
    expect(event.data.title).toBe(event.title);
    expect(JSON.stringify(event)).not.toContain("4111");
    // Source lines are code, not data: like Sentry, the scrubber leaves pre/post context alone.
    expect(frames.at(-1)?.pre_context).toContain('    password = "hunter2"');
  });
});

describe("scrubEvent by field kind", () => {
  const raw = {
    message: "login failed",
    extra: { db_password: "p4ss", nested: { apiKey: "k-1", list: [{ client_secret: "s" }] }, safe: "ok", Auth_Header: "x" },
    contexts: { payment: { privateKey: "-----BEGIN", mysql_pwd: "m", provider: "stripe" } },
    request: {
      url: "https://shop.example.com/login?next=/home&api_key=abc",
      data: { username: "ann", password: "hunter2", remember: true },
      headers: { "Set-Cookie": "sid=1", "X-Auth-Token": "t", "X-XSRF-TOKEN": "x", Accept: "*/*", "Proxy-Authorization": "Basic Zm9v" },
      cookies: { sessionid: "abc", theme: "dark" },
      env: { REMOTE_ADDR: "203.0.113.9", SECRET_KEY_BASE: "k" },
    },
    breadcrumbs: [{ category: "http", data: { url: "/login", credentials: "c", session_id: "s" } }],
    user: { id: "1", data: { session_token: "st", plan: "pro" } },
    exception: [
      { type: "E", value: "x", stacktrace: { frames: [{ function: "f", vars: { passwd: "p", args: ["a"], token_list: ["t1", "t2"] } }] } },
    ],
    threads: [{ id: 1, stacktrace: { frames: [{ function: "g", vars: { secret: "s" } }] } }],
  };

  it("filters each sensitive kind, keeps the rest", () => {
    const data = scrubEvent(normalized(raw).data, on);
    expect(data.extra).toEqual({
      db_password: FILTERED,
      nested: { apiKey: FILTERED, list: [{ client_secret: FILTERED }] },
      safe: "ok",
      Auth_Header: FILTERED,
    });
    expect(data.contexts).toEqual({ payment: { type: "payment", privateKey: FILTERED, mysql_pwd: FILTERED, provider: "stripe" } });
    const request = data.request as Json;
    expect(request.query_string).toEqual([
      ["next", "/home"],
      ["api_key", FILTERED],
    ]);
    expect(request.data).toEqual({ username: "ann", password: FILTERED, remember: true });
    expect(request.headers).toEqual([
      ["Set-Cookie", FILTERED],
      ["X-Auth-Token", FILTERED],
      ["X-Xsrf-Token", FILTERED],
      ["Accept", "*/*"],
      ["Proxy-Authorization", FILTERED],
    ]);
    expect(request.cookies).toEqual([
      ["sessionid", FILTERED],
      ["theme", FILTERED],
    ]);
    expect(request.env).toEqual({ REMOTE_ADDR: "203.0.113.9", SECRET_KEY_BASE: FILTERED });
    expect((data.breadcrumbs as { values: Json[] }).values[0]?.data).toEqual({
      url: "/login",
      credentials: FILTERED,
      session_id: FILTERED,
    });
    // The user's IP comes from the request env's REMOTE_ADDR, as Relay fills it.
    expect(data.user).toEqual({ id: "1", ip_address: "203.0.113.9", data: { session_token: FILTERED, plan: "pro" } });
    const frame = ((data.exception as { values: Json[] }).values[0]!.stacktrace as { frames: Json[] }).frames[0];
    expect(frame?.vars).toEqual({ passwd: FILTERED, args: ["a"], token_list: FILTERED });
    const threadFrame = ((data.threads as { values: Json[] }).values[0]!.stacktrace as { frames: Json[] }).frames[0];
    expect(threadFrame?.vars).toEqual({ secret: FILTERED });
  });

  it("adds the project's extra keys, case-insensitively", () => {
    const data = scrubEvent(normalized({ extra: { SSN: "078-05-1120", ssn_last4: "1120", name: "ann" } }).data, {
      enabled: true,
      extraKeys: ["ssn"],
    });
    expect(data.extra).toEqual({ SSN: FILTERED, ssn_last4: FILTERED, name: "ann" });
  });

  it("matches keys as lower-cased text, extra keys literally", () => {
    // U+212A KELVIN SIGN lower-cases to "k": "TO\u212AEN" is a token, as toLowerCase() reads it.
    const data = scrubEvent(
      normalized({ extra: { "TO\u212AEN": "t-1", "user.ssn": "078-05-1120", userXssn: "kept", "a+b": "x", aab: "kept" } }).data,
      {
        enabled: true,
        extraKeys: ["user.ssn", "a+b"],
      },
    );
    expect(data.extra).toEqual({ "TO\u212AEN": FILTERED, "user.ssn": FILTERED, userXssn: "kept", "a+b": FILTERED, aab: "kept" });
  });

  it("credit card numbers only when Luhn-valid, with spaces or dashes, anywhere", () => {
    const data = scrubEvent(
      normalized({
        message: "charged 4242-4242-4242-4242 and 5500 0000 0000 0004 but not 4242 4242 4242 4241 or order 1234567890123",
        tags: { card: "378282246310005" },
        extra: { note: "amex 378282246310005.", id: "ord_4111111111111111x" },
      }).data,
      on,
    );
    expect((data.logentry as Json).formatted).toBe(
      `charged ${FILTERED} and ${FILTERED} but not 4242 4242 4242 4241 or order 1234567890123`,
    );
    expect(data.tags).toContainEqual(["card", FILTERED]);
    expect(data.extra).toEqual({ note: `amex ${FILTERED}.`, id: "ord_4111111111111111x" });
  });

  it("leaves the release and dist alone, in their fields and tags, as Relay does; the user key follows the user tag", () => {
    // A build stamp and a numeric user id that both pass the Luhn check.
    const event = scrubNormalizedEvent(
      normalized({ message: "boom", release: "app@1.4.2+4111111111111111", dist: "4111111111111111", user: { id: "4111111111111111" } }),
      on,
    );
    expect(event.release).toBe("app@1.4.2+4111111111111111");
    expect(event.data.release).toBe("app@1.4.2+4111111111111111");
    expect(event.data.dist).toBe("4111111111111111");
    expect(event.tags).toContainEqual(["release", "app@1.4.2+4111111111111111"]);
    expect(event.tags).toContainEqual(["dist", "4111111111111111"]);
    // The user id is personal data: filtered in the event, its tag, and the key issue_users counts.
    expect((event.data.user as Json).id).toBe(FILTERED);
    expect(event.tags).toContainEqual(["user", `id:${FILTERED}`]);
    expect(event.userKey).toBe(`id:${FILTERED}`);
  });

  it("returns a scrubbed copy and leaves its input alone", () => {
    const input = normalized(raw).data;
    const before = structuredClone(input);
    const data = scrubEvent(input, on);
    expect(input).toEqual(before);
    expect(data).not.toBe(input);
  });

  it("enabled=false returns an untouched copy", () => {
    const input = normalized(raw).data;
    const data = scrubEvent(input, { enabled: false, extraKeys: ["anything"] });
    expect(data).toEqual(input);
    expect(data).not.toBe(input);
    expect((data.extra as Json).db_password).toBe("p4ss");
  });
});
