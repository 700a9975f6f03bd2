// Bench-only Worker behind `npm run bench:sessions` (bench/sessions.mjs). It calls the events
// queue consumer, digestEvents, with in-memory batches of session updates shaped like
// @sentry/node's, counts the D1 rows the batches write, and times them against plain multi-row
// inserts of as many rows of the session states' size into a scratch table of the same D1.
// `/profile` times the digest's steps for such batches instead.
import { digestEvents } from "../../queue-consumer/digest/digest-events";
import { prepareSessionUpdate } from "../../queue-consumer/digest/items/session/prepare-session";
import { persistDigest } from "../../queue-consumer/digest/persist-digest";
import { emptyPreparedMessage, prepareMessage } from "../../queue-consumer/digest/prepare-message";
import type { Env } from "../../protocol/env";
import { type IngestMessage, ingestMessageSchema } from "../../protocol/ingest-message";
import { parseEnvelope, parseItemJson } from "../../protocol/parse-envelope";

interface DigestRequest {
  /** @sentry/node's session envelope, as captured. */
  template: string;
  /** Updates [from, to) of the stream (updateOf). */
  from: number;
  to: number;
  batchSize: number;
  projectId: number;
  releases: number;
  users: number;
  lag: number;
  /** Message ids are the update's number: the same range again is a redelivery. */
  redeliver: boolean;
}

interface CeilingRequest {
  count: number;
  batchSize: number;
  rowBytes: number;
}

const MAX_PARAMS = 100;
const enc = new TextEncoder();

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (request.method === "POST" && pathname === "/digest") return Response.json(await runDigest(env, await request.json()));
    if (request.method === "POST" && pathname === "/profile") return Response.json(await profile(env, await request.json()));
    if (request.method === "POST" && pathname === "/ceiling") return Response.json(await runCeiling(env, await request.json()));
    if (pathname === "/stats") return Response.json(await stats(env));
    return new Response("not found", { status: 404 });
  },
} satisfies ExportedHandler<Env>;

/**
 * Update n of the stream: even ones begin session n/2 (`init`, ok), odd ones end the session
 * begun `lag` sessions earlier (so in a later batch): every tenth crashed, every tenth errored,
 * the rest exited. Sessions before the first never began (their end is all the digest sees).
 */
function updateOf(n: number, lag: number): { session: number; init: boolean; status: string; errors: number } {
  if (n % 2 === 0) return { session: n / 2, init: true, status: "ok", errors: 0 };
  const session = (n - 1) / 2 - lag;
  const kind = ((session % 10) + 10) % 10;
  return { session, init: false, status: kind === 0 ? "crashed" : "exited", errors: kind <= 1 ? 1 : 0 };
}

function envelopeOf(req: DigestRequest, n: number, now: number): string {
  const [header, itemHeader, payload] = req.template.split("\n");
  const session = JSON.parse(payload!) as Record<string, unknown> & { attrs: Record<string, unknown> };
  const u = updateOf(n, req.lag);
  const sid = `${(u.session + 1_000_000_000).toString(16).padStart(32, "0")}`;
  const started = new Date(now - 60_000).toISOString();
  const body = JSON.stringify({
    ...session,
    sid,
    did: `user-${((u.session % req.users) + req.users) % req.users}`,
    init: u.init,
    status: u.status,
    errors: u.errors,
    started,
    timestamp: new Date(now).toISOString(),
    seq: u.init ? 1 : 2,
    attrs: { ...session.attrs, release: `shop@1.0.${((u.session % req.releases) + req.releases) % req.releases}` },
  });
  void itemHeader;
  return `${header}\n${JSON.stringify({ type: "session", length: enc.encode(body).byteLength })}\n${body}\n`;
}

/** Digests updates [from, to) in batches of `batchSize`, the D1 rows each batch writes added up (D1's meta.rows_written). */
async function runDigest(env: Env, req: DigestRequest) {
  let acked = 0;
  let retried = 0;
  let digestMs = 0;
  let rowsWritten = 0;
  const db = new Proxy(env.DB, {
    get(target, key) {
      if (key === "batch")
        return async (statements: D1PreparedStatement[]) => {
          const results = await target.batch(statements);
          for (const r of results) rowsWritten += r.meta.rows_written ?? 0;
          return results;
        };
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const now = Date.now();
  for (let n = req.from; n < req.to;) {
    const messages: Message<IngestMessage>[] = [];
    for (; messages.length < req.batchSize && n < req.to; n++) {
      messages.push({
        id: `update-${n}`,
        timestamp: new Date(),
        attempts: req.redeliver ? 2 : 1,
        body: ingestMessageOf(req, n, now),
        ack: () => void acked++,
        retry: () => void retried++,
      });
    }
    const batch = {
      queue: "events",
      messages,
      metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } },
      ackAll: () => undefined,
      retryAll: () => undefined,
    };
    const t = Date.now();
    await digestEvents(batch as unknown as MessageBatch<unknown>, { ...env, DB: db });
    digestMs += Date.now() - t;
  }
  return { updates: req.to - req.from, acked, retried, digestMs, rowsWritten };
}

function ingestMessageOf(req: DigestRequest, n: number, now: number): IngestMessage {
  const body = enc.encode(envelopeOf(req, n, now)) as Uint8Array<ArrayBuffer>;
  return {
    v: 1,
    kind: "envelope",
    projectId: req.projectId,
    keyId: 1,
    receivedAt: now,
    clientIp: null,
    userAgent: null,
    eventId: null,
    size: body.byteLength,
    body,
  };
}

/**
 * Where a batch of updates' time goes, in µs per update. The steps of prepareMessage run one at a
 * time over a whole batch (the clock ticks in milliseconds), then prepareMessage itself, then the
 * D1 write: every other batch as the digest writes it (one D1 batch), the others one D1 call per
 * statement, each timed; against them, one D1 call that does nothing.
 */
async function profile(env: Env, req: DigestRequest) {
  const ms: Record<string, number> = {};
  const time = async <T>(step: string, f: () => T | Promise<T>, weight = 1): Promise<T> => {
    const t = Date.now();
    const out = await f();
    ms[step] = (ms[step] ?? 0) + (Date.now() - t) * weight;
    return out;
  };
  let split = false;
  const byStatement = new Proxy(env.DB, {
    get(target, key) {
      if (key === "batch")
        return async (statements: D1PreparedStatement[]) => {
          const results: D1Result[] = [];
          for (const [i, statement] of statements.entries()) {
            const sql = ((statement as unknown as { statement?: string }).statement ?? "?").replace(/\s+/g, " ");
            const at = Math.max(0, sql.indexOf("INSERT INTO"));
            const label = `  D1 statement ${i + 1} alone: ${sql.slice(at, at + 40)}`;
            results.push(...(await time(label, () => target.batch([statement]), 2)));
          }
          return results;
        };
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const now = Date.now();
  for (let n = req.from; n < req.to;) {
    const messages: IngestMessage[] = [];
    for (; messages.length < req.batchSize && n < req.to; n++) messages.push(ingestMessageOf(req, n, now));
    const valid = await time("validate the queue message (zod)", () => messages.map((m) => ingestMessageSchema.parse(m)));
    const payloads = await time("parse the envelope and the session's JSON", () =>
      valid.map((m) => parseItemJson(parseEnvelope(m.body!).items[0]!)),
    );
    await time("prepare the session (checks, bucket)", async () => {
      const ctx = { projectId: req.projectId, receivedAt: now, messageId: "profile", itemIndex: 0 };
      for (const payload of payloads) await prepareSessionUpdate(payload, ctx);
    });
    const prepared = await time("prepareMessage: all three", async () => {
      const out = [];
      for (const [i, m] of valid.entries()) {
        const ctx = { messageId: `update-${i}`, scrub: { enabled: true, extraKeys: [] }, storeBlob: async () => undefined };
        out.push(await prepareMessage(m, m.body!, ctx));
      }
      return out;
    });
    const input = { ...emptyPreparedMessage(), sessions: prepared.flatMap((p) => p.sessions) };
    if (split) await persistDigest(byStatement, input);
    else await time("the D1 write (persistDigest, one D1 batch)", () => persistDigest(env.DB, input), 2);
    split = !split;
  }
  const batches = Math.ceil((req.to - req.from) / req.batchSize);
  for (let i = 0; i < 50; i++)
    await time("(one D1 call per batch that does nothing)", () => env.DB.prepare("SELECT 1").all(), batches / 50);
  return Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, (v * 1000) / (req.to - req.from)]));
}

/** The ceiling: as many plain rows of `rowBytes` into a scratch table, one D1 batch per `batchSize` rows. */
async function runCeiling(env: Env, req: CeilingRequest) {
  await env.DB.exec("CREATE TABLE IF NOT EXISTS bench_ceiling (id INTEGER PRIMARY KEY, batch TEXT NOT NULL, data TEXT NOT NULL)");
  const pool = Array.from({ length: 64 }, (_, i) => `${i}`.padEnd(req.rowBytes, "x"));
  const rowsPerStatement = Math.floor(MAX_PARAMS / 2);
  let inserted = 0;
  const started = Date.now();
  while (inserted < req.count) {
    const batchId = crypto.randomUUID();
    const size = Math.min(req.batchSize, req.count - inserted);
    const statements: D1PreparedStatement[] = [];
    for (let offset = 0; offset < size; offset += rowsPerStatement) {
      const n = Math.min(rowsPerStatement, size - offset);
      const params: unknown[] = [];
      for (let i = 0; i < n; i++) params.push(batchId, pool[(inserted + offset + i) % pool.length]);
      statements.push(
        env.DB.prepare(`INSERT INTO bench_ceiling (batch, data) VALUES ${Array(n).fill("(?, ?)").join(", ")}`).bind(...params),
      );
    }
    await env.DB.batch(statements);
    inserted += size;
  }
  return { rows: inserted, ms: Date.now() - started };
}

/** What the digest left in D1, to check a run and size its ceiling rows. */
async function stats(env: Env) {
  return env.DB.prepare(
    `SELECT (SELECT count(*) FROM session_states) AS states,
       (SELECT coalesce(sum(sessions), 0) FROM session_rollups) AS sessions,
       (SELECT coalesce(sum(crashed), 0) FROM session_rollups) AS crashed,
       (SELECT coalesce(sum(errored), 0) FROM session_rollups) AS errored,
       (SELECT count(*) FROM session_rollups) AS rollupRows,
       (SELECT count(*) FROM session_users) AS userRows,
       (SELECT count(*) FROM rejected_envelopes) AS rejected,
       (SELECT coalesce(avg(length(sid) + length(release) + length(environment) + length(user) + 32), 0) FROM session_states) AS avgRowBytes`,
  ).first();
}
