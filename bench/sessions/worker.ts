// Bench-only Worker behind `npm run bench:sessions` (bench/sessions.mjs). It calls the events
// queue consumer, digestEvents, with in-memory batches of session updates shaped like
// @sentry/node's, counts the D1 rows the batches write, and times them against plain multi-row
// inserts of as many rows of the session states' size into a scratch table of the same D1.
// `/profile` times the digest's steps for such batches instead.
import {
  benchRoutes,
  type CeilingRequest,
  digestInBatches,
  ingestMessageOf as envelopeMessage,
  runCeiling,
  splitBatches,
  withJsonBody,
} from "../bench-worker-routes";
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

const enc = new TextEncoder();

export default benchRoutes({
  "POST /digest": withJsonBody(runDigest),
  "POST /profile": withJsonBody(profile),
  "POST /ceiling": withJsonBody(ceiling),
  "GET /stats": stats,
});

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
  const now = Date.now();
  const { acked, retried, digestMs, rowsWritten } = await digestInBatches(
    env,
    { count: req.to - req.from, batchSize: req.batchSize, countRows: true },
    (i) => ({ id: `update-${req.from + i}`, attempts: req.redeliver ? 2 : 1, body: ingestMessageOf(req, req.from + i, now) }),
  );
  return { updates: req.to - req.from, acked, retried, digestMs, rowsWritten };
}

function ingestMessageOf(req: DigestRequest, n: number, now: number): IngestMessage {
  return envelopeMessage(envelopeOf(req, n, now), req.projectId, { receivedAt: now });
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
  const byStatement = splitBatches(env.DB, (sql, i, call) => {
    const oneLine = sql.replace(/\s+/g, " ");
    const at = Math.max(0, oneLine.indexOf("INSERT INTO"));
    return time(`  D1 statement ${i + 1} alone: ${oneLine.slice(at, at + 40)}`, call, 2);
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
function ceiling(env: Env, req: CeilingRequest) {
  return runCeiling(env.DB, req, { type: "TEXT", dataOf: (i, rowBytes) => `${i}`.padEnd(rowBytes, "x") });
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
