import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import worker from "../../faultline-worker";
import { apiApp } from "../../dashboard/api/api-app";
import { readEventData } from "../../protocol/event-data";
import { inspectEnvelope } from "../../worker/inspect-envelope";
import { RefusedError } from "../../worker/refusal";
import { prepareMessage } from "../../queue-consumer/digest/prepare-message";
import { minidumpEnvelope } from "../../worker/minidump-envelope";
import { readMinidumpUpload } from "../../worker/read-minidump-upload";
import { buildMinidump, crashpadUpload } from "../support/crashpad-upload";
import { envelopeEvent } from "../fixtures/grouping/sdk-events";
import { sdkEnvelopes } from "../support/fixtures";
import { type SeededKey, seedProject } from "../support/seed";
import { seedToken } from "../support/seed-issues";

const encoder = new TextEncoder();
const seeds = Object.values(sdkEnvelopes).map((s) => encoder.encode(s));

/** Real bytes with random damage: flipped bytes, cuts, inserted newlines and junk, spliced halves. */
function mutated(seedBytes: Uint8Array[]) {
  return fc
    .tuple(
      fc.constantFrom(...seedBytes),
      fc.array(
        fc.oneof(
          fc.record({ op: fc.constant("flip" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
          fc.record({ op: fc.constant("cut" as const), at: fc.nat() }),
          fc.record({ op: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 40 }) }),
          fc.record({ op: fc.constant("newline" as const), at: fc.nat() }),
          fc.record({ op: fc.constant("splice" as const), other: fc.constantFrom(...seedBytes), at: fc.nat() }),
        ),
        { minLength: 1, maxLength: 6 },
      ),
    )
    .map(([seed, ops]) => {
      let b = seed;
      for (const op of ops) {
        const at = b.byteLength === 0 ? 0 : op.at % b.byteLength;
        if (op.op === "flip") {
          b = b.slice();
          b[at] = op.byte;
        } else if (op.op === "cut") b = b.subarray(0, at);
        else if (op.op === "insert" || op.op === "newline") {
          const ins = op.op === "insert" ? op.bytes : new Uint8Array([0x0a]);
          const next = new Uint8Array(b.byteLength + ins.byteLength);
          next.set(b.subarray(0, at));
          next.set(ins, at);
          next.set(b.subarray(at), at + ins.byteLength);
          b = next;
        } else {
          const next = new Uint8Array(at + op.other.byteLength - (op.at % Math.max(1, op.other.byteLength)));
          next.set(b.subarray(0, at));
          next.set(op.other.subarray(op.at % Math.max(1, op.other.byteLength)), at);
          b = next;
        }
      }
      return b;
    });
}

const mutatedEnvelope = mutated(seeds);

/** Structurally plausible envelopes built from scratch: odd headers, lengths that lie, odd ids and types. */
const jsonish = fc.oneof(fc.jsonValue(), fc.constant({}), fc.string());
const builtEnvelope = fc
  .record({
    header: fc.oneof(
      fc.record(
        {
          event_id: fc.oneof(fc.uuid(), fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 30, maxLength: 34 }), jsonish),
          dsn: fc.oneof(fc.constant(undefined), fc.webUrl(), jsonish),
        },
        { requiredKeys: [] },
      ),
      jsonish,
    ),
    items: fc.array(
      fc.record({
        type: fc.oneof(
          fc.constantFrom(
            "event",
            "transaction",
            "attachment",
            "session",
            "sessions",
            "client_report",
            "span",
            "check_in",
            "unknown_thing",
          ),
          jsonish,
          // Control characters and unicode, which a refusal may quote back in a header.
          fc.string({ unit: "binary-ascii" }),
          fc.string({ unit: "binary" }),
        ),
        length: fc.oneof(fc.constant(undefined), fc.integer({ min: -5, max: 5000 }), jsonish),
        payload: fc.oneof(fc.json(), fc.string({ maxLength: 200 })),
      }),
      { maxLength: 4 },
    ),
    trailer: fc.constantFrom("", "\n", "\n\n", "\r\n"),
  })
  .map(({ header, items, trailer }) => {
    const lines = [JSON.stringify(header) ?? ""];
    for (const item of items) {
      lines.push(JSON.stringify({ type: item.type, length: item.length }) ?? "", item.payload);
    }
    return encoder.encode(lines.join("\n") + trailer);
  });

/** Any JSON, its strings of any code point (the default arbitraries keep to printable ASCII). */
const anyJson = fc.jsonValue({ stringUnit: "binary", maxDepth: 3 });
const anyString = fc.string({ unit: "binary", maxLength: 60 });
/** Text dense in percent signs, each followed by anything: escapes that decode, truncated ones, `%ZZ`, `%` + unicode. */
const percentJunk = fc
  .array(fc.oneof(fc.constant("%"), fc.constantFrom(..."0123456789abcdefABCDEFZz"), fc.string({ unit: "binary", maxLength: 3 })), {
    maxLength: 16,
  })
  .map((parts) => parts.join(""));
/** A short string over and over, up to 64,000 code points. */
const longString = fc
  .tuple(fc.string({ unit: "binary", minLength: 1, maxLength: 4 }), fc.integer({ min: 1_000, max: 16_000 }))
  .map(([s, n]) => s.repeat(n));

/**
 * An envelope header whose fields (https://develop.sentry.dev/sdk/data-model/envelopes/#headers)
 * are each often right, often subtly wrong and sometimes any JSON at all. The dsn is mostly
 * URL-shaped, so that its key and project id are read and its user part is decoded.
 */
function envelopeHeader(key: SeededKey, other: SeededKey) {
  const user = fc.oneof(
    { arbitrary: fc.constant(key.publicKey), weight: 8 },
    fc.constant(other.publicKey),
    percentJunk,
    fc.tuple(fc.constant(key.publicKey), percentJunk).map(([k, junk]) => k + junk),
    anyString,
    longString,
  );
  const projectId = fc.oneof(
    { arbitrary: fc.constant(String(key.projectId)), weight: 8 },
    fc.constant(String(other.projectId)),
    fc.nat().map(String),
    percentJunk,
  );
  const dsnUrl = fc
    .tuple(
      fc.oneof({ arbitrary: fc.constantFrom("https://", "http://"), weight: 8 }, fc.constantFrom("ftp://", "//", "")),
      user,
      fc.oneof({ arbitrary: fc.constant(""), weight: 8 }, fc.constantFrom(":secret", ":%ZZ", ":\u2603")),
      fc.oneof(
        { arbitrary: fc.constantFrom("ingest.test", "o1.ingest.example.com:8443", "[::1]"), weight: 8 },
        fc.constantFrom("", "%E0%A4%A"),
      ),
      fc.constantFrom("/", "/sentry/", "//"),
      projectId,
    )
    .map(([scheme, u, secret, host, path, id]) => `${scheme}${u}${secret}@${host}${path}${id}`);
  const dsn = fc.oneof({ arbitrary: dsnUrl, weight: 6 }, percentJunk, anyString, longString, anyJson);
  const hex32 = fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 32, maxLength: 32 });
  const eventId = fc.oneof({ arbitrary: fc.oneof(fc.uuid(), hex32, fc.constant(null)), weight: 12 }, anyString, anyJson);
  const sentAt = fc.oneof(
    fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    fc.double(),
    anyString,
    anyJson,
  );
  const sdk = fc.oneof(
    fc.record(
      { name: anyString, version: anyString, integrations: fc.array(anyString, { maxLength: 3 }), packages: anyJson },
      { requiredKeys: [] },
    ),
    anyJson,
  );
  const trace = fc.oneof(
    fc.record(
      {
        trace_id: fc.oneof(hex32, anyString),
        public_key: fc.oneof(fc.constant(key.publicKey), fc.constant(other.publicKey), percentJunk, anyJson),
        sample_rate: fc.oneof(anyString, fc.double()),
        sampled: fc.oneof(fc.constantFrom("true", "false"), anyJson),
        release: anyString,
        environment: anyString,
      },
      { requiredKeys: [] },
    ),
    anyJson,
  );
  return fc
    .tuple(
      fc.record({ dsn, event_id: eventId, sent_at: sentAt, sdk, trace }, { requiredKeys: [] }),
      fc.dictionary(anyString, anyJson, { maxKeys: 3 }),
    )
    .map(([fields, extra]) => ({ ...extra, ...fields }));
}

/**
 * Client times the digest must not store as sent: past the year 9999 or past what Date holds,
 * before 1970, milliseconds where seconds belong, strings, and number literals JSON reads as
 * Infinity (written raw into the payload); mixed with times of the last day.
 */
const RAW_NUMBER = "\u0000raw:";
const oddTime = fc.oneof(
  fc.constantFrom(
    1e20,
    8_640_000_000_001,
    253_402_300_800,
    -1,
    "+275760-09-13T00:00:00.001Z",
    "+010000-01-01T00:00:00Z",
    "NaN",
    `${RAW_NUMBER}1e400`,
    `${RAW_NUMBER}-1e400`,
  ),
  fc.double(),
  fc.maxSafeInteger(),
  fc.integer({ min: 0, max: 86_400_000 }).map((ago) => Date.now() - ago),
  fc.string({ maxLength: 30 }),
  fc.integer({ min: 0, max: 86_400 }).map((ago) => Date.now() / 1000 - ago),
);

/** A real SDK event whose own time and breadcrumbs' times are any of those, its breadcrumbs a list or {values}. */
const oddTimeEnvelope = fc
  .record({
    base: fc.constantFrom("browser-5", "node-2", "node-3"),
    eventId: fc.uuid().map((u) => u.replaceAll("-", "")),
    timestamp: fc.option(oddTime, { nil: undefined }),
    crumbs: fc.array(fc.record({ timestamp: oddTime, message: fc.string({ maxLength: 20 }) }, { requiredKeys: ["timestamp"] }), {
      minLength: 1,
      maxLength: 8,
    }),
    bare: fc.boolean(),
  })
  .map(({ base, eventId, timestamp, crumbs, bare }) => {
    const event = { ...envelopeEvent(base), event_id: eventId, timestamp, breadcrumbs: bare ? crumbs : { values: crumbs } };
    const payload = JSON.stringify(event).replace(/"\\u0000raw:([^"]*)"/g, "$1");
    return encoder.encode(`${JSON.stringify({ event_id: eventId })}\n{"type":"event"}\n${payload}\n`);
  });

/** Every project the properties post to, so that what the digest stored for them is read back at the end. */
const fuzzProjects: SeededKey[] = [];

async function fuzzProject(): Promise<SeededKey> {
  const key = await seedProject();
  fuzzProjects.push(key);
  return key;
}

// The Worker's own fetch handler, called in workerd with the real bindings: SELF.fetch through
// the test pool slows down with every request it has served, which thousands of runs cannot afford.
const RUNS = 2000;
const anyBody = fc.oneof(mutatedEnvelope, builtEnvelope, fc.uint8Array({ maxLength: 300 }), oddTimeEnvelope);

function classify(run: () => unknown): "ok" | "rejected" {
  try {
    run();
    return "ok";
  } catch (e) {
    if (e instanceof RefusedError && e.refusal.status >= 400 && e.refusal.status < 500 && e.refusal.detail) return "rejected";
    throw e;
  }
}

describe("malformed and mutated input", () => {
  it("inspectEnvelope either accepts or names a 4xx reason, for any bytes", () => {
    fc.assert(
      fc.property(anyBody, (body) => {
        classify(() => inspectEnvelope(body, { maxEventBytes: 1_048_576 }));
      }),
      { numRuns: 5000 },
    );
  });

  it("the endpoint never answers 5xx: always 200 with an id or {} , or a 4xx with a reason", { timeout: 120_000 }, async () => {
    const key = await fuzzProject();
    const url = `http://ingest.test/api/${key.projectId}/envelope/?sentry_key=${key.publicKey}`;
    const encodings = fc.constantFrom(undefined, "", "gzip", "deflate", "br", "identity", "gzip, br", "zstd");
    const seen = new Map<number, number>();

    await fc.assert(
      fc.asyncProperty(anyBody, encodings, async (body, encoding) => {
        const headers: Record<string, string> = encoding === undefined ? {} : { "content-encoding": encoding };
        const res = await worker.fetch(new Request(url, { method: "POST", body, headers }), env, createExecutionContext());
        const json = (await res.json()) as Record<string, unknown>;
        seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
        if (res.status === 200) {
          expect(json.id === undefined || /^[0-9a-f]{32}$/.test(String(json.id))).toBe(true);
        } else {
          expect(res.status).toBeGreaterThanOrEqual(400);
          expect(res.status).toBeLessThan(500);
          expect(typeof json.detail).toBe("string");
          expect(typeof json.reason).toBe("string");
        }
      }),
      { numRuns: RUNS },
    );
    // The generators must reach both sides, or the property proves little.
    expect(seen.get(200) ?? 0).toBeGreaterThan(50);
    expect(seen.get(400) ?? 0).toBeGreaterThan(50);
  });

  it(
    "/store/ and the credentials never get a 5xx either: any JSON-ish body, any auth header, query and envelope dsn",
    { timeout: 120_000 },
    async () => {
      const key = await fuzzProject();
      const other = await fuzzProject();
      const keys = fc.oneof(
        { arbitrary: fc.constant(key.publicKey), weight: 5 },
        fc.constantFrom(other.publicKey, "0".repeat(32), "", "not a key", `${key.publicKey},${key.publicKey}`),
      );
      // Weighted towards well-formed credentials for the right project, so that
      // every answer is reached often enough to be checked below.
      const authHeader = fc.oneof(
        fc.constant(undefined),
        { arbitrary: keys.map((k) => `Sentry sentry_key=${k}, sentry_version=7, sentry_client=fuzz/1.0`), weight: 3 },
        fc.string({ maxLength: 120 }),
        fc.tuple(keys, fc.string({ maxLength: 20 })).map(([k, junk]) => `Sentry sentry_key=${k},${junk}=,sentry_secret=x`),
      );
      const storeBody = fc.oneof(
        fc.json().map((j) => encoder.encode(j)),
        fc
          .record(
            {
              event_id: fc.oneof(
                fc.uuid().map((u) => u.replaceAll("-", "")),
                fc.string(),
                fc.integer(),
              ),
              message: fc.string(),
              level: fc.string(),
              extra: fc.object(),
              timestamp: oddTime,
              breadcrumbs: fc.array(fc.record({ timestamp: oddTime }), { maxLength: 3 }),
            },
            { requiredKeys: [] },
          )
          .map((o) => encoder.encode(JSON.stringify(o))),
        fc.uint8Array({ maxLength: 200 }),
      );
      const seen = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom("store", "envelope"),
          storeBody,
          anyBody,
          authHeader,
          fc.option(keys, { nil: undefined, freq: 2 }),
          fc.oneof({ arbitrary: fc.constant(key.projectId), weight: 3 }, fc.constant(other.projectId), fc.constant(999_999)),
          async (endpoint, store, envelope, auth, queryKey, projectId) => {
            const query = queryKey === undefined ? "" : `?sentry_key=${encodeURIComponent(queryKey)}`;
            const headers: Record<string, string> = auth === undefined ? {} : { "x-sentry-auth": auth };
            const body = endpoint === "store" ? store : envelope;
            const res = await worker.fetch(
              new Request(`http://ingest.test/api/${projectId}/${endpoint}/${query}`, { method: "POST", body, headers }),
              env,
              createExecutionContext(),
            );
            const json = (await res.json()) as Record<string, unknown>;
            seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
            if (res.status !== 200) {
              expect(res.status).toBeGreaterThanOrEqual(400);
              expect(res.status).toBeLessThan(500);
              expect(typeof json.detail).toBe("string");
            }
          },
        ),
        { numRuns: 1000 },
      );
      for (const status of [200, 400, 401, 403]) expect(seen.get(status) ?? 0, `answers ${status} sometimes`).toBeGreaterThan(20);
    },
  );

  it(
    "the envelope header's fields never get a 5xx: any dsn, event_id, sent_at, sdk or trace, with or without a key in the query",
    { timeout: 120_000 },
    async () => {
      const key = await fuzzProject();
      const other = await fuzzProject();
      const seen = new Map<number, number>();
      const reasons = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(
          envelopeHeader(key, other),
          fc.constantFrom("", '\n{"type":"event"}\n{"message":"hi"}', '\n{"type":"session"}\n{"status":"ok"}'),
          fc.option(fc.oneof({ arbitrary: fc.constant(key.publicKey), weight: 4 }, fc.constant(other.publicKey)), {
            nil: undefined,
            freq: 3,
          }),
          async (header, items, queryKey) => {
            const query = queryKey === undefined ? "" : `?sentry_key=${queryKey}`;
            const body = encoder.encode(JSON.stringify(header) + items);
            const res = await worker.fetch(
              new Request(`http://ingest.test/api/${key.projectId}/envelope/${query}`, { method: "POST", body }),
              env,
              createExecutionContext(),
            );
            const json = (await res.json()) as Record<string, unknown>;
            seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
            if (res.status !== 200) {
              reasons.set(String(json.reason), (reasons.get(String(json.reason)) ?? 0) + 1);
              expect(res.status).toBeGreaterThanOrEqual(400);
              expect(res.status).toBeLessThan(500);
              expect(typeof json.detail).toBe("string");
              expect(typeof json.reason).toBe("string");
            }
          },
        ),
        { numRuns: 1000 },
      );
      // Floors at about half the fewest seen in eight runs of 1000 (200: 213, 400: 429, 401: 87, 403: 165),
      // and the dsn's own refusal among the 400s (338).
      for (const [status, floor] of [
        [200, 100],
        [400, 200],
        [401, 40],
        [403, 80],
      ] as const) {
        expect(seen.get(status) ?? 0, `answers ${status} sometimes`).toBeGreaterThan(floor);
      }
      expect(reasons.get("malformed_envelope") ?? 0, "refuses a malformed dsn sometimes").toBeGreaterThan(150);
    },
  );

  it(
    "the minidump endpoint, and the digest after it, take any damage to a crashpad upload: 200 with an id or a 4xx with a reason, and never a throw in the digest",
    { timeout: 120_000 },
    async () => {
      const key = await fuzzProject();
      const url = `http://ingest.test/api/${key.projectId}/minidump/?sentry_key=${key.publicKey}`;
      const uploads = [crashpadUpload(), crashpadUpload(buildMinidump({ code: 0xc0000005, parameters: [1n, 0x20n] }))];
      const boundary = uploads[0]!.contentType;
      const contentTypes = fc.constantFrom(
        boundary,
        "application/octet-stream",
        "multipart/form-data",
        "multipart/form-data; boundary=x",
        undefined,
      );
      const seen = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(mutated(uploads.map((u) => u.body)), mutated([buildMinidump()])),
          contentTypes,
          async (body, contentType) => {
            const headers: Record<string, string> = contentType === undefined ? {} : { "content-type": contentType };
            const res = await worker.fetch(new Request(url, { method: "POST", body, headers }), env, createExecutionContext());
            const text = await res.text();
            seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
            if (res.status === 200) {
              expect(text).toMatch(/^[0-9a-f]{32}$/);
              // What ingest accepted, the digest reads without throwing: a rejection at worst.
              const envelope = minidumpEnvelope(readMinidumpUpload(body, contentType ?? null)).envelope;
              await prepareMessage(
                {
                  v: 1,
                  kind: "envelope",
                  projectId: key.projectId,
                  keyId: 1,
                  receivedAt: Date.now(),
                  clientIp: null,
                  userAgent: null,
                  eventId: null,
                  size: envelope.byteLength,
                  body: envelope as Uint8Array<ArrayBuffer>,
                },
                envelope,
                { messageId: "fuzz", scrub: { enabled: true, extraKeys: [] }, storeBlob: async () => {} },
              );
            } else {
              expect(res.status).toBeGreaterThanOrEqual(400);
              expect(res.status).toBeLessThan(500);
              expect(typeof JSON.parse(text).detail).toBe("string");
            }
          },
        ),
        { numRuns: 500 },
      );
      expect(seen.get(200) ?? 0).toBeGreaterThan(50);
      expect(seen.get(400) ?? 0).toBeGreaterThan(20);
    },
  );
});

describe("what the digest stored from all of it", () => {
  it(
    "every event the properties above stored reads back through the dashboard API with a 200: by id, as its issue's latest, in its issue's list",
    { timeout: 600_000 },
    async () => {
      const projectIds = [...new Set(fuzzProjects.map((k) => k.projectId))];
      await digestSettled(projectIds);
      const stored = await storedEvents(projectIds);
      const tokens = new Map<number, string>();
      for (const e of stored) if (!tokens.has(e.orgId)) tokens.set(e.orgId, await seedToken(e.orgId));

      const failures: string[] = [];
      const check = async (path: string, token: string) => {
        const answer = await apiGet(path, token);
        if (answer.status !== 200) failures.push(`${path}: ${answer.status}`);
        return answer;
      };
      await inBatches(stored, 8, async (e) => {
        await check(`/projects/${e.org}/${e.project}/events/${e.eventId}/`, tokens.get(e.orgId)!);
      });
      const issues = [...new Map(stored.map((e) => [e.issueId, tokens.get(e.orgId)!])).entries()];
      await inBatches(issues, 8, async ([issue, token]) => {
        await check(`/issues/${issue}/`, token);
        await check(`/issues/${issue}/events/latest/`, token);
        let path: string | null = `/issues/${issue}/events/?full=true`;
        while (path !== null) {
          const page = await check(path, token);
          const next = /<([^>]+)>; rel="next"; results="true"/.exec(page.link ?? "");
          path = next === null ? null : `${new URL(next[1]!).pathname.replace("/api/0", "")}${new URL(next[1]!).search}`;
        }
      });
      expect(failures).toEqual([]);

      // The generators must reach events, and breadcrumb times the digest refused, or this proves little.
      expect(stored.length).toBeGreaterThan(200);
      const refusedCrumbTimes = stored.filter((e) =>
        (e.errors as Array<{ name?: unknown }> | undefined)?.some((err) => String(err.name).startsWith("breadcrumbs.")),
      );
      expect(refusedCrumbTimes.length).toBeGreaterThan(100);
    },
  );
});

/** Rows stop changing for this long once the queue has delivered everything (its batches wait at most a second). */
const DIGEST_QUIET_MS = 5_000;

/** Waits for the digest to take what ingest queued for these projects: until their rows stop changing. */
async function digestSettled(projectIds: number[]): Promise<void> {
  const ids = JSON.stringify(projectIds);
  const inProjects = "project_id IN (SELECT value FROM json_each(?1))";
  const count = async () =>
    (await env.DB.prepare(
      `SELECT (SELECT count(*) FROM events WHERE ${inProjects}) + (SELECT count(*) FROM stored_items WHERE ${inProjects})
         + (SELECT count(*) FROM trace_items WHERE ${inProjects})
         + (SELECT count(*) FROM rejected_envelopes WHERE ${inProjects}) AS n`,
    )
      .bind(ids)
      .first<{ n: number }>())!.n;
  let last = -1;
  let changedAt = Date.now();
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    const n = await count();
    if (n !== last) {
      last = n;
      changedAt = Date.now();
    } else if (Date.now() - changedAt >= DIGEST_QUIET_MS) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function storedEvents(projectIds: number[]) {
  const { results } = await env.DB.prepare(
    `SELECT e.event_id AS eventId, e.issue_id AS issueId, e.data AS data, p.slug AS project, o.slug AS org, o.id AS orgId
     FROM events e JOIN projects p ON p.id = e.project_id JOIN organizations o ON o.id = p.organization_id
     WHERE e.project_id IN (SELECT value FROM json_each(?1))`,
  )
    .bind(JSON.stringify(projectIds))
    .all<{ eventId: string; issueId: number; data: ArrayBuffer; project: string; org: string; orgId: number }>();
  return Promise.all(results.map(async ({ data, ...e }) => ({ ...e, errors: (await readEventData(data)).data.errors })));
}

async function apiGet(path: string, token: string): Promise<{ status: number; link: string | null }> {
  const ctx = createExecutionContext();
  const res = await apiApp.fetch(
    new Request(`http://dashboard.test/api/0${path}`, { headers: { authorization: `Bearer ${token}` } }),
    env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  await res.arrayBuffer();
  return { status: res.status, link: res.headers.get("link") };
}

async function inBatches<T>(items: T[], size: number, run: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(run));
}
