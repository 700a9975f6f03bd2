// One local Faultline for an end-to-end file that sends SDK data and reads it back through the
// Web API: the Worker under `wrangler dev` and the dashboard under `wrangler pages dev` on free
// ports, over one fresh local state (migrated and seeded), plus the two helpers every such file
// needs, an authenticated API read and a poll until the digest has written what is awaited.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyMigrations, freePort, seed, startDashboard, startWorker } from "../../../scripts/local-dev.mjs";

/**
 * Made at import time (the state folder exists at once), started in `before`, stopped in
 * `after`. `dsn`, `token`, `apiUrl` and the rest are set by `start()`.
 */
export function apiStack(prefix) {
  const persistTo = mkdtempSync(join(tmpdir(), prefix));
  const stack = {
    persistTo,
    worker: undefined,
    dashboard: undefined,
    publicKey: "",
    token: "",
    dsn: "",
    ingestUrl: "",
    dashboardUrl: "",
    apiUrl: "",

    /** `linkIngest` tells the dashboard this Worker's URL, so the DSNs it shows point at it. */
    async start({ linkIngest = false } = {}) {
      await applyMigrations(persistTo);
      const secrets = await seed(persistTo);
      stack.token = secrets.apiToken;
      stack.publicKey = secrets.publicKey;
      const [ingestPort, dashboardPort] = [await freePort(), await freePort()];
      stack.ingestUrl = `http://127.0.0.1:${ingestPort}`;
      [stack.worker, stack.dashboard] = await Promise.all([
        startWorker({ port: ingestPort, persistTo }),
        startDashboard({ port: dashboardPort, persistTo, ...(linkIngest ? { ingestUrl: stack.ingestUrl } : {}) }),
      ]);
      stack.dsn = `http://${secrets.publicKey}@127.0.0.1:${ingestPort}/1`;
      stack.dashboardUrl = `http://127.0.0.1:${dashboardPort}`;
      stack.apiUrl = `${stack.dashboardUrl}/api/0`;
    },

    async stop() {
      await Promise.all([stack.worker?.stop(), stack.dashboard?.stop()]);
      rmSync(persistTo, { recursive: true, force: true });
    },

    /** GET with the seeded token; anything but 200 fails with the answer and the dashboard's log. */
    async api(path) {
      const res = await fetch(`${stack.apiUrl}${path}`, { headers: { authorization: `Bearer ${stack.token}` } });
      assert.equal(res.status, 200, `${path} answered ${res.status}: ${await res.clone().text()}\n${stack.dashboard.output()}`);
      return res.json();
    },

    /** Reads until `done` holds; past the timeout, fails with the last value and the Worker's log. */
    async waitFor(read, done, what, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await read();
        if (done(value)) return value;
        if (Date.now() > deadline)
          throw new Error(
            `${what} did not happen within ${timeoutMs} ms: ${JSON.stringify(value).slice(0, 2000)}\n${stack.worker.output()}`,
          );
        await new Promise((r) => setTimeout(r, 300));
      }
    },
  };
  return stack;
}
