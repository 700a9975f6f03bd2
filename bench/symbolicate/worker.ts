// Bench-only Worker behind the whole-digest case of `npm run bench:symbolicate`
// (bench/symbolicate.mjs). `/upload` stores an artifact bundle the way sentry-cli's upload ends
// (its chunk in R2, then assembleArtifactBundle: files in R2, index rows in D1), so the digest's
// real lookup (find-source-files.ts) finds it. `/digest` calls the events queue consumer,
// digestEvents, on in-memory batches shaped like the ones Queues delivers, and adds up the D1
// rows each batch writes (D1's meta.rows_written).
import { drizzle } from "drizzle-orm/d1";
import { assembleArtifactBundle, chunkKey, sha1Hex } from "../../dashboard/api/sourcemaps/assemble-artifact-bundle";
import type { Env } from "../../protocol/env";
import type { IngestMessage } from "../../protocol/ingest-message";
import { digestEvents } from "../../queue-consumer/digest/digest-events";

/**
 * Captured-like envelopes with `{{EVENT_ID}}` where the event id goes and `{{TIMESTAMP}}` where
 * the event's timestamp goes (now); message n uses template n mod their number.
 */
interface DigestRequest {
  templates: string[];
  count: number;
  offset: number;
  batchSize: number;
  projectId: number;
}

const ORGANIZATION_ID = 1;
const enc = new TextEncoder();

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (request.method === "POST" && pathname === "/upload")
      return Response.json(
        await upload(env, new Uint8Array(await request.arrayBuffer()), Number(new URL(request.url).searchParams.get("project"))),
      );
    if (request.method === "POST" && pathname === "/digest") return Response.json(await runDigest(env, await request.json()));
    if (pathname === "/stats") return Response.json(await stats(env));
    return new Response("not found", { status: 404 });
  },
} satisfies ExportedHandler<Env>;

/** One bundle, one chunk (under the 8 MiB chunk size), assembled as the second assemble call does. */
async function upload(env: Env, bundle: Uint8Array, projectId: number) {
  const checksum = await sha1Hex(bundle);
  await env.RAW.put(chunkKey(ORGANIZATION_ID, checksum), bundle);
  return assembleArtifactBundle(
    drizzle(env.DB),
    env.RAW,
    {
      organizationId: ORGANIZATION_ID,
      checksum,
      chunks: [checksum],
      projectIds: [projectId],
      release: null,
      dist: null,
      projectQuotaBytes: Number.MAX_SAFE_INTEGER,
      projectSlugs: new Map(),
    },
    Date.now(),
  );
}

/** Digests `count` messages in batches of `batchSize`; building a batch is timed apart. */
async function runDigest(env: Env, req: DigestRequest) {
  const templates = req.templates.map((t) => t.split(/(\{\{EVENT_ID\}\}|\{\{TIMESTAMP\}\})/));
  let acked = 0;
  let retried = 0;
  let buildMs = 0;
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
  for (let built = 0; built < req.count;) {
    const t0 = Date.now();
    const messages: Message<IngestMessage>[] = [];
    for (; messages.length < req.batchSize && built < req.count; built++) {
      const eventId = crypto.randomUUID().replaceAll("-", "");
      const timestamp = (Date.now() / 1000).toFixed(3);
      const parts = templates[(req.offset + built) % templates.length]!;
      const text = parts.map((p) => (p === "{{EVENT_ID}}" ? eventId : p === "{{TIMESTAMP}}" ? timestamp : p)).join("");
      // TextEncoder always answers a fresh ArrayBuffer; its typing allows a shared one.
      const body = enc.encode(text) as Uint8Array<ArrayBuffer>;
      messages.push({
        id: crypto.randomUUID(),
        timestamp: new Date(),
        attempts: 1,
        body: {
          v: 1,
          kind: "envelope",
          projectId: req.projectId,
          keyId: 1,
          receivedAt: Date.now(),
          clientIp: "198.51.100.23",
          userAgent: "sentry.javascript.browser/10.20.0",
          eventId,
          size: body.byteLength,
          body,
        },
        ack: () => void acked++,
        retry: () => void retried++,
      });
    }
    const batch = {
      queue: "events",
      messages,
      metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } },
      ackAll: () => void (acked += messages.length),
      retryAll: () => void (retried += messages.length),
    };
    const t1 = Date.now();
    await digestEvents(batch as unknown as MessageBatch<unknown>, { ...env, DB: db });
    digestMs += Date.now() - t1;
    buildMs += t1 - t0;
  }
  return { messages: req.count, acked, retried, buildMs, digestMs, rowsWritten };
}

/** What the digest left in D1: counts to check a run, and one culprit to see the frames mapped. */
async function stats(env: Env) {
  return env.DB.prepare(
    `SELECT (SELECT count(*) FROM events) AS events,
       (SELECT count(*) FROM issues) AS issues,
       (SELECT coalesce(sum(times_seen), 0) FROM issues) AS timesSeen,
       (SELECT count(*) FROM rejected_envelopes) AS rejected,
       (SELECT count(*) FROM artifact_bundle_files) AS bundleFiles,
       (SELECT culprit FROM issues ORDER BY id LIMIT 1) AS culprit`,
  ).first();
}
