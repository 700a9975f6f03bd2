// A throwaway Faultline with its dashboard, for the dashboard's browser tests: one state folder
// shared by the Worker (`wrangler dev`, ingest and digest) and the dashboard (`wrangler pages dev`
// of the built app and its functions), each on a free loopback port.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  applyMigrations,
  buildDashboard,
  fireCronTriggers,
  freePort,
  queryLocalD1,
  seed,
  startDashboard,
  startWorker,
} from "../../../scripts/local-dev.mjs";

export const CHROMIUM = "/usr/bin/chromium";
// Headless in a container: no sandbox (no user namespaces), no GPU, and nothing that phones home.
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

export async function startDashboardStack() {
  const persistTo = mkdtempSync(join(tmpdir(), "faultline-dashboard-e2e-"));
  let worker;
  let dashboard;
  try {
    await Promise.all([applyMigrations(persistTo), buildDashboard()]);
    const secrets = await seed(persistTo);
    const [workerPort, dashboardPort] = [await freePort(), await freePort()];
    const ingestUrl = `http://127.0.0.1:${workerPort}`;
    worker = await startWorker({ port: workerPort, persistTo });
    dashboard = await startDashboard({ port: dashboardPort, persistTo, ingestUrl });
    // The scheduled jobs on production's schedule, as `npm start` runs them.
    const cronTriggers = fireCronTriggers({ port: workerPort });
    const dashboardUrl = `http://127.0.0.1:${dashboardPort}`;
    return {
      ingestUrl,
      dashboardUrl,
      dsn: `http://${secrets.publicKey}@127.0.0.1:${workerPort}/1`,
      publicKey: secrets.publicKey,
      login: { email: secrets.email, password: secrets.password },
      apiToken: secrets.apiToken,
      query: (sql) => queryLocalD1(persistTo, sql),
      output: () => `wrangler dev:\n${worker.output()}\nwrangler pages dev:\n${dashboard.output()}`,
      /** GET on the read API with the seeded API token. */
      async api(path) {
        const res = await fetch(`${dashboardUrl}/api/0${path}`, { headers: { authorization: `Bearer ${secrets.apiToken}` } });
        if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}\nwrangler pages dev:\n${dashboard.output()}`);
        return res.json();
      },
      /** Runs a cron trigger now, as if at `time` (ms), instead of waiting for its schedule. */
      runScheduled: (cron, time) => cronTriggers.at(cron, time),
      async stop() {
        cronTriggers.stop();
        await Promise.all([worker.stop(), dashboard.stop()]);
        rmSync(persistTo, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await Promise.all([worker?.stop(), dashboard?.stop()]);
    rmSync(persistTo, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Polls the read API until the project has an issue whose title matches. Queue delivery is
 * asynchronous (the consumer's batch timeout is the floor), hence a bounded wait. Two local
 * processes share one SQLite file here, so a read may fail while the digest writes: polling
 * goes on through errors and reports the last one if the issue never shows.
 */
export async function waitForIssue(stack, titlePattern, { query = "", timeoutMs = 60_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  for (;;) {
    try {
      const issues = await stack.api(`/projects/faultline/default/issues/?query=${encodeURIComponent(query)}`);
      const issue = issues.find((i) => titlePattern.test(i.title));
      if (issue !== undefined) return issue;
      last = `issues: ${JSON.stringify(issues.map((i) => i.title))}`;
    } catch (err) {
      last = err.message;
    }
    if (Date.now() > deadline) throw new Error(`no issue matching ${titlePattern} within ${timeoutMs} ms; ${last}\n${stack.output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
