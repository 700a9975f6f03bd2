// A throwaway Faultline for one end-to-end test file: a fresh D1/Queues/R2 state in a temporary
// folder, migrated and seeded, served by one `wrangler dev` on a free loopback port.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyMigrations, freePort, queryLocalD1, seed, startWorker } from "../../scripts/local-dev.mjs";

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
    const ingestUrl = `http://127.0.0.1:${port}`;
    return {
      ingestUrl,
      publicKey,
      dsn: `http://${publicKey}@127.0.0.1:${port}/${PROJECT_ID}`,
      /** wrangler's own log, to attach to a failure. */
      workerOutput: () => worker.output(),
      query: (sql) => queryLocalD1(persistTo, sql),
      async stop() {
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
 * Every row the queue consumer wrote for the project, with the body as text (bodies are stored
 * decoded, so a gzip'd request reads back as its plain envelope or JSON).
 */
export async function receivedEnvelopes(faultline) {
  const rows = await faultline.query(
    `SELECT message_id, project_id, event_id, kind, item_types, size, CAST(body AS TEXT) AS body, body_key
       FROM received_envelopes WHERE project_id = ${PROJECT_ID} ORDER BY id`,
  );
  return rows.map((row) => ({ ...row, itemTypes: row.item_types.split(",") }));
}

/**
 * Polls received_envelopes until rows for all `eventIds` are there. Queue delivery is
 * asynchronous (the consumer's batch timeout is the floor), hence a bounded wait, not a sleep.
 */
export async function waitForEvents(faultline, eventIds, { timeoutMs = 30_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await receivedEnvelopes(faultline);
    const seen = new Set(rows.map((r) => r.event_id));
    if (eventIds.every((id) => seen.has(id))) return rows;
    if (Date.now() > deadline) {
      const missing = eventIds.filter((id) => !seen.has(id));
      throw new Error(
        `events ${missing.join(", ")} were not recorded within ${timeoutMs} ms; rows: ${JSON.stringify(rows.map(({ body, ...r }) => r))}\n` +
          `wrangler dev output:\n${faultline.workerOutput()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The event payload of a recorded envelope: the JSON of its `event` item. */
export function eventItemOf(row) {
  const lines = row.body.split("\n");
  for (let i = 1; i < lines.length; i++) {
    const header = JSON.parse(lines[i]);
    // Items with an explicit length may hold newlines; the SDKs under test send JSON items on one line.
    if (header.type === "event") return JSON.parse(lines[i + 1]);
    i++;
  }
  throw new Error(`no event item in envelope ${row.event_id}`);
}
