// @sentry/browser's pageload in Debian's headless Chromium against a local Faultline (the Worker
// under `wrangler dev`, the dashboard's API under `wrangler pages dev`, one shared D1): the SDK
// sends the pageload as a span stream with its Web Vitals, and Discover answers it as a
// transaction with its FCP and TTFB percentiles; the page session it sends for the page load
// counts once in its release's health.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";
import { applyMigrations, freePort, seed, startDashboard, startWorker } from "../../scripts/local-dev.mjs";
import { CHROMIUM, CHROMIUM_ARGS } from "./harness/dashboard-stack.mjs";
import { serveSdkPage } from "./harness/serve-sdk-page.mjs";

const persistTo = mkdtempSync(join(tmpdir(), "faultline-browser-perf-e2e-"));
let worker;
let dashboard;
let sdkPage;
let browser;
let apiUrl;
let token;
let dsn;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/install-test-deps.sh (installs Debian's chromium)`);
  await applyMigrations(persistTo);
  const secrets = await seed(persistTo);
  token = secrets.apiToken;
  const [ingestPort, dashboardPort] = [await freePort(), await freePort()];
  [worker, dashboard, sdkPage] = await Promise.all([
    startWorker({ port: ingestPort, persistTo }),
    startDashboard({ port: dashboardPort, persistTo }),
    serveSdkPage(fileURLToPath(new URL("./harness/browser-pageload-page.mjs", import.meta.url)), "Shop"),
  ]);
  dsn = `http://${secrets.publicKey}@127.0.0.1:${ingestPort}/1`;
  apiUrl = `http://127.0.0.1:${dashboardPort}/api/0`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await sdkPage?.close();
  await Promise.all([worker?.stop(), dashboard?.stop()]);
  rmSync(persistTo, { recursive: true, force: true });
});

async function api(path) {
  const res = await fetch(`${apiUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200, `${path} answered ${res.status}: ${await res.clone().text()}\n${dashboard.output()}`);
  return res.json();
}

/** Reads until `done` holds; past 30 s, fails with the last answer and the Worker's log. */
async function waitFor(read, done, what) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`no ${what} within 30 s: ${JSON.stringify(value)}\n${worker.output()}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

test("a pageload from @sentry/browser in Chromium shows in Discover with its Web Vitals", { timeout: 120_000 }, async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (err) => errors.push(err.message));
  await page.goto(`${sdkPage.origin}/#${encodeURIComponent(dsn)}`);
  assert.equal(await page.evaluate(() => window.finishPageload()), true, "the SDK flushed");
  assert.deepEqual(errors, []);

  const fields = ["transaction", "transaction.op", "count()", "p75(measurements.fcp)", "p75(measurements.ttfb)", "p50()"];
  const query = fields.map((f) => `field=${encodeURIComponent(f)}`).join("&");
  const deadline = Date.now() + 30_000;
  let row;
  while (row === undefined) {
    const answer = await api(`/organizations/faultline/events/?dataset=transactions&${query}&statsPeriod=1h`);
    row = answer.data.find((r) => r["transaction.op"] === "pageload");
    if (row === undefined && Date.now() > deadline)
      throw new Error(`no pageload in Discover: ${JSON.stringify(answer)}\n${worker.output()}`);
    if (row === undefined) await new Promise((r) => setTimeout(r, 300));
  }
  // The name @sentry/browser 11 gives its pageload segment span (as in test/fixtures/sdk-requests/browser-9.envelope).
  assert.equal(row.transaction, "Pageload");
  assert.equal(row["count()"], 1);
  assert.ok(row["p50()"] > 0, `pageload duration ${row["p50()"]} ms`);
  // Chromium painted the page and measured its first byte: the SDK put both on the pageload span.
  assert.ok(row["p75(measurements.fcp)"] > 0, `FCP ${row["p75(measurements.fcp)"]}`);
  assert.ok(row["p75(measurements.ttfb)"] >= 0, `TTFB ${row["p75(measurements.ttfb)"]}`);

  // With a release set, the SDK begins a session for the page load and sends it (browser
  // sessions, https://develop.sentry.dev/sdk/telemetry/sessions/): one healthy session in the
  // release's health, counted once whatever updates of it arrive.
  const release = await waitFor(
    // The release exists once something naming it is digested: until then, a 404.
    async () => {
      const res = await fetch(`${apiUrl}/organizations/faultline/releases/shop-web%401.0.0/?health=1`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return res.status === 404 ? null : res.json();
    },
    (answer) => answer?.projects?.[0]?.hasHealthData === true,
    "page session in the release's health",
  );
  const health = release.projects[0].healthData;
  assert.deepEqual(
    [health.totalSessions, health.sessionsCrashed, health.sessionsErrored, health.crashFreeSessions],
    [1, 0, 0, 100],
    JSON.stringify(health),
  );
  const sessions = await api(
    "/organizations/faultline/sessions/?field=sum(session)&groupBy=release&groupBy=session.status&interval=1h&statsPeriod=24h",
  );
  const counted = sessions.groups.filter((g) => g.totals["sum(session)"] > 0);
  assert.deepEqual(
    counted.map((g) => [g.by.release, g.by["session.status"], g.totals["sum(session)"]]),
    [["shop-web@1.0.0", "healthy", 1]],
    JSON.stringify(sessions.groups),
  );
});
