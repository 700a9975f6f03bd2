import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { apiApp } from "../../../dashboard/api/api-app";
import { type SeededOrganization, fixtureEvent, pythonFixtureEvent, recordEvents, seedOrganization } from "../../support/seed-issues";

interface Answer {
  status: number;
  link: string | null;
  json: any;
}

async function get(path: string, token: string): Promise<Answer> {
  const ctx = createExecutionContext();
  const res = await apiApp.fetch(
    new Request(`http://dashboard.test/api/0${path}`, { headers: { authorization: `Bearer ${token}` } }),
    env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: res.status, link: res.headers.get("link"), json: await res.json() };
}

const NOT_FOUND = { detail: "The requested resource does not exist" };
const eventPath = (org: SeededOrganization, eventId: string) => `/projects/${org.orgSlug}/${org.projectSlug}/events/${eventId}/`;
const iso = (ms: number) => new Date(ms).toISOString();
const eventIdOf = (n: number) => n.toString(16).padStart(32, "0");

// Event times: whole seconds, a day ago (normalizeEvent keeps times up to 30 days old).
const T = Math.floor((Date.now() - 86_400_000) / 1000) * 1000;

describe("GET /api/0/projects/{org}/{project}/events/{event_id}/ — @sentry/node, an Error with a cause", () => {
  it("answers the event in Sentry's shape, its exception chain as an entry, cause first", async () => {
    const org = await seedOrganization();
    const [issue] = await recordEvents(org.projectId, [fixtureEvent("node-2", { timestamp: T })]);
    const answer = await get(eventPath(org, "91ef9d7711054d688e0faf237f3eb262"), org.token);
    expect(answer.status).toBe(200);
    const event = answer.json;
    expect(event).toMatchObject({
      id: "91ef9d7711054d688e0faf237f3eb262",
      eventID: "91ef9d7711054d688e0faf237f3eb262",
      groupID: String(issue),
      projectID: String(org.projectId),
      "event.type": "error",
      type: "error",
      title: "Error: failed to load config",
      message: "",
      culprit: "client in loadConfig",
      location: "sdkclients/node/client.js",
      platform: "node",
      metadata: { type: "Error", value: "failed to load config" },
      dateCreated: iso(T),
      dateReceived: iso(T + 500),
      user: { id: "42", email: "jane@example.com", username: "jane", ip_address: "198.51.100.23", name: null, geo: null, data: null },
      sdk: { name: "sentry.javascript.node", version: "11.12.0" },
      context: { answer: 42 },
      environment: "acceptance",
      dist: null,
      errors: [],
      previousEventID: null,
      nextEventID: null,
      crashFile: null,
      userReport: null,
    });
    expect(event.contexts.order).toEqual({ id: 1234, items: ["a", "b"], type: "order" });
    expect(event.contexts.runtime).toEqual({ name: "node", version: "v20.20.2", type: "runtime" });
    expect(event.packages["@sentry/node"]).toBe("11.12.0");
    expect(event.release).toMatchObject({
      version: "acceptance@1.0.0",
      shortVersion: "1.0.0",
      firstEvent: iso(T),
      projects: [{ id: String(org.projectId), slug: org.projectSlug }],
    });
    // Tags as [{key, value}], sorted by key.
    expect(event.tags).toEqual([
      { key: "environment", value: "acceptance" },
      { key: "handled", value: "yes" },
      { key: "lang", value: "node" },
      { key: "level", value: "error" },
      { key: "mechanism", value: "generic" },
      { key: "os", value: "Debian 12.11" },
      { key: "os.name", value: "Debian" },
      { key: "release", value: "acceptance@1.0.0" },
      { key: "runtime", value: "node v20.20.2" },
      { key: "runtime.name", value: "node" },
      { key: "server_name", value: "vm" },
      { key: "user", value: "id:42" },
    ]);

    expect(event.entries.map((e: { type: string }) => e.type)).toEqual(["exception", "breadcrumbs"]);
    const exception = event.entries[0].data;
    expect(exception.hasSystemFrames).toBe(true);
    expect(exception.excOmitted).toBeNull();
    const [cause, outer] = exception.values;
    expect(exception.values).toHaveLength(2);
    expect(cause).toMatchObject({
      type: "SyntaxError",
      value: "Expected property name or '}' in JSON at position 1",
      module: null,
      threadId: null,
      mechanism: { type: "chained", handled: true, source: "cause", exception_id: 1, parent_id: 0 },
      rawStacktrace: null,
    });
    expect(outer).toMatchObject({ type: "Error", value: "failed to load config", mechanism: { type: "generic", handled: true } });
    // Frames stay oldest first; each in the API's camelCase with its source lines numbered.
    const frames = cause.stacktrace.frames;
    expect(frames.map((f: { function: string }) => f.function)).toEqual([
      "Function.executeUserEntryPoint [as runMain]",
      "Module._load",
      "Module.load",
      "Module._extensions..js",
      "Module._compile",
      "Object.?",
      "main",
      "loadConfig",
      "parseConfig",
      "JSON.parse",
    ]);
    expect(frames[7]).toEqual({
      filename: "sdkclients/node/client.js",
      absPath: "sdkclients/node/client.js",
      module: "client",
      package: null,
      platform: null,
      instructionAddr: null,
      symbolAddr: null,
      addrMode: null,
      function: "loadConfig",
      rawFunction: null,
      symbol: null,
      context: [
        [20, "function parseConfig(text) {"],
        [21, "  return JSON.parse(text);"],
        [22, "}"],
        [23, "function loadConfig() {"],
        [24, "  try {"],
        [25, "    return parseConfig('{not json');"],
        [26, "  } catch (err) {"],
        [27, "    throw new Error('failed to load config', { cause: err });"],
        [28, "  }"],
        [29, "}"],
        [30, ""],
      ],
      lineNo: 25,
      colNo: 12,
      inApp: true,
      trust: null,
      errors: null,
      lock: null,
      sourceLink: null,
      vars: null,
      data: null,
    });
    expect(frames[9]).toMatchObject({ filename: "<anonymous>", function: "JSON.parse", inApp: false, lineNo: null, context: [] });
    expect(cause.stacktrace).toMatchObject({ framesOmitted: null, registers: null, hasSystemFrames: true });

    expect(event.entries[1]).toEqual({
      type: "breadcrumbs",
      data: {
        values: [
          {
            type: "default",
            category: "auth",
            level: "info",
            message: "user logged in",
            data: null,
            event_id: null,
            timestamp: "2026-11-22T00:08:48.451000Z",
          },
        ],
      },
    });
  });
});

describe("@sentry/browser events: exception, breadcrumbs, request", () => {
  it("answers the unhandled rejection with its five breadcrumbs and the page request", async () => {
    const org = await seedOrganization();
    await recordEvents(org.projectId, [fixtureEvent("browser-5", { timestamp: T })]);
    const { json: event } = await get(eventPath(org, "d63b6c3ee5124956875f81dbec4d7eeb"), org.token);
    expect(event.entries.map((e: { type: string }) => e.type)).toEqual(["exception", "breadcrumbs", "request"]);
    const [exception, breadcrumbs, request] = event.entries.map((e: { data: unknown }) => e.data);
    expect(exception.values).toHaveLength(1);
    expect(exception.values[0]).toMatchObject({
      type: "Error",
      value: "browser: unhandled promise rejection",
      mechanism: { type: "auto.browser.global_handlers.onunhandledrejection", handled: false },
    });
    // Every frame is the application's: nothing for "in-app only" to hide.
    expect(exception.hasSystemFrames).toBe(false);
    expect(exception.values[0].stacktrace.frames.at(-1)).toMatchObject({
      filename: "/dist/bundle.js",
      absPath: "http://127.0.0.1:39919/dist/bundle.js",
      function: "main",
      lineNo: 12159,
      colNo: 20,
      inApp: true,
    });
    expect(breadcrumbs.values).toEqual([
      {
        type: "default",
        category: "auth",
        level: "info",
        message: "user logged in",
        data: null,
        event_id: null,
        timestamp: "2026-11-22T00:08:50.368000Z",
      },
      {
        type: "default",
        category: "sentry.event",
        level: "error",
        message: "TypeError: Cannot read properties of undefined (reading 'title')",
        data: null,
        event_id: "a84c448095ec4a949df749bb7577b828",
        timestamp: "2026-11-22T00:08:50.412000Z",
      },
      {
        type: "default",
        category: "console",
        level: "info",
        message: "browser: exception event_id a84c448095ec4a949df749bb7577b828",
        data: { arguments: ["browser: exception event_id a84c448095ec4a949df749bb7577b828"], logger: "console" },
        event_id: null,
        timestamp: "2026-11-22T00:08:50.416000Z",
      },
      {
        type: "default",
        category: "sentry.event",
        level: "warning",
        message: "browser: something noteworthy happened",
        data: null,
        event_id: "70024ca49ac9435a9f4e8dec67266e7f",
        timestamp: "2026-11-22T00:08:50.419000Z",
      },
      {
        type: "default",
        category: "console",
        level: "info",
        message: "browser: message event_id 70024ca49ac9435a9f4e8dec67266e7f",
        data: { arguments: ["browser: message event_id 70024ca49ac9435a9f4e8dec67266e7f"], logger: "console" },
        event_id: null,
        timestamp: "2026-11-22T00:08:50.421000Z",
      },
    ]);
    expect(request).toEqual({
      url: "http://127.0.0.1:39919/",
      method: null,
      query: [["dsn", "http://publickey@127.0.0.1:9999/42"]],
      fragment: null,
      data: null,
      headers: [
        ["User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/150.0.0.0 Safari/537.36"],
      ],
      cookies: [],
      env: null,
      inferredContentType: null,
      apiTarget: null,
    });
    // The browser and OS contexts come from the User-Agent.
    expect(event.contexts.browser).toMatchObject({ name: "HeadlessChrome", type: "browser" });
  });

  it("answers a captured message with its message entry first", async () => {
    const org = await seedOrganization();
    await recordEvents(org.projectId, [fixtureEvent("node-3", { timestamp: T })]);
    const { json: event } = await get(eventPath(org, "dc7a1a90efe04db5ba796d21defd1f60"), org.token);
    expect(event.message).toBe("node: something noteworthy happened");
    expect(event.entries.map((e: { type: string }) => e.type)).toEqual(["message", "exception", "breadcrumbs"]);
    expect(event.entries[0]).toEqual({
      type: "message",
      data: { formatted: "node: something noteworthy happened", message: null, params: null },
    });
  });
});

describe("sentry-python: a message with the thread's stack", () => {
  it("answers a message entry and a threads entry with the current thread's frames", async () => {
    const org = await seedOrganization();
    await recordEvents(org.projectId, [pythonFixtureEvent("message-with-threads", { timestamp: T })]);
    const { status, json: event } = await get(eventPath(org, "68e3229d86fc4a90afb421276291010f"), org.token);
    expect(status).toBe(200);
    expect(event).toMatchObject({
      title: "Cache warmup took too long",
      message: "Cache warmup took too long",
      platform: "python",
      "event.type": "default",
      location: null,
    });
    expect(event.entries.map((e: { type: string }) => e.type)).toEqual(["message", "threads", "breadcrumbs"]);
    const [thread] = event.entries[1].data.values;
    expect(event.entries[1].data.values).toHaveLength(1);
    expect(thread).toMatchObject({ id: null, name: null, main: null, crashed: false, current: true, state: null, rawStacktrace: null });
    expect(thread.stacktrace.frames).toHaveLength(3);
    expect(thread.stacktrace.frames[2]).toMatchObject({
      filename: "capture_client.py",
      absPath: "/srv/shop/capture_client.py",
      module: "__main__",
      function: "<lambda>",
      lineNo: 178,
      inApp: true,
    });
    expect(thread.stacktrace.frames[2].context[5]).toEqual([
      178,
      '    "message-with-threads": lambda s: sentry_sdk.capture_message("Cache warmup took too long"),',
    ]);
  });
});

describe("an issue's events", () => {
  /** Five events of one issue; two share a timestamp. Returned oldest first with their ids. */
  async function seedIssueEvents() {
    const org = await seedOrganization();
    const times = [T, T + 1000, T + 2000, T + 2000, T + 3000];
    const ids = times.map((_, i) => eventIdOf(0xa00 + i));
    const issueIds = await recordEvents(
      org.projectId,
      times.map((timestamp, i) => fixtureEvent("node-2", { timestamp, eventId: ids[i] })),
    );
    // An event of another issue in the same project.
    await recordEvents(org.projectId, [fixtureEvent("browser-2", { timestamp: T + 5000 })]);
    return { org, issue: issueIds[0]!, ids };
  }

  it("lists them newest first in the summary shape, paging with cursors through the tie", async () => {
    const { org, issue, ids } = await seedIssueEvents();
    // Newest first; the two events at T+2000 in the order they were stored.
    const expected = [ids[4], ids[2], ids[3], ids[1], ids[0]];
    const first = await get(`/issues/${issue}/events/`, org.token);
    expect(first.json.map((e: { eventID: string }) => e.eventID)).toEqual(expected);
    expect(first.json[0]).toEqual({
      id: ids[4],
      "event.type": "error",
      groupID: String(issue),
      eventID: ids[4],
      projectID: String(org.projectId),
      message: "",
      title: "Error: failed to load config",
      location: "sdkclients/node/client.js",
      culprit: "client in loadConfig",
      user: { id: "42", email: "jane@example.com", username: "jane", ip_address: "198.51.100.23", name: null, geo: null, data: null },
      tags: expect.arrayContaining([{ key: "release", value: "acceptance@1.0.0" }]),
      platform: "node",
      dateCreated: iso(T + 3000),
      crashFile: null,
    });
    expect(first.link).toContain('rel="next"; results="false"');

    const seen: string[] = [];
    let path: string | null = `/issues/${issue}/events/?limit=2`;
    while (path !== null) {
      const page = await get(path, org.token);
      seen.push(...page.json.map((e: { eventID: string }) => e.eventID));
      const next = /<([^>]+)>; rel="next"; results="(true|false)"/.exec(page.link ?? "");
      path = next?.[2] === "true" ? new URL(next[1]!).pathname.replace("/api/0", "") + new URL(next[1]!).search : null;
    }
    expect(seen).toEqual(expected);

    const full = await get(`/issues/${issue}/events/?full=true&limit=1`, org.token);
    expect(full.json[0].entries.map((e: { type: string }) => e.type)).toEqual(["exception", "breadcrumbs"]);
  });

  it("answers the latest and oldest events, each with its neighbours in the list's order", async () => {
    const { org, issue, ids } = await seedIssueEvents();
    const latest = await get(`/issues/${issue}/events/latest/`, org.token);
    expect(latest.json).toMatchObject({ eventID: ids[4], previousEventID: ids[2], nextEventID: null });
    // Sentry's "recommended" event (what sentry-mcp and the issue page open): the latest here.
    expect((await get(`/issues/${issue}/events/recommended/`, org.token)).json).toEqual(latest.json);
    const oldest = await get(`/issues/${issue}/events/oldest/`, org.token);
    expect(oldest.json).toMatchObject({ eventID: ids[0], previousEventID: null, nextEventID: ids[1] });
    // Walking "previous" from the latest visits every event once, through the tie.
    const visited: string[] = [];
    let current: string | null = ids[4]!;
    while (current !== null) {
      visited.push(current);
      current = (await get(`/issues/${issue}/events/${current}/`, org.token)).json.previousEventID;
    }
    expect(visited).toEqual([ids[4], ids[2], ids[3], ids[1], ids[0]]);
    const middle = await get(eventPath(org, ids[3]!), org.token);
    expect(middle.json).toMatchObject({ previousEventID: ids[1], nextEventID: ids[2] });
  });

  it("accepts event ids in UUID form", async () => {
    const { org, ids } = await seedIssueEvents();
    const hex = ids[1]!;
    const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    expect((await get(eventPath(org, uuid), org.token)).json.eventID).toBe(hex);
  });

  it("answers 404 for events of other issues, projects or organizations", async () => {
    const { org, issue, ids } = await seedIssueEvents();
    const other = await seedOrganization();
    const [otherIssue] = await recordEvents(other.projectId, [fixtureEvent("node-5", { timestamp: T })]);
    const notFound = { status: 404, json: NOT_FOUND };
    // browser-2's event belongs to another issue of the same project.
    expect(await get(`/issues/${issue}/events/a84c448095ec4a949df749bb7577b828/`, org.token)).toMatchObject(notFound);
    expect(await get(`/issues/${issue}/events/not-an-event/`, org.token)).toMatchObject(notFound);
    expect(await get(eventPath(org, "a89e487180d741ca8adcbfdccfaa2666"), org.token)).toMatchObject(notFound);
    expect(await get(eventPath(org, "0".repeat(32)), org.token)).toMatchObject(notFound);
    expect(await get(`/projects/${other.orgSlug}/${other.projectSlug}/events/a89e487180d741ca8adcbfdccfaa2666/`, org.token)).toMatchObject(
      notFound,
    );
    expect(await get(`/issues/${otherIssue}/events/`, org.token)).toMatchObject(notFound);
    expect(await get(`/issues/${otherIssue}/events/latest/`, org.token)).toMatchObject(notFound);
    expect(await get(`/issues/${issue}/events/${ids[0]}/`, other.token)).toMatchObject(notFound);
  });

  it("refuses bad paging parameters by name", async () => {
    const { org, issue } = await seedIssueEvents();
    expect(await get(`/issues/${issue}/events/?limit=500`, org.token)).toMatchObject({
      status: 400,
      json: { detail: "limit: Too big: expected number to be <=100" },
    });
    expect(await get(`/issues/${issue}/events/?cursor=1:2`, org.token)).toMatchObject({
      status: 400,
      json: { detail: "cursor: not a cursor this API returned" },
    });
    expect(await get(`/issues/${issue}/events/?full=yes`, org.token)).toMatchObject({
      status: 400,
      json: { detail: 'full: Invalid option: expected one of "0"|"1"|"true"|"false"' },
    });
  });
});

describe("stored times no date can hold", () => {
  /** The reads of one event that show it: by id, as its issue's latest, in its issue's list (both shapes), and its issue. */
  async function readBack(org: SeededOrganization, issue: number, eventId: string) {
    return {
      event: await get(eventPath(org, eventId), org.token),
      latest: await get(`/issues/${issue}/events/latest/`, org.token),
      list: await get(`/issues/${issue}/events/`, org.token),
      fullList: await get(`/issues/${issue}/events/?full=true`, org.token),
      issue: await get(`/issues/${issue}/`, org.token),
    };
  }

  it("an event stored with breadcrumb times past Date's range reads back, those times as null", async () => {
    const org = await seedOrganization();
    const event = fixtureEvent("browser-5", { timestamp: T });
    // Written as the digest wrote such breadcrumbs before it checked their times: the numbers as sent.
    const crumbs = (event.data.breadcrumbs as { values: Array<Record<string, unknown>> }).values;
    const times = [1e20, 8_640_000_000_001, 1_795_306_128_453, "2026-11-22T00:08:50Z", Date.UTC(2026, 10, 22, 0, 8, 50, 421) / 1000];
    times.forEach((timestamp, i) => (crumbs[i]!.timestamp = timestamp));
    const [issue] = await recordEvents(org.projectId, [event]);

    const reads = await readBack(org, issue!, event.eventId);
    for (const [route, answer] of Object.entries(reads)) expect(answer.status, route).toBe(200);
    const crumbTimes = (shown: any) =>
      shown.entries.find((e: { type: string }) => e.type === "breadcrumbs").data.values.map((c: { timestamp: unknown }) => c.timestamp);
    const expected = [null, null, null, null, "2026-11-22T00:08:50.421000Z"];
    expect(crumbTimes(reads.event.json)).toEqual(expected);
    expect(crumbTimes(reads.latest.json)).toEqual(expected);
    expect(crumbTimes(reads.fullList.json[0])).toEqual(expected);
    expect(reads.list.json.map((e: { eventID: string }) => e.eventID)).toEqual([event.eventId]);
  });

  it("an event row whose own time is past Date's range reads back, its dates as null", async () => {
    const org = await seedOrganization();
    const event = { ...fixtureEvent("node-2", { timestamp: T }), timestamp: 8_640_000_000_000_001 };
    const [issue] = await recordEvents(org.projectId, [event]);

    const reads = await readBack(org, issue!, event.eventId);
    for (const [route, answer] of Object.entries(reads)) expect(answer.status, route).toBe(200);
    expect(reads.event.json.dateCreated).toBeNull();
    expect(reads.event.json.dateReceived).toBe(iso(event.receivedAt));
    expect(reads.list.json[0].dateCreated).toBeNull();
    expect(reads.issue.json).toMatchObject({ firstSeen: null, lastSeen: null });
  });
});

describe("GET /api/0/projects/{org}/{project}/events/ (sentry-cli's events list)", () => {
  it("lists the project's newest events across its issues, newest first, in the list shape", async () => {
    const org = await seedOrganization();
    const other = await seedOrganization();
    // Three issues; the newest events interleave across them, and an old issue's event is older than all.
    await recordEvents(org.projectId, [
      fixtureEvent("node-2", { timestamp: T - 50_000, eventId: eventIdOf(0x101) }),
      fixtureEvent("browser-2", { timestamp: T - 40_000, eventId: eventIdOf(0x102) }),
      fixtureEvent("node-2", { timestamp: T - 30_000, eventId: eventIdOf(0x103) }),
      pythonFixtureEvent("zero-division", { timestamp: T - 20_000, eventId: eventIdOf(0x104) }),
      fixtureEvent("browser-2", { timestamp: T - 10_000, eventId: eventIdOf(0x105) }),
    ]);
    await recordEvents(other.projectId, [fixtureEvent("node-2", { timestamp: T, eventId: eventIdOf(0x201) })]);

    const all = await get(`/projects/${org.orgSlug}/${org.projectSlug}/events/`, org.token);
    expect(all.status).toBe(200);
    expect(all.json.map((e: any) => e.eventID)).toEqual([0x105, 0x104, 0x103, 0x102, 0x101].map(eventIdOf));
    expect(all.json[0]).toMatchObject({ id: eventIdOf(0x105), projectID: String(org.projectId), dateCreated: iso(T - 10_000) });

    const two = await get(`/projects/${org.orgSlug}/${org.projectSlug}/events/?limit=2`, org.token);
    expect(two.json.map((e: any) => e.eventID)).toEqual([0x105, 0x104].map(eventIdOf));
    expect((await get(`/projects/${org.orgSlug}/${org.projectSlug}/events/?cursor=0:0:0`, org.token)).status).toBe(400);
    expect(await get(`/projects/${other.orgSlug}/${other.projectSlug}/events/`, org.token)).toMatchObject({ status: 404, json: NOT_FOUND });
  });
});
