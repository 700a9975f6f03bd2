// Bench-only Worker behind the whole-digest case of `npm run bench:symbolicate`
// (bench/symbolicate.mjs). `/upload` stores an artifact bundle the way sentry-cli's upload ends
// (its chunk in R2, then assembleArtifactBundle: files in R2, index rows in D1), so the digest's
// real lookup (find-source-files.ts) finds it. `/digest` calls the events queue consumer,
// digestEvents, on in-memory batches shaped like the ones Queues delivers, and adds up the D1
// rows each batch writes (D1's meta.rows_written).
import { drizzle } from "drizzle-orm/d1";
import { assembleArtifactBundle, chunkKey, sha1Hex } from "../../dashboard/api/sourcemaps/assemble-artifact-bundle";
import type { Env } from "../../protocol/env";
import { benchRoutes, digestInBatches, ingestMessageOf, withJsonBody } from "../bench-worker-routes";

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

export default benchRoutes({
  "POST /upload": async (env, request) =>
    upload(env, new Uint8Array(await request.arrayBuffer()), Number(new URL(request.url).searchParams.get("project"))),
  "POST /digest": withJsonBody(runDigest),
  "GET /stats": stats,
});

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
  const figures = await digestInBatches(env, { ...req, countRows: true }, (n) => {
    const eventId = crypto.randomUUID().replaceAll("-", "");
    const timestamp = (Date.now() / 1000).toFixed(3);
    const parts = templates[(req.offset + n) % templates.length]!;
    const text = parts.map((p) => (p === "{{EVENT_ID}}" ? eventId : p === "{{TIMESTAMP}}" ? timestamp : p)).join("");
    return {
      body: ingestMessageOf(text, req.projectId, { clientIp: "198.51.100.23", userAgent: "sentry.javascript.browser/10.20.0", eventId }),
    };
  });
  return { messages: req.count, ...figures };
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
