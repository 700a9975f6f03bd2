// A throwaway Faultline for one end-to-end test file: a fresh D1/Queues/R2 state in a temporary
// folder, migrated and seeded, served by one `wrangler dev` on a free loopback port.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { applyMigrations, fireCronTriggers, freePort, queryLocalD1, seed, startWorker } from "../../../scripts/local-dev.mjs";

/** The seeded project every test sends to. */
export const PROJECT_ID = 1;

export async function startLocalFaultline() {
  const persistTo = mkdtempSync(join(tmpdir(), "faultline-e2e-"));
  let worker;
  try {
    await applyMigrations(persistTo);
    const { publicKey } = await seed(persistTo);
    const port = await freePort();
    worker = await startWorker({ port, persistTo });
    // The scheduled jobs on production's schedule, as `npm start` runs them.
    const cronTriggers = fireCronTriggers({ port });
    const ingestUrl = `http://127.0.0.1:${port}`;
    return {
      ingestUrl,
      publicKey,
      dsn: `http://${publicKey}@127.0.0.1:${port}/${PROJECT_ID}`,
      /** wrangler's own log, to attach to a failure. */
      workerOutput: () => worker.output(),
      query: (sql) => queryLocalD1(persistTo, sql),
      /** Runs a cron trigger now, as if at `time` (ms), instead of waiting for its schedule. */
      runScheduled: (cron, time) => cronTriggers.at(cron, time),
      async stop() {
        cronTriggers.stop();
        await worker.stop();
        rmSync(persistTo, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await worker?.stop();
    rmSync(persistTo, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Every event the digest stored for the project, with its normalized event decoded (events keep
 * the normalized event as gzip'd JSON).
 */
export async function recordedEvents(faultline) {
  const rows = await faultline.query(
    `SELECT e.event_id, e.project_id, e.issue_id, e.title, i.title AS issue_title, i.culprit, hex(e.data) AS data
       FROM events e JOIN issues i ON i.id = e.issue_id WHERE e.project_id = ${PROJECT_ID} ORDER BY e.id`,
  );
  return rows.map(({ data, ...row }) => {
    const json = gunzipSync(Buffer.from(data, "hex")).toString("utf8");
    return { ...row, size: Buffer.byteLength(json), event: JSON.parse(json) };
  });
}

/**
 * Polls the events table until all `eventIds` are there. Queue delivery is asynchronous (the
 * consumer's batch timeout is the floor), hence a bounded wait, not a sleep.
 */
export async function waitForEvents(faultline, eventIds, { timeoutMs = 30_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await recordedEvents(faultline);
    const seen = new Set(rows.map((r) => r.event_id));
    if (eventIds.every((id) => seen.has(id))) return rows;
    if (Date.now() > deadline) {
      const missing = eventIds.filter((id) => !seen.has(id));
      const rejected = await faultline.query(`SELECT reason, detail FROM rejected_envelopes WHERE project_id = ${PROJECT_ID}`);
      throw new Error(
        `events ${missing.join(", ")} were not recorded within ${timeoutMs} ms; events: ${JSON.stringify(rows.map((r) => [r.event_id, r.title]))}; rejected: ${JSON.stringify(rejected)}\n` +
          `wrangler dev output:\n${faultline.workerOutput()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The tags of a normalized event, as an object. */
export function tagsOf(event) {
  return Object.fromEntries(event.tags ?? []);
}
